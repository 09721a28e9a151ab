//! The stop rule: train until the read-outs reach a number of epochs or steps, or the test
//! −ELBO falls to a target, then pause by itself. Written `epochs:N`, `steps:N` or `elbo:N` (in
//! the `stop` URL parameter and the host's `vae:train` `until` field).

use super::readout::Readout;

/// The largest target a rule may name (epochs, steps or nats).
pub const STOP_LIMIT: f64 = 1e7;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StopRule {
    /// Until the epoch read-out reaches N.
    Epochs(f64),
    /// Until the step read-out reaches N.
    Steps(usize),
    /// Until a test-split −ELBO (nats per image) is at or below N.
    TestElbo(f64),
}

impl StopRule {
    /// `epochs:N`, `steps:N` or `elbo:N`; anything else is refused with the reason.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{}` is not a stop rule (epochs:N, steps:N or elbo:N, N up to {STOP_LIMIT})",
                text.chars().take(24).collect::<String>()
            )
        };
        let (kind, value) = text.split_once(':').ok_or_else(bad)?;
        let number = value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && v.abs() <= STOP_LIMIT)
            .ok_or_else(bad)?;
        match kind.trim() {
            "epochs" if number > 0.0 => Ok(StopRule::Epochs(number)),
            "steps" if number >= 1.0 && number.fract() == 0.0 => {
                Ok(StopRule::Steps(number as usize))
            }
            "elbo" => Ok(StopRule::TestElbo(number)),
            _ => Err(bad()),
        }
    }

    /// As `parse` reads it.
    pub fn key(&self) -> String {
        match self {
            StopRule::Epochs(n) => format!("epochs:{n}"),
            StopRule::Steps(n) => format!("steps:{n}"),
            StopRule::TestElbo(n) => format!("elbo:{n}"),
        }
    }

    /// The rule's kind (`epochs`, `steps`, `elbo`) and its number.
    pub fn parts(&self) -> (&'static str, f64) {
        match *self {
            StopRule::Epochs(n) => ("epochs", n),
            StopRule::Steps(n) => ("steps", n as f64),
            StopRule::TestElbo(n) => ("elbo", n),
        }
    }

    /// Whether training has reached the rule's target.
    pub fn reached(&self, readout: &Readout) -> bool {
        match *self {
            StopRule::Epochs(n) => readout.epoch >= n,
            StopRule::Steps(n) => readout.step >= n,
            StopRule::TestElbo(n) => readout
                .test_points
                .last()
                .is_some_and(|t| t.kl + t.recon <= n),
        }
    }

    /// What the page says when it paused by the rule.
    pub fn describe(&self) -> String {
        match *self {
            StopRule::Epochs(n) => format!("{n} epochs"),
            StopRule::Steps(n) => format!("step {n}"),
            StopRule::TestElbo(n) => format!("a test −ELBO of {n} nats or less"),
        }
    }
}
