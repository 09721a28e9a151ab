//! The evidence ln p(x) of one image, which a 2-D latent space lets us compute almost exactly:
//! by quadrature over a grid of z, and by importance sampling with q(z|x) as the proposal.
//! With it, the gap ln p(x) - ELBO(x) = KL(q(z|x) || p(z|x)) becomes a number.

use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};

use crate::analysis::gap_split::{
    gap_split, optimise, GapSplit, Gaussian2, HostDecoder, GAP_NODES,
};
use crate::vae::backend::{read_f32, ReadbackError};
use crate::vae::dense::VaeBackend;
use crate::vae::elbo::{Likelihood, Reading, LN_2PI};
use crate::vae::model::Vae;
use crate::vae::rng::SeededRng;

/// Decoder evaluations per batch, bounding memory (points x 784 floats).
const POINTS_PER_BATCH: usize = 4096;

/// An n x n grid of cell centres over the box [z1_min, z1_max] x [z2_min, z2_max].
/// Point (i, j) has z1 index i and z2 index j and is stored at `j * n + i`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub z1: (f64, f64),
    pub z2: (f64, f64),
    pub n: usize,
}

impl Grid {
    pub fn cell_area(&self) -> f64 {
        (self.z1.1 - self.z1.0) * (self.z2.1 - self.z2.0) / (self.n * self.n) as f64
    }

    /// Cell centres as (z1, z2).
    pub fn points(&self) -> Vec<[f64; 2]> {
        let n = self.n;
        let at = |(lo, hi): (f64, f64), i: usize| lo + (hi - lo) * (i as f64 + 0.5) / n as f64;
        (0..n * n)
            .map(|p| [at(self.z1, p % n), at(self.z2, p / n)])
            .collect()
    }
}

/// q(z|x) of one image, on the host, for a 2-D (or k-D) latent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gaussian {
    pub mu: Vec<f64>,
    pub logvar: Vec<f64>,
}

impl Gaussian {
    pub fn sigma(&self, j: usize) -> f64 {
        (0.5 * self.logvar[j]).exp()
    }

    pub fn log_density(&self, z: &[f64]) -> f64 {
        z.iter()
            .enumerate()
            .map(|(j, &zj)| {
                let var = self.logvar[j].exp();
                -0.5 * (LN_2PI + self.logvar[j] + (zj - self.mu[j]).powi(2) / var)
            })
            .sum()
    }

    /// KL(q || N(0, I)) in closed form.
    pub fn kl_to_prior(&self) -> f64 {
        (0..self.mu.len())
            .map(|j| -0.5 * (1.0 + self.logvar[j] - self.mu[j].powi(2) - self.logvar[j].exp()))
            .sum()
    }
}

/// ln N(z; 0, I).
pub fn log_prior(z: &[f64]) -> f64 {
    z.iter().map(|&zj| -0.5 * (LN_2PI + zj * zj)).sum()
}

/// ln sum exp, stable.
pub fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// q(z|x) for one image `x` (784 pixels in [0, 1]).
pub async fn posterior<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    device: &B::Device,
) -> Result<Gaussian, ReadbackError> {
    let q = model.encode(row(x, device));
    Ok(Gaussian {
        mu: to_f64(read_f32(q.mu).await?),
        logvar: to_f64(read_f32(q.logvar).await?),
    })
}

/// ln p(x|z) at each of `points`.
pub async fn log_likelihood<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    points: &[Vec<f64>],
    device: &B::Device,
) -> Result<Vec<f64>, ReadbackError> {
    let mut out = Vec::with_capacity(points.len());
    let x = row(x, device);
    for chunk in points.chunks(POINTS_PER_BATCH) {
        let k = chunk[0].len();
        let flat: Vec<f32> = chunk.iter().flatten().map(|&v| v as f32).collect();
        let z = Tensor::<B, 2>::from_data(TensorData::new(flat, [chunk.len(), k]), device);
        let logits = model.decode_logits(z);
        let targets = x.clone().repeat_dim(0, chunk.len());
        let nll = read_f32(likelihood.nll(logits, targets)).await?;
        out.extend(nll.into_iter().map(|v| -(v as f64)));
    }
    Ok(out)
}

