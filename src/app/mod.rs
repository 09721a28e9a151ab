//! The playground page (wasm only): a Yew app whose state lives in one place, [`App`].
//! Messages are named after what the user did; the work they start (decoding, a training chunk,
//! a download) runs as futures that answer with another message.

pub mod assets;
mod browser;
pub mod components;
mod gpu;
mod worker;

use std::rc::Rc;

use futures::FutureExt;

use wasm_bindgen::JsValue;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::compute::{ComputeReply, ComputeRequest};
use crate::data::{Dataset, Digits, Split};
use crate::elbo::{ElboParts, Likelihood};
use crate::evidence::{Grid, Inspection};
use crate::host_api::{HostCommand, HostEvent};
use crate::model::{PointDecoder, VaeConfig};
use crate::session::{BackendKind, Model};
use crate::train::{HistoryRow, Progress, TrainSettings};
use crate::train_service::{Backend, ChunkEvent, TrainCommand, TrainEvent, MAP_POINTS};
use crate::url_state::{self, MapView, Panel, Panels, ViewState};
use crate::weights::{self, Provenance};
use components::{MapOverlay, TestPoint};

/// While training, remember the model in browser storage this often (ms).
const SAVE_EVERY_MS: f64 = 15_000.0;
/// While training, a chunk report with nothing but new counters renders at most this often (ms).
const RENDER_EVERY_MS: f64 = 100.0;
/// A train worker that stops is replaced this many times before the page gives up on training.
const TRAINER_RESTARTS: u32 = 3;
/// Subscribed hosts get metrics at most this often while training (ms).
const METRICS_EVERY_MS: f64 = 100.0;
/// The address bar follows the state, at most this often (ms).
const URL_SYNC_MS: u32 = 300;
/// The true-posterior heat map's grid side, over the map's square.
const HEAT_N: usize = 64;
/// Samples from q(z|x) decoded beside the input, and the importance-sampling K.
const Q_SAMPLES: usize = 4;
const IWAE_K: usize = 256;
/// While training, refresh the inspected input's numbers and the manifold this often (ms).
const INSPECT_EVERY_MS: f64 = 1500.0;
/// Images along an interpolation, and frames of its animation.
const INTERP_STEPS: usize = 10;
const INTERP_FRAMES: usize = 40;
/// The panels a copied embed code shows when the page shows them all.
const EMBED_PANELS: [Panel; 3] = [Panel::Decoded, Panel::Sliders, Panel::Map];

pub fn start() {
    yew::Renderer::<App>::new().render();
}

fn now_seconds() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now() / 1000.0)
}

/// What the page loads for one dataset.
pub struct Loaded {
    dataset: Dataset,
    pretrained: Rc<Vec<u8>>,
    model: Model,
    test: Rc<Digits>,
    /// The model this browser remembered for the dataset, if any (not yet checked).
    remembered: Option<Vec<u8>>,
}

/// Where a weights file came from, for messages.
#[derive(Clone, Copy, PartialEq)]
enum WeightsSource {
    File,
    Remembered,
}

/// Which backend runs, as shown to the user.
#[derive(Clone, PartialEq)]
pub struct BackendInfo {
    kind: Backend,
    label: String,
}

