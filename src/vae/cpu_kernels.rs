//! Burn's CPU backend (ndarray) with the loops a training step spends most of its time in done
//! on its arrays directly: the dense product and Adam's update.
//!
//! Burn's ndarray matmul copies an operand that is a transposed view (the backward pass's
//! `grad · Wᵀ` and `xᵀ · grad`) before multiplying; `ndarray`'s own product hands the strides to
//! the same `matrixmultiply` kernel instead, so the copy goes. A product whose left operand is
//! mostly zeros (a batch of MNIST digits) skips them instead ([`sparse_product`]). Burn's Adam is
//! a dozen whole-tensor operations, each a pass over every weight with an allocation of its own;
//! [`VaeBackend::adam_step`] here does the same arithmetic in the same order (so the same bits)
//! in one pass, in place. The data-parallel step reads weights and gradients straight from the
//! arrays ([`VaeBackend::append_host_values`]).
//!
//! This reaches under Burn's tensor type (`NdArrayTensor::F32`, Burn pinned at 0.21); a tensor of
//! another element type, or shapes that do not fit, go to Burn's own operations.

use burn::backend::ndarray::NdArrayTensor;
use burn::optim::{AdamState, AdaptiveMomentumState, LearningRate};
use burn::tensor::ops::{FloatTensor, FloatTensorOps};
use burn::tensor::{Tensor, TensorPrimitive};
use ndarray::{ArcArray, Array2, ArrayView2, Ix2, IxDyn};

use crate::vae::backend::Cpu;
use crate::vae::dense::VaeBackend;
use crate::vae::optim::{
    tensor_adam_step, AdamSettings, FlushingAdam, FLUSH_EVERY, TINY_GRADIENT, TINY_MOMENT,
};

type Array = ArcArray<f32, IxDyn>;

/// The `f32` array under a CPU tensor, or the tensor back if it holds another type.
fn array(t: NdArrayTensor) -> Result<Array, NdArrayTensor> {
    match t {
        NdArrayTensor::F32(storage) => Ok(storage.into_shared()),
        other => Err(other),
    }
}

fn primitive<const D: usize>(t: Tensor<Cpu, D>) -> NdArrayTensor {
    t.into_primitive().tensor()
}

fn tensor<const D: usize>(t: impl Into<NdArrayTensor>) -> Tensor<Cpu, D> {
    Tensor::from_primitive(TensorPrimitive::Float(t.into()))
}

fn back(a: Result<Array, NdArrayTensor>) -> NdArrayTensor {
    a.map_or_else(|t| t, Into::into)
}

/// Below this share of non-zero values in its left operand, a product skips the zeros
/// ([`sparse_product`]). In Chromium the skipping product took 0.4-0.5x the blocked kernel's
/// time with a fifth non-zero (MNIST's images) and about the same with half (the ReLU's output,
/// Fashion-MNIST's images): `bench/sparse-product.json`.
pub const SPARSE_BELOW: f64 = 0.4;

/// Products with narrower outputs are left to the blocked kernel: a non-zero's row of a few
/// columns (the latent layer's 2) costs more than the zeros it skips.
pub const SPARSE_MIN_COLUMNS: usize = 64;

/// Rows of `b` a sparse product adds at a time (64 × 512 values: 128 KB, within a core's L2).
/// Unblocked, a batch of 1,024 streamed every row of the gradient through the cache for each
/// pixel, and two workers sharing the batch trained slower than one.
const SPARSE_BLOCK_ROWS: usize = 64;

