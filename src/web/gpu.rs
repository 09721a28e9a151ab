//! Finding out whether the browser offers a WebGPU adapter (the train worker starts Burn on it).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A name for the adapter `navigator.gpu.requestAdapter()` gives, or `None` when there is
/// none. Asked before the train worker is told to start Burn on WebGPU, because Burn's set-up
/// panics when there is no adapter.
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