pub enum Msg {
    // What the user did.
    ZMoved([f64; 2]),
    TrainToggled,
    StepClicked,
    ResetClicked,
    RestoreClicked,
    DatasetChosen(Dataset),
    TrainingSetChosen(Split),
    BackendChosen(Backend),
    LearningRateSet(f64),
    BetaSet(f64),
    BatchSizeSet(usize),
    DecoderSet(Likelihood),
    HiddenSet(usize),
    SeedSet(u64),
    DownloadClicked,
    WeightsFileChosen(HtmlInputElement),
    RememberToggled(bool),
    EmbedPanelToggled(Panel),
    CopyEmbedClicked,
    CopyLinkClicked,
    UrlNoticesDismissed,
    NoticeDismissed,
    /// A `message` event: its origin, its data as JSON text, and the window that sent it.
    HostMessage(String, String, JsValue),
    // What came back.
    WeightsToDownload(Result<Vec<u8>, String>),
    WeightsFileRead(Result<Option<Vec<u8>>, String>),
    Remembered(usize, Result<(), String>),
    Forgotten(Result<(), String>),
    Copied(&'static str, Result<(), String>),
    UrlSyncDue,
    // Inside the bound.
    ExamplePicked(usize),
    DigitDrawn(Option<Rc<Vec<f32>>>),
    /// The posterior picture, before the numbers: ln p(x|z) + ln p(z) on the map's grid.
    HeatComputed(u64, Grid, Result<Vec<f64>, String>),
    Inspected(u64, Result<Inspection, String>),
    HeatToggled(bool),
    EllipseToggled(bool),
    ManifoldToggled(bool),
    ManifoldSizeSet(usize),
    ManifoldDecoded(Result<Vec<f32>, String>),
    /// Zoom buttons: the map should show this region.
    MapZoomed(MapView),
    InterpolationEndSet(usize),
    InterpolationDecoded(Result<Vec<f32>, String>),
    InterpolationPlayed,
    InterpolationFrame(usize),
    /// The compute worker answered.
    ComputeReplied(ComputeReply),
    GpuProbed(Option<String>),
    /// The train worker reported, with the weights file that came with it.
    Trained(Box<TrainEvent>, Option<Vec<u8>>),
    /// The train worker stopped (an uncaught error, or it could not load).
    TrainerFailed(String),
    /// The compute worker stopped.
    ComputeFailed(String),
    /// The decoder-only preview of the pretrained model, fetched first on a first visit.
    PreviewLoaded(Dataset, Box<Result<Model, String>>),
    /// The preview's image is on the page: time to load the rest.
    PreviewShown(Dataset),
    Loaded(Box<Result<Loaded, String>>),
    MapEncoded(Result<Vec<f32>, String>),
}

pub struct App {
    dataset: Dataset,
    backend: Option<BackendInfo>,
    /// The adapter name when the browser offers WebGPU.
    gpu_name: Option<String>,
    pretrained: Option<Rc<Vec<u8>>>,
    test: Option<Rc<Digits>>,
    /// How many training images the train worker has (for the current dataset and split).
    train_images: Option<usize>,
    /// The first 10k training images by default; all 60k on request.
    train_split: Split,
    /// The model the view decodes with; refreshed as the train worker sends weights.
    model: Option<Model>,
    /// The model's decoder as plain arrays: what a slider step decodes with.
    decoder: Option<Rc<PointDecoder>>,
    /// Weights the train worker sent that `model` is not yet built from: built when something
    /// needs the whole model, not four times a second while training.
    pending_model: Option<Rc<Vec<u8>>>,
    /// `model` is the decoder-only preview the first image is painted with, before the whole
    /// model has loaded: only decoding may use it.
    preview: bool,
    /// Counts models set; `shown_version` is the one the decoded image came from. Both are on
    /// the page (data attributes) so tests can wait for the image of the current model.
    model_version: u64,
    shown_version: u64,
    /// The train worker, started on the first training action; it trains off this thread.
    trainer: Option<worker::TrainWorker>,
    trainer_restarts: u32,
    /// Numbers the trainers the worker was asked for; its events for older ones are dropped.
    generation: u64,
    /// A trainer was asked for (training data is there); it takes commands from then on.
    trainer_started: bool,
    /// The model of a fresh trainer (Reset) comes back from the worker.
    awaiting_fresh_model: bool,
    /// A backend switch was asked for and not yet answered.
    switching: bool,
    /// The worker may be training: from a Run or Step until it reports that it stopped. On the
    /// page (`data-trainer-busy`) so tests can wait for a pause to take effect.
    trainer_busy: bool,
    /// A training action waiting for the training data, which loads on first use.
    after_train_data: Option<Msg>,
    training: bool,
    settings: TrainSettings,
    hidden: usize,
    seed: u64,
    z: [f64; 2],
    /// The region the latent map shows (and the heat map and manifold cover).
    map_view: MapView,
    pixels: Rc<Vec<f32>>,
    means: Rc<Vec<f32>>,
    map_labels: Rc<Vec<u8>>,
    step: usize,
    epoch: f64,
    images_per_second: f64,
    last: Option<ElboParts>,
    history: Rc<Vec<HistoryRow>>,
    test_points: Rc<Vec<TestPoint>>,
    notice: Option<String>,
    status: String,
    /// Embed mode: compact, no page chrome.
    embed: bool,
    panels: Panels,
    /// The panels a copied embed code will show.
    embed_panels: Panels,
    /// What the URL asked for that could not be used.
    url_notices: Vec<String>,
    url_sync_pending: bool,
    synced_query: String,
    /// Origins allowed to drive the page over postMessage: its own and the `host=` ones.
    allowed_origins: Vec<String>,
    hosts: Vec<String>,
    /// Windows that asked for metrics, with the origin to post them to.
    subscribers: Vec<(JsValue, String)>,
    last_metrics_sent: f64,
    ignored_messages: u32,
    _message_listener: browser::MessageListener,
    /// When the page last rendered (ms).
    last_render: f64,
    /// The weights (and step count) a new trainer starts from when training data arrives.
    start_weights: Option<Rc<Vec<u8>>>,
    start_step: usize,
    /// A weights file for another dataset, waiting for that dataset to load.
    pending_weights: Option<Vec<u8>>,
    /// Remember the model in browser storage (never in embed mode).
    remember: bool,
    remembered_step: Option<usize>,
    last_saved: f64,
    /// The last weights the train worker sent and its counters then (without history): what
    /// a lost GPU or a stopped worker falls back to, and what is remembered.
    checkpoint: Option<(Rc<Vec<u8>>, Progress)>,
    embed_code: String,
    inspect: InspectState,
    /// The compute worker, started on first use; `None` after it could not start (then the
    /// page computes on its own thread).
    compute: Option<Rc<worker::ComputeWorker>>,
    compute_failed: bool,
    /// The model version whose weights the worker has.
    compute_model_version: u64,
}

/// The "inside the bound" panel's state: the input, what was computed for it, and the layers.
#[derive(Default)]
pub struct InspectState {
    /// The input x (784 grey levels) and what it is, for labels.
    x: Option<(Rc<Vec<f32>>, String)>,
    /// Bumped whenever x changes, so late results for an old x are dropped.
    x_version: u64,
    result: Option<Rc<Inspection>>,
    /// The posterior heat map and the grid it was computed on, shared with the latent map.
    heat: Option<(Grid, Rc<Vec<f64>>)>,
    in_flight: bool,
    again: bool,
    last_run: f64,
    /// When the posterior picture was last asked for (ms), for `heat_ms`.
    last_heat: f64,
    /// How long the last inspection and manifold took to compute (ms), shown for benchmarks.
    inspect_ms: f64,
    heat_ms: f64,
    manifold_ms: f64,
    show_heat: bool,
    show_ellipse: bool,
    show_manifold: bool,
    manifold_n: usize,
    manifold: Option<(Grid, Rc<Vec<f32>>)>,
    /// The grid being decoded, while a manifold request is out.
    manifold_pending: Option<Grid>,
    last_manifold: f64,
    /// Interpolation ends (latent means) and the images along the line between them.
    ends: [Option<[f64; 2]>; 2],
    strip: Rc<Vec<f32>>,
    /// Test images shown as examples: the first of each class.
    examples: Vec<usize>,
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let window = web_sys::window();
        let query = window
            .as_ref()
            .and_then(|w| w.location().search().ok())
            .unwrap_or_default();
        let own_origin = window
            .as_ref()
            .and_then(|w| w.location().origin().ok())
            .unwrap_or_default();
        let parsed = url_state::parse(&query);
        let state = parsed.state;
        let mut allowed_origins = vec![own_origin];
        allowed_origins.extend(parsed.hosts.iter().cloned());
        let link = ctx.link().clone();
        let listener = browser::on_message(move |origin, text, source| {
            link.send_message(Msg::HostMessage(origin, text, source))
        });
        ctx.link()
            .send_future(async { Msg::GpuProbed(gpu::webgpu_adapter().await) });
        App {
            dataset: state.dataset,
            backend: None,
            gpu_name: None,
            pretrained: None,
            test: None,
            train_images: None,
            train_split: state.training_set,
            model: None,
            decoder: None,
            pending_model: None,
            preview: false,
            model_version: 0,
            shown_version: 0,
            trainer: None,
            trainer_restarts: 0,
            generation: 0,
            trainer_started: false,
            awaiting_fresh_model: false,
            switching: false,
            trainer_busy: false,
            after_train_data: None,
            training: false,
            // A history row every 5 steps keeps the chart moving several times a second.
            settings: TrainSettings {
                learning_rate: state.learning_rate,
                beta: state.beta,
                batch_size: state.batch_size,
                likelihood: state.likelihood,
                log_every: 5,
            },
            hidden: state.hidden,
            seed: state.seed,
            z: state.z,
            map_view: state.view,
            pixels: Rc::new(Vec::new()),
            means: Rc::new(Vec::new()),
            map_labels: Rc::new(Vec::new()),
            step: 0,
            epoch: 0.0,
            images_per_second: 0.0,
            last: None,
            history: Rc::new(Vec::new()),
            test_points: Rc::new(Vec::new()),
            notice: None,
            status: "Looking for a WebGPU adapter…".into(),
            embed: state.embed,
            panels: state.panels,
            embed_panels: if state.panels == Panels::ALL {
                EMBED_PANELS.into_iter().fold(Panels::NONE, Panels::with)
            } else {
                state.panels
            },
            url_notices: parsed.notices.iter().map(|n| n.message.clone()).collect(),
            url_sync_pending: false,
            synced_query: query.trim_start_matches('?').to_string(),
            allowed_origins,
            hosts: parsed.hosts,
            subscribers: Vec::new(),
            last_metrics_sent: 0.0,
            ignored_messages: 0,
            _message_listener: listener,
            last_render: 0.0,
            start_weights: None,
            start_step: 0,
            pending_weights: None,
            remember: !state.embed,
            remembered_step: None,
            last_saved: 0.0,
            checkpoint: None,
            embed_code: String::new(),
            compute: None,
            compute_failed: false,
            compute_model_version: 0,
            inspect: InspectState {
                show_heat: true,
                show_ellipse: true,
                manifold_n: 12,
                ..InspectState::default()
            },
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let render = self.handle(ctx, msg);
        self.schedule_url_sync(ctx);
        if render {
            self.last_render = now_seconds() * 1000.0;
        }
        render
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        view::page(self, ctx)
    }
}

impl App {
    fn handle(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        // Training data loads on first use, so a visit that only explores downloads less.
        if self.train_images.is_none()
            && matches!(
                msg,
                Msg::TrainToggled | Msg::StepClicked | Msg::ResetClicked
            )
        {
            if self.after_train_data.is_none() && self.whole_model().is_some() {
                self.status = format!("Loading the {} training images…", self.dataset.title());
                self.load_train_data(ctx);
            }
            self.after_train_data = Some(msg);
            return true;
        }
        match msg {
            Msg::GpuProbed(name) => {
                let kind = match name {
                    Some(_) => Backend::WebGpu,
                    None => Backend::Cpu,
                };
                self.gpu_name = name;
                self.backend = Some(self.backend_info(kind));
                self.status = format!("Loading the pretrained {} model…", self.dataset.title());
                self.load_preview(ctx, self.dataset);
            }
            Msg::PreviewLoaded(dataset, result) => {
                if let (Ok(model), None) = (*result, &self.model) {
                    self.set_model(model);
                    self.preview = true;
                    self.request_decode();
                }
                // Then the whole model and the test images, once the first image is painted (a
                // timer runs after this update's render); a failed preview just means waiting.
                ctx.link().send_future(async move {
                    gloo_timers::future::TimeoutFuture::new(0).await;
                    Msg::PreviewShown(dataset)
                });
            }
            Msg::PreviewShown(dataset) => {
                self.load(ctx, dataset);
                return false;
            }
            Msg::Loaded(loaded) => match *loaded {
                Ok(loaded) => {
                    let first = self.pretrained.is_none();
                    self.dataset = loaded.dataset;
                    self.start_weights = Some(loaded.pretrained.clone());
                    self.start_step = 0;
                    self.pretrained = Some(loaded.pretrained);
                    self.set_model(loaded.model);
                    self.map_labels =
                        Rc::new(loaded.test.labels()[..MAP_POINTS.min(loaded.test.len())].to_vec());
                    self.inspect.examples = first_of_each_class(&loaded.test);
                    self.test = Some(loaded.test);
                    self.clear_input();
                    self.inspect.manifold = None;
                    self.trainer_started = false;
                    self.generation += 1;
                    self.train_images = None;
                    self.checkpoint = None;
                    self.after_train_data = None;
                    self.remembered_step = None;
                    self.clear_progress();
                    self.status = "Ready. Drag z, or train.".into();
                    if let Some(bytes) = self.pending_weights.take() {
                        self.adopt_weights(ctx, bytes, WeightsSource::File);
                    } else if let Some(bytes) = loaded.remembered {
                        self.adopt_weights(ctx, bytes, WeightsSource::Remembered);
                    }
                    self.request_decode();
                    self.refresh_map(ctx);
                    if first {
                        self.announce_ready();
                    }
                }
                Err(e) => {
                    self.notice = Some(format!("Could not load the model: {e}"));
                    self.status = "Load failed".into();
                }
            },
            Msg::ZMoved(z) => {
                self.z = z;
                self.request_decode();
            }
            Msg::MapEncoded(result) => match result {
                Ok(m) => self.means = Rc::new(m),
                Err(e) => self.notice = Some(e),
            },
            Msg::TrainToggled => {
                self.training = !self.training;
                if self.training {
                    self.notice = None;
                    self.trainer_busy = true;
                    self.send_trainer(TrainCommand::Run);
                } else {
                    self.send_trainer(TrainCommand::Pause);
                    self.send_metrics();
                }
            }
            Msg::StepClicked => {
                self.training = false;
                self.trainer_busy = true;
                self.send_trainer(TrainCommand::Step { steps: 1 });
            }
            Msg::Trained(event, weights) => return self.trained(ctx, *event, weights),
            Msg::TrainerFailed(message) => self.restart_trainer(ctx, &message, false),
            Msg::ComputeFailed(_) => {
                // Its work moves to this thread; results in flight are asked for again.
                self.compute = None;
                self.compute_failed = true;
                self.inspect.in_flight = false;
                self.inspect.manifold_pending = None;
                self.request_inspect(ctx);
                self.request_manifold(ctx);
            }
            Msg::ResetClicked => {
                self.training = false;
                if self.train_images.is_some() {
                    let config = VaeConfig::new()
                        .with_hidden(self.hidden)
                        .with_seed(self.seed);
                    self.clear_progress();
                    self.checkpoint = None;
                    self.awaiting_fresh_model = true;
                    self.start_trainer(Some(config), Progress::default());
                }
            }
            Msg::RestoreClicked => {
                self.training = false;
                if let Some(bytes) = self.pretrained.clone() {
                    match Model::from_weights(BackendKind::Cpu, &bytes) {
                        Ok(model) => {
                            self.set_model(model);
                            self.start_weights = Some(bytes);
                            self.start_step = 0;
                            self.checkpoint = None;
                            self.clear_progress();
                            self.start_trainer(None, Progress::default());
                            self.request_decode();
                            self.refresh_map(ctx);
                        }
                        Err(e) => self.notice = Some(e.to_string()),
                    }
                }
            }
            Msg::DatasetChosen(dataset) => {
                if dataset != self.dataset {
                    self.training = false;
                    self.dataset = dataset;
                    self.status = format!("Loading the pretrained {} model…", dataset.title());
                    self.load(ctx, dataset);
                }
            }
            Msg::TrainingSetChosen(split) => {
                if split != self.train_split {
                    self.train_split = split;
                    if self.train_images.is_some() {
                        self.status = "Loading the training images…".into();
                        self.load_train_data(ctx);
                    }
                }
            }
            Msg::BackendChosen(kind) => {
                if Some(kind) != self.backend.as_ref().map(|b| b.kind) {
                    self.switch_backend(kind);
                }
            }
            Msg::LearningRateSet(v) => self.change_settings(|s| s.learning_rate = v),
            Msg::BetaSet(v) => self.change_settings(|s| s.beta = v),
            Msg::BatchSizeSet(v) => self.change_settings(|s| s.batch_size = v),
            Msg::DecoderSet(v) => self.change_settings(|s| s.likelihood = v),
            Msg::HiddenSet(v) => self.hidden = v,
            Msg::SeedSet(v) => self.seed = v,
            Msg::DownloadClicked => self.with_weights(ctx, Msg::WeightsToDownload),
            Msg::WeightsToDownload(Ok(bytes)) => {
                let name = format!(
                    "vae-{}-h{}-step{}.vaew",
                    self.dataset.key(),
                    self.hidden,
                    self.step
                );
                browser::download(&name, &bytes);
                self.status = format!("Downloaded {name}.");
            }
            Msg::WeightsToDownload(Err(e)) => {
                self.notice = Some(format!("Could not read the weights back: {e}"))
            }
            Msg::WeightsFileChosen(input) => {
                ctx.link().send_future(async move {
                    let bytes = browser::chosen_file(&input).await;
                    // Choosing the same file again must fire another change event.
                    input.set_value("");
                    Msg::WeightsFileRead(bytes)
                });
            }
            Msg::WeightsFileRead(Ok(None)) => return false,
            Msg::WeightsFileRead(Ok(Some(bytes))) => {
                self.training = false;
                self.adopt_weights(ctx, bytes, WeightsSource::File);
            }
            Msg::WeightsFileRead(Err(e)) => {
                self.notice = Some(format!(
                    "Could not read that file: {e}. The current model is unchanged."
                ))
            }
            Msg::RememberToggled(on) => {
                self.remember = on;
                if on {
                    if let Some((bytes, progress)) = self.checkpoint.clone() {
                        self.remember_weights(ctx, bytes, progress.step);
                    }
                } else {
                    let key = remember_key(self.dataset);
                    ctx.link()
                        .send_future(async move { Msg::Forgotten(browser::forget(&key).await) });
                }
            }
            Msg::Remembered(step, Ok(())) => self.remembered_step = Some(step),
            Msg::Remembered(_, Err(e)) => {
                self.remember = false;
                self.notice = Some(format!(
                    "This browser does not let the page keep the model ({e}); it will not be remembered."
                ));
            }
            Msg::Forgotten(Ok(())) => {
                self.remembered_step = None;
                self.status =
                    "Forgot the saved model; the next visit opens the pretrained one.".into();
            }
            Msg::Forgotten(Err(e)) => {
                self.notice = Some(format!("Could not forget the model: {e}"))
            }
            Msg::EmbedPanelToggled(panel) => {
                let toggled = Panel::ALL
                    .into_iter()
                    .filter(|p| (*p == panel) != self.embed_panels.contains(*p))
                    .fold(Panels::NONE, Panels::with);
                if !toggled.is_empty() {
                    self.embed_panels = toggled;
                }
                self.embed_code.clear();
            }
            Msg::CopyEmbedClicked => {
                self.embed_code = self.embed_snippet();
                let code = self.embed_code.clone();
                ctx.link().send_future(async move {
                    Msg::Copied("Embed code", browser::copy(&code).await)
                });
            }
            Msg::CopyLinkClicked => {
                let url = self.share_url(&self.view_state());
                ctx.link()
                    .send_future(async move { Msg::Copied("Link", browser::copy(&url).await) });
            }
            Msg::Copied(what, Ok(())) => self.status = format!("{what} copied to the clipboard."),
            Msg::Copied(what, Err(e)) => {
                self.status =
                    format!("{what} could not be copied ({e}); select it and copy by hand.")
            }
            Msg::UrlNoticesDismissed => self.url_notices.clear(),
            Msg::NoticeDismissed => self.notice = None,
            Msg::UrlSyncDue => {
                self.url_sync_pending = false;
                let query = self.current_query();
                if query != self.synced_query {
                    browser::replace_query(&query);
                    self.synced_query = query;
                }
                return false;
            }
            Msg::HostMessage(origin, text, source) => {
                return self.host_message(ctx, &origin, &text, source);
            }
            Msg::ExamplePicked(index) => {
                if let Some(test) = &self.test {
                    let label = self.dataset.class_names()[test.label(index) as usize % 10];
                    let x = Rc::new(test.image_f32(index));
                    self.set_input(ctx, x, format!("test image #{index} ({label})"));
                }
            }
            Msg::DigitDrawn(Some(ink)) => {
                match crate::drawing::to_mnist(&ink, components::digit_pad::SIDE) {
                    Some(x) => self.set_input(ctx, Rc::new(x), "your drawing".into()),
                    None => self.clear_input(),
                }
            }
            Msg::DigitDrawn(None) => self.clear_input(),
            Msg::HeatComputed(version, grid, Ok(joint)) => {
                if version == self.inspect.x_version && grid == self.heat_grid() {
                    self.inspect.heat_ms = now_seconds() * 1000.0 - self.inspect.last_heat;
                    let max = joint.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    self.inspect.heat = Some((
                        grid,
                        Rc::new(joint.iter().map(|j| (j - max).exp()).collect()),
                    ));
                }
            }
            Msg::HeatComputed(_, _, Err(e)) => {
                self.notice = Some(format!("Could not compute the posterior: {e}"))
            }
            Msg::Inspected(version, result) => {
                self.inspect.in_flight = false;
                self.inspect.inspect_ms = now_seconds() * 1000.0 - self.inspect.last_run;
                match result {
                    Ok(r) if version == self.inspect.x_version => {
                        if r.view == self.heat_grid() {
                            self.inspect.heat = Some((r.view, Rc::new(r.heat.clone())));
                        }
                        self.inspect.result = Some(Rc::new(r));
                    }
                    Ok(_) => {}
                    Err(e) => self.notice = Some(format!("Could not inspect the input: {e}")),
                }
                if std::mem::take(&mut self.inspect.again) {
                    self.request_inspect(ctx);
                }
            }
            Msg::HeatToggled(on) => self.inspect.show_heat = on,
            Msg::EllipseToggled(on) => self.inspect.show_ellipse = on,
            Msg::ManifoldToggled(on) => {
                self.inspect.show_manifold = on;
                self.request_manifold(ctx);
            }
            Msg::ManifoldSizeSet(n) => {
                self.inspect.manifold_n = n.clamp(2, 30);
                self.request_manifold(ctx);
            }
            Msg::ManifoldDecoded(result) => {
                let Some(grid) = self.inspect.manifold_pending.take() else {
                    return false;
                };
                self.inspect.manifold_ms = now_seconds() * 1000.0 - self.inspect.last_manifold;
                match result {
                    Ok(pixels) => self.inspect.manifold = Some((grid, Rc::new(pixels))),
                    Err(e) => self.notice = Some(format!("Could not decode the manifold: {e}")),
                }
                if grid != self.manifold_grid() {
                    self.request_manifold(ctx);
                }
            }
            Msg::MapZoomed(view) => {
                self.map_view = view;
                self.request_heat(ctx);
                self.request_manifold(ctx);
            }
            Msg::InterpolationEndSet(end) => {
                if let Some(r) = &self.inspect.result {
                    let mu = &r.evidence.posterior.mu;
                    self.inspect.ends[end.min(1)] = Some([mu[0], mu[1]]);
                    self.request_strip(ctx);
                }
            }
            Msg::InterpolationDecoded(Ok(pixels)) => self.inspect.strip = Rc::new(pixels),
            Msg::InterpolationDecoded(Err(e)) => {
                self.notice = Some(format!("Could not decode the interpolation: {e}"))
            }
            Msg::ComputeReplied(reply) => match reply {
                ComputeReply::LogJoint { id, view, result } => {
                    ctx.link().send_message(Msg::HeatComputed(id, view, result))
                }
                ComputeReply::Inspect { id, result } => ctx
                    .link()
                    .send_message(Msg::Inspected(id, result.map(|b| *b))),
                ComputeReply::Decode { result, .. } => {
                    ctx.link().send_message(Msg::ManifoldDecoded(result))
                }
            },
            Msg::InterpolationPlayed => ctx.link().send_message(Msg::InterpolationFrame(0)),
            Msg::InterpolationFrame(frame) => {
                if let [Some(a), Some(b)] = self.inspect.ends {
                    let t = frame as f64 / (INTERP_FRAMES - 1) as f64;
                    ctx.link().send_message(Msg::ZMoved([
                        a[0] + t * (b[0] - a[0]),
                        a[1] + t * (b[1] - a[1]),
                    ]));
                    if frame + 1 < INTERP_FRAMES {
                        ctx.link().send_future(async move {
                            gloo_timers::future::TimeoutFuture::new(50).await;
                            Msg::InterpolationFrame(frame + 1)
                        });
                    }
                }
            }
        }
        true
    }
}

impl App {
    fn kind(&self) -> Backend {
        self.backend.as_ref().map_or(Backend::Cpu, |b| b.kind)
    }

