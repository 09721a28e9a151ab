//! A small 28x28 image (an input, a reconstruction, a sample), optionally clickable.

use std::rc::Rc;

use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::decoded_image::paint_grey;

#[derive(Properties, PartialEq)]
pub struct ThumbProps {
    /// `data::PIXELS` grey levels in [0, 1].
    pub pixels: Rc<Vec<f32>>,
    pub label: AttrValue,
    #[prop_or_default]
    pub testid: AttrValue,
    /// When set, the thumb is a button.
    #[prop_or_default]
    pub on_click: Option<Callback<()>>,
}

#[function_component(Thumb)]
pub fn thumb(props: &ThumbProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        use_effect_with(props.pixels.clone(), move |pixels| {
            if let Some(canvas) = canvas.cast::<HtmlCanvasElement>() {
                paint_grey(&canvas, pixels);
            }
        });
    }
    let image = html! {
        <canvas ref={canvas} class="thumb" width="28" height="28" role="img" aria-label={props.label.clone()}
            data-testid={(!props.testid.is_empty()).then(|| props.testid.clone())} />
    };
    match &props.on_click {
        Some(on_click) => {
            let on_click = on_click.clone();
            html! {
                <button class="thumb-button" title={props.label.clone()} aria-label={props.label.clone()}
                    onclick={Callback::from(move |_| on_click.emit(()))}>{ image }</button>
            }
        }
        None => image,
    }
}
