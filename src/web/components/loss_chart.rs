//! The runs, overlaid: (a) the rate–distortion plane (rate = KL on x, distortion =
//! reconstruction on y) with each visible run's trajectory, its final point labelled, and faint
//! lines of equal −ELBO (D + R = const) with their values; (b) −ELBO and reconstruction against
//! step; (c) KL against step. Each run has its palette colour. Hovering or moving the keyboard
//! focus over a chart reads out the nearest row: run, step and exact values.
//! Plain SVG drawn at its own size in CSS px (the chart measures its width), so its 12 px text
//! stays 12 px at every width; coloured through CSS variables for light and dark themes.

use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::analysis::train::HistoryRow;
use crate::page::readout::TestPoint;
use crate::web::browser;

use super::chart_scale::{
    fmt_tick, images_at, linear_ticks, log_ticks, padded, range, thin, ticks, Scale, Tick,
};

/// One run as the chart draws it.
#[derive(Clone)]
pub struct ChartRun {
    pub id: u32,
    pub name: String,
    pub colour: usize,
    pub history: Rc<Vec<HistoryRow>>,
    pub test_points: Rc<Vec<TestPoint>>,
    /// Where it ended: (KL, recon), test split or last row.
    pub end: Option<(f64, f64)>,
    /// The β sweep it belongs to, and its β.
    pub sweep: Option<u32>,
    pub beta: f64,
    /// Its last weights are kept: clicking its final point puts its model on screen.
    pub has_weights: bool,
}

impl PartialEq for ChartRun {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.name == other.name
            && self.colour == other.colour
            && self.end == other.end
            && self.sweep == other.sweep
            && self.has_weights == other.has_weights
            && Rc::ptr_eq(&self.history, &other.history)
            && Rc::ptr_eq(&self.test_points, &other.test_points)
    }
}

#[derive(Properties, PartialEq)]
pub struct LossChartProps {
    /// The visible runs, oldest first.
    pub runs: Vec<ChartRun>,
    /// Rows of the run the chart follows now (`data-points`).
    pub points: usize,
    /// The run followed is the one that made the pretrained weights, untrained here.
    #[prop_or_default]
    pub pretrained: bool,
    /// What to say while there is nothing to draw (`None`: nothing).
    #[prop_or_default]
    pub hint: Option<&'static str>,
    /// A run's final point was clicked: show that run's model.
    #[prop_or_default]
    pub on_pick_run: Callback<u32>,
}

/// The width drawn before the first measurement, and the narrowest drawn (CSS px).
const W_DEFAULT: f64 = 420.0;
const W_MIN: f64 = 220.0;
const H: f64 = 160.0;
const H_RD: f64 = 240.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 34.0;

/// A drawn point the read-out can land on: (run index, step, x px, y px).
type Spot = (usize, usize, f64, f64);

/// One plot: its scales and the points it drew, for the read-out.
struct Plot {
    spots: Vec<Spot>,
    html: Html,
}

fn axes(
    w: f64,
    h: f64,
    x: Scale,
    y: Scale,
    (xt, yt): (&[Tick], &[Tick]),
    labels: (&str, &str),
) -> Html {
    let xt = xt.iter().map(|(at, label)| {
        let px = x.at(*at);
        html! { <g class="tick"><line x1={px.to_string()} x2={px.to_string()} y1={TOP.to_string()} y2={(h - BOTTOM).to_string()} class="grid" />
            <text x={px.to_string()} y={(h - BOTTOM + 15.0).to_string()} text-anchor="middle">{ label }</text></g> }
    });
    let yt = yt.iter().map(|(at, label)| {
        let py = y.at(*at);
        html! { <g class="tick"><line x1={LEFT.to_string()} x2={(w - RIGHT).to_string()} y1={py.to_string()} y2={py.to_string()} class="grid" />
            <text x={(LEFT - 4.0).to_string()} y={(py + 4.0).to_string()} text-anchor="end">{ label }</text></g> }
    });
    html! {
        <>
            { for xt }{ for yt }
            <line class="axis" x1={LEFT.to_string()} x2={LEFT.to_string()} y1={TOP.to_string()} y2={(h - BOTTOM).to_string()} />
            <line class="axis" x1={LEFT.to_string()} x2={(w - RIGHT).to_string()} y1={(h - BOTTOM).to_string()} y2={(h - BOTTOM).to_string()} />
            <text class="axis-label" x={((LEFT + w - RIGHT) / 2.0).to_string()} y={(h - 3.0).to_string()} text-anchor="middle">{ labels.0.to_string() }</text>
            <text class="axis-label" transform={format!("translate(13,{}) rotate(-90)", (TOP + h - BOTTOM) / 2.0)} text-anchor="middle">{ labels.1.to_string() }</text>
        </>
    }
}