    fn backend_info(&self, kind: Backend) -> BackendInfo {
        let label = match kind {
            Backend::Cpu => "CPU (Burn ndarray)".to_string(),
            Backend::WebGpu => {
                format!("WebGPU ({})", self.gpu_name.as_deref().unwrap_or("adapter"))
            }
        };
        BackendInfo { kind, label }
    }

    fn set_model(&mut self, model: Model) {
        // A CPU model's read-back is ready at once.
        self.decoder = match model.point_decoder().now_or_never() {
            Some(Ok(decoder)) => Some(Rc::new(decoder)),
            Some(Err(e)) => {
                self.notice = Some(format!("The model could not be decoded: {e}"));
                None
            }
            None => None,
        };
        self.model = Some(model);
        self.pending_model = None;
        self.preview = false;
        self.model_version += 1;
    }

    /// The model, unless it is the decoder-only preview; built from the latest weights first.
    fn whole_model(&mut self) -> Option<Model> {
        if let Some(bytes) = self.pending_model.take() {
            match Model::from_weights(BackendKind::Cpu, &bytes) {
                Ok(model) => self.model = Some(model),
                Err(e) => self.notice = Some(format!("The trained weights could not be read: {e}")),
            }
        }
        self.model.clone().filter(|_| !self.preview)
    }

