//! A playground session: the model being explored and trained, on whichever backend runs it.
//!
//! The page switches backend at run time (WebGPU when the browser has an adapter, else CPU), so
//! this wraps the generic [`Trainer`] in an enum over the concrete backends. Switching moves the
//! weights through the weights format, so a trained model survives it. No browser types here.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::analysis::data_parallel::GradientHelpers;
use crate::analysis::eval::encode_means;
use crate::analysis::evidence::{decode_flat, inspect, log_joint_on_grid, Grid, Inspection};
use crate::analysis::slow_step::SlowStep;
use crate::analysis::train::{ChunkReport, Clock, Progress, TrainError, TrainSettings, Trainer};
use crate::data::Digits;
use crate::vae::backend::{Cpu, CpuTrain, ReadbackError};
use crate::vae::dense::TrainBackend;
use crate::vae::elbo::Likelihood;
use crate::vae::model::{Vae, VaeConfig};
use crate::vae::weights::{self, Provenance, WeightsError};

#[cfg(feature = "gpu")]
use crate::vae::backend::{Gpu, GpuTrain};

/// Which device a model runs and trains on. The page names it without depending on wgpu (the
/// page's own code is built without it), and the train worker's messages carry it as `"Cpu"` or
/// `"WebGpu"`. Every build has both; only one built with the `gpu` feature can run `WebGpu`
/// (elsewhere a session on it is [`SessionError::NoWebGpu`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Device {
    Cpu,
    WebGpu,
}

impl Device {
    /// Whether this build can run a session on this device.
    pub fn supported(self) -> Result<(), SessionError> {
        match self {
            Device::Cpu => Ok(()),
            #[cfg(feature = "gpu")]
            Device::WebGpu => Ok(()),
            #[cfg(not(feature = "gpu"))]
            Device::WebGpu => Err(SessionError::NoWebGpu),
        }
    }
}

/// A [`Vae`] on whichever backend, without autodiff: what decodes and encodes outside training.
// A page holds one or two of these at a time; boxing the larger variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum AnyVae {
    Cpu(Vae<Cpu>),
    #[cfg(feature = "gpu")]
    WebGpu(Vae<Gpu>),
}

/// Run `$body` with `$m` bound to the model, whatever its backend (its device is the default one).
macro_rules! with_model {
    ($model:expr, $m:ident => $body:expr) => {
        match $model {
            AnyVae::Cpu($m) => $body,
            #[cfg(feature = "gpu")]
            AnyVae::WebGpu($m) => $body,
        }
    };
}

impl AnyVae {
    /// A CPU model from a weights file; the caller's current model is untouched.
    pub fn from_weights(bytes: &[u8]) -> Result<Self, WeightsError> {
        Ok(AnyVae::Cpu(weights::decode(bytes, &Default::default())?.0))
    }

    /// A CPU model that can only decode, from a preview file (see `weights::decode_preview`).
    pub fn from_preview(bytes: &[u8]) -> Result<Self, WeightsError> {
        Ok(AnyVae::Cpu(
            weights::decode_preview(bytes, &Default::default())?.0,
        ))
    }

    /// The weights as a weights file.
    pub async fn to_weights(
        &self,
        seed: u64,
        provenance: &Provenance,
    ) -> Result<Vec<u8>, WeightsError> {
        with_model!(self, m => weights::encode(m, seed, provenance).await)
    }

    /// Mean -ELBO parts over `data` (one seeded z sample per image).
    pub async fn evaluate(
        &self,
        data: &Digits,
        likelihood: Likelihood,
    ) -> Result<crate::vae::elbo::ElboParts, ReadbackError> {
        with_model!(self, m => crate::analysis::eval::evaluate(m, data, likelihood, 0, &Default::default()).await)
    }

    /// Decoded images (pixels in [0, 1], [`PIXELS`](crate::data::PIXELS) per point) for `z` = n
    /// points of 2 coordinates, in one batched decoder call (a trailing partial point is
    /// ignored). For a grid of images, pass `Grid::points()` flattened: 400 points (a 20×20 grid)
    /// are one call, no per-point tensors.
    pub async fn decode(&self, z: &[f32]) -> Result<Vec<f32>, ReadbackError> {
        self.decode_mean(z, Likelihood::Bernoulli).await
    }

