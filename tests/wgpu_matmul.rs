//! The wgpu backend's own dense product (src/wgpu_matmul.rs) against Burn's CPU matmul, natively
//! on whatever adapter wgpu finds (Mesa's lavapipe on the CI machines). Needs `--features gpu`.
#![cfg(feature = "gpu")]

mod common;

use std::sync::Arc;

use burn::tensor::{Distribution, Tensor, TensorData, TensorPrimitive};
use vae_playground::analysis::train::{TrainSettings, Trainer};
use vae_playground::data::{Dataset, Split};
use vae_playground::vae::backend::{Cpu, CpuTrain, Gpu, GpuTrain};
use vae_playground::vae::dense::VaeBackend;
use vae_playground::vae::kernel_choice::{training_products, Kernel, KernelTable, BUDGET_MS};
use vae_playground::vae::model::VaeConfig;
use vae_playground::vae::wgpu_matmul::{measure, products_run, use_kernels};

fn values<B: burn::tensor::backend::Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().convert::<f32>().to_vec().expect("f32 data")
}

fn product<B: VaeBackend>(a: Tensor<B, 2>, b: Tensor<B, 2>) -> Tensor<B, 2> {
    Tensor::from_primitive(TensorPrimitive::Float(B::dense_matmul(
        a.into_primitive().tensor(),
        b.into_primitive().tensor(),
    )))
}

fn random(shape: [usize; 2]) -> TensorData {
    Tensor::<Cpu, 2>::random(shape, Distribution::Uniform(-1.0, 1.0), &Default::default())
        .into_data()
}

/// `data` on `B`'s default device, through a transposed view if `transpose` (`data` is then
/// stored transposed).
fn operand<B: burn::tensor::backend::Backend>(data: TensorData, transpose: bool) -> Tensor<B, 2> {
    let t = Tensor::from_data(data, &Default::default());
    if transpose {
        t.transpose()
    } else {
        t
    }
}

/// `a · b` on the GPU (optionally through a transposed view of each, as the backward pass
/// makes) against the CPU.
fn check(m: usize, k: usize, n: usize, transpose_a: bool, transpose_b: bool) {
    let (da, db) = (
        random(if transpose_a { [k, m] } else { [m, k] }),
        random(if transpose_b { [n, k] } else { [k, n] }),
    );
    let gpu = product(
        operand::<Gpu>(da.clone(), transpose_a),
        operand::<Gpu>(db.clone(), transpose_b),
    );
    let cpu = operand::<Cpu>(da, transpose_a).matmul(operand::<Cpu>(db, transpose_b));
    assert_eq!(gpu.dims(), [m, n]);
    let err = common::relative_error(&values(gpu), &values(cpu));
    assert!(
        err < 1e-5,
        "{m}x{k}x{n} (transposed {transpose_a}, {transpose_b}): error {err}"
    );
}

#[test]
fn the_product_matches_the_cpu_on_the_shapes_training_uses() {
    // Forward through the encoder and decoder, and the three products of their backward pass.
    check(128, 784, 512, false, false);
    check(128, 512, 784, false, false);
    check(784, 128, 512, true, false);
    check(512, 128, 784, true, false);
    check(128, 784, 512, false, true);
}

#[test]
fn shapes_the_kernel_does_not_cover_fall_back_to_burns_matmul() {
    // The 2-wide latent layers, a batch not a multiple of 4, and a single row.
    check(128, 512, 2, false, false);
    check(128, 2, 512, false, false);
    check(2, 128, 512, true, false);
    check(13, 784, 512, false, false);
    check(1, 8, 12, false, false);
}

#[test]
fn gradients_through_the_product_match_the_cpu() {
    let (dx, dw) = (random([12, 8]), random([8, 16]));
    fn grads<B: burn::tensor::backend::AutodiffBackend + VaeBackend>(
        dx: TensorData,
        dw: TensorData,
    ) -> (Vec<f32>, Vec<f32>) {
        let device = Default::default();
        let x = Tensor::<B, 2>::from_data(dx, &device).require_grad();
        let w = Tensor::<B, 2>::from_data(dw, &device).require_grad();
        // A loss whose gradient is not constant, so a wrong operand shows.
        let loss = product(x.clone(), w.clone()).powi_scalar(2).sum();
        let g = loss.backward();
        (
            values(x.grad(&g).expect("x has a gradient")),
            values(w.grad(&g).expect("w has a gradient")),
        )
    }
    let (gx, gw) = grads::<GpuTrain>(dx.clone(), dw.clone());
    let (cx, cw) = grads::<CpuTrain>(dx, dw);
    assert!(
        common::relative_error(&gx, &cx) < 1e-5,
        "d/dx: {}",
        common::relative_error(&gx, &cx)
    );
    assert!(
        common::relative_error(&gw, &cw) < 1e-5,
        "d/dw: {}",
        common::relative_error(&gw, &cw)
    );
}