/// A polyline through `points` (data units), its pixel points kept as read-out spots.
fn line(
    run: usize,
    id: u32,
    points: &[(usize, f64, f64)],
    (x, y): (Scale, Scale),
    class: String,
    spots: &mut Vec<Spot>,
) -> Html {
    let mut d = String::new();
    for &(step, a, b) in points {
        let (px, py) = (x.at(a), y.at(b));
        d += &format!("{px:.1},{py:.1} ");
        spots.push((run, step, px, py));
    }
    html! { <polyline class={class} data-run={id.to_string()} points={d} fill="none" /> }
}

/// Where the chart's runs are, per kind of plot.
struct Data<'a> {
    runs: &'a [ChartRun],
    thinned: Vec<Vec<HistoryRow>>,
}

fn rate_distortion(data: &Data, w: f64, on_pick_run: &Callback<u32>) -> Plot {
    let h = H_RD;
    let rows = || data.thinned.iter().flatten();
    let ends = || data.runs.iter().filter_map(|r| r.end);
    let rx = padded(range(rows().map(|r| r.kl).chain(ends().map(|e| e.0))).unwrap_or((0.0, 10.0)));
    let rx = (rx.0.max(0.0).min(rx.1 - 1.0), rx.1);
    let ry =
        padded(range(rows().map(|r| r.recon).chain(ends().map(|e| e.1))).unwrap_or((100.0, 200.0)));
    let (x, y) = (
        Scale::new(rx, LEFT, w - RIGHT),
        Scale::new(ry, h - BOTTOM, TOP),
    );
    // Lines of equal −ELBO: D + R = c, drawn across the plot from edge to edge.
    let iso = ticks(rx.0 + ry.0, rx.1 + ry.1, 4.0).into_iter().filter_map(|c| {
        let x0 = rx.0.max(c - ry.1);
        let x1 = rx.1.min(c - ry.0);
        (x1 > x0).then(|| {
            let (ax, ay, bx, by) = (x.at(x0), y.at(c - x0), x.at(x1), y.at(c - x1));
            let ty = if ay > TOP + 14.0 { ay - 4.0 } else { ay + 14.0 };
            // Near the right edge the label ends at the line's end, inside the plot.
            let (tx, anchor) = if ax > w * 0.7 { (ax - 4.0, "end") } else { (ax + 4.0, "start") };
            html! { <g class="iso">
                <line x1={format!("{ax:.1}")} y1={format!("{ay:.1}")} x2={format!("{bx:.1}")} y2={format!("{by:.1}")} />
                <text x={format!("{tx:.1}")} y={format!("{ty:.1}")} text-anchor={anchor}>{ format!("−ELBO {}", fmt_tick(c)) }</text>
            </g> }
        })
    });
    let mut spots = Vec::new();
    let lines: Vec<Html> = data
        .runs
        .iter()
        .zip(&data.thinned)
        .enumerate()
        .map(|(i, (run, rows))| {
            let points: Vec<_> = rows.iter().map(|r| (r.step, r.kl, r.recon)).collect();
            line(
                i,
                run.id,
                &points,
                (x, y),
                format!("line run-c{}", run.colour),
                &mut spots,
            )
        })
        .collect();
    // Labels that would overlap one placed before move down a line.
    let mut placed: Vec<(f64, f64, f64)> = Vec::new();
    let finals: Vec<Html> = data.runs.iter().filter_map(|run| {
        let (kl, recon) = run.end?;
        let (cx, cy) = (x.at(kl), y.at(recon));
        let anchor = if cx > w * 0.6 { "end" } else { "start" };
        let tx = if anchor == "end" { cx - 8.0 } else { cx + 8.0 };
        let width = 7.0 * run.name.chars().count() as f64;
        let (x0, x1) = if anchor == "end" { (tx - width, tx) } else { (tx, tx + width) };
        let mut ty = cy - 7.0;
        while placed.iter().any(|&(a, b, y)| x0 < b && a < x1 && (y - ty).abs() < 13.0) {
            ty += 13.0;
        }
        placed.push((x0, x1, ty));
        let (class, onclick, hint) = if run.has_weights {
            let (pick, id) = (on_pick_run.clone(), run.id);
            ("final pickable", Some(Callback::from(move |_: MouseEvent| pick.emit(id))), " (click: show this run's model)")
        } else {
            ("final", None, "")
        };
        Some(html! { <g class={format!("{class} run-c{}", run.colour)} data-run={run.id.to_string()} {onclick}>
            <circle cx={format!("{cx:.1}")} cy={format!("{cy:.1}")} r="5">
                <title>{ format!("{}: KL {kl:.2}, recon {recon:.2}, −ELBO {:.2} nats{hint}", run.name, kl + recon) }</title></circle>
            <text class="final-label" x={format!("{tx:.1}")} y={format!("{ty:.1}")} text-anchor={anchor}>{ &run.name }</text>
        </g> })
    }).collect();
    // Each sweep's final points in β order: its frontier.
    let mut sweeps: Vec<u32> = data.runs.iter().filter_map(|r| r.sweep).collect();
    sweeps.sort_unstable();
    sweeps.dedup();
    let frontiers = sweeps.into_iter().filter_map(|s| {
        let mut ends: Vec<_> = data
            .runs
            .iter()
            .filter(|r| r.sweep == Some(s))
            .filter_map(|r| r.end.map(|e| (r.beta, e)))
            .collect();
        ends.sort_by(|a, b| a.0.total_cmp(&b.0));
        (ends.len() >= 2).then(|| {
            let d: String = ends
                .iter()
                .map(|(_, (kl, recon))| format!("{:.1},{:.1} ", x.at(*kl), y.at(*recon)))
                .collect();
            html! { <polyline class="frontier" data-sweep={s.to_string()} data-points={ends.len().to_string()} points={d} fill="none" /> }
        })
    });
    let html = html! {
        <>
            <defs><clipPath id="rd-clip"><rect x={LEFT.to_string()} y={TOP.to_string()} width={(w - LEFT - RIGHT).to_string()} height={(h - TOP - BOTTOM).to_string()} /></clipPath></defs>
            { axes(w, h, x, y, (&linear_ticks(rx.0, rx.1, (w / 80.0).clamp(2.0, 8.0)), &linear_ticks(ry.0, ry.1, (h / 40.0).clamp(2.0, 6.0))), ("rate R = KL, nats", "distortion D, nats")) }
            <g clip-path="url(#rd-clip)">{ for iso }{ for lines }{ for frontiers }</g>
            { for finals }
        </>
    };
    Plot { spots, html }
}

