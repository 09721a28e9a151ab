//! Data-parallel training steps: a batch cut into shares, each share's gradient computed apart
//! (in the browser, by gradient workers on other cores), the gradients summed in share order and
//! one optimiser step taken on the sum.
//!
//! A share's loss is its images' summed loss divided by the whole batch's size, so the shares'
//! gradients add up to the gradient of the batch's mean loss, whatever the number of shares; only
//! the rounding of the sums differs. The batch's images and noise are drawn once per batch (by
//! [`crate::analysis::train::Trainer`]) and cut afterwards, so they do not depend on the cut.
//! Gradients and weights travel as flat `f32` arrays in the order of the weights file
//! ([`crate::vae::weights::tensor_layout`]).

use std::ops::Range;

use burn::module::Param;
use burn::optim::GradientsParams;
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use futures::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::vae::backend::{append_f32, read_f32, ReadbackError};
use crate::vae::dense::{TrainBackend, VaeBackend};
use crate::vae::elbo::{kl_standard_normal, Likelihood};
use crate::vae::model::{linear_from_data, Vae, VaeConfig};
use crate::vae::weights::{flat_values, tensor_layout};

/// The most shares a batch is cut into (the page's most workers).
pub const MAX_SHARES: usize = 8;

/// The smallest batch that workers chosen by `auto` share. Below it the serial part of a step
/// (Adam over every weight, the sum, the weights' copy, the messages) outweighs what the shares
/// split, or nearly: in Chromium on 2 cores two workers trained 0.99×, 0.96× and 1.46× as fast
/// as one at batches of 128, 256 and 512, and 1.21× at 1024 (`bench/cpu-workers-batch.json`;
/// the sitting before gave 1.14× at 512, so 512 stays out until it holds up); natively,
/// threads barely gained at 128 even on 16 cores. A worker count the user names shares every
/// batch.
pub const AUTO_SHARE_MIN_BATCH: usize = 1024;

/// What a share's gradient depends on besides the weights and its rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareSpec {
    pub config: VaeConfig,
    /// Images in the share.
    pub rows: usize,
    /// Images in the whole batch: the share's summed loss is divided by it.
    pub batch: usize,
    pub beta: f64,
    pub likelihood: Likelihood,
}

/// One share of a batch: its spec, its images (`rows` × input size) and its noise (`rows` × k).
#[derive(Debug, Clone, PartialEq)]
pub struct ShareJob {
    pub spec: ShareSpec,
    pub x: Vec<f32>,
    pub eps: Vec<f32>,
}

