//! The 2-D latent space: encoded means of test images coloured by class, and the current z as a
//! marker that follows the sliders. Click or drag anywhere to move z there. Optionally, for an
//! input being inspected: q(z|x)'s ellipses, the true posterior as a heat map, the decoded
//! manifold underneath, and an interpolation line. Zoom buttons choose the region shown, which
//! is also the region the heat map and the manifold are computed over.

use std::rc::Rc;

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};
use yew::prelude::*;

use crate::analysis::evidence::Grid;
use crate::data::PIXELS;

use super::same_rc;
use crate::page::map_view::MapView;
use crate::page::slowmo::BatchMarks;

/// Colour-blind-friendly categorical palette (Tableau 10), one colour per class; `www/style.css`
/// repeats them for the legend (`.swatch.class-N`), since inline styles are outside the CSP.
pub const CLASS_COLOURS: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

const SIZE: f64 = 360.0;

/// What can be drawn over (or under) the map for the input being inspected.
#[derive(Clone, Debug, Default)]
pub struct MapOverlay {
    /// The true posterior p(z|x) at the cells of a grid (row j = z2 from the bottom,
    /// `j * n + i`), any scale.
    pub heat: Option<(Grid, Rc<Vec<f64>>)>,
    /// q(z|x): mean and standard deviations, drawn as 1 and 2 sigma ellipses.
    pub ellipse: Option<([f64; 2], [f64; 2])>,
    /// q*, the best diagonal Gaussian for x: the same, dashed.
    pub q_star: Option<([f64; 2], [f64; 2])>,
    /// Decoded images on a grid's cells (n*n*784 pixels; row 0 at the top).
    pub manifold: Option<(Grid, Rc<Vec<f32>>)>,
    /// An interpolation: the straight line between two latent means.
    pub line: Option<([f64; 2], [f64; 2])>,
    /// Slow motion's batch at its stage.
    pub batch: Option<Rc<BatchMarks>>,
}

/// Data on a grid: the same grid and the same `Rc` (see `same_rc`).
fn same<T>(a: &Option<(Grid, Rc<T>)>, b: &Option<(Grid, Rc<T>)>) -> bool {
    a.as_ref().map(|(g, _)| g) == b.as_ref().map(|(g, _)| g)
        && same_rc(a.as_ref().map(|(_, d)| d), b.as_ref().map(|(_, d)| d))
}

impl PartialEq for MapOverlay {
    fn eq(&self, other: &Self) -> bool {
        same(&self.heat, &other.heat)
            && same(&self.manifold, &other.manifold)
            && self.ellipse == other.ellipse
            && self.q_star == other.q_star
            && self.line == other.line
            && same_rc(self.batch.as_ref(), other.batch.as_ref())
    }
}

#[derive(Properties)]
pub struct LatentMapProps {
    /// (z1, z2) pairs of encoded test means.
    pub means: Rc<Vec<f32>>,
    pub labels: Rc<Vec<u8>>,
    /// The classes' names, in label order (up to ten).
    pub class_names: Rc<Vec<String>>,
    pub z: [f64; 2],
    pub on_pick: Callback<[f64; 2]>,
    /// The region shown, and where the user asks to see another.
    pub view: MapView,
    pub on_zoom: Callback<MapView>,
    /// A view that frames q(z|x) of the inspected input, when there is one.
    #[prop_or_default]
    pub fit: Option<MapView>,
    #[prop_or_default]
    pub overlay: MapOverlay,
}

impl PartialEq for LatentMapProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.means, &other.means)
            && Rc::ptr_eq(&self.labels, &other.labels)
            && self.class_names == other.class_names
            && self.z == other.z
            && self.on_pick == other.on_pick
            && self.view == other.view
            && self.on_zoom == other.on_zoom
            && self.fit == other.fit
            && self.overlay == other.overlay
    }
}

/// What the map's lower layer shows: it is redrawn when this changes.
struct MapLayer {
    means: Rc<Vec<f32>>,
    labels: Rc<Vec<u8>>,
    overlay: MapOverlay,
    view: MapView,
}

impl PartialEq for MapLayer {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.means, &other.means)
            && Rc::ptr_eq(&self.labels, &other.labels)
            && self.overlay == other.overlay
            && self.view == other.view
    }
}

