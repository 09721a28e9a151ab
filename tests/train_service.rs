//! The train worker's service, driven natively on the CPU backend as the worker drives it:
//! starting trainers (from a weights file, fresh, or failing without losing the old one),
//! `Step`, `Run` and `Pause`, the history sent in pieces, divergence recovery, generations
//! and backend switches, a change of training data, and the messages' JSON form.

mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::future::LocalBoxFuture;
use pollster::block_on;
use vae_playground::analysis::data_parallel::{
    GradientHelpers, InlineHelpers, ShareError, ShareGradient, ShareJob, AUTO_SHARE_MIN_BATCH,
};
use vae_playground::analysis::train::{HistoryRow, Progress, TrainSettings};
use vae_playground::data::{Dataset, Digits, Split};
use vae_playground::services::session::{AnyVae, Device};
use vae_playground::services::train_service::{
    ChunkEvent, ChunkFailure, Outgoing, TrainCommand, TrainEvent, TrainService, MAP_POINTS,
};
use vae_playground::vae::elbo::ElboParts;
use vae_playground::vae::model::VaeConfig;
use vae_playground::vae::weights;

/// Training images the tests train on, and test images for the map and the test -ELBO.
const TRAIN_IMAGES: usize = 256;
const TEST_IMAGES: usize = 300;

/// At most this many chunks in a loop that waits for something.
const MAX_CHUNKS: usize = 200;

fn pretrained() -> Vec<u8> {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES
        .get_or_init(|| std::fs::read(common::weights_path(Dataset::Mnist)).unwrap())
        .clone()
}

/// The first [`TRAIN_IMAGES`] of the 10k training split, and the first [`TEST_IMAGES`] test
/// images, loaded once per test binary.
fn data() -> &'static (Arc<Digits>, Digits) {
    static DATA: OnceLock<(Arc<Digits>, Digits)> = OnceLock::new();
    DATA.get_or_init(|| {
        let train = common::load(Dataset::Mnist, Split::Train10k).take(TRAIN_IMAGES);
        let test = common::load(Dataset::Mnist, Split::Test).take(TEST_IMAGES);
        (Arc::new(train), test)
    })
}

fn settings() -> TrainSettings {
    TrainSettings {
        batch_size: 32,
        log_every: 1,
        ..Default::default()
    }
}

/// A small fresh model, fast to train.
fn small() -> VaeConfig {
    VaeConfig::new().with_hidden(64).with_seed(5)
}

/// A service with the training images loaded, and no trainer yet.
fn service_with_data() -> TrainService {
    with_data(TrainService::new(common::clock))
}

/// `service` with the training images loaded.
fn with_data(mut service: TrainService) -> TrainService {
    let (train, test) = data();
    let loaded = service.set_data(Dataset::Mnist, Split::Train10k, train.clone(), test);
    assert_eq!(
        loaded,
        TrainEvent::DataLoaded {
            dataset: Dataset::Mnist,
            split: Split::Train10k,
            images: TRAIN_IMAGES,
        }
    );
    service
}

fn start_command(generation: u64, fresh: Option<VaeConfig>, progress: Progress) -> TrainCommand {
    TrainCommand::Start {
        generation,
        device: Device::Cpu,
        fresh,
        progress,
        settings: settings(),
    }
}

/// Send one command; every event it answers with that says it carries weights does.
fn send(
    service: &mut TrainService,
    command: TrainCommand,
    bytes: Option<Vec<u8>>,
) -> Vec<Outgoing> {
    let out = block_on(service.command(command, bytes));
    for o in &out {
        if let TrainEvent::Chunk(c) = &o.event {
            assert_eq!(
                c.weights,
                o.weights.is_some(),
                "the weights flag tells the truth"
            );
        }
    }
    out
}

/// The one event of a `Start` or `Switch` that must succeed: its step, and the weights file.
fn expect_started(out: Vec<Outgoing>, generation: u64) -> (usize, Vec<u8>) {
    assert_eq!(out.len(), 1, "one event: {out:?}");
    let o = out.into_iter().next().unwrap();
    match o.event {
        TrainEvent::Started {
            generation: g,
            device,
            step,
            ..
        } => {
            assert_eq!(g, generation);
            assert_eq!(device, Device::Cpu);
            (step, o.weights.expect("Started carries the weights"))
        }
        other => panic!("expected Started, got {other:?}"),
    }
}

