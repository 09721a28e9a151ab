//! The gap ln p(x) - ELBO(q_phi) split in two (Cremer, Li & Duvenaud, ICML 2018; vae-math.md):
//!
//! ```text
//! ln p(x) - ELBO(q_phi) = [ln p(x) - ELBO(q*)] + [ELBO(q*) - ELBO(q_phi)]
//!                          approximation gap      amortisation gap
//! ```
//!
//! q* is the best Gaussian for this one x: ELBO(x) maximised over (mu, log sigma) from the
//! encoder's answer (diagonal), then also over a full covariance from there. E_q[ln p(x|z)] is a
//! 2-D Gauss–Hermite sum over z = mu + L e, so every ELBO here is deterministic.
//!
//! Newton's method maximises it with the derivatives in their score-function form,
//! d E_q[f] = E_q[f d ln q] and d^2 E_q[f] = E_q[f (d ln q d ln q^T + d^2 ln q)], summed on the
//! same nodes. These need only f = ln p(x|z) at the nodes, never its gradient, and f is
//! continuous where a ReLU decoder's gradient in z jumps; the gradient of the node sum itself
//! (the reparameterised form) jumps whenever a node crosses one of those kinks, which stalls
//! Newton's method short of a stationary point. The ELBOs reported are then integrated on the
//! inspector's finer grid (see [`GapSplit`]).

// 5 x 5 matrices: index loops read as the formulas they compute.
#![allow(clippy::needless_range_loop)]

use serde::{Deserialize, Serialize};

use crate::analysis::evidence::{expected_log_likelihood, Evidence, Gaussian};
use crate::vae::backend::ReadbackError;
use crate::vae::dense::VaeBackend;
use crate::vae::elbo::{Likelihood, LN_2PI};
use crate::vae::model::{PointDecoder, Vae};

/// Gauss–Hermite nodes per latent axis (GAP_NODES^2 decoder evaluations per ELBO).
pub const GAP_NODES: usize = 16;
/// Stop when one Newton step changes the ELBO by less than this, relative.
pub const GAP_TOLERANCE: f64 = 1e-6;
const MAX_ITERATIONS: usize = 100;

/// Nodes e_i and weights w_i with sum_i w_i f(e_i) ≈ E[f(e)], e ~ N(0, 1): exact for
/// polynomials of degree up to 2n - 1. Computed by Newton's method on the orthonormal Hermite
/// recurrence (Numerical Recipes' `gauher`), then rescaled from weight e^{-x^2} to N(0, 1).
pub fn gauss_hermite(n: usize) -> Vec<(f64, f64)> {
    let n = n.max(1);
    let pim4 = std::f64::consts::PI.powf(-0.25);
    let nf = n as f64;
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    let mut z = 0.0f64;
    for i in 0..n.div_ceil(2) {
        z = match i {
            0 => (2.0 * nf + 1.0).sqrt() - 1.85575 * (2.0 * nf + 1.0).powf(-1.0 / 6.0),
            1 => z - 1.14 * nf.powf(0.426) / z,
            2 => 1.86 * z - 0.86 * x[0],
            3 => 1.91 * z - 0.91 * x[1],
            _ => 2.0 * z - x[i - 2],
        };
        let mut pp = 1.0;
        for _ in 0..100 {
            let (mut p1, mut p2) = (pim4, 0.0);
            for j in 1..=n {
                let p3 = p2;
                p2 = p1;
                let jf = j as f64;
                p1 = z * (2.0 / jf).sqrt() * p2 - ((jf - 1.0) / jf).sqrt() * p3;
            }
            pp = (2.0 * nf).sqrt() * p2;
            let step = p1 / pp;
            z -= step;
            if step.abs() <= 1e-15 * z.abs().max(1.0) {
                break;
            }
        }
        x[i] = z;
        x[n - 1 - i] = -z;
        w[i] = 2.0 / (pp * pp);
        w[n - 1 - i] = w[i];
    }
    let scale = std::f64::consts::PI.sqrt();
    x.iter()
        .zip(&w)
        .map(|(&xi, &wi)| (std::f64::consts::SQRT_2 * xi, wi / scale))
        .collect()
}

