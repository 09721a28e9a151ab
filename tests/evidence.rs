//! ln p(x) by quadrature and by importance sampling, on the shipped MNIST model and real digits.

mod common;

use pollster::block_on;
use vae_playground::backend::Cpu;
use vae_playground::data::{Dataset, Split};
use vae_playground::evidence::{
    evidence_by_importance_sampling, evidence_by_quadrature, log_sum_exp,
};
use vae_playground::weights;

fn shipped_model() -> (vae_playground::model::Vae<Cpu>, weights::Header) {
    let bytes = std::fs::read(common::weights_path(Dataset::Mnist)).expect("shipped weights");
    weights::decode::<Cpu>(&bytes, &Default::default()).expect("shipped weights decode")
}

/// ln p(x) and friends for one image by quadrature on an `n` x `n` grid, on the CPU.
fn quadrature(
    model: &vae_playground::model::Vae<Cpu>,
    header: &weights::Header,
    x: &[f32],
    n: usize,
) -> vae_playground::evidence::Evidence {
    block_on(evidence_by_quadrature(
        model,
        x,
        header.likelihood,
        n,
        &Default::default(),
    ))
    .unwrap()
}

#[test]
fn log_sum_exp_is_stable() {
    assert!((log_sum_exp(&[1000.0, 1000.0]) - (1000.0 + 2f64.ln())).abs() < 1e-9);
    assert!((log_sum_exp(&[-1000.0, -1000.0]) - (-1000.0 + 2f64.ln())).abs() < 1e-9);
    assert_eq!(log_sum_exp(&[]), f64::NEG_INFINITY);
}

#[test]
fn quadrature_bounds_the_elbo_for_every_image_of_a_test_batch() {
    let (model, header) = shipped_model();
    let test = common::load(Dataset::Mnist, Split::Test);
    for i in 0..16 {
        let x = test.image_f32(i);
        let ev = quadrature(&model, &header, &x, 64);
        assert!(ev.log_px.is_finite() && ev.elbo.is_finite());
        assert!(
            ev.gap >= 0.0,
            "image {i}: ln p(x) {} < ELBO {}",
            ev.log_px,
            ev.elbo
        );
        // Each Bernoulli factor on grey levels is at most 1, so ln p(x) <= 0.
        assert!(ev.log_px < 0.0, "image {i}: ln p(x) {}", ev.log_px);
    }
}

#[test]
fn quadrature_is_stable_under_grid_refinement() {
    let (model, header) = shipped_model();
    let test = common::load(Dataset::Mnist, Split::Test);
    for i in [0, 1, 2, 3] {
        let x = test.image_f32(i);
        let coarse = quadrature(&model, &header, &x, 64);
        let fine = quadrature(&model, &header, &x, 160);
        assert!(
            (coarse.log_px - fine.log_px).abs() < 0.05,
            "image {i}: {} vs {}",
            coarse.log_px,
            fine.log_px
        );
    }
}

/// IWAE with K samples is a lower bound on ln p(x) in expectation that tightens as K grows.
/// Where q is far from the true posterior (gaps of 5+ nats) the importance weights are
/// heavy-tailed, so the comparison averages over seeds and images.
#[test]
fn importance_sampling_approaches_quadrature_as_k_grows() {
    let (model, header) = shipped_model();
    let test = common::load(Dataset::Mnist, Split::Test);
    let device = Default::default();
    let images: Vec<usize> = (0..8).collect();
    let quad: Vec<f64> = images
        .iter()
        .map(|&i| quadrature(&model, &header, &test.image_f32(i), 64).log_px)
        .collect();
    let mut mean_gap = Vec::new();
    for (k, seeds) in [(1, 40), (10, 20), (100, 8), (1000, 4), (10_000, 2)] {
        let mut total = 0.0;
        for (&i, q) in images.iter().zip(&quad) {
            let x = test.image_f32(i);
            let is: f64 = (0..seeds)
                .map(|s| {
                    block_on(evidence_by_importance_sampling(
                        &model,
                        &x,
                        header.likelihood,
                        k,
                        s,
                        &device,
                    ))
                    .unwrap()
                })
                .sum::<f64>()
                / seeds as f64;
            total += q - is;
        }
        mean_gap.push(total / images.len() as f64);
    }
    eprintln!("mean ln p(x) quadrature - IWAE(K) for K = 1, 10, 100, 1000, 10000: {mean_gap:?}");
    for w in mean_gap.windows(2) {
        assert!(w[0] > w[1], "tightens as K grows: {mean_gap:?}");
    }
    assert!(mean_gap[0] > 1.0, "IWAE(1) is an ELBO, well below ln p(x)");
    // Measured on the shipped model: 5.7, 3.0, 2.2, 2.0, 0.9 nats. Where q is far from the
    // true posterior the weights are heavy-tailed and IWAE converges slowly, as theory says.
    assert!(
        mean_gap[4] < 0.25 * mean_gap[0],
        "closes most of the gap: {mean_gap:?}"
    );
    assert!(
        mean_gap[4] > -0.1,
        "never overshoots ln p(x) on average: {mean_gap:?}"
    );
}

/// Where q(z|x) is close to p(z|x) (the quadrature gap is under 0.5 nat) the importance weights
/// are nearly constant, so 5000 samples must land within 0.1 nat of the quadrature value.
#[test]
fn importance_sampling_agrees_with_quadrature_where_q_fits() {
    let (model, header) = shipped_model();
    let test = common::load(Dataset::Mnist, Split::Test);
    let device = Default::default();
    let mut checked = 0;
    for i in 0..24 {
        let x = test.image_f32(i);
        let quad = quadrature(&model, &header, &x, 64);
        if quad.gap >= 0.5 {
            continue;
        }
        let is = block_on(evidence_by_importance_sampling(
            &model,
            &x,
            header.likelihood,
            5000,
            7,
            &device,
        ))
        .unwrap();
        assert!(
            (is - quad.log_px).abs() < 0.1,
            "image {i}: IWAE(5000) {is} vs quadrature {} (gap {})",
            quad.log_px,
            quad.gap
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} images with a small gap");
}
