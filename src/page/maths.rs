//! The numbers the maths panel substitutes into the derivation (`vae-math.md`): the ELBO's two
//! terms and ln p(x) for the inspected input, the KL's closed form per latent dimension, and
//! for a Gaussian decoder its reconstruction term split into the constant and the squared error.
//! Every number is one the page shows elsewhere, or arithmetic on those.

use crate::analysis::evidence::Evidence;
use crate::data::PIXELS;
use crate::page::readout::TestPoint;
use crate::vae::elbo::{ElboParts, Likelihood, LN_2PI};

/// One latent dimension's share of KL(q(z|x) || N(0, I)) = sum_j -ln sigma_j + (sigma_j^2 + mu_j^2 - 1) / 2.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KlTerm {
    pub mu: f64,
    pub sigma: f64,
    /// -ln sigma + (sigma^2 + mu^2 - 1) / 2.
    pub kl: f64,
}

impl KlTerm {
    pub fn new(mu: f64, sigma: f64) -> Self {
        Self {
            mu,
            sigma,
            kl: -sigma.ln() + 0.5 * (sigma * sigma + mu * mu - 1.0),
        }
    }
}

/// A Gaussian decoder's -E_q[ln p(x|z)] = D/2 ln(2 pi sigma_x^2) + E_q||x - f(z)||^2 / (2 sigma_x^2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianRecon {
    pub sigma_x: f64,
    /// D/2 ln(2 pi sigma_x^2): the same for every image and every model.
    pub constant: f64,
    /// E_q||x - f(z)||^2, the expected summed squared error.
    pub squared_error: f64,
    /// squared_error / (2 sigma_x^2).
    pub scaled_error: f64,
}

impl GaussianRecon {
    /// From the reconstruction term the page computed, read back through its formula.
    pub fn from_recon(recon: f64, sigma_x: f64) -> Self {
        let constant = 0.5 * PIXELS as f64 * (LN_2PI + 2.0 * sigma_x.ln());
        let scaled_error = recon - constant;
        Self {
            sigma_x,
            constant,
            squared_error: scaled_error * 2.0 * sigma_x * sigma_x,
            scaled_error,
        }
    }

    /// The beta that gives the same trade-off with sigma_x = 1/sqrt(2): beta = 2 sigma_x^2.
    pub fn equivalent_beta(&self) -> f64 {
        2.0 * self.sigma_x * self.sigma_x
    }
}

/// The derivation's numbers for one input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputTerms {
    /// -E_q[ln p(x|z)].
    pub recon: f64,
    pub kl: f64,
    /// E_q[ln p(x|z)] - KL.
    pub elbo: f64,
    pub log_px: f64,
    /// ln p(x) - ELBO = KL(q(z|x) || p(z|x)).
    pub gap: f64,
    pub dims: Vec<KlTerm>,
    /// Present for the Gaussian decoder.
    pub gaussian: Option<GaussianRecon>,
}

impl InputTerms {
    pub fn new(evidence: &Evidence, likelihood: Likelihood) -> Self {
        let q = &evidence.posterior;
        Self {
            recon: evidence.recon,
            kl: evidence.kl,
            elbo: evidence.elbo,
            log_px: evidence.log_px,
            gap: evidence.gap,
            dims: (0..q.mu.len())
                .map(|j| KlTerm::new(q.mu[j], q.sigma(j)))
                .collect(),
            gaussian: match likelihood {
                Likelihood::Gaussian { sigma } => {
                    Some(GaussianRecon::from_recon(evidence.recon, sigma))
                }
                _ => None,
            },
        }
    }

    /// Each dimension's share of the KL, as a fraction (they sum to 1).
    pub fn kl_shares(&self) -> Vec<f64> {
        let total: f64 = self.dims.iter().map(|d| d.kl).sum();
        self.dims
            .iter()
            .map(|d| if total > 0.0 { d.kl / total } else { 0.0 })
            .collect()
    }
}

/// An average over images (the latest training batch, or the test split): the same identity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AverageTerms {
    pub recon: f64,
    pub kl: f64,
    /// -(recon + KL).
    pub elbo: f64,
}

impl From<ElboParts> for AverageTerms {
    fn from(p: ElboParts) -> Self {
        Self {
            recon: p.recon,
            kl: p.kl,
            elbo: -p.neg_elbo(),
        }
    }
}

impl From<TestPoint> for AverageTerms {
    fn from(t: TestPoint) -> Self {
        Self::from(ElboParts {
            kl: t.kl,
            recon: t.recon,
        })
    }
}
