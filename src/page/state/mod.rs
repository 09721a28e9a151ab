//! The page's state as plain Rust: `PageState` takes each message and returns what the browser
//! should do as `Effect`s, which the one Yew component (`web::app`) carries out. Its parts
//! (`TrainerLink`, `ModelSlot`, `Readout`, `Inspector`, `Share`, `HostBridge`, `Keeper`) each
//! hold one concern; `PageState` wires them together, one file per kind of message.

mod host;
mod inspect;
mod keep;
mod load;
mod own;
mod runs;
mod share;
mod slowmo;
mod sweep;
mod train;

use std::rc::Rc;

use crate::analysis::train::{HistoryRow, Progress, TrainSettings};
use crate::data::{Dataset, Digits, Split};
use crate::page::host_api::{HostCommand, HostEvent};
use crate::page::url_state::{self, ViewState};
use crate::services::session::{AnyVae, Device};
use crate::services::train_service::{ChunkEvent, MAP_POINTS};
use crate::vae::model::VaeConfig;
use crate::vae::weights::{self, Provenance};

use super::effect::Effect;
use super::host_bridge::HostBridge;
use super::inspector::{Inspector, INTERP_FRAMES};
use super::keeper::{Keeper, WeightsSource};
use super::kernels::Kernels;
use super::model_slot::ModelSlot;
use super::msg::{HostMsg, InspectMsg, KeepMsg, LoadMsg, Loaded, Msg, RunsMsg, ShareMsg, TrainMsg};
use super::own_data::{same_origin_url, OwnData};
use super::readout::Readout;
use super::runs::{RunOrigin, Runs};
use super::share::{Share, URL_SYNC_MS};
use super::sweep::{Sweep, SweepPlan};
use super::trainer_link::{Action, Phase, Report, Restart, TrainerLink};
use futures::FutureExt;

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
    /// region, embed mode and panels. The one home of each (slow motion's stage is `slowmo`'s:
    /// `view.slowmo` stays `None`).
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
    /// The matmul kernels on WebGPU.
    pub kernels: Kernels,
    /// Every run, for the chart and the run list.
    pub runs: Runs,
    /// Slow motion, while the page is in it.
    pub slowmo: Option<super::slowmo::SlowMo>,
    /// The stage a link asked slow motion to open at (`slowmo=`; kept out of `view`), until it
    /// opens. Links made here carry the stage shown instead ([`PageState::link_view`]).
    slowmo_link: Option<super::slowmo::Stage>,
    /// The β sweep under way, and what the sweep's fields hold.
    pub sweep: Option<Sweep>,
    pub sweep_betas: String,
    pub sweep_epochs: f64,
    /// The run list kept in this browser came back (or there is none): only then is it stored.
    runs_recalled: bool,
    runs_stored_at: f64,
    pretrained: Option<Rc<Vec<u8>>>,
    /// Which shipped model `pretrained` is.
    shipped: Option<super::pretrained::Pretrained>,
    /// The loss history of the run that made the pretrained weights (empty if it did not load).
    pretrained_history: Rc<Vec<HistoryRow>>,
    /// Whether the model is the pretrained one, untrained here (the chart then shows its run).
    on_pretrained: bool,
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
    /// "Your data": the user's set as edited.
    pub own: OwnData,
    /// The class names of the set on screen when it is the user's.
    own_classes: Rc<Vec<String>>,
    /// The set changed since it was put on screen (Reset takes the new one).
    own_changed: bool,
    /// Where a link asked to load "Your data" from (`dataset=url:…`), checked against the
    /// page's origin: the address, or why it was refused.
    own_url: Option<Result<String, String>>,
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
            link: TrainerLink::new(Device::Cpu, view.workers),
            slot: ModelSlot::default(),
            readout: Readout::default(),
            inspector: Inspector::default(),
            share: Share::new(
                location.origin.clone(),
                location.base_url.clone(),
                &location.query,
                &parsed,
            ),
            host: HostBridge::new(location.origin.clone(), &parsed.hosts),
            keeper: Keeper::new(!view.embed),
            kernels: Kernels::default(),
            runs: Runs::default(),
            slowmo: None,
            slowmo_link: view.slowmo,
            sweep: None,
            sweep_betas: view
                .sweep
                .unwrap_or_else(SweepPlan::default_plan)
                .betas_text(),
            sweep_epochs: view.sweep.map_or(1.0, |p| p.epochs),
            runs_recalled: false,
            runs_stored_at: 0.0,
            pretrained: None,
            shipped: None,
            pretrained_history: Rc::new(Vec::new()),
            on_pretrained: false,
            test: None,
            means: Rc::new(Vec::new()),
            map_labels: Rc::new(Vec::new()),
            start: None,
            checkpoint: None,
            last_render: 0.0,
            own: OwnData::default(),
            own_classes: Rc::new(Vec::new()),
            own_changed: false,
            own_url: parsed
                .dataset_url
                .as_deref()
                .map(|url| same_origin_url(url, &location.origin)),
            out: Vec::new(),
            // The address bar leaves slow motion out: a reload does not take another step.
            view: ViewState {
                slowmo: None,
                ..view
            },
        }
    }

    /// What a copied link or embed code carries: the view, and slow motion's stage.
    pub fn link_view(&self) -> ViewState {
        let shown = self
            .slowmo
            .as_ref()
            .map(super::slowmo::SlowMo::stage_or_aim);
        ViewState {
            slowmo: shown.or(self.slowmo_link),
            ..self.view
        }
    }

    /// The class names of the dataset on screen: the map's legend.
    pub fn class_names(&self) -> Rc<Vec<String>> {
        match self.view.dataset {
            Dataset::Own => self.own_classes.clone(),
            d => Rc::new(d.class_names().map(String::from).to_vec()),
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

    /// The model is a shipped one, not trained here.
    fn untouched_pretrained(&self) -> bool {
        let untrained = self.readout.history.is_empty() && self.readout.step == 0;
        untrained && self.on_pretrained
    }

    /// What the chart draws: this page's training, or, before any, the run that made the
    /// pretrained model (`true`) when that is the model shown.
    pub fn chart_history(&self) -> (Rc<Vec<HistoryRow>>, bool) {
        if self.untouched_pretrained() && !self.pretrained_history.is_empty() {
            (self.pretrained_history.clone(), true)
        } else {
            (self.readout.history.clone(), false)
        }
    }

    /// The device's name as shown: `None` until the WebGPU probe answered.
    pub fn device_label(&self) -> Option<String> {
        self.probed.then(|| self.label(self.link.device()))
    }

    /// A device's name as shown, with the adapter's name for WebGPU.
    fn label(&self, device: Device) -> String {
        match device {
            Device::Cpu => "CPU (Burn ndarray)".to_string(),
            Device::WebGpu => {
                format!("WebGPU ({})", self.gpu_name.as_deref().unwrap_or("adapter"))
            }
        }
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
        let slowmo_before = self.slowmo_shown();
        let render = self.handle(msg, now);
        if self.slowmo_shown() != slowmo_before {
            // A host following slow motion hears of each stage.
            self.send_metrics(now, true);
        }
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
        if self.slowmo.is_some() && slowmo::interrupts(&msg) {
            self.leave_slowmo(now);
        }
        match msg {
            Msg::ZMoved(z) => {
                self.view.z = z;
                self.slot.decode(z, self.view.likelihood);
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
            Msg::Host(msg) => return self.host(msg, now),
            Msg::Runs(msg) => return self.on_runs(msg, now),
            Msg::Own(msg) => return self.own(msg, now),
            Msg::SlowMo(msg) => return self.slow_motion(msg, now),
        }
        true
    }

    /// Put `model` on screen and paint it.
    fn show_model(&mut self, model: AnyVae, preview: bool) {
        if let Err(e) = self.slot.set(model, preview) {
            self.notice = Some(e);
        }
        self.slot.decode(self.view.z, self.view.likelihood);
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
            // A loaded file's header may claim any step count.
            images_seen: step.saturating_mul(self.view.batch_size) as u64,
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

    fn remember(&mut self, bytes: Rc<Vec<u8>>, step: usize) {
        self.out.push(Effect::Remember {
            key: Keeper::key(self.view.dataset),
            bytes,
            step,
        });
    }
}
