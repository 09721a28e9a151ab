//! vae-playground: a 2-D latent variational autoencoder you can train and take apart.
//!
//! Layers, lowest first; each may import only those below it (ARCHITECTURE.md,
//! `scripts/check-layers.sh`). Everything but `web` is plain Rust with no browser types, so it
//! builds for x86_64 (tests, the `vae` command-line tool) and for wasm32.

pub mod analysis;
pub mod data;
pub mod page;
pub mod services;
pub mod vae;

#[cfg(target_arch = "wasm32")]
pub mod web;