/// The decoder in f64 on the host: ln p(x|z) at many z, precise enough for Newton steps.
#[derive(Debug, Clone)]
pub struct HostDecoder {
    /// `[k][H]`, `[H]`, `[H][D]`, `[D]`, as in [`PointDecoder`].
    w1: Vec<f64>,
    b1: Vec<f64>,
    w2: Vec<f64>,
    b2: Vec<f64>,
}

impl HostDecoder {
    pub fn new(decoder: &PointDecoder) -> Self {
        let wide = |v: &[f32]| v.iter().map(|&x| x as f64).collect();
        let [w1, b1, w2, b2] = decoder.arrays();
        Self {
            w1: wide(w1),
            b1: wide(b1),
            w2: wide(w2),
            b2: wide(b2),
        }
    }

    /// Read `model`'s decoder back.
    pub async fn from_model<B: burn::tensor::backend::Backend>(
        model: &Vae<B>,
    ) -> Result<Self, ReadbackError> {
        Ok(Self::new(&PointDecoder::from_model(model).await?))
    }

    fn latent(&self) -> usize {
        self.w1.len() / self.b1.len().max(1)
    }

    /// ln p(x|z) at each 2-D z of `zs`. A few points at a time, so each row of the output
    /// weight is read once for all of them (the weights, 3 MB in f64, do not fit in cache).
    fn log_likelihoods(&self, x: &[f32], likelihood: Likelihood, zs: &[[f64; 2]]) -> Vec<f64> {
        const BLOCK: usize = 8;
        let (hidden, pixels) = (self.b1.len(), self.b2.len());
        let (w1a, w1b) = self.w1.split_at(hidden);
        let mut out = Vec::with_capacity(zs.len());
        for block in zs.chunks(BLOCK) {
            let mut logits: Vec<Vec<f64>> = block.iter().map(|_| self.b2.clone()).collect();
            for (j, row) in self.w2.chunks_exact(pixels).enumerate() {
                for (z, l) in block.iter().zip(&mut logits) {
                    let h = self.b1[j] + z[0] * w1a[j] + z[1] * w1b[j];
                    // ReLU: rows of inactive units add nothing.
                    if h > 0.0 {
                        for (li, &r) in l.iter_mut().zip(row) {
                            *li += h * r;
                        }
                    }
                }
            }
            out.extend(logits.iter().map(|l| {
                x.iter()
                    .zip(l)
                    .map(|(&xi, &li)| likelihood.pixel_log_prob(xi as f64, li))
                    .sum::<f64>()
            }));
        }
        out
    }
}

/// A Gaussian N(mu, L L^T) over the 2-D latent, L lower triangular: the parameters Newton's
/// method moves, `[mu1, mu2, ln L11, ln L22, L21]` (L21 held at 0 for a diagonal Gaussian).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Gaussian2 {
    pub mu: [f64; 2],
    /// L11, L21, L22.
    pub chol: [f64; 3],
}

impl Gaussian2 {
    /// The encoder's diagonal q(z|x).
    pub fn from_diagonal(q: &Gaussian) -> Self {
        Self {
            mu: [q.mu[0], q.mu[1]],
            chol: [q.sigma(0), 0.0, q.sigma(1)],
        }
    }

    fn params(&self) -> [f64; 5] {
        [
            self.mu[0],
            self.mu[1],
            self.chol[0].ln(),
            self.chol[2].ln(),
            self.chol[1],
        ]
    }

    fn from_params(p: &[f64; 5]) -> Self {
        Self {
            mu: [p[0], p[1]],
            chol: [p[2].exp(), p[4], p[3].exp()],
        }
    }

    /// z = mu + L e.
    pub fn at(&self, e: [f64; 2]) -> [f64; 2] {
        let [l11, l21, l22] = self.chol;
        [
            self.mu[0] + l11 * e[0],
            self.mu[1] + l21 * e[0] + l22 * e[1],
        ]
    }

