//! The continuous Bernoulli decoder: its normaliser C against high-precision values, its density
//! integrating to 1 on [0, 1] (where the plain Bernoulli on grey levels does not), and its mean.

// The reference values keep the 20 digits the script printed (parsing rounds them to f64),
// ln 2 among them.
#![allow(clippy::excessive_precision, clippy::approx_constant)]

use burn::tensor::{Tensor, TensorData};
use vae_playground::vae::backend::{Cpu, CpuTrain};
use vae_playground::vae::elbo::{
    cb_log_norm, cb_log_norm_of_logit, cb_log_norm_tensor, cb_mean_of_logit, Likelihood,
};

/// (p, ln C(p)) from `scripts/cb-reference.py` (mpmath, 60 digits, at the exact f64 inputs).
const LOG_C_OF_P: [(f64, f64); 15] = [
    (1e-07, 2.7799427880990818939),
    (0.0001, 2.2205159684066141259),
    (0.01, 1.5451975455128973205),
    (0.1, 1.0103385594908540672),
    (0.25, 0.78719500817664432559),
    (0.4, 0.70671745671622038593),
    (0.4999999, 0.69314718055995864275),
    (0.5, 0.69314718055994530942),
    (0.5000001, 0.69314718055995864275),
    (0.6, 0.70671745671622038593),
    (0.75, 0.78719500817664432559),
    (0.9, 1.0103385594908541381),
    (0.99, 1.5451975455128971475),
    (0.9999, 2.2205159684066260681),
    (0.9999999, 2.7799427881317379951),
];

/// (l, ln C(l), mean(l)) from the same script: logits either side of the series' switch (0.1).
const OF_LOGIT: [(f64, f64, f64); 20] = [
    (1e-08, 0.69314718055994531775, 0.50000000083333333333),
    (-1e-08, 0.69314718055994531775, 0.49999999916666666667),
    (0.001, 0.69314726389327378164, 0.50008333333194444448),
    (0.05, 0.69335548351667240381, 0.50416649306588890466),
    (-0.05, 0.69335548351667240381, 0.49583350693411109534),
    (0.0999999, 0.69398002645889257981, 0.50833193644588130058),
    (0.1, 0.69398002812361601982, 0.50833194477504962451),
    (0.1000001, 0.69398002978834112045, 0.50833195310421793896),
    (0.3, 0.70060805295743780518, 0.52496258017674926805),
    (0.5, 0.71368193318734994335, 0.54149408253679828413),
    (-0.5, 0.71368193318734994335, 0.45850591746320171587),
    (1.0, 0.77193683290530472507, 0.58197670686932642439),
    (3.0, 1.1982688211845533367, 0.71906236315792261864),
    (-3.0, 1.1982688211845533367, 0.28093763684207738136),
    (10.0, 2.3026758928536330379, 0.90004540199100968777),
    (-10.0, 2.3026758928536330379, 0.099954598008990312232),
    (40.0, 3.6888794541139363113, 0.97500000000000000425),
    (100.0, 4.605170185988091368, 0.99),
    (-100.0, 4.605170185988091368, 0.01),
    (700.0, 6.5510803350434046731, 0.99857142857142857143),
];

fn rel(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}

#[test]
fn log_c_matches_high_precision_values_over_p() {
    for (p, want) in LOG_C_OF_P {
        let got = cb_log_norm(p);
        assert!(rel(got, want) < 4e-15, "ln C({p}) = {got}, want {want}");
    }
}

#[test]
fn log_c_and_mean_match_high_precision_values_over_logits() {
    for (l, log_c, mean) in OF_LOGIT {
        let got = cb_log_norm_of_logit(l);
        assert!(
            rel(got, log_c) < 4e-15,
            "ln C at logit {l} = {got}, want {log_c}"
        );
        let got = cb_mean_of_logit(l);
        assert!(
            rel(got, mean) < 4e-15,
            "mean at logit {l} = {got}, want {mean}"
        );
        assert_eq!(Likelihood::ContinuousBernoulli.mean_of_logit(l), got);
    }
    assert_eq!(cb_log_norm_of_logit(0.0), std::f64::consts::LN_2);
    assert_eq!(cb_mean_of_logit(0.0), 0.5);
}

fn f32_log_c(logits: &[f32]) -> Vec<f32> {
    let t = Tensor::<Cpu, 2>::from_data(
        TensorData::new(logits.to_vec(), [1, logits.len()]),
        &Default::default(),
    );
    cb_log_norm_tensor(t).into_data().to_vec::<f32>().unwrap()
}

#[test]
fn the_f32_training_log_c_follows_the_f64_one() {
    let logits: Vec<f32> = (-2000..=2000).map(|i| i as f32 * 0.025).collect();
    let got = f32_log_c(&logits);
    for (&l, &g) in logits.iter().zip(&got) {
        let want = cb_log_norm_of_logit(l as f64);
        assert!(rel(g as f64, want) < 5e-7, "f32 ln C at {l}: {g} vs {want}");
    }
    // Huge logits: ln|l| and no NaN.
    let got = f32_log_c(&[1e4, -1e4, 0.0]);
    assert!(rel(got[0] as f64, 1e4f64.ln()) < 1e-6 && got[0] == got[1]);
    assert_eq!(got[2], std::f32::consts::LN_2);
}

