//! Slow motion: the button that enters it, and the panel that plays one training step out in
//! stages (`page::slowmo`); the map draws the batch's marks (`components::latent_map`).

use super::*;
use crate::analysis::slow_step::SlowStep;
use crate::page::msg::SlowMoMsg;
use crate::page::slowmo::Stage;

/// The button that enters slow motion (with the training controls).
pub(super) fn enter_button(ready: bool, active: bool, on_msg: &Callback<SlowMoMsg>) -> Html {
    html! {
        <div class="buttons">
            <button data-testid="slowmo" disabled={!ready || active}
                title="play one training step out in stages: batch, encoding, sampling, decoding, loss, gradient step"
                onclick={on_msg.reform(|_: MouseEvent| SlowMoMsg::Entered)}>{ "Slow motion: one step" }</button>
        </div>
    }
}

#[derive(Properties)]
pub struct SlowMoProps {
    /// `None` while the worker takes the step.
    pub stage: Option<Stage>,
    pub record: Option<Rc<SlowStep>>,
    pub playing: bool,
    /// Take focus when it appears: entered from the page's own button.
    pub focus: bool,
    pub on_msg: Callback<SlowMoMsg>,
}

impl PartialEq for SlowMoProps {
    fn eq(&self, other: &Self) -> bool {
        self.stage == other.stage
            && same_rc(self.record.as_ref(), other.record.as_ref())
            && self.playing == other.playing
            && self.focus == other.focus
            && self.on_msg == other.on_msg
    }
}

/// Two coordinates, as the panel writes them.
fn pair(v: &[f32], i: usize) -> String {
    match v.get(2 * i..2 * i + 2) {
        Some(p) => format!("({:.2}, {:.2})", p[0], p[1]),
        None => "–".into(),
    }
}

#[function_component(SlowMoPanel)]
pub fn slowmo_panel(props: &SlowMoProps) -> Html {
    let panel = use_node_ref();
    {
        // Entering by the button moves focus here, so the keyboard carries on in the panel; a
        // link or the host page leaves the reader's focus where it is.
        let panel = panel.clone();
        let focus = props.focus;
        use_effect_with((), move |_| {
            if let Some(el) = panel.cast::<web_sys::HtmlElement>().filter(|_| focus) {
                let _ = el.focus();
            }
        });
    }
    let send = |msg: fn() -> SlowMoMsg| props.on_msg.reform(move |_: MouseEvent| msg());
    let stage = props.stage;
    let at = |s: Stage| stage.is_some_and(|now| now.index() >= s.index());
    let last = stage == Some(Stage::Step);
    let stages = Stage::ALL.iter().map(|&s| {
        let current = stage == Some(s);
        html! {
            <li class={classes!(current.then_some("current"), at(s).then_some("done"))}
                aria-current={current.then_some("step")}>{ s.name() }</li>
        }
    });
    let (name, explain) = match stage {
        Some(s) => (s.name(), s.explain()),
        None => (
            "waiting",
            "The training worker is taking the step: the trainer's own step, on a batch of 8.",
        ),
    };
    let summary = props.record.as_ref().map(|r| {
        let loss = r.parts.recon + r.beta * r.parts.kl;
        html! {
            <>
                if at(Stage::Loss) {
                    { loss_bar(r) }
                    <p class="slowmo-sum" data-testid="slowmo-loss">
                        { "batch mean: loss = " }<span class="recon-text">{ format!("recon {:.2}", r.parts.recon) }</span>
                        { format!(" + β {} × ", r.beta) }<span class="kl-text">{ format!("KL {:.2}", r.parts.kl) }</span>
                        { format!(" = {loss:.2} nats per image") }
                    </p>
                }
                if last {
                    <p class="slowmo-sum">{ format!("Adam took step {} with learning rate {}: the arrows on the map run from each μ before the step to μ after it; the map's points, the decoded image and the chart moved with the weights.", r.step, r.learning_rate) }</p>
                }
            </>
        }
    });
    let batch = props.record.as_ref().map(|r| {
        let items = (0..r.len()).map(|i| {
            let image = |v: &[f32]| Rc::new(v.get(i * PIXELS..(i + 1) * PIXELS).unwrap_or_default().to_vec());
            let label = r.labels.get(i).copied().unwrap_or(0);
            html! {
                <li class="slowmo-item">
                    <span class="slowmo-num"><span class={format!("swatch class-{}", label % 10)}></span>{ format!("#{}", i + 1) }</span>
                    <div class="slowmo-thumbs">
                        <Thumb pixels={image(&r.images)} label={format!("input {}", i + 1)} />
                        if at(Stage::Decode) {
                            <Thumb pixels={image(&r.decoded)} label={format!("reconstruction of input {}", i + 1)} />
                        }
                    </div>
                    if at(Stage::Encode) {
                        { q_sketch(r, i, at(Stage::Sample)) }
                        <span>{ format!("μ {}", pair(&r.mu, i)) }</span>
                        <span>{ format!("σ {}", pair(&r.sigma, i)) }</span>
                    }
                    if at(Stage::Sample) {
                        <span>{ format!("ε {}", pair(&r.eps, i)) }</span>
                        <span>{ format!("z {}", pair(&r.z, i)) }</span>
                    }
                    if at(Stage::Loss) {
                        <span>{ format!("KL {:.2}", r.kl.get(i).copied().unwrap_or(f32::NAN)) }</span>
                        <span>{ format!("recon {:.1}", r.recon.get(i).copied().unwrap_or(f32::NAN)) }</span>
                    }
                    if last {
                        <span>{ format!("μ → {}", pair(&r.mu_after, i)) }</span>
                    }
                </li>
            }
        });
        html! { <ul class="slowmo-batch" aria-label="the batch">{ for items }</ul> }
    });
    html! {
        <div class="panel slowmo-panel" data-testid="slowmo-panel" ref={panel} tabindex="-1"
            role="region" aria-label="slow motion: one training step">
            <h2>{ "Slow motion: one training step" }</h2>
            <p class="slowmo-now">{ "Stage: " }<strong data-testid="slowmo-stage" aria-live="polite">{ name }</strong>
                { stage.map(|s| format!(" ({} of {})", s.index() + 1, Stage::ALL.len())).unwrap_or_default() }</p>
            <ol class="slowmo-stages" aria-label="stages">{ for stages }</ol>
            <p class="slowmo-explain">{ explain }</p>
            <div class="buttons" role="group" aria-label="slow motion controls">
                <button data-testid="slowmo-back" aria-disabled={(stage.is_none() || stage == Some(Stage::Batch)).to_string()}
                    onclick={send(|| SlowMoMsg::BackClicked)}>{ "← Back" }</button>
                <button data-testid="slowmo-next" aria-disabled={stage.is_none().to_string()}
                    onclick={send(|| SlowMoMsg::NextClicked)}>{ if last { "Another step →" } else { "Next →" } }</button>
                <button data-testid="slowmo-play" aria-pressed={props.playing.to_string()}
                    onclick={send(|| SlowMoMsg::PlayToggled)}>{ if props.playing { "Pause" } else { "Play" } }</button>
                <button data-testid="slowmo-exit" onclick={send(|| SlowMoMsg::Left)}>{ "Leave slow motion" }</button>
            </div>
            { for summary }
            { for batch }
        </div>
    }
}

