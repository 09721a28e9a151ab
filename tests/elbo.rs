//! The loss terms against vae-math.md's reference values, Monte Carlo and hand computation.

use burn::tensor::{Tensor, TensorData};
use vae_playground::analysis::evidence::{log_prior, Gaussian};
use vae_playground::vae::backend::Cpu;
use vae_playground::vae::elbo::{
    bernoulli_nll, gaussian_nll, kl_standard_normal, Likelihood, LN_2PI,
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