/// The one event of a `Start` or `Switch` that must fail: its message.
fn expect_start_failed(out: Vec<Outgoing>, generation: u64) -> String {
    assert_eq!(out.len(), 1, "one event: {out:?}");
    assert!(out[0].weights.is_none());
    match &out[0].event {
        TrainEvent::StartFailed {
            generation: g,
            message,
        } => {
            assert_eq!(*g, generation);
            assert!(!message.is_empty());
            message.clone()
        }
        other => panic!("expected StartFailed, got {other:?}"),
    }
}

/// A service with a trainer from the pretrained weights, paused at step 0.
fn started_service(generation: u64) -> TrainService {
    started(service_with_data(), generation)
}

/// `service`, with its data loaded, given a trainer from the pretrained weights.
fn started(mut service: TrainService, generation: u64) -> TrainService {
    let out = send(
        &mut service,
        start_command(generation, None, Progress::default()),
        Some(pretrained()),
    );
    expect_started(out, generation);
    service
}

/// Train one chunk; it must report one.
fn chunk(service: &mut TrainService) -> (ChunkEvent, Option<Vec<u8>>) {
    loop {
        let o = block_on(service.chunk()).expect("a chunk is due");
        // On WebGPU the kernels are measured before the first step: a chunk of its own.
        if !matches!(o.event, TrainEvent::Kernels(_)) {
            return as_chunk(o);
        }
    }
}

fn as_chunk(o: Outgoing) -> (ChunkEvent, Option<Vec<u8>>) {
    match o.event {
        TrainEvent::Chunk(c) => {
            assert_eq!(
                c.weights,
                o.weights.is_some(),
                "the weights flag tells the truth"
            );
            (*c, o.weights)
        }
        other => panic!("expected a Chunk, got {other:?}"),
    }
}

/// Chunks until the service is no longer busy.
fn drain(service: &mut TrainService) -> Vec<(ChunkEvent, Option<Vec<u8>>)> {
    let mut events = Vec::new();
    while service.busy() {
        assert!(
            events.len() < MAX_CHUNKS,
            "still busy after {MAX_CHUNKS} chunks"
        );
        events.push(chunk(service));
    }
    assert!(
        block_on(service.chunk()).is_none(),
        "nothing due when not busy"
    );
    events
}

/// The history as the page keeps it: each event replaces the rows from `history_from` on.
fn reassemble(page: &mut Vec<HistoryRow>, event: &ChunkEvent) {
    assert!(
        event.history_from <= page.len(),
        "rows from {} on, but the page has {}",
        event.history_from,
        page.len()
    );
    if !event.history.is_empty() || event.history_from < page.len() {
        page.truncate(event.history_from);
    }
    page.extend_from_slice(&event.history);
}

fn decode_origin(bytes: &[u8]) -> Vec<f32> {
    let model = AnyVae::from_weights(bytes).expect("the weights file decodes");
    block_on(model.decode(&[0.0, 0.0])).unwrap()
}

fn with_rate(learning_rate: f64) -> TrainSettings {
    TrainSettings {
        learning_rate,
        ..settings()
    }
}

#[test]
fn starting_from_a_weights_file_gives_the_same_model_paused_at_the_given_step() {
    let mut service = service_with_data();
    let progress = Progress {
        step: 120,
        images_seen: 120 * 32,
        train_seconds: 4.5,
        history: Vec::new(),
    };
    let out = send(
        &mut service,
        start_command(3, None, progress),
        Some(pretrained()),
    );
    let config = match &out[0].event {
        TrainEvent::Started { config, .. } => config.clone(),
        other => panic!("expected Started, got {other:?}"),
    };
    let (step, bytes) = expect_started(out, 3);
    assert_eq!(step, 120);
    assert_eq!(service.generation(), 3);
    let header = weights::header(&bytes).expect("a valid weights file");
    assert_eq!(header.config, config);
    assert_eq!(
        header.config,
        weights::header(&pretrained()).unwrap().config
    );
    assert_eq!(header.steps, 120);
    assert_eq!(header.dataset, Some(Dataset::Mnist));
    assert_eq!(decode_origin(&bytes), decode_origin(&pretrained()));
    // It starts paused.
    assert!(!service.busy());
    assert!(block_on(service.chunk()).is_none());
}

