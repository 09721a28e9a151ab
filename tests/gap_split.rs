//! The gap split (approximation + amortisation) on the shipped MNIST model and real digits:
//! Gauss–Hermite nodes, Newton's optimum q*, and the CLI printing what the page shows.

mod common;

use pollster::block_on;
use vae_playground::analysis::evidence::{
    evidence_by_quadrature, evidence_with_gap_split, Evidence, Grid,
};
use vae_playground::analysis::gap_split::{
    gauss_hermite, ElboObjective, GapSplit, Gaussian2, HostDecoder, GAP_NODES, GAP_TOLERANCE,
};
use vae_playground::data::{Dataset, Split};
use vae_playground::page::inspector::{reading_text, Inspector};
use vae_playground::page::map_view::MapView;
use vae_playground::services::compute::{ComputeRequest, Computer};
use vae_playground::vae::backend::Cpu;
use vae_playground::vae::elbo::{Likelihood, Reading};
use vae_playground::vae::model::Vae;
use vae_playground::vae::weights;

/// E[e^k] for e ~ N(0, 1): 0 for odd k, (k - 1)!! = 1 * 3 * ... * (k - 1) for even k.
fn normal_moment(k: usize) -> f64 {
    if k % 2 == 1 {
        return 0.0;
    }
    (1..k).step_by(2).map(|j| j as f64).product()
}

#[test]
fn gauss_hermite_integrates_polynomials_of_degree_below_2n_exactly() {
    for n in [1, 2, 5, 16, 24] {
        let rule = gauss_hermite(n);
        assert_eq!(rule.len(), n);
        let moment = |k: usize| -> f64 { rule.iter().map(|&(e, w)| w * e.powi(k as i32)).sum() };
        for k in 0..2 * n {
            let want = normal_moment(k);
            // Terms of either sign as large as E[|e|^k] ~ (k + 1)!! cancel in odd moments.
            let scale = normal_moment(k + k % 2).max(1.0);
            assert!(
                (moment(k) - want).abs() <= 1e-12 * scale,
                "n {n}: E[e^{k}] = {}, want {want}",
                moment(k)
            );
        }
        // Degree 2n is the first it gets wrong, short by exactly n! (Gauss's error term).
        let want = normal_moment(2 * n);
        let short_by: f64 = (1..=n).map(|j| j as f64).product();
        assert!(
            (want - moment(2 * n) - short_by).abs() <= 1e-10 * want,
            "n {n}: E[e^{}] = {}, want {want} - {short_by}",
            2 * n,
            moment(2 * n)
        );
    }
}

fn shipped(dataset: Dataset) -> (Vae<Cpu>, weights::Header, Vec<u8>) {
    shipped_file(&common::weights_path(dataset))
}

fn shipped_file(path: &std::path::Path) -> (Vae<Cpu>, weights::Header, Vec<u8>) {
    let bytes = std::fs::read(path).expect("shipped weights");
    let (model, header) =
        weights::decode::<Cpu>(&bytes, &Default::default()).expect("shipped weights decode");
    (model, header, bytes)
}

fn evidence(model: &Vae<Cpu>, x: &[f32], likelihood: Likelihood) -> Evidence {
    block_on(evidence_by_quadrature(
        model,
        x,
        likelihood,
        64,
        &Default::default(),
    ))
    .unwrap()
}

/// ln p(x), the ELBO and the gap split of `x`, as the inspector computes them (n = 64).
fn split_of(model: &Vae<Cpu>, x: &[f32], likelihood: Likelihood) -> (Evidence, GapSplit) {
    let (ev, split) = block_on(evidence_with_gap_split(
        model,
        x,
        likelihood,
        64,
        &Default::default(),
    ))
    .unwrap();
    (ev, split.expect("a 2-D model has a gap split"))
}

/// Test images of several classes (0: a 7, 1: a 2, 2: a 1, 3: a 0).
const IMAGES: [usize; 3] = [0, 2, 3];

