//! Adam that never computes on subnormal floats.
//!
//! x86 computes f32 subnormals tens of times slower than normal floats, and wasm cannot turn on
//! flush-to-zero, so a long run on the page slowed down as more of Adam's state went subnormal.
//! Two sources, both flushed to zero here:
//! - a first-layer weight whose pixel is blank in a batch gets a zero gradient, so its first
//!   moment shrinks by beta_1 = 0.9 every step through the subnormal range (6% of the moments
//!   after 3,000 steps);
//! - gradients of 1e-20 or so (pixels the decoder is sure are blank) square into subnormal
//!   second moments at once.
//!
//! Values this small move no weight (the step they give is below f32 resolution), so setting
//! them to zero changes nothing but the speed.

use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, AdamState, LearningRate, SimpleOptimizer};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use crate::vae::dense::{TrainBackend, VaeBackend};
use crate::vae::model::Vae;

/// Moments below this magnitude are set to zero. A first moment at this size needs about 175
/// steps of decay by 0.9 to become subnormal (below 1.18e-38), far more than [`FLUSH_EVERY`].
pub const TINY_MOMENT: f32 = 1e-30;

/// Gradients below this magnitude count as zero. Adam squares them into its second moment
/// (times 1 - beta_2 = 1e-3), so anything smaller than about 1e-17 would land there as a
/// subnormal; a gradient of 1e-15 moves a weight by lr * 1e-15 / epsilon = 1e-10 at most.
pub const TINY_GRADIENT: f32 = 1e-15;

/// Steps between flushes: often enough that no decaying moment reaches the subnormal range,
/// rarely enough that the extra pass costs nothing measurable.
pub const FLUSH_EVERY: usize = 64;

/// Burn's Adam, whose moments are flushed to zero below [`TINY_MOMENT`] every
/// [`FLUSH_EVERY`] steps. Each backend takes the step its own way ([`VaeBackend::adam_step`]):
/// Burn's tensor operations ([`tensor_adam_step`]), or on the CPU one fused pass.
#[derive(Clone)]
pub struct FlushingAdam {
    settings: AdamSettings,
    adam: Adam,
}

/// Adam's constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamSettings {
    pub beta_1: f32,
    pub beta_2: f32,
    pub epsilon: f32,
}

impl AdamSettings {
    /// PyTorch's defaults (Burn's epsilon is 1e-5), so the reference comparison is like for like.
    pub const PYTORCH: Self = Self {
        beta_1: 0.9,
        beta_2: 0.999,
        epsilon: 1e-8,
    };

    /// Burn's Adam with these constants.
    pub fn burn_config(&self) -> AdamConfig {
        AdamConfig::new()
            .with_beta_1(self.beta_1)
            .with_beta_2(self.beta_2)
            .with_epsilon(self.epsilon)
    }
}

impl FlushingAdam {
    pub fn new(settings: AdamSettings) -> Self {
        Self {
            settings,
            adam: settings.burn_config().build(),
        }
    }

    pub fn settings(&self) -> &AdamSettings {
        &self.settings
    }
}

impl<B: VaeBackend> SimpleOptimizer<B> for FlushingAdam {
    type State<const D: usize> = AdamState<B, D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<B, D>,
        grad: Tensor<B, D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<B, D>, Option<Self::State<D>>) {
        B::adam_step(self, lr, tensor, grad, state)
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &B::Device) -> Self::State<D> {
        <Adam as SimpleOptimizer<B>>::to_device(state, device)
    }
}

/// A step of [`FlushingAdam`] in Burn's tensor operations: the gradient flushed, Burn's Adam,
/// the moments flushed on every [`FLUSH_EVERY`]th step.
pub fn tensor_adam_step<B: Backend, const D: usize>(
    adam: &FlushingAdam,
    lr: LearningRate,
    tensor: Tensor<B, D>,
    grad: Tensor<B, D>,
    state: Option<AdamState<B, D>>,
) -> (Tensor<B, D>, Option<AdamState<B, D>>) {
    // Squaring a gradient below TINY_GRADIENT would make a subnormal second moment.
    let grad = flush_below(grad, TINY_GRADIENT);
    let (tensor, state) = adam.adam.step(lr, tensor, grad, state);
    let state = state.map(|mut s| {
        if s.momentum.time % FLUSH_EVERY == 0 {
            s.momentum.moment_1 = flush_below(s.momentum.moment_1, TINY_MOMENT);
            s.momentum.moment_2 = flush_below(s.momentum.moment_2, TINY_MOMENT);
        }
        s
    });
    (tensor, state)
}