/// q(z|x) of image `i` around its μ at a scale of its own (out to 3 of its larger σ, written
/// beside it): the ellipse's shape at 1σ and 2σ, and with `sample`, the step from μ to
/// z = μ + σ ⊙ ε, which on the whole map is too small to see.
fn q_sketch(r: &SlowStep, i: usize, sample: bool) -> Html {
    const C: f64 = 32.0;
    let at = |v: &[f32], d: usize| v.get(2 * i + d).map_or(f64::NAN, |&x| x as f64);
    let sigma = [at(&r.sigma, 0), at(&r.sigma, 1)];
    let step = [at(&r.z, 0) - at(&r.mu, 0), at(&r.z, 1) - at(&r.mu, 1)];
    // Out to 3σ, or a little past z when ε is larger.
    let half = (3.0 * sigma[0].max(sigma[1])).max(1.15 * step[0].abs().max(step[1].abs()));
    if !(half.is_finite() && half > 0.0) {
        return html! {};
    }
    let scale = (C - 2.0) / half;
    let (zx, zy) = (C + step[0] * scale, C - step[1] * scale);
    let ellipse = |k: f64, class: &'static str| {
        html! {
            <ellipse {class} cx={C.to_string()} cy={C.to_string()}
                rx={(k * sigma[0] * scale).to_string()} ry={(k * sigma[1] * scale).to_string()} />
        }
    };
    let label = if sample {
        format!(
            "q(z|x) of input {}: σ ({:.2}, {:.2}); z − μ = σ ⊙ ε = ({:.2}, {:.2})",
            i + 1,
            sigma[0],
            sigma[1],
            step[0],
            step[1]
        )
    } else {
        format!(
            "q(z|x) of input {}: σ ({:.2}, {:.2})",
            i + 1,
            sigma[0],
            sigma[1]
        )
    };
    html! {
        <div class="q-sketch-row">
            <svg class="q-sketch" viewBox="0 0 64 64" role="img" aria-label={label}>
                <rect class="frame" x="0.5" y="0.5" width="63" height="63" />
                { ellipse(2.0, "q2") }
                { ellipse(1.0, "q1") }
                <circle class="mu" cx={C.to_string()} cy={C.to_string()} r="2" />
                if sample {
                    <line class="eps" x1={C.to_string()} y1={C.to_string()} x2={zx.to_string()} y2={zy.to_string()} />
                    <circle class="z" cx={zx.to_string()} cy={zy.to_string()} r="2.5" />
                }
            </svg>
            <span class="q-scale">{ format!("±{half:.2}") }</span>
        </div>
    }
}

/// The batch's loss as one bar: reconstruction, then β × KL.
fn loss_bar(r: &SlowStep) -> Html {
    const W: f64 = 320.0;
    let kl = r.beta * r.parts.kl;
    let total = r.parts.recon + kl;
    if !(total.is_finite() && total > 0.0) {
        return html! {};
    }
    let scale = W / total;
    let (rw, kw) = (r.parts.recon.max(0.0) * scale, kl.max(0.0) * scale);
    html! {
        <svg class="slowmo-bar" viewBox={format!("0 0 {W} 18")} role="img"
            aria-label={format!("loss {total:.2}: reconstruction {:.2} and β × KL {kl:.2}", r.parts.recon)}>
            <rect class="recon" x="0" y="1" width={rw.max(0.5).to_string()} height="16"><title>{ format!("reconstruction {:.2} nats", r.parts.recon) }</title></rect>
            <rect class="kl" x={rw.to_string()} y="1" width={kw.max(0.5).to_string()} height="16"><title>{ format!("β × KL {kl:.2} nats") }</title></rect>
        </svg>
    }
}
