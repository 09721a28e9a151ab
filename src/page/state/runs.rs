//! Runs: follow training into the run list, rename, show, hide and delete runs, continue from
//! one's weights, take them away (CSV, JSON) and bring them back (JSON), keep them across a
//! reload (browser storage).

use super::*;
use crate::page::keeper::SAVE_EVERY_MS;
use crate::page::runs::RunSettings;

/// The storage key of the run list.
pub const RUNS_KEY: &str = "runs";

impl PageState {
    /// The settings a run started now would be listed with.
    pub fn run_settings(&self) -> RunSettings {
        RunSettings {
            dataset: self.view.dataset,
            likelihood: self.view.likelihood,
            beta: self.view.beta,
            learning_rate: self.view.learning_rate,
            batch_size: self.view.batch_size,
            hidden: self.view.hidden,
            seed: self.view.seed,
            training_set: self.view.training_set,
            device: self.link.device(),
        }
    }

    /// The pretrained model's own run, from its shipped history and its weights' header.
    pub(super) fn add_pretrained_run(&mut self, bytes: &[u8], history: Vec<HistoryRow>) {
        let Ok(header) = weights::header(bytes) else {
            return;
        };
        let first = history.first().copied();
        let settings = RunSettings {
            dataset: self.view.dataset,
            likelihood: header.likelihood,
            beta: first.map_or(1.0, |r| r.beta),
            learning_rate: first.map_or(1e-3, |r| r.learning_rate),
            // Rows count images and steps from the start.
            batch_size: first.map_or(TrainSettings::default().batch_size, |r| {
                (r.images_seen / r.step.max(1) as u64) as usize
            }),
            hidden: header.config.hidden,
            seed: header.config.seed,
            training_set: Split::Train,
            device: Device::Cpu,
        };
        self.runs.add_pretrained(settings, history);
    }

    /// After a chunk: the rows go into the current run.
    pub(super) fn track_run(&mut self) {
        let settings = self.run_settings();
        if let Some(notice) = self.runs.track(&self.readout, settings) {
            self.notice = Some(notice);
        }
    }

    /// Store the run list in this browser: now when `now_or_never`, else at most every
    /// `SAVE_EVERY_MS` while training. Never in an embed, nor before the stored list came back.
    pub(super) fn store_runs(&mut self, now: f64, force: bool) {
        if self.view.embed || !self.runs_recalled || !self.runs.dirty {
            return;
        }
        if !force && self.link.training() && now - self.runs_stored_at < SAVE_EVERY_MS {
            return;
        }
        self.runs.dirty = false;
        self.runs_stored_at = now;
        self.out.push(Effect::StoreRuns {
            key: RUNS_KEY.into(),
            bytes: self.runs.to_json().into_bytes(),
        });
    }

    pub(super) fn on_runs(&mut self, msg: RunsMsg, now: f64) -> bool {
        match msg {
            RunsMsg::Renamed(id, name) => self.runs.rename(id, &name),
            RunsMsg::VisibilityToggled(id, visible) => self.runs.set_visible(id, visible),
            RunsMsg::Deleted(id) => self.runs.delete(id),
            RunsMsg::ContinueClicked(id) => {
                let Some((name, bytes)) = self
                    .runs
                    .get(id)
                    .and_then(|r| Some((r.name.clone(), r.weights.clone()?)))
                else {
                    return false;
                };
                self.link.stop_training();
                self.adopt((*bytes).clone(), WeightsSource::Run, now);
                if self.notice.is_none() {
                    self.status = format!(
                        "On screen: the model of run “{name}”. Training goes on from it as a new run."
                    );
                }
            }
            RunsMsg::CsvClicked(id) => {
                if let Some(run) = self.runs.get(id) {
                    let name = format!("{}.history.csv", file_stem(&run.name));
                    self.out.push(Effect::Download {
                        name,
                        bytes: run.csv().into_bytes(),
                    });
                }
            }
            RunsMsg::JsonClicked => self.out.push(Effect::Download {
                name: "vae-runs.json".into(),
                bytes: self.runs.to_json().into_bytes(),
            }),
            RunsMsg::FileRead(Ok(None)) => return false,
            RunsMsg::FileRead(Ok(Some(bytes))) => match self.runs.import(&bytes) {
                Ok((added, dropped)) => {
                    self.status = format!("Added {added} runs from the file.");
                    self.notice = dropped;
                }
                Err(e) => {
                    self.notice = Some(format!(
                        "That runs file could not be used: {e}. The run list is unchanged."
                    ))
                }
            },
            RunsMsg::FileRead(Err(e)) => {
                self.notice = Some(format!(
                    "Could not read that file: {e}. The run list is unchanged."
                ))
            }
            RunsMsg::Recalled(result) => {
                self.runs_recalled = true;
                // No storage, or nothing kept: the list is this visit's alone.
                if let Ok(Some(bytes)) = result {
                    match self.runs.import(&bytes) {
                        Ok((_, dropped)) => self.notice = dropped.or(self.notice.take()),
                        Err(e) => {
                            self.notice =
                                Some(format!("The runs kept in this browser were not used: {e}."))
                        }
                    }
                }
            }
            RunsMsg::Stored(Ok(())) => return false,
            RunsMsg::Stored(Err(e)) => {
                self.notice = Some(format!(
                    "This browser does not let the page keep the runs ({e}); they last until the page closes."
                ));
                return true;
            }
        }
        self.store_runs(now, true);
        true
    }
}

/// A file name from a run's name: letters, digits and dashes.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("vae-{}", stem.trim_matches('-'))
}
