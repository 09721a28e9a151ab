//! Inside the bound: the input x, what was computed for it (its evidence, the posterior
//! picture), the decoded manifold and an interpolation. It asks for computations as
//! `ComputeRequest`s and takes their replies; late replies for an old input or grid are dropped.

use std::rc::Rc;

use crate::analysis::evidence::{Grid, Inspection};
use crate::page::map_view::MapView;
use crate::services::compute::{ComputeReply, ComputeRequest};
use crate::vae::elbo::{Likelihood, Reading};

/// What the page calls ln p(x), and the line that says which density it is (vae-math.md,
/// "Which numbers are densities").
pub fn reading_text(reading: Reading) -> (&'static str, &'static str) {
    match reading {
        Reading::Score => (
            "ln p(x) score, quadrature",
            "A score, not a log-likelihood: with the Bernoulli decoder on grey pixels, exp(−BCE) does not integrate to 1 over [0, 1]^784. For a likelihood, choose the continuous Bernoulli decoder or binarised MNIST.",
        ),
        Reading::LogProbability => (
            "ln p(x), quadrature",
            "A log-probability: the Bernoulli decoder's, of this binary image.",
        ),
        Reading::LogDensityOnUnitCube => (
            "ln p(x), quadrature",
            "A log-density on [0, 1]^784 (continuous Bernoulli). Decoded images show its mean, not the sigmoid of the logits.",
        ),
        Reading::LogDensityOnReals => (
            "ln p(x), quadrature",
            "A log-density on ℝ^784 (Gaussian decoder).",
        ),
    }
}

/// The true-posterior heat map's grid side, over the map's square.
pub const HEAT_N: usize = 64;
/// Samples from q(z|x) decoded beside the input, and the importance-sampling K.
pub const Q_SAMPLES: usize = 4;
pub const IWAE_K: usize = 256;
/// While training, refresh the inspected input's numbers and the manifold this often (ms).
pub const INSPECT_EVERY_MS: f64 = 1500.0;
/// Images along an interpolation, and frames of its animation.
pub const INTERP_STEPS: usize = 10;
pub const INTERP_FRAMES: usize = 40;
/// The manifold's side: at least 2, at most 30 images.
pub const MANIFOLD_N: (usize, usize) = (2, 30);

#[derive(Debug, Clone)]
pub struct Inspector {
    /// The input x (`data::PIXELS` grey levels) and what it is, for labels.
    pub x: Option<(Rc<Vec<f32>>, String)>,
    /// Bumped whenever x changes, so late results for an old x are dropped.
    x_version: u64,
    pub result: Option<Rc<Inspection>>,
    /// The posterior heat map (scaled to a maximum of 1) and the grid it was computed on.
    pub heat: Option<(Grid, Rc<Vec<f64>>)>,
    in_flight: bool,
    again: bool,
    last_run: f64,
    last_heat: f64,
    /// How long the last inspection, posterior picture and manifold took (ms), for benchmarks.
    pub inspect_ms: f64,
    pub heat_ms: f64,
    pub manifold_ms: f64,
    pub show_heat: bool,
    pub show_ellipse: bool,
    /// q*'s ellipses beside q(z|x)'s.
    pub show_q_star: bool,
    pub show_manifold: bool,
    pub manifold_n: usize,
    pub manifold: Option<(Grid, Rc<Vec<f32>>)>,
    /// The request id and grid of the manifold being decoded.
    manifold_pending: Option<(u64, Grid)>,
    last_manifold: f64,
    /// Interpolation ends (latent means) and the images along the line between them.
    pub ends: [Option<[f64; 2]>; 2],
    pub strip: Rc<Vec<f32>>,
    strip_pending: Option<u64>,
    /// Numbers decode requests, whose replies carry only an id.
    next_decode: u64,
    /// Test images shown as examples: the first of each class.
    pub examples: Vec<usize>,
}

impl Default for Inspector {
    fn default() -> Self {
        Self {
            x: None,
            x_version: 0,
            result: None,
            heat: None,
            in_flight: false,
            again: false,
            last_run: 0.0,
            last_heat: 0.0,
            inspect_ms: 0.0,
            heat_ms: 0.0,
            manifold_ms: 0.0,
            show_heat: true,
            show_ellipse: true,
            show_q_star: true,
            show_manifold: false,
            manifold_n: 12,
            manifold: None,
            manifold_pending: None,
            last_manifold: 0.0,
            ends: [None, None],
            strip: Rc::new(Vec::new()),
            strip_pending: None,
            next_decode: 0,
            examples: Vec::new(),
        }
    }
}

