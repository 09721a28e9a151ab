//! The page's state (`page::state::PageState`) driven natively, as the browser drives it: its
//! effects are carried out by a loop-back "browser" that answers fetches from the shipped
//! files, runs a real `TrainService` in place of the train worker and a `Computer` in place of
//! the compute worker. Covers the train worker's lifecycle (data arriving after the action
//! that needed it, stale generations, Reset while running, a worker that dies, a lost GPU,
//! giving up, switching device mid-run), the model on screen, and the host, share and keep
//! parts.

mod common;

use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use pollster::block_on;
use vae_playground::analysis::history_csv;
use vae_playground::analysis::train::{HistoryRow, TrainSettings};
use vae_playground::data::{Dataset, Digits, Split};
use vae_playground::page::effect::Effect;
use vae_playground::page::host_bridge::RESIZE_EVERY_MS;
use vae_playground::page::msg::{
    HostMsg, InspectMsg, KeepMsg, LoadMsg, Loaded, Msg, RunsMsg, ShareMsg, SlowMoMsg, TrainMsg,
};
use vae_playground::page::pretrained::Pretrained;
use vae_playground::page::runs::RunOrigin;
use vae_playground::page::state::{Location, PageState};
use vae_playground::page::trainer_link::{Phase, RESTART_LIMIT};
use vae_playground::services::compute::Computer;
use vae_playground::services::session::{AnyVae, Device};
use vae_playground::services::train_service::{TrainCommand, TrainEvent, TrainService};
use vae_playground::vae::elbo::Likelihood;
use vae_playground::vae::gpu_limits::{AdapterLimits, GpuAdapter};
#[cfg(feature = "gpu")]
use vae_playground::vae::kernel_choice::{
    choose, training_products, AdapterKey, Chosen, Kernel, KernelSetting, KernelTable,
};

/// Training images the worker stand-in trains on.
const TRAIN_IMAGES: usize = 256;
/// At most this many messages and chunks in one `settle`.
const MAX_TURNS: usize = 400;

fn pretrained(dataset: Dataset) -> Vec<u8> {
    std::fs::read(common::weights_path(dataset)).expect("shipped weights")
}

/// A file of the site (`www/`), by its path relative to the site root.
fn site_file(path: &str) -> std::path::PathBuf {
    common::data_dir().join("..").join(path)
}

fn shipped_history(shipped: Pretrained) -> Vec<HistoryRow> {
    let text =
        std::fs::read_to_string(site_file(&shipped.history_path())).expect("shipped history");
    history_csv::from_csv(&text).expect("a valid history")
}

fn bernoulli(dataset: Dataset) -> Pretrained {
    Pretrained::for_choice(dataset, Likelihood::Bernoulli)
}

fn train_data() -> Arc<Digits> {
    static DATA: OnceLock<Arc<Digits>> = OnceLock::new();
    DATA.get_or_init(|| Arc::new(common::load(Dataset::Mnist, Split::Train10k).take(TRAIN_IMAGES)))
        .clone()
}

fn test_data() -> Rc<Digits> {
    Rc::new(common::load(Dataset::Mnist, Split::Test).take(300))
}

/// The browser, looped back: carries out effects and feeds the answers to the page.
struct Browser {
    page: PageState,
    now: f64,
    queue: VecDeque<Msg>,
    worker: Option<TrainService>,
    /// Whether a new train worker can be started.
    workers_allowed: bool,
    workers_started: usize,
    /// Commands the train worker got, in order.
    sent: Vec<TrainCommand>,
    posted: Vec<(u32, String)>,
    remembered: Vec<usize>,
    queries: Vec<String>,
    parent_posts: usize,
    /// The shipped models the page fetched, in order.
    fetched: Vec<Pretrained>,
    /// The run list as browser storage holds it.
    stored_runs: Option<Vec<u8>>,
    /// Kernel choices as browser storage holds them, by key.
    stored_kernels: Vec<(String, Vec<u8>)>,
    /// Whether train workers may run WebGPU trainers (natively: on lavapipe).
    webgpu: bool,
}

impl Browser {
    fn new(query: &str) -> Self {
        let page = PageState::new(&Location {
            query: query.into(),
            origin: "https://vae.test".into(),
            base_url: "https://vae.test/index.html".into(),
        });
        Self {
            page,
            now: 1000.0,
            queue: VecDeque::new(),
            worker: None,
            workers_allowed: true,
            workers_started: 0,
            sent: Vec::new(),
            posted: Vec::new(),
            remembered: Vec::new(),
            queries: Vec::new(),
            parent_posts: 0,
            fetched: Vec::new(),
            stored_runs: None,
            stored_kernels: Vec::new(),
            webgpu: false,
        }
    }

    /// A page with the whole pretrained model on screen, on the CPU.
    fn loaded() -> Self {
        let mut b = Self::new("");
        b.send(Msg::Load(LoadMsg::GpuProbed(None)));
        b.settle();
        assert!(b.page.ready(), "the whole model is in");
        // Small batches keep the tests quick.
        let settings = TrainSettings {
            batch_size: 16,
            ..b.page.settings()
        };
        b.send(Msg::Train(TrainMsg::Settings(settings)));
        b
    }

    fn send(&mut self, msg: Msg) {
        self.queue.push_back(msg);
    }

    /// Deliver one message and carry out its effects.
    fn deliver(&mut self, msg: Msg) {
        self.now += 10.0;
        self.page.update(msg, self.now);
        for effect in self.page.take_effects() {
            self.carry_out(effect);
        }
    }

    /// Deliver messages until none is left; the worker trains `chunks` chunks at most.
    fn settle_with(&mut self, mut chunks: usize) {
        for _ in 0..MAX_TURNS {
            if let Some(msg) = self.queue.pop_front() {
                self.deliver(msg);
                continue;
            }
            let busy = self.worker.as_ref().is_some_and(TrainService::busy);
            if !busy || chunks == 0 {
                return;
            }
            chunks -= 1;
            let out = self.worker.as_mut().and_then(|w| block_on(w.chunk()));
            if let Some(out) = out {
                self.send(Msg::Train(TrainMsg::Reported(
                    Box::new(out.event),
                    out.weights,
                )));
            }
        }
        panic!("the page did not settle in {MAX_TURNS} turns");
    }

    fn settle(&mut self) {
        self.settle_with(0);
    }

