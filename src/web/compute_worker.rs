//! The compute worker's runtime (the `compute_worker` bin, a dedicated Web Worker built by Trunk
//! with `data-type="worker"`): answers [`ComputeRequest`]s — the posterior picture, ln p(x) and
//! the gap, decoded grids — on a CPU model of the weights it was last sent, so that this work
//! never blocks the page's input handling.
//!
//! Messages in: a weights file alone, or a request, handled one at a time in order. Messages
//! out: `"ready"` once listening, then a [`ComputeReply`] per request ([`super::envelope`]).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use wasm_bindgen::JsValue;

use super::envelope::{self, Message};
use super::worker_scope;
use crate::services::compute::{ComputeReply, ComputeRequest, Computer};

#[derive(Default)]
struct State {
    computer: Computer,
    queue: VecDeque<JsValue>,
    draining: bool,
}

/// Listen to the page, then tell it so.
pub fn start() {
    let state = Rc::new(RefCell::new(State::default()));
    worker_scope::listen(move |data| {
        let start = {
            let mut s = state.borrow_mut();
            s.queue.push_back(data);
            !std::mem::replace(&mut s.draining, true)
        };
        if start {
            wasm_bindgen_futures::spawn_local(drain(state.clone()));
        }
    });
    worker_scope::say_ready();
}

/// Handle queued messages in order; only this task touches the model.
async fn drain(state: Rc<RefCell<State>>) {
    loop {
        let Some(data) = state.borrow_mut().queue.pop_front() else {
            state.borrow_mut().draining = false;
            return;
        };
        if let Some(bytes) = envelope::unpack_weights(&data) {
            // A bad file keeps the old model; the page validated it before sending.
            let _ = state.borrow_mut().computer.set_weights(&bytes);
            continue;
        }
        let Some((request, _)) = envelope::unpack::<ComputeRequest>(&data) else {
            continue;
        };
        // Take the model out while awaiting, so no borrow is held across the await.
        let computer = std::mem::take(&mut state.borrow_mut().computer);
        let reply: ComputeReply = computer.handle(request).await;
        state.borrow_mut().computer = computer;
        if let Some(message) = Message::pack(&reply, None) {
            worker_scope::post(&message);
        }
    }
}