/// `a · b` row by row, each non-zero `a[r][c]` adding `a[r][c] · b[c]` to row `r` of the
/// result, where `a` is mostly zeros (non-zeros under [`SPARSE_BELOW`]), the result at least
/// [`SPARSE_MIN_COLUMNS`] wide and `b`'s rows contiguous; `None` otherwise. The first layer's
/// products are like that: its input is a batch of images, and four in five of an MNIST digit's
/// pixels are 0 (the forward pass's `x · W`, the backward pass's `xᵀ · grad`). The blocked
/// kernel multiplies every zero; skipping them adds the same non-zero products, in order.
pub fn sparse_product(a: &ArrayView2<f32>, b: &ArrayView2<f32>) -> Option<Array2<f32>> {
    let (m, n) = (a.nrows(), b.ncols());
    if n < SPARSE_MIN_COLUMNS {
        return None;
    }
    let b_rows = b.as_slice()?;
    let a_values = a.as_slice_memory_order()?;
    let non_zero = a_values.iter().filter(|v| **v != 0.0).count();
    if a_values.is_empty() || non_zero as f64 >= SPARSE_BELOW * a_values.len() as f64 {
        return None;
    }
    let mut out = vec![0.0f32; m * n];
    // `b` a block of rows at a time, so the rows a block adds stay in cache while every row of
    // the result takes them; each result still adds its products in the order of `c`.
    let k = a.ncols();
    for from in (0..k).step_by(SPARSE_BLOCK_ROWS) {
        let to = (from + SPARSE_BLOCK_ROWS).min(k);
        let block = &b_rows[from * n..to * n];
        for (a_row, out_row) in a.rows().into_iter().zip(out.chunks_exact_mut(n)) {
            let a_block = a_row.slice(ndarray::s![from..to]);
            for (&v, b_row) in a_block.iter().zip(block.chunks_exact(n)) {
                if v != 0.0 {
                    for (o, w) in out_row.iter_mut().zip(b_row) {
                        *o += v * w;
                    }
                }
            }
        }
    }
    Array2::from_shape_vec((m, n), out).ok()
}

impl VaeBackend for Cpu {
    fn dense_matmul(lhs: FloatTensor<Self>, rhs: FloatTensor<Self>) -> FloatTensor<Self> {
        let (lhs, rhs) = match (array(lhs), array(rhs)) {
            (Ok(lhs), Ok(rhs)) => (lhs, rhs),
            (lhs, rhs) => return Self::float_matmul(back(lhs), back(rhs)),
        };
        let product = match (
            lhs.view().into_dimensionality::<Ix2>(),
            rhs.view().into_dimensionality::<Ix2>(),
        ) {
            (Ok(a), Ok(b)) if a.ncols() == b.nrows() => {
                Some(sparse_product(&a, &b).unwrap_or_else(|| a.dot(&b)))
            }
            _ => None,
        };
        match product {
            Some(p) => p.into_dyn().into_shared().into(),
            // Not a product of two matching matrices: Burn's, which says what is wrong.
            None => Self::float_matmul(lhs.into(), rhs.into()),
        }
    }

    fn append_host_values(out: &mut Vec<f32>, t: &FloatTensor<Self>) -> bool {
        let NdArrayTensor::F32(storage) = t else {
            return false;
        };
        let view = storage.view();
        match view.as_slice() {
            Some(values) => out.extend_from_slice(values),
            None => out.extend(view.iter()),
        }
        true
    }

    fn adam_step<const D: usize>(
        adam: &FlushingAdam,
        lr: LearningRate,
        param: Tensor<Self, D>,
        grad: Tensor<Self, D>,
        state: Option<AdamState<Self, D>>,
    ) -> (Tensor<Self, D>, Option<AdamState<Self, D>>) {
        let (time, moments) = match state {
            Some(s) => {
                let m = s.momentum;
                let moments = (primitive(m.moment_1), primitive(m.moment_2));
                (m.time + 1, Some(moments))
            }
            None => (1, None),
        };
        let inputs = AdamInputs {
            p: primitive(param),
            g: primitive(grad),
            moments,
        };
        match fused_adam(adam, lr, time, inputs) {
            Ok((p, m, v)) => {
                let momentum = AdaptiveMomentumState::new(time, tensor(m), tensor(v));
                (tensor(p), Some(AdamState::new(momentum)))
            }
            // Another element type or mismatched shapes: Burn's operations, which cope or say
            // what is wrong.
            Err(inputs) => {
                let state = inputs.moments.map(|(m, v)| {
                    AdamState::new(AdaptiveMomentumState::new(time - 1, tensor(m), tensor(v)))
                });
                tensor_adam_step(adam, lr, tensor(inputs.p), tensor(inputs.g), state)
            }
        }
    }
}

/// One parameter's Adam inputs: its weights, its gradient, its previous moments.
struct AdamInputs {
    p: NdArrayTensor,
    g: NdArrayTensor,
    moments: Option<(NdArrayTensor, NdArrayTensor)>,
}