    fn carry_out(&mut self, effect: Effect) {
        match effect {
            Effect::FetchPreview(shipped) => {
                let path = shipped.preview_path().expect("a preview for this model");
                let bytes = std::fs::read(site_file(&path)).expect("shipped preview");
                let model = AnyVae::from_preview(&bytes).map_err(|e| e.to_string());
                let dataset = shipped.dataset;
                self.send(Msg::Load(LoadMsg::PreviewLoaded(dataset, Box::new(model))));
            }
            Effect::FetchModel { pretrained, .. } => {
                self.fetched.push(pretrained);
                let bytes = std::fs::read(site_file(&pretrained.weights_path())).unwrap();
                let model = AnyVae::from_weights(&bytes).unwrap();
                let loaded = Loaded {
                    shipped: pretrained,
                    pretrained: Rc::new(bytes),
                    model,
                    test: test_data(),
                    remembered: None,
                    history: Some(shipped_history(pretrained)),
                };
                self.send(Msg::Load(LoadMsg::Loaded(Box::new(Ok(loaded)))));
            }
            Effect::EncodeMap { model, test } => {
                let means = block_on(model.encode_means(&test)).map_err(|e| e.to_string());
                self.send(Msg::Load(LoadMsg::MapEncoded(means)));
            }
            Effect::After { msg, .. } => self.send(msg),
            Effect::StartTrainWorker => {
                if self.workers_allowed {
                    // This browser's WebGPU adapter fails unless a test says otherwise.
                    let service = TrainService::new(common::clock);
                    self.worker = Some(match self.webgpu {
                        true => service,
                        false => service.without_webgpu(),
                    });
                    self.workers_started += 1;
                } else {
                    self.send(Msg::Train(TrainMsg::WorkerUnavailable));
                }
            }
            Effect::StopTrainWorker => self.worker = None,
            Effect::Train(command, weights) => {
                self.sent.push(command.clone());
                let Some(worker) = self.worker.as_mut() else {
                    return;
                };
                let outgoing = match command {
                    TrainCommand::Data { dataset, split } => {
                        let test = common::load(dataset, Split::Test).take(300);
                        vec![worker.set_data(dataset, split, train_data(), &test).into()]
                    }
                    command => block_on(worker.command(command, weights.map(|w| w.to_vec()))),
                };
                for out in outgoing {
                    self.send(Msg::Train(TrainMsg::Reported(
                        Box::new(out.event),
                        out.weights,
                    )));
                }
            }
            Effect::Compute { request, model, .. } => {
                let reply = block_on(Computer::with_model(model).handle(request));
                self.send(Msg::Inspect(InspectMsg::ComputeReplied(reply)));
            }
            Effect::Export {
                model,
                seed,
                provenance,
            } => {
                let bytes =
                    block_on(model.to_weights(seed, &provenance)).map_err(|e| e.to_string());
                self.send(Msg::Keep(KeepMsg::Exported(bytes)));
            }
            Effect::Download { .. } | Effect::Copy { .. } | Effect::Forget { .. } => {}
            // "Your data" is `own_page.rs`'s.
            Effect::KeepOwnSet(_) | Effect::RecallOwnSet | Effect::FetchOwnSet(_) => {}
            Effect::Remember { step, .. } => {
                self.remembered.push(step);
                self.send(Msg::Keep(KeepMsg::Remembered(step, Ok(()))));
            }
            Effect::StoreRuns { bytes, .. } => {
                self.stored_runs = Some(bytes);
                self.send(Msg::Runs(RunsMsg::Stored(Ok(()))));
            }
            Effect::RecallRuns { .. } => {
                let stored = self.stored_runs.clone();
                self.send(Msg::Runs(RunsMsg::Recalled(Ok(stored))));
            }
            Effect::RecallKernels { key } => {
                let stored = self
                    .stored_kernels
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map(|(_, b)| b.clone());
                self.send(Msg::Train(TrainMsg::KernelsRecalled(Ok(stored))));
            }
            Effect::StoreKernels { key, bytes } => {
                self.stored_kernels.retain(|(k, _)| *k != key);
                self.stored_kernels.push((key, bytes));
            }
            Effect::ReplaceQuery(query) => self.queries.push(query),
            Effect::PostTo { window, json, .. } => self.posted.push((window, json)),
            Effect::PostToParent { .. } => self.parent_posts += 1,
        }
    }

    /// The worker dies (an uncaught error): the page hears it from the worker's error event.
    fn kill_worker(&mut self) {
        self.worker = None;
        self.send(Msg::Train(TrainMsg::WorkerFailed("boom".into())));
    }

    fn step(&self) -> usize {
        self.page.readout.step
    }
}

#[test]
fn the_preview_paints_first_then_the_whole_model_takes_over() {
    let mut b = Browser::new("");
    b.deliver(Msg::Load(LoadMsg::GpuProbed(None)));
    // The preview first: the whole model is asked for once it is painted.
    let preview = b.queue.pop_front().expect("the preview is fetched first");
    b.deliver(preview);
    assert!(b.page.slot.is_preview());
    assert!(!b.page.ready(), "a preview only paints");
    assert_eq!(b.page.slot.shown_version(), b.page.slot.version());
    assert_eq!(b.page.slot.pixels().len(), vae_playground::data::PIXELS);
    b.settle();
    assert!(b.page.ready() && !b.page.slot.is_preview());
    assert_eq!(b.page.slot.shown_version(), b.page.slot.version());
    assert_eq!(b.page.means.len(), 2 * 300, "the map's means are in");
    assert_eq!(
        b.parent_posts, 1,
        "the host is told once that the page is ready"
    );
    assert_eq!(b.page.device_label().as_deref(), Some("CPU (Burn ndarray)"));
}

#[test]
fn a_digit_drawn_while_only_the_preview_is_in_is_inspected_once_the_whole_model_arrives() {
    let mut b = Browser::new("");
    b.deliver(Msg::Load(LoadMsg::GpuProbed(None)));
    let preview = b.queue.pop_front().expect("the preview is fetched first");
    b.deliver(preview);
    assert!(!b.page.ready());
    // A vertical stroke on a 64 x 64 pad: a "1".
    let side = 64;
    let mut ink = vec![0.0f32; side * side];
    for y in 10..54 {
        ink[y * side + 32] = 1.0;
        ink[y * side + 33] = 1.0;
    }
    b.deliver(Msg::Inspect(InspectMsg::DigitDrawn(Some((
        Rc::new(ink),
        side,
    )))));
    b.settle();
    assert!(b.page.ready());
    let result = b
        .page
        .inspector
        .result
        .clone()
        .expect("the drawing is inspected");
    assert!(result.evidence.log_px.is_finite());
}

#[test]
fn an_action_before_the_data_runs_once_the_data_is_in_and_only_the_last_one() {
    let mut b = Browser::loaded();
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.send(Msg::Train(TrainMsg::StepClicked));
    // Delivered one by one: the data is asked for once, and both presses wait for it.
    let first = b.queue.pop_front().unwrap();
    b.deliver(first);
    let second = b.queue.pop_front().unwrap();
    // The data's answer is queued behind the second press.
    b.deliver(second);
    assert!(matches!(b.page.link.phase(), Phase::WaitingForData { .. }));
    b.settle_with(20);
    let data = b
        .sent
        .iter()
        .filter(|c| matches!(c, TrainCommand::Data { .. }))
        .count();
    let steps = b
        .sent
        .iter()
        .filter(|c| matches!(c, TrainCommand::Step { .. }))
        .count();
    assert_eq!(data, 1, "one fetch of the training images");
    assert_eq!(steps, 1, "the latest action runs once");
    assert!(
        !b.sent
            .iter()
            .any(|c| matches!(c, TrainCommand::Prepare { .. })),
        "nothing to prepare for a trainer on the CPU"
    );
    assert_eq!(b.step(), 1);
    assert_eq!(b.page.link.phase(), &Phase::Ready);
    assert!(!b.page.link.busy(), "the step is over");
    assert_eq!(b.page.link.images(), Some(TRAIN_IMAGES));
}

