//! Training: a [`Trainer`] owns the model, the Adam optimiser and a data cursor, and advances in
//! small chunks so a browser can interleave training with rendering.

use std::sync::Arc;

use burn::module::AutodiffModule;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::analysis::batches::BatchCursor;
use crate::analysis::data_parallel::{
    add_share, flat_weights, gradients_params, job_gradient, share_gradient, share_rows,
    GradientHelpers, NoHelpers, ShareError, ShareJob, ShareSpec,
};
use crate::analysis::slow_step::{read_back, SlowStep, StepTensors, SLOW_BATCH};
use crate::data::Digits;
use crate::vae::backend::{read_f32, ReadbackError};
use crate::vae::dense::TrainBackend;
use crate::vae::elbo::{kl_standard_normal, ElboParts, Likelihood};
use crate::vae::model::{Vae, VaeConfig};
use crate::vae::optim::{adam, VaeOptimizer};
use crate::vae::rng::SeededRng;

#[derive(Debug, Error)]
pub enum TrainError {
    #[error("the loss became {value} at step {step}: training diverged. The weights were restored to step {restored_step}; lower the learning rate or beta and train again")]
    Diverged {
        step: usize,
        value: f64,
        restored_step: usize,
    },
    #[error(transparent)]
    Readback(#[from] ReadbackError),
    #[error("the training set is empty")]
    NoData,
    #[error(transparent)]
    Share(#[from] ShareError),
}

/// Hyperparameters that may change between chunks without resetting the model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    pub learning_rate: f64,
    /// Weight of the KL term: loss = recon + beta * KL.
    pub beta: f64,
    pub batch_size: usize,
    pub likelihood: Likelihood,
    /// Steps per history row.
    pub log_every: usize,
}

impl Default for TrainSettings {
    fn default() -> Self {
        Self {
            learning_rate: 1e-3,
            beta: 1.0,
            batch_size: 128,
            likelihood: Likelihood::Bernoulli,
            log_every: 50,
        }
    }
}

/// Training-batch averages over one logging interval, in nats per image.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// Optimiser steps taken so far.
    pub step: usize,
    /// Epochs completed, with the fraction of the current one.
    pub epoch: f64,
    pub images_seen: u64,
    pub kl: f64,
    pub recon: f64,
    /// recon + KL: -ELBO whatever beta was.
    pub neg_elbo: f64,
    /// recon + beta * KL: what was minimised.
    pub loss: f64,
    pub beta: f64,
    pub learning_rate: f64,
    /// Seconds spent training so far (pauses excluded).
    pub wall_seconds: f64,
}

/// What one call of [`Trainer::train_steps`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChunkReport {
    pub steps: usize,
    pub images: u64,
    /// Means over the chunk's batches.
    pub parts: ElboParts,
    pub seconds: f64,
}

impl ChunkReport {
    /// A chunk of no steps.
    pub const EMPTY: ChunkReport = ChunkReport {
        steps: 0,
        images: 0,
        parts: ElboParts {
            kl: 0.0,
            recon: 0.0,
        },
        seconds: 0.0,
    };

    pub fn images_per_second(&self) -> f64 {
        self.images as f64 / self.seconds.max(1e-9)
    }
}

/// Sums over the steps of the current, unfinished logging interval.
#[derive(Debug, Default, Clone, Copy)]
struct Interval {
    steps: usize,
    kl: f64,
    recon: f64,
}

/// One step taken: its batch, where the epoch stood, and what it computed.
struct TakenStep<B: TrainBackend> {
    indices: Vec<usize>,
    epoch_progress: f64,
    /// The batch means of KL and reconstruction, as one `[2]` tensor.
    means: Tensor<B::InnerBackend, 1>,
    tensors: StepTensors<B::InnerBackend>,
}

/// How far a run has come: carried over when the model moves to another backend, so the
/// step count and the chart go on where they were.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub step: usize,
    pub images_seen: u64,
    pub train_seconds: f64,
    pub history: Vec<HistoryRow>,
}

/// A monotonic clock in seconds; each platform passes its own (`Instant` natively,
/// `performance.now()` in the browser), which keeps this module free of platform code.
pub type Clock = fn() -> f64;

