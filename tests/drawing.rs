//! A drawing on a canvas turned into an MNIST-style 28×28 image.

mod common;

use vae_playground::data::drawing::{to_mnist, CENTRE};
use vae_playground::data::{Dataset, Split};

/// Centre of mass (x, y) with pixel centres at integer indices, and the total ink.
fn centre_of_mass(img: &[f32], side: usize) -> (f64, f64, f64) {
    let (mut sx, mut sy, mut total) = (0.0, 0.0, 0.0);
    for (p, &v) in img.iter().enumerate() {
        let v = v as f64;
        sx += v * (p % side) as f64;
        sy += v * (p / side) as f64;
        total += v;
    }
    (sx / total, sy / total, total)
}

/// Width and height of the bounding box of the pixels above `eps`.
fn ink_extent(img: &[f32], side: usize, eps: f32) -> (usize, usize) {
    let ink: Vec<usize> = (0..img.len()).filter(|&p| img[p] > eps).collect();
    let xs = ink.iter().map(|p| p % side);
    let ys = ink.iter().map(|p| p / side);
    let w = xs.clone().max().unwrap() - xs.min().unwrap() + 1;
    let h = ys.clone().max().unwrap() - ys.min().unwrap() + 1;
    (w, h)
}

fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len() as f64;
    let ma = a.iter().map(|&v| v as f64).sum::<f64>() / n;
    let mb = b.iter().map(|&v| v as f64).sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (x as f64 - ma, y as f64 - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    sab / (saa * sbb).sqrt()
}

#[test]
fn a_blank_canvas_has_no_digit() {
    assert_eq!(to_mnist(&vec![0.0; 280 * 280], 280), None);
    assert_eq!(to_mnist(&[f32::NAN; 16], 4), None);
    assert_eq!(to_mnist(&[-1.0; 16], 4), None);
}

#[test]
fn bad_sizes_give_none_not_a_panic() {
    assert_eq!(to_mnist(&[], 0), None);
    assert_eq!(to_mnist(&[1.0; 5], 0), None);
    assert_eq!(to_mnist(&[1.0; 15], 4), None);
    assert_eq!(to_mnist(&[1.0; 17], 4), None);
    assert_eq!(
        to_mnist(&[1.0; 4], usize::MAX),
        None,
        "side * side overflows"
    );
    assert!(to_mnist(&[1.0], 1).is_some());
}

/// A k×k square of ink anywhere on the canvas becomes a 20×20 square (scaled by 20 / k, so the
/// ink grows by (20 / k)²) with its centre of mass within half a pixel of MNIST's (14, 14).
#[test]
fn a_square_anywhere_is_scaled_to_the_box_and_centred() {
    let side = 100;
    for (x0, y0, k) in [
        (0, 0, 5),
        (90, 3, 10),
        (37, 61, 7),
        (95, 95, 5),
        (10, 50, 33),
    ] {
        let mut canvas = vec![0.0f32; side * side];
        for y in y0..y0 + k {
            for x in x0..x0 + k {
                canvas[y * side + x] = 0.8;
            }
        }
        let img = to_mnist(&canvas, side).expect("ink");
        assert_eq!(img.len(), 784);
        assert!(img.iter().all(|v| (0.0..=1.0).contains(v)));
        let (cx, cy, total) = centre_of_mass(&img, 28);
        assert!(
            (cx - CENTRE).abs() <= 0.5 && (cy - CENTRE).abs() <= 0.5,
            "{x0},{y0},{k}: centre ({cx}, {cy})"
        );
        let (w, h) = ink_extent(&img, 28, 1e-6);
        assert!(w <= 20 && h <= 20, "{x0},{y0},{k}: {w}x{h}");
        let scale = 20.0 / k as f64;
        let expected = 0.8 * (k * k) as f64 * scale * scale;
        assert!(
            (total - expected).abs() < 1e-3 * expected,
            "{x0},{y0},{k}: ink {total} vs {expected}"
        );
    }
}

/// Ink is preserved in proportion (×scale²) for an irregular shape, and a wide stroke keeps
/// its aspect ratio: 60×12 becomes 20×4.
#[test]
fn a_wide_bar_keeps_its_aspect_ratio_and_ink() {
    let side = 120;
    let mut canvas = vec![0.0f32; side * side];
    for y in 30..42 {
        for x in 40..100 {
            canvas[y * side + x] = if (x + y) % 3 == 0 { 1.0 } else { 0.5 };
        }
    }
    let input: f64 = canvas.iter().map(|&v| v as f64).sum();
    let img = to_mnist(&canvas, side).unwrap();
    let (_, _, total) = centre_of_mass(&img, 28);
    let scale = 20.0 / 60.0;
    assert!((total - input * scale * scale).abs() < 1e-3 * total);
    assert_eq!(ink_extent(&img, 28, 1e-6), (20, 4));
}

/// A real MNIST test digit, upsampled ×10 (nearest) onto a 280×280 canvas, comes back as itself:
/// the digits are already normalised this way.
#[test]
fn an_upsampled_mnist_digit_comes_back() {
    let test = common::load(Dataset::Mnist, Split::Test);
    let mut worst = f64::INFINITY;
    for i in 0..50 {
        let digit = test.image_f32(i);
        let mut canvas = vec![0.0f32; 280 * 280];
        for (p, v) in canvas.iter_mut().enumerate() {
            let (x, y) = (p % 280 / 10, p / 280 / 10);
            *v = digit[y * 28 + x];
        }
        let img = to_mnist(&canvas, 280).unwrap();
        let r = correlation(&img, &digit);
        assert!(r > 0.9, "image {i}: correlation {r}");
        worst = worst.min(r);
    }
    eprintln!("worst correlation over 50 digits: {worst}");
}
