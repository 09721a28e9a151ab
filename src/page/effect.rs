//! What the page asks the browser to do: the one Yew component carries these out, so the
//! page's own logic stays plain Rust that runs natively.

use std::rc::Rc;

use crate::data::Digits;
use crate::services::compute::ComputeRequest;
use crate::services::session::AnyVae;
use crate::services::train_service::TrainCommand;
use crate::vae::weights::Provenance;

use super::msg::Msg;
use super::pretrained::Pretrained;

/// A window that posted to the page, numbered by the component (the page never holds one).
pub type WindowId = u32;

pub enum Effect {
    /// Fetch the decoder-only preview of the pretrained model: `Load(PreviewLoaded)`.
    FetchPreview(Pretrained),
    /// Fetch the whole pretrained model and the test split, and the remembered model when
    /// `recall`: `Load(Loaded)`.
    FetchModel {
        pretrained: Pretrained,
        recall: bool,
    },
    /// Encode the test images' means for the latent map: `Load(MapEncoded)`.
    EncodeMap { model: AnyVae, test: Rc<Digits> },
    /// Deliver `msg` after `ms` milliseconds (0: after this update's render).
    After { ms: u32, msg: Msg },
    /// Start a train worker; `Train(WorkerUnavailable)` if the browser cannot.
    StartTrainWorker,
    /// End the train worker (it is lost; a new one may follow).
    StopTrainWorker,
    /// Post to the train worker, with a weights file moved beside the command.
    Train(TrainCommand, Option<Rc<Vec<u8>>>),
    /// Ask the compute client, whose answer comes as `Inspect(ComputeReplied)`. `version`
    /// numbers `model`, so the client sends weights only when they changed.
    Compute {
        request: ComputeRequest,
        model: AnyVae,
        version: u64,
    },
    /// Write `model` as a weights file to download: `Keep(Exported)`.
    Export {
        model: AnyVae,
        seed: u64,
        provenance: Provenance,
    },
    /// Save bytes as a file.
    Download { name: String, bytes: Vec<u8> },
    /// Keep a model in browser storage: `Keep(Remembered)`.
    Remember {
        key: String,
        bytes: Rc<Vec<u8>>,
        step: usize,
    },
    /// Keep the run list in browser storage: `Runs(Stored)`.
    StoreRuns { key: String, bytes: Vec<u8> },
    /// Read the run list kept in browser storage: `Runs(Recalled)`.
    RecallRuns { key: String },
    /// Read the kernel choice kept for an adapter: `Train(KernelsRecalled)`.
    RecallKernels { key: String },
    /// Keep an adapter's kernel choice (nothing answers: one not kept is measured again).
    StoreKernels { key: String, bytes: Vec<u8> },
    /// Forget it: `Keep(Forgotten)`.
    Forget { key: String },
    /// Put text on the clipboard: `Share(Copied)`.
    Copy { what: &'static str, text: String },
    /// Rewrite the address bar's query.
    ReplaceQuery(String),
    /// Post JSON text to a window that spoke to the page.
    PostTo {
        window: WindowId,
        origin: String,
        json: String,
    },
    /// Keep the user's set (a dataset file) in browser storage, or forget it (`None`):
    /// `Own(Stored)`.
    KeepOwnSet(Option<Rc<Vec<u8>>>),
    /// Read the set kept in browser storage: `Own(Recalled)`.
    RecallOwnSet,
    /// Fetch a dataset file of this site: `Own(Fetched)`.
    FetchOwnSet(String),
    /// Post JSON text to the embedding page, once per allowed origin.
    PostToParent { origins: Vec<String>, json: String },
}
