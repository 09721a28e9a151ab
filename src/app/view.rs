//! The page layout: what `App` shows, and which message each control sends.

use yew::prelude::*;

use super::components::{DecodedImage, LatentMap, LatentSliders, LossChart};
use super::{parse_input, select_value, App, Msg};
use crate::data::{Dataset, Split};
use crate::elbo::Likelihood;
use crate::session::BackendKind;

fn number(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        Some(v) => format!("{v}"),
        None => "–".into(),
    }
}

pub fn page(app: &App, ctx: &Context<App>) -> Html {
    let link = ctx.link();
    let ready = app.model.is_some();
    // Training data loads on the first press, so the buttons work as soon as a model is here.
    let can_train = ready;
    let s = app.settings;
    let backend_label = app
        .backend
        .as_ref()
        .map_or("detecting…".to_string(), |b| b.label.clone());

    let on_dataset = link.callback(|e: Event| {
        Msg::DatasetChosen(Dataset::from_key(&super::select_value(&e)).unwrap_or(Dataset::Mnist))
    });
    let on_backend = link.callback(|e: Event| {
        Msg::BackendChosen(match select_value(&e).as_str() {
            #[cfg(feature = "gpu")]
            "gpu" => BackendKind::Gpu,
            _ => BackendKind::Cpu,
        })
    });
    let on_lr = link.batch_callback(|e: Event| {
        parse_input::<f64>(&e)
            .filter(|v| *v > 0.0)
            .map(Msg::LearningRateSet)
    });
    let on_beta = link.batch_callback(|e: Event| {
        parse_input::<f64>(&e)
            .filter(|v| *v >= 0.0)
            .map(Msg::BetaSet)
    });
    let on_batch = link.batch_callback(|e: Event| {
        parse_input::<usize>(&e)
            .filter(|v| (1..=1024).contains(v))
            .map(Msg::BatchSizeSet)
    });
    let on_hidden = link.batch_callback(|e: Event| {
        parse_input::<usize>(&e)
            .filter(|v| (8..=1024).contains(v))
            .map(Msg::HiddenSet)
    });
    let on_seed = link.batch_callback(|e: Event| parse_input::<u64>(&e).map(Msg::SeedSet));
    let sigma = match s.likelihood {
        Likelihood::Gaussian { sigma } => sigma,
        Likelihood::Bernoulli => 0.1,
    };
    let on_decoder = link.callback(move |e: Event| {
        Msg::DecoderSet(if select_value(&e) == "gaussian" {
            Likelihood::Gaussian { sigma }
        } else {
            Likelihood::Bernoulli
        })
    });
    let on_sigma = link.batch_callback(|e: Event| {
        parse_input::<f64>(&e)
            .filter(|v| *v > 0.0)
            .map(|sigma| Msg::DecoderSet(Likelihood::Gaussian { sigma }))
    });
    let gpu_option = app.gpu_name.as_ref().map(|name| {
        let selected = app
            .backend
            .as_ref()
            .is_some_and(|b| b.kind != BackendKind::Cpu);
        html! { <option value="gpu" {selected}>{ format!("WebGPU — {name}") }</option> }
    });
    let class_names = app.dataset.class_names();
    let last = app.last;

    html! {
        <main class="playground">
            <header class="masthead">
                <h1>{ "VAE playground" }</h1>
                <p class="lede">{ "A variational autoencoder with a 2-D latent space, running in your browser. Drag z to decode, train it, and watch its loss split into KL and reconstruction." }</p>
                <div class="toolbar">
                    <label>{ "Dataset " }
                        <select data-testid="dataset" aria-label="dataset" onchange={on_dataset}>
                            { for Dataset::ALL.iter().map(|d| html! {
                                <option value={d.key()} selected={*d == app.dataset}>{ d.title() }</option>
                            }) }
                        </select>
                    </label>
                    <label>{ "Backend " }
                        <select data-testid="backend-select" aria-label="backend" onchange={on_backend}>
                            <option value="cpu" selected={app.backend.as_ref().is_none_or(|b| b.kind == BackendKind::Cpu)}>{ "CPU" }</option>
                            { for gpu_option }
                        </select>
                    </label>
                    <span class="backend" data-testid="backend" aria-live="polite">{ backend_label }</span>
                </div>
            </header>
            if let Some(notice) = &app.notice {
                <div class="notice" role="alert" data-testid="notice">{ notice }</div>
            }
            <p class="status" data-testid="status" aria-live="polite">{ &app.status }</p>

            <section class="explore" aria-label="explore the latent space">
                <div class="panel decoded-panel" data-testid="decoded-panel"
                    data-model-version={app.model_version.to_string()} data-shown-version={app.shown_version.to_string()}>
                    <h2>{ "Decoded image" }</h2>
                    <DecodedImage pixels={app.pixels.clone()} label={format!("decoded image at z = ({:.2}, {:.2})", app.z[0], app.z[1])} />
                    <LatentSliders z={app.z} on_change={link.callback(Msg::ZMoved)} />
                </div>
                <div class="panel map-panel">
                    <h2>{ "Latent space" }</h2>
                    <LatentMap means={app.means.clone()} labels={app.map_labels.clone()} {class_names}
                        z={app.z} on_pick={link.callback(Msg::ZMoved)} />
                </div>
            </section>

            <section class="train" aria-label="train in the browser">
                <div class="panel controls">
                    <h2>{ "Training" }</h2>
                    <div class="buttons">
                        <button data-testid="train" disabled={!ready || !can_train} onclick={link.callback(|_| Msg::TrainToggled)}>
                            { if app.training { "Pause" } else { "Train" } }
                        </button>
                        <button data-testid="step" disabled={!can_train || app.training} onclick={link.callback(|_| Msg::StepClicked)}>{ "Step" }</button>
                        <button data-testid="reset" disabled={!can_train} title="fresh random weights (uses hidden size and seed)"
                            onclick={link.callback(|_| Msg::ResetClicked)}>{ "Reset" }</button>
                        <button data-testid="restore" disabled={!ready} onclick={link.callback(|_| Msg::RestoreClicked)}>{ "Restore pretrained" }</button>
                    </div>
                    <div class="form">
                        <label>{ "learning rate" }<input data-testid="lr" type="number" step="any" min="0" value={s.learning_rate.to_string()} onchange={on_lr} /></label>
                        <label>{ "β (KL weight)" }<input data-testid="beta" type="number" step="0.1" min="0" value={s.beta.to_string()} onchange={on_beta} /></label>
                        <label>{ "batch size" }<input data-testid="batch" type="number" min="1" max="1024" value={s.batch_size.to_string()} onchange={on_batch} /></label>
                        <label>{ "decoder" }
                            <select data-testid="decoder" onchange={on_decoder}>
                                <option value="bernoulli" selected={s.likelihood == Likelihood::Bernoulli}>{ "Bernoulli (BCE)" }</option>
                                <option value="gaussian" selected={matches!(s.likelihood, Likelihood::Gaussian { .. })}>{ "Gaussian, fixed σₓ" }</option>
                            </select>
                        </label>
                        <label>{ "σₓ" }<input data-testid="sigma" type="number" step="0.01" min="0.001" value={sigma.to_string()}
                            disabled={s.likelihood == Likelihood::Bernoulli} onchange={on_sigma} /></label>
                        <label>{ "hidden size (on Reset)" }<input data-testid="hidden" type="number" min="8" max="1024" value={app.hidden.to_string()} onchange={on_hidden} /></label>
                        <label>{ "training set" }
                            <select data-testid="training-set" onchange={link.callback(|e: Event| Msg::TrainingSetChosen(
                                if select_value(&e) == "train" { Split::Train } else { Split::Train10k }))}>
                                <option value="train10k" selected={app.train_split == Split::Train10k}>{ "first 10,000 (1.6 MB)" }</option>
                                <option value="train" selected={app.train_split == Split::Train}>{ "all 60,000 (9.7 MB)" }</option>
                            </select>
                        </label>
                        <label>{ "seed (on Reset)" }<input data-testid="seed" type="number" min="0" value={app.seed.to_string()} onchange={on_seed} /></label>
                    </div>
                    <dl class="metrics">
                        <dt>{ "step" }</dt><dd data-testid="metric-step">{ app.step }</dd>
                        <dt>{ "epoch" }</dt><dd data-testid="metric-epoch">{ format!("{:.2}", app.epoch) }</dd>
                        <dt>{ "images/s" }</dt><dd data-testid="metric-speed">{ format!("{:.0}", app.images_per_second) }</dd>
                        <dt>{ "KL" }</dt><dd data-testid="metric-kl">{ number(last.map(|p| p.kl), 2) }</dd>
                        <dt>{ "reconstruction" }</dt><dd data-testid="metric-recon">{ number(last.map(|p| p.recon), 2) }</dd>
                        <dt>{ "−ELBO" }</dt><dd data-testid="metric-elbo">{ number(last.map(|p| p.neg_elbo()), 2) }</dd>
                    </dl>
                    <p class="units-note">{ "nats per image; −ELBO = reconstruction + KL (at any β)" }</p>
                </div>
                <div class="panel chart-panel">
                    <h2>{ "Loss, split" }</h2>
                    <LossChart history={app.history.clone()} test_points={app.test_points.clone()} />
                </div>
            </section>

            <footer class="credits">
                <p>{ "Built with Burn, Yew and Trunk; everything runs in this page. " }</p>
                <p data-testid="attribution">{ Dataset::Mnist.attribution() }{ ". " }{ Dataset::Fashion.attribution() }{ "." }</p>
            </footer>
        </main>
    }
}