    /// [`AnyVae::decode`], as the mean images of `likelihood` (which for the continuous Bernoulli
    /// are not the sigmoid of the logits).
    pub async fn decode_mean(
        &self,
        z: &[f32],
        likelihood: Likelihood,
    ) -> Result<Vec<f32>, ReadbackError> {
        with_model!(self, m => decode_flat(m, z, likelihood, &Default::default()).await)
    }

    /// The decoder as plain arrays, for decoding one point at a time without tensors.
    pub async fn point_decoder(&self) -> Result<crate::vae::model::PointDecoder, ReadbackError> {
        with_model!(self, m => crate::vae::model::PointDecoder::from_model(m).await)
    }

    /// ln p(x|z) + ln p(z) on `grid`: see [`crate::analysis::evidence::log_joint_on_grid`].
    pub async fn log_joint_on_grid(
        &self,
        x: &[f32],
        likelihood: Likelihood,
        grid: Grid,
    ) -> Result<Vec<f64>, ReadbackError> {
        with_model!(self, m => log_joint_on_grid(m, x, likelihood, grid, &Default::default()).await)
    }

    /// Everything the page shows for one image `x` ([`PIXELS`](crate::data::PIXELS) pixels in
    /// [0, 1]): see [`crate::analysis::evidence::inspect`].
    pub async fn inspect(
        &self,
        x: &[f32],
        likelihood: Likelihood,
        view: Grid,
        samples: usize,
        iwae_k: usize,
        seed: u64,
    ) -> Result<Inspection, ReadbackError> {
        with_model!(self, m => {
            inspect(m, x, likelihood, view, samples, iwae_k, seed, &Default::default()).await
        })
    }

    /// Means of q(z|x) for every image of `data`, flattened (z1, z2, z1, z2, ...).
    pub async fn encode_means(&self, data: &Digits) -> Result<Vec<f32>, ReadbackError> {
        with_model!(self, m => encode_means(m, data, &Default::default()).await)
    }
}

/// The trainer on one of the backends.
#[allow(clippy::large_enum_variant)] // one per page
pub enum Session {
    Cpu(Trainer<CpuTrain>),
    #[cfg(feature = "gpu")]
    WebGpu(Trainer<GpuTrain>),
}

/// Run `$body` with `$t` bound to the trainer, whatever its backend.
macro_rules! with_trainer {
    ($session:expr, $t:ident => $body:expr) => {
        match $session {
            Session::Cpu($t) => $body,
            #[cfg(feature = "gpu")]
            Session::WebGpu($t) => $body,
        }
    };
}

impl Session {
    /// A session continuing from `model_bytes` (a weights file) on `device`.
    pub fn from_weights(
        device: Device,
        model_bytes: &[u8],
        data: Arc<Digits>,
        settings: TrainSettings,
        clock: Clock,
    ) -> Result<Self, SessionError> {
        Ok(match device {
            Device::Cpu => Session::Cpu(trainer_from_bytes(model_bytes, data, settings, clock)?),
            #[cfg(feature = "gpu")]
            Device::WebGpu => {
                Session::WebGpu(trainer_from_bytes(model_bytes, data, settings, clock)?)
            }
            #[cfg(not(feature = "gpu"))]
            Device::WebGpu => return Err(SessionError::NoWebGpu),
        })
    }

    /// A session with fresh random weights.
    pub fn fresh(
        device: Device,
        config: VaeConfig,
        data: Arc<Digits>,
        settings: TrainSettings,
        clock: Clock,
    ) -> Result<Self, SessionError> {
        Ok(match device {
            Device::Cpu => Session::Cpu(Trainer::new(
                config,
                data,
                settings,
                clock,
                Default::default(),
            )?),
            #[cfg(feature = "gpu")]
            Device::WebGpu => Session::WebGpu(Trainer::new(
                config,
                data,
                settings,
                clock,
                Default::default(),
            )?),
            #[cfg(not(feature = "gpu"))]
            Device::WebGpu => return Err(SessionError::NoWebGpu),
        })
    }

