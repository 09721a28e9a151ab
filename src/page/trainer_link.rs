//! The train worker as the page sees it: whether there is one, what it was asked for, and
//! which of its answers are current. One `Phase` in place of loose flags.

use std::rc::Rc;

use crate::analysis::slow_step::SlowStep;
use crate::analysis::train::{Progress, TrainSettings};
use crate::data::{Dataset, Split};
use crate::services::session::Device;
use crate::services::train_service::{ChunkEvent, TrainCommand, TrainEvent};
use crate::vae::kernel_choice::KernelReport;
use crate::vae::model::VaeConfig;

use super::effect::Effect;

/// A train worker that stops is replaced this many times before the page gives up on training.
pub const RESTART_LIMIT: u32 = 3;

/// A training action that needs the training images first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Train,
    Step,
    Reset,
    /// One step in slow motion.
    SlowStep,
}

/// Why a trainer was asked for: what its `Started` brings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// From weights the page sent (start, restore, a loaded file, a restart).
    Resume,
    /// Fresh weights (Reset): the model on screen comes back with `Started`.
    Fresh,
    /// The current trainer moved to another device; `after_fresh` when it was asked for
    /// right after a Reset, whose fresh model then comes with this answer.
    Switch { after_fresh: bool },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// No trainer for this dataset, and none asked for.
    Idle,
    /// The worker is fetching the training images; `then` runs once they are in.
    WaitingForData { then: Option<Action> },
    /// A trainer (or a move) was asked for, as `generation`; its answer is pending.
    Starting(Start),
    /// The trainer of the current generation is there.
    Ready,
    /// No worker could be had, or it stopped too often: exploring still works.
    GaveUp,
}

/// What a worker's event means for the rest of the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// The training images are in. `then`: the action that waited for them.
    DataReady {
        images: usize,
        then: Option<Action>,
    },
    DataFailed(String),
    /// A trainer is up: its hidden size and step. `fresh` carries a Reset's new weights;
    /// `moved` the device it moved to.
    Started {
        hidden: usize,
        step: usize,
        fresh: Option<Vec<u8>>,
        moved: Option<Device>,
    },
    StartFailed(String),
    Chunk(Box<ChunkEvent>, Option<Vec<u8>>),
    /// A slow-motion step: what it computed, its report and the weights after it.
    SlowStep(Box<SlowStep>, Box<ChunkEvent>, Option<Vec<u8>>),
    /// The worker is timing the matmul kernels, for about this long (ms).
    MeasuringKernels(f64),
    /// The matmul kernels the worker uses now.
    Kernels(KernelReport),
    /// The CPU path trains with `running` workers; `why` says why fewer than asked.
    Workers {
        running: usize,
        why: Option<String>,
    },
    /// The worker is gone (a lost device or an error): replace it.
    Lost {
        reason: String,
        lost_gpu: bool,
    },
    /// From a trainer that was replaced, or data for another dataset: nothing to do.
    Stale,
}

/// After a worker is lost: try again, or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    Again { was_training: bool },
    GaveUp,
}

#[derive(Debug, Clone)]
pub struct TrainerLink {
    phase: Phase,
    /// A worker was started (it outlives datasets: the next one's data goes to it).
    worker: bool,
    /// Numbers the trainers asked for; events of older ones are stale.
    generation: u64,
    restarts: u32,
    /// Training images the worker has for the current dataset and split.
    images: Option<usize>,
    /// The user wants training to run.
    training: bool,
    /// From a Run or Step until the worker reports that it stopped (`data-trainer-busy`).
    busy: bool,
    /// Where the next trainer runs, and the current one if not moving.
    device: Device,
    /// A user's set as a dataset file, and the seed it is split by: what `Dataset::Own`'s
    /// training images come from.
    own: Option<(Rc<Vec<u8>>, u64)>,
    /// What the worker was last told about matmul kernels (a new worker is told again).
    kernels: Option<TrainCommand>,
    /// Workers asked for on the CPU path (`None`: the browser's cores less one).
    workers: Option<usize>,
}

