//! Finding out whether the browser offers a WebGPU adapter, and starting Burn's wgpu backend.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A name for the adapter `navigator.gpu.requestAdapter()` gives, or `None` when there is
/// none. Asked before Burn is started on WebGPU, because Burn's set-up panics (and takes the
/// page down) when there is no adapter.
pub async fn webgpu_adapter() -> Option<String> {
    let adapter = request_adapter().await?;
    let info = js_sys::Reflect::get(&adapter, &JsValue::from_str("info")).ok();
    let field = |name: &str| {
        info.as_ref()
            .and_then(|i| js_sys::Reflect::get(i, &JsValue::from_str(name)).ok())
            .and_then(|v| v.as_string())
            .filter(|s| !s.is_empty())
    };
    let mut parts: Vec<String> = ["vendor", "architecture", "description"]
        .iter()
        .filter_map(|f| field(f))
        .collect();
    parts.dedup();
    let fallback = js_sys::Reflect::get(&adapter, &JsValue::from_str("isFallbackAdapter"))
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if fallback {
        parts.push("software".into());
    }
    Some(if parts.is_empty() {
        "adapter".into()
    } else {
        parts.join(" ")
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

/// Start Burn's wgpu backend on the browser's WebGPU adapter. Returns wgpu's adapter name (empty
/// on some browsers) and a future that resolves with a reason if the device is ever lost.
#[cfg(feature = "gpu")]
pub async fn start_burn_wgpu() -> (String, futures::channel::oneshot::Receiver<String>) {
    use burn::backend::wgpu::{graphics::AutoGraphicsApi, init_setup_async, WgpuDevice};
    use std::sync::Mutex;
    super::browser::guard_gpu_reads();
    let setup =
        init_setup_async::<AutoGraphicsApi>(&WgpuDevice::default(), Default::default()).await;
    let (sender, lost) = futures::channel::oneshot::channel();
    let sender = Mutex::new(Some(sender));
    setup
        .device
        .set_device_lost_callback(move |reason, message| {
            if let Some(sender) = sender.lock().ok().and_then(|mut s| s.take()) {
                let _ = sender.send(format!("{reason:?}: {message}"));
            }
        });
    (setup.adapter.get_info().name, lost)
}
