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
    let device = Default::default();
    for i in 0..16 {
        let x = test.image_f32(i);
        let ev = block_on(evidence_by_quadrature(&model, &x, header.likelihood, 64, &device))
            .unwrap();
        assert!(ev.log_px.is_finite() && ev.elbo.is_finite());
        assert!(ev.gap >= 0.0, "image {i}: ln p(x) {} < ELBO {}", ev.log_px, ev.elbo);
        // A 2-D VAE's gap is a few nats at most; a broken integral would be far off.
        assert!(ev.gap < 10.0, "image {i}: gap {}", ev.gap);
    }
}

#[test]
fn quadrature_is_stable_under_grid_refinement() {
    let (model, header) = shipped_model();
    let test = common::load(Dataset::Mnist, Split::Test);
    let device = Default::default();
    for i in [0, 1, 2, 3] {
        let x = test.image_f32(i);
        let coarse = block_on(evidence_by_quadrature(&model, &x, header.likelihood, 64, &device))
            .unwrap();
        let fine = block_on(evidence_by_quadrature(&model, &x, header.likelihood, 160, &device))
            .unwrap();
        assert!(
            (coarse.log_px - fine.log_px).abs() < 0.05,
            "image {i}: {} vs {}",
            coarse.log_px,
            fine.log_px
        );
    }
}

#[test]
fn importance_sampling_approaches_quadrature_as_k_grows() {
    let (model, header) = shipped_model();
    let test = common::load(Dataset::Mnist, Split::Test);
    let device = Default::default();
    let images = [0, 1, 2, 3, 4, 5];
    let mut mean_gap = Vec::new();
    for k in [1, 10, 100, 3000] {
        let mut total = 0.0;
        for &i in &images {
            let x = test.image_f32(i);
            let quad =
                block_on(evidence_by_quadrature(&model, &x, header.likelihood, 64, &device))
                    .unwrap();
            // Average over seeds so the comparison is about the estimator, not one draw.
            let seeds = if k < 100 { 20 } else { 1 };
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
            total += quad.log_px - is;
        }
        mean_gap.push(total / images.len() as f64);
    }
    eprintln!("mean ln p(x) quadrature - IWAE(K) for K = 1, 10, 100, 3000: {mean_gap:?}");
    assert!(mean_gap[0] > mean_gap[1] && mean_gap[1] > mean_gap[2]);
    assert!(mean_gap[3].abs() < 0.1, "IWAE(3000) within 0.1 nat: {}", mean_gap[3]);
    assert!(mean_gap[0] > 0.0, "IWAE(1) is an ELBO: below ln p(x)");
}
