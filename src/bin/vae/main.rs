//! `vae`: train, evaluate and inspect playground models natively, on Burn's CPU backend.
//!
//! ```text
//! cargo run --release --bin vae -- train --dataset mnist --epochs 10 --out model.vaew
//! cargo run --release --bin vae -- eval --weights www/weights/mnist.vaew
//! cargo run --release --bin vae -- evidence --weights www/weights/mnist.vaew --index 0
//! cargo run --release --bin vae -- evidence --weights www/weights/mnist.vaew --all --gap-check
//! cargo run --release --bin vae -- evidence --weights www/weights/mnist.vaew --index 0 --gap-split
//! cargo run --release --bin vae -- evidence --weights www/weights/mnist.vaew --all --gap-split --count 1000
//! cargo run --release --bin vae -- inspect --weights www/weights/mnist.vaew --index 0
//! cargo run --release --bin vae -- dataset pack my-images/ -o set.vaed
//! cargo run --release --bin vae -- train --images my-images/ --epochs 50 --out model.vaew
//! ```

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod cli;
