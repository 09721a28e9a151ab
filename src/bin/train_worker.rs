//! The playground's train worker: a dedicated Web Worker (built by Trunk with
//! `data-type="worker"` and the `gpu` feature) whose runtime is
//! `vae_playground::web::train_worker`.

#[cfg(target_arch = "wasm32")]
fn main() {
    vae_playground::web::train_worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("train_worker runs in a browser Web Worker, started by the playground page.");
}