/// Canvas pixels of a latent point under `view` (y grows downwards).
fn to_px(view: &MapView, z: [f64; 2]) -> (f64, f64) {
    let [u, v] = view.to_unit(z);
    (u * SIZE, (1.0 - v) * SIZE)
}

#[function_component(LatentMap)]
pub fn latent_map(props: &LatentMapProps) -> Html {
    // Two layers: the map itself, redrawn only when what it shows changes, and the z marker on
    // a canvas above it, so moving z (every slider step) redraws a ring, not 2,000 points.
    let canvas = use_node_ref();
    let marker = use_node_ref();
    {
        let canvas = canvas.clone();
        let layer = MapLayer {
            means: props.means.clone(),
            labels: props.labels.clone(),
            overlay: props.overlay.clone(),
            view: props.view,
        };
        use_effect_with(layer, move |layer| {
            if let Some(canvas) = canvas.cast::<HtmlCanvasElement>() {
                draw(
                    &canvas,
                    &layer.means,
                    &layer.labels,
                    &layer.overlay,
                    &layer.view,
                );
            }
        });
    }
    {
        let marker = marker.clone();
        use_effect_with((props.z, props.view), move |(z, view)| {
            if let Some(canvas) = marker.cast::<HtmlCanvasElement>() {
                draw_marker(&canvas, *z, view);
            }
        });
    }
    let view = props.view;
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
            let limit = crate::page::url_state::Z_LIMIT;
            let z = view.from_unit([fx, 1.0 - fy]);
            on_pick.emit(z.map(|v| v.clamp(-limit, limit)));
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
    let zoom = |factor: f64, anchor: [f64; 2]| {
        let on_zoom = props.on_zoom.clone();
        Callback::from(move |_: MouseEvent| on_zoom.emit(view.zoomed(factor, anchor)))
    };
    let whole = {
        let on_zoom = props.on_zoom.clone();
        Callback::from(move |_: MouseEvent| on_zoom.emit(MapView::WHOLE))
    };
    let fit = props.fit.map(|fit| {
        let on_zoom = props.on_zoom.clone();
        Callback::from(move |_: MouseEvent| on_zoom.emit(fit))
    });
    let [c1, c2] = view.centre();
    let h = view.half();
    let range = format!(
        "z₁ {:.2}…{:.2}, z₂ {:.2}…{:.2}",
        c1 - h,
        c1 + h,
        c2 - h,
        c2 + h
    );
    let legend = props.class_names.iter().enumerate().map(|(i, name)| {
        html! {
            <li><span class={format!("swatch class-{i}")}></span>{ name }</li>
        }
    });
    html! {
        <figure class="latent-map">
            <div class="map-stack">
                <canvas ref={canvas} data-testid="latent-map" width={SIZE.to_string()} height={SIZE.to_string()}
                    data-view={format!("{c1},{c2},{h}")}
                    role="img" aria-label={format!("latent map, {range}: encoded test images by class; click or drag to move z")}
                    {onpointerdown} {onpointermove} />
                <canvas ref={marker} class="marker" data-testid="latent-marker" aria-hidden="true"
                    width={SIZE.to_string()} height={SIZE.to_string()} />
            </div>
            <div class="buttons zoom" role="group" aria-label="region shown">
                <button data-testid="zoom-in" title="zoom in around the current z" disabled={h <= MapView::MIN_HALF}
                    onclick={zoom(0.5, props.z)}>{ "Zoom in on z" }</button>
                <button data-testid="zoom-out" disabled={view.is_whole()} onclick={zoom(2.0, view.centre())}>{ "Zoom out" }</button>
                <button data-testid="zoom-whole" disabled={view.is_whole()} onclick={whole}>{ "Whole map" }</button>
                if let Some(fit) = fit {
                    <button data-testid="zoom-fit" title="frame q(z|x) of the inspected input, out to 4σ" onclick={fit}>{ "Frame q(z|x)" }</button>
                }
            </div>
            <figcaption>
                <span class="axis-note" data-testid="map-range">{ format!("{range} · means of q(z|x) for test images") }</span>
                <ul class="legend" aria-label="classes">{ for legend }</ul>
            </figcaption>
        </figure>
    }
}

