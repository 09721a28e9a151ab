//! Rust faces for `js/explain.js`: explanations as descriptions and popovers, the tour's
//! spotlight, and whether this browser has done the tour.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/js/explain.js")]
extern "C" {
    /// Describe every explained element (now and as the page changes) and show the popovers.
    #[wasm_bindgen(js_name = startExplaining)]
    pub fn start_explaining();
    #[wasm_bindgen(js_name = tourDone)]
    pub fn tour_done() -> bool;
    #[wasm_bindgen(js_name = setTourDone)]
    pub fn set_tour_done();
    /// Mark `target` (a `data-testid`, or "" for none) and focus the tour's Next button while
    /// `running`, else the Tour button.
    pub fn spotlight(target: &str, running: bool);
}
