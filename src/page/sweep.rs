//! A β sweep: K short runs from the same seed and data, one after another in the train worker,
//! each a fresh model (a Reset with that β) trained for the same number of epochs. Their final
//! (R, D) points, joined in β order, are the frontier the chart draws.

use super::url_state::BETA;

/// The β values a sweep uses unless told otherwise.
pub const DEFAULT_BETAS: [f64; 5] = [0.25, 0.5, 1.0, 2.0, 4.0];
/// A sweep has 2 to this many β values.
pub const MAX_BETAS: usize = 8;
/// Each run of a sweep trains at most this many epochs.
pub const MAX_EPOCHS: f64 = 100.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Sweep {
    /// The sweep's number: its runs carry it.
    pub id: u32,
    pub betas: Vec<f64>,
    pub epochs: f64,
    /// The β now training (an index into `betas`).
    pub at: usize,
}

/// A sweep a link names (`sweep=0.5,1,2&sweep-epochs=2`): its β values and the epochs each run
/// trains. Fixed-size so the view state that holds it stays `Copy`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepPlan {
    betas: [f64; MAX_BETAS],
    len: usize,
    pub epochs: f64,
}

impl SweepPlan {
    /// A plan of `betas` (a comma list, each within β's range, 2 to `MAX_BETAS` of them) for
    /// `epochs` each; a reason when they are not.
    pub fn new(betas: &str, epochs: f64) -> Result<Self, String> {
        let parsed: Vec<f64> = betas
            .split(',')
            .map(|t| {
                t.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|b| b.is_finite() && (BETA.0..=BETA.1).contains(b))
            })
            .collect::<Option<_>>()
            .ok_or_else(|| {
                format!(
                    "the β values must be numbers from {} to {}, separated by commas",
                    BETA.0, BETA.1
                )
            })?;
        if !(2..=MAX_BETAS).contains(&parsed.len()) {
            return Err(format!("a sweep takes 2 to {MAX_BETAS} β values"));
        }
        if !(epochs.is_finite() && epochs > 0.0 && epochs <= MAX_EPOCHS) {
            return Err(format!(
                "each run trains more than 0 and at most {MAX_EPOCHS} epochs"
            ));
        }
        let mut fixed = [0.0; MAX_BETAS];
        fixed[..parsed.len()].copy_from_slice(&parsed);
        Ok(Self {
            betas: fixed,
            len: parsed.len(),
            epochs,
        })
    }

    /// The plan the page starts with: `DEFAULT_BETAS`, one epoch each.
    pub fn default_plan() -> Self {
        let mut betas = [0.0; MAX_BETAS];
        betas[..DEFAULT_BETAS.len()].copy_from_slice(&DEFAULT_BETAS);
        Self {
            betas,
            len: DEFAULT_BETAS.len(),
            epochs: 1.0,
        }
    }

    pub fn betas(&self) -> &[f64] {
        &self.betas[..self.len]
    }

    /// The β values as the sweep field and the link write them.
    pub fn betas_text(&self) -> String {
        Sweep::betas_text(self.betas())
    }
}

impl Sweep {
    /// A sweep of `betas` (a comma list) for `epochs` each; a reason when they are not a
    /// valid plan.
    pub fn new(id: u32, betas: &str, epochs: f64) -> Result<Self, String> {
        let plan = SweepPlan::new(betas, epochs)?;
        Ok(Self {
            id,
            betas: plan.betas().to_vec(),
            epochs,
            at: 0,
        })
    }

    pub fn beta(&self) -> f64 {
        self.betas[self.at]
    }

    /// On to the next β; `false` when the sweep is done.
    pub fn advance(&mut self) -> bool {
        self.at += 1;
        self.at < self.betas.len()
    }

    /// "run 2 of 5 (β = 0.5), epoch 0.40 of 1"
    pub fn progress(&self, epoch: f64) -> String {
        format!(
            "Sweep: run {} of {} (β = {}), epoch {:.2} of {}",
            self.at + 1,
            self.betas.len(),
            self.beta(),
            epoch.min(self.epochs),
            self.epochs
        )
    }

    /// The β values as the sweep field writes them.
    pub fn betas_text(betas: &[f64]) -> String {
        betas
            .iter()
            .map(f64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}
