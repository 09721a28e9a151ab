//! Gradient workers: the train worker's helpers on the CPU path
//! ([`crate::analysis::data_parallel`]). The train worker starts them from its own loader, so
//! they run its module (fetched once, then from the browser's cache) in the "gradient" role: each
//! gets the step's weights, images and noise of its share and answers the share's gradient.
//!
//! | from → to                | message                                                       |
//! |--------------------------|---------------------------------------------------------------|
//! | gradient worker → train  | `"ready"`, once it listens                                    |
//! | train → gradient worker  | `{share: "<ShareSpec JSON>", weights, x, eps: Float32Array}`   |
//! | gradient worker → train  | `{gradient, x, eps: Float32Array, kl, recon}` or `{failed: "why"}` |
//!
//! Every array's buffer is transferred, not copied, and comes back with the answer to carry the
//! next job ([`JobArrays`]): the weights' holding the gradient (both are one value per weight),
//! `x` and `eps` as they went. Fresh `ArrayBuffer`s each step (3.2 MB each way for the reference
//! model) were garbage for two heaps to collect, and two workers slowed down as they piled up.
//!
//! A worker that fails to start, errors or stops is left out from the next step on, and the
//! train worker computes its share of the step it failed in, so nothing is lost; the page is
//! told ([`TrainEvent::Workers`]).

use std::rc::Rc;

use futures::channel::mpsc;
use futures::future::{select, Either, LocalBoxFuture};
use futures::StreamExt;
use js_sys::{Array, Float32Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker, WorkerOptions};

use super::envelope::{self, Message};
use super::worker_scope;
use crate::analysis::data_parallel::{
    job_gradient, GradientHelpers, ShareError, ShareGradient, ShareJob, ShareSpec, MAX_SHARES,
};
use crate::services::train_service::TrainEvent;
use crate::vae::backend::CpuTrain;

/// The name a gradient worker is started with: how the train worker's module knows its role.
pub const ROLE: &str = "gradient";

/// A gradient worker that has not said it is ready by then is given up on (ms).
const READY_WITHIN_MS: u32 = 20_000;

/// Whether this worker was started as a gradient worker.
pub fn is_gradient_worker() -> bool {
    Reflect::get(&js_sys::global(), &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .is_some_and(|n| n == ROLE)
}

/// The cores the browser reports (`navigator.hardwareConcurrency`), 1 if it does not say.
fn cores() -> usize {
    Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|n| Reflect::get(&n, &"hardwareConcurrency".into()))
        .ok()
        .and_then(|c| c.as_f64())
        .map_or(1, |c| c.max(1.0) as usize)
}

/// What a gradient worker says.
enum Heard {
    Ready,
    /// The gradient, and the arrays its job came back in.
    Gradient(ShareGradient, Option<JobArrays>),
    Failed(String),
}

/// The arrays a job travels in, back and forth between the train worker and a gradient worker.
struct JobArrays {
    /// The weights on the way out, the gradient on the way back.
    weights: Float32Array,
    x: Float32Array,
    eps: Float32Array,
}

impl JobArrays {
    /// `weights` (already taken from `data`) with the arrays under `x` and `eps` in `data`.
    fn unpack(weights: Float32Array, data: &JsValue) -> Option<Self> {
        Some(Self {
            weights,
            x: float32_array(data, "x")?,
            eps: float32_array(data, "eps")?,
        })
    }
}