#[test]
fn the_f32_log_c_has_finite_gradients_at_the_branch_points() {
    let logits = [0.0f32, 0.5, -0.5, 0.49999, 1e-30, 100.0, -100.0, 39.0, 41.0];
    let t = Tensor::<CpuTrain, 2>::from_data(
        TensorData::new(logits.to_vec(), [1, logits.len()]),
        &Default::default(),
    )
    .require_grad();
    let grads = cb_log_norm_tensor(t.clone()).sum().backward();
    let g = t.grad(&grads).unwrap().into_data().to_vec::<f32>().unwrap();
    for (&l, &gl) in logits.iter().zip(&g) {
        assert!(gl.is_finite(), "d ln C/dl at {l} is {gl}");
        // d ln C / dl = 1/l - 1/sinh l, within f32 rounding (l/6 near 0).
        let l = l as f64;
        let want = if l.abs() < 1e-6 {
            l / 6.0
        } else {
            1.0 / l - 1.0 / l.sinh()
        };
        assert!(
            (gl as f64 - want).abs() < 1e-5,
            "d ln C/dl at {l}: {gl} vs {want}"
        );
    }
}

/// ∫_0^1 f(x) dx by composite Simpson's rule on `n` (even) intervals.
fn simpson(f: impl Fn(f64) -> f64, n: usize) -> f64 {
    let h = 1.0 / n as f64;
    let inner: f64 = (1..n)
        .map(|i| f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
        .sum();
    (f(0.0) + f(1.0) + inner) * h / 3.0
}

const LOGITS: [f64; 11] = [
    -30.0, -8.0, -2.0, -0.5, -0.05, 0.0, 1e-9, 0.3, 1.5, 6.0, 25.0,
];

#[test]
fn each_pixel_s_density_integrates_to_one_and_has_its_stated_mean() {
    let cb = Likelihood::ContinuousBernoulli;
    for l in LOGITS {
        let density = |x: f64| cb.pixel_log_prob(x, l).exp();
        // Steep densities (|l| = 30) need a fine grid for Simpson's rule.
        let mass = simpson(density, 20_000);
        assert!((mass - 1.0).abs() < 1e-9, "logit {l}: mass {mass}");
        let mean = simpson(|x| x * density(x), 20_000);
        assert!(
            (mean - cb.mean_of_logit(l)).abs() < 1e-9,
            "logit {l}: mean {mean} vs {}",
            cb.mean_of_logit(l)
        );
        // An exponential family in l: the mean's slope is the variance.
        let var = simpson(|x| (x - mean).powi(2) * density(x), 20_000);
        let h = 1e-5;
        let slope = (cb.mean_of_logit(l + h) - cb.mean_of_logit(l - h)) / (2.0 * h);
        assert!(
            (var - slope).abs() < 1e-8,
            "logit {l}: variance {var} vs slope {slope}"
        );
    }
}

#[test]
fn the_bernoulli_on_grey_levels_does_not_integrate_to_one() {
    // The reason the page calls its ln p(x) a score: the mass is 1/C(l) < 1 away from l = 0...
    for l in LOGITS {
        let mass = simpson(|x| Likelihood::Bernoulli.pixel_log_prob(x, l).exp(), 20_000);
        let want = (-cb_log_norm_of_logit(l)).exp();
        assert!(
            (mass - want).abs() < 1e-9,
            "logit {l}: mass {mass} vs 1/C {want}"
        );
        assert!(mass <= 0.5 + 1e-12, "logit {l}: mass {mass}");
    }
}

#[test]
fn the_training_nll_is_a_normalised_density_per_pixel() {
    // The f32 loss the trainer minimises, for a one-pixel image at many x: exp(-nll) integrates
    // to 1 over [0, 1].
    let n = 2000;
    let xs: Vec<f32> = (0..=n).map(|i| i as f32 / n as f32).collect();
    for l in LOGITS {
        let logits = Tensor::<Cpu, 2>::from_data(
            TensorData::new(vec![l as f32; xs.len()], [xs.len(), 1]),
            &Default::default(),
        );
        let x = Tensor::<Cpu, 2>::from_data(
            TensorData::new(xs.clone(), [xs.len(), 1]),
            &Default::default(),
        );
        let nll = Likelihood::ContinuousBernoulli
            .nll(logits, x)
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        let density: Vec<f64> = nll.iter().map(|&v| (-(v as f64)).exp()).collect();
        let mass = simpson(|x| density[(x * n as f64).round() as usize], n);
        assert!((mass - 1.0).abs() < 2e-4, "logit {l}: mass {mass}");
    }
}

#[test]
fn the_f64_pixel_terms_agree_with_the_f32_training_losses() {
    let xs = [0.0f32, 0.1, 0.5, 0.93, 1.0, 0.0, 0.7];
    let ls = [-7.0f32, -0.3, 0.0, 0.45, 3.0, 60.0, -0.05];
    for lik in [
        Likelihood::Bernoulli,
        Likelihood::ContinuousBernoulli,
        Likelihood::Gaussian { sigma: 0.2 },
    ] {
        let t = |v: &[f32]| {
            Tensor::<Cpu, 2>::from_data(
                TensorData::new(v.to_vec(), [1, v.len()]),
                &Default::default(),
            )
        };
        let nll = lik.nll(t(&ls), t(&xs)).into_data().to_vec::<f32>().unwrap()[0] as f64;
        let sum: f64 = xs
            .iter()
            .zip(&ls)
            .map(|(&x, &l)| lik.pixel_log_prob(x as f64, l as f64))
            .sum();
        assert!(
            (nll + sum).abs() < 1e-4 * sum.abs().max(1.0),
            "{lik:?}: {nll} vs {}",
            -sum
        );
    }
}