#[test]
fn train_then_pause_takes_weights_and_a_checkpoint() {
    let mut b = Browser::loaded();
    let version = b.page.slot.version();
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(30);
    assert!(b.page.link.training() && b.page.link.busy());
    assert!(b.step() > 0);
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(5);
    assert!(!b.page.link.training() && !b.page.link.busy());
    let (_, progress) = b
        .page
        .checkpoint
        .clone()
        .expect("weights came with the pause");
    assert_eq!(progress.step, b.step());
    assert!(
        b.page.slot.version() > version,
        "the trained model is on screen"
    );
    assert_eq!(b.page.slot.shown_version(), b.page.slot.version());
    assert!(!b.page.readout.history.is_empty());
    assert!(
        b.remembered.contains(&b.step()),
        "a paused model is remembered"
    );
}

#[test]
fn reset_while_running_shows_the_fresh_model_and_drops_the_old_trainers_events() {
    let mut b = Browser::loaded();
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(10);
    let old_generation = b.page.link.generation();
    let version = b.page.slot.version();
    // A chunk of the running trainer that reaches the page only after the Reset.
    let late = block_on(b.worker.as_mut().unwrap().chunk()).expect("running");
    b.send(Msg::Train(TrainMsg::HiddenSet(32)));
    b.send(Msg::Train(TrainMsg::ResetClicked));
    b.settle();
    assert!(!b.page.link.training());
    assert_eq!(b.step(), 0);
    assert_eq!(b.page.view.hidden, 32);
    assert!(
        b.page.slot.version() > version,
        "the fresh model came back and is shown"
    );
    assert!(b.page.checkpoint.is_some());
    // The replaced trainer's late chunk changes nothing.
    let version = b.page.slot.version();
    b.deliver(Msg::Train(TrainMsg::Reported(
        Box::new(late.event),
        late.weights,
    )));
    assert_eq!(b.step(), 0);
    assert_eq!(b.page.slot.version(), version);
    assert!(b.page.link.generation() > old_generation);
    assert_eq!(b.workers_started, 1);
}

#[test]
fn a_worker_that_dies_is_replaced_on_the_cpu_from_the_last_weights_and_training_goes_on() {
    let mut b = Browser::loaded();
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(40);
    let (_, checkpoint) = b
        .page
        .checkpoint
        .clone()
        .expect("weights came while training");
    b.kill_worker();
    b.settle();
    assert_eq!(b.workers_started, 2);
    assert!(b.page.link.training(), "training goes on");
    assert_eq!(b.step(), checkpoint.step, "from the last weights it sent");
    assert!(b
        .page
        .readout
        .history
        .iter()
        .all(|r| r.step <= checkpoint.step));
    let notice = b.page.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("The training worker stopped (boom)"),
        "{notice}"
    );
    b.settle_with(10);
    assert!(b.step() > checkpoint.step, "the new worker trains");
}

#[test]
fn after_the_restart_limit_the_page_gives_up_and_train_does_nothing() {
    let mut b = Browser::loaded();
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(5);
    // A worker whose trainer starts counts as a success: failures apart never add up.
    for _ in 0..=RESTART_LIMIT + 1 {
        b.kill_worker();
        b.settle();
    }
    assert_eq!(b.page.link.phase(), &Phase::Ready);
    let started = b.workers_started;
    // Workers that die before their trainer starts do.
    // (A worker's error event does not end it: the page must.)
    for _ in 0..=RESTART_LIMIT {
        b.queue.clear();
        b.deliver(Msg::Train(TrainMsg::WorkerFailed("boom".into())));
        // The new worker dies before it answers.
        b.queue.clear();
    }
    assert_eq!(b.page.link.phase(), &Phase::GaveUp);
    assert_eq!(b.workers_started, started + RESTART_LIMIT as usize);
    assert!(b
        .page
        .notice
        .clone()
        .unwrap()
        .contains("could not be restarted"));
    let sent = b.sent.len();
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle();
    assert!(!b.page.link.training());
    assert_eq!(
        b.sent.len(),
        sent,
        "nothing is sent to a worker that is gone"
    );
    assert!(b.worker.is_none(), "the last worker was stopped");
    // Another dataset is a new start: training is tried again.
    b.send(Msg::Load(LoadMsg::DatasetChosen(Dataset::Fashion)));
    b.settle();
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(5);
    assert_eq!(b.page.link.phase(), &Phase::Ready);
    assert_eq!(b.step(), 1);
}

#[test]
fn a_new_training_split_while_the_first_one_loads_is_the_one_trained_on() {
    let mut b = Browser::loaded();
    b.deliver(Msg::Train(TrainMsg::StepClicked));
    // The 10k images' answer is queued; the user picks all 60k before it arrives.
    b.deliver(Msg::Train(TrainMsg::TrainingSetChosen(Split::Train)));
    b.settle_with(5);
    assert!(b.sent.contains(&TrainCommand::Data {
        dataset: Dataset::Mnist,
        split: Split::Train
    }));
    assert_eq!(b.step(), 1, "the waiting step ran on the new split");
}

#[test]
fn no_worker_at_all_says_so_and_exploring_goes_on() {
    let mut b = Browser::loaded();
    b.workers_allowed = false;
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle();
    assert_eq!(b.page.link.phase(), &Phase::GaveUp);
    assert!(b
        .page
        .notice
        .clone()
        .unwrap()
        .contains("could not start the training worker"));
    b.send(Msg::ZMoved([1.0, -1.0]));
    b.settle();
    assert_eq!(b.page.slot.shown_version(), b.page.slot.version());
}

fn adapter(limits: AdapterLimits) -> GpuAdapter {
    GpuAdapter {
        name: "Test adapter".into(),
        limits,
        key: Default::default(),
    }
}

#[test]
fn an_adapter_short_of_what_training_needs_is_not_used_and_the_page_says_why() {
    // WebGPU's compatibility mode allows 128 invocations per workgroup; our kernel uses 256.
    let compat = AdapterLimits {
        max_compute_invocations_per_workgroup: 128.0,
        max_compute_workgroup_size_x: 128.0,
        ..AdapterLimits::WEBGPU_DEFAULTS
    };
    let mut b = Browser::new("");
    b.send(Msg::Load(LoadMsg::GpuProbed(Some(adapter(compat)))));
    b.settle();
    assert_eq!(b.page.link.device(), Device::Cpu);
    assert!(b.page.gpu_name.is_none(), "WebGPU is not offered");
    let notice = b.page.notice.clone().expect("a notice says why");
    assert!(
        notice.contains("Test adapter")
            && notice.contains("maxComputeInvocationsPerWorkgroup: 128 (needs 256)"),
        "{notice}"
    );
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(5);
    assert_eq!(b.step(), 1, "training works on the CPU");

    // The defaults are enough: WebGPU, and no notice.
    let mut b = Browser::new("");
    b.send(Msg::Load(LoadMsg::GpuProbed(Some(adapter(
        AdapterLimits::WEBGPU_DEFAULTS,
    )))));
    b.settle();
    assert!(b.page.gpu_name.is_some() && b.page.notice.is_none());
}