/// `t` with every element of magnitude below `limit` set to 0.
pub fn flush_below<B: Backend, const D: usize>(t: Tensor<B, D>, limit: f32) -> Tensor<B, D> {
    let tiny = t.clone().abs().lower_elem(limit);
    t.mask_fill(tiny, 0.0)
}

/// The optimiser every trainer uses.
pub type VaeOptimizer<B> = OptimizerAdaptor<FlushingAdam, Vae<B>, B>;

/// Adam with PyTorch's constants, flushing.
pub fn adam<B: TrainBackend>() -> VaeOptimizer<B> {
    OptimizerAdaptor::from(FlushingAdam::new(AdamSettings::PYTORCH))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vae::backend::Cpu;
    use burn::tensor::TensorData;

    fn subnormals(t: &Tensor<Cpu, 1>) -> usize {
        t.to_data()
            .to_vec::<f32>()
            .map(|v| v.iter().filter(|x| x.is_subnormal()).count())
            .unwrap_or(usize::MAX)
    }

    /// One gradient, then zeros: plain Adam's first moment decays into the subnormal range,
    /// the flushing one's never does, and both move the weight the same.
    #[test]
    fn decaying_moments_never_become_subnormal() {
        let device = Default::default();
        let plain = AdamSettings::PYTORCH.burn_config().build();
        let flushing = FlushingAdam::new(AdamSettings::PYTORCH);
        let w0 = Tensor::<Cpu, 1>::from_data(TensorData::from([0.5f32, -0.25]), &device);
        let zero = Tensor::<Cpu, 1>::zeros([2], &device);
        let first = Tensor::<Cpu, 1>::from_data(TensorData::from([1e-3f32, -2e-3]), &device);
        let (mut wp, mut sp) = plain.step(1e-3, w0.clone(), first.clone(), None);
        let (mut wf, mut sf) = flushing.step(1e-3, w0, first, None);
        let mut plain_went_subnormal = false;
        for _ in 1..900 {
            (wp, sp) = plain.step(1e-3, wp, zero.clone(), sp);
            (wf, sf) = flushing.step(1e-3, wf, zero.clone(), sf);
            let p = sp.as_ref().map(|s| subnormals(&s.momentum.moment_1));
            let f = sf.as_ref().map(|s| subnormals(&s.momentum.moment_1));
            plain_went_subnormal |= p.unwrap_or(0) > 0;
            assert_eq!(f, Some(0), "the flushing Adam kept a subnormal moment");
        }
        assert!(
            plain_went_subnormal,
            "the test no longer provokes subnormals"
        );
        assert_eq!(
            wp.to_data().to_vec::<f32>().ok(),
            wf.to_data().to_vec::<f32>().ok(),
            "flushing changed the weights"
        );
    }

    /// A tiny gradient squared into the second moment would be subnormal at once.
    #[test]
    fn tiny_gradients_leave_no_subnormal_second_moment() {
        let device = Default::default();
        let config = AdamSettings::PYTORCH.burn_config();
        let w = Tensor::<Cpu, 1>::from_data(TensorData::from([0.5f32, -0.25]), &device);
        let g = Tensor::<Cpu, 1>::from_data(TensorData::from([1e-20f32, 1e-3]), &device);
        let (_, plain) = config.build().step(1e-3, w.clone(), g.clone(), None);
        let (_, flushing) = FlushingAdam::new(AdamSettings::PYTORCH).step(1e-3, w, g, None);
        let second = |s: Option<AdamState<Cpu, 1>>| s.map(|s| subnormals(&s.momentum.moment_2));
        assert_eq!(
            second(plain),
            Some(1),
            "the test no longer provokes a subnormal"
        );
        assert_eq!(second(flushing), Some(0));
    }
}