pub struct Trainer<B: TrainBackend> {
    model: Vae<B>,
    optim: VaeOptimizer<B>,
    config: VaeConfig,
    data: Arc<Digits>,
    cursor: BatchCursor,
    noise: SeededRng,
    settings: TrainSettings,
    step: usize,
    images_seen: u64,
    train_seconds: f64,
    interval: Interval,
    history: Vec<HistoryRow>,
    clock: Clock,
    device: B::Device,
    /// The start of the last chunk that trained cleanly: where a divergence in the first step of
    /// the next chunk goes back to.
    previous: Option<Snapshot<B>>,
}

/// The trainer's state at the start of a chunk, to go back to if the chunk diverges.
#[derive(Clone)]
struct Snapshot<B: TrainBackend> {
    model: Vae<B>,
    optim: VaeOptimizer<B>,
    cursor: BatchCursor,
    step: usize,
    images_seen: u64,
    train_seconds: f64,
    interval: Interval,
    history_len: usize,
}

impl<B: TrainBackend> Trainer<B> {
    /// A fresh model from `config` (its seed also seeds batching and noise).
    pub fn new(
        config: VaeConfig,
        data: Arc<Digits>,
        settings: TrainSettings,
        clock: Clock,
        device: B::Device,
    ) -> Result<Self, TrainError> {
        let model = config.init(&device);
        let model = with_output_bias_from_data(model, &data, &device);
        Self::with_model(model, config, data, settings, clock, device)
    }

    /// Continue from an existing model (e.g. pretrained weights) with a fresh optimiser.
    pub fn with_model(
        model: Vae<B>,
        config: VaeConfig,
        data: Arc<Digits>,
        settings: TrainSettings,
        clock: Clock,
        device: B::Device,
    ) -> Result<Self, TrainError> {
        if data.is_empty() {
            return Err(TrainError::NoData);
        }
        Ok(Self {
            model,
            optim: adam(),
            cursor: BatchCursor::new(data.len(), config.seed),
            noise: SeededRng::new(config.seed.wrapping_add(1)),
            config,
            data,
            settings,
            step: 0,
            images_seen: 0,
            train_seconds: 0.0,
            interval: Interval::default(),
            history: Vec::new(),
            clock,
            device,
            previous: None,
        })
    }

    pub fn model(&self) -> &Vae<B> {
        &self.model
    }

    pub fn config(&self) -> &VaeConfig {
        &self.config
    }

    pub fn settings(&self) -> &TrainSettings {
        &self.settings
    }

    /// Change learning rate, beta, batch size or decoder; takes effect at the next step.
    pub fn set_settings(&mut self, settings: TrainSettings) {
        self.settings = settings;
    }

    /// Train on other images from the next step on (e.g. all 60k instead of the first 10k),
    /// keeping the model and optimiser. The new set is walked in a fresh seeded order.
    pub fn set_data(&mut self, data: Arc<Digits>) -> Result<(), TrainError> {
        if data.is_empty() {
            return Err(TrainError::NoData);
        }
        self.cursor = BatchCursor::new(data.len(), self.config.seed);
        self.data = data;
        self.previous = None;
        Ok(())
    }

    pub fn progress(&self) -> Progress {
        Progress {
            step: self.step,
            images_seen: self.images_seen,
            train_seconds: self.train_seconds,
            history: self.history.clone(),
        }
    }

    /// Continue the counters and history of an earlier run (the weights come separately).
    pub fn resume(&mut self, progress: Progress) {
        self.step = progress.step;
        self.images_seen = progress.images_seen;
        self.train_seconds = progress.train_seconds;
        self.history = progress.history;
        self.previous = None;
    }

    pub fn train_len(&self) -> usize {
        self.data.len()
    }

    pub fn step(&self) -> usize {
        self.step
    }

    pub fn epoch(&self) -> f64 {
        self.cursor.epoch_progress()
    }

    pub fn images_seen(&self) -> u64 {
        self.images_seen
    }

    /// Seconds spent inside `train_steps` so far.
    pub fn train_seconds(&self) -> f64 {
        self.train_seconds
    }

    pub fn history(&self) -> &[HistoryRow] {
        &self.history
    }

