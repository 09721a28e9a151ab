//! The loss chart's arithmetic, apart from its drawing: linear and log10 scales and their
//! ticks, thinning long runs to a drawable number of points, and images seen at a step.

use crate::analysis::train::HistoryRow;

/// A linear map from data range to pixel range.
#[derive(Clone, Copy)]
pub struct Scale {
    d0: f64,
    d1: f64,
    p0: f64,
    p1: f64,
}

impl Scale {
    pub fn new((d0, d1): (f64, f64), p0: f64, p1: f64) -> Self {
        let d1 = if (d1 - d0).abs() < 1e-9 { d0 + 1.0 } else { d1 };
        Self { d0, d1, p0, p1 }
    }
    pub fn at(&self, v: f64) -> f64 {
        self.p0 + (v - self.d0) / (self.d1 - self.d0) * (self.p1 - self.p0)
    }
}

/// About `n` round tick values covering [lo, hi].
pub fn ticks(lo: f64, hi: f64, n: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / n;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= n + 1.0)
        .unwrap_or(10.0 * mag);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + 1e-9 {
        out.push(t);
        t += step;
    }
    out
}

pub fn fmt_tick(v: f64) -> String {
    if v.abs() >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else if v.abs() >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}").trim_end_matches('0').to_string()
    }
}

pub fn range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// Pad a range by 5%.
pub fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
    let pad = ((hi - lo) * 0.05).max(0.5);
    (lo - pad, hi + pad)
}

/// Lines are drawn from at most this many points per run: a long run is averaged in
/// buckets, so drawing stays cheap however long the page trains.
pub const MAX_POINTS: usize = 400;

/// `rows` averaged in consecutive buckets down to `MAX_POINTS` (each keeps its last step).
pub fn thin(rows: &[HistoryRow]) -> Vec<HistoryRow> {
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

/// A tick: where it sits on the scale's (possibly logarithmic) axis, and its label.
pub type Tick = (f64, String);

/// Linear ticks, about `n` of them, over [lo, hi].
pub fn linear_ticks(lo: f64, hi: f64, n: f64) -> Vec<Tick> {
    ticks(lo, hi, n)
        .into_iter()
        .map(|t| (t, fmt_tick(t)))
        .collect()
}

/// Ticks for a log10 axis spanning [lo, hi] in log10 units: 1, 2, 5 × 10^k, or every
/// integer multiple where the span is under a decade; at most about `n`.
pub fn log_ticks(lo: f64, hi: f64, n: f64) -> Vec<Tick> {
    let within = |mults: &[f64]| -> Vec<f64> {
        (lo.floor() as i32..=hi.ceil() as i32)
            .flat_map(|k| mults.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| (lo..=hi).contains(&v.log10()))
            .collect()
    };
    let mut values = within(&[1.0, 2.0, 5.0]);
    if values.len() < 3 {
        values = within(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    }
    if values.len() < 2 {
        // Less than one step of the 1–9 ladder: linear ticks, placed on the log axis.
        values = ticks(10f64.powf(lo), 10f64.powf(hi), n.min(3.0));
    }
    let keep = values.len().div_ceil(n.max(1.0) as usize).max(1);
    values
        .into_iter()
        .step_by(keep)
        .filter(|v| *v > 0.0)
        .map(|v| (v.log10(), fmt_tick(v)))
        .collect()
}

/// Images seen by a run when it had taken `step` steps: its rows', between them in proportion.
pub fn images_at(rows: &[HistoryRow], step: usize) -> f64 {
    let after = rows.partition_point(|r| r.step < step);
    match (
        after.checked_sub(1).and_then(|i| rows.get(i)),
        rows.get(after),
    ) {
        (_, Some(r)) if r.step == step => r.images_seen as f64,
        (Some(a), Some(b)) => {
            let t = (step - a.step) as f64 / (b.step - a.step).max(1) as f64;
            a.images_seen as f64 + t * (b.images_seen as f64 - a.images_seen as f64)
        }
        (Some(a), None) => a.images_seen as f64 / a.step.max(1) as f64 * step as f64,
        (None, Some(b)) => b.images_seen as f64 / b.step.max(1) as f64 * step as f64,
        (None, None) => 0.0,
    }
}