    /// Fetch the small decoder-only preview first, so the first image needs a fraction of the
    /// bytes; the whole model follows.
    fn load_preview(&self, ctx: &Context<Self>, dataset: Dataset) {
        ctx.link().send_future(async move {
            let result = assets::fetch_bytes(&assets::preview_url(dataset))
                .await
                .and_then(|bytes| Model::from_preview(&bytes).map_err(|e| e.to_string()));
            Msg::PreviewLoaded(dataset, Box::new(result))
        });
    }

    fn load(&mut self, ctx: &Context<Self>, dataset: Dataset) {
        let recall = self.remember;
        ctx.link().send_future(async move {
            let result = async {
                let remembered = async {
                    if recall {
                        // No storage (a sandboxed frame, private mode) just means nothing kept.
                        browser::recall(&remember_key(dataset)).await.ok().flatten()
                    } else {
                        None
                    }
                };
                let (weights, test, remembered) = futures::future::join3(
                    assets::fetch_bytes(&assets::weights_url(dataset)),
                    assets::fetch_digits(dataset, Split::Test),
                    remembered,
                )
                .await;
                let weights = weights?;
                let model =
                    Model::from_weights(BackendKind::Cpu, &weights).map_err(|e| e.to_string())?;
                Ok(Loaded {
                    dataset,
                    pretrained: Rc::new(weights),
                    model,
                    test: Rc::new(test?),
                    remembered,
                })
            }
            .await;
            Msg::Loaded(Box::new(result))
        });
    }

