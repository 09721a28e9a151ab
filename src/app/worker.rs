//! The page's side of its two workers: the compute worker (`src/bin/compute_worker.rs`) and the
//! train worker (`src/bin/train_worker.rs`). Each is started from its loader next to the page,
//! says `"ready"` once it listens, and is sent messages in order.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};
use yew::Callback;

use crate::compute::{ComputeReply, ComputeRequest};
use crate::train_service::{TrainCommand, TrainEvent};

/// Messages (with what they transfer) held until the worker is ready; `None` once it is.
type Waiting = Rc<RefCell<Option<Vec<(JsValue, Array)>>>>;

/// A started worker. Messages wait until it says it is ready: it only listens once its wasm has
/// loaded, and a message sent before that would be lost.
struct Port {
    worker: Worker,
    waiting: Waiting,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl Port {
    /// `None` where workers are unavailable.
    fn start(
        loader: &str,
        mut on_data: impl FnMut(JsValue) + 'static,
        on_error: Callback<String>,
    ) -> Option<Self> {
        let worker = Worker::new(loader).ok()?;
        let waiting: Waiting = Rc::new(RefCell::new(Some(Vec::new())));
        let (queue, target) = (waiting.clone(), worker.clone());
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let data = e.data();
            if data.as_string().as_deref() == Some("ready") {
                for (message, transfer) in queue.borrow_mut().take().unwrap_or_default() {
                    let _ = target.post_message_with_transfer(&message, &transfer);
                }
            } else {
                on_data(data);
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let message = e
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "the worker stopped".into());
            on_error.emit(message);
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Some(Self {
            worker,
            waiting,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Post `fields` (and `bytes` under `weights`, moved rather than copied).
    fn post(&self, fields: &[(&str, JsValue)], bytes: Option<&[u8]>) {
        let message = Object::new();
        for (key, value) in fields {
            let _ = Reflect::set(&message, &(*key).into(), value);
        }
        let transfer = Array::new();
        if let Some(bytes) = bytes {
            let array = Uint8Array::from(bytes);
            transfer.push(&array.buffer());
            let _ = Reflect::set(&message, &"weights".into(), &array);
        }
        let message = JsValue::from(message);
        match self.waiting.borrow_mut().as_mut() {
            Some(queue) => queue.push((message, transfer)),
            None => {
                let _ = self.worker.post_message_with_transfer(&message, &transfer);
            }
        }
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

pub struct ComputeWorker(Port);

impl ComputeWorker {
    pub fn start(on_reply: Callback<ComputeReply>, on_error: Callback<String>) -> Option<Self> {
        let on_data = move |data: JsValue| {
            if let Some(reply) = data
                .as_string()
                .and_then(|text| serde_json::from_str::<ComputeReply>(&text).ok())
            {
                on_reply.emit(reply);
            }
        };
        Port::start("./compute_worker_loader.js", on_data, on_error).map(Self)
    }

    pub fn send_weights(&self, bytes: &[u8]) {
        self.0.post(&[], Some(bytes));
    }

    pub fn send(&self, request: &ComputeRequest) {
        if let Ok(json) = serde_json::to_string(request) {
            self.0.post(&[("request", JsValue::from_str(&json))], None);
        }
    }
}

/// The train worker; dropping it ends the worker.
pub struct TrainWorker(Port);

impl TrainWorker {
    /// Start a train worker; its events come with the weights file sent beside them, if any.
    pub fn start(
        on_event: Callback<(TrainEvent, Option<Vec<u8>>)>,
        on_error: Callback<String>,
    ) -> Option<Self> {
        let on_data = move |data: JsValue| {
            let event = Reflect::get(&data, &"event".into())
                .ok()
                .and_then(|v| v.as_string())
                .and_then(|text| serde_json::from_str::<TrainEvent>(&text).ok());
            let weights = Reflect::get(&data, &"weights".into())
                .ok()
                .and_then(|w| w.dyn_into::<Uint8Array>().ok())
                .map(|w| w.to_vec());
            if let Some(event) = event {
                on_event.emit((event, weights));
            }
        };
        Port::start("./train_worker_loader.js", on_data, on_error).map(Self)
    }

    pub fn send(&self, command: &TrainCommand, weights: Option<&[u8]>) {
        if let Ok(json) = serde_json::to_string(command) {
            self.0
                .post(&[("command", JsValue::from_str(&json))], weights);
        }
    }
}
