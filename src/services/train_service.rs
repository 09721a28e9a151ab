//! Training as a service the page drives by messages: the train worker
//! (`src/bin/train_worker.rs`) runs a [`TrainService`] off the page's thread, so a slider never
//! waits for a training step. Commands come in order; while it runs, the service trains chunk
//! after chunk and reports each one. Weights travel as `.vaew` files beside the JSON. No browser
//! types here: the tests drive the service natively.

use std::sync::Arc;

use crate::analysis::data_parallel::{GradientHelpers, NoHelpers, AUTO_SHARE_MIN_BATCH};
use crate::analysis::train::{ChunkReport, Clock, Progress, TrainError, TrainSettings};
use crate::data::{dataset_file, Dataset, Digits, Split};
use crate::services::session::{Device, Session};
use crate::vae::kernel_choice::{
    compile_ahead, training_products, Chosen, Kernel, KernelReport, KernelSetting, KernelTable,
    Product, BUDGET_MS,
};
use crate::vae::model::VaeConfig;
use crate::vae::weights::Provenance;

mod kernels;
mod messages;

pub use messages::{ChunkEvent, ChunkFailure, Outgoing, TrainCommand, TrainEvent};

/// A chunk of steps aims at this long, then the service reports and reads its messages: the
/// most a Pause waits, and what each step's share of a chunk's own costs (the report, the
/// page's update, the divergence snapshot's copy) shrinks with.
const CHUNK_MS: f64 = 100.0;
/// While running, the weights go to the page this often (ms): the decoded image, the
/// checkpoint a lost GPU falls back to, and what is remembered all come from them.
pub const WEIGHTS_EVERY_MS: f64 = 250.0;
/// While running, new history rows go to the page this often (ms).
const HISTORY_EVERY_MS: f64 = 200.0;
/// While running, the latent map's means and the test -ELBO are computed this often (ms),
/// taking turns; a report that says training stopped carries both.
const EXTRAS_EVERY_MS: f64 = 1000.0;
/// While running, reading the weights back and computing the extras take at most about this
/// share of the worker's time: where they are slow (a software GPU adapter, where the map's means
/// take longer than a training step), they come less often than the periods above.
const SIDE_WORK_SHARE: f64 = 0.1;
/// Test images encoded for the latent map, and evaluated for the test -ELBO.
pub const MAP_POINTS: usize = 2000;
pub const TEST_EVAL_IMAGES: usize = 500;

pub struct TrainService {
    clock: Clock,
    session: Option<Session>,
    generation: u64,
    device: Device,
    dataset: Option<Dataset>,
    train: Option<Arc<Digits>>,
    map: Option<Digits>,
    eval: Option<Digits>,
    running: bool,
    /// Steps a `Step` command still asks for.
    steps_left: usize,
    chunk_steps: usize,
    /// History rows the page has.
    history_sent: usize,
    last_weights: f64,
    last_history: f64,
    last_extras: f64,
    /// The current periods of weights and extras (ms), paced by [`SIDE_WORK_SHARE`].
    weights_every: f64,
    extras_every: f64,
    test_turn: bool,
    /// Whether WebGPU trainers may start (a build with `gpu` on a working adapter).
    webgpu: bool,
    kernel_setting: KernelSetting,
    /// The kernel choice remembered or measured for this adapter.
    kernels_known: Option<KernelTable>,
    /// The kernels are measured before the next chunk.
    measure_due: bool,
    /// The products the kernels in use were chosen for.
    kernel_products: Vec<Product>,
    /// Where shares of a CPU trainer's batches are computed besides here.
    helpers: Box<dyn GradientHelpers>,
    /// The helpers' count was `auto`'s: they share only batches of [`AUTO_SHARE_MIN_BATCH`]
    /// or more.
    helpers_auto: bool,
}