    /// Ask the train worker for the training images (it fetches them itself).
    fn load_train_data(&mut self, ctx: &Context<Self>) {
        let (dataset, split) = (self.dataset, self.train_split);
        self.ensure_trainer(ctx);
        self.send_trainer(TrainCommand::Data { dataset, split });
    }

    /// Start the train worker if there is none; false when it cannot start.
    fn ensure_trainer(&mut self, ctx: &Context<Self>) -> bool {
        if self.trainer.is_none() {
            let (events, failures) = (ctx.link().clone(), ctx.link().clone());
            self.trainer = worker::TrainWorker::start(
                Callback::from(move |(event, weights)| {
                    events.send_message(Msg::Trained(Box::new(event), weights))
                }),
                Callback::from(move |message| failures.send_message(Msg::TrainerFailed(message))),
            );
            if self.trainer.is_none() {
                self.notice = Some(
                    "This browser could not start the training worker, so the page cannot train here. Exploring still works."
                        .into(),
                );
            }
        }
        self.trainer.is_some()
    }

    fn send_trainer(&self, command: TrainCommand) {
        if let Some(trainer) = &self.trainer {
            trainer.send(&command, None);
        }
    }

    /// A new trainer in the worker, fresh from `fresh` or else from the start weights,
    /// continuing `progress`; once training data is there.
    fn start_trainer(&mut self, fresh: Option<VaeConfig>, progress: Progress) {
        let weights = match fresh {
            Some(_) => None,
            None => self.start_weights.clone(),
        };
        if self.train_images.is_none() || (fresh.is_none() && weights.is_none()) {
            return;
        }
        let Some(trainer) = &self.trainer else {
            return;
        };
        self.generation += 1;
        self.switching = false;
        trainer.send(
            &TrainCommand::Start {
                generation: self.generation,
                backend: self.kind(),
                fresh,
                progress,
                settings: self.settings,
            },
            weights.as_deref().map(|w| w.as_slice()),
        );
        self.trainer_started = true;
    }

    /// The progress a trainer from the start weights continues.
    fn start_progress(&self) -> Progress {
        Progress {
            step: self.start_step,
            images_seen: (self.start_step * self.settings.batch_size) as u64,
            ..Progress::default()
        }
    }

    /// What the train worker said.
    /// Whether the page should render.
    fn trained(
        &mut self,
        ctx: &Context<Self>,
        event: TrainEvent,
        weights: Option<Vec<u8>>,
    ) -> bool {
        match event {
            TrainEvent::DataLoaded {
                dataset,
                split,
                images,
            } if dataset == self.dataset && split == self.train_split => {
                self.train_images = Some(images);
                self.status = format!("Ready. Training on {images} images.");
                if !self.trainer_started {
                    self.start_trainer(None, self.start_progress());
                }
                if let Some(msg) = self.after_train_data.take() {
                    ctx.link().send_message(msg);
                }
            }
            TrainEvent::DataLoaded { .. } => {}
            TrainEvent::DataFailed { message, .. } => {
                self.after_train_data = None;
                self.notice = Some(format!("Could not load training data: {message}"));
            }
            TrainEvent::Started {
                generation,
                backend,
                config,
                step,
            } if generation == self.generation => {
                self.trainer_restarts = 0;
                self.trainer_busy = false;
                self.hidden = config.hidden;
                self.step = step;
                if std::mem::take(&mut self.switching) {
                    let info = self.backend_info(backend);
                    self.status = format!("Now running on {}", info.label);
                    self.backend = Some(info);
                }
                if std::mem::take(&mut self.awaiting_fresh_model) {
                    if let Some(bytes) = weights {
                        self.take_weights(ctx, bytes, Progress::default());
                        self.refresh_map(ctx);
                    }
                }
            }
            TrainEvent::StartFailed {
                generation,
                message,
            } if generation == self.generation => {
                self.awaiting_fresh_model = false;
                self.trainer_busy = false;
                self.notice = Some(if std::mem::take(&mut self.switching) {
                    format!("Could not switch backend: {message}. Kept the current one.")
                } else {
                    format!("Could not start training: {message}")
                });
            }
            TrainEvent::Chunk(chunk) if chunk.generation == self.generation => {
                // A report of counters alone re-renders the page at most every RENDER_EVERY_MS:
                // each render holds up slider input a little.
                let news = weights.is_some()
                    || !chunk.history.is_empty()
                    || chunk.means.is_some()
                    || chunk.test.is_some()
                    || chunk.error.is_some()
                    || !chunk.running;
                self.after_chunk(ctx, *chunk, weights);
                return news || now_seconds() * 1000.0 - self.last_render >= RENDER_EVERY_MS;
            }
            TrainEvent::GpuLost { reason } if self.kind() == Backend::WebGpu => {
                self.restart_trainer(ctx, &reason, true)
            }
            TrainEvent::Started { .. }
            | TrainEvent::StartFailed { .. }
            | TrainEvent::Chunk(_)
            | TrainEvent::GpuLost { .. } => return false, // from an older trainer
        }
        true
    }

    /// A weights file from the train worker: the model the page decodes with, and the
    /// checkpoint that is remembered and fallen back on.
    fn take_weights(&mut self, ctx: &Context<Self>, bytes: Vec<u8>, progress: Progress) {
        // Only the decoder now (cheap); the whole model when something asks for it.
        match weights::point_decoder(&bytes) {
            Ok(decoder) => self.decoder = Some(Rc::new(decoder)),
            Err(e) => {
                self.notice = Some(format!("The trained weights could not be read: {e}"));
                return;
            }
        }
        self.model_version += 1;
        self.preview = false;
        let bytes = Rc::new(bytes);
        self.pending_model = Some(bytes.clone());
        let step = progress.step;
        self.checkpoint = Some((bytes.clone(), progress));
        self.request_decode();
        let now = now_seconds() * 1000.0;
        if !self.training || now - self.last_saved > SAVE_EVERY_MS {
            self.remember_weights(ctx, bytes, step);
        }
    }

