//! The train worker's messages: what the page asks ([`TrainCommand`]) and what the service
//! answers ([`TrainEvent`], with the weights file beside it in [`Outgoing`]).

use serde::{Deserialize, Serialize};

use crate::analysis::slow_step::SlowStep;
use crate::analysis::train::{HistoryRow, Progress, TrainSettings};
use crate::data::{Dataset, Split};
use crate::services::session::Device;
use crate::vae::elbo::ElboParts;
use crate::vae::kernel_choice::{KernelReport, KernelSetting, KernelTable};
use crate::vae::model::VaeConfig;

/// What the page asks. `generation` numbers trainers: events of an older one are stale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum TrainCommand {
    /// Train on `split` of `dataset` from now on. The worker fetches it, with the test split
    /// for the map and test -ELBO it reports while running.
    Data {
        dataset: Dataset,
        split: Split,
    },
    /// Train on a user's set from now on: the dataset file (`.vaed`) sent with the command,
    /// split by `seed` into training and test images as the page split it
    /// ([`crate::data::own::OwnSet::split`]). Reported as `Data` is, for [`Dataset::Own`].
    OwnData {
        seed: u64,
        split: Split,
    },
    /// A trainer on `device` with `hidden` units and these settings is to start once the
    /// training images are in: on WebGPU the worker starts the adapter and has the kernels that
    /// trainer runs first compiled meanwhile (seconds on a software adapter): the matmul
    /// kernels it measures or uses, then those of a training step.
    Prepare {
        #[serde(rename = "backend")]
        device: Device,
        hidden: usize,
        settings: TrainSettings,
    },
    /// A new trainer in place of the current one: fresh from `fresh`, or else from the weights
    /// file sent with the command, continuing `progress`. It starts paused.
    Start {
        generation: u64,
        #[serde(rename = "backend")]
        device: Device,
        fresh: Option<VaeConfig>,
        progress: Progress,
        settings: TrainSettings,
    },
    /// The current trainer (weights, step, history) on another backend.
    Switch {
        generation: u64,
        #[serde(rename = "backend")]
        device: Device,
    },
    Settings {
        settings: TrainSettings,
    },
    Run,
    Pause,
    Step {
        steps: usize,
    },
    /// One step taken apart for slow motion: `SlowStep` answers (or a `Chunk` with the error).
    SlowStep,
    /// Which matmul kernels a WebGPU trainer uses: `setting`, and when that is `Auto`, the
    /// choice remembered for this adapter (measured again if it lacks today's products).
    Kernels {
        setting: KernelSetting,
        remembered: Option<KernelTable>,
    },
    /// Train on the CPU with this many workers, each computing the gradient of a share of every
    /// batch (`None`: the browser's cores less one, at most
    /// [`MAX_SHARES`](crate::analysis::data_parallel::MAX_SHARES)). The train worker's runtime
    /// starts the gradient workers and answers [`TrainEvent::Workers`]; WebGPU trains in one.
    Workers {
        count: Option<usize>,
    },
}

/// What the service tells the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum TrainEvent {
    DataLoaded {
        dataset: Dataset,
        split: Split,
        images: usize,
    },
    DataFailed {
        dataset: Dataset,
        split: Split,
        message: String,
    },
    /// A trainer is ready, paused; its weights come with this event.
    Started {
        generation: u64,
        #[serde(rename = "backend")]
        device: Device,
        config: VaeConfig,
        step: usize,
    },
    /// A `Start` or `Switch` failed; a trainer that was there before goes on (paused).
    StartFailed {
        generation: u64,
        message: String,
    },
    Chunk(Box<ChunkEvent>),
    /// A slow-motion step: what it computed, and its chunk report (weights with it), which the
    /// page applies when it shows the step taken.
    SlowStep {
        record: Box<SlowStep>,
        chunk: Box<ChunkEvent>,
    },
    /// The WebGPU device is gone, why. The page restarts the worker on the CPU.
    GpuLost {
        reason: String,
    },
    /// The kernels are measured before the next training step, for at most about `budget_ms`.
    MeasuringKernels {
        budget_ms: f64,
    },
    /// The kernels a WebGPU trainer uses from now on, and how they were chosen.
    Kernels(KernelReport),
    /// The CPU path trains with `running` workers of the `asked` (the train worker and its
    /// gradient workers); `why` says why fewer, if so.
    Workers {
        asked: usize,
        running: usize,
        why: Option<String>,
    },
}

/// One chunk of training, reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkEvent {
    pub generation: u64,
    pub step: usize,
    pub epoch: f64,
    pub images_seen: u64,
    pub train_seconds: f64,
    pub steps: usize,
    pub images: u64,
    pub seconds: f64,
    /// Means over the chunk's batches.
    pub parts: ElboParts,
    /// Still training: false after a pause, the last of `Step`'s steps, or an error.
    pub running: bool,
    pub error: Option<ChunkFailure>,
    /// The history from row `history_from` on; the rows before it are as last sent.
    pub history_from: usize,
    pub history: Vec<HistoryRow>,
    /// The weights file was sent with this event.
    pub weights: bool,
    /// Latent means of the first [`MAP_POINTS`] test images (x, y pairs).
    pub means: Option<Vec<f32>>,
    /// -ELBO parts on the first [`TEST_EVAL_IMAGES`] test images.
    pub test: Option<ElboParts>,
    /// Workers that computed the chunk's gradients: 1 on WebGPU, 1 + the helpers on the CPU.
    pub workers: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkFailure {
    pub message: String,
    /// The loss was not finite; the weights went back to the last finite state.
    pub diverged: bool,
}

/// An event and the weights file that goes with it, if any.
#[derive(Debug)]
pub struct Outgoing {
    pub event: TrainEvent,
    pub weights: Option<Vec<u8>>,
}

impl From<TrainEvent> for Outgoing {
    fn from(event: TrainEvent) -> Self {
        Self {
            event,
            weights: None,
        }
    }
}
