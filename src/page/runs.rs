//! Runs you can compare: every training run (from a Reset, a Restore or a loaded model until the
//! next of those) is kept with its settings, its history rows and test points, its final
//! numbers, its wall time and speed, and (for the latest few) its last weights. The list is
//! bounded, written to JSON and read back validated, and each run's history goes out as CSV.

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::analysis::history_csv;
use crate::analysis::train::HistoryRow;
use crate::data::{Dataset, Split};
use crate::services::session::Device;
use crate::vae::elbo::Likelihood;

use super::readout::{Readout, TestPoint};
use super::sweep::MAX_BETAS;

/// At most this many runs are kept; beyond it the oldest (but the pretrained runs) are dropped.
pub const MAX_RUNS: usize = 20;
/// The last weights of at most this many runs stay in memory ("continue from this run"): a
/// whole sweep's, so each of its points can show its model.
pub const KEEP_WEIGHTS: usize = MAX_BETAS;
/// Runs are coloured from a palette of this many (`--run-0` … in the stylesheet).
pub const PALETTE: usize = 8;
/// The longest name a run may have, in characters.
pub const MAX_NAME: usize = 40;
/// A runs file larger than this is refused before parsing (bytes).
pub const MAX_RUNS_FILE: usize = 16 * 1024 * 1024;
/// What a runs file says it is.
const FORMAT: &str = "vae-playground-runs";
const VERSION: u32 = 1;

/// What a run was trained with (as it began; `changed` notes a β or learning rate edited during
/// the run, which its rows record).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunSettings {
    pub dataset: Dataset,
    pub likelihood: Likelihood,
    pub beta: f64,
    pub learning_rate: f64,
    pub batch_size: usize,
    pub hidden: usize,
    pub seed: u64,
    pub training_set: Split,
    pub device: Device,
}

impl RunSettings {
    /// Each setting as (name, value text), in the table's order.
    pub fn described(&self) -> Vec<(&'static str, String)> {
        let decoder = match self.likelihood {
            Likelihood::Bernoulli => "Bernoulli".to_string(),
            Likelihood::Gaussian { sigma } => format!("Gaussian σₓ {sigma}"),
            Likelihood::ContinuousBernoulli => "continuous Bernoulli".to_string(),
        };
        vec![
            ("dataset", self.dataset.key().to_string()),
            ("decoder", decoder),
            ("β", self.beta.to_string()),
            ("lr", self.learning_rate.to_string()),
            ("batch", self.batch_size.to_string()),
            ("hidden", self.hidden.to_string()),
            ("seed", self.seed.to_string()),
            ("train", self.training_set.key().to_string()),
            (
                "device",
                match self.device {
                    Device::Cpu => "CPU",
                    Device::WebGpu => "WebGPU",
                }
                .to_string(),
            ),
        ]
    }
}

/// What began a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunOrigin {
    /// The run that made the shipped weights (its history is shipped beside them).
    Pretrained,
    /// Training on from the pretrained weights (after load or Restore).
    Restore,
    /// Fresh weights.
    Reset,
    /// A weights file, the model remembered in this browser, or another run's weights.
    Loaded,
}

/// The numbers a run ended with: the last test-split point, else the last training row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Final {
    pub step: usize,
    pub kl: f64,
    pub recon: f64,
    /// From the test split (else training-batch averages).
    pub test: bool,
}

impl Final {
    pub fn neg_elbo(&self) -> f64 {
        self.kl + self.recon
    }
}

#[derive(Debug, Clone)]
pub struct Run {
    pub id: u32,
    pub name: String,
    /// Index into the palette.
    pub colour: usize,
    pub origin: RunOrigin,
    pub settings: RunSettings,
    /// β or the learning rate changed during the run.
    pub changed: bool,
    pub history: Rc<Vec<HistoryRow>>,
    pub test_points: Rc<Vec<TestPoint>>,
    pub images_per_second: f64,
    pub visible: bool,
    /// The run's last weights (a `.vaew` file), while memory allows.
    pub weights: Option<Rc<Vec<u8>>>,
    /// The β sweep it belongs to, if any.
    pub sweep: Option<u32>,
}

impl Run {
    pub fn final_numbers(&self) -> Option<Final> {
        let from_test = self.test_points.last().map(|t| Final {
            step: t.step,
            kl: t.kl,
            recon: t.recon,
            test: true,
        });
        from_test.or_else(|| {
            self.history.last().map(|r| Final {
                step: r.step,
                kl: r.kl,
                recon: r.recon,
                test: false,
            })
        })
    }

    /// Seconds of training (pauses excluded), from its rows.
    pub fn wall_seconds(&self) -> f64 {
        self.history.last().map_or(0.0, |r| r.wall_seconds)
    }