    fn clear_progress(&mut self) {
        self.step = 0;
        self.epoch = 0.0;
        self.images_per_second = 0.0;
        self.last = None;
        self.history = Rc::new(Vec::new());
        self.test_points = Rc::new(Vec::new());
    }

    fn change_settings(&mut self, edit: impl FnOnce(&mut TrainSettings)) {
        edit(&mut self.settings);
        if self.trainer_started {
            self.send_trainer(TrainCommand::Settings {
                settings: self.settings,
            });
        }
    }

    /// Paint the image at z, in this update (no message and render later): the page's model
    /// is on the CPU, and its `PointDecoder` decodes one point without tensors.
    fn request_decode(&mut self) {
        if let Some(decoder) = &self.decoder {
            self.pixels = Rc::new(decoder.decode(&[self.z[0] as f32, self.z[1] as f32]));
            self.shown_version = self.model_version;
        }
    }

    fn refresh_map(&mut self, ctx: &Context<Self>) {
        let (Some(model), Some(test)) = (self.whole_model(), self.test.clone()) else {
            return;
        };
        ctx.link().send_future(async move {
            let subset = test.take(MAP_POINTS);
            Msg::MapEncoded(model.encode_means(&subset).await.map_err(|e| e.to_string()))
        });
    }

    fn after_chunk(&mut self, ctx: &Context<Self>, chunk: ChunkEvent, weights: Option<Vec<u8>>) {
        self.trainer_busy = chunk.running;
        if chunk.steps > 0 {
            self.images_per_second = chunk.images as f64 / chunk.seconds.max(1e-9);
            self.last = Some(chunk.parts);
        }
        if let Some(failure) = &chunk.error {
            self.training = false;
            self.notice = Some(if failure.diverged {
                format!(
                    "Training paused: {}. A learning rate of {} is a safe next try.",
                    failure.message,
                    (self.settings.learning_rate / 10.0).min(1e-3)
                )
            } else {
                format!("Training paused: {}", failure.message)
            });
        }
        self.step = chunk.step;
        self.epoch = chunk.epoch;
        if !chunk.history.is_empty() || chunk.history_from < self.history.len() {
            let history = Rc::make_mut(&mut self.history);
            history.truncate(chunk.history_from);
            history.extend(chunk.history);
        }
        if let Some(means) = chunk.means {
            self.means = Rc::new(means);
        }
        if let Some(p) = chunk.test {
            let mut points = (*self.test_points).clone();
            points.push(TestPoint {
                step: chunk.step,
                kl: p.kl,
                recon: p.recon,
            });
            self.test_points = Rc::new(points);
        }
        if let Some(bytes) = weights {
            let progress = Progress {
                step: chunk.step,
                images_seen: chunk.images_seen,
                train_seconds: chunk.train_seconds,
                history: Vec::new(),
            };
            self.take_weights(ctx, bytes, progress);
        }
        let now = now_seconds() * 1000.0;
        if !chunk.running || now - self.last_metrics_sent > METRICS_EVERY_MS {
            self.send_metrics();
        }
        if !chunk.running || now - self.inspect.last_run > INSPECT_EVERY_MS {
            self.request_inspect(ctx);
        }
        if !chunk.running || now - self.inspect.last_manifold > INSPECT_EVERY_MS {
            self.request_manifold(ctx);
        }
    }

    /// Take a weights file (uploaded or remembered) as the current model; on any problem, say
    /// so and keep the current model.
    fn adopt_weights(&mut self, ctx: &Context<Self>, bytes: Vec<u8>, source: WeightsSource) {
        let what = match source {
            WeightsSource::File => "That weights file",
            WeightsSource::Remembered => "The model saved in this browser",
        };
        let refuse =
            |e: String| format!("{what} could not be used: {e}. The current model is unchanged.");
        let header = match weights::header(&bytes) {
            Ok(h) => h,
            Err(e) => {
                self.notice = Some(refuse(e.to_string()));
                return;
            }
        };
        if let Some(dataset) = header.dataset.filter(|d| *d != self.dataset) {
            if source == WeightsSource::File {
                // Switch dataset first; the file is used once its test images are here.
                self.pending_weights = Some(bytes);
                self.dataset = dataset;
                self.status = format!("Loading {} for this model…", dataset.title());
                self.load(ctx, dataset);
            }
            return;
        }
        let model = match Model::from_weights(BackendKind::Cpu, &bytes) {
            Ok(m) => m,
            Err(e) => {
                self.notice = Some(refuse(e.to_string()));
                return;
            }
        };
        let step = usize::try_from(header.steps).unwrap_or(usize::MAX);
        self.set_model(model);
        self.settings.likelihood = header.likelihood;
        self.hidden = header.config.hidden;
        self.seed = header.config.seed;
        self.start_weights = Some(Rc::new(bytes));
        self.start_step = step;
        self.clear_progress();
        self.step = step;
        self.start_trainer(None, self.start_progress());
        self.request_decode();
        self.refresh_map(ctx);
        match source {
            WeightsSource::File => {
                self.notice = None;
                self.status = format!("Loaded a model trained for {step} steps.");
                let bytes = self.start_weights.clone().unwrap_or_default();
                self.checkpoint = Some((
                    bytes.clone(),
                    Progress {
                        step,
                        ..Progress::default()
                    },
                ));
                self.remember_weights(ctx, bytes, step);
            }
            WeightsSource::Remembered => {
                self.remembered_step = Some(step);
                self.status = format!(
                    "Restored the model you trained in this browser ({step} steps). “Restore pretrained” goes back."
                );
            }
        }
    }

    /// The current model as a weights file, answered with `reply`.
    fn with_weights(
        &mut self,
        ctx: &Context<Self>,
        reply: impl FnOnce(Result<Vec<u8>, String>) -> Msg + 'static,
    ) {
        let Some(model) = self.whole_model() else {
            return;
        };
        let (seed, provenance) = (self.seed, self.provenance());
        ctx.link().send_future(async move {
            reply(
                model
                    .to_weights(seed, &provenance)
                    .await
                    .map_err(|e| e.to_string()),
            )
        });
    }

    fn provenance(&self) -> Provenance {
        Provenance {
            dataset: Some(self.dataset),
            likelihood: self.settings.likelihood,
            steps: self.step as u64,
            note: "trained in the VAE playground".into(),
        }
    }

    /// Keep `bytes` in browser storage, if the user wants that and the model was trained.
    fn remember_weights(&mut self, ctx: &Context<Self>, bytes: Rc<Vec<u8>>, step: usize) {
        if !self.remember || step == 0 {
            return;
        }
        self.last_saved = now_seconds() * 1000.0;
        let key = remember_key(self.dataset);
        ctx.link().send_future(async move {
            Msg::Remembered(step, browser::remember(&key, &bytes).await)
        });
    }

