//! Heavy per-input work (the posterior picture, ln p(x) and the gap, decoded grids) as requests
//! and replies, so the page can run it on a Web Worker, off the thread that handles input. The
//! worker holds a CPU [`AnyVae`] built from the weights file it was last sent. No browser types.

use serde::{Deserialize, Serialize};

use crate::analysis::evidence::{Grid, Inspection};
use crate::data::PIXELS;
use crate::services::session::AnyVae;
use crate::vae::backend::ReadbackError;
use crate::vae::elbo::Likelihood;
use crate::vae::weights::WeightsError;

/// What the page asks of the worker; `id` comes back with the reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum ComputeRequest {
    /// ln p(x|z) + ln p(z) on `view`: the posterior picture, before the numbers.
    LogJoint {
        id: u64,
        x: Vec<f32>,
        likelihood: Likelihood,
        view: Grid,
    },
    Inspect {
        id: u64,
        x: Vec<f32>,
        likelihood: Likelihood,
        view: Grid,
        samples: usize,
        iwae_k: usize,
        seed: u64,
    },
    /// Decoded images at `z` (pairs of coordinates): the means of `likelihood`.
    Decode {
        id: u64,
        z: Vec<f32>,
        likelihood: Likelihood,
    },
}

/// The worker's answer to one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum ComputeReply {
    LogJoint {
        id: u64,
        /// The grid it was computed on, so a late answer is drawn where it belongs.
        view: Grid,
        result: Result<Vec<f64>, String>,
    },
    Inspect {
        id: u64,
        result: Result<Box<Inspection>, String>,
    },
    Decode {
        id: u64,
        result: Result<Vec<f32>, String>,
    },
}

/// The worker's state: the model of the last weights it was sent.
#[derive(Default)]
pub struct Computer {
    model: Option<AnyVae>,
}

impl Computer {
    /// A computer holding `model` (the page computes on its own thread with this when it has no
    /// worker).
    pub fn with_model(model: AnyVae) -> Self {
        Self { model: Some(model) }
    }

    /// Take a new model; on a bad file the old one stays.
    pub fn set_weights(&mut self, bytes: &[u8]) -> Result<(), WeightsError> {
        self.model = Some(AnyVae::from_weights(bytes)?);
        Ok(())
    }

    pub async fn handle(&self, request: ComputeRequest) -> ComputeReply {
        let no_model = || "the worker has no model yet".to_string();
        let text = |e: ReadbackError| e.to_string();
        match request {
            ComputeRequest::LogJoint {
                id,
                x,
                likelihood,
                view,
            } => ComputeReply::LogJoint {
                id,
                view,
                result: match &self.model {
                    Some(m) if x.len() == PIXELS => m
                        .log_joint_on_grid(&x, likelihood, view)
                        .await
                        .map_err(text),
                    Some(_) => Err(format!("x has {} values, not {PIXELS}", x.len())),
                    None => Err(no_model()),
                },
            },
            ComputeRequest::Inspect {
                id,
                x,
                likelihood,
                view,
                samples,
                iwae_k,
                seed,
            } => ComputeReply::Inspect {
                id,
                result: match &self.model {
                    Some(m) if x.len() == PIXELS => m
                        .inspect(&x, likelihood, view, samples, iwae_k, seed)
                        .await
                        .map(Box::new)
                        .map_err(text),
                    Some(_) => Err(format!("x has {} values, not {PIXELS}", x.len())),
                    None => Err(no_model()),
                },
            },
            ComputeRequest::Decode { id, z, likelihood } => ComputeReply::Decode {
                id,
                result: match &self.model {
                    Some(m) => m.decode_mean(&z, likelihood).await.map_err(text),
                    None => Err(no_model()),
                },
            },
        }
    }
}
