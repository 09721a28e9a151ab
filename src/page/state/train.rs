//! Training: the user's training actions, the settings, and what the train worker reports,
//! through `TrainerLink`; a lost worker's replacement.

use super::*;
use crate::vae::kernel_choice::Chosen;

impl PageState {
    pub(super) fn train(&mut self, msg: TrainMsg, now: f64) -> bool {
        match msg {
            TrainMsg::Toggled => {
                self.cancel_sweep();
                return self.action(Action::Train, now);
            }
            TrainMsg::StepClicked => return self.action(Action::Step, now),
            TrainMsg::ResetClicked if self.own_changed && self.view.dataset == Dataset::Own => {
                self.cancel_sweep();
                self.use_own(now)
            }
            TrainMsg::ResetClicked => {
                self.cancel_sweep();
                return self.action(Action::Reset, now);
            }
            TrainMsg::RestoreClicked => {
                self.cancel_sweep();
                self.restore()
            }
            TrainMsg::SweepBetasTyped(text) => {
                self.sweep_betas = text;
                self.sweep_planned();
            }
            TrainMsg::SweepEpochsSet(epochs) => {
                self.sweep_epochs = epochs;
                self.sweep_planned();
            }
            TrainMsg::SweepClicked => self.start_sweep(now),
            TrainMsg::DeviceChosen(device) => {
                if device == self.link.device() {
                    return false;
                }
                if device == Device::WebGpu && self.gpu_name.is_none() {
                    self.notice =
                        Some("This browser offers no WebGPU adapter; staying on the CPU.".into());
                    return true;
                }
                let label_now = self.label(device);
                if self.link.switch(device, &mut self.out) {
                    self.status = format!("Moving to {label_now}…");
                } else {
                    self.status = format!("Now running on {label_now}");
                }
            }
            TrainMsg::Settings(settings) => {
                self.view.learning_rate = settings.learning_rate;
                self.view.beta = settings.beta;
                self.view.batch_size = settings.batch_size;
                let new_decoder = self.view.likelihood != settings.likelihood;
                self.view.likelihood = settings.likelihood;
                let settings = self.settings();
                self.link.set_settings(settings, &mut self.out);
                let run_settings = self.run_settings();
                self.runs.settings_changed(run_settings);
                if new_decoder {
                    // The continuous Bernoulli's mean is not the sigmoid: repaint.
                    self.slot.decode(self.view.z, self.view.likelihood);
                    self.request_manifold(now);
                    self.decoder_changed();
                }
            }
            TrainMsg::HiddenSet(hidden) => self.view.hidden = hidden,
            TrainMsg::StopRuleSet(rule) => self.view.stop = rule,
            TrainMsg::SeedSet(seed) => self.view.seed = seed,
            TrainMsg::WorkersSet(workers) => {
                self.view.workers = workers;
                self.link.set_workers(workers, &mut self.out);
            }
            TrainMsg::TrainingSetChosen(split) => {
                if split != self.view.training_set {
                    self.view.training_set = split;
                    if self
                        .link
                        .change_split(self.view.dataset, split, &mut self.out)
                    {
                        self.status = "Loading the training images…".into();
                    }
                }
            }
            TrainMsg::Reported(event, weights) => {
                let (dataset, split) = (self.view.dataset, self.view.training_set);
                let report = self.link.receive(*event, weights, dataset, split);
                return self.reported(report, now);
            }
            TrainMsg::WorkerFailed(reason) => self.restart(&reason, false),
            TrainMsg::KernelSet(setting) => {
                self.view.kernel = setting;
                self.tell_kernels();
            }
            TrainMsg::KernelsRecalled(stored) => {
                self.kernels.recalled(stored);
                self.tell_kernels();
            }
            TrainMsg::WorkerUnavailable => {
                self.link.worker_unavailable();
                self.notice = Some(
                    "This browser could not start the training worker, so the page cannot train here. Exploring still works."
                        .into(),
                );
            }
        }
        true
    }

    /// A training action: now, or once the training images are in. They load on first use, so
    /// a visit that only explores downloads less.
    pub(super) fn action(&mut self, action: Action, now: f64) -> bool {
        if !self.ready() {
            return false;
        }
        if self.link.needs_data() {
            let (dataset, split) = (self.view.dataset, self.view.training_set);
            let trainer = (self.view.hidden, self.settings());
            if self
                .link
                .wait_for_data(action, (dataset, split), trainer, &mut self.out)
            {
                self.status = format!("Loading the {} training images…", dataset.title());
            }
            return true;
        }
        self.act(action, now);
        true
    }

