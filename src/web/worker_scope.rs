//! A worker's own side of messaging, for the two worker runtimes ([`super::train_worker`],
//! [`super::compute_worker`]): listening to the page and posting to it from the worker's global
//! scope. What the messages hold is [`super::envelope`]'s business.

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::*;

use super::envelope::Message;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = postMessage)]
    fn post_message(message: &JsValue, transfer: &Array);
    #[wasm_bindgen(js_name = addEventListener)]
    fn add_event_listener(kind: &str, listener: &js_sys::Function);
}

/// Call `on_data` with the data of every message the page sends, for the worker's life.
pub fn listen(mut on_data: impl FnMut(JsValue) + 'static) {
    let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        on_data(Reflect::get(&event, &"data".into()).unwrap_or(JsValue::NULL));
    });
    add_event_listener("message", on_message.as_ref().unchecked_ref());
    on_message.forget();
}

/// Post `message` to the page, transferring its buffers.
pub fn post(message: &Message) {
    post_message(&message.data, &message.transfer);
}

/// Tell the page this worker listens: it holds what it sends until it hears this, since
/// messages sent before [`listen`] was called are lost.
pub fn say_ready() {
    post(&Message::ready());
}