/// A line drawn for every run: its CSS class and the value of a row it draws.
type Series = (&'static str, fn(&HistoryRow) -> f64);

/// How the plots against time are drawn: the chart's two toggles.
#[derive(Clone, Copy, PartialEq, Default)]
pub struct TimeAxes {
    /// x is images seen rather than optimiser steps.
    pub images: bool,
    /// y is logarithmic (where every value drawn is positive).
    pub log_y: bool,
}

/// Values of the runs' rows against step or images seen: `value_sets` gives each line (class,
/// value of a row). The second value is whether a log y was asked for but cannot be drawn.
fn against_time(
    data: &Data,
    w: f64,
    value_sets: &[Series],
    ylabel: &str,
    axes_as: TimeAxes,
) -> (Plot, bool) {
    let h = H;
    let rows = || data.thinned.iter().flatten();
    let tests = || data.runs.iter().flat_map(|r| r.test_points.iter());
    let test_value = |t: &TestPoint| {
        if value_sets.len() > 1 {
            t.kl + t.recon
        } else {
            t.kl
        }
    };
    let values = || {
        rows()
            .flat_map(|r| value_sets.iter().map(move |(_, f)| f(r)))
            .chain(tests().map(test_value))
    };
    let log = axes_as.log_y && values().all(|v| v > 0.0);
    let fy = |v: f64| if log { v.log10() } else { v };
    let fx = |rows: &[HistoryRow], step: usize| {
        if axes_as.images {
            images_at(rows, step)
        } else {
            step as f64
        }
    };
    let xs = range(
        data.runs
            .iter()
            .zip(&data.thinned)
            .flat_map(|(_, rows)| rows.iter().map(|r| fx(rows, r.step))),
    )
    .unwrap_or((0.0, 100.0));
    let xs = (0.0, xs.1.max(1.0));
    let raw = range(values().map(fy)).unwrap_or((0.0, 10.0));
    let yr = if log {
        let pad = ((raw.1 - raw.0) * 0.05).max(0.01);
        (raw.0 - pad, raw.1 + pad)
    } else {
        padded(raw)
    };
    let (x, y) = (
        Scale::new(xs, LEFT, w - RIGHT),
        Scale::new(yr, h - BOTTOM, TOP),
    );
    let mut spots = Vec::new();
    let mut lines = Vec::new();
    for (i, (run, rows)) in data.runs.iter().zip(&data.thinned).enumerate() {
        for (kind, f) in value_sets {
            let points: Vec<_> = rows
                .iter()
                .map(|r| (r.step, fx(rows, r.step), fy(f(r))))
                .collect();
            lines.push(line(
                i,
                run.id,
                &points,
                (x, y),
                format!("line {kind} run-c{}", run.colour),
                &mut spots,
            ));
        }
    }
    let tests = data.runs.iter().flat_map(|run| {
        run.test_points.iter().filter_map(move |t| {
            let v = test_value(t);
            let (cx, cy) = (x.at(fx(&run.history, t.step)), y.at(fy(v)));
            (cy >= TOP && cy <= h - BOTTOM).then(|| html! {
                <rect class={format!("test-point run-c{}", run.colour)} x={format!("{:.1}", cx - 3.5)} y={format!("{:.1}", cy - 3.5)} width="7" height="7"
                    transform={format!("rotate(45 {cx:.1} {cy:.1})")}><title>{ format!("{}, test, step {}: {v:.2} nats", run.name, t.step) }</title></rect>
            })
        })
    });
    let xt = linear_ticks(xs.0, xs.1, (w / 80.0).clamp(2.0, 8.0));
    let n_y = (h / 40.0).clamp(2.0, 6.0);
    let yt = if log {
        log_ticks(yr.0, yr.1, n_y)
    } else {
        linear_ticks(yr.0, yr.1, n_y)
    };
    let xlabel = if axes_as.images {
        "images seen"
    } else {
        "training step"
    };
    let ylabel = if log {
        format!("{ylabel} (log)")
    } else {
        ylabel.to_string()
    };
    let html = html! {
        <>
            { axes(w, h, x, y, (&xt, &yt), (xlabel, &ylabel)) }
            { for lines }
            { for tests }
        </>
    };
    (Plot { spots, html }, axes_as.log_y && !log)
}

/// What the read-out shows: (plot, run index, step).
type Focus = Option<(usize, usize, usize)>;

/// The spot nearest (px, py), if any is within reach.
fn nearest(spots: &[Spot], px: f64, py: f64) -> Option<&Spot> {
    spots
        .iter()
        .map(|s| (s, (s.2 - px).powi(2) + (s.3 - py).powi(2)))
        .filter(|(_, d)| *d < 40.0 * 40.0)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(s, _)| s)
}

