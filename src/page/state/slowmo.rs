//! Slow motion: entering and leaving it, its stages, play's timer, and the step the worker took.

use super::*;
use crate::analysis::slow_step::SlowStep;
use crate::page::msg::SlowMoMsg;
use crate::page::slowmo::{Advance, SlowMo, Stage, Toward, STAGE_MS};

/// What ends slow motion: another training action, another backend or dataset.
pub(super) fn interrupts(msg: &Msg) -> bool {
    matches!(
        msg,
        Msg::Train(
            TrainMsg::Toggled
                | TrainMsg::StepClicked
                | TrainMsg::ResetClicked
                | TrainMsg::RestoreClicked
                | TrainMsg::SweepClicked
                | TrainMsg::DeviceChosen(_)
        ) | Msg::Load(LoadMsg::DatasetChosen(_))
    )
}

impl PageState {
    pub(super) fn slow_motion(&mut self, msg: SlowMoMsg, now: f64) -> bool {
        match msg {
            SlowMoMsg::Entered => return self.enter_slowmo(true, now),
            SlowMoMsg::NextClicked => {
                if let Some(s) = self.slowmo.as_mut() {
                    s.pause();
                    s.drop_aim();
                }
                self.advance(now);
            }
            SlowMoMsg::BackClicked => {
                let Some(s) = self.slowmo.as_mut() else {
                    return false;
                };
                s.pause();
                s.drop_aim();
                s.back();
            }
            SlowMoMsg::PlayToggled => {
                let Some(s) = self.slowmo.as_mut() else {
                    return false;
                };
                if let Some(id) = s.toggle_play().filter(|_| !s.waiting()) {
                    self.schedule_tick(id);
                }
            }
            SlowMoMsg::Tick(id) => {
                if !self.slowmo.as_ref().is_some_and(|s| s.is_current_tick(id)) {
                    return false;
                }
                self.advance(now);
                if let Some(id) = self
                    .slowmo
                    .as_mut()
                    .filter(|s| !s.waiting())
                    .and_then(SlowMo::next_tick)
                {
                    self.schedule_tick(id);
                }
            }
            SlowMoMsg::Left => self.leave_slowmo(now),
        }
        true
    }

    /// Enter slow motion (`focus`: from the page's own button); whether it did.
    fn enter_slowmo(&mut self, focus: bool, now: f64) -> bool {
        if self.slowmo.is_some() || !self.ready() {
            return false;
        }
        self.cancel_sweep();
        if self.link.training() {
            self.act(Action::Train, now);
        }
        self.slowmo = Some(SlowMo::new(focus));
        self.action(Action::SlowStep, now);
        true
    }

    /// Slow motion at `stage`, paused, as a link or the host page asks: entered if need be,
    /// and the stage shown now if the step is here, else once it arrives. Before the model is
    /// in, it waits for it, as a link's does.
    pub(super) fn slowmo_at(&mut self, stage: Stage, now: f64) {
        if !self.ready() {
            self.slowmo_link = Some(stage);
            return;
        }
        self.enter_slowmo(false, now);
        if let Some(s) = self.slowmo.as_mut() {
            s.pause();
            s.aim(stage);
        }
        self.reach_aim(now);
    }

    /// The stage a link (or a host before the model was in) asked for, once nothing else is
    /// due: a fresh set's Reset goes first, or the step would be taken on the old weights.
    pub(super) fn open_linked_slowmo(&mut self, now: f64) {
        if let Some(stage) = self.slowmo_link.take() {
            self.slowmo_at(stage, now);
        }
    }

    /// Step toward the stage aimed at until there (or waiting for the step).
    fn reach_aim(&mut self, now: f64) {
        while let Some(toward) = self.slowmo.as_ref().and_then(SlowMo::toward_aim) {
            match toward {
                Toward::Forward => self.advance(now),
                Toward::Back => {
                    if let Some(s) = self.slowmo.as_mut() {
                        s.back();
                    }
                }
            }
        }
        if let Some(s) = self.slowmo.as_mut().filter(|s| !s.waiting()) {
            s.drop_aim();
        }
    }

    /// Next stage; past the last, another step.
    fn advance(&mut self, now: f64) {
        let Some(s) = self.slowmo.as_mut() else {
            return;
        };
        match s.forward() {
            Advance::Stage | Advance::Wait => {}
            Advance::Apply((chunk, weights)) => self.after_chunk(*chunk, weights, now),
            Advance::AnotherStep => {
                self.action(Action::SlowStep, now);
            }
        }
    }

    fn schedule_tick(&mut self, id: u64) {
        self.out.push(Effect::After {
            ms: STAGE_MS,
            msg: Msg::SlowMo(SlowMoMsg::Tick(id)),
        });
    }

    /// The worker took a slow-motion step: shown in stages, or, if the page left slow motion
    /// meanwhile, taken like any step.
    pub(super) fn slow_step_arrived(
        &mut self,
        record: SlowStep,
        chunk: Box<ChunkEvent>,
        weights: Option<Vec<u8>>,
        now: f64,
    ) {
        match self.slowmo.as_mut().filter(|s| s.waiting()) {
            Some(s) => {
                s.arrived(record, (chunk, weights));
                if let Some(id) = s.next_tick() {
                    self.schedule_tick(id);
                }
                self.reach_aim(now);
            }
            None => self.after_chunk(*chunk, weights, now),
        }
    }

    /// Leave slow motion; a step taken but not yet shown is applied.
    pub(super) fn leave_slowmo(&mut self, now: f64) {
        if let Some((chunk, weights)) = self.slowmo.take().and_then(SlowMo::leave) {
            self.after_chunk(*chunk, weights, now);
        }
    }
}
