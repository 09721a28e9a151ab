//! Data-parallel training (`analysis::data_parallel`): a batch cut into 1, 2 or 3 shares trains
//! the same model up to float rounding, a fixed cut is bit-reproducible, and a helper that fails
//! loses nothing.

mod common;

use std::sync::Arc;

use futures::future::LocalBoxFuture;
use pollster::block_on;
use vae_playground::analysis::data_parallel::{
    flat_weights, job_gradient, model_from_flat, parameter_count, share_rows, GradientHelpers,
    InlineHelpers, ShareError, ShareGradient, ShareJob, ShareSpec,
};
use vae_playground::analysis::train::{TrainSettings, Trainer};
use vae_playground::data::{Dataset, Split, PIXELS};
use vae_playground::vae::backend::{Cpu, CpuTrain};
use vae_playground::vae::elbo::Likelihood;
use vae_playground::vae::model::VaeConfig;

const STEPS: usize = 50;

fn trainer(dataset: Dataset) -> Trainer<CpuTrain> {
    let data = Arc::new(common::load(dataset, Split::Train10k).take(2000));
    let settings = TrainSettings {
        log_every: 1,
        ..Default::default()
    };
    Trainer::new(
        VaeConfig::new(),
        data,
        settings,
        common::clock,
        Default::default(),
    )
    .unwrap()
}

/// The weights and per-step losses after [`STEPS`] steps with `helpers`.
fn run(dataset: Dataset, helpers: &mut dyn GradientHelpers) -> (Vec<f32>, Vec<f32>) {
    let mut t = trainer(dataset);
    block_on(t.train_steps_with(STEPS, helpers)).unwrap();
    let weights = block_on(flat_weights(t.model())).unwrap();
    let losses = t.history().iter().map(|r| r.neg_elbo as f32).collect();
    (weights, losses)
}

/// |got - want| / |want| in the Euclidean norm.
fn norm_relative(got: &[f32], want: &[f32]) -> f64 {
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
    let diff = norm(&mut got.iter().zip(want).map(|(g, w)| (g - w) as f64));
    diff / norm(&mut want.iter().map(|&w| w as f64))
}

#[test]
fn one_two_and_three_shares_train_the_same_model_up_to_rounding() {
    for dataset in [Dataset::Mnist, Dataset::MnistBin] {
        let (w1, l1) = run(dataset, &mut InlineHelpers::new(0));
        let (w2, l2) = run(dataset, &mut InlineHelpers::new(1));
        let (w3, l3) = run(dataset, &mut InlineHelpers::new(2));
        assert_eq!(l1.len(), STEPS);
        // Relative in the norm of all the weights: Adam divides each gradient by its own size,
        // so a weight whose gradient is mostly rounding (a border pixel's) moves a little
        // differently; the model as a whole does not.
        for (w, l, shares) in [(&w2, &l2, 2), (&w3, &l3, 3)] {
            let (dw, dl) = (norm_relative(w, &w1), common::relative_error(l, &l1));
            println!("{dataset:?}, {shares} shares against 1: weights {dw:e}, losses {dl:e}");
            assert!(dw < 1e-5, "{shares} shares: weights differ by {dw:e}");
            assert!(dl < 1e-5, "{shares} shares: losses differ by {dl:e}");
        }
        // The runs did train: the weights moved, and sharing is not a no-op on rounding alone.
        let mut fresh = trainer(dataset);
        block_on(fresh.train_steps(0)).unwrap();
        let w0 = block_on(flat_weights(fresh.model())).unwrap();
        assert!(common::relative_error(&w1, &w0) > 1e-3);
        assert!(l1[STEPS - 1] < l1[0] - 20.0, "{l1:?}");
    }
}

#[test]
fn a_fixed_number_of_shares_is_bit_reproducible() {
    let a = run(Dataset::Mnist, &mut InlineHelpers::new(2));
    let b = run(Dataset::Mnist, &mut InlineHelpers::new(2));
    assert_eq!(a, b);
}

/// Helpers of which one fails every step, as a gradient worker that stopped would.
struct OneFails {
    inner: InlineHelpers,
    failing: usize,
}

