//! Evaluation of a model on a whole split: the average -ELBO and its two parts.

use burn::tensor::{Tensor, TensorData};

use crate::data::Digits;
use crate::vae::backend::{read_f32, ReadbackError};
use crate::vae::dense::VaeBackend;
use crate::vae::elbo::{kl_standard_normal, ElboParts, Likelihood};
use crate::vae::model::Vae;
use crate::vae::rng::SeededRng;

/// Mean KL and reconstruction over every image of `data`, with one seeded z sample per image
/// (the same estimator as training, so train and test numbers compare).
pub async fn evaluate<B: VaeBackend>(
    model: &Vae<B>,
    data: &Digits,
    likelihood: Likelihood,
    seed: u64,
    device: &B::Device,
) -> Result<ElboParts, ReadbackError> {
    const BATCH: usize = 1000;
    let mut rng = SeededRng::new(seed);
    let (mut kl, mut recon) = (0.0, 0.0);
    let indices: Vec<usize> = (0..data.len()).collect();
    let k = model.enc_mu.weight.dims()[1];
    for chunk in indices.chunks(BATCH) {
        let x = data.batch::<B>(chunk, device);
        let eps = Tensor::from_data(
            TensorData::new(rng.normals(chunk.len() * k), [chunk.len(), k]),
            device,
        );
        let out = model.forward(x.clone(), eps);
        let kl_sum = kl_standard_normal(&out.posterior).sum();
        let recon_sum = likelihood.nll(out.logits, x).sum();
        let sums = read_f32(Tensor::cat(vec![kl_sum, recon_sum], 0)).await?;
        kl += sums[0] as f64;
        recon += sums[1] as f64;
    }
    let n = data.len().max(1) as f64;
    Ok(ElboParts {
        kl: kl / n,
        recon: recon / n,
    })
}

/// The mean of q(z|x) for each image of `data`: the points of the latent map.
pub async fn encode_means<B: VaeBackend>(
    model: &Vae<B>,
    data: &Digits,
    device: &B::Device,
) -> Result<Vec<f32>, ReadbackError> {
    let mut out = Vec::with_capacity(data.len() * 2);
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(2000) {
        out.extend(read_f32(model.encode(data.batch::<B>(chunk, device)).mu).await?);
    }
    Ok(out)
}
