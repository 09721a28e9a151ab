//! The 2-D latent space: encoded means of test images coloured by class, and the current z as a
//! marker that follows the sliders. Click or drag anywhere to move z there. Optionally, for an
//! input being inspected: q(z|x)'s ellipses, the true posterior as a heat map, the decoded
//! manifold underneath, and an interpolation line.

use std::rc::Rc;

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

use super::latent_sliders::Z_LIMIT;

/// Colour-blind-friendly categorical palette (Tableau 10), one colour per class; `www/style.css`
/// repeats them for the legend (`.swatch.class-N`), since inline styles are outside the CSP.
pub const CLASS_COLOURS: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

const SIZE: f64 = 360.0;

/// What can be drawn over (or under) the map for the input being inspected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapOverlay {
    /// The true posterior p(z|x) at the cells of an n x n grid over the map (row j = z2 from the
    /// bottom, `j * n + i`), any scale.
    pub heat: Option<Rc<Vec<f64>>>,
    /// q(z|x): mean and standard deviations, drawn as 1 and 2 sigma ellipses.
    pub ellipse: Option<([f64; 2], [f64; 2])>,
    /// Decoded images on an n x n grid over the map (n, then n*n*784 pixels; row 0 at the top).
    pub manifold: Option<Rc<(usize, Vec<f32>)>>,
    /// An interpolation: the straight line between two latent means.
    pub line: Option<([f64; 2], [f64; 2])>,
}

