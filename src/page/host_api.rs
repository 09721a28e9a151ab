//! The messages a host page may send an embedded playground with `postMessage`, and the ones it
//! gets back. Commands arrive as JSON text; anything that is not exactly one of them, or whose
//! values are out of range, is refused here, before the page sees it. No browser types here.
//!
//! ```js
//! frame.contentWindow.postMessage({ type: "vae:set-z", z: [1.5, -0.5] }, origin);
//! frame.contentWindow.postMessage({ type: "vae:subscribe" }, origin);
//! window.addEventListener("message", (e) => { if (e.data.type === "vae:metrics") ... });
//! ```

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::data::Dataset;
use crate::page::slowmo::Stage;
use crate::page::stop_rule::StopRule;
use crate::page::sweep::Sweep;
use crate::page::url_state::{BETA, LEARNING_RATE, Z_LIMIT};

/// Bigger messages are not commands; refuse them before parsing.
const MAX_MESSAGE: usize = 4096;

/// What a host can ask for. (Variants without data are written `{}` so that extra fields are
/// refused for them too.)
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum HostCommand {
    /// Move the latent point; both coordinates within the sliders' range.
    #[serde(rename = "vae:set-z")]
    SetZ { z: [f64; 2] },
    /// Switch dataset: `"mnist"`, `"fashion"` or `"mnist-bin"`.
    #[serde(rename = "vae:set-dataset")]
    SetDataset { dataset: String },
    /// Start training; `until` sets the stop rule (`epochs:N`, `steps:N`, `elbo:N`).
    #[serde(rename = "vae:train")]
    Train {
        #[serde(default)]
        until: Option<String>,
    },
    #[serde(rename = "vae:pause")]
    Pause {},
    /// Change hyperparameters; either may be left out.
    #[serde(rename = "vae:set-hyperparameters")]
    SetHyperparameters {
        #[serde(default)]
        lr: Option<f64>,
        #[serde(default)]
        beta: Option<f64>,
    },
    /// Run a β sweep: 2 to 8 β values, each trained from fresh weights for `epochs`.
    #[serde(rename = "vae:sweep")]
    Sweep { betas: Vec<f64>, epochs: f64 },
    /// Slow motion (entered first if need be): go to `stage` of its step (`batch`, `encode`,
    /// `sample`, `decode`, `loss`, `step`) and/or play (`true`) or pause (`false`).
    #[serde(rename = "vae:slowmo")]
    SlowMo {
        #[serde(default)]
        stage: Option<String>,
        #[serde(default)]
        play: Option<bool>,
    },
    /// Leave slow motion (a step taken and not yet shown counts, as when its panel is closed).
    #[serde(rename = "vae:slowmo-leave")]
    SlowMoLeave {},
    /// Start sending `vae:metrics` to the sender after every training chunk.
    #[serde(rename = "vae:subscribe")]
    Subscribe {},
    #[serde(rename = "vae:unsubscribe")]
    Unsubscribe {},
}

/// Why a message was not taken as a command.
#[derive(Debug, Error, PartialEq)]
pub enum HostApiError {
    #[error("message of {0} bytes is too long")]
    TooLong(usize),
    #[error("not a playground command: {0}")]
    Malformed(String),
    #[error("{0}")]
    OutOfRange(String),
}

impl HostCommand {
    /// Parse and check one message's JSON text.
    pub fn parse(json: &str) -> Result<Self, HostApiError> {
        if json.len() > MAX_MESSAGE {
            return Err(HostApiError::TooLong(json.len()));
        }
        let command: HostCommand =
            serde_json::from_str(json).map_err(|e| HostApiError::Malformed(e.to_string()))?;
        command.check()?;
        Ok(command)
    }

    fn check(&self) -> Result<(), HostApiError> {
        let out = |what: String| Err(HostApiError::OutOfRange(what));
        match self {
            HostCommand::SetZ { z } if z.iter().any(|v| !v.is_finite() || v.abs() > Z_LIMIT) => {
                out(format!("z must be within ±{Z_LIMIT}"))
            }
            HostCommand::SetDataset { dataset } if Dataset::from_key(dataset).is_none() => {
                out(format!("unknown dataset {dataset:?}"))
            }
            HostCommand::Sweep { betas, epochs } => {
                Sweep::new(0, &Sweep::betas_text(betas), *epochs)
                    .map(|_| ())
                    .map_err(HostApiError::OutOfRange)
            }
            HostCommand::SlowMo {
                stage: Some(stage), ..
            } if Stage::from_key(stage).is_none() => {
                out(format!("stage must be one of {}", Stage::keys()))
            }
            HostCommand::Train { until: Some(rule) } => StopRule::parse(rule)
                .map(|_| ())
                .map_err(HostApiError::OutOfRange),
            HostCommand::SetHyperparameters { lr, beta } => {
                let within = |v: Option<f64>, (lo, hi): (f64, f64)| {
                    v.is_none_or(|v| v.is_finite() && (lo..=hi).contains(&v))
                };
                if !within(*lr, LEARNING_RATE) {
                    out(format!(
                        "lr must be from {} to {}",
                        LEARNING_RATE.0, LEARNING_RATE.1
                    ))
                } else if !within(*beta, BETA) {
                    out(format!("beta must be from {} to {}", BETA.0, BETA.1))
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }
}

/// What the playground sends its host.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum HostEvent {
    /// Sent to the parent window (at each allowed origin) once the first model is on screen.
    #[serde(rename = "vae:ready")]
    Ready { dataset: &'static str },
    /// Sent to subscribers after each training chunk, at each stage of slow motion, and once
    /// on subscribing.
    #[serde(rename = "vae:metrics")]
    Metrics {
        step: usize,
        epoch: f64,
        /// Nats per image, on the last logged training batches; `null` before any training.
        kl: Option<f64>,
        recon: Option<f64>,
        elbo: Option<f64>,
        training: bool,
        dataset: &'static str,
        z: [f64; 2],
        /// Slow motion's stage (`batch` … `step`), `waiting` while its step is taken, or
        /// `null` outside it.
        slowmo: Option<&'static str>,
    },
    /// Sent to the parent window (at each allowed origin) when an embed's content height
    /// changes, at most every `RESIZE_EVERY_MS`: the frame's height that shows it all, in CSS px.
    #[serde(rename = "vae:resize")]
    Resize { height: u32 },
}

impl HostEvent {
    pub fn to_json(&self) -> String {
        // Serialising these plain structs cannot fail; non-finite floats become null.
        serde_json::to_string(self).unwrap_or_default()
    }
}
