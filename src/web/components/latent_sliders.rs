//! Two labelled range inputs for z1 and z2, with numeric read-outs.

use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The sliders' range (shared with links and the host API); the latent map shows the same square.
pub use crate::page::url_state::Z_LIMIT;

#[derive(Properties, PartialEq)]
pub struct LatentSlidersProps {
    pub z: [f64; 2],
    pub on_change: Callback<[f64; 2]>,
}

#[function_component(LatentSliders)]
pub fn latent_sliders(props: &LatentSlidersProps) -> Html {
    let slider = |axis: usize| {
        let z = props.z;
        let on_change = props.on_change.clone();
        let oninput = Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<f64>() {
                let mut next = z;
                next[axis] = v.clamp(-Z_LIMIT, Z_LIMIT);
                on_change.emit(next);
            }
        });
        let name = if axis == 0 { "z1" } else { "z2" };
        html! {
            <div class="slider-row">
                <label for={name}>{ if axis == 0 { "z₁" } else { "z₂" } }</label>
                <input type="range" id={name} data-testid={name} aria-label={format!("latent coordinate {name}")}
                    min={(-Z_LIMIT).to_string()} max={Z_LIMIT.to_string()} step="0.01"
                    value={format!("{:.2}", props.z[axis])} {oninput} />
                <output for={name} data-testid={format!("{name}-value")}>{ format!("{:+.2}", props.z[axis]) }</output>
            </div>
        }
    };
    html! {
        <div class="latent-sliders" role="group" aria-label="latent point z">
            { slider(0) }
            { slider(1) }
        </div>
    }
}