#[test]
fn a_fresh_start_uses_the_config_sent() {
    let mut service = service_with_data();
    let out = send(
        &mut service,
        start_command(1, Some(small()), Progress::default()),
        None,
    );
    match &out[0].event {
        TrainEvent::Started { config, .. } => assert_eq!(*config, small()),
        other => panic!("expected Started, got {other:?}"),
    }
    let (step, bytes) = expect_started(out, 1);
    assert_eq!(step, 0);
    assert_eq!(weights::header(&bytes).unwrap().config, small());
}

#[test]
fn a_start_that_cannot_work_fails_and_the_old_trainer_stays() {
    // No training images yet.
    let mut service = TrainService::new(common::clock);
    let out = send(
        &mut service,
        start_command(1, None, Progress::default()),
        Some(pretrained()),
    );
    let message = expect_start_failed(out, 1);
    assert!(message.contains("not loaded"), "{message}");
    // Nothing to run, step or move.
    send(&mut service, TrainCommand::Step { steps: 2 }, None);
    assert!(!service.busy());
    send(&mut service, TrainCommand::Run, None);
    assert!(!service.busy());
    assert!(block_on(service.chunk()).is_none());
    let out = send(
        &mut service,
        TrainCommand::Switch {
            generation: 2,
            device: Device::Cpu,
        },
        None,
    );
    expect_start_failed(out, 2);

    // Images, but neither a fresh config nor a weights file.
    let mut service = service_with_data();
    let out = send(
        &mut service,
        start_command(1, None, Progress::default()),
        None,
    );
    let message = expect_start_failed(out, 1);
    assert!(message.contains("no weights"), "{message}");
    assert!(!service.busy());

    // A trainer that has taken two steps, then a corrupt file in place of its successor.
    let out = send(
        &mut service,
        start_command(2, None, Progress::default()),
        Some(pretrained()),
    );
    expect_started(out, 2);
    send(&mut service, TrainCommand::Step { steps: 2 }, None);
    assert_eq!(drain(&mut service).last().unwrap().0.step, 2);
    for bad in [vec![1, 2, 3], pretrained()[..1000].to_vec()] {
        let out = send(
            &mut service,
            start_command(3, None, Progress::default()),
            Some(bad),
        );
        expect_start_failed(out, 3);
    }
    // The old trainer goes on from where it was.
    assert!(!service.busy());
    send(&mut service, TrainCommand::Step { steps: 1 }, None);
    assert!(service.busy());
    let (event, weights) = chunk(&mut service);
    assert_eq!(event.steps, 1);
    assert_eq!(event.step, 3);
    assert!(event.error.is_none());
    assert!(!event.running);
    assert!(weights.is_some());
    assert!(!service.busy());
}