    /// A training action, with the training images there.
    pub(super) fn act(&mut self, action: Action, now: f64) {
        match action {
            Action::Train => {
                self.link.toggle(&mut self.out);
                if self.link.training() {
                    self.notice = None;
                } else {
                    self.send_metrics(now, true);
                }
            }
            Action::Step => self.link.step(&mut self.out),
            Action::SlowStep => self.link.slow_step(&mut self.out),
            Action::Reset => {
                let config = VaeConfig::new()
                    .with_hidden(self.view.hidden)
                    .with_seed(self.view.seed);
                self.readout.restart_at(0);
                match &self.sweep {
                    Some(sweep) => self.runs.begin_sweep_run(sweep.id),
                    None => self.runs.begin(RunOrigin::Reset),
                }
                self.on_pretrained = false;
                self.checkpoint = None;
                let settings = self.settings();
                self.link.start(
                    Some(config),
                    None,
                    Progress::default(),
                    settings,
                    &mut self.out,
                );
                // A link's slow motion on a fresh set: the step of these fresh weights.
                self.open_linked_slowmo(now);
            }
        }
    }

    pub(super) fn restore(&mut self) {
        self.link.stop_training();
        let wanted = self.wanted_pretrained();
        if self.shipped.is_some_and(|s| s != wanted) {
            self.status = format!(
                "Loading the pretrained {} model for the {} decoder…",
                self.view.dataset.title(),
                self.view.likelihood.name()
            );
            return self.fetch_model(wanted, false);
        }
        let Some(bytes) = self.pretrained.clone() else {
            return;
        };
        match AnyVae::from_weights(&bytes) {
            Ok(model) => {
                self.show_model(model, false);
                self.start = Some((bytes, 0));
                self.on_pretrained = true;
                self.checkpoint = None;
                self.readout.restart_at(0);
                self.runs.begin(RunOrigin::Restore);
                self.start_from_weights(Progress::default());
                self.refresh_map();
            }
            Err(e) => self.notice = Some(e.to_string()),
        }
    }

    /// What the train worker's event means here; whether to render.
    pub(super) fn reported(&mut self, report: Report, now: f64) -> bool {
        match report {
            Report::DataReady { images, then } => {
                self.status = format!("Ready. Training on {images} images.");
                // The worker's first WebGPU trainer waits for its kernels to compile, which it
                // started while the images loaded.
                if self.link.device() == Device::WebGpu && self.kernels.report.is_none() {
                    self.status = format!(
                        "Ready. Training on {images} images once WebGPU has compiled the training kernels (the first time only; seconds on a software adapter)…"
                    );
                }
                if *self.link.phase() == Phase::Idle {
                    let progress = self.start_progress();
                    self.start_from_weights(progress);
                }
                if let Some(action) = then {
                    self.act(action, now);
                }
                // A sweep's first run waited for the data with its Reset: now it trains.
                if self.sweep.is_some() && !self.link.training() {
                    self.act(Action::Train, now);
                }
            }
            Report::DataFailed(message) => {
                self.notice = Some(format!("Could not load training data: {message}"));
            }
            Report::Started {
                hidden,
                step,
                fresh,
                moved,
            } => {
                self.view.hidden = hidden;
                self.readout.step = step;
                if let Some(device) = moved {
                    self.status = format!("Now running on {}", self.label(device));
                }
                if let Some(bytes) = fresh {
                    self.take_weights(bytes, Progress::default(), now);
                    self.refresh_map();
                }
            }
            Report::StartFailed(message) => self.notice = Some(message),
            Report::Chunk(chunk, weights) => {
                if chunk.error.is_some() {
                    self.leave_slowmo(now);
                }
                // A report of counters alone re-renders the page at most every RENDER_EVERY_MS:
                // each render holds up slider input a little.
                let news = weights.is_some()
                    || !chunk.history.is_empty()
                    || chunk.means.is_some()
                    || chunk.test.is_some()
                    || chunk.error.is_some()
                    || !chunk.running;
                self.after_chunk(*chunk, weights, now);
                return news || now - self.last_render >= RENDER_EVERY_MS;
            }
            Report::SlowStep(record, chunk, weights) => {
                self.slow_step_arrived(*record, chunk, weights, now)
            }
            Report::Workers { running, why } => {
                self.readout.workers = running;
                if let Some(why) = why {
                    self.notice = Some(format!(
                        "Training on the CPU uses {running} worker{}: {why}.",
                        if running == 1 { "" } else { "s" }
                    ));
                }
            }
            Report::Lost { reason, lost_gpu } => self.restart(&reason, lost_gpu),
            Report::MeasuringKernels(budget_ms) => {
                self.kernels.measuring();
                self.status = format!(
                    "Compiling the WebGPU kernels, then measuring which matmul kernel is faster on this adapter (the first product, then others while {budget_ms:.0} ms last)…"
                );
            }
            Report::Kernels(report) => {
                let measured = report.chosen == Chosen::Measured;
                if let Some((key, bytes)) = self.kernels.reported(report) {
                    self.out.push(Effect::StoreKernels { key, bytes });
                }
                if measured {
                    self.status = self.kernels.describe().unwrap_or_default();
                }
            }
            Report::Stale => return false,
        }
        true
    }

