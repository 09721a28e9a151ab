//! The page's side of its two workers: the compute worker ([`super::compute_worker`]) and the
//! train worker ([`super::train_worker`]). Each is started from its loader next to the page,
//! says `"ready"` once it listens, and is sent messages in order. The messages are
//! [`super::envelope`]'s.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};
use yew::Callback;

use super::envelope::{self, Message};
use crate::services::compute::{ComputeReply, ComputeRequest};
use crate::services::train_service::{TrainCommand, TrainEvent};

/// Messages held until the worker is ready; `None` once it is.
type Waiting = Rc<RefCell<Option<Vec<Message>>>>;

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
            if envelope::is_ready(&data) {
                for message in queue.borrow_mut().take().unwrap_or_default() {
                    let _ = target.post_message_with_transfer(&message.data, &message.transfer);
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

    /// Post `message` now, or once the worker is ready.
    fn post(&self, message: Message) {
        match self.waiting.borrow_mut().as_mut() {
            Some(queue) => queue.push(message),
            None => {
                let _ = self
                    .worker
                    .post_message_with_transfer(&message.data, &message.transfer);
            }
        }
    }
}

impl Drop for Port {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// The compute worker; dropping it ends the worker.
pub struct ComputeWorker(Port);

impl ComputeWorker {
    pub fn start(on_reply: Callback<ComputeReply>, on_error: Callback<String>) -> Option<Self> {
        let on_data = move |data: JsValue| {
            if let Some((reply, _)) = envelope::unpack::<ComputeReply>(&data) {
                on_reply.emit(reply);
            }
        };
        Port::start("./compute_worker_loader.js", on_data, on_error).map(Self)
    }

    /// The model to answer requests with, as a `.vaew` file.
    pub fn send_weights(&self, bytes: &[u8]) {
        self.0.post(Message::weights(bytes));
    }

    pub fn send(&self, request: &ComputeRequest) {
        if let Some(message) = Message::pack(request, None) {
            self.0.post(message);
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
            if let Some(event) = envelope::unpack::<TrainEvent>(&data) {
                on_event.emit(event);
            }
        };
        Port::start("./train_worker_loader.js", on_data, on_error).map(Self)
    }

    pub fn send(&self, command: &TrainCommand, weights: Option<&[u8]>) {
        if let Some(message) = Message::pack(command, weights) {
            self.0.post(message);
        }
    }
}
