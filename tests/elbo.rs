//! The loss terms against vae-math.md's reference values, Monte Carlo and hand computation.

use burn::tensor::{Tensor, TensorData};
use vae_playground::analysis::evidence::{log_prior, Gaussian};
use vae_playground::data::PIXELS;
use vae_playground::page::maths::{GaussianRecon, KlTerm};
use vae_playground::vae::backend::{Cpu, CpuTrain};
use vae_playground::vae::elbo::{
    bernoulli_nll, gaussian_nll, kl_standard_normal, Likelihood, LN_2PI, SOFTPLUS_CAP,
};
use vae_playground::vae::model::Posterior;
use vae_playground::vae::rng::SeededRng;

fn t2(rows: &[&[f32]]) -> Tensor<Cpu, 2> {
    let cols = rows[0].len();
    let flat: Vec<f32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Tensor::from_data(
        TensorData::new(flat, [rows.len(), cols]),
        &Default::default(),
    )
}

fn values(t: Tensor<Cpu, 1>) -> Vec<f64> {
    t.into_data()
        .to_vec::<f32>()
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect()
}

fn kl(mu: &[f32], logvar: &[f32]) -> f64 {
    values(kl_standard_normal(&Posterior {
        mu: t2(&[mu]),
        logvar: t2(&[logvar]),
    }))[0]
}

#[test]
fn kl_matches_reference_values() {
    // KL(N(0,1) || N(0,1)) = 0
    assert!(kl(&[0.0, 0.0], &[0.0, 0.0]).abs() < 1e-7);
    // KL(N(1,1) || N(0,1)) = 0.5 per dimension
    assert!((kl(&[1.0, 1.0], &[0.0, 0.0]) - 1.0).abs() < 1e-6);
    assert!((kl(&[1.0, 0.0], &[0.0, 0.0]) - 0.5).abs() < 1e-6);
    // KL(N(0, e^2) || N(0,1)) = -1 + (e^2 - 1)/2: sigma = e, so logvar = 2
    let e2 = std::f64::consts::E.powi(2);
    let expected = -1.0 + (e2 - 1.0) / 2.0;
    assert!((kl(&[0.0, 0.0], &[2.0, 0.0]) - expected).abs() < 1e-5);
}

#[test]
fn kl_matches_monte_carlo_estimate() {
    let q = Gaussian {
        mu: vec![0.7, -1.3],
        logvar: vec![-0.8, 0.4],
    };
    let closed = kl(&[0.7, -1.3], &[-0.8, 0.4]);
    assert!((closed - q.kl_to_prior()).abs() < 1e-5);
    let mut rng = SeededRng::new(11);
    let n = 400_000;
    let mut sum = 0.0;
    for _ in 0..n {
        let z: Vec<f64> = (0..2)
            .map(|j| q.mu[j] + q.sigma(j) * rng.normal())
            .collect();
        sum += q.log_density(&z) - log_prior(&z);
    }
    let mc = sum / n as f64;
    assert!(
        (mc - closed).abs() < 0.01,
        "MC {mc} vs closed form {closed}"
    );
}

#[test]
fn bernoulli_reference_values() {
    // f = x in {0, 1}: -ln p = 0 (logits of +-30 give f within 1e-13 of x).
    let x = t2(&[&[0.0, 1.0, 1.0, 0.0]]);
    let logits = t2(&[&[-30.0, 30.0, 30.0, -30.0]]);
    assert!(values(bernoulli_nll(logits, x))[0].abs() < 1e-6);
    // f = 0.5 everywhere: D ln 2, 543.4 nats for D = 784.
    let x = Tensor::<Cpu, 2>::ones([1, 784], &Default::default()).mul_scalar(0.3);
    let logits = Tensor::<Cpu, 2>::zeros([1, 784], &Default::default());
    let nll = values(bernoulli_nll(logits, x))[0];
    assert!((nll - 784.0 * 2f64.ln()).abs() < 1e-3);
    assert!((nll - 543.4).abs() < 0.05);
}

