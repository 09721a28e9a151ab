//! The page's side of the compute worker (`src/bin/compute_worker.rs`): start it, send it the
//! current weights and requests, and turn its replies into messages.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};
use yew::Callback;

use crate::compute::{ComputeReply, ComputeRequest};

pub struct ComputeWorker {
    worker: Worker,
    /// Messages wait here until the worker says it is ready: it only listens once its wasm has
    /// loaded, and a message sent before that would be lost.
    waiting: Rc<RefCell<Option<Vec<JsValue>>>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl ComputeWorker {
    /// Start the worker (its loader sits next to the page); `None` where workers are unavailable.
    pub fn start(on_reply: Callback<ComputeReply>) -> Option<Self> {
        let worker = Worker::new("./compute_worker_loader.js").ok()?;
        let waiting: Rc<RefCell<Option<Vec<JsValue>>>> = Rc::new(RefCell::new(Some(Vec::new())));
        let (queue, target) = (waiting.clone(), worker.clone());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(text) = e.data().as_string() else {
                return;
            };
            if text == "ready" {
                for message in queue.borrow_mut().take().unwrap_or_default() {
                    let _ = target.post_message(&message);
                }
            } else if let Ok(reply) = serde_json::from_str::<ComputeReply>(&text) {
                on_reply.emit(reply);
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self {
            worker,
            waiting,
            _on_message: on_message,
        })
    }

    pub fn send_weights(&self, bytes: &[u8]) {
        let message = Object::new();
        let _ = Reflect::set(&message, &"weights".into(), &Uint8Array::from(bytes));
        self.post(message.into());
    }

    pub fn send(&self, request: &ComputeRequest) {
        let Ok(json) = serde_json::to_string(request) else {
            return;
        };
        let message = Object::new();
        let _ = Reflect::set(&message, &"request".into(), &JsValue::from_str(&json));
        self.post(message.into());
    }

    fn post(&self, message: JsValue) {
        match self.waiting.borrow_mut().as_mut() {
            Some(queue) => queue.push(message),
            None => {
                let _ = self.worker.post_message(&message);
            }
        }
    }
}

impl Drop for ComputeWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