/// Three chunks of training on the GPU with `kernels`, against the CPU.
fn training_follows_the_cpu(kernels: KernelTable) {
    use_kernels(kernels);
    let data = Arc::new(common::load(Dataset::Mnist, Split::Test).take(512));
    let settings = TrainSettings::default();
    let config = VaeConfig::new();
    let mut gpu = Trainer::<GpuTrain>::new(
        config.clone(),
        data.clone(),
        settings,
        common::clock,
        Default::default(),
    )
    .expect("a trainer");
    let mut cpu =
        Trainer::<CpuTrain>::new(config, data, settings, common::clock, Default::default())
            .expect("a trainer");
    for chunk in 0..3 {
        let g = pollster::block_on(gpu.train_steps(4)).expect("GPU steps");
        let c = pollster::block_on(cpu.train_steps(4)).expect("CPU steps");
        let (g, c) = (g.parts.neg_elbo(), c.parts.neg_elbo());
        assert!(
            (g - c).abs() < 1e-3 * c.abs(),
            "chunk {chunk}: GPU {g} against CPU {c}"
        );
    }
}

#[test]
fn training_on_the_gpu_follows_the_cpu_step_for_step_with_ours() {
    let before = products_run();
    training_follows_the_cpu(KernelTable::all(Kernel::Ours));
    let after = products_run();
    assert!(
        after.0 > before.0 && after.1 == before.1,
        "{before:?} -> {after:?}"
    );
}

#[test]
fn training_on_the_gpu_follows_the_cpu_step_for_step_with_burns() {
    let before = products_run();
    training_follows_the_cpu(KernelTable::all(Kernel::Burn));
    let after = products_run();
    assert!(
        after.1 > before.1 && after.0 == before.0,
        "{before:?} -> {after:?}"
    );
}

#[test]
fn a_table_sends_each_product_to_its_kernel() {
    let (m, k, n) = (128, 784, 512);
    let table = KernelTable {
        per_product: vec![(
            vae_playground::vae::kernel_choice::Product::new(m, k, n),
            Kernel::Burn,
        )],
        otherwise: Kernel::Ours,
    };
    use_kernels(table);
    let before = products_run();
    check(m, k, n, false, false);
    let mid = products_run();
    assert_eq!(
        (mid.0 - before.0, mid.1 - before.1),
        (0, 1),
        "the named product: Burn's"
    );
    check(128, 512, 784, false, false);
    let after = products_run();
    assert_eq!(
        (after.0 - mid.0, after.1 - mid.1),
        (1, 0),
        "any other: ours"
    );
}

#[test]
fn the_measurement_times_both_kernels_and_keeps_the_faster_of_each_product() {
    let products = training_products(128, 512);
    let m = pollster::block_on(measure(products.clone(), BUDGET_MS, common::clock))
        .expect("a measurement");
    assert!(!m.timings.is_empty());
    assert!(m.timings.iter().all(|t| t.ms > 0.0 && t.ms.is_finite()));
    let table = m.table();
    assert!(table.covers(&products));
    for p in &products {
        if let (Some(ours), Some(burn)) = (m.best(*p, Kernel::Ours), m.best(*p, Kernel::Burn)) {
            let faster = if burn < ours {
                Kernel::Burn
            } else {
                Kernel::Ours
            };
            assert_eq!(
                table.kernel(*p),
                faster,
                "{p:?}: ours {ours} ms, Burn's {burn} ms"
            );
        }
    }
    // What was timed is the plan's: the first run of each kernel on the first product at least.
    let first = products[0];
    assert!(m.best(first, Kernel::Ours).is_some() && m.best(first, Kernel::Burn).is_some());
}