#[derive(Properties, PartialEq)]
pub struct LatentMapProps {
    /// (z1, z2) pairs of encoded test means.
    pub means: Rc<Vec<f32>>,
    pub labels: Rc<Vec<u8>>,
    pub class_names: [&'static str; 10],
    pub z: [f64; 2],
    pub on_pick: Callback<[f64; 2]>,
    #[prop_or_default]
    pub overlay: MapOverlay,
}

fn to_px(v: f64) -> f64 {
    (v + Z_LIMIT) / (2.0 * Z_LIMIT) * SIZE
}

#[function_component(LatentMap)]
pub fn latent_map(props: &LatentMapProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        let deps = (
            props.means.clone(),
            props.labels.clone(),
            props.z,
            props.overlay.clone(),
        );
        use_effect_with(deps, move |(means, labels, z, overlay)| {
            if let Some(canvas) = canvas.cast::<HtmlCanvasElement>() {
                draw(&canvas, means, labels, *z, overlay);
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

fn draw(
    canvas: &HtmlCanvasElement,
    means: &[f32],
    labels: &[u8],
    z: [f64; 2],
    overlay: &MapOverlay,
) {
    let Some(ctx) = super::context_2d(canvas) else {
        return;
    };
    ctx.clear_rect(0.0, 0.0, SIZE, SIZE);
    if let Some(manifold) = &overlay.manifold {
        draw_manifold(&ctx, manifold.0, &manifold.1);
    }
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
    ctx.set_global_alpha(if overlay.manifold.is_some() {
        0.35
    } else {
        0.7
    });
    for (i, pair) in means.chunks_exact(2).enumerate() {
        let class = labels.get(i).copied().unwrap_or(0) as usize % 10;
        ctx.set_fill_style_str(CLASS_COLOURS[class]);
        let x = to_px(pair[0] as f64);
        let y = SIZE - to_px(pair[1] as f64);
        ctx.fill_rect(x - 1.5, y - 1.5, 3.0, 3.0);
    }
    ctx.set_global_alpha(1.0);
    if let Some(heat) = &overlay.heat {
        draw_heat(&ctx, heat);
    }
    if let Some((mu, sigma)) = overlay.ellipse {
        draw_ellipses(&ctx, mu, sigma);
    }
    if let Some((a, b)) = overlay.line {
        ctx.set_line_width(2.0);
        ctx.set_stroke_style_str("#d9622b");
        let _ = ctx.set_line_dash(&js_sys::Array::of2(&4.0.into(), &3.0.into()));
        ctx.begin_path();
        ctx.move_to(to_px(a[0]), SIZE - to_px(a[1]));
        ctx.line_to(to_px(b[0]), SIZE - to_px(b[1]));
        ctx.stroke();
        let _ = ctx.set_line_dash(&js_sys::Array::new());
    }
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

/// A scratch canvas of `w` x `h` holding `rgba`, to be scaled onto the map.
fn scratch(w: u32, h: u32, rgba: &[u8]) -> Option<HtmlCanvasElement> {
    let canvas: HtmlCanvasElement = web_sys::window()?
        .document()?
        .create_element("canvas")
        .ok()?
        .dyn_into()
        .ok()?;
    canvas.set_width(w);
    canvas.set_height(h);
    let image = ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), w, h).ok()?;
    super::context_2d(&canvas)?
        .put_image_data(&image, 0.0, 0.0)
        .ok()?;
    Some(canvas)
}

/// Decoded images tiled over the map, ink dark on light, faded so the points stay readable.
fn draw_manifold(ctx: &CanvasRenderingContext2d, n: usize, pixels: &[f32]) {
    let side = n * 28;
    if n == 0 || pixels.len() != side * side {
        return;
    }
    let mut rgba = vec![255u8; side * side * 4];
    for (tile, img) in pixels.chunks_exact(784).enumerate() {
        let (ti, tj) = (tile % n, tile / n);
        for (p, &v) in img.iter().enumerate() {
            let (x, y) = (ti * 28 + p % 28, tj * 28 + p / 28);
            let g = 255 - (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            let o = (y * side + x) * 4;
            rgba[o..o + 3].copy_from_slice(&[g, g, g]);
        }
    }
    if let Some(tiles) = scratch(side as u32, side as u32, &rgba) {
        ctx.set_image_smoothing_enabled(true);
        ctx.set_global_alpha(0.85);
        let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&tiles, 0.0, 0.0, SIZE, SIZE);
        ctx.set_global_alpha(1.0);
    }
}

/// The true posterior as a translucent magenta field, brighter where p(z|x) is larger.
fn draw_heat(ctx: &CanvasRenderingContext2d, heat: &[f64]) {
    let n = (heat.len() as f64).sqrt() as usize;
    let max = heat
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if n == 0 || n * n != heat.len() || max <= 0.0 {
        return;
    }
    let mut rgba = vec![0u8; n * n * 4];
    for j in 0..n {
        for i in 0..n {
            let v = (heat[j * n + i] / max).clamp(0.0, 1.0);
            // Row 0 of the image is the top of the map: the largest z2.
            let o = ((n - 1 - j) * n + i) * 4;
            rgba[o..o + 4].copy_from_slice(&[200, 30, 160, (v.sqrt() * 220.0) as u8]);
        }
    }
    if let Some(field) = scratch(n as u32, n as u32, &rgba) {
        ctx.set_image_smoothing_enabled(true);
        let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&field, 0.0, 0.0, SIZE, SIZE);
    }
}

/// 1 and 2 sigma ellipses of q(z|x) (axis-aligned: q has a diagonal covariance).
fn draw_ellipses(ctx: &CanvasRenderingContext2d, mu: [f64; 2], sigma: [f64; 2]) {
    let px_per_unit = SIZE / (2.0 * Z_LIMIT);
    let (x, y) = (to_px(mu[0]), SIZE - to_px(mu[1]));
    for (k, width) in [(1.0, 2.0), (2.0, 1.2)] {
        ctx.set_line_width(width);
        ctx.set_stroke_style_str("#0b7a75");
        ctx.begin_path();
        let _ = ctx.ellipse(
            x,
            y,
            (k * sigma[0] * px_per_unit).max(1.0),
            (k * sigma[1] * px_per_unit).max(1.0),
            0.0,
            0.0,
            std::f64::consts::TAU,
        );
        ctx.stroke();
    }
}
