//! Slow motion: one training step played out in stages that the user steps through (Next, Back)
//! or plays. The train worker takes the step ([`SlowStep`], the trainer's ordinary step on a
//! small batch, read back in full); the stages only choose which of its numbers are shown. The
//! step's report (weights, counters, the chart's row) waits here until the stage that shows the
//! gradient step, so the decoded image and the chart move when the user gets there.

use std::rc::Rc;

use crate::analysis::slow_step::SlowStep;
use crate::services::train_service::ChunkEvent;

/// While playing, a stage lasts this long (ms): a step in six seconds.
pub const STAGE_MS: u32 = 1000;

/// The stages of one step, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A batch is drawn: its images are shown.
    Batch,
    /// Encoded to q(z|x) = N(mu, sigma^2): ellipses on the map.
    Encode,
    /// eps ~ N(0, I) and z = mu + sigma * eps: arrows on the map.
    Sample,
    /// Decoded: the reconstructions beside the inputs.
    Decode,
    /// The two loss terms.
    Loss,
    /// The gradient step: the weights move, and with them the map, the image and the chart.
    Step,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Batch,
        Stage::Encode,
        Stage::Sample,
        Stage::Decode,
        Stage::Loss,
        Stage::Step,
    ];

    /// Its place, from 0.
    pub fn index(self) -> usize {
        Stage::ALL.iter().position(|&s| s == self).unwrap_or(0)
    }

    /// Its name in a link (`slowmo=`) and in the host API (`vae:slowmo`).
    pub fn key(self) -> &'static str {
        match self {
            Stage::Batch => "batch",
            Stage::Encode => "encode",
            Stage::Sample => "sample",
            Stage::Decode => "decode",
            Stage::Loss => "loss",
            Stage::Step => "step",
        }
    }

    /// The stage a link or the host page names.
    pub fn from_key(key: &str) -> Option<Self> {
        Stage::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Every stage's key, in order, comma-separated: what a refusal lists.
    pub fn keys() -> String {
        Stage::ALL.map(Stage::key).join(", ")
    }

    /// The plain name the page shows (`slowmo-stage`).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Batch => "batch drawn",
            Stage::Encode => "encoded",
            Stage::Sample => "z sampled",
            Stage::Decode => "decoded",
            Stage::Loss => "loss computed",
            Stage::Step => "gradient step",
        }
    }

    /// What happens at this stage, in one sentence.
    pub fn explain(self) -> &'static str {
        match self {
            Stage::Batch => "The trainer draws the next images of its shuffled training set; training sees exactly these.",
            Stage::Encode => "The encoder maps each image x to q(z|x) = N(μ, diag σ²): the map rings each μ at 1σ, numbered like the images; each sketch shows q at its own scale (±, around μ), at 1σ and 2σ.",
            Stage::Sample => "Noise ε ~ N(0, I) is drawn and z = μ + σ ⊙ ε: one sample of q(z|x) through which gradients reach μ and σ. Each sketch draws the step from μ to z; the map draws it at its own scale, where a small σ makes it short.",
            Stage::Decode => "The decoder turns each z into pixel probabilities: the reconstruction beside its input.",
            Stage::Loss => "Per image, KL(q(z|x) ‖ N(0, I)) in closed form and −ln p(x|z); the batch's loss is the mean of recon + β·KL.",
            Stage::Step => "Backpropagation gives the loss's gradient and Adam moves every weight: the arrows show where μ of these images went.",
        }
    }

    fn after(self) -> Option<Stage> {
        Stage::ALL.get(self.index() + 1).copied()
    }

    fn before(self) -> Option<Stage> {
        self.index().checked_sub(1).map(|i| Stage::ALL[i])
    }
}

/// What the latent map draws for the batch at a stage (latent points as (z1, z2)).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BatchMarks {
    /// Each image's class (its colour) and, by position, its number.
    pub labels: Vec<u8>,
    /// q(z|x) per image: mu and sigma.
    pub ellipses: Vec<([f64; 2], [f64; 2])>,
    /// From mu to the sample z.
    pub samples: Vec<([f64; 2], [f64; 2])>,
    /// From mu before the step to mu after it.
    pub moves: Vec<([f64; 2], [f64; 2])>,
}

impl BatchMarks {
    fn of(record: &SlowStep, stage: Stage) -> Self {
        let k = record.latent();
        let point = |v: &[f32], i: usize| -> [f64; 2] {
            let p = &v[i * k..];
            [p[0] as f64, if k > 1 { p[1] as f64 } else { 0.0 }]
        };
        let n = if k == 0 { 0 } else { record.len() };
        let pairs = |a: &[f32], b: &[f32]| (0..n).map(|i| (point(a, i), point(b, i))).collect();
        let at = |s: Stage| stage.index() >= s.index();
        Self {
            labels: record.labels.clone(),
            ellipses: if at(Stage::Encode) {
                pairs(&record.mu, &record.sigma)
            } else {
                Vec::new()
            },
            samples: if at(Stage::Sample) && stage != Stage::Step {
                pairs(&record.mu, &record.z)
            } else {
                Vec::new()
            },
            moves: if stage == Stage::Step {
                pairs(&record.mu, &record.mu_after)
            } else {
                Vec::new()
            },
        }
    }
}

