//! A square pad to draw a digit on with mouse, pen or touch, with undo and clear. It reports the
//! ink (grey values in [0, 1] on a `SIDE` x `SIDE` raster) after every stroke; turning that into
//! an MNIST-like 28x28 image is `crate::data::drawing::to_mnist`'s job.

use std::rc::Rc;

use web_sys::{HtmlCanvasElement, PointerEvent};
use yew::prelude::*;

/// The pad's raster side in pixels (CSS shows it smaller).
pub const SIDE: usize = 280;
/// Pen width in raster pixels: about 2 MNIST pixels once scaled to the 20x20 box.
const PEN: f64 = 22.0;

#[derive(Properties, PartialEq)]
pub struct DigitPadProps {
    /// The ink after each stroke, undo or clear; `None` when the pad is empty.
    pub on_drawn: Callback<Option<Rc<Vec<f32>>>>,
    /// The canvas' `data-testid`; its buttons' are `{buttons}-undo` and `{buttons}-clear`.
    #[prop_or(AttrValue::Static("draw-pad"))]
    pub testid: AttrValue,
    #[prop_or(AttrValue::Static("draw"))]
    pub buttons: AttrValue,
    /// What the pad is for, read out to screen readers.
    #[prop_or(AttrValue::Static("drawing pad: draw a digit with mouse, pen or touch"))]
    pub label: AttrValue,
    /// A change of this number clears the pad (its drawing was taken).
    #[prop_or_default]
    pub clears: u64,
}

type Stroke = Vec<(f64, f64)>;

#[function_component(DigitPad)]
pub fn digit_pad(props: &DigitPadProps) -> Html {
    let canvas = use_node_ref();
    let strokes = use_mut_ref(Vec::<Stroke>::new);
    let drawing = use_mut_ref(|| false);
    {
        let (canvas, strokes) = (canvas.clone(), strokes.clone());
        use_effect_with(props.clears, move |_| {
            strokes.borrow_mut().clear();
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                redraw(&c, &[]);
            }
        });
    }

    let report = {
        let (canvas, strokes, on_drawn) = (canvas.clone(), strokes.clone(), props.on_drawn.clone());
        Rc::new(move || {
            let Some(c) = canvas.cast::<HtmlCanvasElement>() else {
                return;
            };
            redraw(&c, &strokes.borrow());
            on_drawn.emit(if strokes.borrow().is_empty() {
                None
            } else {
                ink(&c).map(Rc::new)
            });
        })
    };
    let point = |e: &PointerEvent, canvas: &NodeRef| -> Option<(f64, f64)> {
        let c = canvas.cast::<HtmlCanvasElement>()?;
        let rect = c.get_bounding_client_rect();
        if rect.width() <= 0.0 {
            return None;
        }
        let scale = SIDE as f64 / rect.width();
        Some((
            (e.client_x() as f64 - rect.left()) * scale,
            (e.client_y() as f64 - rect.top()) * scale,
        ))
    };
    let onpointerdown = {
        let (canvas, strokes, drawing) = (canvas.clone(), strokes.clone(), drawing.clone());
        Callback::from(move |e: PointerEvent| {
            e.prevent_default();
            if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                let _ = c.set_pointer_capture(e.pointer_id());
            }
            if let Some(p) = point(&e, &canvas) {
                *drawing.borrow_mut() = true;
                strokes.borrow_mut().push(vec![p]);
                if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                    redraw(&c, &strokes.borrow());
                }
            }
        })
    };
    let onpointermove = {
        let (canvas, strokes, drawing) = (canvas.clone(), strokes.clone(), drawing.clone());
        Callback::from(move |e: PointerEvent| {
            if !*drawing.borrow() {
                return;
            }
            if let Some(p) = point(&e, &canvas) {
                if let Some(last) = strokes.borrow_mut().last_mut() {
                    last.push(p);
                }
                if let Some(c) = canvas.cast::<HtmlCanvasElement>() {
                    redraw(&c, &strokes.borrow());
                }
            }
        })
    };
    let end = {
        let (drawing, report) = (drawing.clone(), report.clone());
        Callback::from(move |_: PointerEvent| {
            if std::mem::replace(&mut *drawing.borrow_mut(), false) {
                report();
            }
        })
    };
    let undo = {
        let (strokes, report) = (strokes.clone(), report.clone());
        Callback::from(move |_: MouseEvent| {
            strokes.borrow_mut().pop();
            report();
        })
    };
    let clear = {
        let (strokes, report) = (strokes.clone(), report.clone());
        Callback::from(move |_: MouseEvent| {
            strokes.borrow_mut().clear();
            report();
        })
    };
    html! {
        <div class="digit-pad">
            <canvas ref={canvas} data-testid={props.testid.clone()} width={SIDE.to_string()} height={SIDE.to_string()}
                role="img" aria-label={props.label.clone()}
                {onpointerdown} {onpointermove} onpointerup={end.clone()} onpointercancel={end} />
            <div class="buttons">
                <button data-testid={format!("{}-undo", props.buttons)} onclick={undo}>{ "Undo" }</button>
                <button data-testid={format!("{}-clear", props.buttons)} onclick={clear}>{ "Clear" }</button>
            </div>
        </div>
    }
}

/// Paint every stroke afresh: round pen, transparent background (CSS shows paper behind it).
fn redraw(canvas: &HtmlCanvasElement, strokes: &[Stroke]) {
    let Some(ctx) = super::context_2d(canvas) else {
        return;
    };
    ctx.clear_rect(0.0, 0.0, SIDE as f64, SIDE as f64);
    ctx.set_line_width(PEN);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    ctx.set_stroke_style_str("#000");
    ctx.set_fill_style_str("#000");
    for stroke in strokes {
        let Some(&(x0, y0)) = stroke.first() else {
            continue;
        };
        ctx.begin_path();
        if stroke.len() == 1 {
            let _ = ctx.arc(x0, y0, PEN / 2.0, 0.0, std::f64::consts::TAU);
            ctx.fill();
            continue;
        }
        ctx.move_to(x0, y0);
        for &(x, y) in &stroke[1..] {
            ctx.line_to(x, y);
        }
        ctx.stroke();
    }
}

/// The pad's ink as grey values (the canvas' alpha channel).
fn ink(canvas: &HtmlCanvasElement) -> Option<Vec<f32>> {
    let ctx = super::context_2d(canvas)?;
    let data = ctx
        .get_image_data(0.0, 0.0, SIDE as f64, SIDE as f64)
        .ok()?
        .data();
    Some(
        data.iter()
            .skip(3)
            .step_by(4)
            .map(|&a| a as f32 / 255.0)
            .collect(),
    )
}
