//! The VAE as a Burn module: an MLP encoder x -> (mu, logvar) and an MLP decoder z -> logits.

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::vae::dense::{dense, VaeBackend};
use crate::vae::elbo::Likelihood;
use crate::vae::rng::SeededRng;

/// Shape and initialisation of a [`Vae`].
#[derive(Config, Debug, PartialEq)]
pub struct VaeConfig {
    /// Pixels per image (28 x 28).
    #[config(default = "crate::data::PIXELS")]
    pub input_dim: usize,
    /// Width H of the single hidden layer in the encoder and in the decoder.
    #[config(default = 512)]
    pub hidden: usize,
    /// Latent dimensions k. The playground draws k = 2; the maths works for any k.
    #[config(default = 2)]
    pub latent: usize,
    /// Seed of the weight initialisation.
    #[config(default = 0)]
    pub seed: u64,
}

/// Encoder 784 -> H -> (mu, logvar), decoder k -> H -> 784 (Bernoulli logits / Gaussian mean
/// through a sigmoid).
#[derive(Module, Debug)]
pub struct Vae<B: Backend> {
    pub enc_hidden: Linear<B>,
    pub enc_mu: Linear<B>,
    pub enc_logvar: Linear<B>,
    pub dec_hidden: Linear<B>,
    pub dec_out: Linear<B>,
}

/// Parameters of q(z|x) = N(mu, diag(exp(logvar))) for each image of a batch.
#[derive(Debug, Clone)]
pub struct Posterior<B: Backend> {
    pub mu: Tensor<B, 2>,
    pub logvar: Tensor<B, 2>,
}

/// What one training forward pass produces.
#[derive(Debug, Clone)]
pub struct VaeOutput<B: Backend> {
    pub posterior: Posterior<B>,
    pub z: Tensor<B, 2>,
    pub logits: Tensor<B, 2>,
}

impl VaeConfig {
    /// A freshly initialised model. Weights are uniform, drawn from our own seeded generator so
    /// the same seed gives the same weights on every backend: He initialisation,
    /// U(-sqrt(6/fan_in), sqrt(6/fan_in)), for the layers followed by a ReLU, and PyTorch's
    /// default U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the output layers. Measured on the
    /// reference model, He init is worth about 1 nat of test -ELBO after 10 epochs.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Vae<B> {
        let mut rng = SeededRng::new(self.seed);
        let mut layer = |d_in: usize, d_out: usize, gain: f64| {
            seeded_linear(&mut rng, d_in, d_out, gain, device)
        };
        Vae {
            enc_hidden: layer(self.input_dim, self.hidden, HE_GAIN),
            enc_mu: layer(self.hidden, self.latent, 1.0),
            enc_logvar: layer(self.hidden, self.latent, 1.0),
            dec_hidden: layer(self.latent, self.hidden, HE_GAIN),
            dec_out: layer(self.hidden, self.input_dim, 1.0),
        }
    }
}

/// He (Kaiming) uniform gain relative to PyTorch's default bound, for ReLU layers.
const HE_GAIN: f64 = 2.449_489_742_783_178; // sqrt(6)

fn seeded_linear<B: Backend>(
    rng: &mut SeededRng,
    d_in: usize,
    d_out: usize,
    gain: f64,
    device: &B::Device,
) -> Linear<B> {
    let bound = gain / (d_in as f64).sqrt();
    let mut draw = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| ((rng.uniform() * 2.0 - 1.0) * bound) as f32)
            .collect()
    };
    let weight = TensorData::new(draw(d_in * d_out), [d_in, d_out]);
    let bias = TensorData::new(draw(d_out), [d_out]);
    linear_from_data(weight, bias, device)
}

/// A Linear layer with the given weight `[d_in, d_out]` and bias `[d_out]`. Built directly, not
/// through `LinearConfig::init`, whose random initialisation of weights about to be replaced
/// costs more than the rest of a gradient worker's step.
pub(crate) fn linear_from_data<B: Backend>(
    weight: TensorData,
    bias: TensorData,
    device: &B::Device,
) -> Linear<B> {
    Linear {
        weight: Param::from_tensor(Tensor::from_data(weight, device)),
        bias: Some(Param::from_tensor(Tensor::from_data(bias, device))),
    }
}

impl<B: Backend> Vae<B> {
    /// The architecture this model has, read off its weight shapes.
    pub fn config(&self, seed: u64) -> VaeConfig {
        let [input_dim, hidden] = self.enc_hidden.weight.dims();
        let [_, latent] = self.enc_mu.weight.dims();
        VaeConfig {
            input_dim,
            hidden,
            latent,
            seed,
        }
    }

    /// The five layers in weights-file order ([`crate::vae::weights`]).
    pub fn layers(&self) -> [&Linear<B>; 5] {
        [
            &self.enc_hidden,
            &self.enc_mu,
            &self.enc_logvar,
            &self.dec_hidden,
            &self.dec_out,
        ]
    }
}

impl<B: VaeBackend> Vae<B> {
    /// q(z|x) for a batch `x` of shape `[batch, 784]` with pixels in [0, 1].
    pub fn encode(&self, x: Tensor<B, 2>) -> Posterior<B> {
        let h = relu(dense(&self.enc_hidden, x));
        Posterior {
            mu: dense(&self.enc_mu, h.clone()),
            logvar: dense(&self.enc_logvar, h),
        }
    }

