//! The model and its maths: the VAE itself, its loss, its optimiser, the Burn backends it runs
//! on (with our own matmul for WebGPU), its seeded randomness and its weights file.

pub mod backend;
pub mod cpu_kernels;
pub mod dense;
pub mod elbo;
pub mod gpu_limits;
pub mod kernel_choice;
pub mod model;
pub mod optim;
pub mod rng;
pub mod weights;
#[cfg(feature = "gpu")]
pub mod wgpu_matmul;
