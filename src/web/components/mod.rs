//! Small components for what the page draws (canvases, inputs); the state they show lives in
//! `crate::page`.

use std::rc::Rc;

pub mod bound_bar;
pub mod chart_scale;
pub mod decoded_image;
pub mod digit_pad;
pub mod latent_map;
pub mod latent_sliders;
pub mod loss_chart;
pub mod number_field;
pub mod thumb;

pub use bound_bar::BoundBar;
pub use decoded_image::DecodedImage;
pub use digit_pad::DigitPad;
pub use latent_map::{LatentMap, MapOverlay};
pub use latent_sliders::LatentSliders;
pub use loss_chart::{ChartRun, LossChart};
pub use number_field::NumberField;
pub use thumb::Thumb;

/// Shared data in props compares by identity: the page makes a new `Rc` whenever the data
/// changes, and comparing thousands of values on every render (each slider step) would cost more
/// than it saves.
pub fn same_rc<T>(a: Option<&Rc<T>>, b: Option<&Rc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Rc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// The 2-D drawing context of a canvas, if the browser gives one.
pub fn context_2d(
    canvas: &web_sys::HtmlCanvasElement,
) -> Option<web_sys::CanvasRenderingContext2d> {
    use wasm_bindgen::JsCast;
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}
