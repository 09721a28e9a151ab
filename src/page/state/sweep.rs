//! The β sweep: each run a Reset at its β trained for the sweep's epochs, then the next; Pause,
//! Reset or Restore cancels it.

use super::*;
use crate::page::trainer_link::Action;

impl PageState {
    pub(super) fn start_sweep(&mut self, now: f64) {
        if !self.ready() {
            return;
        }
        match Sweep::new(
            self.runs.next_sweep_id(),
            &self.sweep_betas,
            self.sweep_epochs,
        ) {
            Ok(sweep) => {
                self.notice = None;
                self.sweep = Some(sweep);
                self.sweep_run(now);
            }
            Err(e) => self.notice = Some(format!("The sweep did not start: {e}.")),
        }
    }

    /// Begin the sweep's current run: fresh weights at its β, then train.
    fn sweep_run(&mut self, now: f64) {
        let Some(sweep) = &self.sweep else {
            return;
        };
        self.view.beta = sweep.beta();
        self.status = sweep.progress(0.0);
        if self.link.needs_data() {
            // The Reset runs once the data is in, and training follows it (`reported`).
            self.action(Action::Reset, now);
            return;
        }
        self.act(Action::Reset, now);
        self.act(Action::Train, now);
    }

    /// After a chunk while sweeping: on to the next β once this run has its epochs.
    pub(super) fn sweep_chunk(&mut self, now: f64) {
        let Some(sweep) = &mut self.sweep else {
            return;
        };
        if !self.link.training() {
            return;
        }
        // By the rows that have come in, not the step counter, which runs ahead of them under
        // load: the run then holds its whole epochs when the next β begins.
        let recorded = self.readout.history.last().map_or(0.0, |r| r.epoch);
        if recorded < sweep.epochs {
            self.status = sweep.progress(self.readout.epoch);
            return;
        }
        if sweep.advance() {
            self.sweep_run(now);
        } else {
            let runs = sweep.betas.len();
            self.sweep = None;
            self.act(Action::Train, now);
            self.status = format!(
                "Sweep done: {runs} runs, their final points joined on the rate–distortion plane."
            );
        }
    }

    /// The sweep fields changed: the link names the plan they make, unless it is the default
    /// or not (yet) valid.
    pub(super) fn sweep_planned(&mut self) {
        if let Ok(plan) = SweepPlan::new(&self.sweep_betas, self.sweep_epochs) {
            self.view.sweep = (plan != SweepPlan::default_plan()).then_some(plan);
        }
    }

    /// Pause, Reset or Restore while sweeping ends the sweep (its runs so far stay).
    pub(super) fn cancel_sweep(&mut self) {
        if let Some(sweep) = self.sweep.take() {
            self.status = format!(
                "Sweep cancelled after {} of {} runs.",
                sweep.at,
                sweep.betas.len()
            );
        }
    }
}
