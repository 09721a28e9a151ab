//! The region of latent space the map shows (`view=` in a link): the square its posterior heat
//! map and decoded manifold cover, kept inside the sliders' square.

use crate::analysis::evidence::Grid;
use crate::page::url_state::Z_LIMIT;

/// The square of latent space the map shows: the region its posterior heat map and decoded
/// manifold cover. Always inside the sliders' square and at least `2 * MIN_HALF` wide.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapView {
    centre: [f64; 2],
    half: f64,
}

impl Default for MapView {
    fn default() -> Self {
        Self::WHOLE
    }
}

impl MapView {
    /// The sliders' whole square.
    pub const WHOLE: MapView = MapView {
        centre: [0.0, 0.0],
        half: Z_LIMIT,
    };
    /// The narrowest view: a posterior this narrow still spans several heat-map cells.
    pub const MIN_HALF: f64 = 0.02;

    /// The square of half-width `half` around `centre`, moved and shrunk as little as needed to
    /// lie inside the sliders' square; non-finite input gives the whole square.
    pub fn new(centre: [f64; 2], half: f64) -> Self {
        if !(centre.iter().all(|c| c.is_finite()) && half.is_finite()) {
            return Self::WHOLE;
        }
        let half = half.clamp(Self::MIN_HALF, Z_LIMIT);
        let room = Z_LIMIT - half;
        Self {
            centre: centre.map(|c| c.clamp(-room, room)),
            half,
        }
    }

    pub fn centre(&self) -> [f64; 2] {
        self.centre
    }

    pub fn half(&self) -> f64 {
        self.half
    }

    pub fn is_whole(&self) -> bool {
        *self == Self::WHOLE
    }

    /// Scale the width by `factor` (below 1 zooms in) keeping `anchor` where it is on screen.
    pub fn zoomed(&self, factor: f64, anchor: [f64; 2]) -> Self {
        let half = (self.half * factor).clamp(Self::MIN_HALF, Z_LIMIT);
        let f = half / self.half;
        Self::new(
            [0, 1].map(|i| anchor[i] + (self.centre[i] - anchor[i]) * f),
            half,
        )
    }

    /// A view that frames a Gaussian q(z|x): its mean, out to 4 standard deviations.
    pub fn around(mu: [f64; 2], sigma: [f64; 2]) -> Self {
        Self::new(mu, 4.0 * sigma[0].max(sigma[1]))
    }

    /// (z1, z2) as fractions of the view: (0, 0) bottom left, (1, 1) top right.
    pub fn to_unit(&self, z: [f64; 2]) -> [f64; 2] {
        [0, 1].map(|i| (z[i] - self.centre[i] + self.half) / (2.0 * self.half))
    }

    /// The inverse of [`MapView::to_unit`].
    pub fn from_unit(&self, u: [f64; 2]) -> [f64; 2] {
        [0, 1].map(|i| self.centre[i] - self.half + u[i] * 2.0 * self.half)
    }

    /// The view as an `n` x `n` grid of cells (for the heat map and the manifold).
    pub fn grid(&self, n: usize) -> Grid {
        let [c1, c2] = self.centre;
        Grid {
            z1: (c1 - self.half, c1 + self.half),
            z2: (c2 - self.half, c2 + self.half),
            n,
        }
    }
}