    /// u = L^-1 (z - mu).
    pub fn standardise(&self, z: [f64; 2]) -> [f64; 2] {
        let [l11, l21, l22] = self.chol;
        let u0 = (z[0] - self.mu[0]) / l11;
        [u0, (z[1] - self.mu[1] - l21 * u0) / l22]
    }

    /// ln q(z) = -ln(2 pi) - ln L11 - ln L22 - |u|^2 / 2.
    pub fn log_density(&self, z: [f64; 2]) -> f64 {
        let [u0, u1] = self.standardise(z);
        -LN_2PI - self.chol[0].ln() - self.chol[2].ln() - 0.5 * (u0 * u0 + u1 * u1)
    }

    /// d ln q(z) / dp and d^2 ln q(z) / dp^2 in the parameters p = [mu1, mu2, ln L11, ln L22,
    /// L21], at the z whose standardised coordinates are `u` (= e at q's own nodes).
    fn score(&self, u: [f64; 2]) -> ([f64; 5], [[f64; 5]; 5]) {
        let [u0, u1] = u;
        let c = self.chol[1];
        let (a, b) = (1.0 / self.chol[0], 1.0 / self.chol[2]);
        let s = [
            a * u0 - c * a * b * u1,
            b * u1,
            u0 * u0 - c * b * u0 * u1 - 1.0,
            u1 * u1 - 1.0,
            b * u0 * u1,
        ];
        let mut h = [[0.0; 5]; 5];
        h[0][0] = -a * a - c * c * a * a * b * b;
        h[0][1] = c * a * b * b;
        h[0][2] = -2.0 * a * u0 + c * a * b * u1 - c * c * a * b * b * u0;
        h[0][3] = 2.0 * c * a * b * u1;
        h[0][4] = -a * b * u1 + c * a * b * b * u0;
        h[1][1] = -b * b;
        h[1][2] = c * b * b * u0;
        h[1][3] = -2.0 * b * u1;
        h[1][4] = -b * b * u0;
        h[2][2] = -2.0 * u0 * u0 + c * b * u0 * u1 - c * c * b * b * u0 * u0;
        h[2][3] = 2.0 * c * b * u0 * u1;
        h[2][4] = -b * u0 * u1 + c * b * b * u0 * u0;
        h[3][3] = -2.0 * u1 * u1;
        h[3][4] = -2.0 * b * u0 * u1;
        h[4][4] = -b * b * u0 * u0;
        for i in 0..5 {
            for j in 0..i {
                h[i][j] = h[j][i];
            }
        }
        (s, h)
    }

    /// Standard deviations of z1 and z2.
    pub fn sigma(&self) -> [f64; 2] {
        let [l11, l21, l22] = self.chol;
        [l11, (l21 * l21 + l22 * l22).sqrt()]
    }

    /// KL(N(mu, L L^T) || N(0, I)) = (tr S + |mu|^2 - 2)/2 - ln L11 - ln L22.
    pub fn kl_to_prior(&self) -> f64 {
        let [l11, l21, l22] = self.chol;
        0.5 * (l11 * l11 + l21 * l21 + l22 * l22 + self.mu[0].powi(2) + self.mu[1].powi(2) - 2.0)
            - l11.ln()
            - l22.ln()
    }
}

/// The ELBO of one x as a function of a Gaussian's parameters, by Gauss–Hermite quadrature.
pub struct ElboObjective<'a> {
    decoder: &'a HostDecoder,
    x: &'a [f32],
    likelihood: Likelihood,
    /// Product-rule nodes (e1, e2) and weights.
    nodes: Vec<([f64; 2], f64)>,
}

/// ELBO, gradient and Hessian in the parameters `[mu1, mu2, ln L11, ln L22, L21]`.
struct Taylor {
    value: f64,
    grad: [f64; 5],
    hess: [[f64; 5]; 5],
}

