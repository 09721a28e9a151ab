//! The host page's messages, each doing what the page's own control would, and metrics.

use super::*;
use crate::page::host_bridge::RESIZE_EVERY_MS;
use crate::page::msg::SlowMoMsg;
use crate::page::slowmo::{SlowMo, Stage};
use crate::page::stop_rule::StopRule;

impl PageState {
    /// Whether to render: not for the embed's own height.
    pub(super) fn host(&mut self, msg: HostMsg, now: f64) -> bool {
        let (origin, text, window) = match msg {
            HostMsg::Received {
                origin,
                text,
                window,
            } => (origin, text, window),
            HostMsg::HeightChanged(height) => {
                // The first post waits too, so a frame that is still laying out tells once.
                if self.host.height_changed(height) {
                    self.out.push(Effect::After {
                        ms: RESIZE_EVERY_MS,
                        msg: Msg::Host(HostMsg::ResizeDue),
                    });
                }
                return false;
            }
            HostMsg::ResizeDue => {
                if let Some(height) = self.host.resize_due() {
                    self.out.push(Effect::PostToParent {
                        origins: self.host.allowed().to_vec(),
                        json: HostEvent::Resize { height }.to_json(),
                    });
                }
                return false;
            }
        };
        let Some(command) = self.host.receive(&origin, &text) else {
            return true;
        };
        // Each command is the message the page's own control sends, handled as that is (so
        // training or another dataset leaves slow motion, as theirs do).
        match command {
            HostCommand::SetZ { z } => {
                self.handle(Msg::ZMoved(z), now);
            }
            HostCommand::SetDataset { dataset } => {
                if let Some(d) = Dataset::from_key(&dataset) {
                    self.handle(Msg::Load(LoadMsg::DatasetChosen(d)), now);
                }
            }
            HostCommand::Sweep { betas, epochs } => {
                self.sweep_betas = Sweep::betas_text(&betas);
                self.sweep_epochs = epochs;
                self.sweep_planned();
                self.handle(Msg::Train(TrainMsg::SweepClicked), now);
            }
            HostCommand::Train { until: Some(rule) } => {
                self.view.stop = StopRule::parse(&rule).ok();
                if !self.link.training() {
                    self.handle(Msg::Train(TrainMsg::Toggled), now);
                }
            }
            HostCommand::Train { until: None } | HostCommand::Pause {} => {
                let train = matches!(command, HostCommand::Train { .. });
                if train != self.link.training() {
                    self.handle(Msg::Train(TrainMsg::Toggled), now);
                }
            }
            HostCommand::SetHyperparameters { lr, beta } => {
                let mut settings = self.settings();
                settings.learning_rate = lr.unwrap_or(settings.learning_rate);
                settings.beta = beta.unwrap_or(settings.beta);
                self.handle(Msg::Train(TrainMsg::Settings(settings)), now);
            }
            HostCommand::SlowMo { stage, play } => {
                match stage.as_deref().and_then(Stage::from_key) {
                    Some(stage) => self.slowmo_at(stage, now),
                    None if self.slowmo.is_none() => self.slowmo_at(Stage::Batch, now),
                    None => {}
                }
                // Play restarts with a whole stage to go.
                let playing = self.slowmo.as_ref().map(SlowMo::playing);
                if let (Some(play), Some(playing)) = (play, playing) {
                    if play != playing {
                        self.slow_motion(SlowMoMsg::PlayToggled, now);
                    }
                }
            }
            HostCommand::SlowMoLeave {} => self.leave_slowmo(now),
            HostCommand::Subscribe {} => {
                self.host.subscribe(window, &origin);
                self.send_metrics(now, true);
            }
            HostCommand::Unsubscribe {} => self.host.unsubscribe(window, &origin),
        }
        true
    }

    /// Slow motion's stage as `vae:metrics` names it (`waiting` while its step is taken).
    pub(super) fn slowmo_shown(&self) -> Option<&'static str> {
        let s = self.slowmo.as_ref()?;
        Some(s.stage().map_or("waiting", Stage::key))
    }

    /// Metrics to subscribed hosts: now when `force`, else at most every METRICS_EVERY_MS.
    pub(super) fn send_metrics(&mut self, now: f64, force: bool) {
        let last = self.readout.last;
        let json = HostEvent::Metrics {
            step: self.readout.step,
            epoch: self.readout.epoch,
            kl: last.map(|p| p.kl),
            recon: last.map(|p| p.recon),
            elbo: last.map(|p| p.neg_elbo()),
            training: self.link.training(),
            dataset: self.view.dataset.key(),
            z: self.view.z,
            slowmo: self.slowmo_shown(),
        }
        .to_json();
        let due = self.host.metrics_due(now, force).to_vec();
        self.out
            .extend(due.into_iter().map(|(window, origin)| Effect::PostTo {
                window,
                origin,
                json: json.clone(),
            }));
    }
}
