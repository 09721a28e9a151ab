//! The loss, split: (a) -ELBO, reconstruction and KL against training step; (b) the
//! rate-distortion plane, KL against reconstruction, with the training trajectory.
//! Plain SVG, coloured through CSS variables so it reads in light and dark themes.

use std::rc::Rc;

use yew::prelude::*;

use crate::analysis::train::HistoryRow;
use crate::page::readout::TestPoint;

#[derive(Properties, PartialEq)]
pub struct LossChartProps {
    pub history: Rc<Vec<HistoryRow>>,
    pub test_points: Rc<Vec<TestPoint>>,
    /// The history is the run that made the pretrained weights, not this page's training.
    #[prop_or_default]
    pub pretrained: bool,
    /// What to say while there is nothing to draw (`None`: nothing).
    #[prop_or_default]
    pub hint: Option<&'static str>,
    /// Narrow charts whose text stays legible in a small frame (embeds).
    #[prop_or_default]
    pub compact: bool,
}

/// The charts' width in SVG units: the full page's, and the compact one drawn at about its
/// own size in CSS pixels (so 11.5-unit text stays at 11 px or more).
const W: f64 = 420.0;
const W_COMPACT: f64 = 300.0;
const H: f64 = 150.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 30.0;

/// A linear map from data range to pixel range.
#[derive(Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    fn new((d0, d1): (f64, f64), p0: f64, p1: f64) -> Self {
        let d1 = if (d1 - d0).abs() < 1e-9 { d0 + 1.0 } else { d1 };
        Self { d0, d1, p0, p1 }
    }
    fn at(&self, v: f64) -> f64 {
        self.p0 + (v - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }
}

/// About five round tick values covering [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 6.0)
        .unwrap_or(10.0 * mag);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + 1e-9 {
        out.push(t);
        t += step;
    }
    out
}

fn fmt_tick(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Pad a range by 5% and include the nice ticks' ends.
fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
    let pad = ((hi - lo) * 0.05).max(0.5);
    (lo - pad, hi + pad)
}

fn polyline(points: &[(f64, f64)], x: Scale, y: Scale, class: &'static str) -> Html {
    let d: String = points
        .iter()
        .map(|&(a, b)| format!("{:.1},{:.1} ", x.at(a), y.at(b)))
        .collect();
    html! { <polyline class={class} points={d} fill="none" /> }
}

fn axes(
    w: f64,
    x: Scale,
    y: Scale,
    xr: (f64, f64),
    yr: (f64, f64),
    xlabel: &str,
    ylabel: &str,
) -> Html {
    let xt = ticks(xr.0, xr.1).into_iter().map(|t| {
        let px = x.at(t);
        html! { <g class="tick"><line x1={px.to_string()} x2={px.to_string()} y1={TOP.to_string()} y2={(H - BOTTOM).to_string()} class="grid" />
            <text x={px.to_string()} y={(H - BOTTOM + 13.0).to_string()} text-anchor="middle">{ fmt_tick(t) }</text></g> }
    });
    let yt = ticks(yr.0, yr.1).into_iter().map(|t| {
        let py = y.at(t);
        html! { <g class="tick"><line x1={LEFT.to_string()} x2={(w - RIGHT).to_string()} y1={py.to_string()} y2={py.to_string()} class="grid" />
            <text x={(LEFT - 4.0).to_string()} y={(py + 3.5).to_string()} text-anchor="end">{ fmt_tick(t) }</text></g> }
    });
    html! {
        <>
            { for xt }{ for yt }
            <line class="axis" x1={LEFT.to_string()} x2={LEFT.to_string()} y1={TOP.to_string()} y2={(H - BOTTOM).to_string()} />
            <line class="axis" x1={LEFT.to_string()} x2={(w - RIGHT).to_string()} y1={(H - BOTTOM).to_string()} y2={(H - BOTTOM).to_string()} />
            <text class="axis-label" x={((LEFT + w - RIGHT) / 2.0).to_string()} y={(H - 3.0).to_string()} text-anchor="middle">{ xlabel.to_string() }</text>
            <text class="axis-label" transform={format!("translate(11,{}) rotate(-90)", (TOP + H - BOTTOM) / 2.0)} text-anchor="middle">{ ylabel.to_string() }</text>
        </>
    }
}

/// Lines are drawn from at most this many points: a long run is averaged in buckets, so
/// drawing stays cheap however long the page trains.
const MAX_POINTS: usize = 400;

/// `rows` averaged in consecutive buckets down to `MAX_POINTS` (each keeps its last step).
fn thin(rows: &[HistoryRow]) -> Vec<HistoryRow> {
    if rows.len() <= MAX_POINTS {
        return rows.to_vec();
    }
    let per = rows.len().div_ceil(MAX_POINTS);
    rows.chunks(per)
        .map(|bucket| {
            let n = bucket.len() as f64;
            let mean = |f: fn(&HistoryRow) -> f64| bucket.iter().map(f).sum::<f64>() / n;
            let mut row = bucket[bucket.len() - 1];
            row.kl = mean(|r| r.kl);
            row.recon = mean(|r| r.recon);
            row.neg_elbo = mean(|r| r.neg_elbo);
            row.loss = mean(|r| r.loss);
            row
        })
        .collect()
}

