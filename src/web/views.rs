//! The page layout: what the state shows, and which message each control sends. The panels
//! that stand alone (training controls, metrics, keep, share) are function components with
//! narrow props; the layout and the inspector read the state directly.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::app::App;
use super::components::digit_pad::SIDE as DIGIT_PAD_SIDE;
use super::components::{
    BoundBar, DecodedImage, DigitPad, LatentMap, LatentSliders, LossChart, MapOverlay, NumberField,
    Thumb,
};
use crate::analysis::evidence::{Grid, Inspection};
use crate::analysis::train::TrainSettings;
use crate::data::{Dataset, Digits, Split, PIXELS};
use crate::page::inspector::MANIFOLD_N;
use crate::page::msg::{InspectMsg, KeepMsg, LoadMsg, Msg, ShareMsg, TrainMsg};
use crate::page::readout::Readout;
use crate::page::share::strip_embed;
use crate::page::state::PageState;
use crate::page::url_state::{Panel, Panels, BATCH_SIZE, BETA, HIDDEN, LEARNING_RATE, SIGMA};
use crate::services::session::Device;
use crate::vae::elbo::Likelihood;

fn parse_input<T: std::str::FromStr>(e: &Event) -> Option<T> {
    let input: HtmlInputElement = e.target_unchecked_into();
    input.value().parse().ok()
}

fn select_value(e: &Event) -> String {
    let select: HtmlSelectElement = e.target_unchecked_into();
    select.value()
}

/// A callback that sends what `f` makes of its input, if anything.
fn filtered<T: 'static, M: 'static>(
    to: &Callback<M>,
    f: impl Fn(T) -> Option<M> + 'static,
) -> Callback<T> {
    let to = to.clone();
    Callback::from(move |input| {
        if let Some(msg) = f(input) {
            to.emit(msg)
        }
    })
}

fn checked(e: &Event) -> bool {
    e.target_unchecked_into::<HtmlInputElement>().checked()
}