#[test]
fn q_star_is_a_stationary_point_at_least_as_good_as_the_encoder() {
    let (model, header, _) = shipped(Dataset::Mnist);
    let decoder = block_on(HostDecoder::from_model(&model)).unwrap();
    let test = common::load(Dataset::Mnist, Split::Test);
    for i in IMAGES {
        let x = test.image_f32(i);
        let (ev, s) = split_of(&model, &x, header.likelihood);
        assert!(
            s.diagonal.converged && s.full.converged,
            "image {i}: {s:#?}"
        );
        // Stationary: another Newton step would gain less than the stopping tolerance, and the
        // gradient in (mu, ln L11, ln L22, L21), mu and L21 per standard deviation, is below
        // 1e-2 nat (a step of 1 % in sigma would change the ELBO by under 1e-4 nat).
        for opt in [&s.diagonal, &s.full] {
            assert!(
                (0.0..=GAP_TOLERANCE * opt.elbo.abs()).contains(&opt.predicted_gain),
                "image {i}: {opt:#?}"
            );
            let sigma = opt.q.sigma();
            let scaled: Vec<f64> = opt
                .gradient
                .iter()
                .enumerate()
                .map(|(k, g)| match k {
                    0 | 1 => g * sigma[k],
                    4 => g * sigma[1],
                    _ => *g,
                })
                .collect();
            assert!(
                scaled.iter().all(|g| g.abs() < 1e-2),
                "image {i}: gradient at q* {scaled:?}"
            );
        }
        // On the objective it maximised, q* never falls below where it started.
        let objective = ElboObjective::new(&decoder, &x, header.likelihood, GAP_NODES);
        let encoder = objective.elbo(&Gaussian2::from_diagonal(&ev.posterior));
        assert!(
            s.diagonal.elbo >= encoder && s.full.elbo >= s.diagonal.elbo,
            "image {i}"
        );
        // On the inspector's grid too, where the numbers shown are integrated.
        assert_eq!((s.log_px, s.elbo_encoder), (ev.log_px, ev.elbo));
        assert!(s.elbo_diagonal >= s.elbo_encoder, "image {i}: {s:#?}");
        assert!(s.elbo_full >= s.elbo_diagonal - 1e-3, "image {i}: {s:#?}");
        // The two gaps add up to the whole gap, the inspector's.
        let total = s.total_gap();
        assert!(
            (s.approximation_gap + s.amortisation_gap - total).abs() <= 1e-6 * total.abs(),
            "image {i}: {s:#?}"
        );
        assert!((total - ev.gap).abs() <= 1e-9 * total.abs(), "image {i}");
        // ln p(x) bounds every ELBO, up to the quadratures' error.
        assert!(s.full_approximation_gap > -1e-3, "image {i}: {s:#?}");
    }
}

/// `q` with parameter `k` of [mu1, mu2, ln L11, ln L22, L21] moved by `h`.
fn nudged(q: &Gaussian2, k: usize, h: f64) -> Gaussian2 {
    let mut r = *q;
    match k {
        0 | 1 => r.mu[k] += h,
        2 => r.chol[0] *= h.exp(),
        3 => r.chol[2] *= h.exp(),
        _ => r.chol[1] += h,
    }
    r
}

#[test]
fn newton_s_derivatives_are_those_of_the_quadrature_elbo() {
    let (model, header, _) = shipped(Dataset::Mnist);
    let decoder = block_on(HostDecoder::from_model(&model)).unwrap();
    let x = common::load(Dataset::Mnist, Split::Test).image_f32(1);
    let ev = evidence(&model, &x, header.likelihood);
    let objective = ElboObjective::new(&decoder, &x, header.likelihood, 8);
    // A full-covariance q near the encoder's, so every parameter's derivative is exercised.
    let mut q = Gaussian2::from_diagonal(&ev.posterior);
    q.chol[1] = 0.3 * q.chol[0];
    assert_eq!(objective.elbo_on_nodes_of(&q, &q), objective.elbo(&q));
    let on_q_nodes = |r: &Gaussian2| objective.elbo_on_nodes_of(&q, r);
    let grad = objective.gradient(&q);
    let hess = objective.hessian(&q);
    // Steps in each parameter's own scale: mu and L21 in units of sigma.
    let sigma = q.sigma();
    let step = |k: usize| {
        if k == 2 || k == 3 {
            1e-3
        } else {
            1e-3 * sigma[0].min(sigma[1])
        }
    };
    for k in 0..5 {
        let hk = step(k);
        let fd = (on_q_nodes(&nudged(&q, k, hk)) - on_q_nodes(&nudged(&q, k, -hk))) / (2.0 * hk);
        assert!(
            (grad[k] - fd).abs() < 1e-5 * grad[k].abs().max(1.0),
            "parameter {k}: score form {}, finite difference {fd}",
            grad[k]
        );
        for (j, &want) in hess[k].iter().enumerate() {
            let hj = step(j);
            let at = |sk: f64, sj: f64| on_q_nodes(&nudged(&nudged(&q, k, sk * hk), j, sj * hj));
            let fd =
                (at(1.0, 1.0) - at(1.0, -1.0) - at(-1.0, 1.0) + at(-1.0, -1.0)) / (4.0 * hk * hj);
            assert!(
                (want - fd).abs() < 1e-3 * want.abs().max(1.0),
                "entry ({k}, {j}): score form {want}, finite difference {fd}"
            );
        }
    }
}

/// `vae evidence --gap-split` for test image `index` of `dataset`, as JSON.
fn cli_gap_split(dataset: Dataset, index: usize) -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vae"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["evidence", "--gap-split", "--samples", "1", "--weights"])
        .arg(common::weights_path(dataset))
        .args(["--index", &index.to_string()])
        .output()
        .expect("the CLI runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the CLI prints JSON")
}

