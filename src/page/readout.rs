//! What training has reported: counters, the latest loss parts, the chart's history and the
//! test-split points.

use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::analysis::train::HistoryRow;
use crate::services::train_service::ChunkEvent;
use crate::vae::elbo::ElboParts;

/// A test-split evaluation taken during training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TestPoint {
    pub step: usize,
    pub kl: f64,
    pub recon: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Readout {
    pub step: usize,
    pub epoch: f64,
    pub images_per_second: f64,
    /// Workers that computed the latest chunk (0 before any).
    pub workers: usize,
    pub last: Option<ElboParts>,
    pub history: Rc<Vec<HistoryRow>>,
    pub test_points: Rc<Vec<TestPoint>>,
}

impl Readout {
    /// A new run, starting at `step`.
    pub fn restart_at(&mut self, step: usize) {
        *self = Self {
            step,
            ..Self::default()
        };
    }

    /// Keep the chart's rows up to `step` (a run going on from weights of that step).
    pub fn rewind_to(&mut self, step: usize) {
        Rc::make_mut(&mut self.history).retain(|row| row.step <= step);
        self.step = step;
    }

    /// Take a chunk's counters, history rows and test point.
    pub fn apply(&mut self, chunk: &ChunkEvent) {
        if chunk.steps > 0 {
            self.images_per_second = chunk.images as f64 / chunk.seconds.max(1e-9);
            self.workers = chunk.workers;
            self.last = Some(chunk.parts);
        }
        self.step = chunk.step;
        self.epoch = chunk.epoch;
        if !chunk.history.is_empty() || chunk.history_from < self.history.len() {
            let history = Rc::make_mut(&mut self.history);
            history.truncate(chunk.history_from);
            history.extend(chunk.history.iter().cloned());
        }
        if let Some(p) = &chunk.test {
            let mut points = (*self.test_points).clone();
            points.push(TestPoint {
                step: chunk.step,
                kl: p.kl,
                recon: p.recon,
            });
            self.test_points = Rc::new(points);
        }
    }
}