impl TrainService {
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            session: None,
            generation: 0,
            device: Device::Cpu,
            dataset: None,
            train: None,
            map: None,
            eval: None,
            running: false,
            steps_left: 0,
            chunk_steps: 1,
            history_sent: 0,
            last_weights: 0.0,
            last_history: 0.0,
            last_extras: 0.0,
            weights_every: WEIGHTS_EVERY_MS,
            extras_every: EXTRAS_EVERY_MS,
            test_turn: false,
            webgpu: true,
            kernel_setting: KernelSetting::Auto,
            kernels_known: None,
            measure_due: false,
            kernel_products: Vec::new(),
            helpers: Box::new(NoHelpers),
            helpers_auto: false,
        }
    }

    /// Share CPU trainers' batches with `helpers` from the next chunk on; `auto`: the count
    /// was not the user's, so only batches of [`AUTO_SHARE_MIN_BATCH`] or more are shared.
    pub fn set_helpers(&mut self, helpers: Box<dyn GradientHelpers>, auto: bool) {
        self.helpers = helpers;
        self.helpers_auto = auto;
    }

    /// Whether the current trainer's batches go to the helpers.
    fn sharing(&self) -> bool {
        let batch = self.session.as_ref().map(|s| s.settings().batch_size);
        !self.helpers_auto || batch.is_some_and(|b| b >= AUTO_SHARE_MIN_BATCH)
    }

    /// Workers computing the gradients of the current trainer.
    fn workers(&self) -> usize {
        match self.device {
            Device::Cpu if self.sharing() => 1 + self.helpers.count(),
            Device::Cpu => 1,
            Device::WebGpu => 1,
        }
    }

    /// A service that refuses WebGPU trainers, as on a machine whose adapter fails.
    pub fn without_webgpu(self) -> Self {
        Self {
            webgpu: false,
            ..self
        }
    }

    /// Whether a trainer can run on `device` here.
    fn supports(&self, device: Device) -> Result<(), String> {
        if device == Device::WebGpu && !self.webgpu {
            return Err("WebGPU is not available on this machine".into());
        }
        device.supported().map_err(|e| e.to_string())
    }

    fn now_ms(&self) -> f64 {
        (self.clock)() * 1000.0
    }

    /// The images to train on (fetched by the worker for a `Data` command) and the test split.
    pub fn set_data(
        &mut self,
        dataset: Dataset,
        split: Split,
        train: Arc<Digits>,
        test: &Digits,
    ) -> TrainEvent {
        if let Some(session) = self.session.as_mut() {
            if let Err(e) = session.set_data(train.clone()) {
                return TrainEvent::DataFailed {
                    dataset,
                    split,
                    message: e.to_string(),
                };
            }
        }
        let images = train.len();
        self.dataset = Some(dataset);
        self.train = Some(train);
        self.map = Some(test.take(MAP_POINTS));
        self.eval = Some(test.take(TEST_EVAL_IMAGES));
        TrainEvent::DataLoaded {
            dataset,
            split,
            images,
        }
    }

    /// Whether a chunk is due: running, or steps asked for.
    pub fn busy(&self) -> bool {
        self.session.is_some() && (self.running || self.steps_left > 0)
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Handle one command (all but `Data`, whose files the worker fetches first).
    pub async fn command(
        &mut self,
        command: TrainCommand,
        weights: Option<Vec<u8>>,
    ) -> Vec<Outgoing> {
        match command {
            TrainCommand::Data { .. } | TrainCommand::Workers { .. } => Vec::new(),
            TrainCommand::Prepare {
                device,
                hidden,
                settings,
            } => {
                if device == Device::WebGpu && self.supports(device).is_ok() {
                    self.compile_ahead(hidden, settings);
                }
                Vec::new()
            }
            TrainCommand::OwnData { seed, split } => {
                let event = match own_split(weights.as_deref(), seed) {
                    Ok((train, test)) => self.set_data(Dataset::Own, split, Arc::new(train), &test),
                    Err(message) => TrainEvent::DataFailed {
                        dataset: Dataset::Own,
                        split,
                        message,
                    },
                };
                vec![event.into()]
            }
            TrainCommand::Start {
                generation,
                device,
                fresh,
                progress,
                settings,
            } => {
                self.generation = generation;
                self.pause();
                match self.start(device, fresh, progress, settings, weights) {
                    Ok(session) => self.started(session, device).await,
                    Err(message) => vec![TrainEvent::StartFailed {
                        generation,
                        message,
                    }
                    .into()],
                }
            }
            TrainCommand::Switch { generation, device } => {
                self.generation = generation;
                self.pause();
                // The history moves with the trainer: rows not yet sent still go with the next
                // report, so the page's chart has no gap.
                let unsent = self.history_sent;
                match self.switch(device).await {
                    Ok(session) => {
                        let out = self.started(session, device).await;
                        self.history_sent = unsent;
                        out
                    }
                    Err(message) => vec![TrainEvent::StartFailed {
                        generation,
                        message,
                    }
                    .into()],
                }
            }
            TrainCommand::Settings { settings } => {
                if let Some(s) = self.session.as_mut() {
                    s.set_settings(settings);
                }
                // Another batch size makes other products.
                match self.gpu_products() {
                    Some(p) if p != self.kernel_products => self.choose_kernels(),
                    _ => Vec::new(),
                }
            }
            TrainCommand::Kernels {
                setting,
                remembered,
            } => {
                self.kernel_setting = setting;
                self.kernels_known = remembered;
                self.choose_kernels()
            }
            TrainCommand::Run => {
                self.running = self.session.is_some();
                Vec::new()
            }
            TrainCommand::Pause => {
                // A pause between chunks: say so, with the weights as they are.
                let was_busy = self.busy();
                self.pause();
                match was_busy {
                    true => self.report(None, None).await.into_iter().collect(),
                    false => Vec::new(),
                }
            }
            TrainCommand::Step { steps } => {
                self.running = false;
                self.steps_left = if self.session.is_some() { steps } else { 0 };
                Vec::new()
            }
            TrainCommand::SlowStep => self.slow_step().await.into_iter().collect(),
        }
    }

    /// One slow-motion step, paused before and after; its report carries the weights, the
    /// map's means and the test -ELBO, as every report after a stop does.
    async fn slow_step(&mut self) -> Option<Outgoing> {
        self.pause();
        match self.session.as_mut()?.slow_step().await {
            Ok((report, record)) => {
                let out = self.report(Some(report), None).await?;
                let TrainEvent::Chunk(chunk) = out.event else {
                    return Some(out);
                };
                Some(Outgoing {
                    event: TrainEvent::SlowStep {
                        record: Box::new(record),
                        chunk,
                    },
                    weights: out.weights,
                })
            }
            Err(e) => {
                let failure = ChunkFailure {
                    diverged: matches!(e, TrainError::Diverged { .. }),
                    message: e.to_string(),
                };
                self.report(None, Some(failure)).await
            }
        }
    }

    fn pause(&mut self) {
        self.running = false;
        self.steps_left = 0;
    }

    fn start(
        &self,
        device: Device,
        fresh: Option<VaeConfig>,
        progress: Progress,
        settings: TrainSettings,
        weights: Option<Vec<u8>>,
    ) -> Result<Session, String> {
        self.supports(device)?;
        let data = self
            .train
            .clone()
            .ok_or("the training images are not loaded")?;
        let mut session = match fresh {
            Some(config) => Session::fresh(device, config, data, settings, self.clock),
            None => {
                let bytes = weights.ok_or("no weights came with the command")?;
                Session::from_weights(device, &bytes, data, settings, self.clock)
            }
        }
        .map_err(|e| e.to_string())?;
        session.resume(progress);
        Ok(session)
    }

    async fn switch(&mut self, device: Device) -> Result<Session, String> {
        self.supports(device)?;
        let (Some(old), Some(data)) = (self.session.as_ref(), self.train.clone()) else {
            return Err("there is no trainer to move".into());
        };
        let bytes = old
            .weights(&self.provenance(old))
            .await
            .map_err(|e| e.to_string())?;
        let mut session = Session::from_weights(device, &bytes, data, old.settings(), self.clock)
            .map_err(|e| e.to_string())?;
        session.resume(old.progress());
        Ok(session)
    }

    async fn started(&mut self, session: Session, device: Device) -> Vec<Outgoing> {
        let weights = session.weights(&self.provenance(&session)).await.ok();
        let event = TrainEvent::Started {
            generation: self.generation,
            device,
            config: session.config(),
            step: session.step(),
        };
        self.history_sent = session.history_len();
        self.session = Some(session);
        self.device = device;
        self.chunk_steps = 1;
        let mut out = self.choose_kernels();
        out.push(Outgoing { event, weights });
        out
    }

    fn provenance(&self, session: &Session) -> Provenance {
        Provenance {
            dataset: self.dataset,
            likelihood: session.settings().likelihood,
            steps: session.step() as u64,
            note: "trained in the VAE playground".into(),
            classes: Vec::new(),
        }
    }

    /// Train one chunk if one is due, and report it. A kernel measurement that is due comes
    /// first, as a chunk of its own.
    pub async fn chunk(&mut self) -> Option<Outgoing> {
        if !self.busy() {
            return None;
        }
        if self.measure_due {
            return self.measure_kernels().await;
        }
        let n = if self.running {
            self.chunk_steps
        } else {
            self.steps_left
        };
        let mut alone = NoHelpers;
        let helpers: &mut dyn GradientHelpers = match self.sharing() {
            true => self.helpers.as_mut(),
            false => &mut alone,
        };
        let session = self.session.as_mut()?;
        let result = session.train_steps_with(n, helpers).await;
        self.steps_left = self.steps_left.saturating_sub(n);
        let failure = match result {
            Ok(report) => {
                if report.steps > 0 && self.running {
                    let ms_per_step = report.seconds * 1000.0 / report.steps as f64;
                    self.chunk_steps =
                        ((CHUNK_MS / ms_per_step.max(0.1)).round() as usize).clamp(1, 64);
                }
                return self.report(Some(report), None).await;
            }
            Err(e) => ChunkFailure {
                diverged: matches!(e, TrainError::Diverged { .. }),
                message: e.to_string(),
            },
        };
        self.pause();
        self.report(None, Some(failure)).await
    }

    async fn report(
        &mut self,
        report: Option<ChunkReport>,
        error: Option<ChunkFailure>,
    ) -> Option<Outgoing> {
        let stopped = !self.busy();
        let now = self.now_ms();
        let history_due = stopped || now - self.last_history > HISTORY_EVERY_MS;
        let weights_due = stopped || now - self.last_weights > self.weights_every;
        let extras_due = !stopped && now - self.last_extras > self.extras_every;
        if history_due {
            self.last_history = now;
        }
        if weights_due {
            self.last_weights = now;
        }
        if extras_due {
            self.last_extras = now;
            self.test_turn = !self.test_turn;
        }
        let session = self.session.as_ref()?;
        let rows = session.history_len();
        let history_from = self.history_sent.min(rows);
        let history = match history_due {
            true => session.history_since(history_from),
            false => Vec::new(),
        };
        let weights = match weights_due {
            true => {
                let started = self.now_ms();
                let weights = session.weights(&self.provenance(session)).await.ok();
                self.weights_every = paced(WEIGHTS_EVERY_MS, self.now_ms() - started);
                weights
            }
            false => None,
        };
        let (want_test, want_means) = match (stopped, extras_due) {
            (true, _) => (true, true),
            (false, true) => (self.test_turn, !self.test_turn),
            (false, false) => (false, false),
        };
        let (mut means, mut test) = (None, None);
        if want_test || want_means {
            let started = self.now_ms();
            let model = session.model();
            if let (true, Some(eval)) = (want_test, &self.eval) {
                test = model
                    .evaluate(eval, session.settings().likelihood)
                    .await
                    .ok();
            }
            if let (true, Some(map)) = (want_means, &self.map) {
                means = model.encode_means(map).await.ok();
            }
            if extras_due {
                self.extras_every = paced(EXTRAS_EVERY_MS, self.now_ms() - started);
            }
        }
        let report = report.unwrap_or(ChunkReport::EMPTY);
        let event = ChunkEvent {
            generation: self.generation,
            step: session.step(),
            epoch: session.epoch(),
            images_seen: session.images_seen(),
            train_seconds: session.train_seconds(),
            steps: report.steps,
            images: report.images,
            seconds: report.seconds,
            parts: report.parts,
            running: !stopped,
            error,
            history_from,
            history,
            weights: weights.is_some(),
            means,
            test,
            workers: self.workers(),
        };
        if history_due {
            self.history_sent = rows;
        }
        Some(Outgoing {
            event: TrainEvent::Chunk(Box::new(event)),
            weights,
        })
    }
}

/// The period (ms) of side work that took `cost_ms`: at least `every_ms`, and long enough that
/// it takes at most [`SIDE_WORK_SHARE`] of the time.
fn paced(every_ms: f64, cost_ms: f64) -> f64 {
    every_ms.max(cost_ms / SIDE_WORK_SHARE)
}

/// A user's set from its dataset file, split by `seed`.
fn own_split(file: Option<&[u8]>, seed: u64) -> Result<(Digits, Digits), String> {
    let file = file.ok_or("no dataset file came with the command")?;
    let set = dataset_file::decode(file).map_err(|e| e.to_string())?;
    set.split(seed).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_work_keeps_its_period_when_cheap_and_spaces_out_when_slow() {
        // The CPU: the map's means in 60 ms keep the 1 s period.
        assert_eq!(paced(EXTRAS_EVERY_MS, 60.0), EXTRAS_EVERY_MS);
        // A software GPU: means that take 400 ms come every 4 s, a tenth of the time.
        let every = paced(EXTRAS_EVERY_MS, 400.0);
        assert!((every - 4000.0).abs() < 1e-9, "{every}");
        assert!(400.0 / every <= SIDE_WORK_SHARE + 1e-12);
    }
}
