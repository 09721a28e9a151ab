//! The page layout: what the state shows, and which message each control sends. The panels
//! that stand alone are function components with narrow props, one file each: the training
//! controls, the inspector, keep and share; the layout reads the state directly.

mod explain;
mod inspector;
mod keep;
mod maths;
mod own_data;
mod runs;
mod share;
mod slowmo;
mod training;

use explain::{heading, Explanations, TourGuide};
use inspector::{inspector_props, InspectorPanel};
use keep::KeepPanel;
use maths::MathsPanel;
use runs::runs_panel;
use share::SharePanel;
use slowmo::SlowMoPanel;
use training::{metrics, TrainingControls};

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::app::App;
use super::browser;
use super::components::digit_pad::SIDE as DIGIT_PAD_SIDE;
use super::components::{
    same_rc, BoundBar, ChartRun, DecodedImage, DigitPad, LatentMap, LatentSliders, LossChart,
    MapOverlay, NumberField, Thumb,
};
use crate::analysis::evidence::{Grid, Inspection};
use crate::analysis::train::TrainSettings;
use crate::data::{Dataset, Digits, Split, PIXELS};
use crate::page::inspector::{reading_text, MANIFOLD_N};
use crate::page::maths::{AverageTerms, InputTerms};
use crate::page::msg::{InspectMsg, KeepMsg, LoadMsg, Msg, RunsMsg, ShareMsg, TrainMsg};
use crate::page::readout::Readout;
use crate::page::share::strip_embed;
use crate::page::state::PageState;
use crate::page::stop_rule::StopRule;
use crate::page::url_state::{
    Panel, Panels, BATCH_SIZE, BETA, HIDDEN, LEARNING_RATE, SIGMA, WORKERS,
};
use crate::services::session::Device;
use crate::vae::elbo::{Likelihood, Reading};
use crate::vae::kernel_choice::{Kernel, KernelSetting};

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
    let on_kernel = link.callback(|e: Event| {
        Msg::Train(TrainMsg::KernelSet(
            KernelSetting::from_key(&select_value(&e)).unwrap_or_default(),
        ))
    });
    let kernel_select = st.gpu_name.is_some().then(|| {
        html! {
            <label>{ "Matmul kernel " }
                <select data-testid="kernel-select" aria-label="matmul kernel on WebGPU" onchange={on_kernel}>
                    { for KernelSetting::ALL.iter().map(|k| html! {
                        <option value={k.key()} selected={*k == st.view.kernel}>{ match k {
                            KernelSetting::Auto => "faster, measured",
                            KernelSetting::Force(Kernel::Ours) => "ours",
                            KernelSetting::Force(Kernel::Burn) => "Burn's",
                        } }</option>
                    }) }
                </select>
            </label>
        }
    });
    // The timings go in an attribute too, for the benchmark's row of what was measured.
    let kernel_line = st.kernels.describe().map(|text| {
        let timings = st.kernels.report.as_ref().map(|r| serde_json::to_string(&r.timings).unwrap_or_default());
        html! { <p class="kernel" data-testid="kernel" data-kernel={st.kernels.state_key()} data-timings={timings}>{ text }</p> }
    });
    let class_names = st.class_names();
    let show = |p: Panel| st.view.panels.contains(p);
    let embed = st.view.embed;

    let dataset_select = html! {
        <label>{ "Dataset " }
            <select data-testid="dataset" aria-label="dataset" onchange={on_dataset}>
                { for Dataset::ALL.iter().chain(&[Dataset::Own]).map(|d| html! {
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
                    <button class="dismiss" aria-label="dismiss" data-explains="dismiss" onclick={link.callback(|_| Msg::Share(ShareMsg::UrlNoticesDismissed))}>{ "×" }</button>
                </div>
            }
            if let Some(notice) = &st.notice {
                <div class="notice" role="alert" data-testid="notice">{ notice }
                    <button class="dismiss" aria-label="dismiss" data-explains="dismiss" onclick={link.callback(|_| Msg::NoticeDismissed)}>{ "×" }</button>
                </div>
            }
        </>
    };

    let decoded_panel = (show(Panel::Decoded) || show(Panel::Sliders)).then(|| html! {
        <div class="panel decoded-panel" data-testid="decoded-panel"
            data-model-version={st.slot.version().to_string()} data-shown-version={st.slot.shown_version().to_string()}
            data-finite={st.slot.pixels().iter().all(|p| p.is_finite()).to_string()}
            data-preview={st.slot.is_preview().to_string()}>
            if !embed { { heading("Decoded image", "decoded-panel") } }
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
            <div class="panel map-panel" data-class-centres={own_data::centres_attribute(st)}>
                if !embed { { heading("Latent space", "latent-space") } }
                <LatentMap means={st.means.clone()} labels={st.map_labels.clone()} {class_names}
                    z={st.view.z} on_pick={link.callback(Msg::ZMoved)} overlay={map_overlay(st)}
                    view={st.view.view} on_zoom={link.callback(Msg::MapZoomed)} fit={st.inspector.q_frame()} />
            </div>
        }
    });
    let slowmo_panel = st.slowmo.as_ref().map(|s| html! {
        <SlowMoPanel stage={s.stage()} record={s.record().cloned()} playing={s.playing()} focus={s.focus} on_msg={app.send.slowmo.clone()} />
    });
    let on_train = app.send.train.clone();
    let controls = html! {
        <TrainingControls {ready} training={st.link.training()} settings={st.settings()}
            hidden={st.view.hidden} seed={st.view.seed} split={st.view.training_set} stop={st.view.stop}
            workers={st.view.workers} on_msg={on_train} />
    };
    let metrics = metrics(&st.readout);
    let controls_panel = (show(Panel::Controls) || show(Panel::Metrics)).then(|| {
        html! {
            <div class="panel controls">
                if !embed { { heading("Training", "training") } }
                if show(Panel::Controls) {
                    if embed { <div class="toolbar">{ dataset_select.clone() }</div> }
                    { controls }
                    { slowmo::enter_button(ready, st.slowmo.is_some(), &app.send.slowmo) }
                }
                if show(Panel::Metrics) { { metrics } }
            </div>
        }
    });
    let inspect = show(Panel::Inspect).then(|| {
        let props = inspector_props(app);
        html! { <InspectorPanel ..props /> }
    });
    let maths_panel = show(Panel::Maths).then(|| {
        let result = st.inspector.result.as_ref();
        let input = result.map(|r| InputTerms::new(&r.evidence, st.view.likelihood));
        let reading = result.map(|r| reading_text(r.reading).1.to_string());
        let batch = st.readout.last.map(AverageTerms::from);
        let test = st.readout.test_points.last().map(|&t| AverageTerms::from(t));
        let input_name = st.inspector.x.as_ref().map(|(_, what)| what.clone());
        html! { <MathsPanel {input} {input_name} {batch} {test} likelihood={st.view.likelihood} {reading} /> }
    });
    let chart_panel = show(Panel::Chart).then(|| {
        let (history, pretrained) = st.chart_history();
        // A frame without the training controls cannot follow an instruction to press them.
        let chart_hint =
            (!embed || show(Panel::Controls)).then_some("Press Train or Step to start the chart.");
        let runs: Vec<ChartRun> = st
            .runs
            .all()
            .iter()
            .filter(|r| r.visible && r.settings.dataset == st.view.dataset)
            .map(|r| ChartRun {
                id: r.id,
                name: r.name.clone(),
                colour: r.colour,
                history: r.history.clone(),
                test_points: r.test_points.clone(),
                end: r.final_numbers().map(|f| (f.kl, f.recon)),
                sweep: r.sweep,
                beta: r.settings.beta,
                has_weights: r.weights.is_some(),
            })
            .collect();
        html! {
            <div class="panel chart-panel">
                if !embed { { heading("Loss, split: every run", "loss-chart") } }
                <LossChart {runs} points={history.len()} {pretrained} hint={chart_hint}
                    on_pick_run={app.send.runs.reform(RunsMsg::ContinueClicked)} />
                if !embed && show(Panel::Runs) { { runs_panel(st, &app.send.runs, &app.send.runs_file, &app.send.train) } }
            </div>
        }
    });
    // In an embed, or without the chart, the run list is a panel of its own.
    let runs_alone = (show(Panel::Runs) && (embed || !show(Panel::Chart))).then(|| {
        html! {
            <div class="panel runs-alone">
                { runs_panel(st, &app.send.runs, &app.send.runs_file, &app.send.train) }
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
                    { for slowmo_panel }
                    { for decoded_panel }
                    { for map_panel }
                    { for controls_panel }
                    { for chart_panel }
                    { for runs_alone }
                    { for inspect.clone() }
                    { for maths_panel.clone() }
                </div>
                <p class="embed-footer">
                    { backend_text }
                    <a href={format!("./{}", strip_embed(&st.share.url_for(&st.link_view())))} target="_blank" rel="noopener">{ "Open the full playground ↗" }</a>
                </p>
                <Explanations />
            </main>
        };
    }

    let keep = html! {
        <KeepPanel {ready} remember={st.keeper.remember} remembered_step={st.keeper.remembered_step}
            on_msg={app.send.keep.clone()} on_file={app.send.file.clone()} />
    };
    let share = html! {
        <SharePanel embed_panels={st.share.embed_panels} embed_code={st.share.embed_code.clone()}
            embed_host_error={st.share.embed_host_error.clone()} on_msg={app.send.share.clone()} />
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
                    { for kernel_select }
                    { backend_text }
                    <TourGuide />
                </div>
            </header>
            { notices }
            <p class="status" data-testid="status" aria-live="polite">{ &st.status }</p>
            { for kernel_line }

            if decoded_panel.is_some() || map_panel.is_some() {
                <section class="explore" aria-label="explore the latent space">
                    { for slowmo_panel.clone() }
                    { for decoded_panel }
                    { for map_panel }
                </section>
            }
            if let Some(panel) = inspect {
                <section class="inside" aria-label="inside the bound">{ panel }</section>
            }
            if let Some(panel) = maths_panel {
                <section class="maths" aria-label="the maths">{ panel }</section>
            }
            if controls_panel.is_some() || chart_panel.is_some() || runs_alone.is_some() {
                <section class="train" aria-label="train in the browser">
                    { for controls_panel }
                    { for chart_panel }
                    { for runs_alone }
                </section>
            }
            <section class="own-section" aria-label="your data">{ own_data::own_panel(app) }</section>
            <section class="keep-share">
                { keep }
                { share }
            </section>

            <footer class="credits">
                <p>{ "Built with Burn, Yew and Trunk; everything runs in this page. " }
                    <a href="examples/blog-post.html">{ "An example article that embeds it" }</a>{ "." }</p>
                <p data-testid="attribution">{ Dataset::Mnist.attribution() }{ ". " }{ Dataset::Fashion.attribution() }{ "." }</p>
            </footer>
            <Explanations />
        </main>
    }
}

/// What the latent map draws for the inspected input.
fn map_overlay(st: &PageState) -> MapOverlay {
    let inspector = &st.inspector;
    MapOverlay {
        heat: inspector.heat.clone().filter(|_| inspector.show_heat),
        ellipse: inspector.ellipse(),
        q_star: inspector.q_star_ellipse(),
        manifold: inspector
            .manifold
            .clone()
            .filter(|_| inspector.show_manifold),
        line: inspector.line(),
        batch: st.slowmo.as_ref().map(|s| s.marks()),
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