struct Helper {
    worker: Worker,
    /// The arrays the last answer came back in, for the next job.
    spare: Option<JobArrays>,
    heard: mpsc::UnboundedReceiver<Heard>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl Helper {
    fn start() -> Result<Self, String> {
        let options = WorkerOptions::new();
        options.set_name(ROLE);
        let worker = Worker::new_with_options("./train_worker_loader.js", &options)
            .map_err(|e| format!("{e:?}"))?;
        let (tx, heard) = mpsc::unbounded();
        let on_reply = tx.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let _ = on_reply.unbounded_send(unpack_reply(&e.data()));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        let on_error = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let message = e
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "it stopped".into());
            let _ = tx.unbounded_send(Heard::Failed(message));
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            spare: None,
            heard,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Until it says it is ready; `Err` if it fails or takes longer than [`READY_WITHIN_MS`].
    async fn ready(&mut self) -> Result<(), String> {
        let timeout = gloo_timers::future::TimeoutFuture::new(READY_WITHIN_MS);
        match select(self.heard.next(), timeout).await {
            Either::Left((Some(Heard::Ready), _)) => Ok(()),
            Either::Left((Some(Heard::Failed(why)), _)) => Err(why),
            Either::Left(_) => Err("it did not start".into()),
            Either::Right(_) => Err("it did not start in time".into()),
        }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// The train worker's gradient workers.
pub struct GradientPool {
    helpers: Vec<Helper>,
    /// Helpers given a job in the step under way.
    posted: usize,
    asked: usize,
    report: Rc<dyn Fn(TrainEvent)>,
}

impl GradientPool {
    /// Workers for `asked` (the train worker among them; `None`: the cores less one), at most
    /// the cores the browser reports. Waits until each is ready or failed; `report` hears how
    /// many train, now and whenever one fails later.
    pub async fn start(asked: Option<usize>, report: Rc<dyn Fn(TrainEvent)>) -> Self {
        let cores = cores();
        let asked = asked
            .unwrap_or(cores.saturating_sub(1))
            .clamp(1, MAX_SHARES);
        let mut why = (asked > cores).then(|| format!("this browser reports {cores} cores"));
        let mut helpers = Vec::new();
        for _ in 1..asked.min(cores) {
            let started = match Helper::start() {
                Ok(mut helper) => helper.ready().await.map(|()| helper),
                Err(e) => Err(e),
            };
            match started {
                Ok(helper) => helpers.push(helper),
                Err(e) => why = Some(format!("a gradient worker could not start ({e})")),
            }
        }
        let pool = Self {
            helpers,
            posted: 0,
            asked,
            report,
        };
        pool.tell(why);
        pool
    }

    fn tell(&self, why: Option<String>) {
        (self.report)(TrainEvent::Workers {
            asked: self.asked,
            running: 1 + self.helpers.len(),
            why,
        });
    }
}

impl GradientHelpers for GradientPool {
    fn count(&self) -> usize {
        self.helpers.len()
    }

    fn post(&mut self, weights: &[f32], jobs: &[ShareJob]) {
        self.posted = jobs.len().min(self.helpers.len());
        for (helper, job) in self.helpers.iter_mut().zip(jobs) {
            if let Some(message) = pack_job(weights, job, helper.spare.take()) {
                let _ = helper
                    .worker
                    .post_message_with_transfer(&message.data, &message.transfer);
            }
        }
    }

    fn collect(&mut self) -> LocalBoxFuture<'_, Vec<Result<ShareGradient, ShareError>>> {
        Box::pin(async move {
            let mut answers = Vec::with_capacity(self.posted);
            let mut failed = Vec::new();
            for (index, helper) in self.helpers.iter_mut().take(self.posted).enumerate() {
                let answer = match helper.heard.next().await {
                    Some(Heard::Gradient(g, arrays)) => {
                        helper.spare = arrays;
                        Ok(g)
                    }
                    Some(Heard::Failed(message)) => Err(message),
                    Some(Heard::Ready) | None => Err("it answered out of turn".into()),
                };
                answers.push(answer.map_err(|message| {
                    failed.push(index);
                    ShareError::Helper { index, message }
                }));
            }
            self.posted = 0;
            if let Some(ShareError::Helper { message, .. }) =
                answers.iter().find_map(|a| a.as_ref().err())
            {
                let why = format!("a gradient worker failed ({message})");
                for index in failed.into_iter().rev() {
                    self.helpers.remove(index);
                }
                self.tell(Some(why));
            }
            answers
        })
    }
}

/// `values` in `reuse` where it has their length, else in a new array; its buffer listed in
/// `transfer`.
fn float_array(values: &[f32], reuse: Option<Float32Array>, transfer: &Array) -> Float32Array {
    let array = match reuse {
        Some(array) if array.length() as usize == values.len() => {
            array.copy_from(values);
            array
        }
        _ => Float32Array::from(values),
    };
    transfer.push(&array.buffer());
    array
}

fn pack_job(weights: &[f32], job: &ShareJob, spare: Option<JobArrays>) -> Option<Message> {
    let spec = serde_json::to_string(&job.spec).ok()?;
    let (data, transfer) = (Object::new(), Array::new());
    let _ = Reflect::set(&data, &"share".into(), &spec.into());
    let (w, x, eps) = match spare {
        Some(a) => (Some(a.weights), Some(a.x), Some(a.eps)),
        None => (None, None, None),
    };
    for (key, values, reuse) in [
        ("weights", weights, w),
        ("x", &job.x, x),
        ("eps", &job.eps, eps),
    ] {
        let _ = Reflect::set(&data, &key.into(), &float_array(values, reuse, &transfer));
    }
    Some(Message {
        data: data.into(),
        transfer,
    })
}

fn float32_array(data: &JsValue, key: &str) -> Option<Float32Array> {
    Reflect::get(data, &key.into()).ok()?.dyn_into().ok()
}

fn floats(data: &JsValue, key: &str) -> Option<Vec<f32>> {
    float32_array(data, key).map(|a| a.to_vec())
}

fn number(data: &JsValue, key: &str) -> Option<f32> {
    Reflect::get(data, &key.into())
        .ok()?
        .as_f64()
        .map(|v| v as f32)
}

fn unpack_reply(data: &JsValue) -> Heard {
    if envelope::is_ready(data) {
        return Heard::Ready;
    }
    let gradient = (|| {
        let array = float32_array(data, "gradient")?;
        let gradient = ShareGradient {
            gradient: array.to_vec(),
            kl: number(data, "kl")?,
            recon: number(data, "recon")?,
        };
        Some((gradient, array))
    })();
    match gradient {
        Some((g, array)) => Heard::Gradient(g, JobArrays::unpack(array, data)),
        None => Heard::Failed(
            Reflect::get(data, &"failed".into())
                .ok()
                .and_then(|f| f.as_string())
                .unwrap_or_else(|| "an answer that was not a gradient".into()),
        ),
    }
}

/// A job's weights (in wasm memory), its share, and the arrays it came in (for the answer).
fn unpack_job(data: &JsValue) -> Result<(Vec<f32>, ShareJob, Option<JobArrays>), String> {
    let spec = Reflect::get(data, &"share".into())
        .ok()
        .and_then(|s| s.as_string())
        .ok_or("a message without a share")?;
    let spec: ShareSpec = serde_json::from_str(&spec).map_err(|e| e.to_string())?;
    let array = |key| floats(data, key).ok_or(format!("a share without `{key}`"));
    let job = ShareJob {
        spec,
        x: array("x")?,
        eps: array("eps")?,
    };
    let weights = float32_array(data, "weights").ok_or("a share without `weights`")?;
    Ok((weights.to_vec(), job, JobArrays::unpack(weights, data)))
}

/// The gradient role's runtime: answer each share in turn.
pub fn start() {
    let (sender, mut receiver) = mpsc::unbounded::<JsValue>();
    worker_scope::listen(move |data| {
        let _ = sender.unbounded_send(data);
    });
    wasm_bindgen_futures::spawn_local(async move {
        while let Some(data) = receiver.next().await {
            let (answer, spare) = match unpack_job(&data) {
                Ok((weights, job, arrays)) => {
                    let answer = job_gradient::<CpuTrain>(&weights, &job).await;
                    (answer.map_err(|e| e.to_string()), arrays)
                }
                Err(e) => (Err(e), None),
            };
            worker_scope::post(&pack_answer(answer, spare));
        }
    });
    worker_scope::say_ready();
}

/// The answer; a gradient goes back in the arrays its job came in.
fn pack_answer(answer: Result<ShareGradient, String>, arrays: Option<JobArrays>) -> Message {
    let (data, transfer) = (Object::new(), Array::new());
    match answer {
        Ok(g) => {
            let (reuse, sent) = match arrays {
                Some(a) => (Some(a.weights), vec![("x", a.x), ("eps", a.eps)]),
                None => (None, Vec::new()),
            };
            for (key, array) in sent {
                transfer.push(&array.buffer());
                let _ = Reflect::set(&data, &key.into(), &array);
            }
            let gradient = float_array(&g.gradient, reuse, &transfer);
            let _ = Reflect::set(&data, &"gradient".into(), &gradient);
            let _ = Reflect::set(&data, &"kl".into(), &g.kl.into());
            let _ = Reflect::set(&data, &"recon".into(), &g.recon.into());
        }
        Err(why) => {
            let _ = Reflect::set(&data, &"failed".into(), &why.into());
        }
    }
    Message {
        data: data.into(),
        transfer,
    }
}