    /// The WebGPU device is gone, or the train worker stopped: carry on in a new worker on the
    /// CPU, from the last weights it sent (or the start weights), training if it was.
    fn restart_trainer(&mut self, ctx: &Context<Self>, reason: &str, lost_gpu: bool) {
        let was_training = self.training;
        self.training = false;
        self.trainer_busy = false;
        self.trainer = None;
        self.trainer_started = false;
        self.switching = false;
        self.awaiting_fresh_model = false;
        self.trainer_restarts += 1;
        if lost_gpu {
            self.gpu_name = None;
        }
        // A worker that stopped on WebGPU may have stopped because of it: go on on the CPU.
        self.backend = Some(self.backend_info(Backend::Cpu));
        if self.trainer_restarts > TRAINER_RESTARTS {
            self.notice = Some(format!(
                "Training stopped ({reason}) and could not be restarted. Exploring still works."
            ));
            return;
        }
        let (bytes, mut progress) = match self.checkpoint.clone() {
            Some(c) => c,
            None => match self.start_weights.clone() {
                Some(b) => (b, self.start_progress()),
                None => return,
            },
        };
        let model = match Model::from_weights(BackendKind::Cpu, &bytes) {
            Ok(m) => m,
            Err(e) => {
                self.notice = Some(format!(
                    "Training stopped ({reason}) and could not restart: {e}"
                ));
                return;
            }
        };
        self.set_model(model);
        self.start_weights = Some(bytes);
        self.start_step = progress.step;
        // The chart keeps the rows up to the weights it goes on from.
        let history = Rc::make_mut(&mut self.history);
        history.retain(|row| row.step <= progress.step);
        progress.history = history.clone();
        self.step = progress.step;
        self.notice = Some(format!(
            "{}. Switched to the CPU backend with the weights from step {}{}.",
            if lost_gpu {
                format!("The WebGPU device was lost ({reason})")
            } else {
                format!("The training worker stopped ({reason})")
            },
            self.step,
            if was_training {
                "; training goes on"
            } else {
                ""
            }
        ));
        self.status = "Now running on the CPU".into();
        self.request_decode();
        self.refresh_map(ctx);
        if self.train_images.is_some() && self.ensure_trainer(ctx) {
            // Commands run in order: the trainer starts once the new worker has the images.
            self.send_trainer(TrainCommand::Data {
                dataset: self.dataset,
                split: self.train_split,
            });
            self.start_trainer(None, progress);
            if was_training {
                self.training = true;
                self.trainer_busy = true;
                self.send_trainer(TrainCommand::Run);
            }
        }
    }

    fn switch_backend(&mut self, kind: Backend) {
        if kind == Backend::WebGpu && self.gpu_name.is_none() {
            self.notice = Some("This browser offers no WebGPU adapter; staying on the CPU.".into());
            return;
        }
        self.training = false;
        if !self.trainer_started {
            // Nothing trains yet: the next trainer starts there.
            let info = self.backend_info(kind);
            self.status = format!("Now running on {}", info.label);
            self.backend = Some(info);
            return;
        }
        self.generation += 1;
        self.switching = true;
        self.status = format!("Moving to {}…", self.backend_info(kind).label);
        self.send_trainer(TrainCommand::Switch {
            generation: self.generation,
            backend: kind,
        });
    }
}

/// Inside the bound: the input, its evidence, the manifold and interpolations.
impl App {
    fn set_input(&mut self, ctx: &Context<Self>, x: Rc<Vec<f32>>, what: String) {
        self.inspect.x = Some((x, what));
        self.inspect.x_version += 1;
        self.inspect.result = None;
        self.inspect.heat = None;
        self.request_inspect(ctx);
    }

    fn clear_input(&mut self) {
        self.inspect.x = None;
        self.inspect.x_version += 1;
        self.inspect.result = None;
        self.inspect.heat = None;
    }

    /// The grid the posterior heat map is computed on: the map's current view.
    fn heat_grid(&self) -> Grid {
        self.map_view.grid(HEAT_N)
    }

    /// The grid the manifold is decoded on: the map's current view, n x n.
    fn manifold_grid(&self) -> Grid {
        self.map_view.grid(self.inspect.manifold_n)
    }

    /// Compute the posterior picture alone: for a new input, ahead of its numbers, and after a
    /// zoom, which does not change the numbers.
    fn request_heat(&mut self, ctx: &Context<Self>) {
        let (Some((x, _)), Some(model)) = (self.inspect.x.clone(), self.whole_model()) else {
            return;
        };
        let (version, likelihood, view) = (
            self.inspect.x_version,
            self.settings.likelihood,
            self.heat_grid(),
        );
        self.inspect.last_heat = now_seconds() * 1000.0;
        if self.compute_ready(ctx) {
            self.send_compute(ComputeRequest::LogJoint {
                id: version,
                x: x.to_vec(),
                likelihood,
                view,
            });
            return;
        }
        ctx.link().send_future(async move {
            let joint = model
                .log_joint_on_grid(&x, likelihood, view)
                .await
                .map_err(|e| e.to_string());
            Msg::HeatComputed(version, view, joint)
        });
    }

    fn request_inspect(&mut self, ctx: &Context<Self>) {
        let (Some((x, _)), Some(model)) = (self.inspect.x.clone(), self.whole_model()) else {
            return;
        };
        if self.inspect.in_flight {
            self.inspect.again = true;
            return;
        }
        self.inspect.in_flight = true;
        self.inspect.last_run = now_seconds() * 1000.0;
        // A new input: the posterior picture first, since the numbers take about a second.
        if self.inspect.result.is_none() {
            self.request_heat(ctx);
        }
        let (version, likelihood) = (self.inspect.x_version, self.settings.likelihood);
        let view = self.heat_grid();
        if self.compute_ready(ctx) {
            self.send_compute(ComputeRequest::Inspect {
                id: version,
                x: x.to_vec(),
                likelihood,
                view,
                samples: Q_SAMPLES,
                iwae_k: IWAE_K,
                seed: 0,
            });
            return;
        }
        // No worker: the same work on this thread.
        ctx.link().send_future(async move {
            // Let the page paint (the posterior picture, slider moves) before the long part.
            gloo_timers::future::TimeoutFuture::new(0).await;
            let result = model
                .inspect(&x, likelihood, view, Q_SAMPLES, IWAE_K, 0)
                .await
                .map_err(|e| e.to_string());
            Msg::Inspected(version, result)
        });
    }

    /// Start the compute worker if needed; false when there is none.
    fn compute_ready(&mut self, ctx: &Context<Self>) -> bool {
        if self.compute.is_none() && !self.compute_failed {
            let (replies, failures) = (ctx.link().clone(), ctx.link().clone());
            match worker::ComputeWorker::start(
                Callback::from(move |r| replies.send_message(Msg::ComputeReplied(r))),
                Callback::from(move |e| failures.send_message(Msg::ComputeFailed(e))),
            ) {
                Some(w) => self.compute = Some(Rc::new(w)),
                None => self.compute_failed = true,
            }
        }
        self.compute.is_some()
    }

    /// Send `request` to the worker, after the current weights if it has older ones. Sends go
    /// through the task queue in order, so a request never overtakes its weights.
    fn send_compute(&mut self, request: ComputeRequest) {
        let (Some(worker), Some(model)) = (self.compute.clone(), self.whole_model()) else {
            return;
        };
        let stale = self.compute_model_version != self.model_version;
        self.compute_model_version = self.model_version;
        let (seed, provenance) = (self.seed, self.provenance());
        wasm_bindgen_futures::spawn_local(async move {
            if stale {
                if let Ok(bytes) = model.to_weights(seed, &provenance).await {
                    worker.send_weights(&bytes);
                }
            }
            worker.send(&request);
        });
    }

    fn request_manifold(&mut self, ctx: &Context<Self>) {
        if !self.inspect.show_manifold || self.inspect.manifold_pending.is_some() {
            return;
        }
        let Some(model) = self.whole_model() else {
            return;
        };
        let grid = self.manifold_grid();
        self.inspect.manifold_pending = Some(grid);
        self.inspect.last_manifold = now_seconds() * 1000.0;
        let n = grid.n;
        // Row 0 of the picture is the top of the map: the largest z2.
        let z: Vec<f32> = grid
            .points()
            .chunks(n)
            .rev()
            .flatten()
            .flat_map(|p| [p[0] as f32, p[1] as f32])
            .collect();
        if self.compute_ready(ctx) {
            self.send_compute(ComputeRequest::Decode { id: n as u64, z });
            return;
        }
        ctx.link().send_future(async move {
            Msg::ManifoldDecoded(model.decode(&z).await.map_err(|e| e.to_string()))
        });
    }