/// The step's report and the weights that came with it.
pub type Pending = (Box<ChunkEvent>, Option<Vec<u8>>);

/// What Next (or a tick of play) did.
#[derive(Debug)]
pub enum Advance {
    /// On to the next stage.
    Stage,
    /// On to the gradient step: apply the step's report now.
    Apply(Pending),
    /// Past the last stage: take another step.
    AnotherStep,
    /// The step is not here yet.
    Wait,
}

#[derive(Debug, Default)]
pub struct SlowMo {
    stage: Option<Stage>,
    record: Option<Rc<SlowStep>>,
    pending: Option<Pending>,
    marks: Rc<BatchMarks>,
    playing: bool,
    /// Numbers play's timer: a tick of an older one is dropped.
    tick: u64,
    /// A stage asked for by a link or the host page, reached once the step is here.
    aim: Option<Stage>,
    /// Entered from the page's own button, so the keyboard carries on in the panel (a link or
    /// the host page must not take focus from the reader).
    pub focus: bool,
}

/// Which way the stage aimed at lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Toward {
    Forward,
    Back,
}

impl SlowMo {
    /// The mode, waiting for its first step; `focus`: entered from the page's own button.
    pub fn new(focus: bool) -> Self {
        Self {
            focus,
            ..Self::default()
        }
    }

    /// The stage shown; `None` while the worker takes the step.
    pub fn stage(&self) -> Option<Stage> {
        self.stage
    }

    pub fn record(&self) -> Option<&Rc<SlowStep>> {
        self.record.as_ref()
    }

    pub fn marks(&self) -> Rc<BatchMarks> {
        self.marks.clone()
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    pub fn waiting(&self) -> bool {
        self.stage.is_none()
    }

    /// The stage shown, else the one aimed at, else the first: what a link to this names.
    pub fn stage_or_aim(&self) -> Stage {
        self.stage.or(self.aim).unwrap_or(Stage::Batch)
    }

    /// Go to `stage` of this step: now, or when the step arrives (see [`SlowMo::toward_aim`]).
    pub fn aim(&mut self, stage: Stage) {
        self.aim = Some(stage);
    }

    /// Which way the stage aimed at lies: `None` when there, when nothing is aimed at, or
    /// while the step is taken.
    pub fn toward_aim(&self) -> Option<Toward> {
        let (stage, aim) = (self.stage?, self.aim?);
        match stage.index().cmp(&aim.index()) {
            std::cmp::Ordering::Less => Some(Toward::Forward),
            std::cmp::Ordering::Greater => Some(Toward::Back),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// Reached, or the user took over (Next, Back): nothing is aimed at any more.
    pub fn drop_aim(&mut self) {
        self.aim = None;
    }

    /// The step the worker took: shown from its first stage.
    pub fn arrived(&mut self, record: SlowStep, pending: Pending) {
        self.record = Some(Rc::new(record));
        self.pending = Some(pending);
        self.show(Stage::Batch);
    }

    fn show(&mut self, stage: Stage) {
        self.stage = Some(stage);
        self.marks = Rc::new(match &self.record {
            Some(r) => BatchMarks::of(r, stage),
            None => BatchMarks::default(),
        });
    }

    pub fn forward(&mut self) -> Advance {
        let Some(stage) = self.stage else {
            return Advance::Wait;
        };
        match stage.after() {
            Some(next) => {
                self.show(next);
                match (next, self.pending.take()) {
                    (Stage::Step, Some(p)) => Advance::Apply(p),
                    (_, p) => {
                        self.pending = p;
                        Advance::Stage
                    }
                }
            }
            None => {
                self.stage = None;
                self.record = None;
                self.marks = Rc::default();
                Advance::AnotherStep
            }
        }
    }

    /// Back one stage; whether it moved (not before the first). The gradient step, once
    /// shown, stays taken: going back only shows its earlier stages again.
    pub fn back(&mut self) -> bool {
        match self.stage.and_then(Stage::before) {
            Some(before) => {
                self.show(before);
                true
            }
            None => false,
        }
    }

    /// Play or pause; when play starts, the tick to schedule.
    pub fn toggle_play(&mut self) -> Option<u64> {
        self.playing = !self.playing;
        self.tick += 1;
        self.playing.then_some(self.tick)
    }

    /// Pause, if playing.
    pub fn pause(&mut self) {
        self.playing = false;
        self.tick += 1;
    }

    /// Whether tick `id` is play's current one.
    pub fn is_current_tick(&self, id: u64) -> bool {
        self.playing && id == self.tick
    }

    /// The next tick to schedule while playing.
    pub fn next_tick(&mut self) -> Option<u64> {
        self.playing.then(|| {
            self.tick += 1;
            self.tick
        })
    }

    /// Leaving the mode: a step taken but not yet shown is still applied.
    pub fn leave(self) -> Option<Pending> {
        self.pending
    }
}
