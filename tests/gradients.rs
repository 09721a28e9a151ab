//! The reparameterisation trick lets the reconstruction term's gradient reach the encoder, and
//! the dense layers' own backward pass agrees with Burn's autodiff.

mod common;

use burn::module::{Module, Param};
use burn::nn::LinearConfig;
use burn::tensor::{Tensor, TensorData};
use vae_playground::vae::backend::{Cpu, CpuTrain};
use vae_playground::vae::dense::dense;
use vae_playground::vae::elbo::Likelihood;
use vae_playground::vae::model::VaeConfig;
use vae_playground::vae::rng::SeededRng;

fn abs_sum(t: Option<Tensor<vae_playground::vae::backend::Cpu, 2>>) -> f64 {
    let t = t.expect("the parameter received a gradient");
    t.abs().sum().into_scalar() as f64
}

#[test]
fn reconstruction_gradient_reaches_mu_and_logvar_through_z() {
    let device = Default::default();
    let model = VaeConfig::new().with_hidden(32).init::<CpuTrain>(&device);
    let mut rng = SeededRng::new(5);
    let x: Vec<f32> = (0..4 * 784).map(|_| rng.uniform() as f32).collect();
    let x = Tensor::<CpuTrain, 2>::from_data(TensorData::new(x, [4, 784]), &device);
    let eps = Tensor::from_data(TensorData::new(rng.normals(8), [4, 2]), &device);

    // Reconstruction only: the encoder is reached through z = mu + sigma * eps alone.
    let out = model.forward(x.clone(), eps);
    let loss = Likelihood::Bernoulli.nll(out.logits, x.clone()).mean();
    let grads = loss.backward();
    assert!(abs_sum(model.enc_mu.weight.grad(&grads)) > 0.0);
    assert!(abs_sum(model.enc_logvar.weight.grad(&grads)) > 0.0);
    assert!(abs_sum(model.enc_hidden.weight.grad(&grads)) > 0.0);

    // With the noise at zero, z = mu and logvar no longer influences the reconstruction.
    let zero = Tensor::zeros([4, 2], &device);
    let out = model.forward(x.clone(), zero);
    let loss = Likelihood::Bernoulli.nll(out.logits, x).mean();
    let grads = loss.backward();
    assert!(abs_sum(model.enc_mu.weight.grad(&grads)) > 0.0);
    let logvar_grad = model
        .enc_logvar
        .weight
        .grad(&grads)
        .map_or(0.0, |g| g.abs().sum().into_scalar() as f64);
    assert_eq!(logvar_grad, 0.0);
}

fn random_data<const D: usize>(rng: &mut SeededRng, shape: [usize; D]) -> TensorData {
    let v: Vec<f32> = (0..shape.iter().product())
        .map(|_| (rng.uniform() * 2.0 - 1.0) as f32)
        .collect();
    TensorData::new(v, shape)
}

fn f32s(t: Tensor<Cpu, 2>) -> Vec<f32> {
    t.into_data().to_vec::<f32>().unwrap()
}

/// Gradients of x, W and b (`None` where not tracked) for the loss sum(c * y^2), whose gradient
/// in y is not constant, so a wrong operand shows.
type Grads = [Option<Vec<f32>>; 3];

/// The inputs x, W, b and c on the training backend, tracked as asked.
fn tensors(
    [x, w, b, c]: [TensorData; 4],
    track_x: bool,
    track_layer: bool,
) -> (
    Tensor<CpuTrain, 2>,
    Tensor<CpuTrain, 2>,
    Tensor<CpuTrain, 1>,
    Tensor<CpuTrain, 2>,
) {
    let device = Default::default();
    (
        Tensor::from_data(x, &device).set_require_grad(track_x),
        Tensor::from_data(w, &device).set_require_grad(track_layer),
        Tensor::from_data(b, &device).set_require_grad(track_layer),
        Tensor::from_data(c, &device),
    )
}

/// y = x W + b through the model's `dense` (our custom autodiff op).
fn ours(inputs: [TensorData; 4], track_x: bool, track_layer: bool) -> Grads {
    let (x, w, b, c) = tensors(inputs, track_x, track_layer);
    let [d_in, d_out] = w.dims();
    let mut layer = LinearConfig::new(d_in, d_out).init::<CpuTrain>(&Default::default());
    layer.weight = Param::from_tensor(w);
    layer.bias = Some(Param::from_tensor(b));
    let layer = if track_layer { layer } else { layer.no_grad() };
    let y = dense(&layer, x.clone());
    let g = (y.powi_scalar(2) * c).sum().backward();
    let bias = layer.bias.as_ref().and_then(|b| b.grad(&g));
    [
        x.grad(&g).map(f32s),
        layer.weight.grad(&g).map(f32s),
        bias.map(|t| f32s(t.unsqueeze())),
    ]
}

/// y = x W + b by Burn's own autodiff of the plain product.
fn burns(inputs: [TensorData; 4], track_x: bool, track_layer: bool) -> Grads {
    let (x, w, b, c) = tensors(inputs, track_x, track_layer);
    let y = x.clone().matmul(w.clone()) + b.clone().unsqueeze_dim(0);
    let g = (y.powi_scalar(2) * c).sum().backward();
    [
        x.grad(&g).map(f32s),
        w.grad(&g).map(f32s),
        b.grad(&g).map(|t| f32s(t.unsqueeze())),
    ]
}

/// The dense layers' backward pass (`vae::dense`, a custom autodiff op that keeps each operand
/// only when the other one's gradient needs it) against Burn's autodiff of `x.matmul(w) + b`,
/// for a tracked input (inner layers), an untracked one (the data into the first layer) and a
/// frozen layer. Shapes differ on every axis, so a wrong transpose cannot pass.
///
/// Tolerance: both sides are f32 sums of at most 7 products of values below about 10 (inputs
/// in [-1, 1]), so any two summation orders agree to within about 7 x 2^-24 of the largest
/// value; 1e-5 of it leaves room for that and nothing else (a wrong operand is off by O(1)).
/// Measured: identical bit for bit (both run the same ndarray product).
#[test]
fn dense_gradients_match_burns_autodiff_of_the_plain_product() {
    let mut rng = SeededRng::new(9);
    let (batch, d_in, d_out) = (5, 7, 3);
    let inputs = [
        random_data(&mut rng, [batch, d_in]),
        random_data(&mut rng, [d_in, d_out]),
        random_data(&mut rng, [d_out]),
        random_data(&mut rng, [batch, d_out]),
    ];
    for (track_x, track_layer) in [(true, true), (false, true), (true, false)] {
        let ours = ours(inputs.clone(), track_x, track_layer);
        let burn = burns(inputs.clone(), track_x, track_layer);
        for (name, (o, b)) in ["d/dx", "d/dW", "d/db"].iter().zip(ours.iter().zip(&burn)) {
            let case = format!("{name} (x tracked {track_x}, layer tracked {track_layer})");
            let tracked = if *name == "d/dx" {
                track_x
            } else {
                track_layer
            };
            assert_eq!(o.is_some(), tracked, "{case}: ours");
            assert_eq!(b.is_some(), tracked, "{case}: Burn's");
            if let (Some(o), Some(b)) = (o, b) {
                let err = common::relative_error(o, b);
                eprintln!("{case}: relative error {err:e}");
                assert!(err < 1e-5, "{case}: ours {o:?} vs Burn's {b:?}");
            }
        }
    }
}
