//! Inside the bound: inputs to inspect, the compute client's replies, the map's layers and the
//! interpolation.

use super::*;

impl PageState {
    pub(super) fn inspect(&mut self, msg: InspectMsg, now: f64) -> bool {
        match msg {
            InspectMsg::ExamplePicked(index) => {
                if let Some(test) = &self.test {
                    let names = self.class_names();
                    let label = names
                        .get(usize::from(test.label(index)))
                        .map_or("?", String::as_str);
                    let x = Rc::new(test.image_f32(index));
                    self.inspector
                        .set_input(x, format!("test image #{index} ({label})"));
                    self.request_inspect(now);
                }
            }
            InspectMsg::DigitDrawn(Some((ink, side))) => {
                match crate::data::drawing::to_mnist(&ink, side) {
                    Some(x) => {
                        self.inspector.set_input(Rc::new(x), "your drawing".into());
                        self.request_inspect(now);
                    }
                    None => self.inspector.clear_input(),
                }
            }
            InspectMsg::DigitDrawn(None) => self.inspector.clear_input(),
            InspectMsg::ComputeReplied(reply) => {
                let replied = self.inspector.reply(reply, self.view.view, now);
                if let Some(problem) = replied.problem {
                    self.notice = Some(problem);
                }
                if replied.inspect_again {
                    self.request_inspect(now);
                }
                if replied.manifold_again {
                    self.request_manifold(now);
                }
            }
            InspectMsg::ComputeFailed(_) => {
                // Its work moves to this thread; results in flight are asked for again.
                if let Some(strip) = self.inspector.compute_lost(self.view.likelihood) {
                    self.compute(strip);
                }
                self.request_inspect(now);
                self.request_manifold(now);
            }
            InspectMsg::HeatToggled(on) => self.inspector.show_heat = on,
            InspectMsg::EllipseToggled(on) => self.inspector.show_ellipse = on,
            InspectMsg::QStarToggled(on) => self.inspector.show_q_star = on,
            InspectMsg::ManifoldToggled(on) => {
                self.inspector.show_manifold = on;
                self.request_manifold(now);
            }
            InspectMsg::ManifoldSizeSet(n) => {
                self.inspector.set_manifold_n(n);
                self.request_manifold(now);
            }
            InspectMsg::InterpolationEndSet(end) => {
                if let Some(request) = self.inspector.set_end(end, self.view.likelihood) {
                    self.compute(request);
                }
            }
            InspectMsg::InterpolationPlayed => {
                return self.inspect(InspectMsg::InterpolationFrame(0), now)
            }
            InspectMsg::InterpolationFrame(frame) => {
                if let Some(z) = self.inspector.walk(frame) {
                    self.handle(Msg::ZMoved(z), now);
                    if frame + 1 < INTERP_FRAMES {
                        self.out.push(Effect::After {
                            ms: WALK_FRAME_MS,
                            msg: Msg::Inspect(InspectMsg::InterpolationFrame(frame + 1)),
                        });
                    }
                }
            }
        }
        true
    }

    pub(super) fn request_inspect(&mut self, now: f64) {
        if !self.ready() {
            return;
        }
        let (likelihood, view) = (self.view.likelihood, self.view.view);
        for request in self.inspector.inspect_requests(likelihood, view, now) {
            self.compute(request);
        }
    }

    pub(super) fn request_manifold(&mut self, now: f64) {
        if !self.ready() {
            return;
        }
        let (view, likelihood) = (self.view.view, self.view.likelihood);
        if let Some(request) = self.inspector.manifold_request(view, likelihood, now) {
            self.compute(request);
        }
    }
}
