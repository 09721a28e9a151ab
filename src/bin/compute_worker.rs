//! The playground's compute worker: a dedicated Web Worker (built by Trunk with
//! `data-type="worker"`) whose runtime is `vae_playground::web::compute_worker`.

#[cfg(target_arch = "wasm32")]
fn main() {
    vae_playground::web::compute_worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("compute_worker runs in a browser Web Worker, started by the playground page.");
}
