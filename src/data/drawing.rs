//! A user's drawing turned into an MNIST-style 28×28 image.
//!
//! MNIST's digits were made from NIST's binary scans in two steps (LeCun et al.): each digit was
//! size-normalised to fit a 20×20 box, keeping its aspect ratio (the anti-aliasing of that step
//! gives the grey levels), and then placed in a 28×28 frame by translating it so that its centre
//! of mass falls on the frame's centre. Measured on the 10,000 shipped test digits, the centre of
//! mass (pixel centres at integer indices, 0-based) is at (14.01, 13.99) on average with a
//! standard deviation of 0.29 px on each axis, the spread of a uniform error on [-0.5, 0.5]: the
//! translation was by whole pixels, to pixel (14, 14). The bounding box of every test digit's ink
//! is exactly 20 pixels on its longer side. [`to_mnist`] does the same.

/// Side of the output image.
pub const SIDE: usize = 28;
/// Side of the box the ink is scaled to fit.
pub const BOX: usize = 20;
/// Where MNIST puts the centre of mass: pixel (14, 14), 0-based, in (column, row) = (x, y).
pub const CENTRE: f64 = 14.0;

/// A user's drawing (row-major `side`×`side` grey values in [0, 1], 1 = ink) turned into a
/// 28×28 image the way MNIST digits were made: the ink's bounding box scaled (keeping its aspect
/// ratio, with area-averaging anti-aliasing) to fit a 20×20 box, then placed in the 28×28 frame
/// so that its centre of mass is at the centre. `None` when there is no ink.
///
/// Details:
/// - Ink is any value above 0. Values are clamped to [0, 1] first; NaN counts as no ink.
/// - `None` also when `side` is 0 or `canvas.len()` is not `side * side`.
/// - Scaling is by the factor s = 20 / (longer side of the ink's bounding box), upwards or
///   downwards; the shorter side is centred in the 20×20 box to a whole pixel. Area averaging preserves ink:
///   the output's sum is s² times the input's.
/// - Centring follows MNIST's convention: the centre of mass (pixel centres at integer indices,
///   0-based) is moved by a whole-pixel translation to within 0.5 px of pixel (14, 14), i.e.
///   to within half a pixel of where MNIST's digits have theirs (which is 0.5 px right of and
///   below the geometric centre (13.5, 13.5)). The 20×20 box stays aligned to the pixel grid,
///   so the ink spans at most 20 pixels on each axis. If centring would push ink out of the
///   frame (a centre of mass more than 4 px from the box's centre), the box is moved only as
///   far as the frame allows and nothing is cropped.
pub fn to_mnist(canvas: &[f32], side: usize) -> Option<Vec<f32>> {
    to_mnist_rect(canvas, side, side)
}

/// [`to_mnist`] for ink on a `width`×`height` raster (row-major): what image files of any
/// shape go through ([`super::own`]). `None` when there is no ink, or `ink.len()` is not
/// `width * height`.
pub fn to_mnist_rect(ink: &[f32], width: usize, height: usize) -> Option<Vec<f32>> {
    if width == 0 || height == 0 || width.checked_mul(height) != Some(ink.len()) {
        return None;
    }
    let at = |x: usize, y: usize| clean(ink[y * width + x]);

    // Bounding box of the ink (inclusive).
    let (mut x0, mut x1, mut y0, mut y1) = (usize::MAX, 0, usize::MAX, 0);
    for y in 0..height {
        for x in 0..width {
            if at(x, y) > 0.0 {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
    }
    if x0 == usize::MAX {
        return None;
    }
    let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
    let scale = BOX as f64 / w.max(h) as f64;
    // Where the bounding box's left/top edge lands inside the 20×20 box: the shorter side
    // centred, to a whole pixel so that a drawing whose scaled width is whole pixels (e.g. an
    // MNIST digit upsampled ×10) is not blurred by a half-pixel phase. The centring that
    // matters comes after, from the centre of mass.
    let left = (0.5 * (BOX as f64 - w as f64 * scale)).floor();
    let top = (0.5 * (BOX as f64 - h as f64 * scale)).floor();
    let wx = area_weights(w, scale, left);
    let wy = area_weights(h, scale, top);

    // Resample into the 20×20 box, separably: rows first, then columns.
    let mut rows = vec![0.0f64; h * BOX];
    for (j, row) in rows.chunks_mut(BOX).enumerate() {
        for (u, out) in row.iter_mut().enumerate() {
            *out = wx[u].iter().map(|&(i, wt)| wt * at(x0 + i, y0 + j)).sum();
        }
    }
    let mut small = vec![0.0f64; BOX * BOX];
    for v in 0..BOX {
        for u in 0..BOX {
            small[v * BOX + u] = wy[v].iter().map(|&(j, wt)| wt * rows[j * BOX + u]).sum();
        }
    }

    // Centre of mass in the 20×20 box, then a whole-pixel translation that puts it at (14, 14).
    let total: f64 = small.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let (mut cx, mut cy) = (0.0, 0.0);
    for (p, &v) in small.iter().enumerate() {
        cx += v * (p % BOX) as f64;
        cy += v * (p / BOX) as f64;
    }
    let shift = |c: f64| (CENTRE - c / total).round().clamp(0.0, (SIDE - BOX) as f64) as usize;
    let (dx, dy) = (shift(cx), shift(cy));

    let mut out = vec![0.0f32; SIDE * SIDE];
    for v in 0..BOX {
        for u in 0..BOX {
            out[(v + dy) * SIDE + u + dx] = small[v * BOX + u].clamp(0.0, 1.0) as f32;
        }
    }
    Some(out)
}

fn clean(v: f32) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        f64::from(v.clamp(0.0, 1.0))
    }
}

/// For each of the 20 output pixels along one axis, the input pixels (counted from the bounding
/// box's edge, `len` of them) it overlaps and their weights: the output pixel [u, u+1] is the
/// image of the input interval [(u - offset) / scale, (u + 1 - offset) / scale], and the output
/// value is the input's mean over it, so weight = overlap length × scale.
fn area_weights(len: usize, scale: f64, offset: f64) -> Vec<Vec<(usize, f64)>> {
    (0..BOX)
        .map(|u| {
            let a = (u as f64 - offset) / scale;
            let b = (u as f64 + 1.0 - offset) / scale;
            let first = a.floor().max(0.0) as usize;
            let last = (b.ceil().max(0.0) as usize).min(len);
            (first..last)
                .filter_map(|i| {
                    let overlap = b.min(i as f64 + 1.0) - a.max(i as f64);
                    (overlap > 0.0).then_some((i, overlap * scale))
                })
                .collect()
        })
        .collect()
}
