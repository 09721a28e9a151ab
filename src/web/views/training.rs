//! Train, Step, Reset, Restore, the training settings, and the read-outs.

use super::*;

#[derive(Properties, PartialEq)]
pub struct TrainingControlsProps {
    /// The whole model is in (training data loads on the first press).
    pub ready: bool,
    pub training: bool,
    pub settings: TrainSettings,
    pub hidden: usize,
    pub seed: u64,
    pub split: Split,
    pub stop: Option<StopRule>,
    /// Train workers on the CPU path (`None`: the browser's cores less one).
    pub workers: Option<usize>,
    pub on_msg: Callback<TrainMsg>,
}

/// Train, Step, Reset, Restore and the settings.
#[function_component(TrainingControls)]
pub(super) fn training_controls(props: &TrainingControlsProps) -> Html {
    let ready = props.ready;
    let s = props.settings;
    let send = |msg: fn() -> TrainMsg| props.on_msg.reform(move |_: MouseEvent| msg());
    // One edit of the four settings: the current ones with one field changed.
    let edit = |read: fn(&Event) -> Option<f64>, change: fn(&mut TrainSettings, f64)| {
        filtered(&props.on_msg, move |e: Event| {
            let mut settings = s;
            change(&mut settings, read(&e)?);
            Some(TrainMsg::Settings(settings))
        })
    };
    let on_lr = edit(
        |e| parse_input::<f64>(e).filter(|v| within(v, LEARNING_RATE)),
        |s, v| s.learning_rate = v,
    );
    let on_beta = edit(
        |e| parse_input::<f64>(e).filter(|v| within(v, BETA)),
        |s, v| s.beta = v,
    );
    let on_batch = edit(
        |e| {
            parse_input::<usize>(e)
                .filter(|v| within(v, BATCH_SIZE))
                .map(|v| v as f64)
        },
        |s, v| s.batch_size = v as usize,
    );
    let on_sigma = edit(
        |e| parse_input::<f64>(e).filter(|v| within(v, SIGMA)),
        |s, sigma| s.likelihood = Likelihood::Gaussian { sigma },
    );
    let sigma = match s.likelihood {
        Likelihood::Gaussian { sigma } => sigma,
        Likelihood::Bernoulli | Likelihood::ContinuousBernoulli => 0.1,
    };
    let on_decoder = props.on_msg.reform(move |e: Event| {
        let mut settings = s;
        settings.likelihood = match select_value(&e).as_str() {
            "gaussian" => Likelihood::Gaussian { sigma },
            "continuous-bernoulli" => Likelihood::ContinuousBernoulli,
            _ => Likelihood::Bernoulli,
        };
        TrainMsg::Settings(settings)
    });
    let on_hidden = filtered(&props.on_msg, |e: Event| {
        parse_input::<usize>(&e)
            .filter(|v| within(v, HIDDEN))
            .map(TrainMsg::HiddenSet)
    });
    let on_seed = filtered(&props.on_msg, |e: Event| {
        parse_input::<u64>(&e).map(TrainMsg::SeedSet)
    });
    let on_split = props.on_msg.reform(|e: Event| {
        TrainMsg::TrainingSetChosen(if select_value(&e) == "train" {
            Split::Train
        } else {
            Split::Train10k
        })
    });
    let on_workers = props.on_msg.reform(|e: Event| {
        TrainMsg::WorkersSet(select_value(&e).parse().ok().filter(|v| within(v, WORKERS)))
    });
    // The stop rule: its kind from the select, its number from the field beside it.
    let (stop_kind, stop_value) = props.stop.map_or(("none", 2.0), |r| r.parts());
    let on_stop_kind = props.on_msg.reform(move |e: Event| {
        let kind = select_value(&e);
        let value = match kind.as_str() {
            "steps" => stop_value.round().max(1.0),
            _ => stop_value,
        };
        TrainMsg::StopRuleSet(StopRule::parse(&format!("{kind}:{value}")).ok())
    });
    let on_stop_value = filtered(&props.on_msg, move |e: Event| {
        let value = parse_input::<f64>(&e)?;
        StopRule::parse(&format!("{stop_kind}:{value}"))
            .ok()
            .map(|r| TrainMsg::StopRuleSet(Some(r)))
    });
    html! {
        <>
            <div class="buttons">
                <button data-testid="train" disabled={!ready} onclick={send(|| TrainMsg::Toggled)}>
                    { if props.training { "Pause" } else { "Train" } }
                </button>
                <button data-testid="step" disabled={!ready || props.training} onclick={send(|| TrainMsg::StepClicked)}>{ "Step" }</button>
                <button data-testid="reset" disabled={!ready} title="fresh random weights (uses hidden size and seed)"
                    onclick={send(|| TrainMsg::ResetClicked)}>{ "Reset" }</button>
                <button data-testid="restore" disabled={!ready} onclick={send(|| TrainMsg::RestoreClicked)}>{ "Restore pretrained" }</button>
            </div>
            <div class="form">
                <label>{ "learning rate" }<NumberField id="lr" step="any" min={LEARNING_RATE.0.to_string()} max={LEARNING_RATE.1.to_string()} value={s.learning_rate.to_string()} onchange={on_lr} /></label>
                <label>{ "β (KL weight)" }<NumberField id="beta" step="0.1" min="0" max={BETA.1.to_string()} value={s.beta.to_string()} onchange={on_beta} /></label>
                <label>{ "batch size" }<NumberField id="batch" min="1" max="1024" value={s.batch_size.to_string()} onchange={on_batch} /></label>
                <label>{ "decoder" }
                    <select data-testid="decoder" onchange={on_decoder}>
                        <option value="bernoulli" selected={s.likelihood == Likelihood::Bernoulli}>{ "Bernoulli (BCE)" }</option>
                        <option value="gaussian" selected={matches!(s.likelihood, Likelihood::Gaussian { .. })}>{ "Gaussian, fixed σₓ" }</option>
                        <option value="continuous-bernoulli" selected={s.likelihood == Likelihood::ContinuousBernoulli}
                            title="a density on [0, 1] per pixel; images show its mean">{ "continuous Bernoulli" }</option>
                    </select>
                </label>
                <label>{ "σₓ" }<NumberField id="sigma" step="0.01" min="0.001" value={sigma.to_string()}
                    disabled={!matches!(s.likelihood, Likelihood::Gaussian { .. })} onchange={on_sigma} /></label>
                <label>{ "hidden size (on Reset)" }<NumberField id="hidden" min="8" max="1024" value={props.hidden.to_string()} onchange={on_hidden} /></label>
                <label>{ "training set" }
                    <select data-testid="training-set" onchange={on_split}>
                        <option value="train10k" selected={props.split == Split::Train10k}>{ "first 10,000 (1.6 MB)" }</option>
                        <option value="train" selected={props.split == Split::Train}>{ "all 60,000 (9.7 MB)" }</option>
                    </select>
                </label>
                <label title="workers computing each batch's gradient on the CPU path; WebGPU trains in one">{ "CPU workers" }
                    <select data-testid="workers" onchange={on_workers}>
                        <option value="auto" selected={props.workers.is_none()}>{ "one per core, less one" }</option>
                        { for (WORKERS.0..=WORKERS.1).map(|n| html! {
                            <option value={n.to_string()} selected={props.workers == Some(n)}>{ n }</option>
                        }) }
                    </select>
                </label>
                <label>{ "seed (on Reset)" }<NumberField id="seed" min="0" value={props.seed.to_string()} onchange={on_seed} /></label>
                <label>{ "stop at" }
                    <select data-testid="stop-rule" onchange={on_stop_kind}>
                        <option value="none" selected={stop_kind == "none"}>{ "never (train until paused)" }</option>
                        <option value="epochs" selected={stop_kind == "epochs"}>{ "epochs" }</option>
                        <option value="steps" selected={stop_kind == "steps"}>{ "steps" }</option>
                        <option value="elbo" selected={stop_kind == "elbo"}>{ "test −ELBO ≤" }</option>
                    </select>
                </label>
                <label>{ "stop value" }<NumberField id="stop-value" step="any" value={stop_value.to_string()}
                    disabled={props.stop.is_none()} onchange={on_stop_value} /></label>
            </div>
        </>
    }
}