/// What a reply changed, and a problem to tell the user.
#[derive(Debug, Default, PartialEq)]
pub struct Replied {
    /// Ask for the inspection again (the input or model changed while it ran).
    pub inspect_again: bool,
    /// Ask for the manifold again (the view changed while it was decoded).
    pub manifold_again: bool,
    pub problem: Option<String>,
}

impl Inspector {
    /// A new input: what came before it is dropped.
    pub fn set_input(&mut self, x: Rc<Vec<f32>>, what: String) {
        self.x = Some((x, what));
        self.forget_results();
    }

    pub fn clear_input(&mut self) {
        self.x = None;
        self.forget_results();
    }

    fn forget_results(&mut self) {
        self.x_version += 1;
        self.result = None;
        self.heat = None;
    }

    /// The dataset changed: its examples, no input, no manifold.
    pub fn new_dataset(&mut self, examples: Vec<usize>) {
        self.examples = examples;
        self.clear_input();
        self.manifold = None;
    }

    /// The compute worker stopped: what was in flight is to be asked for again (the caller
    /// asks for the inspection and the manifold; the strip comes back from here).
    pub fn compute_lost(&mut self, likelihood: Likelihood) -> Option<ComputeRequest> {
        self.in_flight = false;
        self.manifold_pending = None;
        self.strip_pending.take()?;
        self.strip_request(likelihood)
    }

    pub fn set_manifold_n(&mut self, n: usize) {
        self.manifold_n = n.clamp(MANIFOLD_N.0, MANIFOLD_N.1);
    }

    pub fn due(&self, now: f64) -> (bool, bool) {
        (
            now - self.last_run > INSPECT_EVERY_MS,
            now - self.last_manifold > INSPECT_EVERY_MS,
        )
    }

    /// The posterior picture alone: for a new input, ahead of its numbers, and after a zoom,
    /// which does not change the numbers.
    pub fn heat_request(
        &mut self,
        likelihood: Likelihood,
        view: MapView,
        now: f64,
    ) -> Option<ComputeRequest> {
        let (x, _) = self.x.as_ref()?;
        self.last_heat = now;
        Some(ComputeRequest::LogJoint {
            id: self.x_version,
            x: x.to_vec(),
            likelihood,
            view: view.grid(HEAT_N),
        })
    }

    /// The numbers for x (about a second of work): the posterior picture first when x is new.
    /// One at a time; asked again while one runs, it runs once more after.
    pub fn inspect_requests(
        &mut self,
        likelihood: Likelihood,
        view: MapView,
        now: f64,
    ) -> Vec<ComputeRequest> {
        let Some((x, _)) = &self.x else {
            return Vec::new();
        };
        if self.in_flight {
            self.again = true;
            return Vec::new();
        }
        let x = x.to_vec();
        self.in_flight = true;
        self.last_run = now;
        let mut requests = Vec::new();
        if self.result.is_none() {
            requests.extend(self.heat_request(likelihood, view, now));
        }
        requests.push(ComputeRequest::Inspect {
            id: self.x_version,
            x,
            likelihood,
            view: view.grid(HEAT_N),
            samples: Q_SAMPLES,
            iwae_k: IWAE_K,
            seed: 0,
        });
        requests
    }

    /// The decoded manifold over `view` (`likelihood`'s means), if it is shown and none is being
    /// decoded.
    pub fn manifold_request(
        &mut self,
        view: MapView,
        likelihood: Likelihood,
        now: f64,
    ) -> Option<ComputeRequest> {
        if !self.show_manifold || self.manifold_pending.is_some() {
            return None;
        }
        let grid = view.grid(self.manifold_n);
        let id = self.decode_id();
        self.manifold_pending = Some((id, grid));
        self.last_manifold = now;
        // Row 0 of the picture is the top of the map: the largest z2.
        let z = grid
            .points()
            .chunks(grid.n)
            .rev()
            .flatten()
            .flat_map(|p| [p[0] as f32, p[1] as f32])
            .collect();
        Some(ComputeRequest::Decode { id, z, likelihood })
    }

    /// Set an interpolation end to the mean of q(z|x); the strip when both are set.
    pub fn set_end(&mut self, end: usize, likelihood: Likelihood) -> Option<ComputeRequest> {
        let mu = &self.result.as_ref()?.evidence.posterior.mu;
        self.ends[end.min(1)] = Some([mu[0], mu[1]]);
        self.strip_request(likelihood)
    }

