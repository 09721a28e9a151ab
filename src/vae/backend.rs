//! The concrete Burn backends the playground runs on.

use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Tensor, TensorPrimitive};

use crate::vae::dense::VaeBackend;

/// Burn's CPU backend (ndarray), available everywhere.
pub type Cpu = NdArray<f32>;
/// The CPU backend with automatic differentiation, for training.
pub type CpuTrain = Autodiff<Cpu>;

/// Burn's wgpu backend: WebGPU in the browser, Vulkan/Metal/DX12 natively.
#[cfg(feature = "gpu")]
pub type Gpu = burn::backend::Wgpu<f32, i32>;
/// The wgpu backend with automatic differentiation, for training.
#[cfg(feature = "gpu")]
pub type GpuTrain = Autodiff<Gpu>;

/// Reading a tensor back from the device failed (e.g. the GPU device was lost).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("reading results back from the device failed: {0}")]
pub struct ReadbackError(String);

/// `t`'s values appended to `out`: straight from host memory on the CPU, else read back from
/// a fresh copy. (Burn's CPU backend reads a tensor that is still shared, a parameter or a kept
/// gradient, element by element through a dynamic-rank iterator: about 25 ms for the 3.2 MB of
/// the reference model's weights, measured natively, more than a whole training step; a copy,
/// `× 1`, exact, is read as one block.)
pub async fn append_f32<B: VaeBackend, const D: usize>(
    out: &mut Vec<f32>,
    t: Tensor<B, D>,
) -> Result<(), ReadbackError> {
    let t = t.into_primitive().tensor();
    if !B::append_host_values(out, &t) {
        let t = Tensor::<B, D>::from_primitive(TensorPrimitive::Float(t));
        out.extend(read_f32(t.mul_scalar(1.0)).await?);
    }
    Ok(())
}

/// Read a float tensor back to the host, asynchronously (synchronous reads panic on wasm).
pub async fn read_f32<B: burn::tensor::backend::Backend, const D: usize>(
    tensor: burn::tensor::Tensor<B, D>,
) -> Result<Vec<f32>, ReadbackError> {
    let data = tensor
        .into_data_async()
        .await
        .map_err(|e| ReadbackError(format!("{e:?}")))?;
    data.convert::<f32>()
        .into_vec::<f32>()
        .map_err(|e| ReadbackError(format!("{e:?}")))
}