#[test]
fn bernoulli_matches_hand_computation_and_is_stable() {
    let x = [0.0f64, 0.25, 1.0];
    let l = [2.0f64, -1.0, 0.5];
    let sig = |v: f64| 1.0 / (1.0 + (-v).exp());
    let hand: f64 = x
        .iter()
        .zip(&l)
        .map(|(&xi, &li)| -(xi * sig(li).ln() + (1.0 - xi) * (1.0 - sig(li)).ln()))
        .sum();
    let got = values(bernoulli_nll(
        t2(&[&[2.0, -1.0, 0.5]]),
        t2(&[&[0.0, 0.25, 1.0]]),
    ))[0];
    assert!((got - hand).abs() < 1e-5, "{got} vs {hand}");
    // Saturated logits neither overflow nor lose the loss: l = -200, x = 1 costs 200 nats.
    let got = values(bernoulli_nll(t2(&[&[-200.0, 200.0]]), t2(&[&[1.0, 1.0]])))[0];
    assert!((got - 200.0).abs() < 1e-3, "{got}");
}

#[test]
fn gaussian_matches_hand_computation() {
    let sigma = 0.3f64;
    let x = [0.0f64, 0.5, 1.0];
    let f = [0.1f64, 0.4, 0.7];
    let sse: f64 = x.iter().zip(&f).map(|(a, b)| (a - b).powi(2)).sum();
    let d = 3.0;
    let hand = d / 2.0 * LN_2PI + d * sigma.ln() + sse / (2.0 * sigma * sigma);
    let got = values(gaussian_nll(
        t2(&[&[0.1, 0.4, 0.7]]),
        t2(&[&[0.0, 0.5, 1.0]]),
        sigma,
    ))[0];
    assert!((got - hand).abs() < 1e-5, "{got} vs {hand}");
    // Through the Likelihood enum the mean is sigmoid(logits): logit 0 means 0.5.
    let via_enum = values(
        Likelihood::Gaussian { sigma }.nll(t2(&[&[0.0, 0.0, 0.0]]), t2(&[&[0.0, 0.5, 1.0]])),
    )[0];
    let hand = d / 2.0 * LN_2PI + d * sigma.ln() + 0.5 / (2.0 * sigma * sigma);
    assert!((via_enum - hand).abs() < 1e-5);
}

/// f32 subnormals in `v`: x86 (and so wasm) computes them tens of times slower than normal floats.
fn subnormals(v: &[f32]) -> usize {
    v.iter()
        .filter(|x| **x != 0.0 && x.abs() < f32::MIN_POSITIVE)
        .count()
}

fn f32s<const D: usize>(t: Tensor<Cpu, D>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().unwrap()
}

/// `pairs` saturated logits of each sign, |l| evenly from 30 to 100, each with the target it is
/// sure of (x = 1 for l > 0, x = 0 for l < 0): then the loss term is the softplus tail
/// ln(1 + e^-|l|) alone, and e^-|l| is an f32 subnormal for |l| in about (87.3, 103.3).
fn saturated(pairs: usize) -> (Vec<f32>, Vec<f32>) {
    let magnitudes = (0..pairs).map(|i| 30.0 + 70.0 * i as f32 / (pairs - 1) as f32);
    let logits: Vec<f32> = magnitudes.flat_map(|m| [m, -m]).collect();
    let targets = logits
        .iter()
        .map(|&l| if l > 0.0 { 1.0 } else { 0.0 })
        .collect();
    (logits, targets)
}