/// A share's gradient (flat, in weights-file order) and its part of the batch's mean KL and
/// reconstruction terms.
#[derive(Debug, Clone, PartialEq)]
pub struct ShareGradient {
    pub gradient: Vec<f32>,
    pub kl: f32,
    pub recon: f32,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum ShareError {
    #[error("a share's arrays do not fit its model: {what} has {got} values, {expected} expected")]
    Size {
        what: &'static str,
        got: usize,
        expected: usize,
    },
    #[error(transparent)]
    Readback(#[from] ReadbackError),
    #[error("gradient worker {index} failed: {message}")]
    Helper { index: usize, message: String },
}

/// Where the shares after the trainer's own are computed: gradient workers in the browser,
/// [`InlineHelpers`] natively. The trainer posts one job per helper with the weights of the
/// step, computes its own share meanwhile, then collects the helpers' gradients in helper order.
/// A helper that failed is answered `Err`; the trainer computes that share itself, so the step
/// loses nothing, and the helpers leave a failed one out from the next step on.
pub trait GradientHelpers {
    /// Helpers that take a share in the next step.
    fn count(&self) -> usize;
    /// Hand `jobs[i]` to helper `i`, with the step's weights (flat, weights-file order).
    fn post(&mut self, weights: &[f32], jobs: &[ShareJob]);
    /// The gradients of the jobs last posted, in helper order.
    fn collect(&mut self) -> LocalBoxFuture<'_, Vec<Result<ShareGradient, ShareError>>>;
}

/// No helpers: the trainer's own single-share step.
pub struct NoHelpers;

impl GradientHelpers for NoHelpers {
    fn count(&self) -> usize {
        0
    }
    fn post(&mut self, _: &[f32], _: &[ShareJob]) {}
    fn collect(&mut self) -> LocalBoxFuture<'_, Vec<Result<ShareGradient, ShareError>>> {
        Box::pin(async { Vec::new() })
    }
}

/// Helpers computed on this thread, one after another, from the posted flat weights and jobs:
/// the same arithmetic a gradient worker does, for native tests and the CLI.
pub struct InlineHelpers {
    count: usize,
    posted: Option<(Vec<f32>, Vec<ShareJob>)>,
}

impl InlineHelpers {
    pub fn new(count: usize) -> Self {
        Self {
            count,
            posted: None,
        }
    }
}

impl GradientHelpers for InlineHelpers {
    fn count(&self) -> usize {
        self.count
    }
    fn post(&mut self, weights: &[f32], jobs: &[ShareJob]) {
        self.posted = Some((weights.to_vec(), jobs.to_vec()));
    }
    fn collect(&mut self) -> LocalBoxFuture<'_, Vec<Result<ShareGradient, ShareError>>> {
        let posted = self.posted.take();
        Box::pin(async move {
            let Some((weights, jobs)) = posted else {
                return Vec::new();
            };
            let mut out = Vec::with_capacity(jobs.len());
            for job in &jobs {
                out.push(job_gradient::<crate::vae::backend::CpuTrain>(&weights, job).await);
            }
            out
        })
    }
}

/// The rows of each of `shares` shares of a batch of `batch` images: contiguous, in order, the
/// first ones one image larger where it does not divide. Never more shares than images.
pub fn share_rows(batch: usize, shares: usize) -> Vec<Range<usize>> {
    let shares = shares.clamp(1, batch.max(1));
    let (base, extra) = (batch / shares, batch % shares);
    let mut start = 0;
    (0..shares)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let rows = start..start + len;
            start += len;
            rows
        })
        .collect()
}

/// Values in a model of `config`.
pub fn parameter_count(config: &VaeConfig) -> usize {
    tensor_layout(config)
        .iter()
        .map(|t| t.shape.iter().product::<usize>())
        .sum()
}

/// The model's weights, flat, in weights-file order.
pub async fn flat_weights<B: VaeBackend>(model: &Vae<B>) -> Result<Vec<f32>, ReadbackError> {
    flat_values(model, false).await
}

/// A model of `config` with the flat weights `flat` (weights-file order).
pub fn model_from_flat<B: Backend>(
    config: &VaeConfig,
    flat: &[f32],
    device: &B::Device,
) -> Result<Vae<B>, ShareError> {
    let expected = parameter_count(config);
    if flat.len() != expected {
        return Err(ShareError::Size {
            what: "the weights",
            got: flat.len(),
            expected,
        });
    }
    let (d, h, k) = (config.input_dim, config.hidden, config.latent);
    let mut at = 0;
    // Weight then bias, layer after layer: the order of `tensor_layout`.
    let mut layer = |d_in: usize, d_out: usize| {
        let weight = TensorData::new(flat[at..at + d_in * d_out].to_vec(), [d_in, d_out]);
        at += d_in * d_out;
        let bias = TensorData::new(flat[at..at + d_out].to_vec(), [d_out]);
        at += d_out;
        linear_from_data::<B>(weight, bias, device)
    };
    Ok(Vae {
        enc_hidden: layer(d, h),
        enc_mu: layer(h, k),
        enc_logvar: layer(h, k),
        dec_hidden: layer(k, h),
        dec_out: layer(h, d),
    })
}

