//! The decoder's output for the current z, drawn pixel-crisp.

use std::rc::Rc;

use wasm_bindgen::Clamped;
use web_sys::{HtmlCanvasElement, ImageData};
use yew::prelude::*;

use crate::data::PIXELS;

#[derive(Properties, PartialEq)]
pub struct DecodedImageProps {
    /// `data::PIXELS` grey levels in [0, 1], or empty before the first decode.
    pub pixels: Rc<Vec<f32>>,
    #[prop_or_default]
    pub label: AttrValue,
}

#[function_component(DecodedImage)]
pub fn decoded_image(props: &DecodedImageProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(props.pixels.clone(), move |pixels| {
            if let Some(canvas) = canvas.cast::<HtmlCanvasElement>() {
                paint_grey(&canvas, pixels);
            }
        });
    }
    html! {
        <canvas ref={canvas} class="decoded" data-testid="decoded" width="28" height="28"
            role="img" aria-label={if props.label.is_empty() { AttrValue::from("decoded image") } else { props.label.clone() }} />
    }
}

/// Ink is dark on a light background, as on paper.
pub fn paint_grey(canvas: &HtmlCanvasElement, pixels: &[f32]) {
    if pixels.len() != PIXELS {
        return;
    }
    let Some(ctx) = super::context_2d(canvas) else {
        return;
    };
    let mut rgba = vec![255u8; PIXELS * 4];
    for (i, &p) in pixels.iter().enumerate() {
        let v = 255 - (p.clamp(0.0, 1.0) * 255.0).round() as u8;
        rgba[i * 4] = v;
        rgba[i * 4 + 1] = v;
        rgba[i * 4 + 2] = v;
    }
    if let Ok(image) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), 28, 28) {
        let _ = ctx.put_image_data(&image, 0.0, 0.0);
    }
}
