//! Loading: the WebGPU probe, the preview, the whole model and test split, another dataset.

use super::*;
use crate::page::pretrained::Pretrained;
use crate::page::url_state::{Panel, BATCH_SIZE, HIDDEN};

impl PageState {
    pub(super) fn load(&mut self, msg: LoadMsg, now: f64) {
        match msg {
            LoadMsg::GpuProbed(adapter) => {
                self.probed = true;
                // An adapter short of what training needs is not offered: the CPU, and why.
                let shortfalls = adapter
                    .as_ref()
                    .map(|a| a.limits.shortfalls(BATCH_SIZE.1, HIDDEN.1))
                    .unwrap_or_default();
                if let (Some(adapter), false) = (&adapter, shortfalls.is_empty()) {
                    self.notice = Some(format!(
                        "This browser's WebGPU adapter ({}) falls short of what training needs ({}); training runs on the CPU.",
                        adapter.name,
                        shortfalls.join("; ")
                    ));
                }
                let adapter = adapter.filter(|_| shortfalls.is_empty());
                if let Some(key) = self.kernels.probed(adapter.as_ref().map(|a| a.key.clone())) {
                    self.out.push(Effect::RecallKernels { key });
                }
                let name = adapter.map(|a| a.name);
                let device = if name.is_some() {
                    Device::WebGpu
                } else {
                    Device::Cpu
                };
                self.gpu_name = name;
                self.link.switch(device, &mut self.out);
                // "Your data" loads its own way (or falls back to MNIST, fetched there).
                let own = self.view.dataset == Dataset::Own;
                self.start_own();
                if !own {
                    self.fetch_first();
                }
            }
            LoadMsg::PreviewLoaded(dataset, result) => {
                if let (Ok(model), true) = (*result, self.slot.is_empty()) {
                    self.show_model(model, true);
                }
                // Then the whole model and the test images, once the first image is painted;
                // a failed preview just means waiting.
                self.out.push(Effect::After {
                    ms: 0,
                    msg: Msg::Load(LoadMsg::PreviewShown(dataset)),
                });
            }
            LoadMsg::PreviewShown(dataset) => self.fetch_model(
                Pretrained::for_choice(dataset, self.view.likelihood),
                self.keeper.remember,
            ),
            LoadMsg::Loaded(loaded) => match *loaded {
                Ok(loaded) => {
                    self.loaded(loaded, now);
                    self.open_linked_slowmo(now);
                }
                Err(e) => {
                    self.notice = Some(format!("Could not load the model: {e}"));
                    self.status = "Load failed".into();
                }
            },
            LoadMsg::MapEncoded(Ok(means)) => self.means = Rc::new(means),
            LoadMsg::MapEncoded(Err(e)) => self.notice = Some(e),
            LoadMsg::DatasetChosen(Dataset::Own) => self.use_own(now),
            LoadMsg::DatasetChosen(dataset) => {
                if dataset != self.view.dataset {
                    self.link.stop_training();
                    self.view.dataset = dataset;
                    self.status = format!("Loading the pretrained {} model…", dataset.title());
                    self.fetch_model(self.wanted_pretrained(), self.keeper.remember);
                }
            }
        }
    }

    /// Fetch `pretrained` and the test split; with `recall`, also the model this browser kept.
    pub(super) fn fetch_model(&mut self, pretrained: Pretrained, recall: bool) {
        self.out.push(Effect::FetchModel { pretrained, recall });
    }

    /// Open the dataset chosen now with its shipped model: its preview first, where it has one.
    pub(super) fn fetch_first(&mut self) {
        self.status = format!(
            "Loading the pretrained {} model…",
            self.view.dataset.title()
        );
        let wanted = self.wanted_pretrained();
        match wanted.preview_path() {
            Some(_) => self.out.push(Effect::FetchPreview(wanted)),
            None => self.fetch_model(wanted, self.keeper.remember),
        }
    }

    /// The shipped model for the dataset and decoder chosen now.
    pub(super) fn wanted_pretrained(&self) -> Pretrained {
        Pretrained::for_choice(self.view.dataset, self.view.likelihood)
    }

    /// After a change of decoder: the pretrained model is swapped for the one trained with the
    /// new decoder, where one is shipped; a model trained here is kept.
    pub(super) fn decoder_changed(&mut self) {
        let wanted = self.wanted_pretrained();
        if self.untouched_pretrained() && self.shipped.is_some_and(|s| s != wanted) {
            self.link.stop_training();
            self.status = format!(
                "Loading the pretrained {} model for the {} decoder…",
                self.view.dataset.title(),
                self.view.likelihood.name()
            );
            self.fetch_model(wanted, false);
        }
    }

    pub(super) fn loaded(&mut self, loaded: Loaded, now: f64) {
        let first = self.pretrained.is_none();
        self.view.dataset = loaded.shipped.dataset;
        self.shipped = Some(loaded.shipped);
        self.start = Some((loaded.pretrained.clone(), 0));
        self.pretrained = Some(loaded.pretrained);
        self.show_model(loaded.model, false);
        let test = loaded.test;
        self.map_labels = Rc::new(test.labels()[..MAP_POINTS.min(test.len())].to_vec());
        let examples = first_of_each_class(&test);
        if first {
            // A digit drawn while only the preview was in is inspected below.
            self.inspector.examples = examples;
        } else {
            self.inspector.new_dataset(examples);
        }
        self.test = Some(test);
        self.link.new_dataset();
        self.checkpoint = None;
        self.keeper.remembered_step = None;
        self.readout.restart_at(0);
        self.runs.begin(RunOrigin::Restore);
        let history = loaded.history.unwrap_or_default();
        if let Some(bytes) = self.pretrained.clone() {
            self.add_pretrained_run(&bytes, history.clone());
        }
        self.pretrained_history = Rc::new(history);
        self.on_pretrained = true;
        self.status = "Ready. Drag z, or train.".into();
        if let Some(bytes) = self.keeper.pending_file.take() {
            self.adopt(bytes, WeightsSource::File, now);
        } else if let Some(bytes) = loaded.remembered {
            self.adopt(bytes, WeightsSource::Remembered, now);
        }
        self.slot.decode(self.view.z, self.view.likelihood);
        self.refresh_map();
        // The maths without the inspector to pick an input (an embed): the first example's.
        let panels = self.view.panels;
        let first_example = self.inspector.examples.first().copied();
        if let (Some(index), true, false, None) = (
            first_example,
            panels.contains(Panel::Maths),
            panels.contains(Panel::Inspect),
            &self.inspector.x,
        ) {
            self.inspect(InspectMsg::ExamplePicked(index), now);
        }
        self.request_inspect(now);
        if first && !self.view.embed {
            self.out.push(Effect::RecallRuns {
                key: super::runs::RUNS_KEY.into(),
            });
        }
        if first {
            let json = HostEvent::Ready {
                dataset: self.view.dataset.key(),
            }
            .to_json();
            self.out.push(Effect::PostToParent {
                origins: self.host.allowed().to_vec(),
                json,
            });
        }
    }
}

/// The index of the first test image of each class, in class order.
fn first_of_each_class(test: &Digits) -> Vec<usize> {
    (0..10u8)
        .filter_map(|c| test.labels().iter().position(|&l| l == c))
        .collect()
}
