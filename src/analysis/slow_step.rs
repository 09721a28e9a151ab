//! One training step taken apart: what [`crate::analysis::train::Trainer::slow_step`] reads back
//! of the step it takes, so the page can play it out in stages (batch, encoding, the
//! reparameterisation, decoding, the loss, the gradient step). The step itself is the trainer's
//! ordinary step; this is only what it computed on the way.

use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::vae::backend::{read_f32, ReadbackError};
use crate::vae::dense::VaeBackend;
use crate::vae::elbo::{ElboParts, Likelihood};
use crate::vae::model::Vae;

/// Images in a slow-motion step's batch: few enough that each one can be seen.
pub const SLOW_BATCH: usize = 8;

/// What one step computed, per image of its batch (`n` images, `k` latent dimensions; arrays
/// are row-major, one row per image).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlowStep {
    /// The step's number once taken (the trainer's step counter after it).
    pub step: usize,
    /// Which training images the batch drew, and their classes.
    pub indices: Vec<usize>,
    pub labels: Vec<u8>,
    /// The images as trained on (`n * PIXELS`, in [0, 1]; binarised ones as drawn).
    pub images: Vec<f32>,
    /// q(z|x): means and standard deviations (`n * k`).
    pub mu: Vec<f32>,
    pub sigma: Vec<f32>,
    /// The noise drawn and the sample z = mu + sigma * eps (`n * k`).
    pub eps: Vec<f32>,
    pub z: Vec<f32>,
    /// The decoder's mean image at each z (`n * PIXELS`).
    pub decoded: Vec<f32>,
    /// Per image, in nats: KL(q(z|x) || p(z)) and -ln p(x|z).
    pub kl: Vec<f32>,
    pub recon: Vec<f32>,
    /// The batch means the gradient was taken of: loss = recon + beta KL.
    pub parts: ElboParts,
    pub beta: f64,
    pub learning_rate: f64,
    /// The batch's means of q(z|x) under the weights after the step: how the step moved them.
    pub mu_after: Vec<f32>,
}

impl SlowStep {
    /// Images in the batch.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Latent dimensions.
    pub fn latent(&self) -> usize {
        self.mu.len() / self.len().max(1)
    }
}

/// The tensors of one step, as the trainer's step made them (without autodiff).
pub(crate) struct StepTensors<B: VaeBackend> {
    pub x: Tensor<B, 2>,
    pub eps: Tensor<B, 2>,
    pub mu: Tensor<B, 2>,
    pub logvar: Tensor<B, 2>,
    pub z: Tensor<B, 2>,
    pub logits: Tensor<B, 2>,
    pub kl: Tensor<B, 1>,
    pub recon: Tensor<B, 1>,
}

/// Everything the page shows of a step: its tensors read back, and the batch encoded again by
/// `after`, the model the step produced. `parts` are the batch means as the trainer read them.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn read_back<B: VaeBackend>(
    t: StepTensors<B>,
    after: &Vae<B>,
    step: usize,
    indices: Vec<usize>,
    labels: Vec<u8>,
    likelihood: Likelihood,
    parts: ElboParts,
    beta: f64,
    learning_rate: f64,
) -> Result<SlowStep, ReadbackError> {
    let sigma = t.logvar.mul_scalar(0.5).exp();
    let mu_after = after.encode(t.x.clone()).mu;
    let decoded = read_f32(t.logits)
        .await?
        .into_iter()
        .map(|l| likelihood.mean_of_logit(l as f64) as f32)
        .collect();
    Ok(SlowStep {
        step,
        indices,
        labels,
        images: read_f32(t.x).await?,
        mu: read_f32(t.mu).await?,
        sigma: read_f32(sigma).await?,
        eps: read_f32(t.eps).await?,
        z: read_f32(t.z).await?,
        decoded,
        kl: read_f32(t.kl).await?,
        recon: read_f32(t.recon).await?,
        parts,
        beta,
        learning_rate,
        mu_after: read_f32(mu_after).await?,
    })
}
