//! "Your data": editing the set, keeping it in this browser, its file, and training on it
//! as the dataset on screen.

use super::*;
use crate::data::dataset_file;
use crate::page::msg::OwnMsg;
use crate::page::pretrained::Pretrained;
use crate::page::trainer_link::Action;
use crate::vae::backend::Cpu;

impl PageState {
    pub(super) fn own(&mut self, msg: OwnMsg, now: f64) -> bool {
        let before = self.own.version();
        match msg {
            OwnMsg::PadDrawn(ink) => self.own.pad_drawn(ink),
            OwnMsg::AddClicked => {
                self.own.add_drawing();
            }
            OwnMsg::ClassPicked(class) => self.own.pick_class(class),
            OwnMsg::ClassRenamed(class, name) => {
                self.own.rename(class, &name);
            }
            OwnMsg::ClassAdded => {
                self.own.add_class();
            }
            OwnMsg::Removed(index) => {
                self.own.remove(index);
            }
            OwnMsg::UndoClicked => {
                self.own.undo();
            }
            OwnMsg::ClearClicked => {
                self.own.clear();
            }
            OwnMsg::PolarityChosen(polarity) => self.own.polarity = polarity,
            OwnMsg::FilesPicked { files, folder } => {
                self.own.add_files(files, folder);
            }
            OwnMsg::ExportClicked => {
                if !self.own.set().is_empty() {
                    self.out.push(Effect::Download {
                        name: self.own.file_name(),
                        bytes: self.own.file(),
                    });
                }
            }
            OwnMsg::FileChosen(Ok(Some(bytes))) => {
                let _ = self.own.import(&bytes);
            }
            OwnMsg::FileChosen(Ok(None)) => {}
            OwnMsg::FileChosen(Err(e)) => {
                self.own.message = Some(format!("Could not read that file: {e}"));
            }
            OwnMsg::Fetched(result) => {
                self.own_url = None;
                let imported = result
                    .map_err(|e| format!("Could not load the dataset file of this link: {e}"))
                    .and_then(|bytes| self.own.import(&bytes));
                match imported {
                    Ok(()) => self.use_own(now),
                    Err(e) => self.own_failed(e),
                }
            }
            OwnMsg::Recalled(result) => {
                // Kept sets come back only into an untouched editor (a link's file may be in).
                let untouched = self.own.version() == 0;
                if let Some(set) = result
                    .ok()
                    .flatten()
                    .filter(|_| untouched)
                    .and_then(|bytes| dataset_file::decode(&bytes).ok())
                {
                    self.own.restore(set);
                }
                if self.view.dataset == Dataset::Own && !self.ready() && self.own_url.is_none() {
                    self.use_own(now);
                }
                return true;
            }
            OwnMsg::Stored(Err(e)) => {
                self.own.message = Some(format!("Could not keep your set in this browser: {e}"));
            }
            OwnMsg::Stored(Ok(())) => return false,
        }
        if self.own.version() != before {
            self.keep_own();
            if self.view.dataset == Dataset::Own && self.ready() {
                self.own_changed = true;
                self.status = "Your set changed: Reset trains a fresh model on it.".into();
            }
        }
        true
    }

    /// Keep the set in this browser (an empty one is forgotten); not in an embed.
    fn keep_own(&mut self) {
        if self.view.embed {
            return;
        }
        let bytes = (!self.own.set().is_empty()).then(|| Rc::new(self.own.file()));
        self.out.push(Effect::KeepOwnSet(bytes));
    }

    /// At the start: the set this browser kept, for the panel; and, when the link asks for
    /// "Your data", the file it names or else that kept set on screen.
    pub(super) fn start_own(&mut self) {
        self.out.push(Effect::RecallOwnSet);
        match self.own_url.clone() {
            Some(Ok(url)) => self.out.push(Effect::FetchOwnSet(url)),
            Some(Err(why)) => {
                self.own_url = None;
                self.own_failed(format!("The link's dataset file was not loaded: {why}."));
            }
            None => {}
        }
    }

    /// "Your data" cannot be shown: say why, and show MNIST if nothing is on screen yet.
    fn own_failed(&mut self, why: String) {
        self.notice = Some(why);
        self.keeper.pending_file = None;
        if !self.ready() {
            self.view.dataset = Dataset::Mnist;
            self.fetch_first();
        }
    }

    /// Show and train on the user's set: split by the seed, its test images on the map, fresh
    /// weights (with the decoder's output bias from the training images' pixel means, as
    /// Reset makes them) once the train worker has the set.
    pub(super) fn use_own(&mut self, now: f64) {
        let (train, test) = match self.own.set().split(self.view.seed) {
            Ok(split) => split,
            Err(e) => {
                return self.own_failed(format!(
                    "Your data cannot be trained on yet: {e}. Draw or add more images under “Your data”."
                ))
            }
        };
        let config = VaeConfig::new()
            .with_hidden(self.view.hidden)
            .with_seed(self.view.seed);
        let model = config.init::<Cpu>(&Default::default());
        let provenance = Provenance {
            dataset: Some(Dataset::Own),
            classes: self.own.set().names().to_vec(),
            ..Provenance::default()
        };
        let bytes = match weights::encode(&model, self.view.seed, &provenance).now_or_never() {
            Some(Ok(bytes)) => bytes,
            Some(Err(e)) => return self.own_failed(e.to_string()),
            None => return self.own_failed("the fresh model could not be read".into()),
        };
        let model = match AnyVae::from_weights(&bytes) {
            Ok(model) => model,
            Err(e) => return self.own_failed(e.to_string()),
        };
        self.link.stop_training();
        self.link.set_own(Rc::new(self.own.file()), self.view.seed);
        self.own_classes = Rc::new(self.own.set().names().to_vec());
        self.own_changed = false;
        let adopting = self.keeper.pending_file.is_some();
        self.loaded(
            Loaded {
                // Not shipped: fresh weights, which Restore goes back to.
                shipped: Pretrained::for_choice(Dataset::Own, self.view.likelihood),
                pretrained: Rc::new(bytes),
                model,
                test: Rc::new(test),
                remembered: None,
                history: None,
            },
            now,
        );
        self.status = format!(
            "Your data: {} training and {} test images. Fresh weights follow; then Train.",
            train.len(),
            self.test.as_ref().map_or(0, |t| t.len())
        );
        if adopting {
            self.open_linked_slowmo(now);
        } else {
            // A link's slow motion opens once this Reset is taken (`act`).
            self.action(Action::Reset, now);
        }
    }
}