#[function_component(LossChart)]
pub fn loss_chart(props: &LossChartProps) -> Html {
    let thinned = thin(&props.history);
    let rows = &thinned;
    let tests = &props.test_points;
    let w = if props.compact { W_COMPACT } else { W };
    let x_px = (LEFT, w - RIGHT);
    let y_px = (H - BOTTOM, TOP);
    let empty = rows.is_empty();

    let steps = range(
        rows.iter()
            .map(|r| r.step as f64)
            .chain(tests.iter().map(|t| t.step as f64)),
    )
    .unwrap_or((0.0, 100.0));
    let steps = (0.0, steps.1.max(1.0));
    let xs = Scale::new(steps, x_px.0, x_px.1);

    // (a1) -ELBO and reconstruction share a scale; (a2) KL gets its own, being 30x smaller.
    let big = padded(
        range(
            rows.iter()
                .flat_map(|r| [r.neg_elbo, r.recon])
                .chain(tests.iter().flat_map(|t| [t.kl + t.recon, t.recon])),
        )
        .unwrap_or((100.0, 200.0)),
    );
    let kl = padded(
        range(rows.iter().map(|r| r.kl).chain(tests.iter().map(|t| t.kl))).unwrap_or((0.0, 10.0)),
    );
    let ys_big = Scale::new(big, y_px.0, y_px.1);
    let ys_kl = Scale::new(kl, y_px.0, y_px.1);

    let elbo_line: Vec<_> = rows.iter().map(|r| (r.step as f64, r.neg_elbo)).collect();
    let recon_line: Vec<_> = rows.iter().map(|r| (r.step as f64, r.recon)).collect();
    let kl_line: Vec<_> = rows.iter().map(|r| (r.step as f64, r.kl)).collect();
    let test_marks = |ys: Scale, value: fn(&TestPoint) -> f64| {
        tests.iter().map(move |t| {
            let (cx, cy) = (xs.at(t.step as f64), ys.at(value(t)));
            html! { <rect class="test-point" x={(cx - 3.5).to_string()} y={(cy - 3.5).to_string()} width="7" height="7"
                transform={format!("rotate(45 {cx:.1} {cy:.1})")}><title>{ format!("test, step {}: {:.2} nats", t.step, value(t)) }</title></rect> }
        })
    };

    // (b) rate-distortion: x = KL (rate), y = reconstruction (distortion).
    let rd_x = padded(
        range(rows.iter().map(|r| r.kl).chain(tests.iter().map(|t| t.kl))).unwrap_or((0.0, 10.0)),
    );
    let rd_y = padded(
        range(
            rows.iter()
                .map(|r| r.recon)
                .chain(tests.iter().map(|t| t.recon)),
        )
        .unwrap_or((100.0, 200.0)),
    );
    let rx = Scale::new(rd_x, x_px.0, x_px.1);
    let ry = Scale::new(rd_y, y_px.0, y_px.1);
    let trajectory: Vec<_> = rows.iter().map(|r| (r.kl, r.recon)).collect();
    let current = rows.last().map(|r| {
        html! { <circle class="current" cx={rx.at(r.kl).to_string()} cy={ry.at(r.recon).to_string()} r="5">
            <title>{ format!("now: KL {:.2}, recon {:.2} nats (β = {})", r.kl, r.recon, r.beta) }</title></circle> }
    });
    let rd_tests = tests.iter().map(|t| {
        let (cx, cy) = (rx.at(t.kl), ry.at(t.recon));
        html! { <rect class="test-point" x={(cx - 3.5).to_string()} y={(cy - 3.5).to_string()} width="7" height="7"
            transform={format!("rotate(45 {cx:.1} {cy:.1})")} /> }
    });
    let view_box = format!("0 0 {w} {H}");

    html! {
        <figure class="loss-chart" data-testid="loss-chart" data-points={props.history.len().to_string()} data-pretrained={props.pretrained.to_string()}
            aria-label="loss chart: KL and reconstruction in nats per image">
            <div class="chart-legend">
                <span class="key neg-elbo">{ "−ELBO = recon + KL" }</span>
                <span class="key recon">{ "reconstruction −E_q[ln p(x|z)]" }</span>
                <span class="key kl">{ "KL(q(z|x) ‖ p(z))" }</span>
                <span class="key test">{ "◆ test split" }</span>
                <span class="units">{ "nats per image · training-batch averages" }</span>
            </div>
            if props.pretrained {
                <p class="chart-note" data-testid="chart-pretrained">{ format!("The run that made the pretrained model (to step {}); training here replaces this curve.", rows.last().map_or(0, |r| r.step)) }</p>
            }
            if let (true, Some(hint)) = (empty, props.hint) {
                <p class="chart-empty" data-testid="chart-empty">{ hint }</p>
            }
            <svg viewBox={view_box.clone()} class="chart" role="img" aria-label="-ELBO and reconstruction against step">
                { axes(w, xs, ys_big, steps, big, "training step", "nats / image") }
                { polyline(&recon_line, xs, ys_big, "line recon") }
                { polyline(&elbo_line, xs, ys_big, "line neg-elbo") }
                { for test_marks(ys_big, |t| t.kl + t.recon) }
            </svg>
            <svg viewBox={view_box.clone()} class="chart" role="img" aria-label="KL against step">
                { axes(w, xs, ys_kl, steps, kl, "training step", "KL, nats") }
                { polyline(&kl_line, xs, ys_kl, "line kl") }
                { for test_marks(ys_kl, |t| t.kl) }
            </svg>
            <svg viewBox={view_box} class="chart" role="img" aria-label="rate-distortion plane: KL against reconstruction">
                { axes(w, rx, ry, rd_x, rd_y, "rate: KL, nats", "distortion, nats") }
                { polyline(&trajectory, rx, ry, "line trajectory") }
                { for rd_tests }
                { for current }
            </svg>
        </figure>
    }
}