/// ln p(x|z) + ln p(z) at the cell centres of `grid`: the true posterior p(z|x) up to its
/// constant ln p(x). Cheaper than [`inspect`], so the page can draw the picture first.
pub async fn log_joint_on_grid<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    grid: Grid,
    device: &B::Device,
) -> Result<Vec<f64>, ReadbackError> {
    Ok(log_joint_on(model, x, likelihood, &grid, device).await?.0)
}

/// ln p(x), the ELBO and the gap for one image, all computed on one grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// ln p(x) by quadrature (nats; -ln p(x) is the image's code length).
    pub log_px: f64,
    /// ELBO(x) = -(recon + kl).
    pub elbo: f64,
    /// -E_q[ln p(x|z)], integrated on the grid.
    pub recon: f64,
    /// KL(q(z|x) || p(z)), closed form.
    pub kl: f64,
    /// ln p(x) - ELBO(x) = KL(q(z|x) || p(z|x)) >= 0.
    pub gap: f64,
    pub posterior: Gaussian,
    /// The grid the integrals were taken on.
    pub grid: Grid,
}

/// How many q standard deviations the grid for E_q[ln p(x|z)] reaches around mu.
const SIGMAS: f64 = 6.0;
/// Side of the coarse grid that looks for posterior mass over the prior's bulk.
const COARSE_N: usize = 48;
/// Side of the grids that zoom in on the posterior.
const ZOOM_N: usize = 32;
const MAX_ZOOMS: usize = 6;
/// Points within this many nats of the best one count as having posterior mass.
const MASS_NATS: f64 = 25.0;

/// ln p(x) = ln integral p(x|z) p(z) dz by the midpoint rule on an `n` x `n` grid (2-D latents).
///
/// The true posterior can be far narrower than q, so the grid's box is found by zooming: a
/// coarse grid over the prior's bulk (and wherever q is) finds every region with mass, and
/// each further grid shrinks the box to where the mass is until it stops shrinking. The
/// final `n` x `n` grid covers that box. E_q[ln p(x|z)] is integrated on its own grid over
/// mu +- 6 sigma. `n` = 64 is stable to well under 0.05 nat against n = 160 (tested).
pub async fn evidence_by_quadrature<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    n: usize,
    device: &B::Device,
) -> Result<Evidence, ReadbackError> {
    let q = posterior(model, x, device).await?;
    Ok(quadrature_given_q(model, x, likelihood, q, &[], n, device)
        .await?
        .0)
}

/// [`evidence_by_quadrature`] with its gap split: q* is found first, and the quadrature's box
/// covers q*'s regions as well as q(z|x)'s. (Where the likelihood outweighs the prior, as with
/// the continuous Bernoulli, q* can sit dozens of q's standard deviations from q and outside
/// the box q alone leads to: test image 0 of `mnist-continuous-bernoulli.vaew`, where ln p(x)
/// came out 1 nat below ELBO(q*) before.) What `inspect` and `vae evidence --gap-split` compute.
pub async fn evidence_with_gap_split<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    n: usize,
    device: &B::Device,
) -> Result<(Evidence, Option<GapSplit>), ReadbackError> {
    let (evidence, split, _) = quadrature_and_split(model, x, likelihood, n, device).await?;
    Ok((evidence, split))
}

/// [`evidence_with_gap_split`], with ln p(x|z) + ln p(z) at every point of the final grid.
async fn quadrature_and_split<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    n: usize,
    device: &B::Device,
) -> Result<(Evidence, Option<GapSplit>, Vec<f64>), ReadbackError> {
    let q = posterior(model, x, device).await?;
    let decoder = HostDecoder::from_model(model).await?;
    let optimum = optimise(&decoder, x, likelihood, &q, GAP_NODES);
    let regions: Vec<Gaussian2> = optimum.iter().flat_map(|(d, f)| [d.q, f.q]).collect();
    let (evidence, log_joint) =
        quadrature_given_q(model, x, likelihood, q, &regions, n, device).await?;
    let split = match optimum {
        Some((diagonal, full)) => {
            Some(gap_split(model, x, likelihood, &evidence, diagonal, full, device).await?)
        }
        None => None,
    };
    Ok((evidence, split, log_joint))
}

