//! The two terms of the VAE loss, in nats per image (see `vae-math.md`).
//!
//! - KL(q(z|x) || N(0, I)) in closed form;
//! - reconstruction -ln p(x|z) for a Bernoulli decoder (summed binary cross-entropy from logits)
//!   or a Gaussian decoder with fixed sigma_x (including its normalising constant).

use burn::tensor::activation::sigmoid;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::vae::model::Posterior;

/// ln(2 pi), for the Gaussian normalising constant.
pub const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The decoder's likelihood p(x|z).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Likelihood {
    /// Pixels read as probabilities: -ln p(x|z) = summed binary cross-entropy.
    #[default]
    Bernoulli,
    /// N(f(z), sigma_x^2 I) with a fixed, user-chosen sigma_x.
    Gaussian { sigma: f64 },
}

impl Likelihood {
    /// -ln p(x|z) per image, `[batch]`, from decoder logits and targets `x` in [0, 1].
    pub fn nll<B: Backend>(&self, logits: Tensor<B, 2>, x: Tensor<B, 2>) -> Tensor<B, 1> {
        match *self {
            Likelihood::Bernoulli => bernoulli_nll(logits, x),
            Likelihood::Gaussian { sigma } => gaussian_nll(sigmoid(logits), x, sigma),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Likelihood::Bernoulli => "bernoulli",
            Likelihood::Gaussian { .. } => "gaussian",
        }
    }
}

/// KL(N(mu, exp(logvar)) || N(0, I)) per image = sum_j -1/2 (1 + logvar_j - mu_j^2 - exp(logvar_j)).
pub fn kl_standard_normal<B: Backend>(posterior: &Posterior<B>) -> Tensor<B, 1> {
    let Posterior { mu, logvar } = posterior.clone();
    let per_dim = logvar.clone().add_scalar(1.0) - mu.powi_scalar(2) - logvar.exp();
    per_dim.sum_dim(1).squeeze_dim::<1>(1).mul_scalar(-0.5)
}

/// Where ln(1 + exp(-|l|)) stops following |l|. Beyond it the term and its gradient are below
/// 4.3e-18, nothing next to a loss of ~100 nats; but in the backward pass that gradient is
/// divided by the batch size and multiplied by small activations, and at a cap of 80 those
/// products land in the subnormal range.
pub const SOFTPLUS_CAP: f64 = 40.0;

/// Summed binary cross-entropy per image, stable for any logit l:
/// -[x ln s(l) + (1-x) ln(1-s(l))] = max(l, 0) - x l + ln(1 + exp(-|l|)).
///
/// |l| is capped at [`SOFTPLUS_CAP`] inside the exponential only, so neither exp(-|l|) nor the
/// gradients it feeds become f32 subnormals, which x86 (and so wasm) computes very slowly.
pub fn bernoulli_nll<B: Backend>(logits: Tensor<B, 2>, x: Tensor<B, 2>) -> Tensor<B, 1> {
    let softplus_tail = logits
        .clone()
        .abs()
        .clamp_max(SOFTPLUS_CAP)
        .neg()
        .exp()
        .log1p();
    let per_pixel = logits.clone().clamp_min(0.0) - x * logits + softplus_tail;
    per_pixel.sum_dim(1).squeeze_dim::<1>(1)
}

/// Gaussian -ln p(x|z) per image = D/2 ln(2 pi) + D ln(sigma) + ||x - mean||^2 / (2 sigma^2).
pub fn gaussian_nll<B: Backend>(mean: Tensor<B, 2>, x: Tensor<B, 2>, sigma: f64) -> Tensor<B, 1> {
    let d = x.dims()[1] as f64;
    let sse = (x - mean).powi_scalar(2).sum_dim(1).squeeze_dim::<1>(1);
    sse.div_scalar(2.0 * sigma * sigma)
        .add_scalar(d * (0.5 * LN_2PI + sigma.ln()))
}

/// Batch means of the two terms, in nats per image, read back from the device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ElboParts {
    /// KL(q(z|x) || p(z)), the rate.
    pub kl: f64,
    /// -E_q[ln p(x|z)], the distortion.
    pub recon: f64,
}

impl ElboParts {
    /// -ELBO = recon + KL (beta = 1): the bound on -ln p(x).
    pub fn neg_elbo(&self) -> f64 {
        self.recon + self.kl
    }

    /// The training objective recon + beta KL. Equals `neg_elbo` only at beta = 1.
    pub fn loss(&self, beta: f64) -> f64 {
        self.recon + beta * self.kl
    }

    pub fn is_finite(&self) -> bool {
        self.kl.is_finite() && self.recon.is_finite()
    }
}