    pub(super) fn after_chunk(
        &mut self,
        mut chunk: ChunkEvent,
        weights: Option<Vec<u8>>,
        now: f64,
    ) {
        if let Some(failure) = &chunk.error {
            self.notice = Some(if failure.diverged {
                format!(
                    "Training paused: {}. A learning rate of {} is a safe next try.",
                    failure.message,
                    (self.view.learning_rate / 10.0).min(1e-3)
                )
            } else {
                format!("Training paused: {}", failure.message)
            });
        }
        self.readout.apply(&chunk);
        self.track_run();
        if let Some(means) = chunk.means.take() {
            self.means = Rc::new(means);
        }
        if let Some(bytes) = weights {
            let progress = Progress {
                step: chunk.step,
                images_seen: chunk.images_seen,
                train_seconds: chunk.train_seconds,
                history: Vec::new(),
            };
            self.take_weights(bytes, progress, now);
        }
        if self.sweep.is_some() {
            self.sweep_chunk(now);
        } else if let Some(rule) = self
            .view
            .stop
            .filter(|r| self.link.training() && r.reached(&self.readout))
        {
            self.act(Action::Train, now);
            self.status = format!(
                "Paused by the stop rule at step {}: reached {}. Change or clear the rule to train on.",
                self.readout.step,
                rule.describe()
            );
        }
        let stopped = !chunk.running;
        self.store_runs(now, stopped);
        self.send_metrics(now, stopped);
        let (inspect_due, manifold_due) = self.inspector.due(now);
        if stopped || inspect_due {
            self.request_inspect(now);
        }
        if stopped || manifold_due {
            self.request_manifold(now);
        }
    }

    /// A weights file from the train worker: the model the page decodes with, and the
    /// checkpoint that is remembered and fallen back on.
    pub(super) fn take_weights(&mut self, bytes: Vec<u8>, progress: Progress, now: f64) {
        let bytes = Rc::new(bytes);
        if let Err(e) = self.slot.take_weights(bytes.clone()) {
            self.notice = Some(e);
            return;
        }
        let step = progress.step;
        self.checkpoint = Some((bytes.clone(), progress));
        self.runs.keep_weights(bytes.clone());
        self.slot.decode(self.view.z, self.view.likelihood);
        if self.keeper.save_while(self.link.training(), step, now) {
            self.remember(bytes, step);
        }
    }

    /// Tell the train worker the kernel setting and this adapter's remembered choice.
    fn tell_kernels(&mut self) {
        let command = self.kernels.command(self.view.kernel);
        self.link.set_kernels(command, &mut self.out);
    }

    /// The WebGPU device is gone, or the train worker stopped: carry on in a new worker on the
    /// CPU, from the last weights it sent (or the start weights), training if it was.
    pub(super) fn restart(&mut self, reason: &str, lost_gpu: bool) {
        if lost_gpu {
            self.gpu_name = None;
        }
        self.kernels.lost();
        let was_training = match self.link.lost(&mut self.out) {
            Restart::GaveUp => {
                self.notice = Some(format!(
                    "Training stopped ({reason}) and could not be restarted. Exploring still works."
                ));
                return;
            }
            Restart::Again { was_training } => was_training,
        };
        let (bytes, mut progress) = match self.checkpoint.clone() {
            Some(c) => c,
            None => match self.start.clone() {
                Some((bytes, _)) => (bytes, self.start_progress()),
                None => return,
            },
        };
        let model = match AnyVae::from_weights(&bytes) {
            Ok(m) => m,
            Err(e) => {
                self.notice = Some(format!(
                    "Training stopped ({reason}) and could not restart: {e}"
                ));
                return;
            }
        };
        self.show_model(model, false);
        self.start = Some((bytes.clone(), progress.step));
        // The chart keeps the rows up to the weights it goes on from.
        self.readout.rewind_to(progress.step);
        progress.history = (*self.readout.history).clone();
        self.notice = Some(format!(
            "{}. Switched to the CPU backend with the weights from step {}{}.",
            if lost_gpu {
                format!("The WebGPU device was lost ({reason})")
            } else {
                format!("The training worker stopped ({reason})")
            },
            progress.step,
            if was_training && self.link.images().is_some() {
                "; training goes on"
            } else {
                ""
            }
        ));
        self.status = "Now running on the CPU".into();
        self.refresh_map();
        let (dataset, split, settings) =
            (self.view.dataset, self.view.training_set, self.settings());
        self.link.resume(
            dataset,
            split,
            bytes,
            progress,
            settings,
            was_training,
            &mut self.out,
        );
    }
}