/// [`evidence_by_quadrature`] for a known q(z|x), with the box also covering `also`; returns
/// ln p(x|z) + ln p(z) at every point of the final grid (`Evidence::grid`) too, for reuse.
async fn quadrature_given_q<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    q: Gaussian,
    also: &[Gaussian2],
    n: usize,
    device: &B::Device,
) -> Result<(Evidence, Vec<f64>), ReadbackError> {
    let mut regions = vec![Gaussian2::from_diagonal(&q)];
    regions.extend_from_slice(also);
    let grid = posterior_box(model, x, likelihood, &regions, n, device).await?;
    let (log_joint, _) = log_joint_on(model, x, likelihood, &grid, device).await?;
    let log_px = match also.last() {
        Some(fine) if under_resolves(&grid, fine) => {
            refined_log_px(model, x, likelihood, &grid, &log_joint, fine, device).await?
        }
        _ => log_sum_exp(&log_joint) + grid.cell_area().ln(),
    };

    let expected_ll = expected_log_likelihood(
        model,
        x,
        likelihood,
        &Gaussian2::from_diagonal(&q),
        n,
        device,
    )
    .await?;
    let recon = -expected_ll;
    let kl = q.kl_to_prior();
    let elbo = -(recon + kl);
    let evidence = Evidence {
        log_px,
        elbo,
        recon,
        kl,
        gap: log_px - elbo,
        posterior: q,
        grid,
    };
    Ok((evidence, log_joint))
}

/// Whether `grid`'s cells are wider than `q`'s narrowest standard deviation. The box must
/// cover every region with posterior mass, and where those lie far apart (q_phi and q* of the
/// continuous Bernoulli MNIST model's test image 909, 64 x 64 over a box ~100 of q*'s
/// standard deviations wide) the midpoint rule misses most of q*'s peak: ln p(x) came out
/// 0.9 nat below ELBO(q*). Narrower than its cells, a Gaussian bump is summed to within 1e-8.
fn under_resolves(grid: &Grid, q: &Gaussian2) -> bool {
    let side = |(lo, hi): (f64, f64)| (hi - lo) / grid.n as f64;
    // The covariance's smaller eigenvalue.
    let [l11, l21, l22] = q.chol;
    let (a, b, c) = (l11 * l11, l11 * l21, l21 * l21 + l22 * l22);
    let narrowest = (0.5 * (a + c) - (0.25 * (a - c).powi(2) + b * b).sqrt())
        .max(0.0)
        .sqrt();
    side(grid.z1).max(side(grid.z2)) > narrowest
}

/// ln p(x) on two grids: an `n` x `n` grid over `q`'s own +- 6 sigma (its standardised
/// coordinates, z = mu + L u, each cell |L| times the u-cell), and `grid`'s cells outside that.
async fn refined_log_px<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    grid: &Grid,
    log_joint: &[f64],
    q: &Gaussian2,
    device: &B::Device,
) -> Result<f64, ReadbackError> {
    let u_grid = Grid {
        z1: (-SIGMAS, SIGMAS),
        z2: (-SIGMAS, SIGMAS),
        n: grid.n,
    };
    let fine: Vec<Vec<f64>> = u_grid.points().iter().map(|&u| q.at(u).to_vec()).collect();
    let log_lik = log_likelihood(model, x, likelihood, &fine, device).await?;
    let fine_area = (u_grid.cell_area() * q.chol[0] * q.chol[2]).ln();
    let mut terms: Vec<f64> = fine
        .iter()
        .zip(&log_lik)
        .map(|(z, ll)| ll + log_prior(z) + fine_area)
        .collect();
    let coarse_area = grid.cell_area().ln();
    let outside = |z: &[f64; 2]| q.standardise(*z).iter().any(|u| u.abs() > SIGMAS);
    terms.extend(
        grid.points()
            .iter()
            .zip(log_joint)
            .filter(|(z, _)| outside(z))
            .map(|(_, lj)| lj + coarse_area),
    );
    Ok(log_sum_exp(&terms))
}