    /// Take `n` optimiser steps, then read the losses back once (asynchronously, as wasm needs).
    ///
    /// If any step's loss is not finite, the model and optimiser return to their state before
    /// this chunk and [`TrainError::Diverged`] says so.
    pub async fn train_steps(&mut self, n: usize) -> Result<ChunkReport, TrainError> {
        self.train_steps_with(n, &mut NoHelpers).await
    }

    /// [`Trainer::train_steps`] with each batch shared with `helpers`
    /// ([`crate::analysis::data_parallel`]); with none, the batch is one share.
    pub async fn train_steps_with(
        &mut self,
        n: usize,
        helpers: &mut dyn GradientHelpers,
    ) -> Result<ChunkReport, TrainError> {
        let settings = self.settings;
        Ok(self.run_steps(n, settings, false, helpers).await?.0)
    }

    /// One step, as [`Trainer::train_steps`] takes it, on a batch of [`SLOW_BATCH`] images,
    /// with everything it computed read back, and a history row for it at once (so a chart
    /// gains its point now rather than at the end of the logging interval).
    pub async fn slow_step(&mut self) -> Result<(ChunkReport, SlowStep), TrainError> {
        let settings = TrainSettings {
            batch_size: SLOW_BATCH,
            ..self.settings
        };
        let (report, taken) = self.run_steps(1, settings, true, &mut NoHelpers).await?;
        let taken = taken.ok_or(TrainError::NoData)?;
        self.log_interval(taken.epoch_progress);
        let labels = taken.indices.iter().map(|&i| self.data.label(i)).collect();
        let after = self.model.valid();
        let record = read_back(
            taken.tensors,
            &after,
            self.step,
            taken.indices,
            labels,
            settings.likelihood,
            report.parts,
            settings.beta,
            settings.learning_rate,
        )
        .await?;
        Ok((report, record))
    }

    /// One step on the next batch, reading nothing back: the backend launches every kernel a
    /// step runs (on WebGPU, compiling each the first time) and this returns at once, the GPU
    /// working on meanwhile. The step counts for nothing: it is for a throwaway trainer.
    pub fn launch_step(&mut self) {
        let settings = self.settings;
        self.take_step(&settings);
    }

    /// One optimiser step on the cursor's next batch. Every step, fast or slow, is this one.
    fn take_step(&mut self, settings: &TrainSettings) -> TakenStep<B> {
        // The epoch this batch belongs to (the cursor moves on once its last batch is out).
        let epoch = self.cursor.epoch() as u64;
        let indices = self.cursor.next_batch(settings.batch_size);
        let epoch_progress = self.cursor.epoch_progress();
        let x = self
            .data
            .training_batch::<B>(&indices, self.config.seed, epoch, &self.device);
        let eps = self.noise_tensor(indices.len());
        let out = self.model.forward(x.clone(), eps.clone());
        let kl_each = kl_standard_normal(&out.posterior);
        let recon_each = settings.likelihood.nll(out.logits.clone(), x.clone());
        let kl = kl_each.clone().mean();
        let recon = recon_each.clone().mean();
        let loss = recon.clone() + kl.clone().mul_scalar(settings.beta);
        let grads = GradientsParams::from_grads(loss.backward(), &self.model);
        self.model = self
            .optim
            .step(settings.learning_rate, self.model.clone(), grads);
        TakenStep {
            indices,
            epoch_progress,
            means: Tensor::cat(vec![kl.inner(), recon.inner()], 0),
            tensors: StepTensors {
                x: x.inner(),
                eps: eps.inner(),
                mu: out.posterior.mu.inner(),
                logvar: out.posterior.logvar.inner(),
                z: out.z.inner(),
                logits: out.logits.inner(),
                kl: kl_each.inner(),
                recon: recon_each.inner(),
            },
        }
    }