/// The gradient of one share on `model`: its summed loss over the batch's size, differentiated.
pub async fn share_gradient<B: TrainBackend>(
    model: &Vae<B>,
    x: Tensor<B, 2>,
    eps: Tensor<B, 2>,
    spec: &ShareSpec,
) -> Result<ShareGradient, ReadbackError> {
    let out = model.forward(x.clone(), eps);
    let scale = 1.0 / spec.batch.max(1) as f64;
    let kl = kl_standard_normal(&out.posterior).sum().mul_scalar(scale);
    let recon = spec.likelihood.nll(out.logits, x).sum().mul_scalar(scale);
    let loss = recon.clone() + kl.clone().mul_scalar(spec.beta);
    let grads = GradientsParams::from_grads(loss.backward(), model);
    let mut gradient = Vec::with_capacity(parameter_count(&spec.config));
    for layer in model.layers() {
        append_gradient(&mut gradient, &grads, &layer.weight).await?;
        if let Some(bias) = &layer.bias {
            append_gradient(&mut gradient, &grads, bias).await?;
        }
    }
    let terms = read_f32(Tensor::cat(vec![kl.inner(), recon.inner()], 0)).await?;
    Ok(ShareGradient {
        gradient,
        kl: terms[0],
        recon: terms[1],
    })
}

/// The gradient of `param` appended to `out` (zeros if it had none: a parameter the loss does
/// not reach).
async fn append_gradient<B: TrainBackend, const D: usize>(
    out: &mut Vec<f32>,
    grads: &GradientsParams,
    param: &Param<Tensor<B, D>>,
) -> Result<(), ReadbackError> {
    match grads.get::<B::InnerBackend, D>(param.id) {
        Some(g) => append_f32(out, g).await,
        None => {
            out.resize(out.len() + param.shape().num_elements(), 0.0);
            Ok(())
        }
    }
}

/// What a gradient worker does: `job`'s gradient on a model built from the flat `weights`.
pub async fn job_gradient<B: TrainBackend>(
    weights: &[f32],
    job: &ShareJob,
) -> Result<ShareGradient, ShareError> {
    let spec = &job.spec;
    let device = B::Device::default();
    let (d, k) = (spec.config.input_dim, spec.config.latent);
    for (what, got, expected) in [
        ("the images", job.x.len(), spec.rows * d),
        ("the noise", job.eps.len(), spec.rows * k),
    ] {
        if got != expected {
            return Err(ShareError::Size {
                what,
                got,
                expected,
            });
        }
    }
    let model = model_from_flat::<B>(&spec.config, weights, &device)?;
    let x = Tensor::from_data(TensorData::new(job.x.clone(), [spec.rows, d]), &device);
    let eps = Tensor::from_data(TensorData::new(job.eps.clone(), [spec.rows, k]), &device);
    Ok(share_gradient(&model, x, eps, spec).await?)
}

/// `sum += part`, element by element: the one place shares are added, always in share order.
pub fn add_share(sum: &mut [f32], part: &[f32]) {
    for (s, p) in sum.iter_mut().zip(part) {
        *s += p;
    }
}

/// The flat gradient `flat` as Burn's gradients of `model`'s parameters, for the optimiser.
pub fn gradients_params<B: TrainBackend>(
    model: &Vae<B>,
    flat: &[f32],
    device: &B::Device,
) -> GradientsParams {
    let mut grads = GradientsParams::new();
    let mut at = 0;
    for layer in model.layers() {
        let [d_in, d_out] = layer.weight.dims();
        let n = d_in * d_out;
        let w = TensorData::new(flat[at..at + n].to_vec(), [d_in, d_out]);
        grads.register(
            layer.weight.id,
            Tensor::<B::InnerBackend, 2>::from_data(w, device),
        );
        at += n;
        if let Some(bias) = &layer.bias {
            let b = TensorData::new(flat[at..at + d_out].to_vec(), [d_out]);
            grads.register(bias.id, Tensor::<B::InnerBackend, 1>::from_data(b, device));
            at += d_out;
        }
    }
    grads
}