impl<'a> ElboObjective<'a> {
    pub fn new(decoder: &'a HostDecoder, x: &'a [f32], likelihood: Likelihood, n: usize) -> Self {
        let rule = gauss_hermite(n);
        let nodes = rule
            .iter()
            .flat_map(|&(e1, w1)| rule.iter().map(move |&(e2, w2)| ([e1, e2], w1 * w2)))
            .collect();
        Self {
            decoder,
            x,
            likelihood,
            nodes,
        }
    }

    /// ln p(x|z) at q's nodes z = mu + L e.
    fn at_nodes(&self, q: &Gaussian2) -> Vec<f64> {
        let zs: Vec<[f64; 2]> = self.nodes.iter().map(|&(e, _)| q.at(e)).collect();
        self.decoder.log_likelihoods(self.x, self.likelihood, &zs)
    }

    /// ELBO(q) = E_q[ln p(x|z)] - KL(q || N(0, I)), given ln p(x|z) at q's nodes.
    fn elbo_from(&self, q: &Gaussian2, f: &[f64]) -> f64 {
        let expected: f64 = self.nodes.iter().zip(f).map(|(&(_, w), fk)| w * fk).sum();
        expected - q.kl_to_prior()
    }

    /// ELBO(q) = E_q[ln p(x|z)] - KL(q || N(0, I)).
    pub fn elbo(&self, q: &Gaussian2) -> f64 {
        self.elbo_from(q, &self.at_nodes(q))
    }

    /// The ELBO of `q` with E_q[ln p(x|z)] summed on `reference`'s nodes, importance-weighted
    /// by q / reference: equal to [`ElboObjective::elbo`] at q = reference, and smooth in q.
    /// Its derivatives at q = reference are [`ElboObjective::gradient`]'s.
    pub fn elbo_on_nodes_of(&self, reference: &Gaussian2, q: &Gaussian2) -> f64 {
        let f = self.at_nodes(reference);
        let expected: f64 = self
            .nodes
            .iter()
            .zip(&f)
            .map(|(&(e, w), fk)| {
                let z = reference.at(e);
                w * fk * (q.log_density(z) - reference.log_density(z)).exp()
            })
            .sum();
        expected - q.kl_to_prior()
    }

    /// d ELBO / d(mu1, mu2, ln L11, ln L22, L21) at q, in score-function form.
    pub fn gradient(&self, q: &Gaussian2) -> [f64; 5] {
        self.taylor(q, &self.at_nodes(q)).grad
    }

    /// d^2 ELBO / dp^2 at q, in the same parameters and form as [`ElboObjective::gradient`].
    pub fn hessian(&self, q: &Gaussian2) -> [[f64; 5]; 5] {
        self.taylor(q, &self.at_nodes(q)).hess
    }

    /// ELBO, gradient and Hessian at q from ln p(x|z) at q's nodes `f`.
    fn taylor(&self, q: &Gaussian2, f: &[f64]) -> Taylor {
        let p = q.params();
        let [l11, l21, l22] = q.chol;
        // -KL's derivatives.
        let mut t = Taylor {
            value: self.elbo_from(q, f),
            grad: [-p[0], -p[1], 1.0 - l11 * l11, 1.0 - l22 * l22, -l21],
            hess: [[0.0; 5]; 5],
        };
        for (i, h) in [-1.0, -1.0, -2.0 * l11 * l11, -2.0 * l22 * l22, -1.0]
            .into_iter()
            .enumerate()
        {
            t.hess[i][i] = h;
        }
        // E_q[s] = 0 and E_q[s s^T + d^2 ln q] = 0 (exactly, on these nodes), so centring f
        // changes nothing but rounding.
        let mean = f
            .iter()
            .zip(&self.nodes)
            .map(|(fk, &(_, w))| w * fk)
            .sum::<f64>();
        for (&(e, w), fk) in self.nodes.iter().zip(f) {
            let c = w * (fk - mean);
            let (s, ds) = q.score(e);
            for i in 0..5 {
                t.grad[i] += c * s[i];
                for j in 0..5 {
                    t.hess[i][j] += c * (s[i] * s[j] + ds[i][j]);
                }
            }
        }
        t
    }
}

