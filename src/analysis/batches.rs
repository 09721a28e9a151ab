//! Seeded shuffled batches: the order training walks a dataset in.

use crate::vae::rng::SeededRng;

/// Walks a dataset in seeded random order, one epoch after another, reshuffling each epoch.
/// The last batch of an epoch may be smaller (as PyTorch's DataLoader does by default).
#[derive(Debug, Clone)]
pub struct BatchCursor {
    order: Vec<usize>,
    position: usize,
    epoch: usize,
    rng: SeededRng,
}

impl BatchCursor {
    pub fn new(len: usize, seed: u64) -> Self {
        let mut rng = SeededRng::new(seed);
        let mut order: Vec<usize> = (0..len).collect();
        rng.shuffle(&mut order);
        Self {
            order,
            position: 0,
            epoch: 0,
            rng,
        }
    }

    /// Completed epochs.
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Epochs completed, with the fraction of the current one.
    pub fn epoch_progress(&self) -> f64 {
        self.epoch as f64 + self.position as f64 / self.order.len().max(1) as f64
    }

    /// Indices of the next batch of at most `batch_size` images.
    pub fn next_batch(&mut self, batch_size: usize) -> Vec<usize> {
        let end = (self.position + batch_size.max(1)).min(self.order.len());
        let batch = self.order[self.position..end].to_vec();
        self.position = end;
        if self.position >= self.order.len() {
            // Count the epoch as finished as soon as its last batch is out.
            self.rng.shuffle(&mut self.order);
            self.position = 0;
            self.epoch += 1;
        }
        batch
    }
}