impl AdamInputs {
    fn boxed(p: Array, g: Array, moments: Option<(Array, Array)>) -> Box<Self> {
        Box::new(Self {
            p: p.into(),
            g: g.into(),
            moments: moments.map(|(m, v)| (m.into(), v.into())),
        })
    }
}

/// Adam's step `time` (1 for the first), in place; the new weights and moments. The inputs
/// back where they are not all `f32` or their shapes differ.
fn fused_adam(
    adam: &FlushingAdam,
    lr: LearningRate,
    time: usize,
    inputs: AdamInputs,
) -> Result<(Array, Array, Array), Box<AdamInputs>> {
    let AdamInputs { p, g, moments } = inputs;
    let moments = moments.map(|(m, v)| (array(m), array(v)));
    let (mut p, g, moments) = match (array(p), array(g), moments) {
        (Ok(p), Ok(g), None) => (p, g, None),
        (Ok(p), Ok(g), Some((Ok(m), Ok(v)))) => (p, g, Some((m, v))),
        (p, g, moments) => {
            return Err(Box::new(AdamInputs {
                p: back(p),
                g: back(g),
                moments: moments.map(|(m, v)| (back(m), back(v))),
            }))
        }
    };
    let same = |a: &Array| a.shape() == p.shape();
    if !same(&g) || moments.as_ref().is_some_and(|(m, v)| !same(m) || !same(v)) {
        return Err(AdamInputs::boxed(p, g, moments));
    }
    let first = moments.is_none();
    let (mut m, mut v) = moments.unwrap_or_else(|| {
        let zeros = || Array::zeros(p.raw_dim());
        (zeros(), zeros())
    });
    for a in [&mut p, &mut m, &mut v] {
        if !a.is_standard_layout() {
            *a = a.as_standard_layout().into_owned().into_shared();
        }
    }
    let step = AdamScalars::new(adam.settings(), lr, time);
    let gs = g.as_standard_layout();
    // `as_slice_mut` copies an array another tensor shares (copy-on-write).
    let updated = match (
        p.as_slice_mut(),
        gs.as_slice(),
        m.as_slice_mut(),
        v.as_slice_mut(),
    ) {
        (Some(ps), Some(gs), Some(ms), Some(vs)) => {
            step.apply(first, ps, gs, ms, vs);
            true
        }
        _ => false,
    };
    drop(gs);
    if !updated {
        // Not reached: every array was made standard, which has a slice.
        return Err(AdamInputs::boxed(p, g, (!first).then_some((m, v))));
    }
    Ok((p, m, v))
}

/// Burn's Adam reduced to scalars: its bias corrections, in f32, as it computes them.
struct AdamScalars {
    b1: f32,
    b2: f32,
    combined: f32,
    eps: f32,
    lr: f32,
    flush: bool,
}

impl AdamScalars {
    fn new(settings: &AdamSettings, lr: LearningRate, time: usize) -> Self {
        let (b1, b2) = (settings.beta_1, settings.beta_2);
        let t = time as i32;
        let correction_2 = (1.0 - b2.powi(t)).sqrt();
        Self {
            b1,
            b2,
            combined: correction_2 / (1.0 - b1.powi(t)),
            eps: settings.epsilon * correction_2,
            lr: lr as f32,
            flush: time.is_multiple_of(FLUSH_EVERY),
        }
    }