pub fn page(app: &App, ctx: &Context<App>) -> Html {
    let link = ctx.link();
    let st = &app.state;
    // The preview model only paints: everything else waits for the whole model.
    let ready = st.ready();
    let backend_label = st
        .device_label()
        .unwrap_or_else(|| "detecting…".to_string());
    let on_dataset = link.callback(|e: Event| {
        Msg::Load(LoadMsg::DatasetChosen(
            Dataset::from_key(&select_value(&e)).unwrap_or(Dataset::Mnist),
        ))
    });
    let on_backend = link.callback(|e: Event| {
        Msg::Train(TrainMsg::DeviceChosen(match select_value(&e).as_str() {
            "gpu" => Device::WebGpu,
            _ => Device::Cpu,
        }))
    });
    let gpu_option = st.gpu_name.as_ref().map(|name| {
        let selected = st.link.device() != Device::Cpu;
        html! { <option value="gpu" {selected}>{ format!("WebGPU — {name}") }</option> }
    });
    let class_names = st.view.dataset.class_names();
    let show = |p: Panel| st.view.panels.contains(p);
    let embed = st.view.embed;

    let dataset_select = html! {
        <label>{ "Dataset " }
            <select data-testid="dataset" aria-label="dataset" onchange={on_dataset}>
                { for Dataset::ALL.iter().map(|d| html! {
                    <option value={d.key()} selected={*d == st.view.dataset}>{ d.title() }</option>
                }) }
            </select>
        </label>
    };
    let backend_text = html! {
        <span class="backend" data-testid="backend" aria-live="polite">{ backend_label }</span>
    };
    let notices = html! {
        <>
            if !st.share.url_notices.is_empty() {
                <div class="notice" role="alert" data-testid="url-notice">
                    <strong>{ "Some of this link's settings were not used: " }</strong>
                    <ul>{ for st.share.url_notices.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                    <button class="dismiss" aria-label="dismiss" onclick={link.callback(|_| Msg::Share(ShareMsg::UrlNoticesDismissed))}>{ "×" }</button>
                </div>
            }
            if let Some(notice) = &st.notice {
                <div class="notice" role="alert" data-testid="notice">{ notice }
                    <button class="dismiss" aria-label="dismiss" onclick={link.callback(|_| Msg::NoticeDismissed)}>{ "×" }</button>
                </div>
            }
        </>
    };

    let decoded_panel = (show(Panel::Decoded) || show(Panel::Sliders)).then(|| html! {
        <div class="panel decoded-panel" data-testid="decoded-panel"
            data-model-version={st.slot.version().to_string()} data-shown-version={st.slot.shown_version().to_string()}
            data-finite={st.slot.pixels().iter().all(|p| p.is_finite()).to_string()}
            data-preview={st.slot.is_preview().to_string()}>
            if !embed { <h2>{ "Decoded image" }</h2> }
            if show(Panel::Decoded) {
                <DecodedImage pixels={st.slot.pixels().clone()} label={format!("decoded image at z = ({:.2}, {:.2})", st.view.z[0], st.view.z[1])} />
            }
            if show(Panel::Sliders) {
                <LatentSliders z={st.view.z} on_change={link.callback(Msg::ZMoved)} />
            }
        </div>
    });
    let map_panel = show(Panel::Map).then(|| {
        html! {
            <div class="panel map-panel">
                if !embed { <h2>{ "Latent space" }</h2> }
                <LatentMap means={st.means.clone()} labels={st.map_labels.clone()} {class_names}
                    z={st.view.z} on_pick={link.callback(Msg::ZMoved)} overlay={map_overlay(st)}
                    view={st.view.view} on_zoom={link.callback(Msg::MapZoomed)} fit={st.inspector.q_frame()} />
            </div>
        }
    });
    let on_train = app.send.train.clone();
    let controls = html! {
        <TrainingControls {ready} training={st.link.training()} settings={st.settings()}
            hidden={st.view.hidden} seed={st.view.seed} split={st.view.training_set} on_msg={on_train} />
    };
    let metrics = metrics(&st.readout);
    let controls_panel = (show(Panel::Controls) || show(Panel::Metrics)).then(|| {
        html! {
            <div class="panel controls">
                if !embed { <h2>{ "Training" }</h2> }
                if show(Panel::Controls) {
                    if embed { <div class="toolbar">{ dataset_select.clone() }</div> }
                    { controls }
                }
                if show(Panel::Metrics) { { metrics } }
            </div>
        }
    });
    let inspect = show(Panel::Inspect).then(|| {
        let props = inspector_props(app);
        html! { <InspectorPanel ..props /> }
    });
    let chart_panel = show(Panel::Chart).then(|| {
        html! {
            <div class="panel chart-panel">
                if !embed { <h2>{ "Loss, split" }</h2> }
                <LossChart history={st.readout.history.clone()} test_points={st.readout.test_points.clone()} />
            </div>
        }
    });
    let ignored = st.host.ignored.to_string();
    let busy = st.link.busy().to_string();
    // The step of the last weights read back: what a lost GPU falls back to.
    let checkpoint = st
        .checkpoint
        .as_ref()
        .map_or(String::new(), |(_, p)| p.step.to_string());

    if embed {
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
                    <a href={format!("./{}", strip_embed(&st.share.url_for(&st.view)))} target="_blank" rel="noopener">{ "Open the full playground ↗" }</a>
                </p>
            </main>
        };
    }

    let keep = html! {
        <KeepPanel {ready} remember={st.keeper.remember} remembered_step={st.keeper.remembered_step}
            on_msg={app.send.keep.clone()} on_file={app.send.file.clone()} />
    };
    let share = html! {
        <SharePanel embed_panels={st.share.embed_panels} embed_code={st.share.embed_code.clone()}
            on_msg={app.send.share.clone()} />
    };
    html! {
        <main class="playground" data-testid="playground" data-embed="false" data-ignored-messages={ignored.clone()} data-checkpoint-step={checkpoint.clone()} data-trainer-busy={busy.clone()}>
            <header class="masthead">
                <h1>{ "VAE playground" }</h1>
                <p class="lede">{ "A variational autoencoder with a 2-D latent space, running in your browser. Drag z to decode, train it, and watch its loss split into KL and reconstruction." }</p>
                <div class="toolbar">
                    { dataset_select }
                    <label>{ "Backend " }
                        <select data-testid="backend-select" aria-label="backend" onchange={on_backend}>
                            <option value="cpu" selected={st.link.device() == Device::Cpu}>{ "CPU" }</option>
                            { for gpu_option }
                        </select>
                    </label>
                    { backend_text }
                </div>
            </header>
            { notices }
            <p class="status" data-testid="status" aria-live="polite">{ &st.status }</p>

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

/// What the latent map draws for the inspected input.
fn map_overlay(st: &PageState) -> MapOverlay {
    let inspector = &st.inspector;
    MapOverlay {
        heat: inspector.heat.clone().filter(|_| inspector.show_heat),
        ellipse: inspector.ellipse(),
        manifold: inspector
            .manifold
            .clone()
            .filter(|_| inspector.show_manifold),
        line: inspector.line(),
    }
}

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

#[derive(Properties, PartialEq)]
pub struct TrainingControlsProps {
    /// The whole model is in (training data loads on the first press).
    pub ready: bool,
    pub training: bool,
    pub settings: TrainSettings,
    pub hidden: usize,
    pub seed: u64,
    pub split: Split,
    pub on_msg: Callback<TrainMsg>,
}

/// Train, Step, Reset, Restore and the settings.
#[function_component(TrainingControls)]
fn training_controls(props: &TrainingControlsProps) -> Html {
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
        Likelihood::Bernoulli => 0.1,
    };
    let on_decoder = props.on_msg.reform(move |e: Event| {
        let mut settings = s;
        settings.likelihood = if select_value(&e) == "gaussian" {
            Likelihood::Gaussian { sigma }
        } else {
            Likelihood::Bernoulli
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
                    </select>
                </label>
                <label>{ "σₓ" }<NumberField id="sigma" step="0.01" min="0.001" value={sigma.to_string()}
                    disabled={s.likelihood == Likelihood::Bernoulli} onchange={on_sigma} /></label>
                <label>{ "hidden size (on Reset)" }<NumberField id="hidden" min="8" max="1024" value={props.hidden.to_string()} onchange={on_hidden} /></label>
                <label>{ "training set" }
                    <select data-testid="training-set" onchange={on_split}>
                        <option value="train10k" selected={props.split == Split::Train10k}>{ "first 10,000 (1.6 MB)" }</option>
                        <option value="train" selected={props.split == Split::Train}>{ "all 60,000 (9.7 MB)" }</option>
                    </select>
                </label>
                <label>{ "seed (on Reset)" }<NumberField id="seed" min="0" value={props.seed.to_string()} onchange={on_seed} /></label>
            </div>
        </>
    }
}

/// The training read-outs, in nats per image. A plain function: they change with every
/// training report, so a component would re-render as often.
fn metrics(readout: &Readout) -> Html {
    let last = readout.last;
    html! {
        <>
            <dl class="metrics">
                <dt>{ "step" }</dt><dd data-testid="metric-step">{ readout.step }</dd>
                <dt>{ "epoch" }</dt><dd data-testid="metric-epoch">{ format!("{:.2}", readout.epoch) }</dd>
                <dt>{ "images/s" }</dt><dd data-testid="metric-speed">{ format!("{:.0}", readout.images_per_second) }</dd>
                <dt>{ "KL" }</dt><dd data-testid="metric-kl">{ number(last.map(|p| p.kl), 2) }</dd>
                <dt>{ "reconstruction" }</dt><dd data-testid="metric-recon">{ number(last.map(|p| p.recon), 2) }</dd>
                <dt>{ "−ELBO" }</dt><dd data-testid="metric-elbo">{ number(last.map(|p| p.neg_elbo()), 2) }</dd>
            </dl>
            <p class="units-note">{ "nats per image; −ELBO = reconstruction + KL (at any β)" }</p>
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct KeepPanelProps {
    pub ready: bool,
    pub remember: bool,
    pub remembered_step: Option<usize>,
    pub on_msg: Callback<KeepMsg>,
    pub on_file: Callback<HtmlInputElement>,
}

/// Download, load and remember the model.
#[function_component(KeepPanel)]
fn keep_panel(props: &KeepPanelProps) -> Html {
    let ready = props.ready;
    let on_file = props
        .on_file
        .reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>());
    let on_remember = props
        .on_msg
        .reform(|e: Event| KeepMsg::RememberToggled(checked(&e)));
    let on_download = props
        .on_msg
        .reform(|_: MouseEvent| KeepMsg::DownloadClicked);
    html! {
        <div class="panel keep">
            <h2>{ "Keep this model" }</h2>
            <div class="buttons">
                <button data-testid="download" disabled={!ready} onclick={on_download}>{ "Download weights (.vaew)" }</button>
                <label class="file-button">{ "Load weights…" }
                    <input data-testid="load-weights" type="file" accept=".vaew,application/octet-stream" onchange={on_file} disabled={!ready} />
                </label>
            </div>
            <label class="check">
                <input data-testid="remember" type="checkbox" checked={props.remember} onchange={on_remember} />
                { " Remember my trained model in this browser" }
            </label>
            <p class="units-note" data-testid="remembered">{
                match props.remembered_step {
                    Some(step) if props.remember => format!("Saved in this browser at step {step}; it opens next time. Untick to forget it."),
                    _ if props.remember => "Saved when you pause training, and every 15 s while it runs.".to_string(),
                    _ => "Not remembered: the next visit opens the pretrained model.".to_string(),
                }
            }</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SharePanelProps {
    pub embed_panels: Panels,
    pub embed_code: String,
    pub on_msg: Callback<ShareMsg>,
}

/// Copy a link or an embed code for the current state.
#[function_component(SharePanel)]
fn share_panel(props: &SharePanelProps) -> Html {
    let on_link = props
        .on_msg
        .reform(|_: MouseEvent| ShareMsg::CopyLinkClicked);
    let on_embed = props
        .on_msg
        .reform(|_: MouseEvent| ShareMsg::CopyEmbedClicked);
    html! {
        <div class="panel share">
            <h2>{ "Share or embed" }</h2>
            <p class="units-note">{ "The address bar always holds this view: dataset, settings, seed and z." }</p>
            <div class="buttons">
                <button data-testid="copy-link" onclick={on_link}>{ "Copy link" }</button>
                <button data-testid="copy-embed" onclick={on_embed}>{ "Copy embed code" }</button>
            </div>
            <fieldset class="panel-picks">
                <legend>{ "Panels in the embed" }</legend>
                { for Panel::ALL.iter().map(|p| {
                    let p = *p;
                    html! {
                        <label><input type="checkbox" data-testid={format!("embed-panel-{}", p.key())}
                            checked={props.embed_panels.contains(p)}
                            onchange={props.on_msg.reform(move |_: Event| ShareMsg::EmbedPanelToggled(p))} />{ format!(" {}", p.key()) }</label>
                    }
                }) }
            </fieldset>
            if !props.embed_code.is_empty() {
                <textarea data-testid="embed-code" readonly=true rows="3" aria-label="embed code" value={props.embed_code.clone()} />
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

/// Where the inspector's work runs, for tests: `"worker"`, `"page"`, or `""` before any.
fn compute_place(in_worker: Option<bool>) -> &'static str {
    match in_worker {
        Some(true) => "worker",
        Some(false) => "page",
        None => "",
    }
}

/// The inspector panel's props from the state.
fn inspector_props(app: &App) -> InspectorPanelProps {
    let st = &app.state;
    let inspector = &st.inspector;
    InspectorPanelProps {
        embed: st.view.embed,
        test: st.test.clone(),
        examples: inspector.examples.clone(),
        class_names: st.view.dataset.class_names(),
        x: inspector.x.clone(),
        result: inspector.result.clone(),
        heat_box: inspector.heat.as_ref().map(|(g, _)| *g),
        manifold_box: inspector.manifold.as_ref().map(|(g, _)| *g),
        ms: [
            inspector.inspect_ms,
            inspector.heat_ms,
            inspector.manifold_ms,
        ],
        layers: [
            inspector.show_heat,
            inspector.show_ellipse,
            inspector.show_manifold,
        ],
        manifold_n: inspector.manifold_n,
        ends_set: inspector.ends.map(|e| e.is_some()),
        strip: inspector.strip.clone(),
        compute: compute_place(app.computes_in_worker()),
        on_msg: app.send.inspect.clone(),
    }
}

#[derive(Properties)]
pub struct InspectorPanelProps {
    pub embed: bool,
    pub test: Option<Rc<Digits>>,
    /// Test images offered as examples, and the dataset's class names.
    pub examples: Vec<usize>,
    pub class_names: [&'static str; 10],
    pub x: Option<(Rc<Vec<f32>>, String)>,
    pub result: Option<Rc<Inspection>>,
    /// The grids the heat map and the manifold were computed on.
    pub heat_box: Option<Grid>,
    pub manifold_box: Option<Grid>,
    /// How long the inspection, the heat map and the manifold took (ms).
    pub ms: [f64; 3],
    /// Heat map, ellipses, manifold: shown or not.
    pub layers: [bool; 3],
    pub manifold_n: usize,
    pub ends_set: [bool; 2],
    pub strip: Rc<Vec<f32>>,
    pub compute: &'static str,
    pub on_msg: Callback<InspectMsg>,
}

/// Shared data compares by identity, as in `LatentMap`: a slider step must not compare images.
fn same_rc<T>(a: &Option<Rc<T>>, b: &Option<Rc<T>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => Rc::ptr_eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

impl PartialEq for InspectorPanelProps {
    fn eq(&self, o: &Self) -> bool {
        let same_x = match (&self.x, &o.x) {
            (Some((a, wa)), Some((b, wb))) => Rc::ptr_eq(a, b) && wa == wb,
            (None, None) => true,
            _ => false,
        };
        same_x
            && same_rc(&self.test, &o.test)
            && same_rc(&self.result, &o.result)
            && Rc::ptr_eq(&self.strip, &o.strip)
            && self.embed == o.embed
            && self.examples == o.examples
            && self.class_names == o.class_names
            && self.heat_box == o.heat_box
            && self.manifold_box == o.manifold_box
            && self.ms == o.ms
            && self.layers == o.layers
            && self.manifold_n == o.manifold_n
            && self.ends_set == o.ends_set
            && self.compute == o.compute
            && self.on_msg == o.on_msg
    }
}

/// Inside the bound: pick or draw x; its reconstruction, ln p(x), the ELBO and the gap.
#[function_component(InspectorPanel)]
fn inspector_panel(props: &InspectorPanelProps) -> Html {
    let on_msg = &props.on_msg;
    let send = |msg: fn() -> InspectMsg| on_msg.reform(move |_: MouseEvent| msg());
    let examples = props.test.as_ref().map(|test| {
        html! {
            <div class="examples" role="group" aria-label="test images to inspect">
                { for props.examples.iter().map(|&i| {
                    let label = format!("inspect test image #{i} ({})", props.class_names[test.label(i) as usize % 10]);
                    html! {
                        <Thumb pixels={Rc::new(test.image_f32(i))} {label} testid={format!("example-{}", test.label(i))}
                            on_click={on_msg.reform(move |_| InspectMsg::ExamplePicked(i))} />
                    }
                }) }
            </div>
        }
    });
    let result = props.result.as_ref();
    let images = props.x.as_ref().map(|(x, what)| {
        let samples = result.map_or_else(Vec::new, |r| {
            r.samples.chunks_exact(PIXELS).map(|s| Rc::new(s.to_vec())).collect::<Vec<_>>()
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
    let check = |id: &'static str, label: &'static str, on: bool, msg: fn(bool) -> InspectMsg| {
        html! {
            <label class="check"><input type="checkbox" data-testid={id} checked={on}
                onchange={on_msg.reform(move |e: Event| msg(checked(&e)))} />{ format!(" {label}") }</label>
        }
    };
    let on_n = filtered(on_msg, |e: Event| {
        parse_input::<usize>(&e)
            .filter(|n| within(n, MANIFOLD_N))
            .map(InspectMsg::ManifoldSizeSet)
    });
    let on_drawn = on_msg.reform(|ink: Option<Rc<Vec<f32>>>| {
        InspectMsg::DigitDrawn(ink.map(|ink| (ink, DIGIT_PAD_SIDE)))
    });
    let can_interp = result.is_some();
    let [show_heat, show_ellipse, show_manifold] = props.layers;
    html! {
        <div class="panel inspect-panel" data-testid="inspect-panel"
            data-inspected={result.is_some().to_string()}
            data-inspect-ms={format!("{:.0}", props.ms[0])} data-heat-ms={format!("{:.0}", props.ms[1])} data-manifold-ms={format!("{:.0}", props.ms[2])}
            data-compute={props.compute}
            data-heat-box={props.heat_box.as_ref().map(grid_box).unwrap_or_default()}
            data-manifold-box={props.manifold_box.as_ref().map(grid_box).unwrap_or_default()}>
            if !props.embed { <h2>{ "Inside the bound" }</h2> }
            <div class="inspect-grid">
                <div class="pick">
                    <p class="units-note">{ "Click a test image, or draw a digit:" }</p>
                    { for examples }
                    <DigitPad {on_drawn} />
                </div>
                <div class="what">
                    if props.x.is_none() { <p class="chart-empty">{ "Pick an input to see q(z|x) against the true posterior, and ln p(x) = ELBO + gap." }</p> }
                    { for images }
                    { for numbers }
                    <div class="layers">
                        { check("toggle-heat", "true posterior p(z|x)", show_heat, InspectMsg::HeatToggled) }
                        { check("toggle-ellipse", "q(z|x) ellipses", show_ellipse, InspectMsg::EllipseToggled) }
                        { check("toggle-manifold", "decoded manifold under the map", show_manifold, InspectMsg::ManifoldToggled) }
                        <label class="check">{ "grid n " }<NumberField id="manifold-n" min="2" max="30" value={props.manifold_n.to_string()} onchange={on_n} /></label>
                    </div>
                    <div class="buttons interp">
                        <button data-testid="interp-a" disabled={!can_interp} onclick={send(|| InspectMsg::InterpolationEndSet(0))}>{ "Use as A" }</button>
                        <button data-testid="interp-b" disabled={!can_interp} onclick={send(|| InspectMsg::InterpolationEndSet(1))}>{ "Use as B" }</button>
                        <button data-testid="interp-play" disabled={props.ends_set.contains(&false)} onclick={send(|| InspectMsg::InterpolationPlayed)}>{ "Walk z from A to B" }</button>
                    </div>
                    if !props.strip.is_empty() {
                        <div class="strip" data-testid="interp-strip" role="group" aria-label="decoded images from A to B">
                            { for props.strip.chunks_exact(PIXELS).enumerate().map(|(k, s)| html! {
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
fn grid_box(g: &Grid) -> String {
    format!("{},{},{},{}", g.z1.0, g.z1.1, g.z2.0, g.z2.1)
}