#[test]
fn the_page_s_numbers_equal_the_cli_s() {
    let (_, header, bytes) = shipped(Dataset::Mnist);
    let index = 3;
    let x = common::load(Dataset::Mnist, Split::Test).image_f32(index);
    let mut worker = Computer::default();
    worker.set_weights(&bytes).unwrap();
    let request = ComputeRequest::Inspect {
        id: 1,
        x: x.clone(),
        likelihood: header.likelihood,
        view: Grid {
            z1: (-4.0, 4.0),
            z2: (-4.0, 4.0),
            n: 8,
        },
        samples: 0,
        iwae_k: 1,
        seed: 0,
    };
    // As the page gets it: through the worker's JSON.
    let reply = serde_json::to_string(&block_on(worker.handle(request))).unwrap();
    // The page's inspector takes the reply for its input (the first, so id 1).
    let mut inspector = Inspector::default();
    inspector.set_input(std::rc::Rc::new(x), "test image".into());
    let taken = inspector.reply(serde_json::from_str(&reply).unwrap(), MapView::WHOLE, 0.0);
    assert_eq!(taken.problem, None);
    let page = inspector
        .result
        .clone()
        .expect("the inspector kept the reply");
    let page_split = page.gap_split.clone().expect("a 2-D model has a gap split");
    // q*'s ellipses on the map are the diagonal optimum's, and the toggle hides them.
    let q_star = page_split.diagonal.q;
    assert_eq!(
        inspector.q_star_ellipse(),
        Some((q_star.mu, q_star.sigma()))
    );
    inspector.show_q_star = false;
    assert_eq!(inspector.q_star_ellipse(), None);
    let cli = cli_gap_split(Dataset::Mnist, index);
    let cli_split: GapSplit = serde_json::from_value(cli["gap_split"]["split"].clone()).unwrap();
    assert_eq!(page_split, cli_split);
    assert_eq!(
        cli["log_px_quadrature"].as_f64(),
        Some(page.evidence.log_px)
    );
    assert_eq!(cli["elbo"].as_f64(), Some(page.evidence.elbo));
    assert_eq!(cli["reading"], serde_json::to_value(page.reading).unwrap());
    assert_eq!(
        cli["gap_split"]["total_gap"].as_f64(),
        Some(page_split.total_gap())
    );
}

#[test]
fn the_page_says_which_density_ln_p_x_is() {
    let grey = common::load(Dataset::Mnist, Split::Test).image_f32(0);
    let binary = common::load(Dataset::MnistBin, Split::Test).image_f32(0);
    let cases = [
        (Likelihood::Bernoulli, &grey, Reading::Score),
        (Likelihood::Bernoulli, &binary, Reading::LogProbability),
        (
            Likelihood::ContinuousBernoulli,
            &grey,
            Reading::LogDensityOnUnitCube,
        ),
        (
            Likelihood::Gaussian { sigma: 0.1 },
            &grey,
            Reading::LogDensityOnReals,
        ),
    ];
    for (likelihood, x, want) in cases {
        assert_eq!(likelihood.reading(x), want, "{likelihood:?}");
    }
    // The score is called one, with the reason and where to find a likelihood.
    let (label, note) = reading_text(Reading::Score);
    assert!(label.contains("score"), "{label}");
    for needle in [
        "not a log-likelihood",
        "integrate to 1",
        "continuous Bernoulli",
        "binarised",
    ] {
        assert!(note.contains(needle), "{note}");
    }
    for reading in [Reading::LogProbability, Reading::LogDensityOnUnitCube] {
        let (label, note) = reading_text(reading);
        assert!(
            !label.contains("score") && !note.contains("score"),
            "{label} {note}"
        );
    }
}

#[test]
fn ln_p_x_bounds_q_star_where_q_star_is_far_from_the_encoder_s_q() {
    // The continuous Bernoulli model's posteriors sit far out (|mu| ~ 15), where the prior
    // hardly counts; for test image 0, q* lies 25 encoder standard deviations from q_phi. For
    // image 909 the box that covers both is ~100 of q*'s standard deviations wide: its grid
    // alone put ln p(x) 0.9 nat below ELBO(q*).
    let (model, header, _) = shipped_file(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("www/weights/mnist-continuous-bernoulli.vaew"),
    );
    assert_eq!(header.likelihood, Likelihood::ContinuousBernoulli);
    let test = common::load(Dataset::Mnist, Split::Test);
    for index in [0, 909] {
        let x = test.image_f32(index);
        let (ev, s) = split_of(&model, &x, header.likelihood);
        let sigma = [0, 1].map(|j| ev.posterior.sigma(j));
        let moved = [0, 1].map(|j| (s.diagonal.q.mu[j] - ev.posterior.mu[j]).abs() / sigma[j]);
        assert!(
            moved.iter().any(|&m| m > 10.0),
            "{index}: q* moved {moved:?} sigma"
        );
        // The quadrature covers and resolves q*, so ln p(x) is not below ELBO(q*).
        assert!(s.approximation_gap > 0.0, "{index}: {s:#?}");
        assert!(s.full_approximation_gap > -1e-3, "{index}: {s:#?}");
        assert!(s.amortisation_gap > 0.0, "{index}: {s:#?}");
    }
}