#[function_component(LossChart)]
pub fn loss_chart(props: &LossChartProps) -> Html {
    let figure = use_node_ref();
    let width = use_state(|| W_DEFAULT);
    let focus = use_state(|| Focus::None);
    let axes_state = use_state(TimeAxes::default);
    let export_error = use_state(|| Option::<String>::None);
    {
        // Measure after every render and on window resizes: the drawing is at its own size.
        let (figure, width) = (figure.clone(), width.clone());
        use_effect(move || {
            let measure = {
                let (figure, width) = (figure.clone(), width.clone());
                move || {
                    let svg = figure
                        .cast::<web_sys::Element>()
                        .and_then(|f| f.query_selector("svg.chart").ok().flatten());
                    if let Some(el) = svg {
                        // The exact width, not clientWidth's whole pixels: one drawing unit is
                        // one CSS px.
                        let measured = el.get_bounding_client_rect().width();
                        let w = measured.max(W_MIN);
                        if (w - *width).abs() >= 0.01 && measured > 0.0 {
                            width.set(w);
                        }
                    }
                }
            };
            measure();
            let listener = Closure::<dyn Fn()>::new(measure);
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ =
                    w.add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = window {
                    let _ = w.remove_event_listener_with_callback(
                        "resize",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    let w = *width;
    let data = Data {
        runs: &props.runs,
        thinned: props.runs.iter().map(|r| thin(&r.history)).collect(),
    };
    let empty = data.thinned.iter().all(Vec::is_empty);
    let time_axes = *axes_state;
    let (elbo_plot, elbo_no_log) = against_time(
        &data,
        w,
        &[("neg-elbo", |r| r.neg_elbo), ("recon", |r| r.recon)],
        "nats / image",
        time_axes,
    );
    let (kl_plot, kl_no_log) = against_time(&data, w, &[("kl", |r| r.kl)], "KL, nats", time_axes);
    let plots = [
        rate_distortion(&data, w, &props.on_pick_run),
        elbo_plot,
        kl_plot,
    ];
    let spots: Rc<Vec<Vec<Spot>>> = Rc::new(plots.iter().map(|p| p.spots.clone()).collect());
    let labels = [
        "rate–distortion plane: each run's KL against reconstruction, with lines of equal −ELBO",
        "−ELBO and reconstruction against step, every run",
        "KL against step, every run",
    ];
    let heights = [H_RD, H, H];
    let svgs = plots.into_iter().enumerate().map(|(i, plot)| {
        let h = heights[i];
        let on_move = {
            let (focus, spots) = (focus.clone(), spots.clone());
            Callback::from(move |e: PointerEvent| {
                // The pointer in the drawing's units. (offsetX is relative to the child hit, and
                // Yew delegates events, so the current target is not the plot either.)
                let svg = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .and_then(|t| t.closest("svg.chart").ok().flatten());
                let Some(svg) = svg else {
                    return;
                };
                let rect = svg.get_bounding_client_rect();
                let scale = w / rect.width().max(1.0);
                let px = (f64::from(e.client_x()) - rect.left()) * scale;
                let py = (f64::from(e.client_y()) - rect.top()) * scale;
                let hit = nearest(&spots[i], px, py);
                focus.set(hit.map(|s| (i, s.0, s.1)));
            })
        };
        let on_key = {
            let (focus, spots) = (focus.clone(), spots.clone());
            Callback::from(move |e: KeyboardEvent| {
                let list = &spots[i];
                let now = (*focus)
                    .filter(|f| f.0 == i)
                    .and_then(|(_, run, step)| list.iter().position(|s| s.0 == run && s.1 == step));
                let next = match (e.key().as_str(), now) {
                    ("ArrowRight" | "ArrowDown", Some(k)) => (k + 1).min(list.len().saturating_sub(1)),
                    ("ArrowLeft" | "ArrowUp", Some(k)) => k.saturating_sub(1),
                    ("Home", _) => 0,
                    ("End", _) => list.len().saturating_sub(1),
                    (_, None) if e.key().starts_with("Arrow") => 0,
                    _ => return,
                };
                e.prevent_default();
                focus.set(list.get(next).map(|s| (i, s.0, s.1)));
            })
        };
        let on_focus = {
            let (focus, spots) = (focus.clone(), spots.clone());
            Callback::from(move |_: FocusEvent| {
                if focus.is_none_or(|f| f.0 != i) {
                    focus.set(spots[i].last().map(|s| (i, s.0, s.1)));
                }
            })
        };
        let marker = (*focus).filter(|f| f.0 == i).and_then(|(_, run, step)| {
            spots[i].iter().find(|s| s.0 == run && s.1 == step).map(|s| html! {
                <circle class="hover-mark" cx={format!("{:.1}", s.2)} cy={format!("{:.1}", s.3)} r="6" />
            })
        });
        html! {
            <svg viewBox={format!("0 0 {w} {h}")} width={w.to_string()} height={h.to_string()} class="chart" role="img" tabindex="0"
                data-testid={["chart-rd", "chart-elbo", "chart-kl"][i]} aria-label={labels[i]}
                onpointermove={on_move} onkeydown={on_key} onfocus={on_focus}>
                { plot.html }
                { for marker }
            </svg>
        }
    });
    let readout = (*focus).and_then(|(_, run, step)| {
        let r = props.runs.get(run)?;
        let row = r.history.iter().find(|row| row.step == step)?;
        Some(html! {
            <p class="chart-readout" data-testid="chart-readout" aria-live="polite" data-run={r.id.to_string()} data-step={step.to_string()}
                data-kl={row.kl.to_string()} data-recon={row.recon.to_string()} data-images={row.images_seen.to_string()}>
                <span class={format!("swatch run-c{}", r.colour)}></span>
                { format!("{}, step {step} (epoch {:.2}, {} images): KL {:.4}, recon {:.4}, −ELBO {:.4} nats; β {}, lr {}", r.name, row.epoch, row.images_seen, row.kl, row.recon, row.neg_elbo, row.beta, row.learning_rate) }
            </p>
        })
    });
    let on_x = {
        let axes_state = axes_state.clone();
        Callback::from(move |e: Event| {
            let images = e
                .target_dyn_into::<web_sys::HtmlSelectElement>()
                .is_some_and(|s| s.value() == "images");
            axes_state.set(TimeAxes {
                images,
                ..*axes_state
            });
        })
    };
    let on_log = {
        let axes_state = axes_state.clone();
        Callback::from(move |e: Event| {
            let log_y = e
                .target_dyn_into::<web_sys::HtmlInputElement>()
                .is_some_and(|i| i.checked());
            axes_state.set(TimeAxes {
                log_y,
                ..*axes_state
            });
        })
    };
    let export = |format: &'static str| {
        let (figure, export_error) = (figure.clone(), export_error.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(el) = figure.cast::<web_sys::Element>() else {
                return;
            };
            let export_error = export_error.clone();
            wasm_bindgen_futures::spawn_local(async move {
                export_error.set(browser::export_chart(&el, format).await.err());
            });
        })
    };
    let legend = props.runs.iter().map(|r| {
        html! {
            <span class={format!("key run-c{}", r.colour)}>{ &r.name }</span>
        }
    });
    html! {
        <figure class="loss-chart" ref={figure.clone()} data-testid="loss-chart" data-points={props.points.to_string()} data-pretrained={props.pretrained.to_string()}
            data-runs={props.runs.len().to_string()} aria-label="loss chart: KL and reconstruction in nats per image, every visible run">
            <div class="chart-tools">
                <label>{ "x: " }
                    <select data-testid="chart-x" aria-label="x axis of the plots against time" onchange={on_x}>
                        <option value="step" selected={!time_axes.images}>{ "training step" }</option>
                        <option value="images" selected={time_axes.images}>{ "images seen" }</option>
                    </select>
                </label>
                <label class="check"><input type="checkbox" data-testid="chart-log-y" checked={time_axes.log_y} onchange={on_log} />{ " log y" }</label>
                <button data-testid="export-chart" data-format="svg" onclick={export("svg")}>{ "Chart as SVG" }</button>
                <button data-testid="export-chart-png" data-format="png" onclick={export("png")}>{ "PNG" }</button>
            </div>
            if elbo_no_log || kl_no_log {
                <p class="chart-note" data-testid="chart-log-note">{ "A log scale needs positive values; a plot with zero or negative ones (the continuous Bernoulli's reconstruction is negative) stays linear." }</p>
            }
            if let Some(e) = &*export_error {
                <p class="chart-note" role="alert" data-testid="chart-export-error">{ format!("The chart was not exported: {e}") }</p>
            }
            <div class="chart-legend">
                { for legend }
                <span class="units">{ "nats per image · training-batch averages · ◆ test split · −ELBO solid, reconstruction dashed" }</span>
            </div>
            if props.pretrained {
                <p class="chart-note" data-testid="chart-pretrained">{ format!("The run that made the pretrained model (to step {}); training here adds a run beside it.", props.runs.first().and_then(|r| r.history.last()).map_or(0, |r| r.step)) }</p>
            }
            if let (true, Some(hint)) = (empty, props.hint) {
                <p class="chart-empty" data-testid="chart-empty">{ hint }</p>
            }
            { for svgs }
            { for readout }
        </figure>
    }
}
