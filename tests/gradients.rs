//! The reparameterisation trick lets the reconstruction term's gradient reach the encoder.

use burn::tensor::{Tensor, TensorData};
use vae_playground::vae::backend::CpuTrain;
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
