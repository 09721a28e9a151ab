//! A matrix product for Burn's wgpu backend that is fast on software WebGPU adapters.
//!
//! Burn's own kernels tile through workgroup memory, which a CPU-backed adapter (SwiftShader,
//! the adapter a browser without a usable GPU offers) runs at about 0.4 GFLOP/s. The WGSL
//! kernel here keeps a 4 × 4 block per invocation in registers and runs at about 4 GFLOP/s
//! there. Shapes it does not cover (a dimension not a multiple of 4, batched or
//! non-float-32 tensors) go to Burn's matmul.

use burn::backend::wgpu::{
    into_contiguous, CubeTensor, KernelSource, SourceKernel, SourceTemplate, WgpuRuntime,
};
use burn::tensor::ops::FloatTensorOps;
use burn::tensor::{DType, Shape};
use cubecl::prelude::KernelId;
use cubecl::server::KernelArguments;
use cubecl::{CubeCount, CubeDim};

use crate::vae::backend::Gpu;
use crate::vae::dense::VaeBackend;
use crate::vae::gpu_limits::MATMUL_WORKGROUP;

/// The kernel for one shape (the sizes are compiled in, so each shape is its own pipeline).
#[derive(Debug)]
struct RegisterTiledMatmul {
    m: usize,
    k: usize,
    n: usize,
}

impl KernelSource for RegisterTiledMatmul {
    fn source(&self) -> SourceTemplate {
        SourceTemplate::new(include_str!("wgpu_matmul.wgsl"))
            .register("m4", (self.m / 4).to_string())
            .register("k4", (self.k / 4).to_string())
            .register("n4", (self.n / 4).to_string())
            .register("workgroup", MATMUL_WORKGROUP.to_string())
    }

    fn id(&self) -> KernelId {
        KernelId::new::<Self>().info((self.m, self.k, self.n))
    }
}

/// Workgroups for an `m × n` output: one invocation per 4 × 4 block.
fn workgroups(m: usize, n: usize) -> usize {
    ((m / 4) * (n / 4)).div_ceil(MATMUL_WORKGROUP as usize)
}

/// The sizes `(m, k, n)` of `lhs · rhs` if the kernel covers it: 2-D f32 operands whose sizes
/// are multiples of 4, in one dispatch's at most 65,535 workgroups.
fn covered(
    lhs: &CubeTensor<WgpuRuntime>,
    rhs: &CubeTensor<WgpuRuntime>,
) -> Option<(usize, usize, usize)> {
    let (a, b) = (lhs.meta.shape(), rhs.meta.shape());
    if a.num_dims() != 2 || b.num_dims() != 2 || lhs.dtype != DType::F32 || rhs.dtype != DType::F32
    {
        return None;
    }
    let (m, k, n) = (a[0], a[1], b[1]);
    let fits = b[0] == k && [m, k, n].iter().all(|&d| d > 0 && d % 4 == 0);
    (fits && workgroups(m, n) < 65_535).then_some((m, k, n))
}

impl VaeBackend for Gpu {
    fn dense_matmul(
        lhs: CubeTensor<WgpuRuntime>,
        rhs: CubeTensor<WgpuRuntime>,
    ) -> CubeTensor<WgpuRuntime> {
        let Some((m, k, n)) = covered(&lhs, &rhs) else {
            return Self::float_matmul(lhs, rhs);
        };
        // A transposed view (the backward pass makes them) is copied: about 1 % of the product.
        let lhs = into_contiguous(lhs);
        let rhs = into_contiguous(rhs);
        let client = lhs.client.clone();
        let out = CubeTensor::new_contiguous(
            client.clone(),
            lhs.device.clone(),
            Shape::new([m, n]),
            client.empty(m * n * std::mem::size_of::<f32>()),
            DType::F32,
        );
        let groups = workgroups(m, n) as u32;
        let kernel = SourceKernel::new(
            RegisterTiledMatmul { m, k, n },
            CubeDim::new_1d(MATMUL_WORKGROUP),
        );
        client.launch(
            Box::new(kernel),
            CubeCount::Static(groups, 1, 1),
            KernelArguments::new().with_buffers(vec![
                lhs.handle.binding(),
                rhs.handle.binding(),
                out.handle.clone().binding(),
            ]),
        );
        out
    }
}
