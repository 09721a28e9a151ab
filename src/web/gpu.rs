//! Finding out whether the browser offers a WebGPU adapter (the train worker starts Burn on it).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::vae::gpu_limits::{AdapterLimits, GpuAdapter};
use crate::vae::kernel_choice::AdapterKey;

/// The adapter `navigator.gpu.requestAdapter()` gives (its name and limits), or `None` when
/// there is none. Asked before the train worker is told to start Burn on WebGPU, because
/// Burn's set-up panics when there is no adapter; the page checks the limits.
pub async fn webgpu_adapter() -> Option<GpuAdapter> {
    let adapter = request_adapter().await?;
    let get =
        |from: &JsValue, name: &str| js_sys::Reflect::get(from, &JsValue::from_str(name)).ok();
    let info = get(&adapter, "info");
    let field = |name: &str| {
        info.as_ref()
            .and_then(|i| get(i, name))
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    // WebGPU names no driver; the browser's own version stands for it (see `AdapterKey`).
    let key = AdapterKey {
        vendor: field("vendor").unwrap_or_default(),
        architecture: field("architecture").unwrap_or_default(),
        description: field("description").unwrap_or_default(),
        driver: web_sys::window()
            .and_then(|w| w.navigator().user_agent().ok())
            .unwrap_or_default(),
    };
    let mut parts: Vec<String> = ["vendor", "architecture", "description"]
        .iter()
        .filter_map(|f| field(f))
        .collect();
    parts.dedup();
    // `info.isFallbackAdapter` now (Firefox has only that), `adapter.isFallbackAdapter` before.
    let fallback = [info.as_ref(), Some(&adapter)]
        .into_iter()
        .flatten()
        .any(|o| get(o, "isFallbackAdapter").and_then(|v| v.as_bool()) == Some(true));
    if parts.is_empty() {
        parts.push("unnamed adapter".into());
    }
    if fallback {
        parts.push("software".into());
    }
    let limits = get(&adapter, "limits").unwrap_or(JsValue::UNDEFINED);
    // A limit the browser does not report reads as NaN, which no need is met by.
    let limit = |name: &str| {
        get(&limits, name)
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN)
    };
    Some(GpuAdapter {
        key,
        name: parts.join(" "),
        limits: AdapterLimits {
            max_storage_buffer_binding_size: limit("maxStorageBufferBindingSize"),
            max_buffer_size: limit("maxBufferSize"),
            max_compute_invocations_per_workgroup: limit("maxComputeInvocationsPerWorkgroup"),
            max_compute_workgroup_size_x: limit("maxComputeWorkgroupSizeX"),
            max_storage_buffers_per_shader_stage: limit("maxStorageBuffersPerShaderStage"),
            max_compute_workgroups_per_dimension: limit("maxComputeWorkgroupsPerDimension"),
        },
    })
}

async fn request_adapter() -> Option<JsValue> {
    let window = web_sys::window()?;
    let gpu = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("gpu"))
        .unwrap_or(JsValue::UNDEFINED);
    if gpu.is_undefined() || gpu.is_null() {
        return None;
    }
    let request = js_sys::Reflect::get(&gpu, &JsValue::from_str("requestAdapter")).ok()?;
    let promise = request
        .dyn_into::<js_sys::Function>()
        .ok()?
        .call0(&gpu)
        .ok()?;
    let adapter = JsFuture::from(js_sys::Promise::from(promise)).await.ok()?;
    (!adapter.is_null() && !adapter.is_undefined()).then_some(adapter)
}