fn draw(
    canvas: &HtmlCanvasElement,
    means: &[f32],
    labels: &[u8],
    overlay: &MapOverlay,
    view: &MapView,
) {
    let Some(ctx) = super::context_2d(canvas) else {
        return;
    };
    ctx.clear_rect(0.0, 0.0, SIZE, SIZE);
    if let Some((grid, pixels)) = &overlay.manifold {
        draw_manifold(&ctx, grid, pixels, view);
    }
    // Grid lines at a round spacing that gives 4 to 10 lines across.
    let step = tick_step(view.half());
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str("rgba(128,128,128,0.25)");
    let [c1, c2] = view.centre();
    let h = view.half();
    let mut t = ((c1.min(c2) - h) / step).floor() * step;
    while t <= c1.max(c2) + h {
        let (x, y) = to_px(view, [t, t]);
        ctx.begin_path();
        ctx.move_to(x, 0.0);
        ctx.line_to(x, SIZE);
        ctx.move_to(0.0, y);
        ctx.line_to(SIZE, y);
        ctx.stroke();
        t += step;
    }
    ctx.set_global_alpha(if overlay.manifold.is_some() {
        0.35
    } else {
        0.7
    });
    for (i, pair) in means.chunks_exact(2).enumerate() {
        let class = labels.get(i).copied().unwrap_or(0) as usize % 10;
        ctx.set_fill_style_str(CLASS_COLOURS[class]);
        let (x, y) = to_px(view, [pair[0] as f64, pair[1] as f64]);
        ctx.fill_rect(x - 1.5, y - 1.5, 3.0, 3.0);
    }
    ctx.set_global_alpha(1.0);
    if let Some((grid, heat)) = &overlay.heat {
        draw_heat(&ctx, grid, heat, view);
    }
    if let Some((mu, sigma)) = overlay.ellipse {
        draw_ellipses(&ctx, mu, sigma, view, "#0b7a75", false);
    }
    if let Some((mu, sigma)) = overlay.q_star {
        draw_ellipses(&ctx, mu, sigma, view, "#d9480f", true);
    }
    if let Some((a, b)) = overlay.line {
        ctx.set_line_width(2.0);
        ctx.set_stroke_style_str("#d9622b");
        let _ = ctx.set_line_dash(&js_sys::Array::of2(&4.0.into(), &3.0.into()));
        ctx.begin_path();
        let ((ax, ay), (bx, by)) = (to_px(view, a), to_px(view, b));
        ctx.move_to(ax, ay);
        ctx.line_to(bx, by);
        ctx.stroke();
        let _ = ctx.set_line_dash(&js_sys::Array::new());
    }
    if let Some(marks) = &overlay.batch {
        draw_batch(&ctx, marks, view);
    }
}

/// Slow motion's batch in its class colours: q(z|x) as 1σ ellipses numbered like the panel's
/// images, the samples z as arrows from μ, the step as arrows from μ before to μ after.
fn draw_batch(ctx: &CanvasRenderingContext2d, marks: &BatchMarks, view: &MapView) {
    let colour = |i: usize| CLASS_COLOURS[marks.labels.get(i).copied().unwrap_or(0) as usize % 10];
    let px_per_unit = SIZE / (2.0 * view.half());
    ctx.set_font("bold 13px sans-serif");
    for (i, &(mu, sigma)) in marks.ellipses.iter().enumerate() {
        let (x, y) = to_px(view, mu);
        ctx.set_line_width(2.0);
        ctx.set_stroke_style_str(colour(i));
        ctx.begin_path();
        let _ = ctx.ellipse(
            x,
            y,
            (sigma[0] * px_per_unit).max(3.0),
            (sigma[1] * px_per_unit).max(3.0),
            0.0,
            0.0,
            std::f64::consts::TAU,
        );
        ctx.stroke();
        // Dark digits on a white halo: readable on either theme and over any point.
        ctx.set_fill_style_str("#111111");
        ctx.set_line_width(3.0);
        ctx.set_stroke_style_str("#ffffff");
        let label = (i + 1).to_string();
        let _ = ctx.stroke_text(&label, x + 4.0, y - 4.0);
        let _ = ctx.fill_text(&label, x + 4.0, y - 4.0);
    }
    for (i, &(from, to)) in marks.samples.iter().enumerate() {
        arrow(ctx, to_px(view, from), to_px(view, to), colour(i), 1.5);
    }
    for (i, &(from, to)) in marks.moves.iter().enumerate() {
        arrow(ctx, to_px(view, from), to_px(view, to), colour(i), 2.5);
    }
}