    /// `n` steps with `settings`, the last one's tensors kept if `keep_last` (and the batch is
    /// not shared with `helpers`).
    async fn run_steps(
        &mut self,
        n: usize,
        settings: TrainSettings,
        keep_last: bool,
        helpers: &mut dyn GradientHelpers,
    ) -> Result<(ChunkReport, Option<TakenStep<B>>), TrainError> {
        let started = (self.clock)();
        let start = self.snapshot();
        let mut per_step = Vec::with_capacity(n);
        // Each step's batch size and epoch position, so history rows logged inside one chunk
        // carry their own counts.
        let mut counts = Vec::with_capacity(n);
        let mut images = 0u64;
        let mut last = None;
        for _ in 0..n {
            if helpers.count() == 0 {
                let taken = self.take_step(&settings);
                images += taken.indices.len() as u64;
                counts.push((taken.indices.len() as u64, taken.epoch_progress));
                per_step.push(taken.means.clone());
                if keep_last {
                    last = Some(taken);
                }
                continue;
            }
            // The epoch this batch belongs to (the cursor moves on once its last batch is out).
            let epoch = self.cursor.epoch() as u64;
            let indices = self.cursor.next_batch(settings.batch_size);
            images += indices.len() as u64;
            counts.push((indices.len() as u64, self.cursor.epoch_progress()));
            // The noise is drawn for the whole batch, however it is shared out.
            let eps = self.noise.normals(indices.len() * self.config.latent);
            per_step.push(self.shared_step(&indices, epoch, eps, helpers).await?);
        }
        if per_step.is_empty() {
            return Ok((ChunkReport::EMPTY, None));
        }
        let values = read_f32(Tensor::stack::<2>(per_step, 0)).await?;
        if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
            let value = values[bad] as f64;
            let step = self.step + bad / 2 + 1;
            // A step's loss is measured on the weights before it. If the chunk's first step blew
            // up, the chunk's starting weights are the bad ones: go back one chunk further.
            let target = if bad < 2 {
                self.previous.take().unwrap_or(start)
            } else {
                start
            };
            self.restore(target);
            return Err(TrainError::Diverged {
                step,
                value,
                restored_step: self.step,
            });
        }
        self.previous = Some(start);
        let seconds = (self.clock)() - started;
        let steps = values.len() / 2;
        let seconds_before = self.train_seconds;
        let (mut kl_sum, mut recon_sum) = (0.0, 0.0);
        for (i, (pair, &(batch, epoch))) in values.chunks_exact(2).zip(&counts).enumerate() {
            let (kl, recon) = (pair[0] as f64, pair[1] as f64);
            kl_sum += kl;
            recon_sum += recon;
            self.step += 1;
            self.images_seen += batch;
            // Steps are not timed one by one: spread the chunk's time evenly over them.
            self.train_seconds = seconds_before + seconds * (i + 1) as f64 / steps as f64;
            self.log(kl, recon, epoch);
        }
        let report = ChunkReport {
            steps,
            images,
            parts: ElboParts {
                kl: kl_sum / steps as f64,
                recon: recon_sum / steps as f64,
            },
            seconds,
        };
        Ok((report, last))
    }

    fn snapshot(&self) -> Snapshot<B> {
        Snapshot {
            model: self.model.clone(),
            optim: self.optim.clone(),
            cursor: self.cursor.clone(),
            step: self.step,
            images_seen: self.images_seen,
            train_seconds: self.train_seconds,
            interval: self.interval,
            history_len: self.history.len(),
        }
    }

    fn restore(&mut self, s: Snapshot<B>) {
        self.model = s.model;
        self.optim = s.optim;
        self.cursor = s.cursor;
        self.step = s.step;
        self.images_seen = s.images_seen;
        self.train_seconds = s.train_seconds;
        self.interval = s.interval;
        self.history.truncate(s.history_len);
    }

    /// One step on a batch cut into shares: the first computed here, one per helper there,
    /// summed in share order. A share whose helper failed is computed here instead.
    async fn shared_step(
        &mut self,
        indices: &[usize],
        epoch: u64,
        eps: Vec<f32>,
        helpers: &mut dyn GradientHelpers,
    ) -> Result<Tensor<B::InnerBackend, 1>, TrainError> {
        let settings = self.settings;
        let (seed, k) = (self.config.seed, self.config.latent);
        let spec = |rows: usize| ShareSpec {
            config: self.config.clone(),
            rows,
            batch: indices.len(),
            beta: settings.beta,
            likelihood: settings.likelihood,
        };
        let shares = share_rows(indices.len(), helpers.count() + 1);
        let jobs: Vec<ShareJob> = shares[1..]
            .iter()
            .map(|r| ShareJob {
                spec: spec(r.len()),
                x: self.data.training_pixels(&indices[r.clone()], seed, epoch),
                eps: eps[r.start * k..r.end * k].to_vec(),
            })
            .collect();
        let weights = flat_weights(&self.model).await?;
        helpers.post(&weights, &jobs);
        let own = shares[0].clone();
        let x = self
            .data
            .training_batch::<B>(&indices[own.clone()], seed, epoch, &self.device);
        let own_eps = TensorData::new(eps[own.start * k..own.end * k].to_vec(), [own.len(), k]);
        let own_eps = Tensor::from_data(own_eps, &self.device);
        let mut sum = share_gradient(&self.model, x, own_eps, &spec(own.len())).await?;
        let mut answers = helpers.collect().await.into_iter();
        for job in &jobs {
            let part = match answers.next() {
                Some(Ok(part)) => part,
                _ => job_gradient::<B>(&weights, job).await?,
            };
            add_share(&mut sum.gradient, &part.gradient);
            sum.kl += part.kl;
            sum.recon += part.recon;
        }
        let grads = gradients_params(&self.model, &sum.gradient, &self.device);
        self.model = self
            .optim
            .step(settings.learning_rate, self.model.clone(), grads);
        Ok(Tensor::from_data(
            TensorData::new(vec![sum.kl, sum.recon], [2]),
            &self.device,
        ))
    }

    /// The next batch's noise ε, drawn for the whole batch.
    fn noise_tensor(&mut self, batch: usize) -> Tensor<B, 2> {
        let k = self.config.latent;
        Tensor::from_data(
            TensorData::new(self.noise.normals(batch * k), [batch, k]),
            &self.device,
        )
    }

    fn log(&mut self, kl: f64, recon: f64, epoch: f64) {
        let iv = &mut self.interval;
        iv.steps += 1;
        iv.kl += kl;
        iv.recon += recon;
        if iv.steps >= self.settings.log_every.max(1) {
            self.log_interval(epoch);
        }
    }

    /// A history row of the interval's steps so far, if it has any.
    fn log_interval(&mut self, epoch: f64) {
        let iv = &mut self.interval;
        if iv.steps > 0 {
            let n = iv.steps as f64;
            let (kl, recon) = (iv.kl / n, iv.recon / n);
            *iv = Interval::default();
            self.history.push(HistoryRow {
                step: self.step,
                epoch,
                images_seen: self.images_seen,
                kl,
                recon,
                neg_elbo: recon + kl,
                loss: recon + self.settings.beta * kl,
                beta: self.settings.beta,
                learning_rate: self.settings.learning_rate,
                wall_seconds: self.train_seconds,
            });
        }
    }

    /// The trained model without autodiff, for decoding and evaluation.
    pub fn inference_model(&self) -> Vae<B::InnerBackend> {
        self.model.valid()
    }
}

/// Start the decoder's output bias at the log-odds of each pixel's mean over the training set,
/// so a fresh model begins by drawing the average image rather than grey noise (the
/// initialisation Burda et al. use for IWAE). It saves the first few hundred steps.
fn with_output_bias_from_data<B: TrainBackend>(
    mut model: Vae<B>,
    data: &Digits,
    device: &B::Device,
) -> Vae<B> {
    let n = data.len().max(1) as f64;
    let mut sums = vec![0.0f64; crate::data::PIXELS];
    for i in 0..data.len() {
        for (s, &p) in sums.iter_mut().zip(data.image(i)) {
            *s += p as f64 / 255.0;
        }
    }
    let logits: Vec<f32> = sums
        .iter()
        .map(|s| {
            let p = (s / n).clamp(1e-3, 1.0 - 1e-3);
            (p / (1.0 - p)).ln() as f32
        })
        .collect();
    if model.dec_out.weight.dims()[1] == logits.len() {
        let bias = Tensor::from_data(TensorData::new(logits, [crate::data::PIXELS]), device);
        model.dec_out.bias = Some(burn::module::Param::from_tensor(bias));
    }
    model
}
