//! The concrete Burn backends the playground runs on.

use burn::backend::{Autodiff, NdArray};

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