/// E_q[ln p(x|z)] for a 2-D Gaussian q = N(mu, L L^T) by the midpoint rule on an `n` x `n`
/// grid of its standardised coordinates u over [-6, 6]^2 (z = mu + L u), weighted by
/// N(u; 0, I) normalised over the grid. For a diagonal q this is a grid over mu +- 6 sigma.
pub async fn expected_log_likelihood<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    q: &Gaussian2,
    n: usize,
    device: &B::Device,
) -> Result<f64, ReadbackError> {
    let u_grid = Grid {
        z1: (-SIGMAS, SIGMAS),
        z2: (-SIGMAS, SIGMAS),
        n,
    };
    let u = u_grid.points();
    let points: Vec<Vec<f64>> = u.iter().map(|&u| q.at(u).to_vec()).collect();
    let log_lik = log_likelihood(model, x, likelihood, &points, device).await?;
    let log_w: Vec<f64> = u
        .iter()
        .map(|u| -0.5 * (u[0] * u[0] + u[1] * u[1]))
        .collect();
    let log_norm = log_sum_exp(&log_w);
    Ok(log_w
        .iter()
        .zip(&log_lik)
        .map(|(lw, ll)| (lw - log_norm).exp() * ll)
        .sum())
}

fn grid_points(grid: &Grid) -> Vec<Vec<f64>> {
    grid.points().iter().map(|p| p.to_vec()).collect()
}

/// ln p(x|z) + ln p(z) at every point of `grid`, and the points.
async fn log_joint_on<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    grid: &Grid,
    device: &B::Device,
) -> Result<(Vec<f64>, Vec<Vec<f64>>), ReadbackError> {
    let points = grid_points(grid);
    let log_lik = log_likelihood(model, x, likelihood, &points, device).await?;
    let log_joint = points
        .iter()
        .zip(&log_lik)
        .map(|(z, ll)| ll + log_prior(z))
        .collect();
    Ok((log_joint, points))
}

/// The box of `grid` holding every point within `MASS_NATS` of the best, one cell wider.
fn mass_box(grid: &Grid, log_joint: &[f64], points: &[Vec<f64>]) -> Grid {
    let best = log_joint.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let cell = [
        (grid.z1.1 - grid.z1.0) / grid.n as f64,
        (grid.z2.1 - grid.z2.0) / grid.n as f64,
    ];
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for (z, lj) in points.iter().zip(log_joint) {
        if *lj > best - MASS_NATS {
            for j in 0..2 {
                lo[j] = lo[j].min(z[j] - 1.5 * cell[j]);
                hi[j] = hi[j].max(z[j] + 1.5 * cell[j]);
            }
        }
    }
    if !lo[0].is_finite() {
        return *grid;
    }
    Grid {
        z1: (lo[0], hi[0]),
        z2: (lo[1], hi[1]),
        n: grid.n,
    }
}