    /// The run's history as CSV (the CLI's `--history` format).
    pub fn csv(&self) -> String {
        history_csv::to_csv(&self.history)
    }

    /// Bytes this run holds: its history and test points, and its weights.
    pub fn memory(&self) -> (usize, usize) {
        let history = self.history.len() * std::mem::size_of::<HistoryRow>()
            + self.test_points.len() * std::mem::size_of::<TestPoint>();
        (history, self.weights.as_ref().map_or(0, |w| w.len()))
    }

    /// "name: KL …, recon …" style label of where it ended, for the chart.
    pub fn label(&self) -> String {
        format!("{} (β {})", self.name, self.settings.beta)
    }
}

/// Why a runs file was refused.
#[derive(Debug, Error, PartialEq)]
pub enum RunsError {
    #[error("the file is {0} bytes; a runs file is at most {MAX_RUNS_FILE}")]
    TooLarge(usize),
    #[error("not a runs file: {0}")]
    Malformed(String),
    #[error("not a runs file of this playground (format {0:?})")]
    Format(String),
    #[error("runs file version {0} is not one this page reads (it reads {VERSION})")]
    Version(u32),
    #[error("run {run}: {why}")]
    Run { run: usize, why: String },
}

/// One run as the runs file holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunRecord {
    name: String,
    origin: RunOrigin,
    settings: RunSettings,
    #[serde(default)]
    changed: bool,
    #[serde(default)]
    sweep: Option<u32>,
    visible: bool,
    images_per_second: f64,
    history: Vec<HistoryRow>,
    test_points: Vec<TestPoint>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunsFile {
    format: String,
    version: u32,
    runs: Vec<RunRecord>,
}

/// The kept runs, and which one training now goes into.
#[derive(Debug, Clone, Default)]
pub struct Runs {
    runs: Vec<Run>,
    next_id: u32,
    /// The run training now adds to; `None`: the next rows begin one.
    current: Option<u32>,
    /// What begins the next run.
    next_origin: Option<RunOrigin>,
    /// The sweep the next run belongs to.
    next_sweep: Option<u32>,
    /// Something changed since the list was last stored.
    pub dirty: bool,
}

impl Runs {
    pub fn all(&self) -> &[Run] {
        &self.runs
    }

