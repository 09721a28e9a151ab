//! The two terms of the VAE loss, in nats per image (see `vae-math.md`).
//!
//! - KL(q(z|x) || N(0, I)) in closed form;
//! - reconstruction -ln p(x|z) for a Bernoulli decoder (summed binary cross-entropy from logits),
//!   a continuous Bernoulli decoder (the same plus its normaliser ln C, a density on [0, 1]) or a
//!   Gaussian decoder with fixed sigma_x (including its normalising constant).
//!
//! Also, per pixel in f64: ln p(x_i | l_i), for the gap split on the host, and each decoder's
//! mean E[x_i | l_i], which is what the page shows.

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
    /// The continuous Bernoulli (Loaiza-Ganem & Cunningham, 2019): C(l) l^x (1-l)^(1-x), a
    /// density on [0, 1] per pixel, so ln p(x) is a log-density of grey images.
    #[serde(rename = "continuous-bernoulli")]
    ContinuousBernoulli,
}

/// What ln p(x) means for an input under a decoder (vae-math.md, "Which numbers are densities").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reading {
    /// A log-probability of a binary image (Bernoulli on pixels in {0, 1}).
    LogProbability,
    /// A log-density on [0, 1]^D (continuous Bernoulli).
    LogDensityOnUnitCube,
    /// A log-density on R^D (Gaussian).
    LogDensityOnReals,
    /// Bernoulli on grey levels: a training score, not the log of a normalised density.
    Score,
}

impl Likelihood {
    /// -ln p(x|z) per image, `[batch]`, from decoder logits and targets `x` in [0, 1].
    pub fn nll<B: Backend>(&self, logits: Tensor<B, 2>, x: Tensor<B, 2>) -> Tensor<B, 1> {
        match *self {
            Likelihood::Bernoulli => bernoulli_nll(logits, x),
            Likelihood::Gaussian { sigma } => gaussian_nll(sigmoid(logits), x, sigma),
            Likelihood::ContinuousBernoulli => continuous_bernoulli_nll(logits, x),
        }
    }

    /// The URL value, CLI value and header name.
    pub fn name(&self) -> &'static str {
        match self {
            Likelihood::Bernoulli => "bernoulli",
            Likelihood::Gaussian { .. } => "gaussian",
            Likelihood::ContinuousBernoulli => "continuous-bernoulli",
        }
    }

    /// What ln p(x) is for input `x` (pixels in [0, 1]) under this decoder.
    pub fn reading(&self, x: &[f32]) -> Reading {
        match self {
            Likelihood::Bernoulli if x.iter().all(|&p| p == 0.0 || p == 1.0) => {
                Reading::LogProbability
            }
            Likelihood::Bernoulli => Reading::Score,
            Likelihood::ContinuousBernoulli => Reading::LogDensityOnUnitCube,
            Likelihood::Gaussian { .. } => Reading::LogDensityOnReals,
        }
    }

    /// E[x_i | l_i]: the pixel the decoder means at logit `l`. Bernoulli and Gaussian: sigmoid(l);
    /// continuous Bernoulli: l/(2l-1) + 1/(2 atanh(1-2l)) in the probability l = sigmoid(l),
    /// which is not l.
    pub fn mean_of_logit(&self, l: f64) -> f64 {
        match self {
            Likelihood::ContinuousBernoulli => cb_mean_of_logit(l),
            _ => sigmoid_f64(l),
        }
    }

    /// ln p(x | l) of one pixel with logit `l`, in f64 (what the gap split sums on the host).
    pub fn pixel_log_prob(&self, x: f64, l: f64) -> f64 {
        match *self {
            // x l - softplus(l), the negated BCE.
            Likelihood::Bernoulli => x * l - softplus_f64(l),
            Likelihood::ContinuousBernoulli => x * l - softplus_f64(l) + cb_log_norm_of_logit(l),
            Likelihood::Gaussian { sigma } => {
                let r = x - sigmoid_f64(l);
                -r * r / (2.0 * sigma * sigma) - sigma.ln() - 0.5 * LN_2PI
            }
        }
    }
}

fn sigmoid_f64(l: f64) -> f64 {
    if l >= 0.0 {
        1.0 / (1.0 + (-l).exp())
    } else {
        let e = l.exp();
        e / (1.0 + e)
    }
}

/// ln(1 + e^l), stable for any l.
fn softplus_f64(l: f64) -> f64 {
    l.max(0.0) + (-l.abs()).exp().ln_1p()
}