/// The training read-outs, in nats per image. A plain function: they change with every
/// training report, so a component would re-render as often.
pub(super) fn metrics(readout: &Readout) -> Html {
    let last = readout.last;
    html! {
        <>
            <dl class="metrics">
                <dt>{ "step" }</dt><dd data-testid="metric-step">{ readout.step }</dd>
                <dt>{ "epoch" }</dt><dd data-testid="metric-epoch">{ format!("{:.2}", readout.epoch) }</dd>
                <dt>{ "images/s" }</dt><dd data-testid="metric-speed">{ format!("{:.0}", readout.images_per_second) }</dd>
                <dt>{ "workers" }</dt><dd data-testid="metric-workers">{ readout.workers }</dd>
                <dt>{ "KL" }</dt><dd data-testid="metric-kl">{ number(last.map(|p| p.kl), 2) }</dd>
                <dt>{ "reconstruction" }</dt><dd data-testid="metric-recon">{ number(last.map(|p| p.recon), 2) }</dd>
                <dt>{ "−ELBO" }</dt><dd data-testid="metric-elbo">{ number(last.map(|p| p.neg_elbo()), 2) }</dd>
            </dl>
            <p class="units-note">{ "nats per image; −ELBO = reconstruction + KL (at any β)" }</p>
        </>
    }
}