    /// Decoder logits for latent points `z` of shape `[n, k]`.
    pub fn decode_logits(&self, z: Tensor<B, 2>) -> Tensor<B, 2> {
        dense(&self.dec_out, relu(dense(&self.dec_hidden, z)))
    }

    /// Decoded images (pixel means in [0, 1]) for latent points `z`.
    pub fn decode(&self, z: Tensor<B, 2>) -> Tensor<B, 2> {
        sigmoid(self.decode_logits(z))
    }

    /// Encode, sample z = mu + sigma * eps (the reparameterisation trick), decode.
    /// `eps` has the shape of mu and holds standard normal noise.
    pub fn forward(&self, x: Tensor<B, 2>, eps: Tensor<B, 2>) -> VaeOutput<B> {
        let posterior = self.encode(x);
        let z = reparameterise(&posterior, eps);
        let logits = self.decode_logits(z.clone());
        VaeOutput {
            posterior,
            z,
            logits,
        }
    }
}

/// z = mu + exp(logvar / 2) * eps: a sample of q(z|x) through which gradients reach mu and logvar.
pub fn reparameterise<B: Backend>(posterior: &Posterior<B>, eps: Tensor<B, 2>) -> Tensor<B, 2> {
    posterior.mu.clone() + posterior.logvar.clone().mul_scalar(0.5).exp() * eps
}

/// The decoder as plain arrays, for one latent point at a time: what a slider step needs.
/// Burn's CPU matmul copies and packs the whole H x 784 weight on every call (about 0.5 ms of a
/// slider step in the browser); this computes the same sums directly. Only the summation order
/// differs, so pixels agree with [`Vae::decode`] to float rounding (a test checks).
#[derive(Debug, Clone, PartialEq)]
pub struct PointDecoder {
    /// `dec_hidden`: weight `[k, H]` row-major and bias `[H]`.
    w1: Vec<f32>,
    b1: Vec<f32>,
    /// `dec_out`: weight `[H, D]` row-major and bias `[D]`.
    w2: Vec<f32>,
    b2: Vec<f32>,
}

impl PointDecoder {
    /// Read the decoder's weights back from `model`.
    pub async fn from_model<B: Backend>(
        model: &Vae<B>,
    ) -> Result<Self, crate::vae::backend::ReadbackError> {
        use crate::vae::backend::read_f32;
        async fn bias<B: Backend>(
            layer: &Linear<B>,
        ) -> Result<Vec<f32>, crate::vae::backend::ReadbackError> {
            match &layer.bias {
                Some(b) => read_f32(b.val()).await,
                None => Ok(vec![0.0; layer.weight.dims()[1]]),
            }
        }
        Ok(Self {
            w1: read_f32(model.dec_hidden.weight.val()).await?,
            b1: bias(&model.dec_hidden).await?,
            w2: read_f32(model.dec_out.weight.val()).await?,
            b2: bias(&model.dec_out).await?,
        })
    }

    /// From the decoder's weights and biases as stored (`[k, H]`, `[H]`, `[H, D]`, `[D]`).
    pub fn from_arrays(w1: Vec<f32>, b1: Vec<f32>, w2: Vec<f32>, b2: Vec<f32>) -> Self {
        Self { w1, b1, w2, b2 }
    }

    /// The weights and biases, as [`PointDecoder::from_arrays`] takes them.
    pub fn arrays(&self) -> [&[f32]; 4] {
        [&self.w1, &self.b1, &self.w2, &self.b2]
    }

    /// Pixel probabilities sigmoid(logit) in [0, 1] at latent point `z` (its first k
    /// coordinates; missing ones are 0): the means of the Bernoulli and Gaussian decoders.
    pub fn decode(&self, z: &[f32]) -> Vec<f32> {
        self.logits(z)
            .iter()
            .map(|&l| 1.0 / (1.0 + (-l).exp()))
            .collect()
    }

    /// The decoder's mean image at `z` under `likelihood` (for the continuous Bernoulli, not the
    /// sigmoid of the logits).
    pub fn decode_mean(&self, z: &[f32], likelihood: Likelihood) -> Vec<f32> {
        match likelihood {
            Likelihood::ContinuousBernoulli => self
                .logits(z)
                .iter()
                .map(|&l| likelihood.mean_of_logit(l as f64) as f32)
                .collect(),
            _ => self.decode(z),
        }
    }

    /// The decoder's logits at `z`.
    fn logits(&self, z: &[f32]) -> Vec<f32> {
        let (hidden, pixels) = (self.b1.len(), self.b2.len());
        let mut h = self.b1.clone();
        for (zi, row) in z.iter().zip(self.w1.chunks_exact(hidden)) {
            for (hj, w) in h.iter_mut().zip(row) {
                *hj += zi * w;
            }
        }
        let mut logits = self.b2.clone();
        // out += relu(h_j) * row j of W2: contiguous rows, and ReLU's zeros skip whole rows.
        for (&hj, row) in h.iter().zip(self.w2.chunks_exact(pixels)) {
            if hj > 0.0 {
                for (o, w) in logits.iter_mut().zip(row) {
                    *o += hj * w;
                }
            }
        }
        logits
    }
}
