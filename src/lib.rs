//! vae-playground: a 2-D latent variational autoencoder you can train and take apart.
//!
//! The modules below the app are plain Rust over Burn tensors, with no browser types, so they
//! build for x86_64 (tests, the `vae` command-line tool) and for wasm32. See ARCHITECTURE.md.

pub mod backend;
pub mod compute;
pub mod data;
pub mod dense;
pub mod drawing;
pub mod elbo;
pub mod eval;
pub mod evidence;
pub mod host_api;
pub mod model;
pub mod optim;
pub mod rng;
pub mod session;
pub mod train;
pub mod train_service;
pub mod url_state;
pub mod weights;
#[cfg(feature = "gpu")]
mod wgpu_matmul;

#[cfg(target_arch = "wasm32")]
pub mod app;
