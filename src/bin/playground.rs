//! The web page's entry point, built by Trunk for wasm32 (see index.html).

#[cfg(target_arch = "wasm32")]
fn main() {
    vae_playground::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The playground runs in the browser: see the README (scripts/serve.sh).");
}