/// A line from `a` to `b` (canvas pixels) with a head at `b`, outlined so it shows on any colour.
fn arrow(ctx: &CanvasRenderingContext2d, a: (f64, f64), b: (f64, f64), colour: &str, width: f64) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let length = dx.hypot(dy);
    let head = 7.0f64.min(length);
    let (ux, uy) = if length > 0.0 {
        (dx / length, dy / length)
    } else {
        (0.0, 0.0)
    };
    let (px, py) = (-uy, ux);
    for (stroke, extra) in [("#ffffff", 2.0), (colour, 0.0)] {
        ctx.set_line_width(width + extra);
        ctx.set_stroke_style_str(stroke);
        ctx.begin_path();
        ctx.move_to(a.0, a.1);
        ctx.line_to(b.0, b.1);
        ctx.move_to(
            b.0 - head * ux + 0.5 * head * px,
            b.1 - head * uy + 0.5 * head * py,
        );
        ctx.line_to(b.0, b.1);
        ctx.line_to(
            b.0 - head * ux - 0.5 * head * px,
            b.1 - head * uy - 0.5 * head * py,
        );
        ctx.stroke();
    }
}

/// The current z: a ring with a cross hair, visible on any colour, alone on its layer.
fn draw_marker(canvas: &HtmlCanvasElement, z: [f64; 2], view: &MapView) {
    let Some(ctx) = super::context_2d(canvas) else {
        return;
    };
    ctx.clear_rect(0.0, 0.0, SIZE, SIZE);
    let (x, y) = to_px(view, z);
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

/// 1, 2 or 5 times a power of ten, so that a view of half-width `half` has 4 to 10 lines.
fn tick_step(half: f64) -> f64 {
    let raw = 2.0 * half / 8.0;
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| 2.0 * half / s <= 10.0)
        .unwrap_or(10.0 * power)
}

/// Where `grid`'s box lies on the canvas under `view`: x, y, width, height.
fn grid_rect(grid: &Grid, view: &MapView) -> (f64, f64, f64, f64) {
    let (x0, y0) = to_px(view, [grid.z1.0, grid.z2.1]);
    let (x1, y1) = to_px(view, [grid.z1.1, grid.z2.0]);
    (x0, y0, x1 - x0, y1 - y0)
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

/// Decoded images tiled over the grid's box, ink dark on light, faded so the points stay readable.
fn draw_manifold(ctx: &CanvasRenderingContext2d, grid: &Grid, pixels: &[f32], view: &MapView) {
    let n = grid.n;
    let side = n * 28;
    if n == 0 || pixels.len() != side * side {
        return;
    }
    let mut rgba = vec![255u8; side * side * 4];
    for (tile, img) in pixels.chunks_exact(PIXELS).enumerate() {
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
        let (x, y, w, h) = grid_rect(grid, view);
        let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&tiles, x, y, w, h);
        ctx.set_global_alpha(1.0);
    }
}

/// The true posterior as a translucent magenta field, brighter where p(z|x) is larger.
fn draw_heat(ctx: &CanvasRenderingContext2d, grid: &Grid, heat: &[f64], view: &MapView) {
    let n = grid.n;
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
        let (x, y, w, h) = grid_rect(grid, view);
        let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(&field, x, y, w, h);
    }
}

/// 1 and 2 sigma ellipses of a diagonal Gaussian (q(z|x), or q*), axis-aligned.
fn draw_ellipses(
    ctx: &CanvasRenderingContext2d,
    mu: [f64; 2],
    sigma: [f64; 2],
    view: &MapView,
    colour: &str,
    dashed: bool,
) {
    let px_per_unit = SIZE / (2.0 * view.half());
    let (x, y) = to_px(view, mu);
    let dash = js_sys::Array::new();
    if dashed {
        dash.push(&4.0.into());
        dash.push(&3.0.into());
    }
    let _ = ctx.set_line_dash(&dash);
    for (k, width) in [(1.0, 2.0), (2.0, 1.2)] {
        ctx.set_line_width(width);
        ctx.set_stroke_style_str(colour);
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
    let _ = ctx.set_line_dash(&js_sys::Array::new());
}
