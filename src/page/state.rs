//! The page's state as plain Rust: `PageState` takes each message and returns what the browser
//! should do as `Effect`s, which the one Yew component (`web::app`) carries out. Its parts each
//! hold one concern; this file wires them together.

use std::rc::Rc;

use crate::analysis::train::{Progress, TrainSettings};
use crate::data::{Dataset, Digits};
use crate::page::host_api::{HostCommand, HostEvent};
use crate::page::url_state::{self, MapView, ViewState};
use crate::services::session::{AnyVae, Device};
use crate::services::train_service::{ChunkEvent, MAP_POINTS};
use crate::vae::model::VaeConfig;
use crate::vae::weights::{self, Provenance};

use super::effect::Effect;
use super::host_bridge::HostBridge;
use super::inspector::{Inspector, INTERP_FRAMES};
use super::keeper::{Keeper, WeightsSource};
use super::model_slot::ModelSlot;
use super::msg::{HostMsg, InspectMsg, KeepMsg, LoadMsg, Loaded, Msg, ShareMsg, TrainMsg};
use super::readout::Readout;
use super::share::{Share, URL_SYNC_MS};
use super::trainer_link::{Action, Report, Restart, TrainerLink};

/// While training, a chunk report with nothing but new counters renders at most this often (ms).
const RENDER_EVERY_MS: f64 = 100.0;
/// Steps per history row: a row every 5 steps keeps the chart moving several times a second.
const LOG_EVERY: usize = 5;
/// Frames of the walk from A to B come this often (ms).
const WALK_FRAME_MS: u32 = 50;

/// Where the page is, and where the browser put it.
pub struct Location {
    /// The query string, with or without its `?`.
    pub query: String,
    pub origin: String,
    /// `origin` + `pathname`: links are this with a query.
    pub base_url: String,
}

pub struct PageState {
    /// What a link carries: dataset, training set, settings, hidden size, seed, z, the map's
    /// region, embed mode and panels. The one home of each.
    pub view: ViewState,
    pub status: String,
    pub notice: Option<String>,
    /// The WebGPU probe answered; `gpu_name` is the adapter's name when there is one.
    pub probed: bool,
    pub gpu_name: Option<String>,
    pub link: TrainerLink,
    pub slot: ModelSlot,
    pub readout: Readout,
    pub inspector: Inspector,
    pub share: Share,
    pub host: HostBridge,
    pub keeper: Keeper,
    pretrained: Option<Rc<Vec<u8>>>,
    pub test: Option<Rc<Digits>>,
    /// The map's points: encoded means of the first test images, and their labels.
    pub means: Rc<Vec<f32>>,
    pub map_labels: Rc<Vec<u8>>,
    /// The weights (and step) a new trainer starts from when training data arrives.
    start: Option<(Rc<Vec<u8>>, usize)>,
    /// The last weights the train worker sent and its counters then (without history): what
    /// a lost GPU or a stopped worker falls back to, and what is remembered.
    pub checkpoint: Option<(Rc<Vec<u8>>, Progress)>,
    /// When the page last rendered (ms).
    last_render: f64,
    out: Vec<Effect>,
}

impl PageState {
    pub fn new(location: &Location) -> Self {
        let parsed = url_state::parse(&location.query);
        let view = parsed.state;
        Self {
            status: "Looking for a WebGPU adapter…".into(),
            notice: None,
            probed: false,
            gpu_name: None,
            link: TrainerLink::new(Device::Cpu),
            slot: ModelSlot::default(),
            readout: Readout::default(),
            inspector: Inspector::default(),
            share: Share::new(location.base_url.clone(), &location.query, &parsed),
            host: HostBridge::new(location.origin.clone(), &parsed.hosts),
            keeper: Keeper::new(!view.embed),
            pretrained: None,
            test: None,
            means: Rc::new(Vec::new()),
            map_labels: Rc::new(Vec::new()),
            start: None,
            checkpoint: None,
            last_render: 0.0,
            out: Vec::new(),
            view,
        }
    }

