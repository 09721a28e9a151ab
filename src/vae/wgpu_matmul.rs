//! A matrix product for Burn's wgpu backend that is fast on software WebGPU adapters.
//!
//! Burn's own kernels tile through workgroup memory, which a CPU-backed adapter (SwiftShader,
//! the adapter a browser without a usable GPU offers) runs at about 0.4 GFLOP/s. The WGSL
//! kernel here keeps a 4 × 4 block per invocation in registers and runs at about 4 GFLOP/s
//! there. Shapes it does not cover (a dimension not a multiple of 4, batched or
//! non-float-32 tensors) go to Burn's matmul, and so does every product the kernel table in use
//! gives to Burn's ([`use_kernels`]; [`measure`] times both to make one).

use std::cell::{Cell, RefCell};

use burn::backend::wgpu::{
    into_contiguous, CubeTensor, KernelSource, SourceKernel, SourceTemplate, WgpuRuntime,
};
use burn::tensor::ops::FloatTensorOps;
use burn::tensor::{DType, Shape, Tensor, TensorPrimitive};
use cubecl::prelude::KernelId;
use cubecl::server::KernelArguments;
use cubecl::{CubeCount, CubeDim};

use crate::vae::backend::{read_f32, Gpu, ReadbackError};
use crate::vae::dense::VaeBackend;
use crate::vae::gpu_limits::MATMUL_WORKGROUP;
use crate::vae::kernel_choice::{Kernel, KernelTable, Measurement, Product};

// The kernels in use. Per thread, because Burn's backend trait has no state of its own to keep
// them in, and a browser worker trains on one thread (natively, each test has its own).
thread_local! {
    static KERNELS: RefCell<KernelTable> = RefCell::new(KernelTable::default());
    static RUN: Cell<[u64; 2]> = const { Cell::new([0; 2]) };
    static COMPILED: RefCell<Vec<(Product, Kernel)>> = const { RefCell::new(Vec::new()) };
}

/// Run the products on these kernels from now on (on this thread).
pub fn use_kernels(table: KernelTable) {
    KERNELS.with(|k| *k.borrow_mut() = table);
}

/// Products that went to (ours, Burn's) on this thread since it started, counting only those
/// ours covers: what a test checks the choice against.
pub fn products_run() -> (u64, u64) {
    let [ours, burn] = RUN.with(Cell::get);
    (ours, burn)
}

fn count(kernel: Kernel) {
    RUN.with(|c| {
        let mut n = c.get();
        n[kernel as usize] += 1;
        c.set(n);
    });
}

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
        let kernel = KERNELS.with(|t| t.borrow().kernel(Product::new(m, k, n)));
        count(kernel);
        match kernel {
            Kernel::Burn => Self::float_matmul(lhs, rhs),
            Kernel::Ours => ours(lhs, rhs, m, k, n),
        }
    }
}

/// Our kernel on `lhs (m × k) · rhs (k × n)`, which [`covered`] said it covers.
fn ours(
    lhs: CubeTensor<WgpuRuntime>,
    rhs: CubeTensor<WgpuRuntime>,
    m: usize,
    k: usize,
    n: usize,
) -> CubeTensor<WgpuRuntime> {
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

/// Have the GPU compile each kernel on its product, by running it once on the default device,
/// unless this thread did so before. Returns at once: the compiling (seconds for Burn's kernel
/// on SwiftShader, in the browser's GPU process) goes on meanwhile, and work queued after it
/// waits for it.
pub fn compile(pairs: &[(Product, Kernel)]) {
    let device = Default::default();
    let mut launched = false;
    for &(p, kernel) in pairs {
        if COMPILED.with(|c| c.borrow().contains(&(p, kernel))) {
            continue;
        }
        let lhs = Tensor::<Gpu, 2>::empty([p.m, p.k], &device)
            .into_primitive()
            .tensor();
        let rhs = Tensor::<Gpu, 2>::empty([p.k, p.n], &device)
            .into_primitive()
            .tensor();
        launched = true;
        match kernel {
            Kernel::Ours => ours(lhs, rhs, p.m, p.k, p.n),
            Kernel::Burn => Gpu::float_matmul(lhs, rhs),
        };
        COMPILED.with(|c| c.borrow_mut().push((p, kernel)));
    }
    if launched {
        flush();
    }
}

/// Submit what is queued on the default device now, not with the next read-back.
pub fn flush() {
    let probe = Tensor::<Gpu, 1>::empty([1], &Default::default())
        .into_primitive()
        .tensor();
    let _ = probe.client.flush();
}

/// The kernels [`compile`] had compiled on this thread, in order.
pub fn compiled() -> Vec<(Product, Kernel)> {
    COMPILED.with(|c| c.borrow().clone())
}

/// Time both kernels on `products` within `budget_ms` (see [`Measurement`]), on the default
/// device; `clock` gives seconds. The first product's kernels are compiled first, and the wait
/// for them is kept apart (`compile_ms`). Operands are made and on the device before a run's
/// clock starts, and a run ends when its last product is read back.
pub async fn measure(
    products: Vec<Product>,
    budget_ms: f64,
    clock: fn() -> f64,
) -> Result<Measurement, ReadbackError> {
    let device = Default::default();
    let mut measurement = Measurement::new(products.clone(), budget_ms);
    let started = clock();
    if let Some(&first) = products.first() {
        compile(&Kernel::BOTH.map(|k| (first, k)));
    }
    // A read-back waits for everything queued before it, the compiling included.
    read_f32(Tensor::<Gpu, 1>::zeros([1], &device)).await?;
    measurement.compile_ms = (clock() - started) * 1000.0;
    let mut operands: Vec<(Product, Tensor<Gpu, 2>, Tensor<Gpu, 2>)> = Vec::new();
    while let Some(run) = measurement.next_run() {
        let p = run.product;
        let (lhs, rhs) = match operands.iter().find(|(q, _, _)| *q == p) {
            Some((_, lhs, rhs)) => (lhs.clone(), rhs.clone()),
            None => {
                let lhs = Tensor::<Gpu, 2>::ones([p.m, p.k], &device);
                let rhs = Tensor::<Gpu, 2>::ones([p.k, p.n], &device);
                read_f32(lhs.clone().slice([0..1, 0..1])).await?;
                read_f32(rhs.clone().slice([0..1, 0..1])).await?;
                operands.push((p, lhs.clone(), rhs.clone()));
                (lhs, rhs)
            }
        };
        let started = clock();
        let mut last = None;
        for _ in 0..run.reps {
            let (l, r) = (
                lhs.clone().into_primitive().tensor(),
                rhs.clone().into_primitive().tensor(),
            );
            let out = match run.kernel {
                Kernel::Ours => ours(l, r, p.m, p.k, p.n),
                Kernel::Burn => Gpu::float_matmul(l, r),
            };
            last = Some(Tensor::<Gpu, 2>::from_primitive(TensorPrimitive::Float(
                out,
            )));
        }
        if let Some(out) = last {
            read_f32(out.slice([0..1, 0..1])).await?;
        }
        measurement.record(run, (clock() - started) * 1000.0);
    }
    Ok(measurement)
}
