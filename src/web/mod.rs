//! The only folder that knows the browser (wasm only): the page's Yew component and its views,
//! the page's side of its two workers and the workers' own runtimes, fetches of the site's
//! files, and small JS glue. The page's logic lives in `crate::page`, as plain Rust.

pub mod app;
pub mod assets;
mod browser;
pub mod components;
mod compute_client;
pub mod compute_worker;
pub mod envelope;
mod explain;
pub mod fetch;
mod gpu;
mod gradient_workers;
pub mod train_worker;
mod views;
mod worker;
pub mod worker_scope;

/// Start the page.
pub fn start() {
    yew::Renderer::<app::App>::new().render();
}