/// The softplus cap keeps the Bernoulli loss free of subnormals where the decoder is sure and
/// right, which training makes common: in the per-pixel terms, and in the backward pass of a
/// training step. There the gradient e^-|l| is divided by the batch size (the loss is the
/// batch mean) and multiplied by the activations into the output layer; a hidden unit that
/// fired weakly for one image of the batch (a ReLU is zero for the rest) gives d/dW entries of
/// 0.03 e^-|l| / 128, subnormal from |l| = 79, so a cap of 80 would fail here too.
#[test]
fn saturated_logits_give_no_subnormals_forward_or_backward() {
    let device = Default::default();

    // Forward, one pixel per image, so each per-image value is one pixel's term.
    let (logits, targets) = saturated(561);
    let column =
        |v: &[f32]| Tensor::<Cpu, 2>::from_data(TensorData::new(v.to_vec(), [v.len(), 1]), &device);
    let terms = f32s(bernoulli_nll(column(&logits), column(&targets)));
    assert!(terms.iter().all(|t| t.is_finite() && *t >= 0.0));
    let mut counts = vec![("loss terms", subnormals(&terms))];

    // Backward through an output layer, logits = h W + b, for a batch of 128 images: every image
    // has the saturated logits (one per pixel) in b, hidden unit i fires (0.01-0.05) for image i
    // only, and W is small, so h W moves no logit by more than 0.05 * 0.05.
    let (batch, hidden) = (128, 8);
    let (logits, targets) = saturated(PIXELS / 2);
    let mut rng = SeededRng::new(3);
    let mut h = vec![0.0f32; batch * hidden];
    for i in 0..hidden {
        h[i * hidden + i] = (0.01 + 0.04 * rng.uniform()) as f32;
    }
    let w: Vec<f32> = (0..hidden * PIXELS)
        .map(|_| (0.1 * rng.uniform() - 0.05) as f32)
        .collect();
    let h = Tensor::<CpuTrain, 2>::from_data(TensorData::new(h, [batch, hidden]), &device)
        .require_grad();
    let w = Tensor::<CpuTrain, 2>::from_data(TensorData::new(w, [hidden, PIXELS]), &device)
        .require_grad();
    let b =
        Tensor::<CpuTrain, 1>::from_data(TensorData::new(logits, [PIXELS]), &device).require_grad();
    let x = Tensor::<CpuTrain, 1>::from_data(TensorData::new(targets, [PIXELS]), &device)
        .unsqueeze_dim::<2>(0)
        .repeat_dim(0, batch);
    let out = h.clone().matmul(w.clone()) + b.clone().unsqueeze_dim(0);
    let per_image = Likelihood::Bernoulli.nll(out, x);
    counts.push((
        "per-image losses",
        subnormals(&f32s(per_image.clone().inner())),
    ));
    let grads = per_image.mean().backward();
    for (name, g) in [
        ("d/dh", f32s(h.grad(&grads).expect("h has a gradient"))),
        ("d/dW", f32s(w.grad(&grads).expect("W has a gradient"))),
        (
            "d/db",
            f32s(b.grad(&grads).expect("b has a gradient").unsqueeze::<2>()),
        ),
    ] {
        assert!(g.iter().all(|v| v.is_finite()), "{name}");
        counts.push((name, subnormals(&g)));
    }
    assert!(
        counts.iter().all(|(_, n)| *n == 0),
        "subnormals with the cap at {SOFTPLUS_CAP}: {counts:?}"
    );
}

/// ln N(x; mean, sigma^2) of one value, in f64: the 1-D normal density, written out on its own.
fn normal_log_density(x: f64, mean: f64, sigma: f64) -> f64 {
    let var = sigma * sigma;
    -0.5 * (2.0 * std::f64::consts::PI * var).ln() - (x - mean).powi(2) / (2.0 * var)
}