#[test]
fn a_lost_gpu_moves_training_to_the_cpu() {
    let mut b = Browser::new("");
    b.send(Msg::Load(LoadMsg::GpuProbed(Some(adapter(
        AdapterLimits::WEBGPU_DEFAULTS,
    )))));
    b.settle();
    assert_eq!(b.page.link.device(), Device::WebGpu);
    assert_eq!(
        b.page.device_label().as_deref(),
        Some("WebGPU (Test adapter)")
    );
    // This test browser's adapter fails (`without_webgpu`): the trainer fails to start there;
    // then the device is lost.
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle();
    assert!(b
        .page
        .notice
        .clone()
        .unwrap()
        .contains("Could not start training"));
    let lost = TrainEvent::GpuLost {
        reason: "unplugged".into(),
    };
    b.send(Msg::Train(TrainMsg::Reported(Box::new(lost), None)));
    b.settle();
    assert_eq!(b.page.link.device(), Device::Cpu);
    assert!(b.page.gpu_name.is_none());
    assert!(b
        .page
        .notice
        .clone()
        .unwrap()
        .contains("The WebGPU device was lost (unplugged)"));
    assert_eq!(b.workers_started, 2);
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(5);
    assert_eq!(b.step(), 1, "training works on the CPU");
}

#[test]
fn switching_device_mid_run_that_fails_keeps_the_trainer() {
    let mut b = Browser::loaded();
    b.page.gpu_name = Some("Test adapter".into());
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(10);
    let step = b.step();
    b.send(Msg::Train(TrainMsg::DeviceChosen(Device::WebGpu)));
    b.settle_with(10);
    assert!(!b.page.link.training());
    assert_eq!(
        b.page.link.device(),
        Device::Cpu,
        "the move failed; still on the CPU"
    );
    assert!(b
        .page
        .notice
        .clone()
        .unwrap()
        .contains("Could not switch backend"));
    assert_eq!(b.page.link.phase(), &Phase::Ready);
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(5);
    assert!(b.step() > step, "the old trainer goes on");
}

#[test]
fn switching_before_any_trainer_just_changes_where_the_next_one_runs() {
    let mut b = Browser::loaded();
    b.page.gpu_name = Some("Test adapter".into());
    b.send(Msg::Train(TrainMsg::DeviceChosen(Device::WebGpu)));
    b.settle();
    assert_eq!(b.page.link.device(), Device::WebGpu);
    assert!(b.sent.is_empty(), "no worker is started for it");
    b.page.gpu_name = None;
    b.send(Msg::Train(TrainMsg::DeviceChosen(Device::Cpu)));
    b.send(Msg::Train(TrainMsg::DeviceChosen(Device::WebGpu)));
    b.settle();
    assert_eq!(b.page.link.device(), Device::Cpu);
    assert!(b.page.notice.clone().unwrap().contains("no WebGPU adapter"));
}

#[test]
fn another_dataset_gets_its_own_data_and_trainer() {
    let mut b = Browser::loaded();
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(5);
    b.send(Msg::Load(LoadMsg::DatasetChosen(Dataset::Fashion)));
    b.settle();
    assert_eq!(b.page.view.dataset, Dataset::Fashion);
    assert_eq!(b.page.link.phase(), &Phase::Idle);
    assert_eq!(b.page.link.images(), None);
    assert_eq!(b.step(), 0);
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(5);
    assert!(b.sent.contains(&TrainCommand::Data {
        dataset: Dataset::Fashion,
        split: Split::Train10k
    }));
    assert_eq!(b.workers_started, 1, "the worker outlives the dataset");
    assert_eq!(b.step(), 1);
}

#[test]
fn inspecting_an_example_fills_in_its_evidence_and_posterior() {
    let mut b = Browser::loaded();
    let example = b.page.inspector.examples[3];
    b.send(Msg::Inspect(InspectMsg::ExamplePicked(example)));
    b.settle();
    let result = b.page.inspector.result.clone().expect("inspected");
    let e = &result.evidence;
    assert!(e.log_px.is_finite() && e.gap >= -1e-6);
    assert!((e.log_px - (e.elbo + e.gap)).abs() < 1e-6);
    assert!(b.page.inspector.heat.is_some());
    // The manifold and an interpolation through the same client.
    b.send(Msg::Inspect(InspectMsg::ManifoldToggled(true)));
    b.send(Msg::Inspect(InspectMsg::InterpolationEndSet(0)));
    b.send(Msg::Inspect(InspectMsg::ExamplePicked(
        b.page.inspector.examples[7],
    )));
    b.settle();
    b.send(Msg::Inspect(InspectMsg::InterpolationEndSet(1)));
    b.settle();
    let n = b.page.inspector.manifold_n;
    let (_, manifold) = b.page.inspector.manifold.clone().expect("manifold decoded");
    assert_eq!(manifold.len(), n * n * vae_playground::data::PIXELS);
    assert_eq!(
        b.page.inspector.strip.len(),
        10 * vae_playground::data::PIXELS
    );
    // The compute worker dies while the strip is out: it is asked for again.
    let strip = b.page.inspector.strip.clone();
    b.deliver(Msg::Inspect(InspectMsg::InterpolationEndSet(0)));
    b.queue.clear();
    b.send(Msg::Inspect(InspectMsg::ComputeFailed("gone".into())));
    b.settle();
    assert!(
        !Rc::ptr_eq(&strip, &b.page.inspector.strip),
        "a new strip came"
    );
    assert_eq!(
        b.page.inspector.strip.len(),
        10 * vae_playground::data::PIXELS
    );
    // Walking from A to B ends at B.
    b.send(Msg::Inspect(InspectMsg::InterpolationPlayed));
    b.settle();
    let end = b.page.inspector.ends[1].unwrap();
    assert!((b.page.view.z[0] - end[0]).abs() < 1e-9 && (b.page.view.z[1] - end[1]).abs() < 1e-9);
}

