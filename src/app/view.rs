//! The page layout: what `App` shows, and which message each control sends.

use yew::prelude::*;

use web_sys::HtmlInputElement;

use std::rc::Rc;

use super::components::{
    BoundBar, DecodedImage, DigitPad, LatentMap, LatentSliders, LossChart, NumberField, Thumb,
};
use super::{parse_input, select_value, App, Msg};
use crate::data::{Dataset, Split};
use crate::elbo::Likelihood;
use crate::train_service::Backend;
use crate::url_state::{Panel, BATCH_SIZE, BETA, HIDDEN, LEARNING_RATE, SIGMA};

fn within<T: PartialOrd>(v: &T, (lo, hi): (T, T)) -> bool {
    (lo..=hi).contains(v)
}

fn number(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        Some(v) => format!("{v}"),
        None => "–".into(),
    }
}

pub fn page(app: &App, ctx: &Context<App>) -> Html {
    let link = ctx.link();
    // The preview model only paints: everything else waits for the whole model.
    let ready = app.model.is_some() && !app.preview;
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
            "gpu" => Backend::WebGpu,
            _ => Backend::Cpu,
        })
    });
    let on_lr = link.batch_callback(|e: Event| {
        parse_input::<f64>(&e)
            .filter(|v| within(v, LEARNING_RATE))
            .map(Msg::LearningRateSet)
    });
    let on_beta = link.batch_callback(|e: Event| {
        parse_input::<f64>(&e)
            .filter(|v| within(v, BETA))
            .map(Msg::BetaSet)
    });
    let on_batch = link.batch_callback(|e: Event| {
        parse_input::<usize>(&e)
            .filter(|v| within(v, BATCH_SIZE))
            .map(Msg::BatchSizeSet)
    });
    let on_hidden = link.batch_callback(|e: Event| {
        parse_input::<usize>(&e)
            .filter(|v| within(v, HIDDEN))
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
            .filter(|v| within(v, SIGMA))
            .map(|sigma| Msg::DecoderSet(Likelihood::Gaussian { sigma }))
    });
    let gpu_option = app.gpu_name.as_ref().map(|name| {
        let selected = app.backend.as_ref().is_some_and(|b| b.kind != Backend::Cpu);
        html! { <option value="gpu" {selected}>{ format!("WebGPU — {name}") }</option> }
    });
    let class_names = app.dataset.class_names();
    let last = app.last;
    let show = |p: Panel| app.panels.contains(p);

    let dataset_select = html! {
        <label>{ "Dataset " }
            <select data-testid="dataset" aria-label="dataset" onchange={on_dataset}>
                { for Dataset::ALL.iter().map(|d| html! {
                    <option value={d.key()} selected={*d == app.dataset}>{ d.title() }</option>
                }) }
            </select>
        </label>
    };
    let backend_text = html! {
        <span class="backend" data-testid="backend" aria-live="polite">{ backend_label }</span>
    };
    let notices = html! {
        <>
            if !app.url_notices.is_empty() {
                <div class="notice" role="alert" data-testid="url-notice">
                    <strong>{ "Some of this link's settings were not used: " }</strong>
                    <ul>{ for app.url_notices.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                    <button class="dismiss" aria-label="dismiss" onclick={link.callback(|_| Msg::UrlNoticesDismissed)}>{ "×" }</button>
                </div>
            }
            if let Some(notice) = &app.notice {
                <div class="notice" role="alert" data-testid="notice">{ notice }
                    <button class="dismiss" aria-label="dismiss" onclick={link.callback(|_| Msg::NoticeDismissed)}>{ "×" }</button>
                </div>
            }
        </>
    };

    let decoded_panel = (show(Panel::Decoded) || show(Panel::Sliders)).then(|| html! {
        <div class="panel decoded-panel" data-testid="decoded-panel"
            data-model-version={app.model_version.to_string()} data-shown-version={app.shown_version.to_string()}
            data-finite={app.pixels.iter().all(|p| p.is_finite()).to_string()}
            data-preview={app.preview.to_string()}>
            if !app.embed { <h2>{ "Decoded image" }</h2> }
            if show(Panel::Decoded) {
                <DecodedImage pixels={app.pixels.clone()} label={format!("decoded image at z = ({:.2}, {:.2})", app.z[0], app.z[1])} />
            }
            if show(Panel::Sliders) {
                <LatentSliders z={app.z} on_change={link.callback(Msg::ZMoved)} />
            }
        </div>
    });
    let map_panel = show(Panel::Map).then(|| {
        html! {
            <div class="panel map-panel">
                if !app.embed { <h2>{ "Latent space" }</h2> }
                <LatentMap means={app.means.clone()} labels={app.map_labels.clone()} {class_names}
                    z={app.z} on_pick={link.callback(Msg::ZMoved)} overlay={app.map_overlay()}
                    view={app.map_view} on_zoom={link.callback(Msg::MapZoomed)} fit={app.q_frame()} />
            </div>
        }
    });
    let buttons = html! {
        <div class="buttons">
            <button data-testid="train" disabled={!ready || !can_train} onclick={link.callback(|_| Msg::TrainToggled)}>
                { if app.training { "Pause" } else { "Train" } }
            </button>
            <button data-testid="step" disabled={!can_train || app.training} onclick={link.callback(|_| Msg::StepClicked)}>{ "Step" }</button>
            <button data-testid="reset" disabled={!can_train} title="fresh random weights (uses hidden size and seed)"
                onclick={link.callback(|_| Msg::ResetClicked)}>{ "Reset" }</button>
            <button data-testid="restore" disabled={!ready} onclick={link.callback(|_| Msg::RestoreClicked)}>{ "Restore pretrained" }</button>
        </div>
    };
    let form = html! {
        <div class="form">
            <label>{ "learning rate" }<NumberField id="lr" step="any" min={LEARNING_RATE.0.to_string()} max={LEARNING_RATE.1.to_string()} value={s.learning_rate.to_string()} onchange={on_lr} /></label>
            <label>{ "β (KL weight)" }<NumberField id="beta" step="0.1" min="0" max={BETA.1.to_string()} value={s.beta.to_string()} onchange={on_beta} /></label>
            <label>{ "batch size" }<NumberField id="batch" min="1" max="1024" value={s.batch_size.to_string()} onchange={on_batch} /></label>
            <label>{ "decoder" }
                <select data-testid="decoder" onchange={on_decoder}>
                    <option value="bernoulli" selected={s.likelihood == Likelihood::Bernoulli}>{ "Bernoulli (BCE)" }</option>
                    <option value="gaussian" selected={matches!(s.likelihood, Likelihood::Gaussian { .. })}>{ "Gaussian, fixed σₓ" }</option>
                </select>
            </label>
            <label>{ "σₓ" }<NumberField id="sigma" step="0.01" min="0.001" value={sigma.to_string()}
                disabled={s.likelihood == Likelihood::Bernoulli} onchange={on_sigma} /></label>
            <label>{ "hidden size (on Reset)" }<NumberField id="hidden" min="8" max="1024" value={app.hidden.to_string()} onchange={on_hidden} /></label>
            <label>{ "training set" }
                <select data-testid="training-set" onchange={link.callback(|e: Event| Msg::TrainingSetChosen(
                    if select_value(&e) == "train" { Split::Train } else { Split::Train10k }))}>
                    <option value="train10k" selected={app.train_split == Split::Train10k}>{ "first 10,000 (1.6 MB)" }</option>
                    <option value="train" selected={app.train_split == Split::Train}>{ "all 60,000 (9.7 MB)" }</option>
                </select>
            </label>
            <label>{ "seed (on Reset)" }<NumberField id="seed" min="0" value={app.seed.to_string()} onchange={on_seed} /></label>
        </div>
    };
    let metrics = html! {
        <>
            <dl class="metrics">
                <dt>{ "step" }</dt><dd data-testid="metric-step">{ app.step }</dd>
                <dt>{ "epoch" }</dt><dd data-testid="metric-epoch">{ format!("{:.2}", app.epoch) }</dd>
                <dt>{ "images/s" }</dt><dd data-testid="metric-speed">{ format!("{:.0}", app.images_per_second) }</dd>
                <dt>{ "KL" }</dt><dd data-testid="metric-kl">{ number(last.map(|p| p.kl), 2) }</dd>
                <dt>{ "reconstruction" }</dt><dd data-testid="metric-recon">{ number(last.map(|p| p.recon), 2) }</dd>
                <dt>{ "−ELBO" }</dt><dd data-testid="metric-elbo">{ number(last.map(|p| p.neg_elbo()), 2) }</dd>
            </dl>
            <p class="units-note">{ "nats per image; −ELBO = reconstruction + KL (at any β)" }</p>
        </>
    };
    let controls_panel = (show(Panel::Controls) || show(Panel::Metrics)).then(|| {
        html! {
            <div class="panel controls">
                if !app.embed { <h2>{ "Training" }</h2> }
                if show(Panel::Controls) {
                    if app.embed { <div class="toolbar">{ dataset_select.clone() }</div> }
                    { buttons }
                    { form }
                }
                if show(Panel::Metrics) { { metrics } }
            </div>
        }
    });
    let inspect = show(Panel::Inspect).then(|| inspect_panel(app, ctx));
    let chart_panel = show(Panel::Chart).then(|| {
        html! {
            <div class="panel chart-panel">
                if !app.embed { <h2>{ "Loss, split" }</h2> }
                <LossChart history={app.history.clone()} test_points={app.test_points.clone()} />
            </div>
        }
    });
    let ignored = app.ignored_messages.to_string();
    let busy = app.trainer_busy.to_string();
    // The step of the last weights read back: what a lost GPU falls back to.
    let checkpoint = app
        .checkpoint
        .as_ref()
        .map_or(String::new(), |(_, p)| p.step.to_string());

    if app.embed {
        return html! {
            <main class="playground embed" data-testid="playground" data-embed="true" data-ignored-messages={ignored.clone()} data-checkpoint-step={checkpoint.clone()} data-trainer-busy={busy.clone()}>
                { notices }
                <div class="embed-grid">
                    { for decoded_panel }
                    { for map_panel }
                    { for controls_panel }
                    { for chart_panel }
                    { for inspect.clone() }
                </div>
                <p class="embed-footer">
                    { backend_text }
                    <a href={format!("./{}", strip_embed(&app.share_url(&app.view_state())))} target="_blank" rel="noopener">{ "Open the full playground ↗" }</a>
                </p>
            </main>
        };
    }

    let keep = keep_panel(app, ctx);
    let share = share_panel(app, ctx);
    html! {
        <main class="playground" data-testid="playground" data-embed="false" data-ignored-messages={ignored.clone()} data-checkpoint-step={checkpoint.clone()} data-trainer-busy={busy.clone()}>
            <header class="masthead">
                <h1>{ "VAE playground" }</h1>
                <p class="lede">{ "A variational autoencoder with a 2-D latent space, running in your browser. Drag z to decode, train it, and watch its loss split into KL and reconstruction." }</p>
                <div class="toolbar">
                    { dataset_select }
                    <label>{ "Backend " }
                        <select data-testid="backend-select" aria-label="backend" onchange={on_backend}>
                            <option value="cpu" selected={app.backend.as_ref().is_none_or(|b| b.kind == Backend::Cpu)}>{ "CPU" }</option>
                            { for gpu_option }
                        </select>
                    </label>
                    { backend_text }
                </div>
            </header>
            { notices }
            <p class="status" data-testid="status" aria-live="polite">{ &app.status }</p>

            if decoded_panel.is_some() || map_panel.is_some() {
                <section class="explore" aria-label="explore the latent space">
                    { for decoded_panel }
                    { for map_panel }
                </section>
            }
            if let Some(panel) = inspect {
                <section class="inside" aria-label="inside the bound">{ panel }</section>
            }
            if controls_panel.is_some() || chart_panel.is_some() {
                <section class="train" aria-label="train in the browser">
                    { for controls_panel }
                    { for chart_panel }
                </section>
            }
            <section class="keep-share">
                { keep }
                { share }
            </section>

            <footer class="credits">
                <p>{ "Built with Burn, Yew and Trunk; everything runs in this page. " }
                    <a href="examples/blog-post.html">{ "An example article that embeds it" }</a>{ "." }</p>
                <p data-testid="attribution">{ Dataset::Mnist.attribution() }{ ". " }{ Dataset::Fashion.attribution() }{ "." }</p>
            </footer>
        </main>
    }
}