impl GradientHelpers for OneFails {
    fn count(&self) -> usize {
        self.inner.count()
    }
    fn post(&mut self, weights: &[f32], jobs: &[ShareJob]) {
        self.inner.post(weights, jobs)
    }
    fn collect(&mut self) -> LocalBoxFuture<'_, Vec<Result<ShareGradient, ShareError>>> {
        let failing = self.failing;
        Box::pin(async move {
            let mut answers = self.inner.collect().await;
            answers[failing] = Err(ShareError::Helper {
                index: failing,
                message: "stopped".into(),
            });
            answers
        })
    }
}

#[test]
fn a_failed_helper_share_is_computed_by_the_trainer_and_nothing_changes() {
    let whole = run(Dataset::Mnist, &mut InlineHelpers::new(2));
    let mut failing = OneFails {
        inner: InlineHelpers::new(2),
        failing: 1,
    };
    assert_eq!(run(Dataset::Mnist, &mut failing), whole);
}

#[test]
fn shares_cover_the_batch_in_order() {
    assert_eq!(share_rows(128, 1), vec![0..128]);
    assert_eq!(share_rows(128, 3), vec![0..43, 43..86, 86..128]);
    assert_eq!(share_rows(2, 3), vec![0..1, 1..2]);
    for (batch, shares) in [(1, 8), (104, 3), (500, 7)] {
        let rows = share_rows(batch, shares);
        assert_eq!(rows.first().map(|r| r.start), Some(0));
        assert_eq!(rows.last().map(|r| r.end), Some(batch));
        assert!(rows.windows(2).all(|w| w[0].end == w[1].start));
        assert!(rows.iter().all(|r| !r.is_empty()));
    }
}

#[test]
fn flat_weights_round_trip_and_bad_sizes_are_refused() {
    let config = VaeConfig::new().with_hidden(16);
    let model = config.init::<Cpu>(&Default::default());
    let flat = block_on(flat_weights(&model)).unwrap();
    assert_eq!(flat.len(), parameter_count(&config));
    let back = model_from_flat::<Cpu>(&config, &flat, &Default::default()).unwrap();
    assert_eq!(block_on(flat_weights(&back)).unwrap(), flat);
    assert!(matches!(
        model_from_flat::<Cpu>(&config, &flat[1..], &Default::default()),
        Err(ShareError::Size { .. })
    ));
    let job = ShareJob {
        spec: ShareSpec {
            config,
            rows: 2,
            batch: 4,
            beta: 1.0,
            likelihood: Likelihood::Bernoulli,
        },
        x: vec![0.5; PIXELS],
        eps: vec![0.0; 4],
    };
    assert!(matches!(
        block_on(job_gradient::<CpuTrain>(&flat, &job)),
        Err(ShareError::Size {
            what: "the images",
            ..
        })
    ));
}

/// `vae train --small` for `steps` steps with `workers` threads, as JSON, and its weights.
fn cli_train(steps: usize, workers: usize, dir: &std::path::Path) -> (serde_json::Value, Vec<u8>) {
    let weights = dir.join(format!("w{workers}.vaew"));
    // The CLI's small set: 10k images, batches of 128.
    let epochs = steps as f64 / 10_000usize.div_ceil(128) as f64;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vae"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["train", "--small", "--quiet", "--seed", "0", "--epochs"])
        .arg(epochs.to_string())
        .args(["--workers", &workers.to_string(), "--out"])
        .arg(&weights)
        .output()
        .expect("the CLI runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = serde_json::from_slice(&out.stdout).expect("the CLI prints JSON");
    (summary, std::fs::read(weights).expect("weights written"))
}

#[test]
fn the_cli_s_threads_share_each_batch_and_train_the_one_thread_model() {
    let dir = std::env::temp_dir().join(format!("vae-cli-workers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let steps = 12;
    let (one, one_bytes) = cli_train(steps, 1, &dir);
    let (three, three_bytes) = cli_train(steps, 3, &dir);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(one["steps"], steps);
    assert_eq!(three["workers"], 3);
    // Two helper threads, one share each per step.
    assert_eq!(three["helper_shares"], 2 * steps as u64);
    let device = Default::default();
    let flat = |bytes: &[u8]| {
        let (model, _) = vae_playground::vae::weights::decode::<Cpu>(bytes, &device).unwrap();
        block_on(flat_weights(&model)).unwrap()
    };
    let dw = norm_relative(&flat(&three_bytes), &flat(&one_bytes));
    assert!(dw < 1e-5, "one thread and three: weights differ by {dw:e}");
}