    /// The images along the line from A to B, if both are set.
    fn strip_request(&mut self, likelihood: Likelihood) -> Option<ComputeRequest> {
        let [Some(a), Some(b)] = self.ends else {
            return None;
        };
        let z = (0..INTERP_STEPS)
            .flat_map(|k| {
                let t = k as f64 / (INTERP_STEPS - 1) as f64;
                [
                    (a[0] + t * (b[0] - a[0])) as f32,
                    (a[1] + t * (b[1] - a[1])) as f32,
                ]
            })
            .collect();
        let id = self.decode_id();
        self.strip_pending = Some(id);
        Some(ComputeRequest::Decode { id, z, likelihood })
    }

    /// z at `frame` of the walk from A to B, if both ends are set.
    pub fn walk(&self, frame: usize) -> Option<[f64; 2]> {
        let [Some(a), Some(b)] = self.ends else {
            return None;
        };
        let t = frame as f64 / (INTERP_FRAMES - 1) as f64;
        Some([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])])
    }

    fn decode_id(&mut self) -> u64 {
        self.next_decode += 1;
        self.next_decode
    }

    /// Take a reply, for the map showing `view`.
    pub fn reply(&mut self, reply: ComputeReply, view: MapView, now: f64) -> Replied {
        let mut out = Replied::default();
        let heat_grid = view.grid(HEAT_N);
        match reply {
            ComputeReply::LogJoint { id, view, result } => match result {
                Ok(joint) if id == self.x_version && view == heat_grid => {
                    self.heat_ms = now - self.last_heat;
                    let max = joint.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    self.heat = Some((
                        view,
                        Rc::new(joint.iter().map(|j| (j - max).exp()).collect()),
                    ));
                }
                Ok(_) => {}
                Err(e) => out.problem = Some(format!("Could not compute the posterior: {e}")),
            },
            ComputeReply::Inspect { id, result } => {
                self.in_flight = false;
                self.inspect_ms = now - self.last_run;
                match result {
                    Ok(r) if id == self.x_version => {
                        if r.view == heat_grid {
                            self.heat = Some((r.view, Rc::new(r.heat.clone())));
                        }
                        self.result = Some(Rc::new(*r));
                    }
                    Ok(_) => {}
                    Err(e) => out.problem = Some(format!("Could not inspect the input: {e}")),
                }
                out.inspect_again = std::mem::take(&mut self.again);
            }
            ComputeReply::Decode { id, result } => {
                if let Some((_, grid)) = self.manifold_pending.filter(|(p, _)| *p == id) {
                    self.manifold_pending = None;
                    self.manifold_ms = now - self.last_manifold;
                    match result {
                        Ok(pixels) => self.manifold = Some((grid, Rc::new(pixels))),
                        Err(e) => out.problem = Some(format!("Could not decode the manifold: {e}")),
                    }
                    out.manifold_again = grid != view.grid(self.manifold_n);
                } else if self.strip_pending == Some(id) {
                    self.strip_pending = None;
                    match result {
                        Ok(pixels) => self.strip = Rc::new(pixels),
                        Err(e) => {
                            out.problem = Some(format!("Could not decode the interpolation: {e}"))
                        }
                    }
                }
            }
        }
        out
    }

    /// A view framing q(z|x) of the inspected input, for the map's "Frame q(z|x)" button.
    pub fn q_frame(&self) -> Option<MapView> {
        self.result.as_ref().map(|r| {
            let q = &r.evidence.posterior;
            MapView::around([q.mu[0], q.mu[1]], [q.sigma(0), q.sigma(1)])
        })
    }

    /// q(z|x)'s mean and standard deviations, if shown.
    pub fn ellipse(&self) -> Option<([f64; 2], [f64; 2])> {
        let r = self.result.as_ref().filter(|_| self.show_ellipse)?;
        let q = &r.evidence.posterior;
        Some(([q.mu[0], q.mu[1]], [q.sigma(0), q.sigma(1)]))
    }

    /// q*'s (the best diagonal Gaussian for x) mean and standard deviations, if shown.
    pub fn q_star_ellipse(&self) -> Option<([f64; 2], [f64; 2])> {
        let r = self.result.as_ref().filter(|_| self.show_q_star)?;
        let q = &r.gap_split.as_ref()?.diagonal.q;
        Some((q.mu, q.sigma()))
    }

    pub fn line(&self) -> Option<([f64; 2], [f64; 2])> {
        match self.ends {
            [Some(a), Some(b)] => Some((a, b)),
            _ => None,
        }
    }
}