/// The full page's link for an embed URL: the same state without `embed`.
fn strip_embed(url: &str) -> String {
    let (_, query) = url.split_once('?').unwrap_or((url, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| *p != "embed" && !p.starts_with("panels="))
        .collect();
    if kept.iter().all(|p| p.is_empty()) {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

/// Download, load and remember the model.
fn keep_panel(app: &App, ctx: &Context<App>) -> Html {
    let link = ctx.link();
    let ready = app.model.is_some() && !app.preview;
    let on_file = link
        .callback(|e: Event| Msg::WeightsFileChosen(e.target_unchecked_into::<HtmlInputElement>()));
    let on_remember = link.callback(|e: Event| {
        Msg::RememberToggled(e.target_unchecked_into::<HtmlInputElement>().checked())
    });
    html! {
        <div class="panel keep">
            <h2>{ "Keep this model" }</h2>
            <div class="buttons">
                <button data-testid="download" disabled={!ready} onclick={link.callback(|_| Msg::DownloadClicked)}>{ "Download weights (.vaew)" }</button>
                <label class="file-button">{ "Load weights…" }
                    <input data-testid="load-weights" type="file" accept=".vaew,application/octet-stream" onchange={on_file} disabled={!ready} />
                </label>
            </div>
            <label class="check">
                <input data-testid="remember" type="checkbox" checked={app.remember} onchange={on_remember} />
                { " Remember my trained model in this browser" }
            </label>
            <p class="units-note" data-testid="remembered">{
                match app.remembered_step {
                    Some(step) if app.remember => format!("Saved in this browser at step {step}; it opens next time. Untick to forget it."),
                    _ if app.remember => "Saved when you pause training, and every 15 s while it runs.".to_string(),
                    _ => "Not remembered: the next visit opens the pretrained model.".to_string(),
                }
            }</p>
        </div>
    }
}

/// Copy a link or an embed code for the current state.
fn share_panel(app: &App, ctx: &Context<App>) -> Html {
    let link = ctx.link();
    html! {
        <div class="panel share">
            <h2>{ "Share or embed" }</h2>
            <p class="units-note">{ "The address bar always holds this view: dataset, settings, seed and z." }</p>
            <div class="buttons">
                <button data-testid="copy-link" onclick={link.callback(|_| Msg::CopyLinkClicked)}>{ "Copy link" }</button>
                <button data-testid="copy-embed" onclick={link.callback(|_| Msg::CopyEmbedClicked)}>{ "Copy embed code" }</button>
            </div>
            <fieldset class="panel-picks">
                <legend>{ "Panels in the embed" }</legend>
                { for Panel::ALL.iter().map(|p| {
                    let p = *p;
                    html! {
                        <label><input type="checkbox" data-testid={format!("embed-panel-{}", p.key())}
                            checked={app.embed_panels.contains(p)}
                            onchange={link.callback(move |_| Msg::EmbedPanelToggled(p))} />{ format!(" {}", p.key()) }</label>
                    }
                }) }
            </fieldset>
            if !app.embed_code.is_empty() {
                <textarea data-testid="embed-code" readonly=true rows="3" aria-label="embed code" value={app.embed_code.clone()} />
            }
        </div>
    }
}

fn nats(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        format!("{v}")
    }
}

/// Inside the bound: pick or draw x; its reconstruction, ln p(x), the ELBO and the gap.
fn inspect_panel(app: &App, ctx: &Context<App>) -> Html {
    let link = ctx.link();
    let st = &app.inspect;
    let examples = app.test.as_ref().map(|test| {
        let names = app.dataset.class_names();
        html! {
            <div class="examples" role="group" aria-label="test images to inspect">
                { for st.examples.iter().map(|&i| {
                    let label = format!("inspect test image #{i} ({})", names[test.label(i) as usize % 10]);
                    html! {
                        <Thumb pixels={Rc::new(test.image_f32(i))} {label} testid={format!("example-{}", test.label(i))}
                            on_click={link.callback(move |_| Msg::ExamplePicked(i))} />
                    }
                }) }
            </div>
        }
    });
    let result = st.result.as_ref();
    let images = st.x.as_ref().map(|(x, what)| {
        let samples = result.map_or_else(Vec::new, |r| {
            r.samples.chunks_exact(784).map(|s| Rc::new(s.to_vec())).collect::<Vec<_>>()
        });
        html! {
            <div class="recon-row">
                <figure><Thumb pixels={x.clone()} label={format!("input: {what}")} testid="inspect-input" /><figcaption>{ "x" }</figcaption></figure>
                if let Some(r) = result {
                    <figure><Thumb pixels={Rc::new(r.reconstruction.clone())} label="reconstruction at the mean of q(z|x)" testid="inspect-recon" /><figcaption>{ "decoded at μ" }</figcaption></figure>
                    <figure class="samples">
                        <div>{ for samples.into_iter().enumerate().map(|(k, s)| html! {
                            <Thumb pixels={s} label={format!("decoded sample {} from q(z|x)", k + 1)} testid={format!("inspect-sample-{k}")} />
                        }) }</div>
                        <figcaption>{ "z ~ q(z|x)" }</figcaption>
                    </figure>
                }
            </div>
        }
    });
    let numbers = result.map(|r| {
        let e = &r.evidence;
        html! {
            <>
                <dl class="metrics evidence" data-testid="evidence">
                    <dt>{ "ln p(x), quadrature" }</dt><dd data-testid="ev-logpx">{ nats(e.log_px) }</dd>
                    <dt>{ format!("ln p(x), IWAE K={}", r.iwae_k) }</dt><dd data-testid="ev-iwae">{ nats(r.iwae) }</dd>
                    <dt>{ "ELBO(x)" }</dt><dd data-testid="ev-elbo">{ nats(e.elbo) }</dd>
                    <dt>{ "gap = KL(q ‖ p(z|x))" }</dt><dd data-testid="ev-gap">{ nats(e.gap) }</dd>
                    <dt>{ "reconstruction" }</dt><dd data-testid="ev-recon">{ nats(e.recon) }</dd>
                    <dt>{ "KL(q ‖ p(z))" }</dt><dd data-testid="ev-kl">{ nats(e.kl) }</dd>
                </dl>
                <BoundBar recon={e.recon} kl={e.kl} gap={e.gap} />
                <p class="units-note">{ "nats; ln p(x) = ELBO(x) + KL(q(z|x) ‖ p(z|x)). On the map: q(z|x) at 1σ and 2σ (teal) and the true posterior p(z|x) (magenta), computed on a 64×64 grid." }</p>
            </>
        }
    });
    let check = |id: &'static str, label: &'static str, on: bool, msg: fn(bool) -> Msg| {
        html! {
            <label class="check"><input type="checkbox" data-testid={id} checked={on}
                onchange={link.callback(move |e: Event| msg(e.target_unchecked_into::<HtmlInputElement>().checked()))} />{ format!(" {label}") }</label>
        }
    };
    let on_n = link.batch_callback(|e: Event| {
        parse_input::<usize>(&e)
            .filter(|n| (2..=30).contains(n))
            .map(Msg::ManifoldSizeSet)
    });
    let can_interp = result.is_some();
    html! {
        <div class="panel inspect-panel" data-testid="inspect-panel"
            data-inspected={result.is_some().to_string()}
            data-inspect-ms={format!("{:.0}", st.inspect_ms)} data-heat-ms={format!("{:.0}", st.heat_ms)} data-manifold-ms={format!("{:.0}", st.manifold_ms)}
            data-compute={if app.compute.is_some() { "worker" } else if app.compute_failed { "page" } else { "" }}
            data-heat-box={st.heat.as_ref().map(|(g, _)| grid_box(g)).unwrap_or_default()}
            data-manifold-box={st.manifold.as_ref().map(|(g, _)| grid_box(g)).unwrap_or_default()}>
            if !app.embed { <h2>{ "Inside the bound" }</h2> }
            <div class="inspect-grid">
                <div class="pick">
                    <p class="units-note">{ "Click a test image, or draw a digit:" }</p>
                    { for examples }
                    <DigitPad on_drawn={link.callback(Msg::DigitDrawn)} />
                </div>
                <div class="what">
                    if st.x.is_none() { <p class="chart-empty">{ "Pick an input to see q(z|x) against the true posterior, and ln p(x) = ELBO + gap." }</p> }
                    { for images }
                    { for numbers }
                    <div class="layers">
                        { check("toggle-heat", "true posterior p(z|x)", st.show_heat, Msg::HeatToggled) }
                        { check("toggle-ellipse", "q(z|x) ellipses", st.show_ellipse, Msg::EllipseToggled) }
                        { check("toggle-manifold", "decoded manifold under the map", st.show_manifold, Msg::ManifoldToggled) }
                        <label class="check">{ "grid n " }<NumberField id="manifold-n" min="2" max="30" value={st.manifold_n.to_string()} onchange={on_n} /></label>
                    </div>
                    <div class="buttons interp">
                        <button data-testid="interp-a" disabled={!can_interp} onclick={link.callback(|_| Msg::InterpolationEndSet(0))}>{ "Use as A" }</button>
                        <button data-testid="interp-b" disabled={!can_interp} onclick={link.callback(|_| Msg::InterpolationEndSet(1))}>{ "Use as B" }</button>
                        <button data-testid="interp-play" disabled={st.ends.iter().any(Option::is_none)} onclick={link.callback(|_| Msg::InterpolationPlayed)}>{ "Walk z from A to B" }</button>
                    </div>
                    if !st.strip.is_empty() {
                        <div class="strip" data-testid="interp-strip" role="group" aria-label="decoded images from A to B">
                            { for st.strip.chunks_exact(784).enumerate().map(|(k, s)| html! {
                                <Thumb pixels={Rc::new(s.to_vec())} label={format!("step {} of the line from A to B", k + 1)} />
                            }) }
                        </div>
                    }
                </div>
            </div>
        </div>
    }
}

/// A grid's box as `z1 min,z1 max,z2 min,z2 max`, for tests to compare with the map's view.
fn grid_box(g: &crate::evidence::Grid) -> String {
    format!("{},{},{},{}", g.z1.0, g.z1.1, g.z2.0, g.z2.1)
}