/// q* of one family, as Newton's method left it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Optimum {
    pub q: Gaussian2,
    /// The Gauss–Hermite ELBO it maximised, at q.
    pub elbo: f64,
    pub iterations: usize,
    /// The last step changed the ELBO by less than [`GAP_TOLERANCE`], relative.
    pub converged: bool,
    /// d ELBO / d(mu1, mu2, ln L11, ln L22[, L21]) at q.
    pub gradient: Vec<f64>,
    /// What one more Newton step predicts it would gain: g^T (-H)^-1 g / 2 (nats).
    pub predicted_gain: f64,
}

/// Maximise the ELBO over the first `n` parameters (4: diagonal, 5: full) from `start`. Each
/// step is Newton's, shortened until the ELBO rises; it stops once a step changes the ELBO by
/// less than [`GAP_TOLERANCE`], relative. The ELBO never falls, so q* is at least `start`.
fn maximise(objective: &ElboObjective, start: Gaussian2, n: usize) -> Optimum {
    let mut q = start;
    let mut f = objective.at_nodes(&q);
    let mut iterations = 0;
    let mut converged = false;
    loop {
        let t = objective.taylor(&q, &f);
        let step = ascent_direction(&t, n);
        if converged || iterations >= MAX_ITERATIONS || !t.value.is_finite() {
            return Optimum {
                q,
                elbo: t.value,
                iterations,
                converged,
                gradient: t.grad[..n].to_vec(),
                predicted_gain: 0.5 * (0..n).map(|i| t.grad[i] * step[i]).sum::<f64>(),
            };
        }
        iterations += 1;
        let p = q.params();
        let mut scale = 1.0;
        let mut next = None;
        while scale > 1e-10 {
            let mut trial = p;
            for i in 0..n {
                trial[i] += scale * step[i];
            }
            let trial = Gaussian2::from_params(&trial);
            let trial_f = objective.at_nodes(&trial);
            let value = objective.elbo_from(&trial, &trial_f);
            if value.is_finite() && value >= t.value {
                next = Some((trial, trial_f, value));
                break;
            }
            scale *= 0.5;
        }
        match next {
            Some((trial, trial_f, value)) => {
                converged = value - t.value <= GAP_TOLERANCE * value.abs();
                q = trial;
                f = trial_f;
            }
            // No rise left along Newton's direction: as converged as it gets.
            None => converged = true,
        }
    }
}

/// Newton's direction for ascent: solve (-H + lambda I) d = g with the smallest lambda (0 where
/// -H is positive definite) for which the Cholesky factorisation succeeds.
fn ascent_direction(t: &Taylor, n: usize) -> [f64; 5] {
    let scale = (0..n).map(|i| t.hess[i][i].abs()).fold(1e-12, f64::max);
    let mut lambda = 0.0;
    loop {
        let mut a = [[0.0; 5]; 5];
        for i in 0..n {
            for j in 0..n {
                a[i][j] = -t.hess[i][j];
            }
            a[i][i] += lambda;
        }
        if let Some(d) = cholesky_solve(&mut a, &t.grad, n) {
            return d;
        }
        lambda = if lambda == 0.0 {
            1e-8 * scale
        } else {
            lambda * 10.0
        };
    }
}

/// Solve A d = g for symmetric positive definite A (n x n, overwritten); None if it is not.
fn cholesky_solve(a: &mut [[f64; 5]; 5], g: &[f64; 5], n: usize) -> Option<[f64; 5]> {
    for j in 0..n {
        let mut d = a[j][j];
        for k in 0..j {
            d -= a[j][k] * a[j][k];
        }
        if d <= 0.0 || !d.is_finite() {
            return None;
        }
        a[j][j] = d.sqrt();
        for i in j + 1..n {
            let mut s = a[i][j];
            for k in 0..j {
                s -= a[i][k] * a[j][k];
            }
            a[i][j] = s / a[j][j];
        }
    }
    let mut y = [0.0; 5];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| a[i][k] * y[k]).sum();
        y[i] = (g[i] - s) / a[i][i];
    }
    let mut d = [0.0; 5];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| a[k][i] * d[k]).sum();
        d[i] = (y[i] - s) / a[i][i];
    }
    Some(d)
}

