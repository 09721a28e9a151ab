//! The dense layers' matrix product, which a backend may replace with a kernel of its own.
//!
//! Burn's wgpu matmul runs at about 0.4 GFLOP/s on a software WebGPU adapter (SwiftShader);
//! `wgpu_matmul` has one that runs at about 4 there. Everything else uses Burn's matmul. The
//! model calls [`dense`] for its layers, so training, evaluation and decoding all get it.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::NodeId;
use burn::backend::Autodiff;
use burn::nn::Linear;
use burn::optim::{AdamState, LearningRate};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorPrimitive};

use crate::vae::optim::{tensor_adam_step, FlushingAdam};

/// A backend the VAE runs on: Burn's, plus the two operations a backend may do its own way:
/// the matrix product of the dense layers and the optimiser's step.
pub trait VaeBackend: Backend {
    /// `lhs · rhs` for 2-D float tensors. Burn's matmul unless a backend has a better one.
    fn dense_matmul(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::float_matmul(lhs, rhs)
    }

    /// One step of `adam` on one parameter. Burn's tensor operations unless a backend fuses
    /// them (the CPU's, `cpu_kernels`).
    fn adam_step<const D: usize>(
        adam: &FlushingAdam,
        lr: LearningRate,
        param: Tensor<Self, D>,
        grad: Tensor<Self, D>,
        state: Option<AdamState<Self, D>>,
    ) -> (Tensor<Self, D>, Option<AdamState<Self, D>>) {
        tensor_adam_step(adam, lr, param, grad, state)
    }

    /// `t`'s values appended to `out` at once, where the backend keeps them in host memory
    /// (`true`); `false` where they must be read back (`backend::read_f32`).
    fn append_host_values(_out: &mut Vec<f32>, _t: &FloatTensor<Self>) -> bool {
        false
    }
}

/// A backend the VAE trains on: autodiff over a [`VaeBackend`], itself one.
pub trait TrainBackend: AutodiffBackend<InnerBackend: VaeBackend> + VaeBackend {}

impl<B> TrainBackend for B
where
    B: AutodiffBackend + VaeBackend,
    B::InnerBackend: VaeBackend,
{
}

/// Autodiff over the inner backend's product: both gradients are products again, so they use
/// the inner backend's kernel too.
impl<B: VaeBackend, C: CheckpointStrategy> VaeBackend for Autodiff<B, C> {
    fn append_host_values(out: &mut Vec<f32>, t: &FloatTensor<Self>) -> bool {
        B::append_host_values(out, &t.primitive)
    }

    fn dense_matmul(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct DenseMatmul;

        impl<B: VaeBackend> Backward<B, 2> for DenseMatmul {
            /// The operands, each kept only when the other one's gradient needs it.
            type State = (Option<NodeId>, Option<NodeId>);

            fn backward(
                self,
                ops: Ops<Self::State, 2>,
                grads: &mut Gradients,
                checkpointer: &mut Checkpointer,
            ) {
                let [lhs_node, rhs_node] = ops.parents;
                let grad = grads.consume::<B>(&ops.node);
                let (lhs, rhs) = ops.state;
                let lhs: Option<FloatTensor<B>> =
                    lhs.map(|id| checkpointer.retrieve_node_output(id));
                let rhs: Option<FloatTensor<B>> =
                    rhs.map(|id| checkpointer.retrieve_node_output(id));
                // d(lhs) = grad · rhsᵀ, d(rhs) = lhsᵀ · grad.
                if let (Some(node), Some(rhs)) = (lhs_node, rhs) {
                    let g = B::dense_matmul(grad.clone(), B::float_transpose(rhs));
                    grads.register::<B>(node.id, g);
                }
                if let (Some(node), Some(lhs)) = (rhs_node, lhs) {
                    let g = B::dense_matmul(B::float_transpose(lhs), grad);
                    grads.register::<B>(node.id, g);
                }
            }
        }

        let (lhs_tracked, rhs_tracked) = (lhs.is_tracked(), rhs.is_tracked());
        match DenseMatmul
            .prepare::<C>([lhs.node.clone(), rhs.node.clone()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let lhs_state = rhs_tracked.then(|| prep.checkpoint(&lhs));
                let rhs_state = lhs_tracked.then(|| prep.checkpoint(&rhs));
                let out = B::dense_matmul(lhs.primitive, rhs.primitive);
                prep.finish((lhs_state, rhs_state), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::dense_matmul(lhs.primitive, rhs.primitive)),
        }
    }
}

/// `layer(x) = x · W + b` with the backend's dense product; the same maths as Burn's
/// `Linear::forward` for 2-D inputs.
pub fn dense<B: VaeBackend>(layer: &Linear<B>, x: Tensor<B, 2>) -> Tensor<B, 2> {
    let product = B::dense_matmul(
        x.into_primitive().tensor(),
        layer.weight.val().into_primitive().tensor(),
    );
    let y = Tensor::<B, 2>::from_primitive(TensorPrimitive::Float(product));
    match &layer.bias {
        Some(bias) => y + bias.val().unsqueeze_dim(0),
        None => y,
    }
}