#[test]
fn step_trains_exactly_the_steps_asked_and_sends_the_whole_history() {
    let mut service = service_with_data();
    let out = send(
        &mut service,
        start_command(4, Some(small()), Progress::default()),
        None,
    );
    let (start_step, before) = expect_started(out, 4);
    assert_eq!(start_step, 0);
    send(&mut service, TrainCommand::Step { steps: 3 }, None);
    assert!(service.busy());
    let events = drain(&mut service);
    assert_eq!(events.iter().map(|(e, _)| e.steps).sum::<usize>(), 3);
    assert_eq!(
        events.iter().map(|(e, _)| e.images).sum::<u64>(),
        3 * 32,
        "three batches of 32"
    );
    let mut page = Vec::new();
    for (event, _) in &events {
        assert_eq!(event.generation, 4);
        assert!(event.error.is_none());
        assert!(event.parts.is_finite());
        reassemble(&mut page, event);
    }
    let (last, bytes) = events.last().unwrap();
    assert!(!last.running, "the last of the steps stops");
    assert!(last.weights);
    assert_eq!(last.step, start_step + 3);
    assert_eq!(last.images_seen, 3 * 32);
    assert!(last.train_seconds > 0.0);
    assert_eq!(last.history_from + last.history.len(), 3);
    assert_eq!(
        page.iter().map(|r| r.step).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(page.iter().all(row_is_consistent), "{page:?}");
    // A report that says training stopped carries the map's means and the test -ELBO, so the
    // page never computes them on its own thread.
    assert!(last
        .means
        .as_ref()
        .is_some_and(|m| m.iter().all(|v| v.is_finite())));
    assert!(last.test.is_some_and(|t| t.is_finite()));
    let bytes = bytes.as_ref().unwrap();
    assert_eq!(weights::header(bytes).unwrap().steps, 3);
    assert_ne!(
        decode_origin(bytes),
        decode_origin(&before),
        "training moved the weights"
    );

    // Two more: the history goes on from row 3, and only the new rows are sent.
    send(&mut service, TrainCommand::Step { steps: 2 }, None);
    for (event, _) in drain(&mut service) {
        reassemble(&mut page, &event);
    }
    assert_eq!(
        page.iter().map(|r| r.step).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
}

/// A row of a run at [`settings`] hangs together.
fn row_is_consistent(r: &HistoryRow) -> bool {
    r.neg_elbo.is_finite()
        && (r.neg_elbo - (r.kl + r.recon)).abs() < 1e-6
        && r.learning_rate == 1e-3
}

#[test]
fn run_trains_until_paused_and_the_pause_reports_with_the_weights() {
    let mut service = started_service(1);
    send(&mut service, TrainCommand::Run, None);
    assert!(service.busy());
    let mut page = Vec::new();
    let mut step = 0;
    for _ in 0..4 {
        let (event, _) = chunk(&mut service);
        assert!(event.running);
        assert!(event.error.is_none());
        assert!(event.steps >= 1);
        assert_eq!(event.step, step + event.steps);
        step = event.step;
        reassemble(&mut page, &event);
    }
    assert!(service.busy());
    let out = send(&mut service, TrainCommand::Pause, None);
    assert_eq!(out.len(), 1);
    let (event, weights) = as_chunk(out.into_iter().next().unwrap());
    assert!(!event.running);
    assert_eq!(event.steps, 0, "a pause between chunks trains nothing");
    assert_eq!(event.step, step);
    assert!(event.error.is_none());
    let weights = weights.expect("a pause sends the weights");
    assert_eq!(weights::header(&weights).unwrap().steps, step as u64);
    reassemble(&mut page, &event);
    assert_eq!(
        page.iter().map(|r| r.step).collect::<Vec<_>>(),
        (1..=step).collect::<Vec<_>>(),
        "the page has every row, once"
    );
    assert!(!service.busy());
    assert!(block_on(service.chunk()).is_none());
    // A second pause has nothing to say.
    assert!(send(&mut service, TrainCommand::Pause, None).is_empty());
}

#[test]
fn while_running_the_map_means_and_the_test_elbo_come_by_turns() {
    let mut service = started_service(1);
    send(&mut service, TrainCommand::Run, None);
    let (mut means, mut test, mut weights) = (None, None, 0);
    let deadline = Instant::now() + Duration::from_secs(8);
    while (means.is_none() || test.is_none()) && Instant::now() < deadline {
        let (event, w) = chunk(&mut service);
        assert!(event.running);
        assert!(
            event.means.is_none() || event.test.is_none(),
            "one of the two per chunk"
        );
        weights += w.is_some() as usize;
        means = means.or(event.means);
        test = test.or(event.test);
    }
    let means = means.expect("the map's means while running");
    assert_eq!(means.len(), 2 * TEST_IMAGES.min(MAP_POINTS));
    assert!(means.iter().all(|m| m.is_finite()));
    let test = test.expect("the test -ELBO while running");
    assert!(test.is_finite());
    // The pretrained model is far better than an image-ignoring one (~206 nats).
    assert!(test.neg_elbo() < 200.0, "{test:?}");
    assert!(
        weights >= 1,
        "the weights go out now and then while running"
    );
}

/// Run at `settings` until a chunk reports an error; the error and the events before it.
fn run_until_error(service: &mut TrainService) -> (ChunkEvent, Option<Vec<u8>>, Vec<ChunkEvent>) {
    send(service, TrainCommand::Run, None);
    let mut before = Vec::new();
    for _ in 0..MAX_CHUNKS {
        let (event, weights) = chunk(service);
        if event.error.is_some() {
            return (event, weights, before);
        }
        assert!(event.running);
        before.push(event);
    }
    panic!("no divergence in {MAX_CHUNKS} chunks");
}

#[test]
fn divergence_stops_with_finite_weights_and_training_goes_on_at_a_sane_rate() {
    let mut service = started_service(6);
    send(&mut service, TrainCommand::Step { steps: 4 }, None);
    drain(&mut service);
    send(
        &mut service,
        TrainCommand::Settings {
            settings: with_rate(10.0),
        },
        None,
    );
    let (event, weights, before) = run_until_error(&mut service);
    let ChunkFailure { message, diverged } = event.error.clone().unwrap();
    assert!(diverged, "{message}");
    assert!(message.contains("diverged"), "{message}");
    assert!(!event.running);
    assert_eq!(event.generation, 6);
    assert!(!service.busy());
    assert!(block_on(service.chunk()).is_none());
    // Back to a step before the blow-up, no further back than where the run began.
    let last_good = before.last().map_or(4, |e| e.step);
    assert!(
        (4..=last_good).contains(&event.step),
        "restored to {} (ran from 4 to {last_good})",
        event.step
    );
    assert!(event.history.iter().all(|r| r.step <= event.step));
    assert_eq!(event.history_from + event.history.len(), event.step);
    let weights = weights.expect("the restored weights come with the error");
    let pixels = decode_origin(&weights);
    assert!(pixels.iter().all(|p| p.is_finite()));
    assert_eq!(weights::header(&weights).unwrap().steps, event.step as u64);

    send(
        &mut service,
        TrainCommand::Settings {
            settings: with_rate(1e-3),
        },
        None,
    );
    send(&mut service, TrainCommand::Step { steps: 1 }, None);
    let events = drain(&mut service);
    assert_eq!(events.len(), 1);
    let (again, _) = &events[0];
    assert!(again.error.is_none(), "{:?}", again.error);
    assert_eq!(again.steps, 1);
    assert_eq!(again.step, event.step + 1);
    assert!(again.parts.is_finite());
}

#[test]
fn events_carry_the_generation_and_a_switch_keeps_the_model_and_the_step() {
    let mut service = started_service(7);
    send(&mut service, TrainCommand::Step { steps: 3 }, None);
    let events = drain(&mut service);
    assert!(events.iter().all(|(e, _)| e.generation == 7));
    let (last, bytes) = events.last().unwrap();
    let pixels = decode_origin(bytes.as_ref().unwrap());

    let out = send(
        &mut service,
        TrainCommand::Switch {
            generation: 8,
            device: Device::Cpu,
        },
        None,
    );
    let (step, moved) = expect_started(out, 8);
    assert_eq!(step, last.step);
    assert_eq!(decode_origin(&moved), pixels);
    assert_eq!(service.generation(), 8);
    assert!(!service.busy(), "a switch starts paused");

    // The history moved too: the next rows follow on.
    send(&mut service, TrainCommand::Step { steps: 1 }, None);
    let (event, _) = drain(&mut service).pop().unwrap();
    assert_eq!(event.generation, 8);
    assert_eq!(event.step, step + 1);
    assert_eq!(event.history_from, step);
    assert_eq!(
        event.history.iter().map(|r| r.step).collect::<Vec<_>>(),
        vec![step + 1]
    );
}

#[test]
fn where_webgpu_fails_a_start_or_switch_there_is_refused_and_the_cpu_trainer_goes_on() {
    let mut service = started(
        with_data(TrainService::new(common::clock).without_webgpu()),
        1,
    );
    let out = send(
        &mut service,
        TrainCommand::Switch {
            generation: 2,
            device: Device::WebGpu,
        },
        None,
    );
    let message = expect_start_failed(out, 2);
    assert!(message.contains("WebGPU"), "{message}");
    let out = send(
        &mut service,
        TrainCommand::Start {
            generation: 3,
            device: Device::WebGpu,
            fresh: Some(small()),
            progress: Progress::default(),
            settings: settings(),
        },
        None,
    );
    let message = expect_start_failed(out, 3);
    assert!(message.contains("WebGPU"), "{message}");
    send(&mut service, TrainCommand::Step { steps: 2 }, None);
    let events = drain(&mut service);
    assert_eq!(events.iter().map(|(e, _)| e.steps).sum::<usize>(), 2);
    assert_eq!(events.last().unwrap().0.step, 2);
}

// The test command builds native code with `gpu` (one build for every test), so this runs on
// Mesa's software Vulkan there; the page's fallback without an adapter is a browser test.
#[cfg(feature = "gpu")]
#[test]
fn a_switch_to_webgpu_keeps_the_step_count_and_trains_there() {
    let mut service = started_service(1);
    send(&mut service, TrainCommand::Step { steps: 2 }, None);
    drain(&mut service);
    let out = send(
        &mut service,
        TrainCommand::Switch {
            generation: 2,
            device: Device::WebGpu,
        },
        None,
    );
    // The kernels are measured before the first step there (`MeasuringKernels` says so).
    let out: Vec<_> = out
        .iter()
        .filter(|o| !matches!(o.event, TrainEvent::MeasuringKernels { .. }))
        .collect();
    assert_eq!(out.len(), 1, "one event besides the measuring: {out:?}");
    match &out[0].event {
        TrainEvent::Started {
            generation,
            device,
            step,
            ..
        } => {
            assert_eq!((*generation, *device, *step), (2, Device::WebGpu, 2));
        }
        other => panic!("expected Started on WebGPU, got {other:?}"),
    }
    send(&mut service, TrainCommand::Step { steps: 2 }, None);
    let events = drain(&mut service);
    assert_eq!(events.iter().map(|(e, _)| e.steps).sum::<usize>(), 2);
    let last = &events.last().unwrap().0;
    assert_eq!(last.step, 4);
    assert!(!last.history.is_empty() && last.history.iter().all(|r| r.neg_elbo.is_finite()));
}

/// A `Prepare` for WebGPU, sent before the training images, has the kernels that trainer runs
/// first launched (and so compiled) meanwhile: the measured pair or the forced kernel, then a
/// throwaway training step; nothing for the CPU or without an adapter.
#[cfg(feature = "gpu")]
#[test]
fn prepare_compiles_the_kernels_the_trainer_runs_first_while_the_images_load() {
    use vae_playground::vae::kernel_choice::{training_products, Kernel, KernelSetting};
    use vae_playground::vae::wgpu_matmul::{compiled, products_run};
    let settings = TrainSettings {
        batch_size: 16,
        ..TrainSettings::default()
    };
    let prepare = |device| TrainCommand::Prepare {
        device,
        hidden: 64,
        settings,
    };
    // Products a training step's forward and backward passes make (through our kernel).
    let step_products = || products_run().0;
    let mut service = TrainService::new(common::clock);
    assert!(send(&mut service, prepare(Device::Cpu), None).is_empty());
    assert!(compiled().is_empty(), "nothing for a CPU trainer");
    assert_eq!(step_products(), 0);
    assert!(send(&mut service, prepare(Device::WebGpu), None).is_empty());
    let products = training_products(16, 64);
    assert_eq!(
        compiled(),
        vec![(products[0], Kernel::Ours), (products[0], Kernel::Burn)],
        "the pair the measurement times first"
    );
    let after_one = step_products();
    assert!(
        after_one >= 4,
        "a training step was launched: {after_one} products"
    );
    send(
        &mut service,
        TrainCommand::Kernels {
            setting: KernelSetting::Force(Kernel::Ours),
            remembered: None,
        },
        None,
    );
    send(&mut service, prepare(Device::WebGpu), None);
    let ours: Vec<_> = products.iter().map(|&p| (p, Kernel::Ours)).collect();
    assert_eq!(compiled()[2..], ours[1..], "the forced kernel on the rest");
    // A service without an adapter launches nothing.
    let mut without = TrainService::new(common::clock).without_webgpu();
    let before = (compiled().len(), step_products());
    send(&mut without, prepare(Device::WebGpu), None);
    assert_eq!((compiled().len(), step_products()), before);
}

#[test]
fn new_training_images_keep_the_trainer() {
    let mut service = started_service(1);
    send(&mut service, TrainCommand::Step { steps: 2 }, None);
    drain(&mut service);
    let (_, test) = data();
    let more = Arc::new(common::load(Dataset::Mnist, Split::Train10k).take(2 * TRAIN_IMAGES));
    let loaded = service.set_data(Dataset::Mnist, Split::Train, more, test);
    assert_eq!(
        loaded,
        TrainEvent::DataLoaded {
            dataset: Dataset::Mnist,
            split: Split::Train,
            images: 2 * TRAIN_IMAGES,
        }
    );
    assert!(!service.busy(), "new images do not start training");
    send(&mut service, TrainCommand::Step { steps: 1 }, None);
    let (event, _) = drain(&mut service).pop().unwrap();
    assert_eq!(event.step, 3, "the step count goes on");
    assert_eq!(event.images_seen, 3 * 32);
    assert_eq!(event.history_from, 2);
    // The first batch of a fresh walk through 512 images.
    assert!((event.epoch - 32.0 / 512.0).abs() < 1e-9, "{}", event.epoch);
}

#[test]
fn commands_and_events_round_trip_through_json() {
    let row = HistoryRow {
        step: 50,
        epoch: 0.16,
        images_seen: 6400,
        kl: 3.25,
        recon: 160.125,
        neg_elbo: 163.375,
        loss: 163.375,
        beta: 1.0,
        learning_rate: 1e-3,
        wall_seconds: 1.0 / 3.0,
    };
    let commands = [
        start_command(
            9,
            Some(small()),
            Progress {
                step: 50,
                images_seen: 6400,
                train_seconds: 2.5,
                history: vec![row],
            },
        ),
        start_command(10, None, Progress::default()),
        TrainCommand::Data {
            dataset: Dataset::Fashion,
            split: Split::Train,
        },
        TrainCommand::Switch {
            generation: 11,
            device: Device::WebGpu,
        },
        TrainCommand::Settings {
            settings: with_rate(3e-4),
        },
        TrainCommand::Run,
        TrainCommand::Pause,
        TrainCommand::Step { steps: 7 },
        TrainCommand::Workers { count: Some(3) },
        TrainCommand::Workers { count: None },
    ];
    for command in commands {
        let json = serde_json::to_string(&command).unwrap();
        let back: TrainCommand = serde_json::from_str(&json).unwrap();
        assert_eq!(back, command, "{json}");
    }
    let parts = ElboParts {
        kl: 4.5,
        recon: 150.0 + 1.0 / 7.0,
    };
    let events = [
        TrainEvent::Chunk(Box::new(ChunkEvent {
            generation: 3,
            step: 51,
            epoch: 0.163,
            images_seen: 6528,
            train_seconds: 2.51,
            steps: 1,
            images: 128,
            seconds: 0.01,
            parts,
            running: true,
            error: Some(ChunkFailure {
                message: "diverged".into(),
                diverged: true,
            }),
            history_from: 0,
            history: vec![row, row],
            weights: true,
            means: Some(vec![0.5, -1.25, 0.1, 2.0]),
            test: Some(parts),
            workers: 2,
        })),
        TrainEvent::Started {
            generation: 2,
            device: Device::Cpu,
            config: small(),
            step: 50,
        },
        TrainEvent::StartFailed {
            generation: 2,
            message: "no".into(),
        },
        TrainEvent::DataLoaded {
            dataset: Dataset::Mnist,
            split: Split::Train10k,
            images: 10_000,
        },
        TrainEvent::DataFailed {
            dataset: Dataset::Fashion,
            split: Split::Test,
            message: "404".into(),
        },
        TrainEvent::GpuLost {
            reason: "lost".into(),
        },
    ];
    for event in events {
        let json = serde_json::to_string(&event).unwrap();
        let back: TrainEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event, "{json}");
    }
    // The page tells messages apart by their `kind`.
    let json = serde_json::to_value(TrainCommand::Step { steps: 7 }).unwrap();
    assert_eq!(json["kind"], "Step");
    assert_eq!(json["steps"], 7);
    // The device goes by its wire names under the key `backend`.
    let json = serde_json::to_string(&TrainCommand::Switch {
        generation: 11,
        device: Device::WebGpu,
    })
    .unwrap();
    assert_eq!(
        json,
        r#"{"kind":"Switch","generation":11,"backend":"WebGpu"}"#
    );
    let json = serde_json::to_value(TrainEvent::Started {
        generation: 2,
        device: Device::Cpu,
        config: small(),
        step: 50,
    })
    .unwrap();
    assert_eq!(json["backend"], "Cpu");
}

/// While running, history rows go out only every so often. A `Switch` in between must not lose
/// the rows trained since the last ones sent: the page's chart has to stay gap-free.
#[test]
fn a_switch_while_running_loses_no_history_rows() {
    let mut service = started_service(1);
    send(&mut service, TrainCommand::Run, None);
    let mut page = Vec::new();
    let mut pending = false;
    for _ in 0..MAX_CHUNKS {
        let (event, _) = chunk(&mut service);
        reassemble(&mut page, &event);
        // Rows trained that the page does not have yet (log_every = 1 from step 0).
        if page.len() < event.step {
            pending = true;
            break;
        }
    }
    assert!(pending, "a chunk without its history rows while running");
    let out = send(
        &mut service,
        TrainCommand::Switch {
            generation: 2,
            device: Device::Cpu,
        },
        None,
    );
    let (step, _) = expect_started(out, 2);
    send(&mut service, TrainCommand::Step { steps: 1 }, None);
    for (event, _) in drain(&mut service) {
        reassemble(&mut page, &event);
    }
    assert_eq!(
        page.iter().map(|r| r.step).collect::<Vec<_>>(),
        (1..=step + 1).collect::<Vec<_>>()
    );
}

/// Each history row describes the moment of its own step, also when one chunk logs several.
#[test]
fn rows_logged_within_one_chunk_carry_their_own_counts() {
    let mut service = service_with_data();
    let out = send(
        &mut service,
        start_command(1, Some(small()), Progress::default()),
        None,
    );
    expect_started(out, 1);
    send(&mut service, TrainCommand::Step { steps: 3 }, None);
    let events = drain(&mut service);
    assert_eq!(events.len(), 1, "one chunk");
    let rows = &events[0].0.history;
    assert_eq!(
        rows.iter().map(|r| r.images_seen).collect::<Vec<_>>(),
        vec![32, 64, 96]
    );
    let epochs: Vec<f64> = rows.iter().map(|r| r.epoch).collect();
    let expected = [32.0 / 256.0, 64.0 / 256.0, 96.0 / 256.0];
    assert!(
        epochs
            .iter()
            .zip(expected)
            .all(|(e, x)| (e - x).abs() < 1e-9),
        "{epochs:?}"
    );
}

/// Helpers that compute on this thread and count the jobs posted to them.
struct CountingHelpers {
    inner: InlineHelpers,
    posted: Rc<Cell<usize>>,
}

impl GradientHelpers for CountingHelpers {
    fn count(&self) -> usize {
        self.inner.count()
    }
    fn post(&mut self, weights: &[f32], jobs: &[ShareJob]) {
        self.posted.set(self.posted.get() + jobs.len());
        self.inner.post(weights, jobs);
    }
    fn collect(&mut self) -> LocalBoxFuture<'_, Vec<Result<ShareGradient, ShareError>>> {
        self.inner.collect()
    }
}