/// q* of both families for one x, from the encoder's `q`: Newton's method on the Gauss–Hermite
/// ELBO with `nodes` nodes per axis (diagonal first, then a full covariance from there).
/// `None` unless the latent space is 2-D.
pub fn optimise(
    decoder: &HostDecoder,
    x: &[f32],
    likelihood: Likelihood,
    q: &Gaussian,
    nodes: usize,
) -> Option<(Optimum, Optimum)> {
    if decoder.latent() != 2 || q.mu.len() != 2 {
        return None;
    }
    let objective = ElboObjective::new(decoder, x, likelihood, nodes);
    let diagonal = maximise(&objective, Gaussian2::from_diagonal(q), 4);
    let full = maximise(&objective, diagonal.q, 5);
    Some((diagonal, full))
}

/// ln p(x), the ELBOs of q_phi and q*, and the two gaps, for one input.
///
/// q* is found on the Gauss–Hermite ELBO, but every ELBO here is then integrated by the
/// inspector's rule (a 64 x 64 midpoint grid over q's standardised coordinates, as
/// `Evidence::elbo`): on a ReLU decoder's kinked ln p(x|z), 16 x 16 Gauss–Hermite nodes are
/// good to about 0.01 nat, the grid to 1e-4 (measured against finer rules), and the
/// approximation gap can be as small as that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapSplit {
    /// ln p(x) by quadrature (`Evidence::log_px`).
    pub log_px: f64,
    /// ELBO(q_phi), the encoder's q(z|x) (`Evidence::elbo`).
    pub elbo_encoder: f64,
    /// q*: the best diagonal Gaussian for this x.
    pub diagonal: Optimum,
    /// The best Gaussian with a full covariance (from the diagonal optimum).
    pub full: Optimum,
    /// ELBO(q*) and ELBO(full-covariance q*) on the inspector's grid.
    pub elbo_diagonal: f64,
    pub elbo_full: f64,
    /// ln p(x) - ELBO(q*): what no diagonal Gaussian can close.
    pub approximation_gap: f64,
    /// ELBO(q*) - ELBO(q_phi): what the encoder leaves on the table.
    pub amortisation_gap: f64,
    /// ln p(x) - ELBO(full-covariance q*).
    pub full_approximation_gap: f64,
    /// Gauss–Hermite nodes per axis in the optimisation.
    pub nodes: usize,
}

impl GapSplit {
    /// ln p(x) - ELBO(q_phi) = approximation + amortisation gap.
    pub fn total_gap(&self) -> f64 {
        self.log_px - self.elbo_encoder
    }
}

/// The gap split of `x` from its `evidence` (ln p(x), ELBO(q_phi) and q_phi by quadrature) and
/// the optima [`optimise`] found: ELBO(q*) on the grid of `evidence`'s ELBO. See
/// `evidence::evidence_with_gap_split`, which also widens the quadrature's box to cover q*.
pub async fn gap_split<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    evidence: &Evidence,
    diagonal: Optimum,
    full: Optimum,
    device: &B::Device,
) -> Result<GapSplit, ReadbackError> {
    let n = evidence.grid.n;
    let elbo = |q: Gaussian2| async move {
        let expected = expected_log_likelihood(model, x, likelihood, &q, n, device).await?;
        Ok::<f64, ReadbackError>(expected - q.kl_to_prior())
    };
    let elbo_diagonal = elbo(diagonal.q).await?;
    let elbo_full = elbo(full.q).await?;
    let (log_px, elbo_encoder) = (evidence.log_px, evidence.elbo);
    Ok(GapSplit {
        log_px,
        elbo_encoder,
        elbo_diagonal,
        elbo_full,
        approximation_gap: log_px - elbo_diagonal,
        amortisation_gap: elbo_diagonal - elbo_encoder,
        full_approximation_gap: log_px - elbo_full,
        diagonal,
        full,
        nodes: GAP_NODES,
    })
}