    pub fn get(&self, id: u32) -> Option<&Run> {
        self.runs.iter().find(|r| r.id == id)
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut Run> {
        self.runs.iter_mut().find(|r| r.id == id)
    }

    pub fn current(&self) -> Option<&Run> {
        self.current.and_then(|id| self.get(id))
    }

    /// A run boundary: the next rows (if any come) begin a new run of this origin.
    pub fn begin(&mut self, origin: RunOrigin) {
        self.current = None;
        self.next_origin = Some(origin);
        self.next_sweep = None;
    }

    /// A run boundary for a run of sweep `sweep`.
    pub fn begin_sweep_run(&mut self, sweep: u32) {
        self.begin(RunOrigin::Reset);
        self.next_sweep = Some(sweep);
    }

    /// A number for a new sweep, above every sweep's kept.
    pub fn next_sweep_id(&self) -> u32 {
        self.runs
            .iter()
            .filter_map(|r| r.sweep)
            .max()
            .map_or(0, |s| s + 1)
    }

    /// The run that made the shipped weights of a dataset, first in the list (once).
    pub fn add_pretrained(&mut self, settings: RunSettings, history: Vec<HistoryRow>) {
        let dataset = settings.dataset;
        let exists = self
            .runs
            .iter()
            .any(|r| r.origin == RunOrigin::Pretrained && r.settings.dataset == dataset);
        if exists || history.is_empty() {
            return;
        }
        let mut run = self.new_run(RunOrigin::Pretrained, settings);
        run.name = format!("pretrained {}", dataset.key());
        run.history = Rc::new(history);
        self.runs.insert(0, run);
        self.dirty = true;
    }

    fn new_run(&mut self, origin: RunOrigin, settings: RunSettings) -> Run {
        let id = self.next_id;
        self.next_id += 1;
        let used: Vec<usize> = self.runs.iter().map(|r| r.colour).collect();
        let colour = (0..PALETTE)
            .find(|c| !used.contains(c))
            .unwrap_or(id as usize % PALETTE);
        Run {
            id,
            name: format!("run {}", id + 1),
            colour,
            origin,
            settings,
            changed: false,
            history: Rc::new(Vec::new()),
            test_points: Rc::new(Vec::new()),
            images_per_second: 0.0,
            visible: true,
            weights: None,
            sweep: self.next_sweep,
        }
    }

    /// Follow training: the readout's rows go into the current run, which begins with the
    /// first rows after a boundary. Returns a notice when old runs were dropped to make room.
    pub fn track(&mut self, readout: &Readout, settings: RunSettings) -> Option<String> {
        if readout.history.is_empty() && readout.test_points.is_empty() {
            return None;
        }
        let mut notice = None;
        if self.current().is_none() {
            let origin = self.next_origin.take().unwrap_or(RunOrigin::Loaded);
            let mut run = self.new_run(origin, settings);
            if let Some(sweep) = run.sweep {
                run.name = format!("sweep {} β {}", sweep + 1, settings.beta);
            }
            self.current = Some(run.id);
            self.runs.push(run);
            notice = self.bound();
        }
        let id = self.current?;
        let run = self.get_mut(id)?;
        run.history = readout.history.clone();
        run.test_points = readout.test_points.clone();
        if readout.images_per_second > 0.0 {
            run.images_per_second = readout.images_per_second;
        }
        self.dirty = true;
        notice
    }

    /// β, the learning rate, the batch or the decoder changed: before a run's first rows that
    /// becomes its settings (it begins then); during one, the run notes it (its rows say when).
    pub fn settings_changed(&mut self, settings: RunSettings) {
        let Some(id) = self.current else {
            return;
        };
        if let Some(run) = self.get_mut(id) {
            let s = &run.settings;
            let edited = s.beta != settings.beta
                || s.learning_rate != settings.learning_rate
                || s.batch_size != settings.batch_size
                || s.likelihood != settings.likelihood;
            if edited {
                run.changed = true;
                self.dirty = true;
            }
        }
    }

    /// The current run's latest weights; older runs let theirs go beyond `KEEP_WEIGHTS`.
    pub fn keep_weights(&mut self, bytes: Rc<Vec<u8>>) {
        let Some(id) = self.current else {
            return;
        };
        if let Some(run) = self.get_mut(id) {
            run.weights = Some(bytes);
        }
        let mut kept = 0;
        for run in self.runs.iter_mut().rev() {
            if run.weights.is_some() {
                kept += 1;
                if kept > KEEP_WEIGHTS {
                    run.weights = None;
                }
            }
        }
    }

    /// Drop the oldest runs beyond `MAX_RUNS` (never a pretrained one, nor the current one);
    /// a notice naming them.
    fn bound(&mut self) -> Option<String> {
        let mut dropped = Vec::new();
        while self.runs.len() > MAX_RUNS {
            let Some(i) = self
                .runs
                .iter()
                .position(|r| r.origin != RunOrigin::Pretrained && Some(r.id) != self.current)
            else {
                break;
            };
            dropped.push(self.runs.remove(i).name);
        }
        (!dropped.is_empty()).then(|| {
            format!(
                "At most {MAX_RUNS} runs are kept: dropped the oldest ({}).",
                dropped.join(", ")
            )
        })
    }

    pub fn rename(&mut self, id: u32, name: &str) {
        let name: String = name.trim().chars().take(MAX_NAME).collect();
        if name.is_empty() {
            return;
        }
        if let Some(run) = self.get_mut(id) {
            run.name = name;
            self.dirty = true;
        }
    }

    pub fn set_visible(&mut self, id: u32, visible: bool) {
        if let Some(run) = self.get_mut(id) {
            run.visible = visible;
            self.dirty = true;
        }
    }

    /// Delete a run; the current one goes from the list, and training goes on into a new one.
    pub fn delete(&mut self, id: u32) {
        let before = self.runs.len();
        self.runs.retain(|r| r.id != id);
        if self.current == Some(id) {
            self.current = None;
            self.next_origin = Some(RunOrigin::Loaded);
        }
        self.dirty |= self.runs.len() != before;
    }

    /// The settings of run `index` that differ from the run listed before it (all of them
    /// for the first), with a note if β or the learning rate changed during it.
    pub fn differences(&self, index: usize) -> Vec<(&'static str, String)> {
        let Some(run) = self.runs.get(index) else {
            return Vec::new();
        };
        let mine = run.settings.described();
        let mut out = match index.checked_sub(1).and_then(|i| self.runs.get(i)) {
            None => mine,
            Some(prev) => {
                let theirs = prev.settings.described();
                mine.into_iter()
                    .zip(theirs)
                    .filter(|(a, b)| a != b)
                    .map(|(a, _)| a)
                    .collect()
            }
        };
        if run.changed {
            out.push(("changed", "β or lr during the run".to_string()));
        }
        out
    }

    /// Bytes held by all runs: (history and test points, weights).
    pub fn memory(&self) -> (usize, usize) {
        self.runs
            .iter()
            .map(Run::memory)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    }

    /// Every run as a JSON runs file (weights are not in it).
    pub fn to_json(&self) -> String {
        let file = RunsFile {
            format: FORMAT.into(),
            version: VERSION,
            runs: self
                .runs
                .iter()
                .map(|r| RunRecord {
                    name: r.name.clone(),
                    origin: r.origin,
                    settings: r.settings,
                    changed: r.changed,
                    sweep: r.sweep,
                    visible: r.visible,
                    images_per_second: r.images_per_second,
                    history: (*r.history).clone(),
                    test_points: (*r.test_points).clone(),
                })
                .collect(),
        };
        serde_json::to_string(&file).unwrap_or_default()
    }

    /// Add the runs of a runs file, after checking all of it: any problem refuses the whole
    /// file and changes nothing. A pretrained run already listed is not added twice. Returns
    /// how many runs were added and a notice if old runs were dropped to make room.
    pub fn import(&mut self, bytes: &[u8]) -> Result<(usize, Option<String>), RunsError> {
        let records = parse(bytes)?;
        let sweep_base = self.next_sweep_id();
        let mut added = 0;
        for record in records {
            let duplicate = record.origin == RunOrigin::Pretrained
                && self.runs.iter().any(|r| {
                    r.origin == RunOrigin::Pretrained
                        && r.settings.dataset == record.settings.dataset
                });
            if duplicate {
                continue;
            }
            let mut run = self.new_run(record.origin, record.settings);
            run.name = record.name;
            run.changed = record.changed;
            // Sweeps from the file keep apart from this page's.
            run.sweep = record.sweep.map(|s| s + sweep_base);
            run.visible = record.visible;
            run.images_per_second = record.images_per_second;
            run.history = Rc::new(record.history);
            run.test_points = Rc::new(record.test_points);
            if record.origin == RunOrigin::Pretrained {
                self.runs.insert(0, run);
            } else {
                // Before the run in progress, which stays last.
                let at = self
                    .current
                    .and_then(|id| self.runs.iter().position(|r| r.id == id))
                    .unwrap_or(self.runs.len());
                self.runs.insert(at, run);
            }
            added += 1;
        }
        self.dirty |= added > 0;
        Ok((added, self.bound()))
    }
}

/// A runs file's runs, every one checked.
fn parse(bytes: &[u8]) -> Result<Vec<RunRecord>, RunsError> {
    if bytes.len() > MAX_RUNS_FILE {
        return Err(RunsError::TooLarge(bytes.len()));
    }
    let file: RunsFile =
        serde_json::from_slice(bytes).map_err(|e| RunsError::Malformed(e.to_string()))?;
    if file.format != FORMAT {
        return Err(RunsError::Format(file.format));
    }
    if file.version != VERSION {
        return Err(RunsError::Version(file.version));
    }
    for (i, run) in file.runs.iter().enumerate() {
        check(run).map_err(|why| RunsError::Run { run: i + 1, why })?;
    }
    Ok(file.runs)
}

fn check(run: &RunRecord) -> Result<(), String> {
    use super::url_state::{BATCH_SIZE, BETA, HIDDEN, LEARNING_RATE};
    let s = &run.settings;
    let within = |v: f64, (lo, hi): (f64, f64)| v.is_finite() && (lo..=hi).contains(&v);
    if run.name.trim().is_empty() || run.name.chars().count() > MAX_NAME {
        return Err(format!("its name must have 1 to {MAX_NAME} characters"));
    }
    if !within(s.beta, BETA) || !within(s.learning_rate, LEARNING_RATE) {
        return Err("β or the learning rate is out of range".into());
    }
    if !(BATCH_SIZE.0..=BATCH_SIZE.1).contains(&s.batch_size)
        || !(HIDDEN.0..=HIDDEN.1).contains(&s.hidden)
    {
        return Err("the batch or hidden size is out of range".into());
    }
    if !run.images_per_second.is_finite() || run.images_per_second < 0.0 {
        return Err("its speed is not a number".into());
    }
    let finite = |r: &HistoryRow| {
        [
            r.epoch,
            r.kl,
            r.recon,
            r.neg_elbo,
            r.loss,
            r.beta,
            r.learning_rate,
            r.wall_seconds,
        ]
        .iter()
        .all(|v| v.is_finite())
    };
    for (i, pair) in run.history.windows(2).enumerate() {
        if pair[1].step <= pair[0].step {
            return Err(format!("history row {}: steps must increase", i + 2));
        }
    }
    if let Some(i) = run.history.iter().position(|r| !finite(r)) {
        return Err(format!("history row {}: a number is not finite", i + 1));
    }
    if let Some(i) = run
        .test_points
        .iter()
        .position(|t| !t.kl.is_finite() || !t.recon.is_finite())
    {
        return Err(format!("test point {}: a number is not finite", i + 1));
    }
    Ok(())
}
