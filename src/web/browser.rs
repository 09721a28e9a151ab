//! Rust faces for `js/browser.js`: browser storage, downloads, file uploads, the clipboard,
//! cross-window messages and gzip. Failures come back as `Err(String)` for the page to show.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::page::own_data::PickedImage;

/// A `message` listener: (origin, data as JSON text, source window).
pub type MessageListener = Closure<dyn Fn(String, String, JsValue)>;

#[wasm_bindgen(module = "/src/web/js/browser.js")]
extern "C" {
    #[wasm_bindgen(js_name = storePut)]
    fn store_put(key: &str, bytes: &[u8]) -> js_sys::Promise;
    #[wasm_bindgen(js_name = storeGet)]
    fn store_get(key: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = storeDelete)]
    fn store_delete(key: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = download)]
    fn js_download(name: &str, bytes: &[u8]);
    #[wasm_bindgen(js_name = readChosenFile)]
    fn read_chosen_file(input: &web_sys::HtmlInputElement, max_bytes: f64) -> js_sys::Promise;
    #[wasm_bindgen(js_name = decodeChosenImages)]
    fn decode_chosen_images(
        input: &web_sys::HtmlInputElement,
        max_side: f64,
        max_bytes: f64,
        max_files: f64,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = exportChart)]
    fn js_export_chart(figure: &web_sys::Element, format: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = decodeDroppedImages)]
    fn decode_dropped_images(
        data_transfer: &web_sys::DataTransfer,
        max_side: f64,
        max_bytes: f64,
        max_files: f64,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = copyText)]
    fn copy_text(text: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = listenForMessages)]
    fn listen_for_messages(handler: &MessageListener);
    #[wasm_bindgen(js_name = postJson)]
    pub fn post_json(target: &JsValue, json: &str, origin: &str);
    #[wasm_bindgen(js_name = parentWindow)]
    pub fn parent_window() -> JsValue;
    #[wasm_bindgen(js_name = parentOrigin)]
    pub fn parent_origin() -> Option<String>;
    #[wasm_bindgen(js_name = replaceQuery)]
    pub fn replace_query(query: &str);
    #[wasm_bindgen(js_name = gunzip)]
    fn js_gunzip(bytes: &[u8]) -> js_sys::Promise;
    #[wasm_bindgen(js_name = observeHeight)]
    fn observe_height(handler: &HeightListener) -> bool;
    /// The page's content height (CSS px).
    #[wasm_bindgen(js_name = contentHeight)]
    pub fn content_height() -> f64;
}

/// A content-height listener (CSS px).
pub type HeightListener = Closure<dyn Fn(f64)>;

/// Calls `handler` with the page's content height whenever it changes, if the page is in a
/// frame and the browser can observe sizes.
pub fn on_height(handler: impl Fn(f64) + 'static) -> Option<HeightListener> {
    let closure = Closure::new(handler);
    observe_height(&closure).then_some(closure)
}

/// The largest weights file the page reads (the biggest model the form allows is ~7 MB).
const MAX_UPLOAD: f64 = 64.0 * 1024.0 * 1024.0;

fn describe(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".into())
}

async fn wait(promise: js_sys::Promise) -> Result<JsValue, String> {
    JsFuture::from(promise).await.map_err(describe)
}

pub async fn remember(key: &str, bytes: &[u8]) -> Result<(), String> {
    wait(store_put(key, bytes)).await.map(|_| ())
}

/// The bytes stored under `key`, `None` when there are none.
pub async fn recall(key: &str) -> Result<Option<Vec<u8>>, String> {
    let value = wait(store_get(key)).await?;
    Ok(value
        .dyn_into::<js_sys::Uint8Array>()
        .ok()
        .map(|a| a.to_vec()))
}

pub async fn forget(key: &str) -> Result<(), String> {
    wait(store_delete(key)).await.map(|_| ())
}

/// `bytes` gzip-decompressed by the browser (`DecompressionStream`).
pub async fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let value = wait(js_gunzip(bytes)).await?;
    value
        .dyn_into::<js_sys::Uint8Array>()
        .map(|a| a.to_vec())
        .map_err(|_| "decompression gave no bytes".to_string())
}

pub fn download(name: &str, bytes: &[u8]) {
    js_download(name, bytes);
}

/// The bytes of the file the user chose in `input`; `None` when the choice was cancelled.
pub async fn chosen_file(input: &web_sys::HtmlInputElement) -> Result<Option<Vec<u8>>, String> {
    let value = wait(read_chosen_file(input, MAX_UPLOAD)).await?;
    Ok(value
        .dyn_into::<js_sys::Uint8Array>()
        .ok()
        .map(|a| a.to_vec()))
}

/// The largest image file the page decodes.
const MAX_IMAGE_FILE: f64 = 32.0 * 1024.0 * 1024.0;

/// The image files chosen in `input` (a folder's, or those in ZIP archives, too), each decoded
/// by the browser to RGBA (at most `own::MAX_SIDE` on a side), or why not; an error for more
/// files than a set holds.
pub async fn chosen_images(input: &web_sys::HtmlInputElement) -> Result<Vec<PickedImage>, String> {
    use crate::data::own::{MAX_IMAGES, MAX_SIDE};
    let promise = decode_chosen_images(input, MAX_SIDE as f64, MAX_IMAGE_FILE, MAX_IMAGES as f64);
    decoded_images(promise).await
}

/// What a drop carries (files, folders, ZIP archives), being decoded. Called in the drop event
/// itself: the browser lets its items be read only then.
pub fn start_decoding_drop(data_transfer: &web_sys::DataTransfer) -> js_sys::Promise {
    use crate::data::own::{MAX_IMAGES, MAX_SIDE};
    decode_dropped_images(
        data_transfer,
        MAX_SIDE as f64,
        MAX_IMAGE_FILE,
        MAX_IMAGES as f64,
    )
}

/// The images a `decode…Images` promise gives, each decoded or why not.
pub async fn decoded_images(promise: js_sys::Promise) -> Result<Vec<PickedImage>, String> {
    let value = wait(promise).await?;
    let field = |item: &JsValue, name: &str| js_sys::Reflect::get(item, &name.into()).ok();
    Ok(js_sys::Array::from(&value)
        .iter()
        .map(|item| {
            let path = field(&item, "path")
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let error = field(&item, "error").and_then(|v| v.as_string());
            let decoded = match error {
                Some(e) => Err(e),
                None => {
                    let size =
                        |name| field(&item, name).and_then(|v| v.as_f64()).unwrap_or(0.0) as usize;
                    let rgba = field(&item, "rgba")
                        .and_then(|v| v.dyn_into::<js_sys::Uint8Array>().ok())
                        .map(|a| a.to_vec())
                        .unwrap_or_default();
                    Ok((rgba, size("width"), size("height")))
                }
            };
            PickedImage { path, decoded }
        })
        .collect())
}

/// Download the chart drawn in `figure` as one picture: `"svg"` or `"png"`.
pub async fn export_chart(figure: &web_sys::Element, format: &str) -> Result<(), String> {
    wait(js_export_chart(figure, format)).await.map(|_| ())
}

pub async fn copy(text: &str) -> Result<(), String> {
    wait(copy_text(text)).await.map(|_| ())
}

/// Listen for `message` events; the returned closure must be kept alive as long as listening.
pub fn on_message(handler: impl Fn(String, String, JsValue) + 'static) -> MessageListener {
    let closure = Closure::new(handler);
    listen_for_messages(&closure);
    closure
}
