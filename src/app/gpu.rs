//! Finding out whether the browser offers a WebGPU adapter, and starting Burn's wgpu backend.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// True when `navigator.gpu.requestAdapter()` gives an adapter. Asked before Burn is started
/// on WebGPU, because Burn's set-up panics (and takes the page down) when there is none.
pub async fn webgpu_adapter_available() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let gpu = js_sys::Reflect::get(&window.navigator(), &JsValue::from_str("gpu"))
        .unwrap_or(JsValue::UNDEFINED);
    if gpu.is_undefined() || gpu.is_null() {
        return false;
    }
    let Ok(request) = js_sys::Reflect::get(&gpu, &JsValue::from_str("requestAdapter")) else {
        return false;
    };
    let Ok(request) = request.dyn_into::<js_sys::Function>() else {
        return false;
    };
    let Ok(promise) = request.call0(&gpu) else {
        return false;
    };
    match JsFuture::from(js_sys::Promise::from(promise)).await {
        Ok(adapter) => !adapter.is_null() && !adapter.is_undefined(),
        Err(_) => false,
    }
}

/// Start Burn's wgpu backend on the browser's WebGPU adapter; returns the adapter's name.
#[cfg(feature = "gpu")]
pub async fn start_burn_wgpu() -> String {
    use burn::backend::wgpu::{graphics::AutoGraphicsApi, init_setup_async, WgpuDevice};
    let setup =
        init_setup_async::<AutoGraphicsApi>(&WgpuDevice::default(), Default::default()).await;
    let info = setup.adapter.get_info();
    if info.name.is_empty() {
        "WebGPU adapter".to_string()
    } else {
        info.name
    }
}