impl TrainerLink {
    /// A link to no worker yet; its workers will train with `workers` on the CPU path.
    pub fn new(device: Device, workers: Option<usize>) -> Self {
        Self {
            phase: Phase::Idle,
            worker: false,
            generation: 0,
            restarts: 0,
            images: None,
            training: false,
            busy: false,
            device,
            own: None,
            kernels: None,
            workers,
        }
    }

    /// Ask for `workers` on the CPU path: of the worker now, and of every one started later.
    pub fn set_workers(&mut self, workers: Option<usize>, out: &mut Vec<Effect>) {
        self.workers = workers;
        self.post(TrainCommand::Workers { count: workers }, out);
    }

    pub fn phase(&self) -> &Phase {
        &self.phase
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    pub fn training(&self) -> bool {
        self.training
    }

    pub fn busy(&self) -> bool {
        self.busy
    }

    pub fn images(&self) -> Option<usize> {
        self.images
    }

    pub fn device(&self) -> Device {
        self.device
    }

    /// A trainer was asked for this dataset (settings go to it from then on).
    fn has_trainer(&self) -> bool {
        matches!(self.phase, Phase::Starting(_) | Phase::Ready)
    }

    /// Whether `action` has to wait for the training images.
    pub fn needs_data(&self) -> bool {
        self.images.is_none()
    }

    fn post(&self, command: TrainCommand, out: &mut Vec<Effect>) {
        if self.worker {
            out.push(Effect::Train(command, None));
        }
    }

    /// Tell the worker which matmul kernels to use (a `TrainCommand::Kernels`), now and on
    /// every restart.
    pub fn set_kernels(&mut self, command: TrainCommand, out: &mut Vec<Effect>) {
        self.post(command.clone(), out);
        self.kernels = Some(command);
    }

    /// Use this dataset file, split by `seed`, for `Dataset::Own` from now on.
    pub fn set_own(&mut self, file: Rc<Vec<u8>>, seed: u64) {
        self.own = Some((file, seed));
    }

    /// Ask the worker for `split` of `dataset`: it fetches a built-in one, and gets a user's
    /// set sent with the command.
    fn post_data(&self, dataset: Dataset, split: Split, out: &mut Vec<Effect>) {
        if !self.worker {
            return;
        }
        match (dataset, &self.own) {
            (Dataset::Own, Some((file, seed))) => out.push(Effect::Train(
                TrainCommand::OwnData { seed: *seed, split },
                Some(file.clone()),
            )),
            _ => out.push(Effect::Train(TrainCommand::Data { dataset, split }, None)),
        }
    }

    fn ensure_worker(&mut self, out: &mut Vec<Effect>) {
        if !self.worker {
            self.worker = true;
            out.push(Effect::StartTrainWorker);
            if let Some(kernels) = &self.kernels {
                out.push(Effect::Train(kernels.clone(), None));
            }
            self.post(
                TrainCommand::Workers {
                    count: self.workers,
                },
                out,
            );
        }
    }

    /// Fetch the training images for `action` (the latest action wins while they load), for a
    /// trainer with `hidden` units and `settings`: on WebGPU the worker readies the adapter and
    /// compiles that trainer's kernels meanwhile. Whether a fetch was started (not when one is
    /// under way, or training gave up).
    pub fn wait_for_data(
        &mut self,
        action: Action,
        (dataset, split): (Dataset, Split),
        (hidden, settings): (usize, TrainSettings),
        out: &mut Vec<Effect>,
    ) -> bool {
        match &mut self.phase {
            Phase::GaveUp => false,
            Phase::WaitingForData { then } => {
                *then = Some(action);
                false
            }
            _ => {
                self.phase = Phase::WaitingForData { then: Some(action) };
                self.ensure_worker(out);
                if self.device == Device::WebGpu {
                    let device = self.device;
                    self.post(
                        TrainCommand::Prepare {
                            device,
                            hidden,
                            settings,
                        },
                        out,
                    );
                }
                self.post_data(dataset, split, out);
                true
            }
        }
    }

    /// Another training split: the worker fetches it if it has training images already, or is
    /// fetching some for an action (which then waits for these).
    pub fn change_split(&mut self, dataset: Dataset, split: Split, out: &mut Vec<Effect>) -> bool {
        let fetching = matches!(self.phase, Phase::WaitingForData { .. });
        if (self.images.is_none() && !fetching) || self.phase == Phase::GaveUp {
            return false;
        }
        self.post_data(dataset, split, out);
        true
    }

    /// The browser could not start a worker.
    pub fn worker_unavailable(&mut self) {
        self.worker = false;
        self.training = false;
        self.busy = false;
        self.phase = Phase::GaveUp;
    }

    /// A new trainer: fresh from `fresh`, or else from `weights`, continuing `progress`.
    /// Only once the training images are there; false when nothing was asked.
    pub fn start(
        &mut self,
        fresh: Option<VaeConfig>,
        weights: Option<Rc<Vec<u8>>>,
        progress: Progress,
        settings: TrainSettings,
        out: &mut Vec<Effect>,
    ) -> bool {
        let weights = if fresh.is_some() { None } else { weights };
        if self.images.is_none() || !self.worker || (fresh.is_none() && weights.is_none()) {
            return false;
        }
        self.generation += 1;
        self.training = false;
        self.phase = Phase::Starting(if fresh.is_some() {
            Start::Fresh
        } else {
            Start::Resume
        });
        out.push(Effect::Train(
            TrainCommand::Start {
                generation: self.generation,
                device: self.device,
                fresh,
                progress,
                settings,
            },
            weights,
        ));
        true
    }

    /// Train or pause.
    pub fn toggle(&mut self, out: &mut Vec<Effect>) {
        if self.phase == Phase::GaveUp {
            return;
        }
        self.training = !self.training;
        if self.training {
            self.busy = true;
            self.post(TrainCommand::Run, out);
        } else {
            self.post(TrainCommand::Pause, out);
        }
    }

    pub fn step(&mut self, out: &mut Vec<Effect>) {
        if self.phase == Phase::GaveUp {
            return;
        }
        self.training = false;
        self.busy = true;
        self.post(TrainCommand::Step { steps: 1 }, out);
    }

    /// One step taken apart, for slow motion.
    pub fn slow_step(&mut self, out: &mut Vec<Effect>) {
        if self.phase == Phase::GaveUp {
            return;
        }
        self.training = false;
        self.busy = true;
        self.post(TrainCommand::SlowStep, out);
    }

    /// Training stops for something else (a reset, a restore, another dataset).
    pub fn stop_training(&mut self) {
        self.training = false;
    }

    pub fn set_settings(&self, settings: TrainSettings, out: &mut Vec<Effect>) {
        if self.has_trainer() {
            self.post(TrainCommand::Settings { settings }, out);
        }
    }

    /// Run on `device` from now on. Returns whether the move is under way (the device changes
    /// when the worker says it moved); else it is done: nothing trained yet, so the next
    /// trainer starts there.
    pub fn switch(&mut self, device: Device, out: &mut Vec<Effect>) -> bool {
        self.training = false;
        if !self.has_trainer() {
            self.device = device;
            return false;
        }
        self.generation += 1;
        let after_fresh = matches!(
            self.phase,
            Phase::Starting(Start::Fresh | Start::Switch { after_fresh: true })
        );
        self.phase = Phase::Starting(Start::Switch { after_fresh });
        self.post(
            TrainCommand::Switch {
                generation: self.generation,
                device,
            },
            out,
        );
        true
    }

    /// Another dataset is on screen: its trainer starts from scratch (the worker stays). A page
    /// that gave up on training tries again: the user asked for something new.
    pub fn new_dataset(&mut self) {
        if self.phase == Phase::GaveUp {
            self.restarts = 0;
        }
        self.phase = Phase::Idle;
        self.generation += 1;
        self.images = None;
        self.training = false;
    }

    /// What the worker said, for the page showing `dataset` with `split`.
    pub fn receive(
        &mut self,
        event: TrainEvent,
        weights: Option<Vec<u8>>,
        dataset: Dataset,
        split: Split,
    ) -> Report {
        match event {
            TrainEvent::DataLoaded {
                dataset: d,
                split: s,
                images,
            } if d == dataset && s == split => {
                self.images = Some(images);
                let then = match std::mem::replace(&mut self.phase, Phase::Idle) {
                    Phase::WaitingForData { then } => then,
                    other => {
                        self.phase = other;
                        None
                    }
                };
                Report::DataReady { images, then }
            }
            TrainEvent::DataFailed {
                dataset: d,
                message,
                ..
            } if d == dataset => {
                if matches!(self.phase, Phase::WaitingForData { .. }) {
                    self.phase = Phase::Idle;
                }
                Report::DataFailed(message)
            }
            TrainEvent::Started {
                generation,
                device,
                config,
                step,
            } if generation == self.generation => {
                self.restarts = 0;
                self.busy = false;
                let why = match self.phase {
                    Phase::Starting(why) => why,
                    _ => Start::Resume,
                };
                self.phase = Phase::Ready;
                self.device = device;
                let fresh = matches!(why, Start::Fresh | Start::Switch { after_fresh: true });
                Report::Started {
                    hidden: config.hidden,
                    step,
                    fresh: if fresh { weights } else { None },
                    moved: matches!(why, Start::Switch { .. }).then_some(device),
                }
            }
            TrainEvent::StartFailed {
                generation,
                message,
            } if generation == self.generation => {
                self.busy = false;
                let switching = matches!(self.phase, Phase::Starting(Start::Switch { .. }));
                // A trainer that was there before goes on (paused).
                self.phase = if switching { Phase::Ready } else { Phase::Idle };
                Report::StartFailed(if switching {
                    format!("Could not switch backend: {message}. Kept the current one.")
                } else {
                    format!("Could not start training: {message}")
                })
            }
            TrainEvent::Chunk(chunk) if chunk.generation == self.generation => {
                self.busy = chunk.running;
                if chunk.error.is_some() {
                    self.training = false;
                }
                Report::Chunk(chunk, weights)
            }
            TrainEvent::SlowStep { record, chunk } if chunk.generation == self.generation => {
                self.busy = chunk.running;
                Report::SlowStep(record, chunk, weights)
            }
            TrainEvent::MeasuringKernels { budget_ms } => Report::MeasuringKernels(budget_ms),
            TrainEvent::Kernels(report) => Report::Kernels(report),
            TrainEvent::Workers { running, why, .. } => Report::Workers { running, why },
            TrainEvent::GpuLost { reason } if self.device == Device::WebGpu && self.worker => {
                Report::Lost {
                    reason,
                    lost_gpu: true,
                }
            }
            _ => Report::Stale,
        }
    }

    /// The worker is gone (a lost device or an error): it is stopped, its late events are stale,
    /// and the next one runs on the CPU, unless it stopped too often. Call `resume` next when
    /// it is `Again`.
    pub fn lost(&mut self, out: &mut Vec<Effect>) -> Restart {
        let was_training = self.training;
        out.push(Effect::StopTrainWorker);
        self.generation += 1;
        self.worker = false;
        self.training = false;
        self.busy = false;
        self.device = Device::Cpu;
        self.restarts += 1;
        if self.restarts > RESTART_LIMIT {
            self.phase = Phase::GaveUp;
            return Restart::GaveUp;
        }
        self.phase = Phase::Idle;
        Restart::Again { was_training }
    }

    /// A new worker after `lost`: the training images again (if there were any), then a
    /// trainer from `weights`, training if it was. Commands run in order in the worker.
    #[allow(clippy::too_many_arguments)]
    pub fn resume(
        &mut self,
        dataset: Dataset,
        split: Split,
        weights: Rc<Vec<u8>>,
        progress: Progress,
        settings: TrainSettings,
        was_training: bool,
        out: &mut Vec<Effect>,
    ) {
        if self.images.is_none() {
            return;
        }
        self.ensure_worker(out);
        self.post_data(dataset, split, out);
        self.start(None, Some(weights), progress, settings, out);
        if was_training {
            self.training = true;
            self.busy = true;
            self.post(TrainCommand::Run, out);
        }
    }
}
