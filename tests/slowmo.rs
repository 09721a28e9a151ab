//! Slow motion: its step is a normal training step (the same weights after it, from the same
//! weights, optimiser state and seed, on the CPU and on wgpu), what it reads back is what that
//! step computed, and the page's stages go forward and back within their bounds.

mod common;

use std::sync::Arc;

use burn::tensor::Tensor;
use pollster::block_on;
use vae_playground::analysis::slow_step::{SlowStep, SLOW_BATCH};
use vae_playground::analysis::train::{TrainSettings, Trainer};
use vae_playground::data::{Dataset, Split, PIXELS};
use vae_playground::page::slowmo::{Advance, SlowMo, Stage};
use vae_playground::services::train_service::ChunkEvent;
use vae_playground::vae::backend::CpuTrain;
use vae_playground::vae::dense::TrainBackend;
use vae_playground::vae::elbo::ElboParts;
use vae_playground::vae::model::VaeConfig;
use vae_playground::vae::weights;

fn trainer<B: TrainBackend>(dataset: Dataset) -> Trainer<B> {
    let data = Arc::new(common::load(dataset, Split::Train10k).take(500));
    let config = VaeConfig::new().with_hidden(64).with_seed(7);
    let settings = TrainSettings {
        batch_size: SLOW_BATCH,
        log_every: 5,
        ..Default::default()
    };
    Trainer::new(config, data, settings, common::clock, Default::default()).unwrap()
}

fn weights_of<B: TrainBackend>(t: &Trainer<B>) -> Vec<u8> {
    block_on(weights::encode(
        &t.inference_model(),
        7,
        &Default::default(),
    ))
    .unwrap()
}

/// Two trainers a few steps in (so Adam's moments are not zero), one taking a normal step of
/// `SLOW_BATCH` images and the other a slow-motion step: the same weights after it.
fn slow_step_equals_a_normal_step<B: TrainBackend>(dataset: Dataset) -> SlowStep {
    let (mut normal, mut slow) = (trainer::<B>(dataset), trainer::<B>(dataset));
    for t in [&mut normal, &mut slow] {
        block_on(t.train_steps(3)).unwrap();
    }
    assert!(weights_of(&normal) == weights_of(&slow));
    let before = weights_of(&slow);
    // The slow step uses its own batch size whatever the settings say.
    let mut settings = *slow.settings();
    settings.batch_size = 100;
    slow.set_settings(settings);

    let report = block_on(normal.train_steps(1)).unwrap();
    let (slow_report, record) = block_on(slow.slow_step()).unwrap();

    assert!(weights_of(&slow) != before, "the step moved the weights");
    assert!(
        weights_of(&slow) == weights_of(&normal),
        "the weights after a slow step are those after a normal step"
    );
    assert_eq!(slow_report.parts, report.parts);
    assert_eq!(slow.step(), 4);
    assert_eq!(slow.images_seen(), normal.images_seen());
    assert_eq!(record.step, 4);
    assert_eq!(record.parts, report.parts);
    // The next steps go on alike: the cursor and the noise moved as a normal step moves them.
    block_on(normal.train_steps(1)).unwrap();
    slow.set_settings(*normal.settings());
    block_on(slow.train_steps(1)).unwrap();
    assert!(
        weights_of(&slow) == weights_of(&normal),
        "and after the next"
    );
    record
}

/// What the record says agrees with itself and with the data.
fn check_record(record: &SlowStep, dataset: Dataset) {
    let (n, k) = (SLOW_BATCH, 2);
    assert_eq!(record.len(), n);
    assert_eq!(record.latent(), k);
    for (name, len, want) in [
        ("images", record.images.len(), n * PIXELS),
        ("decoded", record.decoded.len(), n * PIXELS),
        ("mu", record.mu.len(), n * k),
        ("sigma", record.sigma.len(), n * k),
        ("eps", record.eps.len(), n * k),
        ("z", record.z.len(), n * k),
        ("mu_after", record.mu_after.len(), n * k),
        ("kl", record.kl.len(), n),
        ("recon", record.recon.len(), n),
    ] {
        assert_eq!(len, want, "{name}");
    }
    let data = common::load(dataset, Split::Train10k).take(500);
    for (i, &index) in record.indices.iter().enumerate() {
        assert_eq!(record.labels[i], data.label(index));
        assert_eq!(
            &record.images[i * PIXELS..(i + 1) * PIXELS],
            data.image_f32(index).as_slice()
        );
    }
    for j in 0..n * k {
        let z = record.mu[j] + record.sigma[j] * record.eps[j];
        assert!((z - record.z[j]).abs() < 1e-5, "z = mu + sigma eps at {j}");
        assert!(record.sigma[j] > 0.0);
    }
    let mean = |v: &[f32]| v.iter().map(|&a| a as f64).sum::<f64>() / v.len() as f64;
    assert!((mean(&record.kl) - record.parts.kl).abs() < 1e-3);
    assert!((mean(&record.recon) - record.parts.recon).abs() < 1e-2);
    assert!(record.decoded.iter().all(|p| (0.0..=1.0).contains(p)));
    assert_ne!(
        record.mu_after, record.mu,
        "the step moved the batch's means"
    );
}

