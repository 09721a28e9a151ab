//! Where per-input computations run: the compute worker, or this thread when no worker could
//! be had. One `send` for both, answered by the same `ComputeReply`.

use std::rc::Rc;

use yew::Callback;

use crate::services::compute::{ComputeReply, ComputeRequest, Computer};
use crate::services::session::AnyVae;
use crate::vae::weights::Provenance;

use super::worker::ComputeWorker;

pub enum ComputeClient {
    /// The compute worker, and the model version whose weights it has.
    Worker(Rc<ComputeWorker>, u64),
    /// No worker: the same work on the page's thread.
    Local,
}

impl ComputeClient {
    /// The worker, or this thread if the browser gives none.
    pub fn start(on_reply: Callback<ComputeReply>, on_error: Callback<String>) -> Self {
        match ComputeWorker::start(on_reply, on_error) {
            Some(worker) => Self::Worker(Rc::new(worker), 0),
            None => Self::Local,
        }
    }

    pub fn is_worker(&self) -> bool {
        matches!(self, Self::Worker(..))
    }

    /// Answer `request` on `model` (of `version`) through `on_reply`. The worker gets the
    /// weights first when it has older ones; sends go through the task queue in order, so a
    /// request never overtakes its weights.
    pub fn send(
        &mut self,
        request: ComputeRequest,
        model: AnyVae,
        version: u64,
        on_reply: Callback<ComputeReply>,
    ) {
        match self {
            Self::Worker(worker, has) => {
                let stale = *has != version;
                *has = version;
                let worker = worker.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if stale {
                        if let Ok(bytes) = model.to_weights(0, &Provenance::default()).await {
                            worker.send_weights(&bytes);
                        }
                    }
                    worker.send(&request);
                });
            }
            Self::Local => wasm_bindgen_futures::spawn_local(async move {
                // Let the page paint (the posterior picture, slider moves) before the long part.
                gloo_timers::future::TimeoutFuture::new(0).await;
                on_reply.emit(Computer::with_model(model).handle(request).await);
            }),
        }
    }
}