    fn request_strip(&mut self, ctx: &Context<Self>) {
        let ([Some(a), Some(b)], Some(model)) = (self.inspect.ends, self.whole_model()) else {
            return;
        };
        let z: Vec<f32> = (0..INTERP_STEPS)
            .flat_map(|k| {
                let t = k as f64 / (INTERP_STEPS - 1) as f64;
                [
                    (a[0] + t * (b[0] - a[0])) as f32,
                    (a[1] + t * (b[1] - a[1])) as f32,
                ]
            })
            .collect();
        ctx.link().send_future(async move {
            Msg::InterpolationDecoded(model.decode(&z).await.map_err(|e| e.to_string()))
        });
    }

    /// A view framing q(z|x) of the inspected input, for the map's "Frame q(z|x)" button.
    fn q_frame(&self) -> Option<MapView> {
        self.inspect.result.as_ref().map(|r| {
            let q = &r.evidence.posterior;
            MapView::around([q.mu[0], q.mu[1]], [q.sigma(0), q.sigma(1)])
        })
    }

    /// What the latent map draws for the inspected input.
    fn map_overlay(&self) -> MapOverlay {
        let r = self.inspect.result.as_ref();
        MapOverlay {
            heat: self.inspect.heat.clone().filter(|_| self.inspect.show_heat),
            ellipse: r.filter(|_| self.inspect.show_ellipse).map(|r| {
                let q = &r.evidence.posterior;
                ([q.mu[0], q.mu[1]], [q.sigma(0), q.sigma(1)])
            }),
            manifold: self
                .inspect
                .manifold
                .clone()
                .filter(|_| self.inspect.show_manifold),
            line: match self.inspect.ends {
                [Some(a), Some(b)] => Some((a, b)),
                _ => None,
            },
        }
    }
}

/// The index of the first test image of each class, in class order.
fn first_of_each_class(test: &Digits) -> Vec<usize> {
    (0..10u8)
        .filter_map(|c| test.labels().iter().position(|&l| l == c))
        .collect()
}

/// Host pages and shared links.
impl App {
    fn view_state(&self) -> ViewState {
        ViewState {
            embed: self.embed,
            panels: self.panels,
            dataset: self.dataset,
            training_set: self.train_split,
            learning_rate: self.settings.learning_rate,
            beta: self.settings.beta,
            batch_size: self.settings.batch_size,
            likelihood: self.settings.likelihood,
            hidden: self.hidden,
            seed: self.seed,
            z: self.z,
            view: self.map_view,
        }
    }

    /// The query for a state, with the allowed host origins kept.
    fn query_for(&self, state: &ViewState) -> String {
        let mut parts = vec![url_state::to_query(state)];
        parts.extend(self.hosts.iter().map(|h| format!("host={h}")));
        parts.retain(|p| !p.is_empty());
        parts.join("&")
    }

    fn current_query(&self) -> String {
        self.query_for(&self.view_state())
    }

    fn share_url(&self, state: &ViewState) -> String {
        let base = web_sys::window()
            .and_then(|w| {
                let l = w.location();
                Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
            })
            .unwrap_or_default();
        let query = self.query_for(state);
        if query.is_empty() {
            base
        } else {
            format!("{base}?{query}")
        }
    }

    fn embed_snippet(&self) -> String {
        let state = ViewState {
            embed: true,
            panels: self.embed_panels,
            ..self.view_state()
        };
        format!(
            "<iframe src=\"{}\" width=\"600\" height=\"400\" style=\"border:0;max-width:100%\" title=\"VAE playground\" loading=\"lazy\" sandbox=\"allow-scripts allow-same-origin allow-downloads\"></iframe>",
            self.share_url(&state).replace('&', "&amp;")
        )
    }

    /// Keep the address bar on the current state; at most one update per `URL_SYNC_MS`.
    fn schedule_url_sync(&mut self, ctx: &Context<Self>) {
        if self.url_sync_pending || self.current_query() == self.synced_query {
            return;
        }
        self.url_sync_pending = true;
        ctx.link().send_future(async {
            gloo_timers::future::TimeoutFuture::new(URL_SYNC_MS).await;
            Msg::UrlSyncDue
        });
    }

    fn host_message(
        &mut self,
        ctx: &Context<Self>,
        origin: &str,
        text: &str,
        source: JsValue,
    ) -> bool {
        if !self.allowed_origins.iter().any(|o| o == origin) {
            self.ignored_messages += 1;
            return true;
        }
        let command = match HostCommand::parse(text) {
            Ok(c) => c,
            Err(_) => {
                self.ignored_messages += 1;
                return true;
            }
        };
        let link = ctx.link();
        match command {
            HostCommand::SetZ { z } => link.send_message(Msg::ZMoved(z)),
            HostCommand::SetDataset { dataset } => {
                if let Some(d) = Dataset::from_key(&dataset) {
                    link.send_message(Msg::DatasetChosen(d));
                }
            }
            HostCommand::Train {} if !self.training => link.send_message(Msg::TrainToggled),
            HostCommand::Pause {} if self.training => link.send_message(Msg::TrainToggled),
            HostCommand::Train {} | HostCommand::Pause {} => {}
            HostCommand::SetHyperparameters { lr, beta } => {
                if let Some(v) = lr {
                    link.send_message(Msg::LearningRateSet(v));
                }
                if let Some(v) = beta {
                    link.send_message(Msg::BetaSet(v));
                }
            }
            HostCommand::Subscribe {} => {
                if !self
                    .subscribers
                    .iter()
                    .any(|(w, o)| *w == source && o == origin)
                {
                    self.subscribers.push((source, origin.to_string()));
                }
                self.send_metrics();
            }
            HostCommand::Unsubscribe {} => {
                self.subscribers
                    .retain(|(w, o)| !(*w == source && o == origin));
            }
        }
        false
    }

    fn send_metrics(&mut self) {
        if self.subscribers.is_empty() {
            return;
        }
        self.last_metrics_sent = now_seconds() * 1000.0;
        let last = self.last;
        let event = HostEvent::Metrics {
            step: self.step,
            epoch: self.epoch,
            kl: last.map(|p| p.kl),
            recon: last.map(|p| p.recon),
            elbo: last.map(|p| p.neg_elbo()),
            training: self.training,
            dataset: self.dataset.key(),
            z: self.z,
        }
        .to_json();
        for (window, origin) in &self.subscribers {
            browser::post_json(window, &event, origin);
        }
    }

    /// Tell an embedding page that the playground is up (posted to each allowed origin).
    fn announce_ready(&self) {
        let parent = browser::parent_window();
        if parent.is_null() {
            return;
        }
        let event = HostEvent::Ready {
            dataset: self.dataset.key(),
        }
        .to_json();
        for origin in &self.allowed_origins {
            browser::post_json(&parent, &event, origin);
        }
    }
}

fn remember_key(dataset: Dataset) -> String {
    format!("model-{}", dataset.key())
}

mod view;

fn parse_input<T: std::str::FromStr>(e: &Event) -> Option<T> {
    let input: HtmlInputElement = e.target_unchecked_into();
    input.value().parse().ok()
}

fn select_value(e: &Event) -> String {
    let select: HtmlSelectElement = e.target_unchecked_into();
    select.value()
}