/// The Gaussian decoder's -ln p(x|z) is minus the sum of PIXELS independent 1-D normal
/// log-densities, for images and means spread over [0, 1] and sigma from 0.01 to 10.
///
/// Tolerance: the per-image value is an f32 sum of PIXELS terms, each up to 1/(2 sigma^2) (5,000
/// at sigma = 0.01), so f32 rounding (2^-24 relative per addition) can move it by up to about
/// PIXELS x 6e-8 of its magnitude, 5e-5 relative; 1e-4 relative (+ 1e-3 nat) holds that and
/// would miss no real error: a missing 1/2 or a ln sigma in place of ln sigma^2 is 100s of nats.
/// Measured: 2e-7 relative at most.
#[test]
fn gaussian_is_a_sum_of_one_dimensional_normal_densities() {
    let mut rng = SeededRng::new(21);
    let images = 4;
    let x: Vec<f32> = (0..images * PIXELS).map(|_| rng.uniform() as f32).collect();
    let mean: Vec<f32> = (0..images * PIXELS).map(|_| rng.uniform() as f32).collect();
    let t = |v: &[f32]| {
        Tensor::<Cpu, 2>::from_data(
            TensorData::new(v.to_vec(), [images, PIXELS]),
            &Default::default(),
        )
    };
    let mut worst = 0.0f64;
    for sigma in [0.01, 0.1, 0.3, 1.0, 10.0] {
        let got = values(gaussian_nll(t(&mean), t(&x), sigma));
        for (i, got) in got.iter().enumerate() {
            let pixels = i * PIXELS..(i + 1) * PIXELS;
            let log_density: f64 = x[pixels.clone()]
                .iter()
                .zip(&mean[pixels])
                .map(|(&x, &m)| normal_log_density(x as f64, m as f64, sigma))
                .sum();
            let err = (got + log_density).abs();
            worst = worst.max(err / log_density.abs());
            assert!(
                err < 1e-3 + 1e-4 * log_density.abs(),
                "sigma {sigma}, image {i}: -ln p(x|z) {got} vs sum of normal densities {}",
                -log_density
            );
        }
    }
    eprintln!("largest relative difference: {worst:e}");
}

#[test]
fn the_maths_panel_s_terms_follow_the_formulas_the_loss_uses() {
    // A fixed-sigma Gaussian decoder's -ln p(x|z) is D/2 ln(2 pi sigma^2) + ||x - f||^2 / (2 sigma^2):
    // the panel's split, read back from the likelihood's own sum, gives the squared error.
    let mut rng = SeededRng::new(11);
    let x: Vec<f64> = (0..PIXELS).map(|_| rng.uniform()).collect();
    let logits: Vec<f64> = (0..PIXELS).map(|_| 3.0 * rng.normal()).collect();
    for sigma in [0.05, 0.1, 1.0] {
        let likelihood = Likelihood::Gaussian { sigma };
        let recon: f64 = -x
            .iter()
            .zip(&logits)
            .map(|(&xi, &l)| likelihood.pixel_log_prob(xi, l))
            .sum::<f64>();
        let sse: f64 = x
            .iter()
            .zip(&logits)
            .map(|(&xi, &l)| (xi - likelihood.mean_of_logit(l)).powi(2))
            .sum();
        let split = GaussianRecon::from_recon(recon, sigma);
        assert!(
            (split.squared_error - sse).abs() <= 1e-9 * sse.max(1.0),
            "sigma {sigma}: {} vs {sse}",
            split.squared_error
        );
        assert!((split.constant + split.scaled_error - recon).abs() <= 1e-9 * recon.abs());
        assert_eq!(split.equivalent_beta(), 2.0 * sigma * sigma);
    }
    // The KL's closed form per dimension adds up to the KL the evidence reports.
    let q = Gaussian {
        mu: vec![1.3, -0.4],
        logvar: vec![-2.1, 0.3],
    };
    let dims: f64 = (0..2).map(|j| KlTerm::new(q.mu[j], q.sigma(j)).kl).sum();
    assert!((dims - q.kl_to_prior()).abs() < 1e-12, "{dims}");
    assert!(
        (KlTerm::new(1.0, 1.0).kl - 0.5).abs() < 1e-15,
        "vae-math.md: KL(N(1,1) || N(0,1)) = 0.5"
    );
}
