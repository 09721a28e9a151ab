//! What happened, by part of the page: the user's actions and the answers of workers and
//! fetches. Named after what happened, not what should follow.

use std::rc::Rc;

use crate::analysis::train::{HistoryRow, TrainSettings};
use crate::data::own::Polarity;
use crate::data::{Dataset, Digits, Split};
use crate::page::map_view::MapView;
use crate::page::stop_rule::StopRule;
use crate::page::url_state::Panel;
use crate::services::compute::ComputeReply;
use crate::services::session::{AnyVae, Device};
use crate::services::train_service::TrainEvent;
use crate::vae::gpu_limits::GpuAdapter;
use crate::vae::kernel_choice::KernelSetting;

use super::effect::WindowId;
use super::own_data::PickedImage;
use super::pretrained::Pretrained;

pub enum Msg {
    /// z moved: a slider, a click on the map, the host, or an interpolation's frame.
    ZMoved([f64; 2]),
    /// The map should show this region.
    MapZoomed(MapView),
    NoticeDismissed,
    Load(LoadMsg),
    Train(TrainMsg),
    Inspect(InspectMsg),
    Keep(KeepMsg),
    Share(ShareMsg),
    Host(HostMsg),
    Runs(RunsMsg),
    Own(OwnMsg),
    SlowMo(SlowMoMsg),
}

/// What the page loads for one dataset.
pub struct Loaded {
    /// Which shipped model `pretrained` is.
    pub shipped: Pretrained,
    pub pretrained: Rc<Vec<u8>>,
    pub model: AnyVae,
    pub test: Rc<Digits>,
    /// The model this browser remembered for the dataset, if any (not yet checked).
    pub remembered: Option<Vec<u8>>,
    /// The pretrained model's own loss history, if it loaded.
    pub history: Option<Vec<HistoryRow>>,
}

pub enum LoadMsg {
    /// The WebGPU probe answered: the adapter's name, if the browser has one.
    GpuProbed(Option<GpuAdapter>),
    PreviewLoaded(Dataset, Box<Result<AnyVae, String>>),
    /// The preview's image is on the page: time to load the rest.
    PreviewShown(Dataset),
    Loaded(Box<Result<Loaded, String>>),
    MapEncoded(Result<Vec<f32>, String>),
    DatasetChosen(Dataset),
}

pub enum TrainMsg {
    Toggled,
    StepClicked,
    ResetClicked,
    RestoreClicked,
    DeviceChosen(Device),
    /// The learning rate, beta, batch size or decoder changed (one edit of all four).
    Settings(TrainSettings),
    HiddenSet(usize),
    /// Pause by itself at this (`None`: never).
    StopRuleSet(Option<StopRule>),
    /// The sweep's β values, as typed (a comma list).
    SweepBetasTyped(String),
    SweepEpochsSet(f64),
    /// Run the β sweep.
    SweepClicked,
    SeedSet(u64),
    /// Train workers on the CPU path (`None`: the browser's cores less one).
    WorkersSet(Option<usize>),
    TrainingSetChosen(Split),
    /// The train worker reported, with the weights file that came with it.
    Reported(Box<TrainEvent>, Option<Vec<u8>>),
    /// The train worker stopped (an uncaught error, or it could not load).
    WorkerFailed(String),
    /// The matmul kernel setting changed (auto, ours or Burn's).
    KernelSet(KernelSetting),
    /// The kernel choice kept in browser storage for this adapter came back.
    KernelsRecalled(Result<Option<Vec<u8>>, String>),
    /// The browser could not start a train worker.
    WorkerUnavailable,
}

pub enum InspectMsg {
    ExamplePicked(usize),
    /// The pad's ink (grey levels on a `side` x `side` raster), or `None` once cleared.
    DigitDrawn(Option<(Rc<Vec<f32>>, usize)>),
    ComputeReplied(ComputeReply),
    /// The compute worker stopped; its work moves to the page's thread.
    ComputeFailed(String),
    HeatToggled(bool),
    EllipseToggled(bool),
    /// q*'s ellipses (the best diagonal Gaussian for x) on the map.
    QStarToggled(bool),
    ManifoldToggled(bool),
    ManifoldSizeSet(usize),
    InterpolationEndSet(usize),
    InterpolationPlayed,
    InterpolationFrame(usize),
}

pub enum KeepMsg {
    DownloadClicked,
    Exported(Result<Vec<u8>, String>),
    /// A chosen file's bytes (`None`: nothing chosen).
    FileRead(Result<Option<Vec<u8>>, String>),
    RememberToggled(bool),
    Remembered(usize, Result<(), String>),
    Forgotten(Result<(), String>),
}

/// "Your data": the set's editor, its file and where it is kept.
pub enum OwnMsg {
    /// The data pad's ink (grey levels on a `side` x `side` raster), or `None` once cleared.
    PadDrawn(Option<(Rc<Vec<f32>>, usize)>),
    /// Add the pad's drawing to the picked class.
    AddClicked,
    ClassPicked(usize),
    ClassRenamed(usize, String),
    ClassAdded,
    Removed(usize),
    UndoClicked,
    ClearClicked,
    PolarityChosen(Polarity),
    /// Image files the browser decoded; from a folder (its sub-folders are the classes) or not.
    FilesPicked {
        files: Vec<PickedImage>,
        folder: bool,
    },
    ExportClicked,
    /// A dataset file chosen to import (`None`: nothing chosen).
    FileChosen(Result<Option<Vec<u8>>, String>),
    /// The dataset file a link named (`dataset=url:…`).
    Fetched(Result<Vec<u8>, String>),
    /// The set this browser kept, if any.
    Recalled(Result<Option<Vec<u8>>, String>),
    Stored(Result<(), String>),
}

pub enum ShareMsg {
    EmbedPanelToggled(Panel),
    /// The origin of the site the embed goes on, as typed.
    EmbedHostTyped(String),
    CopyEmbedClicked,
    CopyLinkClicked,
    Copied(&'static str, Result<(), String>),
    UrlNoticesDismissed,
    UrlSyncDue,
}

pub enum HostMsg {
    /// A `message` event: its origin, its data as JSON text, and the window that sent it.
    Received {
        origin: String,
        text: String,
        window: WindowId,
    },
    /// An embed's content is now this tall (CSS px).
    HeightChanged(u32),
    /// The wait between two `vae:resize` posts is over.
    ResizeDue,
}

/// Slow motion: one training step in stages.
pub enum SlowMoMsg {
    Entered,
    NextClicked,
    BackClicked,
    PlayToggled,
    /// Play's timer: the next stage is due (numbered; an older one is dropped).
    Tick(u64),
    Left,
}

pub enum RunsMsg {
    Renamed(u32, String),
    VisibilityToggled(u32, bool),
    Deleted(u32),
    /// Continue training from the run's last weights.
    ContinueClicked(u32),
    /// Download the run's history as CSV.
    CsvClicked(u32),
    /// Download every run as JSON.
    JsonClicked,
    /// A chosen runs file's bytes (`None`: nothing chosen).
    FileRead(Result<Option<Vec<u8>>, String>),
    /// The run list kept in this browser, if any.
    Recalled(Result<Option<Vec<u8>>, String>),
    Stored(Result<(), String>),
}