    /// The hyperparameters a trainer runs with.
    pub fn settings(&self) -> TrainSettings {
        TrainSettings {
            learning_rate: self.view.learning_rate,
            beta: self.view.beta,
            batch_size: self.view.batch_size,
            likelihood: self.view.likelihood,
            log_every: LOG_EVERY,
        }
    }

    /// The device's name as shown: `None` until the WebGPU probe answered.
    pub fn device_label(&self) -> Option<String> {
        self.probed.then(|| match self.link.device() {
            Device::Cpu => "CPU (Burn ndarray)".to_string(),
            Device::WebGpu => {
                format!("WebGPU ({})", self.gpu_name.as_deref().unwrap_or("adapter"))
            }
        })
    }

    /// The whole model is there: everything beyond painting may start.
    pub fn ready(&self) -> bool {
        self.slot.is_whole()
    }

    /// What the browser should do after the last update.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.out)
    }

    /// Take `msg` at `now` (ms); whether the page should render.
    pub fn update(&mut self, msg: Msg, now: f64) -> bool {
        let render = self.handle(msg, now);
        if self.share.sync_needed(&self.view) {
            self.out.push(Effect::After {
                ms: URL_SYNC_MS,
                msg: Msg::Share(ShareMsg::UrlSyncDue),
            });
        }
        if render {
            self.last_render = now;
        }
        render
    }

    fn handle(&mut self, msg: Msg, now: f64) -> bool {
        match msg {
            Msg::ZMoved(z) => {
                self.view.z = z;
                self.slot.decode(z);
            }
            Msg::MapZoomed(view) => {
                self.view.view = view;
                let likelihood = self.view.likelihood;
                if let Some(request) = self.inspector.heat_request(likelihood, view, now) {
                    self.compute(request);
                }
                self.request_manifold(now);
            }
            Msg::NoticeDismissed => self.notice = None,
            Msg::Load(msg) => self.load(msg, now),
            Msg::Train(msg) => return self.train(msg, now),
            Msg::Inspect(msg) => return self.inspect(msg, now),
            Msg::Keep(msg) => return self.keep(msg, now),
            Msg::Share(msg) => return self.share(msg),
            Msg::Host(msg) => self.host(msg, now),
        }
        true
    }

    fn load(&mut self, msg: LoadMsg, now: f64) {
        match msg {
            LoadMsg::GpuProbed(name) => {
                self.probed = true;
                let device = if name.is_some() {
                    Device::WebGpu
                } else {
                    Device::Cpu
                };
                self.gpu_name = name;
                self.link.switch(device, &mut self.out);
                self.status = format!(
                    "Loading the pretrained {} model…",
                    self.view.dataset.title()
                );
                self.out.push(Effect::FetchPreview(self.view.dataset));
            }
            LoadMsg::PreviewLoaded(dataset, result) => {
                if let (Ok(model), true) = (*result, self.slot.is_empty()) {
                    self.show_model(model, true);
                }
                // Then the whole model and the test images, once the first image is painted;
                // a failed preview just means waiting.
                self.out.push(Effect::After {
                    ms: 0,
                    msg: Msg::Load(LoadMsg::PreviewShown(dataset)),
                });
            }
            LoadMsg::PreviewShown(dataset) => self.fetch_model(dataset),
            LoadMsg::Loaded(loaded) => match *loaded {
                Ok(loaded) => self.loaded(loaded, now),
                Err(e) => {
                    self.notice = Some(format!("Could not load the model: {e}"));
                    self.status = "Load failed".into();
                }
            },
            LoadMsg::MapEncoded(Ok(means)) => self.means = Rc::new(means),
            LoadMsg::MapEncoded(Err(e)) => self.notice = Some(e),
            LoadMsg::DatasetChosen(dataset) => {
                if dataset != self.view.dataset {
                    self.link.stop_training();
                    self.view.dataset = dataset;
                    self.status = format!("Loading the pretrained {} model…", dataset.title());
                    self.fetch_model(dataset);
                }
            }
        }
    }

    fn fetch_model(&mut self, dataset: Dataset) {
        self.out.push(Effect::FetchModel {
            dataset,
            recall: self.keeper.remember,
        });
    }

    fn loaded(&mut self, loaded: Loaded, now: f64) {
        let first = self.pretrained.is_none();
        self.view.dataset = loaded.dataset;
        self.start = Some((loaded.pretrained.clone(), 0));
        self.pretrained = Some(loaded.pretrained);
        self.show_model(loaded.model, false);
        let test = loaded.test;
        self.map_labels = Rc::new(test.labels()[..MAP_POINTS.min(test.len())].to_vec());
        self.inspector.new_dataset(first_of_each_class(&test));
        self.test = Some(test);
        self.link.new_dataset();
        self.checkpoint = None;
        self.keeper.remembered_step = None;
        self.readout.restart_at(0);
        self.status = "Ready. Drag z, or train.".into();
        if let Some(bytes) = self.keeper.pending_file.take() {
            self.adopt(bytes, WeightsSource::File, now);
        } else if let Some(bytes) = loaded.remembered {
            self.adopt(bytes, WeightsSource::Remembered, now);
        }
        self.slot.decode(self.view.z);
        self.refresh_map();
        if first {
            let json = HostEvent::Ready {
                dataset: self.view.dataset.key(),
            }
            .to_json();
            self.out.push(Effect::PostToParent {
                origins: self.host.allowed().to_vec(),
                json,
            });
        }
    }

    /// Put `model` on screen and paint it.
    fn show_model(&mut self, model: AnyVae, preview: bool) {
        if let Err(e) = self.slot.set(model, preview) {
            self.notice = Some(e);
        }
        self.slot.decode(self.view.z);
    }

    fn whole_model(&mut self) -> Option<AnyVae> {
        let (model, problem) = self.slot.whole();
        if problem.is_some() {
            self.notice = problem;
        }
        model
    }

    fn refresh_map(&mut self) {
        let (Some(model), Some(test)) = (self.whole_model(), self.test.clone()) else {
            return;
        };
        self.out.push(Effect::EncodeMap { model, test });
    }

    fn compute(&mut self, request: crate::services::compute::ComputeRequest) {
        if let Some(model) = self.whole_model() {
            self.out.push(Effect::Compute {
                request,
                model,
                version: self.slot.version(),
            });
        }
    }

    /// The progress a trainer from the start weights continues.
    fn start_progress(&self) -> Progress {
        let step = self.start.as_ref().map_or(0, |(_, step)| *step);
        Progress {
            step,
            images_seen: (step * self.view.batch_size) as u64,
            ..Progress::default()
        }
    }

    /// A trainer from the start weights (once the training images are there).
    fn start_from_weights(&mut self, progress: Progress) {
        let weights = self.start.as_ref().map(|(w, _)| w.clone());
        let settings = self.settings();
        self.link
            .start(None, weights, progress, settings, &mut self.out);
    }

    fn train(&mut self, msg: TrainMsg, now: f64) -> bool {
        // Training data loads on first use, so a visit that only explores downloads less.
        let action = match msg {
            TrainMsg::Toggled => Some(Action::Train),
            TrainMsg::StepClicked => Some(Action::Step),
            TrainMsg::ResetClicked => Some(Action::Reset),
            _ => None,
        };
        if let Some(action) = action {
            if !self.ready() {
                return false;
            }
            if self.link.needs_data() {
                self.status = format!("Loading the {} training images…", self.view.dataset.title());
                let (dataset, split) = (self.view.dataset, self.view.training_set);
                self.link
                    .wait_for_data(action, dataset, split, &mut self.out);
                return true;
            }
            self.act(action, now);
            return true;
        }
        match msg {
            TrainMsg::Toggled | TrainMsg::StepClicked | TrainMsg::ResetClicked => {}
            TrainMsg::RestoreClicked => self.restore(),
            TrainMsg::DeviceChosen(device) => {
                if device == self.link.device() {
                    return false;
                }
                if device == Device::WebGpu && self.gpu_name.is_none() {
                    self.notice =
                        Some("This browser offers no WebGPU adapter; staying on the CPU.".into());
                    return true;
                }
                let label_now = self.moving_label(device);
                if self.link.switch(device, &mut self.out) {
                    self.status = format!("Moving to {label_now}…");
                } else {
                    self.status = format!("Now running on {label_now}");
                }
            }
            TrainMsg::Settings(settings) => {
                self.view.learning_rate = settings.learning_rate;
                self.view.beta = settings.beta;
                self.view.batch_size = settings.batch_size;
                self.view.likelihood = settings.likelihood;
                let settings = self.settings();
                self.link.set_settings(settings, &mut self.out);
            }
            TrainMsg::HiddenSet(hidden) => self.view.hidden = hidden,
            TrainMsg::SeedSet(seed) => self.view.seed = seed,
            TrainMsg::TrainingSetChosen(split) => {
                if split != self.view.training_set {
                    self.view.training_set = split;
                    if self
                        .link
                        .change_split(self.view.dataset, split, &mut self.out)
                    {
                        self.status = "Loading the training images…".into();
                    }
                }
            }
            TrainMsg::Reported(event, weights) => {
                let (dataset, split) = (self.view.dataset, self.view.training_set);
                let report = self.link.receive(*event, weights, dataset, split);
                return self.reported(report, now);
            }
            TrainMsg::WorkerFailed(reason) => self.restart(&reason, false),
            TrainMsg::WorkerUnavailable => {
                self.link.worker_unavailable();
                self.notice = Some(
                    "This browser could not start the training worker, so the page cannot train here. Exploring still works."
                        .into(),
                );
            }
        }
        true
    }

    fn moving_label(&self, device: Device) -> String {
        match device {
            Device::Cpu => "CPU (Burn ndarray)".to_string(),
            Device::WebGpu => format!("WebGPU ({})", self.gpu_name.as_deref().unwrap_or("adapter")),
        }
    }

    /// A training action, with the training images there.
    fn act(&mut self, action: Action, now: f64) {
        match action {
            Action::Train => {
                self.link.toggle(&mut self.out);
                if self.link.training() {
                    self.notice = None;
                } else {
                    self.send_metrics(now, true);
                }
            }
            Action::Step => self.link.step(&mut self.out),
            Action::Reset => {
                let config = VaeConfig::new()
                    .with_hidden(self.view.hidden)
                    .with_seed(self.view.seed);
                self.readout.restart_at(0);
                self.checkpoint = None;
                let settings = self.settings();
                self.link.start(
                    Some(config),
                    None,
                    Progress::default(),
                    settings,
                    &mut self.out,
                );
            }
        }
    }

    fn restore(&mut self) {
        self.link.stop_training();
        let Some(bytes) = self.pretrained.clone() else {
            return;
        };
        match AnyVae::from_weights(&bytes) {
            Ok(model) => {
                self.show_model(model, false);
                self.start = Some((bytes, 0));
                self.checkpoint = None;
                self.readout.restart_at(0);
                self.start_from_weights(Progress::default());
                self.refresh_map();
            }
            Err(e) => self.notice = Some(e.to_string()),
        }
    }

    /// What the train worker's event means here; whether to render.
    fn reported(&mut self, report: Report, now: f64) -> bool {
        match report {
            Report::DataReady { images, then } => {
                self.status = format!("Ready. Training on {images} images.");
                if *self.link.phase() == super::trainer_link::Phase::Idle {
                    let progress = self.start_progress();
                    self.start_from_weights(progress);
                }
                if let Some(action) = then {
                    self.act(action, now);
                }
            }
            Report::DataFailed(message) => {
                self.notice = Some(format!("Could not load training data: {message}"));
            }
            Report::Started {
                hidden,
                step,
                fresh,
                moved,
            } => {
                self.view.hidden = hidden;
                self.readout.step = step;
                if let Some(device) = moved {
                    self.status = format!("Now running on {}", self.moving_label(device));
                }
                if let Some(bytes) = fresh {
                    self.take_weights(bytes, Progress::default(), now);
                    self.refresh_map();
                }
            }
            Report::StartFailed(message) => self.notice = Some(message),
            Report::Chunk(chunk, weights) => {
                // A report of counters alone re-renders the page at most every RENDER_EVERY_MS:
                // each render holds up slider input a little.
                let news = weights.is_some()
                    || !chunk.history.is_empty()
                    || chunk.means.is_some()
                    || chunk.test.is_some()
                    || chunk.error.is_some()
                    || !chunk.running;
                self.after_chunk(*chunk, weights, now);
                return news || now - self.last_render >= RENDER_EVERY_MS;
            }
            Report::Lost { reason, lost_gpu } => self.restart(&reason, lost_gpu),
            Report::Stale => return false,
        }
        true
    }

    fn after_chunk(&mut self, mut chunk: ChunkEvent, weights: Option<Vec<u8>>, now: f64) {
        if let Some(failure) = &chunk.error {
            self.notice = Some(if failure.diverged {
                format!(
                    "Training paused: {}. A learning rate of {} is a safe next try.",
                    failure.message,
                    (self.view.learning_rate / 10.0).min(1e-3)
                )
            } else {
                format!("Training paused: {}", failure.message)
            });
        }
        self.readout.apply(&chunk);
        if let Some(means) = chunk.means.take() {
            self.means = Rc::new(means);
        }
        if let Some(bytes) = weights {
            let progress = Progress {
                step: chunk.step,
                images_seen: chunk.images_seen,
                train_seconds: chunk.train_seconds,
                history: Vec::new(),
            };
            self.take_weights(bytes, progress, now);
        }
        let stopped = !chunk.running;
        self.send_metrics(now, stopped);
        let (inspect_due, manifold_due) = self.inspector.due(now);
        if stopped || inspect_due {
            self.request_inspect(now);
        }
        if stopped || manifold_due {
            self.request_manifold(now);
        }
    }

    /// A weights file from the train worker: the model the page decodes with, and the
    /// checkpoint that is remembered and fallen back on.
    fn take_weights(&mut self, bytes: Vec<u8>, progress: Progress, now: f64) {
        let bytes = Rc::new(bytes);
        if let Err(e) = self.slot.take_weights(bytes.clone()) {
            self.notice = Some(e);
            return;
        }
        let step = progress.step;
        self.checkpoint = Some((bytes.clone(), progress));
        self.slot.decode(self.view.z);
        if self.keeper.save_while(self.link.training(), step, now) {
            self.remember(bytes, step);
        }
    }

    fn remember(&mut self, bytes: Rc<Vec<u8>>, step: usize) {
        self.out.push(Effect::Remember {
            key: Keeper::key(self.view.dataset),
            bytes,
            step,
        });
    }

    /// The WebGPU device is gone, or the train worker stopped: carry on in a new worker on the
    /// CPU, from the last weights it sent (or the start weights), training if it was.
    fn restart(&mut self, reason: &str, lost_gpu: bool) {
        if lost_gpu {
            self.gpu_name = None;
        }
        let was_training = match self.link.lost() {
            Restart::GaveUp => {
                self.notice = Some(format!(
                    "Training stopped ({reason}) and could not be restarted. Exploring still works."
                ));
                return;
            }
            Restart::Again { was_training } => was_training,
        };
        let (bytes, mut progress) = match self.checkpoint.clone() {
            Some(c) => c,
            None => match self.start.clone() {
                Some((bytes, _)) => (bytes, self.start_progress()),
                None => return,
            },
        };
        let model = match AnyVae::from_weights(&bytes) {
            Ok(m) => m,
            Err(e) => {
                self.notice = Some(format!(
                    "Training stopped ({reason}) and could not restart: {e}"
                ));
                return;
            }
        };
        self.show_model(model, false);
        self.start = Some((bytes.clone(), progress.step));
        // The chart keeps the rows up to the weights it goes on from.
        self.readout.rewind_to(progress.step);
        progress.history = (*self.readout.history).clone();
        self.notice = Some(format!(
            "{}. Switched to the CPU backend with the weights from step {}{}.",
            if lost_gpu {
                format!("The WebGPU device was lost ({reason})")
            } else {
                format!("The training worker stopped ({reason})")
            },
            progress.step,
            if was_training && self.link.images().is_some() {
                "; training goes on"
            } else {
                ""
            }
        ));
        self.status = "Now running on the CPU".into();
        self.refresh_map();
        let (dataset, split, settings) =
            (self.view.dataset, self.view.training_set, self.settings());
        self.link.resume(
            dataset,
            split,
            bytes,
            progress,
            settings,
            was_training,
            &mut self.out,
        );
    }

    /// Take a weights file (uploaded or remembered) as the current model; on any problem, say
    /// so and keep the current model.
    fn adopt(&mut self, bytes: Vec<u8>, source: WeightsSource, now: f64) {
        let refuse = |e: String| {
            format!(
                "{} could not be used: {e}. The current model is unchanged.",
                source.describe()
            )
        };
        let header = match weights::header(&bytes) {
            Ok(h) => h,
            Err(e) => {
                self.notice = Some(refuse(e.to_string()));
                return;
            }
        };
        if let Some(dataset) = header.dataset.filter(|d| *d != self.view.dataset) {
            if source == WeightsSource::File {
                // Switch dataset first; the file is used once its test images are here.
                self.keeper.pending_file = Some(bytes);
                self.link.stop_training();
                self.view.dataset = dataset;
                self.status = format!("Loading {} for this model…", dataset.title());
                self.fetch_model(dataset);
            }
            return;
        }
        let model = match AnyVae::from_weights(&bytes) {
            Ok(m) => m,
            Err(e) => {
                self.notice = Some(refuse(e.to_string()));
                return;
            }
        };
        let step = usize::try_from(header.steps).unwrap_or(usize::MAX);
        self.show_model(model, false);
        self.view.likelihood = header.likelihood;
        self.view.hidden = header.config.hidden;
        self.view.seed = header.config.seed;
        let bytes = Rc::new(bytes);
        self.start = Some((bytes.clone(), step));
        self.readout.restart_at(step);
        let progress = self.start_progress();
        self.start_from_weights(progress);
        self.refresh_map();
        match source {
            WeightsSource::File => {
                self.notice = None;
                self.status = format!("Loaded a model trained for {step} steps.");
                self.checkpoint = Some((
                    bytes.clone(),
                    Progress {
                        step,
                        ..Progress::default()
                    },
                ));
                if self.keeper.save(step, now) {
                    self.remember(bytes, step);
                }
            }
            WeightsSource::Remembered => {
                self.keeper.remembered_step = Some(step);
                self.status = format!(
                    "Restored the model you trained in this browser ({step} steps). “Restore pretrained” goes back."
                );
            }
        }
    }

    fn provenance(&self) -> Provenance {
        Provenance {
            dataset: Some(self.view.dataset),
            likelihood: self.view.likelihood,
            steps: self.readout.step as u64,
            note: "trained in the VAE playground".into(),
        }
    }

    /// The name a downloaded model is saved under.
    pub fn download_name(&self) -> String {
        format!(
            "vae-{}-h{}-step{}.vaew",
            self.view.dataset.key(),
            self.view.hidden,
            self.readout.step
        )
    }

    fn keep(&mut self, msg: KeepMsg, now: f64) -> bool {
        match msg {
            KeepMsg::DownloadClicked => {
                if let Some(model) = self.whole_model() {
                    self.out.push(Effect::Export {
                        model,
                        seed: self.view.seed,
                        provenance: self.provenance(),
                    });
                }
            }
            KeepMsg::Exported(Ok(bytes)) => {
                let name = self.download_name();
                self.status = format!("Downloaded {name}.");
                self.out.push(Effect::Download { name, bytes });
            }
            KeepMsg::Exported(Err(e)) => {
                self.notice = Some(format!("Could not read the weights back: {e}"))
            }
            KeepMsg::FileRead(Ok(None)) => return false,
            KeepMsg::FileRead(Ok(Some(bytes))) => {
                self.link.stop_training();
                self.adopt(bytes, WeightsSource::File, now);
            }
            KeepMsg::FileRead(Err(e)) => {
                self.notice = Some(format!(
                    "Could not read that file: {e}. The current model is unchanged."
                ))
            }
            KeepMsg::RememberToggled(on) => {
                self.keeper.remember = on;
                if on {
                    if let Some((bytes, progress)) = self.checkpoint.clone() {
                        if self.keeper.save(progress.step, now) {
                            self.remember(bytes, progress.step);
                        }
                    }
                } else {
                    self.out.push(Effect::Forget {
                        key: Keeper::key(self.view.dataset),
                    });
                }
            }
            KeepMsg::Remembered(step, Ok(())) => self.keeper.remembered_step = Some(step),
            KeepMsg::Remembered(_, Err(e)) => {
                self.keeper.remember = false;
                self.notice = Some(format!(
                    "This browser does not let the page keep the model ({e}); it will not be remembered."
                ));
            }
            KeepMsg::Forgotten(Ok(())) => {
                self.keeper.remembered_step = None;
                self.status =
                    "Forgot the saved model; the next visit opens the pretrained one.".into();
            }
            KeepMsg::Forgotten(Err(e)) => {
                self.notice = Some(format!("Could not forget the model: {e}"))
            }
        }
        true
    }

    fn share(&mut self, msg: ShareMsg) -> bool {
        match msg {
            ShareMsg::EmbedPanelToggled(panel) => self.share.toggle_panel(panel),
            ShareMsg::CopyEmbedClicked => {
                self.share.embed_code = self.share.embed_snippet(&self.view);
                self.out.push(Effect::Copy {
                    what: "Embed code",
                    text: self.share.embed_code.clone(),
                });
            }
            ShareMsg::CopyLinkClicked => self.out.push(Effect::Copy {
                what: "Link",
                text: self.share.url_for(&self.view),
            }),
            ShareMsg::Copied(what, Ok(())) => {
                self.status = format!("{what} copied to the clipboard.")
            }
            ShareMsg::Copied(what, Err(e)) => {
                self.status =
                    format!("{what} could not be copied ({e}); select it and copy by hand.")
            }
            ShareMsg::UrlNoticesDismissed => self.share.url_notices.clear(),
            ShareMsg::UrlSyncDue => {
                if let Some(query) = self.share.sync(&self.view) {
                    self.out.push(Effect::ReplaceQuery(query));
                }
                return false;
            }
        }
        true
    }

    fn host(&mut self, msg: HostMsg, now: f64) {
        let HostMsg::Received {
            origin,
            text,
            window,
        } = msg;
        let Some(command) = self.host.receive(&origin, &text) else {
            return;
        };
        // Each command is what the page's own control would do.
        match command {
            HostCommand::SetZ { z } => {
                self.handle(Msg::ZMoved(z), now);
            }
            HostCommand::SetDataset { dataset } => {
                if let Some(d) = Dataset::from_key(&dataset) {
                    self.load(LoadMsg::DatasetChosen(d), now);
                }
            }
            HostCommand::Train {} | HostCommand::Pause {} => {
                let train = matches!(command, HostCommand::Train {});
                if train != self.link.training() {
                    self.train(TrainMsg::Toggled, now);
                }
            }
            HostCommand::SetHyperparameters { lr, beta } => {
                let mut settings = self.settings();
                settings.learning_rate = lr.unwrap_or(settings.learning_rate);
                settings.beta = beta.unwrap_or(settings.beta);
                self.train(TrainMsg::Settings(settings), now);
            }
            HostCommand::Subscribe {} => {
                self.host.subscribe(window, &origin);
                self.send_metrics(now, true);
            }
            HostCommand::Unsubscribe {} => self.host.unsubscribe(window, &origin),
        }
    }

    /// Metrics to subscribed hosts: now when `force`, else at most every METRICS_EVERY_MS.
    fn send_metrics(&mut self, now: f64, force: bool) {
        let last = self.readout.last;
        let json = HostEvent::Metrics {
            step: self.readout.step,
            epoch: self.readout.epoch,
            kl: last.map(|p| p.kl),
            recon: last.map(|p| p.recon),
            elbo: last.map(|p| p.neg_elbo()),
            training: self.link.training(),
            dataset: self.view.dataset.key(),
            z: self.view.z,
        }
        .to_json();
        let due = self.host.metrics_due(now, force).to_vec();
        self.out
            .extend(due.into_iter().map(|(window, origin)| Effect::PostTo {
                window,
                origin,
                json: json.clone(),
            }));
    }

    fn inspect(&mut self, msg: InspectMsg, now: f64) -> bool {
        match msg {
            InspectMsg::ExamplePicked(index) => {
                if let Some(test) = &self.test {
                    let label = self.view.dataset.class_names()[test.label(index) as usize % 10];
                    let x = Rc::new(test.image_f32(index));
                    self.inspector
                        .set_input(x, format!("test image #{index} ({label})"));
                    self.request_inspect(now);
                }
            }
            InspectMsg::DigitDrawn(Some((ink, side))) => {
                match crate::data::drawing::to_mnist(&ink, side) {
                    Some(x) => {
                        self.inspector.set_input(Rc::new(x), "your drawing".into());
                        self.request_inspect(now);
                    }
                    None => self.inspector.clear_input(),
                }
            }
            InspectMsg::DigitDrawn(None) => self.inspector.clear_input(),
            InspectMsg::ComputeReplied(reply) => {
                let replied = self.inspector.reply(reply, self.view.view, now);
                if let Some(problem) = replied.problem {
                    self.notice = Some(problem);
                }
                if replied.inspect_again {
                    self.request_inspect(now);
                }
                if replied.manifold_again {
                    self.request_manifold(now);
                }
            }
            InspectMsg::ComputeFailed(_) => {
                // Its work moves to this thread; results in flight are asked for again.
                self.inspector.compute_lost();
                self.request_inspect(now);
                self.request_manifold(now);
            }
            InspectMsg::HeatToggled(on) => self.inspector.show_heat = on,
            InspectMsg::EllipseToggled(on) => self.inspector.show_ellipse = on,
            InspectMsg::ManifoldToggled(on) => {
                self.inspector.show_manifold = on;
                self.request_manifold(now);
            }
            InspectMsg::ManifoldSizeSet(n) => {
                self.inspector.set_manifold_n(n);
                self.request_manifold(now);
            }
            InspectMsg::InterpolationEndSet(end) => {
                if let Some(request) = self.inspector.set_end(end) {
                    self.compute(request);
                }
            }
            InspectMsg::InterpolationPlayed => {
                return self.inspect(InspectMsg::InterpolationFrame(0), now)
            }
            InspectMsg::InterpolationFrame(frame) => {
                if let Some(z) = self.inspector.walk(frame) {
                    self.handle(Msg::ZMoved(z), now);
                    if frame + 1 < INTERP_FRAMES {
                        self.out.push(Effect::After {
                            ms: WALK_FRAME_MS,
                            msg: Msg::Inspect(InspectMsg::InterpolationFrame(frame + 1)),
                        });
                    }
                }
            }
        }
        true
    }

    fn request_inspect(&mut self, now: f64) {
        if !self.ready() {
            return;
        }
        let (likelihood, view) = (self.view.likelihood, self.view.view);
        for request in self.inspector.inspect_requests(likelihood, view, now) {
            self.compute(request);
        }
    }

    fn request_manifold(&mut self, now: f64) {
        if !self.ready() {
            return;
        }
        if let Some(request) = self.inspector.manifold_request(self.view.view, now) {
            self.compute(request);
        }
    }

    /// The map's region, for views.
    pub fn map_view(&self) -> MapView {
        self.view.view
    }
}

/// The index of the first test image of each class, in class order.
fn first_of_each_class(test: &Digits) -> Vec<usize> {
    (0..10u8)
        .filter_map(|c| test.labels().iter().position(|&l| l == c))
        .collect()
}
