//! Keeping a model: whether to remember it in this browser, what was remembered, and a file
//! for another dataset waiting for that dataset to load.

use crate::data::Dataset;

/// While training, remember the model in browser storage this often (ms).
pub const SAVE_EVERY_MS: f64 = 15_000.0;

/// Where a weights file came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsSource {
    File,
    Remembered,
    /// A run's last weights, from the run list.
    Run,
}

impl WeightsSource {
    pub fn describe(self) -> &'static str {
        match self {
            WeightsSource::File => "That weights file",
            WeightsSource::Remembered => "The model saved in this browser",
            WeightsSource::Run => "That run's weights",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Keeper {
    /// Remember the model in browser storage (never in embed mode).
    pub remember: bool,
    /// The step of the model remembered for this dataset.
    pub remembered_step: Option<usize>,
    last_saved: f64,
    /// A weights file for another dataset, waiting for that dataset to load.
    pub pending_file: Option<Vec<u8>>,
}

impl Keeper {
    pub fn new(remember: bool) -> Self {
        Self {
            remember,
            ..Self::default()
        }
    }

    /// The storage key of a dataset's model.
    pub fn key(dataset: Dataset) -> String {
        format!("model-{}", dataset.key())
    }

    /// Whether to store the model of `step` now: it was trained, and the user wants it kept.
    pub fn save(&mut self, step: usize, now: f64) -> bool {
        if !self.remember || step == 0 {
            return false;
        }
        self.last_saved = now;
        true
    }

    /// As `save`, for weights that come while training: at most every SAVE_EVERY_MS then.
    pub fn save_while(&mut self, training: bool, step: usize, now: f64) -> bool {
        (!training || now - self.last_saved > SAVE_EVERY_MS) && self.save(step, now)
    }
}