/// Below this |logit| the continuous Bernoulli's functions use their Taylor series (f64): the
/// closed forms cancel there (0/0 at l = 0), and the series' next terms are below 1e-16.
const CB_SERIES_F64: f64 = 0.1;

/// ln C of the continuous Bernoulli from its logit l = ln(p/(1-p)). With 1 - 2p = -tanh(l/2) and
/// atanh(1 - 2p) = -l/2, C = l / tanh(l/2); away from 0 that is
/// ln|l| - ln(1 - e^-|l|) + ln(1 + e^-|l|), stable up to any |l|.
pub fn cb_log_norm_of_logit(l: f64) -> f64 {
    let a = l.abs();
    if a < CB_SERIES_F64 {
        let u = l * l;
        std::f64::consts::LN_2
            + u * (1.0 / 12.0
                + u * (-7.0 / 1440.0
                    + u * (31.0 / 90720.0 + u * (-127.0 / 4838400.0 + u * 73.0 / 34214400.0))))
    } else {
        a.ln() - (-(-a).exp_m1()).ln() + (-a).exp().ln_1p()
    }
}

/// ln C(p) of the continuous Bernoulli with probability parameter p in (0, 1):
/// C(p) = 2 atanh(1 - 2p) / (1 - 2p), C(1/2) = 2. Through the logit, so p near 0, 1/2 and 1 are
/// all accurate.
pub fn cb_log_norm(p: f64) -> f64 {
    cb_log_norm_of_logit(p.ln() - (-p).ln_1p())
}

/// d ln C / dl = 1/l - 1/sinh(l).
fn cb_log_norm_slope(l: f64) -> f64 {
    if l.abs() < CB_SERIES_F64 {
        let u = l * l;
        l * (1.0 / 6.0
            + u * (-7.0 / 360.0
                + u * (31.0 / 15120.0 + u * (-127.0 / 604800.0 + u * 73.0 / 3421440.0))))
    } else {
        1.0 / l - 1.0 / l.sinh()
    }
}

/// The continuous Bernoulli's mean from its logit: sigmoid(l) - (1/l - 1/sinh l), which is
/// p/(2p-1) + 1/(2 atanh(1-2p)) in p; 1/2 at l = 0.
pub fn cb_mean_of_logit(l: f64) -> f64 {
    sigmoid_f64(l) - cb_log_norm_slope(l)
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

/// Below this |logit| the f32 ln C uses its series (to l^8; the next term is under 3e-9 here).
const CB_SERIES_F32: f64 = 0.5;

/// ln C per pixel, `[batch, D]`, from logits, for training in f32 (see
/// [`cb_log_norm_of_logit`]). Each branch sees only arguments it is stable for (the other's are
/// clamped), so neither gives an infinity whose zero gradient would make a NaN. e^-|l| is capped
/// as in [`bernoulli_nll`], against subnormals.
pub fn cb_log_norm_tensor<B: Backend>(logits: Tensor<B, 2>) -> Tensor<B, 2> {
    let near = logits.clone().abs().lower_elem(CB_SERIES_F32);
    let l = logits.clone().clamp(-CB_SERIES_F32, CB_SERIES_F32);
    let u = l.clone() * l;
    let series = u
        .clone()
        .mul_scalar(-127.0 / 4838400.0)
        .add_scalar(31.0 / 90720.0)
        .mul(u.clone())
        .add_scalar(-7.0 / 1440.0)
        .mul(u.clone())
        .add_scalar(1.0 / 12.0)
        .mul(u)
        .add_scalar(std::f64::consts::LN_2);
    let a = logits.abs().clamp_min(CB_SERIES_F32);
    let tail = a.clone().clamp_max(SOFTPLUS_CAP).neg().exp();
    let closed = a.log() - tail.clone().neg().log1p() + tail.log1p();
    closed.mask_where(near, series)
}

/// Continuous Bernoulli -ln p(x|z) per image: the summed BCE minus the summed ln C(l).
pub fn continuous_bernoulli_nll<B: Backend>(logits: Tensor<B, 2>, x: Tensor<B, 2>) -> Tensor<B, 1> {
    let log_norm = cb_log_norm_tensor(logits.clone())
        .sum_dim(1)
        .squeeze_dim::<1>(1);
    bernoulli_nll(logits, x) - log_norm
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