#[test]
fn auto_workers_share_only_big_batches_and_a_named_count_shares_every_batch() {
    let small_batch = settings().batch_size;
    for (auto, batch, shared) in [
        (true, small_batch, false),
        (true, AUTO_SHARE_MIN_BATCH, true),
        (false, small_batch, true),
    ] {
        let mut service = service_with_data();
        let posted = Rc::new(Cell::new(0));
        let helpers = CountingHelpers {
            inner: InlineHelpers::new(1),
            posted: posted.clone(),
        };
        service.set_helpers(Box::new(helpers), auto);
        let start = TrainCommand::Start {
            generation: 1,
            device: Device::Cpu,
            fresh: Some(small()),
            progress: Progress::default(),
            settings: TrainSettings {
                batch_size: batch,
                ..settings()
            },
        };
        expect_started(send(&mut service, start, None), 1);
        send(&mut service, TrainCommand::Step { steps: 2 }, None);
        let events = drain(&mut service);
        let workers = events.last().expect("a chunk").0.workers;
        let case = format!("auto {auto}, batch {batch}");
        assert_eq!(
            posted.get() > 0,
            shared,
            "{case}: jobs posted {}",
            posted.get()
        );
        assert_eq!(workers, if shared { 2 } else { 1 }, "{case}");
    }
}
