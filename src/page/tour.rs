//! The guided tour: eight stops, each an element of the page and what to look at there. It
//! starts from the page's Tour button or from `tour` in the link; Next, Back and Skip move
//! through it, and once finished or skipped it is done (the browser remembers that), so the
//! page stops offering it.

/// One stop: the element it points at (a `data-testid`) and what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    pub target: &'static str,
    pub title: &'static str,
    pub text: &'static str,
}

const fn stop(target: &'static str, title: &'static str, text: &'static str) -> Stop {
    Stop {
        target,
        title,
        text,
    }
}

pub const STOPS: [Stop; 8] = [
    stop("latent-map", "The latent map", "Every dot is one test image, placed where the encoder puts it: the mean μ(x) of its Gaussian q(z|x) in a 2-D latent space. Similar images land close together, and the prior N(0, I) keeps them near the origin."),
    stop("z1", "The sliders", "z = (z₁, z₂) is a point of that space. Move it with these sliders, the arrow keys, or a click on the map."),
    stop("decoded", "The decoded image", "The decoder turns z into an image: for each pixel, the mean of p(x|z). Nearby points decode to similar images, which is what makes the space continuous."),
    stop("train", "Training", "Train adjusts both networks to maximise the ELBO, a lower bound on ln p(x) (so the chart shows −ELBO falling): reconstruct each image well, but keep its q(z|x) close to the prior. Step does one batch at a time."),
    stop("loss-chart", "The chart", "The loss to minimise is −ELBO = reconstruction + KL, in nats per image (a nat is −ln of a probability: a probability of e^−150 costs 150 nats). Reconstruction is how badly the decoder redraws x from a sampled z; KL is how far q(z|x) strays from N(0, I)."),
    stop("chart-rd", "The rate–distortion plane", "KL (rate) across, reconstruction (distortion) up. β weights the KL: a larger β buys a lower rate with a higher distortion. Grey lines join points of equal −ELBO."),
    stop("inspect-panel", "Inside the bound", "Pick one image: its q(z|x) is drawn on the map over the true posterior p(z|x), and ln p(x) = ELBO + gap is computed, since 2-D allows it."),
    stop("maths-panel", "The maths", "The derivation with these numbers in it: the bound, the KL's closed form per dimension, and the decoder's term (with a fixed-σ Gaussian, a squared error plus a constant)."),
];

/// The tour's messages: one per thing the user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TourMsg {
    Started,
    Next,
    Back,
    /// Skipped (Skip, or Escape) before the last stop.
    Stopped,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tour {
    /// The stop shown, while the tour runs.
    pub at: Option<usize>,
    /// Finished or skipped, here or on an earlier visit.
    pub done: bool,
}

impl Tour {
    /// `done`: as this browser remembers; `requested`: `tour` was in the link, which starts
    /// it whether done or not.
    pub fn new(done: bool, requested: bool) -> Self {
        Self {
            at: requested.then_some(0),
            done,
        }
    }

    pub fn update(&mut self, msg: TourMsg) {
        self.at = match (msg, self.at) {
            (TourMsg::Started, _) => Some(0),
            (TourMsg::Next, Some(i)) if i + 1 < STOPS.len() => Some(i + 1),
            (TourMsg::Back, Some(i)) => Some(i.saturating_sub(1)),
            (TourMsg::Next | TourMsg::Stopped, Some(_)) => {
                self.done = true;
                None
            }
            (_, None) => None,
        };
    }

    pub fn stop(&self) -> Option<&'static Stop> {
        self.at.map(|i| &STOPS[i])
    }

    /// The page invites a first visit to take the tour until it is done.
    pub fn invites(&self) -> bool {
        !self.done && self.at.is_none()
    }
}
