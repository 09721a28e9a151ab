//! Keeping a model: download, load a file, remember it in this browser.

use super::*;
use crate::page::pretrained::Pretrained;

impl PageState {
    /// Take a weights file (uploaded or remembered) as the current model; on any problem, say
    /// so and keep the current model.
    pub(super) fn adopt(&mut self, bytes: Vec<u8>, source: WeightsSource, now: f64) {
        let refuse = |e: String| {
            format!(
                "{} could not be used: {e}. The current model is unchanged.",
                source.describe()
            )
        };
        let header = match weights::header(&bytes) {
            Ok(h) => h,
            Err(e) => {
                self.notice = Some(refuse(e.to_string()));
                return;
            }
        };
        if let Some(dataset) = header.dataset.filter(|d| *d != self.view.dataset) {
            if source != WeightsSource::Remembered && dataset == Dataset::Own {
                // A model of a user's set: put this page's set on screen, then the file.
                self.keeper.pending_file = Some(bytes);
                self.use_own(now);
            } else if source != WeightsSource::Remembered {
                // Switch dataset first; the file is used once its test images are here.
                self.keeper.pending_file = Some(bytes);
                self.link.stop_training();
                self.view.dataset = dataset;
                self.status = format!("Loading {} for this model…", dataset.title());
                let shipped = Pretrained::for_choice(dataset, header.likelihood);
                self.fetch_model(shipped, self.keeper.remember);
            }
            return;
        }
        let model = match AnyVae::from_weights(&bytes) {
            Ok(m) => m,
            Err(e) => {
                self.notice = Some(refuse(e.to_string()));
                return;
            }
        };
        let step = usize::try_from(header.steps).unwrap_or(usize::MAX);
        self.show_model(model, false);
        self.view.likelihood = header.likelihood;
        self.view.hidden = header.config.hidden;
        self.view.seed = header.config.seed;
        let bytes = Rc::new(bytes);
        self.start = Some((bytes.clone(), step));
        self.on_pretrained = false;
        self.readout.restart_at(step);
        self.runs.begin(RunOrigin::Loaded);
        let progress = self.start_progress();
        self.start_from_weights(progress);
        self.refresh_map();
        match source {
            WeightsSource::File | WeightsSource::Run => {
                self.notice = None;
                self.status = format!("Loaded a model trained for {step} steps.");
                self.checkpoint = Some((
                    bytes.clone(),
                    Progress {
                        step,
                        ..Progress::default()
                    },
                ));
                if self.keeper.save(step, now) {
                    self.remember(bytes, step);
                }
            }
            WeightsSource::Remembered => {
                self.keeper.remembered_step = Some(step);
                self.status = format!(
                    "Restored the model you trained in this browser ({step} steps). “Restore pretrained” goes back."
                );
            }
        }
    }

    pub(super) fn provenance(&self) -> Provenance {
        Provenance {
            dataset: Some(self.view.dataset),
            likelihood: self.view.likelihood,
            steps: self.readout.step as u64,
            note: "trained in the VAE playground".into(),
            classes: match self.view.dataset {
                Dataset::Own => self.own_classes.to_vec(),
                _ => Vec::new(),
            },
        }
    }

    /// The name a downloaded model is saved under.
    pub fn download_name(&self) -> String {
        format!(
            "vae-{}-h{}-step{}.vaew",
            self.view.dataset.key(),
            self.view.hidden,
            self.readout.step
        )
    }

    pub(super) fn keep(&mut self, msg: KeepMsg, now: f64) -> bool {
        match msg {
            KeepMsg::DownloadClicked => {
                if let Some(model) = self.whole_model() {
                    self.out.push(Effect::Export {
                        model,
                        seed: self.view.seed,
                        provenance: self.provenance(),
                    });
                }
            }
            KeepMsg::Exported(Ok(bytes)) => {
                let name = self.download_name();
                self.status = format!("Downloaded {name}.");
                self.out.push(Effect::Download { name, bytes });
            }
            KeepMsg::Exported(Err(e)) => {
                self.notice = Some(format!("Could not read the weights back: {e}"))
            }
            KeepMsg::FileRead(Ok(None)) => return false,
            KeepMsg::FileRead(Ok(Some(bytes))) => {
                self.link.stop_training();
                self.adopt(bytes, WeightsSource::File, now);
            }
            KeepMsg::FileRead(Err(e)) => {
                self.notice = Some(format!(
                    "Could not read that file: {e}. The current model is unchanged."
                ))
            }
            KeepMsg::RememberToggled(on) => {
                self.keeper.remember = on;
                if on {
                    if let Some((bytes, progress)) = self.checkpoint.clone() {
                        if self.keeper.save(progress.step, now) {
                            self.remember(bytes, progress.step);
                        }
                    }
                } else {
                    self.out.push(Effect::Forget {
                        key: Keeper::key(self.view.dataset),
                    });
                }
            }
            KeepMsg::Remembered(step, Ok(())) => self.keeper.remembered_step = Some(step),
            KeepMsg::Remembered(_, Err(e)) => {
                self.keeper.remember = false;
                self.notice = Some(format!(
                    "This browser does not let the page keep the model ({e}); it will not be remembered."
                ));
            }
            KeepMsg::Forgotten(Ok(())) => {
                self.keeper.remembered_step = None;
                self.status =
                    "Forgot the saved model; the next visit opens the pretrained one.".into();
            }
            KeepMsg::Forgotten(Err(e)) => {
                self.notice = Some(format!("Could not forget the model: {e}"))
            }
        }
        true
    }
}
