//! Which shipped weights the page opens with: each dataset's Bernoulli model, and for MNIST and
//! Fashion-MNIST also a continuous Bernoulli one (`www/weights/`, made by `vae train`). The
//! Gaussian decoder has none of its own and starts from the Bernoulli weights.

use crate::data::Dataset;
use crate::vae::elbo::Likelihood;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pretrained {
    pub dataset: Dataset,
    /// Trained with the continuous Bernoulli decoder.
    pub continuous_bernoulli: bool,
}

impl Pretrained {
    /// The shipped model that suits `dataset` with `likelihood`.
    pub fn for_choice(dataset: Dataset, likelihood: Likelihood) -> Self {
        let shipped = matches!(dataset, Dataset::Mnist | Dataset::Fashion);
        Self {
            dataset,
            continuous_bernoulli: shipped && likelihood == Likelihood::ContinuousBernoulli,
        }
    }

    fn stem(self) -> String {
        match self.continuous_bernoulli {
            true => format!("weights/{}-continuous-bernoulli", self.dataset.key()),
            false => format!("weights/{}", self.dataset.key()),
        }
    }

    /// The weights file, relative to the site root (`www/`).
    pub fn weights_path(self) -> String {
        format!("{}.vaew", self.stem())
    }

    /// The decoder-only f16 preview (`vae preview`) that paints the first image, where one is
    /// shipped (the Bernoulli models': the first visit's).
    pub fn preview_path(self) -> Option<String> {
        (!self.continuous_bernoulli).then(|| format!("{}.preview.vaew", self.stem()))
    }

    /// The loss history of the run that made the weights (`vae train --history`).
    pub fn history_path(self) -> String {
        format!("{}.history.csv", self.stem())
    }
}
