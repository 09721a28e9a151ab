//! The playground's compute worker: a dedicated Web Worker (built by Trunk with
//! `data-type="worker"`) that answers `vae_playground::compute::ComputeRequest`s — the posterior
//! picture, ln p(x) and the gap, decoded grids — on a CPU model of the weights it was last sent,
//! so that this work never blocks the page's input handling.
//!
//! Messages in: `{weights: Uint8Array}` (a `.vaew` file) or `{request: "<JSON>"}`, handled one
//! at a time in order. Messages out: `"ready"` once listening, then a `ComputeReply` as JSON text
//! per request.

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("compute_worker runs in a browser Web Worker, started by the playground page.");
}

#[cfg(target_arch = "wasm32")]
mod worker {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use js_sys::{Reflect, Uint8Array};
    use vae_playground::compute::{ComputeReply, ComputeRequest, Computer};
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = postMessage)]
        fn post_message(message: &JsValue);
        #[wasm_bindgen(js_name = addEventListener)]
        fn add_event_listener(kind: &str, listener: &js_sys::Function);
    }

    #[derive(Default)]
    struct State {
        computer: Computer,
        queue: VecDeque<JsValue>,
        draining: bool,
    }

    pub fn start() {
        let state = Rc::new(RefCell::new(State::default()));
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let data = Reflect::get(&event, &"data".into()).unwrap_or(JsValue::NULL);
            let start = {
                let mut s = state.borrow_mut();
                s.queue.push_back(data);
                !std::mem::replace(&mut s.draining, true)
            };
            if start {
                wasm_bindgen_futures::spawn_local(drain(state.clone()));
            }
        });
        add_event_listener("message", on_message.as_ref().unchecked_ref());
        on_message.forget();
        // Messages sent before this point were lost: the page holds them until it hears this.
        post_message(&JsValue::from_str("ready"));
    }

    /// Handle queued messages in order; only this task touches the model.
    async fn drain(state: Rc<RefCell<State>>) {
        loop {
            let Some(data) = state.borrow_mut().queue.pop_front() else {
                state.borrow_mut().draining = false;
                return;
            };
            let weights = Reflect::get(&data, &"weights".into()).unwrap_or(JsValue::UNDEFINED);
            if let Some(bytes) = weights.dyn_ref::<Uint8Array>() {
                // A bad file keeps the old model; the page validated it before sending.
                let _ = state.borrow_mut().computer.set_weights(&bytes.to_vec());
                continue;
            }
            let text = Reflect::get(&data, &"request".into())
                .ok()
                .and_then(|v| v.as_string());
            let Some(request) = text.and_then(|t| serde_json::from_str::<ComputeRequest>(&t).ok())
            else {
                continue;
            };
            // Take the model out while awaiting, so no borrow is held across the await.
            let computer = std::mem::take(&mut state.borrow_mut().computer);
            let reply: ComputeReply = computer.handle(request).await;
            state.borrow_mut().computer = computer;
            if let Ok(json) = serde_json::to_string(&reply) {
                post_message(&JsValue::from_str(&json));
            }
        }
    }
}
