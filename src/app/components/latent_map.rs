//! The 2-D latent space: encoded means of test images coloured by class, and the current z as a
//! marker that follows the sliders. Click or drag anywhere to move z there.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

use super::latent_sliders::Z_LIMIT;

/// Colour-blind-friendly categorical palette (Tableau 10), one colour per class; `www/style.css`
/// repeats them for the legend (`.swatch.class-N`), since inline styles are outside the CSP.
pub const CLASS_COLOURS: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

const SIZE: f64 = 360.0;

#[derive(Properties, PartialEq)]
pub struct LatentMapProps {
    /// (z1, z2) pairs of encoded test means.
    pub means: Rc<Vec<f32>>,
    pub labels: Rc<Vec<u8>>,
    pub class_names: [&'static str; 10],
    pub z: [f64; 2],
    pub on_pick: Callback<[f64; 2]>,
}

fn to_px(v: f64) -> f64 {
    (v + Z_LIMIT) / (2.0 * Z_LIMIT) * SIZE
}

#[function_component(LatentMap)]
pub fn latent_map(props: &LatentMapProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        let deps = (props.means.clone(), props.labels.clone(), props.z);
        use_effect_with(deps, move |(means, labels, z)| {
            if let Some(canvas) = canvas.cast::<HtmlCanvasElement>() {
                draw(&canvas, means, labels, *z);
            }
        });
    }
    let pick = {
        let on_pick = props.on_pick.clone();
        move |e: &PointerEvent| {
            let Some(target) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            else {
                return;
            };
            let rect = target.get_bounding_client_rect();
            if rect.width() <= 0.0 || rect.height() <= 0.0 {
                return;
            }
            let fx = (e.client_x() as f64 - rect.left()) / rect.width();
            let fy = (e.client_y() as f64 - rect.top()) / rect.height();
            let z1 = (fx * 2.0 - 1.0) * Z_LIMIT;
            let z2 = (1.0 - fy * 2.0) * Z_LIMIT;
            on_pick.emit([z1.clamp(-Z_LIMIT, Z_LIMIT), z2.clamp(-Z_LIMIT, Z_LIMIT)]);
        }
    };
    let onpointerdown = {
        let pick = pick.clone();
        Callback::from(move |e: PointerEvent| {
            if let Some(el) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            pick(&e);
        })
    };
    let onpointermove = Callback::from(move |e: PointerEvent| {
        if e.buttons() & 1 == 1 {
            pick(&e);
        }
    });
    let legend = props.class_names.iter().enumerate().map(|(i, name)| {
        html! {
            <li><span class={format!("swatch class-{i}")}></span>{ *name }</li>
        }
    });
    html! {
        <figure class="latent-map">
            <canvas ref={canvas} data-testid="latent-map" width={SIZE.to_string()} height={SIZE.to_string()}
                role="img" aria-label="latent map: encoded test images by class; click or drag to move z"
                {onpointerdown} {onpointermove} />
            <figcaption>
                <span class="axis-note">{ format!("z₁ → (−{Z_LIMIT}…{Z_LIMIT}), z₂ ↑ · means of q(z|x) for test images") }</span>
                <ul class="legend" aria-label="classes">{ for legend }</ul>
            </figcaption>
        </figure>
    }
}

fn draw(canvas: &HtmlCanvasElement, means: &[f32], labels: &[u8], z: [f64; 2]) {
    let Some(ctx) = super::context_2d(canvas) else {
        return;
    };
    ctx.clear_rect(0.0, 0.0, SIZE, SIZE);
    // Axes through the origin and unit grid lines.
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str("rgba(128,128,128,0.25)");
    for i in -(Z_LIMIT as i32)..=(Z_LIMIT as i32) {
        let p = to_px(i as f64);
        ctx.begin_path();
        ctx.move_to(p, 0.0);
        ctx.line_to(p, SIZE);
        ctx.move_to(0.0, p);
        ctx.line_to(SIZE, p);
        ctx.stroke();
    }
    ctx.set_global_alpha(0.7);
    for (i, pair) in means.chunks_exact(2).enumerate() {
        let class = labels.get(i).copied().unwrap_or(0) as usize % 10;
        ctx.set_fill_style_str(CLASS_COLOURS[class]);
        let x = to_px(pair[0] as f64);
        let y = SIZE - to_px(pair[1] as f64);
        ctx.fill_rect(x - 1.5, y - 1.5, 3.0, 3.0);
    }
    ctx.set_global_alpha(1.0);
    // The current z: a ring with a cross hair, visible on any colour.
    let (x, y) = (to_px(z[0]), SIZE - to_px(z[1]));
    ctx.set_line_width(3.0);
    ctx.set_stroke_style_str("#ffffff");
    ctx.begin_path();
    let _ = ctx.arc(x, y, 8.0, 0.0, std::f64::consts::TAU);
    ctx.stroke();
    ctx.set_line_width(1.5);
    ctx.set_stroke_style_str("#111111");
    ctx.begin_path();
    let _ = ctx.arc(x, y, 8.0, 0.0, std::f64::consts::TAU);
    ctx.move_to(x - 12.0, y);
    ctx.line_to(x + 12.0, y);
    ctx.move_to(x, y - 12.0);
    ctx.line_to(x, y + 12.0);
    ctx.stroke();
}