#[test]
fn host_messages_from_other_origins_are_counted_and_subscribers_get_metrics() {
    let mut b = Browser::loaded();
    let received = |origin: &str, text: &str, window| {
        Msg::Host(HostMsg::Received {
            origin: origin.into(),
            text: text.into(),
            window,
        })
    };
    b.send(received(
        "https://evil.test",
        r#"{"type":"vae:set-z","z":[1,1]}"#,
        1,
    ));
    b.send(received(
        "https://vae.test",
        r#"{"type":"vae:set-z","z":[9,1]}"#,
        1,
    ));
    b.send(received(
        "https://vae.test",
        r#"{"type":"vae:set-z","z":[1,2]}"#,
        1,
    ));
    b.send(received(
        "https://vae.test",
        r#"{"type":"vae:subscribe"}"#,
        7,
    ));
    b.settle();
    assert_eq!(b.page.host.ignored, 2);
    assert_eq!(b.page.view.z, [1.0, 2.0]);
    assert_eq!(b.posted.len(), 1, "a subscriber hears the metrics at once");
    assert_eq!(b.posted[0].0, 7);
    b.send(received("https://vae.test", r#"{"type":"vae:train"}"#, 7));
    b.settle_with(5);
    assert!(b.page.link.training());
    b.send(received("https://vae.test", r#"{"type":"vae:pause"}"#, 7));
    b.settle_with(5);
    assert!(!b.page.link.training());
    let last = &b.posted.last().unwrap().1;
    assert!(last.contains("\"training\":false"), "{last}");
}

#[test]
fn the_address_bar_follows_the_state_and_the_embed_code_shows_the_chosen_panels() {
    let mut b = Browser::new("?lr=50&dataset=nope&host=https://blog.test");
    assert_eq!(b.page.share.url_notices.len(), 2);
    b.send(Msg::ZMoved([0.5, -0.25]));
    b.settle();
    assert_eq!(
        b.queries.last().map(String::as_str),
        Some("z=0.5,-0.25&host=https://blog.test")
    );
    b.send(Msg::Share(ShareMsg::EmbedPanelToggled(
        vae_playground::page::url_state::Panel::Chart,
    )));
    b.send(Msg::Share(ShareMsg::CopyEmbedClicked));
    b.settle();
    let code = &b.page.share.embed_code;
    assert!(
        code.contains("https://vae.test/index.html?embed&amp;panels=sliders,decoded,map,chart"),
        "{code}"
    );
}

#[test]
fn a_file_for_another_dataset_loads_that_dataset_first_and_a_bad_file_changes_nothing() {
    let mut b = Browser::loaded();
    let version = b.page.slot.version();
    b.send(Msg::Keep(KeepMsg::FileRead(Ok(Some(
        b"not a model".to_vec(),
    )))));
    b.settle();
    assert!(b
        .page
        .notice
        .clone()
        .unwrap()
        .contains("That weights file could not be used"));
    assert_eq!(b.page.slot.version(), version);
    b.send(Msg::Keep(KeepMsg::FileRead(Ok(Some(pretrained(
        Dataset::Fashion,
    ))))));
    b.settle();
    assert_eq!(b.page.view.dataset, Dataset::Fashion);
    assert!(
        b.page.status.starts_with("Loaded a model trained for"),
        "{}",
        b.page.status
    );
}

#[test]
fn the_chart_shows_the_pretrained_run_until_this_page_trains_or_replaces_the_model() {
    let mut b = Browser::loaded();
    let (rows, pretrained) = b.page.chart_history();
    assert!(pretrained);
    assert_eq!(*rows, shipped_history(bernoulli(Dataset::Mnist)));
    assert!(
        rows.last().unwrap().step > 4000,
        "the ten epochs that made the weights"
    );
    // Training here: the chart is this run's, from step 0.
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(2);
    let (rows, pretrained) = b.page.chart_history();
    assert!(!pretrained);
    assert!(rows.iter().all(|r| r.step <= b.step()));
    // Fresh weights never had that run.
    b.send(Msg::Train(TrainMsg::ResetClicked));
    b.settle();
    let (rows, pretrained) = b.page.chart_history();
    assert!(!pretrained && rows.is_empty());
    // Restored, the pretrained model's run is its history again.
    b.send(Msg::Train(TrainMsg::RestoreClicked));
    b.settle();
    assert!(b.page.chart_history().1);
}

#[test]
fn an_embed_tells_its_host_its_height_at_most_every_quarter_second() {
    let mut page = PageState::new(&Location {
        origin: "https://play.example".into(),
        base_url: "https://play.example/".into(),
        query: "?embed&host=https://blog.example".into(),
    });
    let resizes = |effects: Vec<Effect>| -> (usize, Vec<(Vec<String>, String)>) {
        let mut waits = 0;
        let mut posts = Vec::new();
        for e in effects {
            match e {
                Effect::After {
                    msg: Msg::Host(HostMsg::ResizeDue),
                    ms,
                } => {
                    assert_eq!(ms, RESIZE_EVERY_MS);
                    waits += 1;
                }
                Effect::PostToParent { origins, json } => posts.push((origins, json)),
                _ => {}
            }
        }
        (waits, posts)
    };
    // A burst of heights: one wait, then the latest only, to the page's origin and the host's.
    assert!(
        !page.update(Msg::Host(HostMsg::HeightChanged(300)), 0.0),
        "no render for it"
    );
    page.update(Msg::Host(HostMsg::HeightChanged(420)), 10.0);
    page.update(Msg::Host(HostMsg::HeightChanged(510)), 20.0);
    assert_eq!(resizes(page.take_effects()), (1, vec![]));
    page.update(Msg::Host(HostMsg::ResizeDue), 250.0);
    let (waits, posts) = resizes(page.take_effects());
    assert_eq!(waits, 0);
    assert_eq!(
        posts,
        vec![(
            vec![
                "https://play.example".to_string(),
                "https://blog.example".to_string()
            ],
            r#"{"type":"vae:resize","height":510}"#.to_string()
        )]
    );
    // The same height again says nothing; a new one waits its turn.
    page.update(Msg::Host(HostMsg::HeightChanged(510)), 300.0);
    assert_eq!(resizes(page.take_effects()), (0, vec![]));
    page.update(Msg::Host(HostMsg::HeightChanged(640)), 310.0);
    assert_eq!(resizes(page.take_effects()).0, 1);
    page.update(Msg::Host(HostMsg::ResizeDue), 560.0);
    assert_eq!(resizes(page.take_effects()).1.len(), 1);
}

#[test]
fn the_embed_code_sets_a_height_for_its_panels_and_carries_the_host_script() {
    use vae_playground::page::share::{embed_height, EMBED_WIDTH};
    use vae_playground::page::url_state::{Panel, Panels};
    let set = |ps: &[Panel]| ps.iter().copied().fold(Panels::NONE, Panels::with);
    let trio = set(&[Panel::Decoded, Panel::Sliders, Panel::Map]);
    // Panels that share a row cost no height; ones that wrap add theirs.
    assert_eq!(
        embed_height(trio, false),
        embed_height(set(&[Panel::Map]), false)
    );
    assert!(
        embed_height(set(&[Panel::Map, Panel::Chart]), false)
            > embed_height(set(&[Panel::Map]), false) + 300
    );
    assert!(embed_height(Panels::ALL, false) > embed_height(trio, false) + 1000);
    // Slow motion's panel is a row of its own, above the rest.
    assert!(embed_height(trio, true) > embed_height(trio, false) + 300);
    let mut b = Browser::new("");
    b.send(Msg::Share(ShareMsg::EmbedHostTyped("not an origin".into())));
    b.settle();
    assert!(b.page.share.embed_host_error.is_some());
    b.send(Msg::Share(ShareMsg::EmbedHostTyped(
        "https://Blog.Example/".into(),
    )));
    b.send(Msg::Share(ShareMsg::CopyEmbedClicked));
    b.settle();
    assert!(b.page.share.embed_host_error.is_none());
    let code = &b.page.share.embed_code;
    assert!(code.contains("&amp;host=https://blog.example\""), "{code}");
    assert!(
        code.contains(&format!(
            "width=\"{EMBED_WIDTH}\" height=\"{}\"",
            embed_height(trio, false)
        )),
        "{code}"
    );
    assert!(code.contains("d.type!==\"vae:resize\""), "{code}");
}

#[test]
fn the_continuous_bernoulli_decoder_opens_its_own_pretrained_model() {
    let cb = Pretrained::for_choice(Dataset::Mnist, Likelihood::ContinuousBernoulli);
    let mut b = Browser::loaded();
    assert_eq!(b.fetched, [bernoulli(Dataset::Mnist)]);
    let with = |b: &Browser, likelihood| TrainSettings {
        likelihood,
        ..b.page.settings()
    };
    b.send(Msg::Train(TrainMsg::Settings(with(
        &b,
        Likelihood::ContinuousBernoulli,
    ))));
    b.settle();
    assert_eq!(b.fetched.last(), Some(&cb));
    assert_eq!(b.page.view.likelihood, Likelihood::ContinuousBernoulli);
    let (rows, on_pretrained) = b.page.chart_history();
    assert!(on_pretrained);
    assert_eq!(
        *rows,
        shipped_history(cb),
        "the chart shows the CB model's own run"
    );

    // A model trained here is kept when the decoder changes; Restore opens the shipped one.
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(2);
    b.send(Msg::Train(TrainMsg::Settings(with(
        &b,
        Likelihood::Bernoulli,
    ))));
    b.settle();
    assert_eq!(b.fetched.len(), 2, "no fetch: the trained model stays");
    b.send(Msg::Train(TrainMsg::RestoreClicked));
    b.settle();
    assert_eq!(b.fetched.last(), Some(&bernoulli(Dataset::Mnist)));
    assert_eq!(
        *b.page.chart_history().0,
        shipped_history(bernoulli(Dataset::Mnist))
    );

    // A link that names the decoder opens its model directly (it has no preview).
    let mut b = Browser::new("?decoder=continuous-bernoulli&dataset=fashion");
    b.send(Msg::Load(LoadMsg::GpuProbed(None)));
    b.settle();
    let fashion_cb = Pretrained::for_choice(Dataset::Fashion, Likelihood::ContinuousBernoulli);
    assert_eq!(b.fetched, [fashion_cb]);
    assert!(b.page.ready());
}

#[test]
fn an_embed_of_the_maths_without_the_inspector_inspects_the_first_example() {
    for (query, inspected) in [
        ("?embed&panels=maths", true),
        ("?embed&panels=maths,inspect", false),
        ("", false),
    ] {
        let mut b = Browser::new(query);
        b.send(Msg::Load(LoadMsg::GpuProbed(None)));
        b.settle();
        assert!(b.page.ready());
        let input = b.page.inspector.x.as_ref().map(|(_, what)| what.clone());
        assert_eq!(input.is_some(), inspected, "{query}: {input:?}");
        if inspected {
            assert!(input.unwrap().starts_with("test image #"));
        }
    }
}

#[test]
fn runs_begin_at_reset_restore_and_load_follow_training_and_survive_a_reload() {
    let mut b = Browser::loaded();
    let runs = b.page.runs.all();
    assert_eq!(runs.len(), 1, "the pretrained model's own run is first");
    assert_eq!(runs[0].origin, RunOrigin::Pretrained);
    assert_eq!(*runs[0].history, shipped_history(bernoulli(Dataset::Mnist)));
    assert_eq!(runs[0].settings.batch_size, 128);
    // Training on from the pretrained weights is a run.
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(3);
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(3);
    assert_eq!(b.page.runs.all().len(), 2);
    assert_eq!(b.page.runs.all()[1].origin, RunOrigin::Restore);
    // A Reset, then a β for it: the next run's, taken with its first rows.
    b.send(Msg::Train(TrainMsg::ResetClicked));
    b.settle();
    let settings = TrainSettings {
        beta: 4.0,
        ..b.page.settings()
    };
    b.send(Msg::Train(TrainMsg::Settings(settings)));
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(3);
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(3);
    let runs = b.page.runs.all();
    assert_eq!(runs.len(), 3);
    let last = &runs[2];
    assert_eq!((last.origin, last.settings.beta), (RunOrigin::Reset, 4.0));
    assert_eq!(*last.history, *b.page.readout.history);
    assert!(last.weights.is_some(), "its last weights are kept");
    assert_eq!(runs[1].settings.beta, 1.0);
    // Continue from the first trained run's weights: a new run, loaded.
    let id = runs[1].id;
    let weights = runs[1]
        .weights
        .clone()
        .expect("the weights of a recent run");
    let step = vae_playground::vae::weights::header(&weights)
        .unwrap()
        .steps as usize;
    assert!(step > 0);
    b.send(Msg::Runs(RunsMsg::ContinueClicked(id)));
    b.settle();
    assert_eq!(b.page.readout.step, step);
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(2);
    assert_eq!(b.page.runs.all().len(), 4);
    assert_eq!(b.page.runs.all()[3].origin, RunOrigin::Loaded);
    // Paused: the list is stored, and a new visit reads it back (the pretrained run once).
    b.send(Msg::Runs(RunsMsg::Renamed(id, "first".into())));
    b.settle();
    let stored = b.stored_runs.clone().expect("the runs were stored");
    let mut again = Browser::new("");
    again.stored_runs = Some(stored);
    again.send(Msg::Load(LoadMsg::GpuProbed(None)));
    again.settle();
    let names: Vec<_> = again
        .page
        .runs
        .all()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(names[1], "first");
    // A bad file changes nothing and says why.
    let before = again.page.runs.to_json();
    again.send(Msg::Runs(RunsMsg::FileRead(Ok(Some(b"{}".to_vec())))));
    again.settle();
    assert_eq!(again.page.runs.to_json(), before);
    assert!(again.page.notice.as_deref().unwrap().contains("runs file"));
}

#[test]
fn the_stop_rule_pauses_training_by_itself_within_a_chunk_of_its_target() {
    use vae_playground::page::stop_rule::StopRule;
    let mut b = Browser::loaded();
    b.send(Msg::Train(TrainMsg::StopRuleSet(Some(StopRule::Steps(40)))));
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(200);
    assert!(!b.page.link.training(), "paused by the rule");
    let step = b.step();
    // The chunk that crossed it, and at most the one already under way in the worker.
    let chunk = b
        .page
        .readout
        .history
        .windows(2)
        .map(|w| w[1].step - w[0].step)
        .max()
        .unwrap_or(5);
    assert!(step >= 40, "step {step}");
    assert!(step < 40 + 2 * chunk.max(40), "step {step}");
    assert!(b.page.status.contains("stop rule"), "{}", b.page.status);
}

#[test]
fn a_beta_sweep_trains_each_beta_from_fresh_weights_for_its_epochs_and_pause_cancels_one() {
    let mut b = Browser::loaded();
    b.send(Msg::Train(TrainMsg::SweepBetasTyped("0.5, 2".into())));
    b.send(Msg::Train(TrainMsg::SweepEpochsSet(1.0)));
    b.send(Msg::Train(TrainMsg::SweepClicked));
    b.settle_with(300);
    assert!(
        b.page.sweep.is_none() && !b.page.link.training(),
        "{}",
        b.page.status
    );
    assert!(b.page.status.contains("Sweep done"), "{}", b.page.status);
    let swept: Vec<_> = b
        .page
        .runs
        .all()
        .iter()
        .filter(|r| r.sweep == Some(0))
        .collect();
    assert_eq!(swept.len(), 2);
    for (run, beta) in swept.iter().zip([0.5, 2.0]) {
        assert_eq!((run.settings.beta, run.origin), (beta, RunOrigin::Reset));
        let first = run.history.first().unwrap();
        assert!(first.step <= 5, "fresh weights: from step {}", first.step);
        // An epoch, to within the rows' interval of 5 steps of 16 images.
        let seen = run.history.last().unwrap().images_seen as usize;
        assert!(seen + 5 * 16 >= TRAIN_IMAGES, "{seen} images");
        assert!(run.history.iter().all(|r| r.beta == beta));
    }
    // A bad list starts nothing and says why; Pause ends a sweep under way.
    b.send(Msg::Train(TrainMsg::SweepBetasTyped("1, x".into())));
    b.send(Msg::Train(TrainMsg::SweepClicked));
    b.settle();
    assert!(b.page.sweep.is_none());
    assert!(b.page.notice.as_deref().unwrap().contains("β values"));
    b.send(Msg::Train(TrainMsg::SweepBetasTyped("1,4,8".into())));
    b.send(Msg::Train(TrainMsg::SweepClicked));
    b.settle_with(2);
    assert!(b.page.sweep.is_some() && b.page.link.training());
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle_with(3);
    assert!(b.page.sweep.is_none() && !b.page.link.training());
    assert!(b.page.status.contains("cancelled"), "{}", b.page.status);
}

#[test]
fn a_link_names_the_sweep_and_editing_the_sweep_updates_the_link() {
    let b = Browser::new("sweep=0.5,2&sweep-epochs=0.5");
    assert_eq!(b.page.sweep_betas, "0.5,2");
    assert_eq!(b.page.sweep_epochs, 0.5);
    let mut b = Browser::loaded();
    assert_eq!(
        b.page.view.sweep, None,
        "the default sweep is not in the link"
    );
    b.send(Msg::Train(TrainMsg::SweepBetasTyped("0.25, 4".into())));
    b.settle();
    assert!(
        b.page.share.url_for(&b.page.view).contains("sweep=0.25,4"),
        "{}",
        b.page.share.url_for(&b.page.view)
    );
    // A list that is not a sweep yet leaves the link's last good one.
    b.send(Msg::Train(TrainMsg::SweepBetasTyped("0.25, ".into())));
    b.settle();
    assert!(b.page.share.url_for(&b.page.view).contains("sweep=0.25,4"));
}

#[test]
fn slow_motion_counts_its_step_when_the_gradient_step_is_shown_or_the_mode_is_left() {
    use vae_playground::analysis::slow_step::SLOW_BATCH;
    use vae_playground::page::slowmo::Stage;
    let mut b = Browser::loaded();
    let stage = |b: &Browser| b.page.slowmo.as_ref().and_then(|s| s.stage());
    b.send(Msg::SlowMo(SlowMoMsg::Entered));
    b.settle();
    assert!(b.sent.contains(&TrainCommand::SlowStep));
    assert_eq!(stage(&b), Some(Stage::Batch));
    let record = b.page.slowmo.as_ref().and_then(|s| s.record().cloned());
    assert_eq!(record.map(|r| r.len()), Some(SLOW_BATCH));
    for want in &Stage::ALL[1..5] {
        assert_eq!(
            b.page.readout.step, 0,
            "not counted before the gradient step"
        );
        b.send(Msg::SlowMo(SlowMoMsg::NextClicked));
        b.settle();
        assert_eq!(stage(&b), Some(*want));
    }
    b.send(Msg::SlowMo(SlowMoMsg::NextClicked));
    b.settle();
    assert_eq!(stage(&b), Some(Stage::Step));
    assert_eq!(b.page.readout.step, 1);
    assert_eq!(b.page.readout.history.len(), 1, "the chart gained the step");
    assert_eq!(b.page.checkpoint.as_ref().map(|(_, p)| p.step), Some(1));

    // Another step, then Train before it is shown: it counts, and training goes on from it.
    b.send(Msg::SlowMo(SlowMoMsg::NextClicked));
    b.settle();
    assert_eq!(stage(&b), Some(Stage::Batch));
    assert_eq!(b.page.readout.step, 1);
    b.send(Msg::Train(TrainMsg::Toggled));
    b.settle();
    assert!(b.page.slowmo.is_none(), "Train leaves slow motion");
    assert_eq!(b.page.readout.step, 2);
    assert!(b.page.link.training());
}

#[test]
fn a_link_opens_slow_motion_at_its_stage_once_the_model_and_the_step_are_in() {
    use vae_playground::page::slowmo::Stage;
    let mut b = Browser::new("?embed&panels=map&slowmo=decode");
    b.send(Msg::Load(LoadMsg::GpuProbed(None)));
    b.settle();
    assert!(b.page.ready());
    assert!(b.sent.contains(&TrainCommand::SlowStep));
    let stage = b.page.slowmo.as_ref().and_then(|s| s.stage());
    assert_eq!(stage, Some(Stage::Decode));
    assert_eq!(
        b.page.readout.step, 0,
        "the step counts at its gradient step only"
    );
    // The user takes over from there.
    b.send(Msg::SlowMo(SlowMoMsg::NextClicked));
    b.settle();
    let stage = b.page.slowmo.as_ref().and_then(|s| s.stage());
    assert_eq!(stage, Some(Stage::Loss));
    let embed = b.page.share.embed_snippet(&b.page.link_view());
    assert!(
        embed.contains("slowmo=loss"),
        "the embed code opens at the stage"
    );
    assert!(
        !b.page.share.url_for(&b.page.view).contains("slowmo"),
        "the address bar leaves it out: a reload takes no step"
    );
}

#[test]
fn a_host_drives_slow_motion_stage_by_stage_and_hears_each_stage() {
    let mut b = Browser::loaded();
    let received = |text: &str| {
        Msg::Host(HostMsg::Received {
            origin: "https://vae.test".into(),
            text: text.into(),
            window: 3,
        })
    };
    let last_slowmo = |b: &Browser| {
        let (_, json) = b.posted.last().expect("metrics were posted");
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["slowmo"].clone()
    };
    b.send(received(r#"{"type":"vae:subscribe"}"#));
    b.settle();
    assert!(last_slowmo(&b).is_null());
    b.send(received(r#"{"type":"vae:slowmo","stage":"loss"}"#));
    b.settle();
    assert_eq!(last_slowmo(&b), "loss");
    assert_eq!(b.page.readout.step, 0);
    let link = b.page.share.url_for(&b.page.link_view());
    assert!(
        link.ends_with("&slowmo=loss"),
        "a copied link opens at the stage: {link}"
    );
    b.send(received(r#"{"type":"vae:slowmo","stage":"encode"}"#));
    b.settle();
    assert_eq!(last_slowmo(&b), "encode");
    b.send(received(r#"{"type":"vae:slowmo","stage":"step"}"#));
    b.settle();
    assert_eq!(last_slowmo(&b), "step");
    assert_eq!(b.page.readout.step, 1, "the gradient step was taken");
    b.send(received(r#"{"type":"vae:slowmo","stage":"batch"}"#));
    b.settle();
    assert_eq!(last_slowmo(&b), "batch");
    assert_eq!(b.page.readout.step, 1, "going back takes no step");
    // (Delivered alone: the stand-in runs play's timer at once, and it plays on.)
    b.deliver(received(r#"{"type":"vae:slowmo","play":true}"#));
    assert!(b.page.slowmo.as_ref().is_some_and(|s| s.playing()));
    b.send(received(r#"{"type":"vae:slowmo-leave"}"#));
    b.settle();
    assert!(b.page.slowmo.is_none());
    assert!(last_slowmo(&b).is_null());
    assert!(!b.page.share.url_for(&b.page.link_view()).contains("slowmo"));

    // Training from the host leaves slow motion, as the page's own Train does.
    b.send(received(r#"{"type":"vae:slowmo","stage":"encode"}"#));
    b.settle();
    assert_eq!(last_slowmo(&b), "encode");
    b.send(received(r#"{"type":"vae:train"}"#));
    b.settle_with(2);
    assert!(b.page.slowmo.is_none());
    assert!(b.page.link.training());
}

#[test]
fn a_host_asking_for_slow_motion_before_the_model_is_in_gets_it_once_it_is() {
    use vae_playground::page::slowmo::Stage;
    let mut b = Browser::new("");
    b.send(Msg::Host(HostMsg::Received {
        origin: "https://vae.test".into(),
        text: r#"{"type":"vae:slowmo"}"#.into(),
        window: 1,
    }));
    b.send(Msg::Load(LoadMsg::GpuProbed(None)));
    b.settle();
    assert!(b.page.ready());
    let stage = b.page.slowmo.as_ref().and_then(|s| s.stage());
    assert_eq!(stage, Some(Stage::Batch));
    assert!(
        b.page.slowmo.as_ref().is_some_and(|s| !s.focus),
        "the reader's focus stays"
    );
}

/// A page on the native build's WebGPU adapter (lavapipe here), whose browser storage holds
/// `stored` kernel choices, training with small batches.
#[cfg(feature = "gpu")]
fn on_webgpu(query: &str, stored: Vec<(String, Vec<u8>)>) -> Browser {
    let mut b = Browser::new(query);
    b.webgpu = true;
    b.stored_kernels = stored;
    let mut gpu = adapter(AdapterLimits::WEBGPU_DEFAULTS);
    gpu.key = AdapterKey {
        vendor: "mesa".into(),
        description: "llvmpipe".into(),
        ..AdapterKey::default()
    };
    b.send(Msg::Load(LoadMsg::GpuProbed(Some(gpu))));
    b.settle();
    let settings = TrainSettings {
        batch_size: 16,
        ..b.page.settings()
    };
    b.send(Msg::Train(TrainMsg::Settings(settings)));
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(5);
    assert_eq!(b.step(), 1, "one step trained on WebGPU");
    assert_eq!(b.page.link.device(), Device::WebGpu);
    b
}

#[cfg(feature = "gpu")]
#[test]
fn webgpu_kernels_are_measured_once_remembered_for_the_adapter_and_forced_by_the_link() {
    let first = on_webgpu("", Vec::new());
    let report = first
        .page
        .kernels
        .report
        .clone()
        .expect("the kernels are reported");
    assert_eq!(report.chosen, Chosen::Measured);
    assert_eq!(first.page.kernels.state_key(), "measured");
    let products = training_products(16, first.page.view.hidden);
    assert_eq!(report.table, choose(&products, &report.timings));
    assert!(
        report.timings.iter().any(|t| t.kernel == Kernel::Ours)
            && report.timings.iter().any(|t| t.kernel == Kernel::Burn),
        "both kernels were timed: {:?}",
        report.timings
    );
    assert_eq!(first.stored_kernels.len(), 1, "the choice is kept");
    // The worker was told of the WebGPU trainer before the images, so its kernels compile
    // while they load.
    let at = |f: fn(&TrainCommand) -> bool| first.sent.iter().position(f);
    let prepare = at(|c| matches!(c, TrainCommand::Prepare { .. })).expect("a Prepare");
    assert!(prepare < at(|c| matches!(c, TrainCommand::Data { .. })).expect("a Data"));
    assert!(
        matches!(
            first.sent[prepare],
            TrainCommand::Prepare { device: Device::WebGpu, hidden, settings }
                if hidden == first.page.view.hidden && settings == first.page.settings()
        ),
        "{:?}",
        first.sent[prepare]
    );

    // The next visit with this adapter uses the kept choice and does not measure.
    let again = on_webgpu("", first.stored_kernels.clone());
    let kept = again.page.kernels.report.clone().expect("reported");
    assert_eq!(kept.chosen, Chosen::Remembered);
    assert!(kept.timings.is_empty());
    assert_eq!(kept.table, report.table);

    // The link forces one kernel, whatever was measured.
    let forced = on_webgpu("kernel=burn", first.stored_kernels.clone());
    let report = forced.page.kernels.report.clone().expect("reported");
    assert_eq!(report.chosen, Chosen::Forced);
    assert_eq!(report.table, KernelTable::all(Kernel::Burn));
    assert_eq!(forced.page.kernels.state_key(), "forced");

    // So does the setting, on the trainer there is.
    let mut b = forced;
    b.send(Msg::Train(TrainMsg::KernelSet(KernelSetting::Force(
        Kernel::Ours,
    ))));
    b.settle();
    let report = b.page.kernels.report.clone().expect("reported");
    assert_eq!(report.table, KernelTable::all(Kernel::Ours));
    assert!(b.page.share.url_for(&b.page.view).contains("kernel=ours"));
}

#[test]
fn the_workers_asked_for_go_to_each_train_worker_and_fewer_are_said() {
    let mut b = Browser::new("workers=3");
    b.send(Msg::Load(LoadMsg::GpuProbed(None)));
    b.settle();
    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle();
    assert_eq!(
        b.sent.first(),
        Some(&TrainCommand::Workers { count: Some(3) }),
        "the link's workers go to the worker before anything else"
    );
    b.send(Msg::Train(TrainMsg::WorkersSet(None)));
    b.settle();
    assert_eq!(b.page.view.workers, None);
    assert_eq!(b.sent.last(), Some(&TrainCommand::Workers { count: None }));
    // What the browser's train worker answers where it has fewer cores.
    let fewer = TrainEvent::Workers {
        asked: 3,
        running: 2,
        why: Some("this browser reports 2 cores".into()),
    };
    b.send(Msg::Train(TrainMsg::Reported(Box::new(fewer), None)));
    b.settle();
    assert_eq!(b.page.readout.workers, 2);
    let notice = b.page.notice.clone().unwrap_or_default();
    assert!(
        notice.contains("2 workers: this browser reports 2 cores"),
        "{notice}"
    );
}
