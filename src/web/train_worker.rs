//! The train worker's runtime (the `train_worker` bin, a dedicated Web Worker built by Trunk
//! with `data-type="worker"` and the `gpu` feature): runs a [`TrainService`], so training never
//! holds up the page's input. It fetches the training images itself (gunzip by flate2) and
//! starts Burn on WebGPU when first told it will train there (a `Prepare` sent before the
//! images, so the adapter starts and the kernels compile while they load); the page's own
//! module carries neither the data nor wgpu, since nothing it runs reaches [`start`].
//!
//! Messages in: a [`TrainCommand`] with a weights file beside it or not, handled in order.
//! Messages out: `"ready"` once listening, then [`TrainEvent`]s, each with a weights file or not
//! ([`super::envelope`]). A lost WebGPU device is reported as `GpuLost`; the page then replaces
//! the worker with one on the CPU (as it does if the worker dies).

use std::rc::Rc;
use std::sync::Arc;

use futures::channel::mpsc;
use futures::StreamExt;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::MessageChannel;

use super::envelope::{self, Message};
use super::fetch::fetch_split_gz;
use super::gradient_workers::{self, GradientPool};
use super::worker_scope;
use crate::analysis::data_parallel::NoHelpers;
use crate::data::{Dataset, Digits, Split};
use crate::services::session::Device;
use crate::services::train_service::{Outgoing, TrainCommand, TrainEvent, TrainService};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

fn now_seconds() -> f64 {
    performance_now() / 1000.0
}

/// Listen to the page, then tell it so; one task owns the service from here on. Started as a
/// gradient worker (by another train worker), run that role instead.
pub fn start() {
    if gradient_workers::is_gradient_worker() {
        gradient_workers::start();
        return;
    }
    let (sender, receiver) = mpsc::unbounded::<JsValue>();
    worker_scope::listen(move |data| {
        let _ = sender.unbounded_send(data);
    });
    wasm_bindgen_futures::spawn_local(run(receiver));
    worker_scope::say_ready();
}

/// The one loop that owns the service: commands in order, and a chunk of training between
/// them while there is training to do.
async fn run(mut messages: mpsc::UnboundedReceiver<JsValue>) {
    let mut service = TrainService::new(now_seconds);
    let mut gpu_started = false;
    let mut test: Option<(Dataset, Digits)> = None;
    let turn = MessageChannel::new().ok();
    loop {
        let data = if service.busy() {
            // The sender lives as long as the worker, so an error means nothing is waiting.
            messages.try_recv().ok()
        } else {
            match messages.next().await {
                Some(data) => Some(data),
                None => return,
            }
        };
        let Some(data) = data else {
            if let Some(out) = service.chunk().await {
                post(out);
            }
            yield_to_events(turn.as_ref()).await;
            continue;
        };
        let Some((command, weights)) = envelope::unpack::<TrainCommand>(&data) else {
            continue;
        };
        match command {
            TrainCommand::Data { dataset, split } => {
                let event = match load(dataset, split, &mut test).await {
                    Ok((train, test)) => service.set_data(dataset, split, Arc::new(train), test),
                    Err(message) => TrainEvent::DataFailed {
                        dataset,
                        split,
                        message,
                    },
                };
                post(event.into());
            }
            TrainCommand::Workers { count } => {
                // The old gradient workers end before the new ones start.
                service.set_helpers(Box::new(NoHelpers), false);
                let pool =
                    GradientPool::start(count, Rc::new(|e: TrainEvent| post(e.into()))).await;
                service.set_helpers(Box::new(pool), count.is_none());
            }
            command => {
                let device = match &command {
                    TrainCommand::Prepare { device, .. }
                    | TrainCommand::Start { device, .. }
                    | TrainCommand::Switch { device, .. } => Some(*device),
                    _ => None,
                };
                if device == Some(Device::WebGpu) && !gpu_started {
                    start_gpu().await;
                    gpu_started = true;
                }
                for out in service.command(command, weights).await {
                    post(out);
                }
            }
        }
    }
}

/// The training split, and the test split (kept while the dataset stays the same).
async fn load(
    dataset: Dataset,
    split: Split,
    test: &mut Option<(Dataset, Digits)>,
) -> Result<(Digits, &Digits), String> {
    if test.as_ref().is_none_or(|(d, _)| *d != dataset) {
        *test = Some((dataset, fetch_digits(dataset, Split::Test).await?));
    }
    let train = fetch_digits(dataset, split).await?;
    let (_, test) = test.as_ref().ok_or("no test images")?;
    Ok((train, test))
}

/// `split` of `dataset`, gunzipped here by flate2.
async fn fetch_digits(dataset: Dataset, split: Split) -> Result<Digits, String> {
    let (images, labels) = fetch_split_gz(dataset, split).await?;
    Digits::from_gz(&images, &labels)
        .map(|d| d.prepared(dataset, split))
        .map_err(|e| e.to_string())
}

fn post(out: Outgoing) {
    if let Some(message) = Message::pack(&out.event, out.weights.as_deref()) {
        worker_scope::post(&message);
    }
}

/// Let message events run before the next chunk. A MessageChannel round trip is a task
/// without `setTimeout`'s 4 ms clamp on nested timers.
async fn yield_to_events(channel: Option<&MessageChannel>) {
    let Some(channel) = channel else {
        gloo_timers::future::TimeoutFuture::new(0).await;
        return;
    };
    let promise = Promise::new(&mut |resolve, _| {
        channel.port1().set_onmessage(Some(&resolve));
        let _ = channel.port2().post_message(&JsValue::NULL);
    });
    let _ = JsFuture::from(promise).await;
}

/// Start Burn's wgpu backend on this worker's WebGPU adapter. A lost device is reported to
/// the page, which replaces this worker. (Burn's set-up panics without an adapter; the page
/// asks for WebGPU only when it found one, and a panic here also ends in a CPU worker.)
#[cfg(feature = "gpu")]
async fn start_gpu() {
    use burn::backend::wgpu::{graphics::AutoGraphicsApi, init_setup_async, WgpuDevice};
    use js_sys::Reflect;
    // Failed reads on a lost device wait instead of panicking (see the script).
    let global = js_sys::global();
    if let Ok(import) = Reflect::get(&global, &"importScripts".into()) {
        if let Some(import) = import.dyn_ref::<js_sys::Function>() {
            let _ = import.call1(&global, &"./js/gpu-guard.js".into());
        }
    }
    let setup =
        init_setup_async::<AutoGraphicsApi>(&WgpuDevice::default(), Default::default()).await;
    setup.device.set_device_lost_callback(|reason, message| {
        post(
            TrainEvent::GpuLost {
                reason: format!("{reason:?}: {message}"),
            }
            .into(),
        );
    });
}

/// This build has no WebGPU backend; the service itself refuses to train there.
#[cfg(not(feature = "gpu"))]
async fn start_gpu() {}