#[test]
fn a_slow_motion_step_is_a_normal_step_on_the_cpu() {
    let record = slow_step_equals_a_normal_step::<CpuTrain>(Dataset::Mnist);
    check_record(&record, Dataset::Mnist);
}

#[cfg(feature = "gpu")]
#[test]
fn a_slow_motion_step_is_a_normal_step_on_wgpu() {
    use vae_playground::vae::backend::GpuTrain;
    let record = slow_step_equals_a_normal_step::<GpuTrain>(Dataset::Mnist);
    check_record(&record, Dataset::Mnist);
}

#[test]
fn a_slow_step_gives_the_chart_its_row_at_once() {
    let mut t = trainer::<CpuTrain>(Dataset::Mnist);
    block_on(t.train_steps(2)).unwrap();
    assert!(t.history().is_empty(), "rows come every 5 steps");
    block_on(t.slow_step()).unwrap();
    let rows = t.history();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].step, 3);
    assert_eq!(rows[0].images_seen, 3 * SLOW_BATCH as u64);
}

/// The mu after the step is the batch encoded by the new weights.
#[test]
fn mu_after_is_the_batch_encoded_by_the_stepped_model() {
    let mut t = trainer::<CpuTrain>(Dataset::Mnist);
    let (_, record) = block_on(t.slow_step()).unwrap();
    let model = t.inference_model();
    let x = Tensor::from_data(
        burn::tensor::TensorData::new(record.images.clone(), [SLOW_BATCH, PIXELS]),
        &Default::default(),
    );
    let mu = model.encode(x).mu.into_data().to_vec::<f32>().unwrap();
    assert_eq!(mu, record.mu_after);
}

fn pending(step: usize) -> (Box<ChunkEvent>, Option<Vec<u8>>) {
    let chunk = ChunkEvent {
        generation: 1,
        step,
        epoch: 0.0,
        images_seen: 0,
        train_seconds: 0.0,
        steps: 1,
        images: SLOW_BATCH as u64,
        seconds: 0.0,
        parts: ElboParts {
            kl: 1.0,
            recon: 2.0,
        },
        running: false,
        workers: 1,
        error: None,
        history_from: 0,
        history: Vec::new(),
        weights: false,
        means: None,
        test: None,
    };
    (Box::new(chunk), None)
}

#[test]
fn stages_go_forward_and_back_within_their_bounds() {
    let mut t = trainer::<CpuTrain>(Dataset::Mnist);
    let (_, record) = block_on(t.slow_step()).unwrap();
    let mut mo = SlowMo::new(true);
    assert!(mo.waiting());
    assert!(matches!(mo.forward(), Advance::Wait));
    assert!(!mo.back());
    mo.arrived(record, pending(1));
    assert_eq!(mo.stage(), Some(Stage::Batch));
    assert!(!mo.back(), "nothing before the first stage");
    assert_eq!(mo.stage(), Some(Stage::Batch));
    assert!(mo.marks().ellipses.is_empty());

    let mut applied = 0;
    for want in &Stage::ALL[1..] {
        match mo.forward() {
            Advance::Apply((chunk, _)) => {
                assert_eq!(chunk.step, 1);
                applied += 1;
            }
            Advance::Stage => {}
            other => panic!("{other:?} before the last stage"),
        }
        assert_eq!(mo.stage(), Some(*want));
    }
    assert_eq!(
        applied, 1,
        "the step's report is applied once, at the gradient step"
    );
    let marks = mo.marks();
    assert_eq!(marks.moves.len(), SLOW_BATCH);
    assert!(marks.samples.is_empty());

    // Back to the loss and on again: the report is not applied a second time.
    assert!(mo.back());
    assert_eq!(mo.stage(), Some(Stage::Loss));
    assert_eq!(mo.marks().samples.len(), SLOW_BATCH);
    assert!(matches!(mo.forward(), Advance::Stage));
    assert_eq!(mo.stage(), Some(Stage::Step));

    // Past the last stage: another step, and the mode waits for it.
    assert!(matches!(mo.forward(), Advance::AnotherStep));
    assert!(mo.waiting());
    assert!(mo.leave().is_none());
}

#[test]
fn leaving_before_the_gradient_step_still_applies_it() {
    let mut t = trainer::<CpuTrain>(Dataset::Mnist);
    let (_, record) = block_on(t.slow_step()).unwrap();
    let mut mo = SlowMo::new(true);
    mo.arrived(record, pending(9));
    mo.forward();
    let (chunk, _) = mo.leave().expect("the step's report");
    assert_eq!(chunk.step, 9);
}

#[test]
fn play_drops_ticks_of_an_earlier_play() {
    let mut mo = SlowMo::new(true);
    let first = mo.toggle_play().expect("play starts");
    assert!(mo.is_current_tick(first));
    mo.pause();
    assert!(!mo.is_current_tick(first));
    let second = mo.toggle_play().expect("play starts again");
    assert!(!mo.is_current_tick(first));
    assert!(mo.is_current_tick(second));
    let third = mo.next_tick().expect("playing");
    assert!(!mo.is_current_tick(second));
    assert!(mo.is_current_tick(third));
}