    /// The device it trains on.
    pub fn device(&self) -> Device {
        match self {
            Session::Cpu(_) => Device::Cpu,
            #[cfg(feature = "gpu")]
            Session::WebGpu(_) => Device::WebGpu,
        }
    }

    /// The model as it stands, without autodiff.
    pub fn model(&self) -> AnyVae {
        match self {
            Session::Cpu(t) => AnyVae::Cpu(t.inference_model()),
            #[cfg(feature = "gpu")]
            Session::WebGpu(t) => AnyVae::WebGpu(t.inference_model()),
        }
    }

    pub async fn train_steps(&mut self, n: usize) -> Result<ChunkReport, TrainError> {
        with_trainer!(self, t => t.train_steps(n).await)
    }

    /// One step on a small batch, read back in full: see [`Trainer::slow_step`].
    pub async fn slow_step(&mut self) -> Result<(ChunkReport, SlowStep), TrainError> {
        with_trainer!(self, t => t.slow_step().await)
    }

    /// [`Session::train_steps`], sharing each batch with `helpers` on the CPU; WebGPU trains
    /// alone.
    pub async fn train_steps_with(
        &mut self,
        n: usize,
        helpers: &mut dyn GradientHelpers,
    ) -> Result<ChunkReport, TrainError> {
        match self {
            Session::Cpu(t) => t.train_steps_with(n, helpers).await,
            #[cfg(feature = "gpu")]
            Session::WebGpu(t) => t.train_steps(n).await,
        }
    }

    pub fn settings(&self) -> TrainSettings {
        with_trainer!(self, t => *t.settings())
    }

    pub fn set_settings(&mut self, settings: TrainSettings) {
        with_trainer!(self, t => t.set_settings(settings))
    }

    pub fn step(&self) -> usize {
        with_trainer!(self, t => t.step())
    }

    /// Launch one training step and return at once, reading nothing back (see
    /// [`Trainer::launch_step`]).
    pub fn launch_step(&mut self) {
        with_trainer!(self, t => t.launch_step())
    }

    pub fn progress(&self) -> Progress {
        with_trainer!(self, t => t.progress())
    }

    pub fn resume(&mut self, progress: Progress) {
        with_trainer!(self, t => t.resume(progress))
    }

    pub fn set_data(&mut self, data: Arc<Digits>) -> Result<(), TrainError> {
        with_trainer!(self, t => t.set_data(data))
    }

    pub fn epoch(&self) -> f64 {
        with_trainer!(self, t => t.epoch())
    }

    pub fn config(&self) -> VaeConfig {
        with_trainer!(self, t => t.config().clone())
    }

    pub fn history(&self) -> Vec<crate::analysis::train::HistoryRow> {
        with_trainer!(self, t => t.history().to_vec())
    }

    pub fn history_len(&self) -> usize {
        with_trainer!(self, t => t.history().len())
    }

    /// The history rows from `from` on (none if there are fewer).
    pub fn history_since(&self, from: usize) -> Vec<crate::analysis::train::HistoryRow> {
        with_trainer!(self, t => t.history().get(from..).unwrap_or_default().to_vec())
    }

    pub fn images_seen(&self) -> u64 {
        with_trainer!(self, t => t.images_seen())
    }

    pub fn train_seconds(&self) -> f64 {
        with_trainer!(self, t => t.train_seconds())
    }

    /// The current weights as a weights file.
    pub async fn weights(&self, provenance: &Provenance) -> Result<Vec<u8>, WeightsError> {
        self.model()
            .to_weights(self.config().seed, provenance)
            .await
    }
}

fn trainer_from_bytes<B: TrainBackend>(
    bytes: &[u8],
    data: Arc<Digits>,
    settings: TrainSettings,
    clock: Clock,
) -> Result<Trainer<B>, SessionError> {
    let device = B::Device::default();
    let (model, header) = weights::decode::<B>(bytes, &device)?;
    Ok(Trainer::with_model(
        model,
        header.config,
        data,
        settings,
        clock,
        device,
    )?)
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Weights(#[from] WeightsError),
    #[error(transparent)]
    Train(#[from] TrainError),
    /// [`Device::WebGpu`] asked of a build without the `gpu` feature.
    #[error("this build has no WebGPU backend")]
    NoWebGpu,
}