    /// One pass: the flushed gradient, the moments, the step, the moments flushed on a
    /// flushing step, each operation as Burn's Adam and [`FlushingAdam`] order them.
    fn apply(&self, first: bool, ps: &mut [f32], gs: &[f32], ms: &mut [f32], vs: &mut [f32]) {
        let (f1, f2) = (1.0 - self.b1, 1.0 - self.b2);
        let zero_below = |x: f32, limit: f32| if x.abs() < limit { 0.0 } else { x };
        for (((p, &g), m), v) in ps.iter_mut().zip(gs).zip(ms.iter_mut()).zip(vs.iter_mut()) {
            let g = zero_below(g, TINY_GRADIENT);
            let (m1, m2) = if first {
                (g * f1, (g * g) * f2)
            } else {
                (*m * self.b1 + g * f1, *v * self.b2 + (g * g) * f2)
            };
            let update = (m1 * self.combined) / (m2.sqrt() + self.eps);
            *p -= update * self.lr;
            (*m, *v) = if self.flush {
                (zero_below(m1, TINY_MOMENT), zero_below(m2, TINY_MOMENT))
            } else {
                (m1, m2)
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vae::optim::AdamSettings;
    use crate::vae::rng::SeededRng;
    use burn::tensor::TensorData;

    fn bits<const D: usize>(t: &Tensor<Cpu, D>) -> Vec<u32> {
        let values = t.to_data().to_vec::<f32>().unwrap_or_default();
        values.iter().map(|v| v.to_bits()).collect()
    }

    fn assert_same_bits<const D: usize>(a: &Tensor<Cpu, D>, b: &Tensor<Cpu, D>, what: &str) {
        let (a, b) = (bits(a), bits(b));
        let differ = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        assert!(
            a.len() == b.len() && differ == 0,
            "{what}: {differ} of {} values differ",
            a.len()
        );
    }

    /// Normal draws, some scaled to 1e-20 (flushed as gradients), some exactly zero, some
    /// negative zero; with `tiny`, the zeros are 1e-14 (their second moments start below
    /// TINY_MOMENT and are flushed on the 64th step).
    fn gradient(rng: &mut SeededRng, shape: [usize; 2], tiny: bool) -> Tensor<Cpu, 2> {
        let values = rng
            .normals(shape[0] * shape[1])
            .into_iter()
            .enumerate()
            .map(|(i, g)| match i % 7 {
                0 => g * 1e-20,
                1 | 2 if tiny => 1e-14,
                1 => 0.0,
                2 => -0.0,
                _ => g * 1e-2,
            })
            .collect::<Vec<_>>();
        Tensor::from_data(TensorData::new(values, shape), &Default::default())
    }

    /// The fused step gives Burn's operations' bits, weights and both moments, over 130 steps
    /// (two of them flushing ones), and leaves a tensor sharing the weights untouched.
    #[test]
    fn fused_adam_gives_burns_bits_and_copies_shared_weights() {
        let adam = FlushingAdam::new(AdamSettings::PYTORCH);
        let mut rng = SeededRng::new(7);
        let shape = [37, 23];
        let start = gradient(&mut rng, shape, false).mul_scalar(1e3);
        let (mut fused, mut burn) = (start.clone(), start);
        let (mut fused_state, mut burn_state) = (None, None);
        for step in 1..=130 {
            let g = gradient(&mut rng, shape, step == 1);
            let kept = fused.clone();
            let kept_bits = bits(&kept);
            (fused, fused_state) = Cpu::adam_step(&adam, 1e-3, fused, g.clone(), fused_state);
            (burn, burn_state) = tensor_adam_step(&adam, 1e-3, burn, g, burn_state);
            assert!(
                bits(&kept) == kept_bits,
                "step {step} wrote into a shared tensor"
            );
            assert_same_bits(&fused, &burn, &format!("weights after step {step}"));
            let (Some(f), Some(b)) = (&fused_state, &burn_state) else {
                panic!("no state after step {step}");
            };
            assert_eq!(f.momentum.time, b.momentum.time);
            let (m1, m2) = (&f.momentum.moment_1, &f.momentum.moment_2);
            assert_same_bits(
                m1,
                &b.momentum.moment_1,
                &format!("moment 1 after step {step}"),
            );
            assert_same_bits(
                m2,
                &b.momentum.moment_2,
                &format!("moment 2 after step {step}"),
            );
        }
    }

    /// The product of transposed views (the backward pass's) is Burn's product, to the bit.
    #[test]
    fn products_of_transposed_views_are_burns() {
        let mut rng = SeededRng::new(3);
        let a = gradient(&mut rng, [9, 5], false).mul_scalar(1e2);
        let b = gradient(&mut rng, [9, 4], false).mul_scalar(1e2);
        let c = gradient(&mut rng, [4, 5], false).mul_scalar(1e2);
        let product = |l: Tensor<Cpu, 2>, r: Tensor<Cpu, 2>| {
            let ours = Cpu::dense_matmul(primitive(l.clone()), primitive(r.clone()));
            let burns = Cpu::float_matmul(primitive(l), primitive(r));
            (tensor::<2>(ours), tensor::<2>(burns))
        };
        for (l, r) in [
            (a.clone().transpose(), b.clone()),
            (b.clone(), c.clone()),
            (a.clone(), c.clone().transpose()),
            (
                a.transpose(),
                b.clone().matmul(c.clone()).transpose().transpose(),
            ),
        ] {
            let (ours, burns) = product(l, r);
            assert_eq!(ours.dims(), burns.dims());
            assert_same_bits(&ours, &burns, "the product");
        }
    }

    /// An image-like `rows × cols` operand: one value in five non-zero, the others 0 or -0.
    fn mostly_zeros(rng: &mut SeededRng, rows: usize, cols: usize) -> Array2<f32> {
        let values = rng
            .normals(rows * cols)
            .into_iter()
            .enumerate()
            .map(|(i, g)| match i % 5 {
                0 => g,
                1 => -0.0,
                _ => 0.0,
            })
            .collect();
        Array2::from_shape_vec((rows, cols), values).expect("the shape fits")
    }

    fn dense(rng: &mut SeededRng, rows: usize, cols: usize) -> Array2<f32> {
        Array2::from_shape_vec((rows, cols), rng.normals(rows * cols)).expect("the shape fits")
    }

    /// Every product `a[r][c] · b[c][j]`, zeros too, added to row `r` in the order of `c`.
    fn in_order(a: &ArrayView2<f32>, b: &ArrayView2<f32>) -> Vec<u32> {
        let n = b.ncols();
        let mut out = vec![0.0f32; a.nrows() * n];
        for r in 0..a.nrows() {
            for c in 0..a.ncols() {
                for j in 0..n {
                    out[r * n + j] += a[[r, c]] * b[[c, j]];
                }
            }
        }
        out.iter().map(|v| v.to_bits()).collect()
    }

    /// Skipping the zeros adds the same products in the same order as multiplying them all, to
    /// the bit, for an image batch `x · W` and for the backward pass's transposed `xᵀ · grad`;
    /// and differs from the blocked kernel by rounding only.
    #[test]
    fn skipping_zeros_adds_the_same_products_in_order() {
        let mut rng = SeededRng::new(5);
        // More rows than a block of `b`, in both products.
        let x = mostly_zeros(
            &mut rng,
            2 * SPARSE_BLOCK_ROWS + 3,
            3 * SPARSE_BLOCK_ROWS + 5,
        );
        let w = dense(&mut rng, 3 * SPARSE_BLOCK_ROWS + 5, 70);
        let grad = dense(&mut rng, 2 * SPARSE_BLOCK_ROWS + 3, 70);
        for (a, b) in [(x.view(), w.view()), (x.t(), grad.view())] {
            let skipped = sparse_product(&a, &b).expect("a sparse operand");
            let bits: Vec<u32> = skipped.iter().map(|v| v.to_bits()).collect();
            assert_eq!(bits, in_order(&a, &b));
            let blocked = a.dot(&b);
            let worst = skipped
                .iter()
                .zip(&blocked)
                .map(|(s, d)| (s - d).abs() / d.abs().max(1.0))
                .fold(0.0f32, f32::max);
            assert!(worst < 1e-5, "{worst}");
        }
    }

    /// A left operand with few zeros, a right one whose rows are not contiguous, or a narrow
    /// result goes to the blocked kernel; the backend's product takes the sparse path where it applies.
    #[test]
    fn the_sparse_path_is_taken_only_where_it_applies() {
        let mut rng = SeededRng::new(6);
        let x = mostly_zeros(&mut rng, 8, 30);
        let w = dense(&mut rng, 30, SPARSE_MIN_COLUMNS);
        assert!(sparse_product(&dense(&mut rng, 8, 30).view(), &w.view()).is_none());
        let w_t = dense(&mut rng, SPARSE_MIN_COLUMNS, 30);
        assert!(sparse_product(&x.view(), &w_t.t()).is_none());
        let narrow = dense(&mut rng, 30, SPARSE_MIN_COLUMNS - 1);
        assert!(sparse_product(&x.view(), &narrow.view()).is_none());
        let skipped = sparse_product(&x.view(), &w.view()).expect("a sparse operand");
        let as_tensor = |a: &Array2<f32>| tensor::<2>(a.clone().into_dyn().into_shared());
        let ours = tensor::<2>(Cpu::dense_matmul(
            primitive(as_tensor(&x)),
            primitive(as_tensor(&w)),
        ));
        assert_same_bits(&ours, &as_tensor(&skipped), "the backend's product");
    }
}