/// Zoom from the prior's bulk to the box where p(z|x) has its mass.
async fn posterior_box<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    regions: &[Gaussian2],
    n: usize,
    device: &B::Device,
) -> Result<Grid, ReadbackError> {
    // Each region's box, mu +- 6 sigma per coordinate.
    let spans: Vec<[(f64, f64); 2]> = regions
        .iter()
        .map(|g| {
            let s = g.sigma();
            [0, 1].map(|j| (g.mu[j] - SIGMAS * s[j], g.mu[j] + SIGMAS * s[j]))
        })
        .collect();
    let half = spans
        .iter()
        .flatten()
        .map(|(lo, hi)| lo.abs().max(hi.abs()))
        .fold(4.5_f64, f64::max);
    let mut grid = Grid {
        z1: (-half, half),
        z2: (-half, half),
        n: COARSE_N,
    };
    for _ in 0..MAX_ZOOMS {
        let (log_joint, points) = log_joint_on(model, x, likelihood, &grid, device).await?;
        let mass = mass_box(&grid, &log_joint, &points);
        // Always keep the regions' own boxes: a sharp peak near mu can fall between coarse
        // points.
        let widen = |(lo, hi): (f64, f64), j: usize| {
            spans
                .iter()
                .fold((lo, hi), |(lo, hi), s| (lo.min(s[j].0), hi.max(s[j].1)))
        };
        let next = Grid {
            z1: widen(mass.z1, 0),
            z2: widen(mass.z2, 1),
            n: ZOOM_N,
        };
        let area = |g: &Grid| (g.z1.1 - g.z1.0) * (g.z2.1 - g.z2.0);
        let shrank = area(&next) < 0.5 * area(&grid);
        grid = next;
        if !shrank {
            break;
        }
    }
    Ok(Grid { n, ..grid })
}

/// ln p(x) by importance sampling with q(z|x) as proposal (the IWAE bound with `k` samples):
/// ln (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x). It is a lower bound in expectation that
/// tightens towards ln p(x) as K grows.
pub async fn evidence_by_importance_sampling<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    k: usize,
    seed: u64,
    device: &B::Device,
) -> Result<f64, ReadbackError> {
    let q = posterior(model, x, device).await?;
    let mut rng = SeededRng::new(seed);
    importance_given_q(model, x, likelihood, &q, k, &mut rng, device).await
}

/// [`evidence_by_importance_sampling`] for a known q(z|x), drawing from `rng`.
async fn importance_given_q<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    q: &Gaussian,
    k: usize,
    rng: &mut SeededRng,
    device: &B::Device,
) -> Result<f64, ReadbackError> {
    let samples = sample_q(q, k.max(1), rng);
    let log_lik = log_likelihood(model, x, likelihood, &samples, device).await?;
    let log_w: Vec<f64> = samples
        .iter()
        .zip(&log_lik)
        .map(|(z, ll)| ll + log_prior(z) - q.log_density(z))
        .collect();
    Ok(log_sum_exp(&log_w) - (samples.len() as f64).ln())
}

fn sample_q(q: &Gaussian, count: usize, rng: &mut SeededRng) -> Vec<Vec<f64>> {
    let dims = q.mu.len();
    (0..count)
        .map(|_| {
            (0..dims)
                .map(|j| q.mu[j] + q.sigma(j) * rng.normal())
                .collect()
        })
        .collect()
}

/// Everything the page shows for one input x.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inspection {
    /// ln p(x) by quadrature (n = 64), ELBO(x) with recon and KL, the gap, and q(z|x).
    pub evidence: Evidence,
    /// The importance-sampled (IWAE) estimate of ln p(x) with `iwae_k` samples from q.
    pub iwae: f64,
    pub iwae_k: usize,
    /// The true posterior p(z|x) = p(x|z) p(z) / p(x) as a density at the cell centres of `view`
    /// (index j * n + i as in Grid), using ln p(x) from the quadrature above.
    pub heat: Vec<f64>,
    pub view: Grid,
    /// Decoded pixel means at z = mu (784 values in [0,1]; the decoder's mean, see
    /// [`Likelihood::mean_of_logit`]).
    pub reconstruction: Vec<f32>,
    /// `samples` images decoded at z ~ q(z|x), 784 each, concatenated.
    pub samples: Vec<f32>,
    /// The gap split into approximation and amortisation, with q* (2-D latents).
    pub gap_split: Option<GapSplit>,
    /// What ln p(x) is for this x under the decoder: a log-probability, a log-density or a score.
    pub reading: Reading,
}

/// Grid side of the quadrature behind [`Inspection::evidence`].
pub const INSPECT_QUADRATURE_N: usize = 64;

/// Everything the page shows for one input `x` (784 pixels in [0, 1]), for a 2-D latent:
///
/// - `evidence` and `gap_split`: exactly [`evidence_with_gap_split`] with n = 64;
/// - `iwae`: exactly [`evidence_by_importance_sampling`] with `iwae_k` samples and `seed`
///   (`iwae_k` = 0 counts as 1);
/// - `heat`: p(z|x) at the cell centres of `view` (reusing the quadrature's values when `view`
///   is its final grid);
/// - `reconstruction`: the decoder's pixel means at z = mu;
/// - `samples`: `samples` images decoded at z ~ q(z|x), drawn from the same seeded generator
///   after the IWAE samples;
///
/// The decoder runs in batches of up to 4096 points; the cost is dominated by the quadrature
/// (about 10-16k decoder evaluations) and the heat map (n² more unless `view` is the
/// quadrature's grid).
#[allow(clippy::too_many_arguments)] // the page's one call, mirrored by `Model::inspect`
pub async fn inspect<B: VaeBackend>(
    model: &Vae<B>,
    x: &[f32],
    likelihood: Likelihood,
    view: Grid,
    samples: usize,
    iwae_k: usize,
    seed: u64,
    device: &B::Device,
) -> Result<Inspection, ReadbackError> {
    let (evidence, gap_split, log_joint) =
        quadrature_and_split(model, x, likelihood, INSPECT_QUADRATURE_N, device).await?;
    let log_px = evidence.log_px;
    let q = &evidence.posterior;

    let heat_log_joint = if view == evidence.grid {
        log_joint
    } else {
        log_joint_on(model, x, likelihood, &view, device).await?.0
    };
    let heat = heat_log_joint
        .iter()
        .map(|lj| (lj - log_px).exp())
        .collect();

    let mut rng = SeededRng::new(seed);
    let iwae = importance_given_q(model, x, likelihood, q, iwae_k, &mut rng, device).await?;

    let mu: Vec<f32> = q.mu.iter().map(|&v| v as f32).collect();
    let reconstruction = decode_flat(model, &mu, likelihood, device).await?;
    let drawn: Vec<f32> = sample_q(q, samples, &mut rng)
        .into_iter()
        .flatten()
        .map(|v| v as f32)
        .collect();
    let samples = if drawn.is_empty() {
        Vec::new()
    } else {
        decode_flat(model, &drawn, likelihood, device).await?
    };

    Ok(Inspection {
        evidence,
        iwae,
        iwae_k: iwae_k.max(1),
        heat,
        view,
        reconstruction,
        samples,
        gap_split,
        reading: likelihood.reading(x),
    })
}

/// Decoded pixel means under `likelihood` for `z`, points of k (the model's latent size)
/// coordinates, flattened; a trailing partial point is ignored. One batched decoder call.
pub async fn decode_flat<B: VaeBackend>(
    model: &Vae<B>,
    z: &[f32],
    likelihood: Likelihood,
    device: &B::Device,
) -> Result<Vec<f32>, ReadbackError> {
    let k = model.dec_hidden.weight.dims()[0];
    let n = z.len() / k.max(1);
    if n == 0 {
        return Ok(Vec::new());
    }
    let z = Tensor::<B, 2>::from_data(TensorData::new(z[..n * k].to_vec(), [n, k]), device);
    match likelihood {
        Likelihood::ContinuousBernoulli => Ok(read_f32(model.decode_logits(z))
            .await?
            .into_iter()
            .map(|l| likelihood.mean_of_logit(l as f64) as f32)
            .collect()),
        _ => read_f32(model.decode(z)).await,
    }
}

fn row<B: VaeBackend>(x: &[f32], device: &B::Device) -> Tensor<B, 2> {
    Tensor::from_data(TensorData::new(x.to_vec(), [1, x.len()]), device)
}

fn to_f64(v: Vec<f32>) -> Vec<f64> {
    v.into_iter().map(f64::from).collect()
}
