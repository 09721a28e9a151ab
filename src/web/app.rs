//! The one Yew component: it holds the page's state (`page::state::PageState`) and what only a
//! browser has (the workers, the `message` listener, windows that posted to the page), turns
//! browser events into page messages, and carries out the effects the state returns.

use wasm_bindgen::JsValue;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::data::Split;
use crate::page::effect::{Effect, WindowId};
use crate::page::host_bridge::recipients;
use crate::page::msg::{
    HostMsg, InspectMsg, KeepMsg, LoadMsg, Loaded, Msg, OwnMsg, RunsMsg, ShareMsg, SlowMoMsg,
    TrainMsg,
};
use crate::page::own_data::{ImportTiming, PickedImage, STORE_KEY};
use crate::page::state::{Location, PageState};
use crate::services::session::AnyVae;

use super::compute_client::ComputeClient;
use super::{assets, browser, gpu, views, worker};

/// A page message, or a browser event only the component can read.
pub enum AppMsg {
    Page(Msg),
    /// A file input changed: its file is read, then `Keep(FileRead)`.
    WeightsFileChosen(HtmlInputElement),
    /// A runs file was chosen: it is read, then `Runs(FileRead)`.
    RunsFileChosen(HtmlInputElement),
    /// A `message` event: its origin, its data as JSON text, and the window that sent it.
    Posted(String, String, JsValue),
    /// Image files (or a folder's, `true`) chosen for "Your data": decoded, then
    /// `Own(FilesPicked)`.
    OwnFilesChosen(HtmlInputElement, bool),
    /// Files, folders or ZIP archives dropped on "Your data", being decoded (the promise of
    /// `browser::start_decoding_drop`).
    OwnFilesDropped(js_sys::Promise),
    /// The browser decoded them, in this many ms.
    OwnFilesDecoded(Vec<PickedImage>, bool, f64),
    /// A dataset file chosen to import: read, then `Own(FileChosen)`.
    OwnImportChosen(HtmlInputElement),
}

impl From<Msg> for AppMsg {
    fn from(msg: Msg) -> Self {
        AppMsg::Page(msg)
    }
}

/// Callbacks for the views, made once so that components with unchanged props skip renders
/// (Yew compares callbacks by identity).
pub struct Senders {
    pub train: Callback<TrainMsg>,
    pub inspect: Callback<InspectMsg>,
    pub keep: Callback<KeepMsg>,
    pub share: Callback<ShareMsg>,
    pub file: Callback<HtmlInputElement>,
    pub runs: Callback<RunsMsg>,
    pub runs_file: Callback<HtmlInputElement>,
    pub load: Callback<LoadMsg>,
    pub own: Callback<OwnMsg>,
    pub own_files: Callback<(HtmlInputElement, bool)>,
    pub own_drop: Callback<js_sys::Promise>,
    pub own_import: Callback<HtmlInputElement>,
    pub slowmo: Callback<SlowMoMsg>,
}

pub struct App {
    pub state: PageState,
    pub send: Senders,
    trainer: Option<worker::TrainWorker>,
    /// Started on first use.
    compute: Option<ComputeClient>,
    /// Windows that posted to the page; a `WindowId` is an index here.
    windows: Vec<JsValue>,
    _message_listener: browser::MessageListener,
    /// An embed's content-height observer (set on the first render, when embedded), and the
    /// height last measured after a render.
    height_listener: Option<browser::HeightListener>,
    rendered_height: u32,
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn location() -> Location {
    let location = web_sys::window().map(|w| w.location());
    let read = |f: fn(&web_sys::Location) -> Result<String, JsValue>| {
        location
            .as_ref()
            .and_then(|l| f(l).ok())
            .unwrap_or_default()
    };
    let origin = read(web_sys::Location::origin);
    Location {
        query: read(web_sys::Location::search),
        base_url: format!("{origin}{}", read(web_sys::Location::pathname)),
        origin,
    }
}

impl Component for App {
    type Message = AppMsg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let link = ctx.link().clone();
        let listener = browser::on_message(move |origin, text, source| {
            link.send_message(AppMsg::Posted(origin, text, source))
        });
        ctx.link()
            .send_future(async { Msg::Load(LoadMsg::GpuProbed(gpu::webgpu_adapter().await)) });
        let link = ctx.link();
        App {
            state: PageState::new(&location()),
            send: Senders {
                train: link.callback(Msg::Train),
                inspect: link.callback(Msg::Inspect),
                keep: link.callback(Msg::Keep),
                share: link.callback(Msg::Share),
                file: link.callback(AppMsg::WeightsFileChosen),
                runs: link.callback(Msg::Runs),
                runs_file: link.callback(AppMsg::RunsFileChosen),
                load: link.callback(Msg::Load),
                own: link.callback(Msg::Own),
                own_files: link.callback(|(input, folder)| AppMsg::OwnFilesChosen(input, folder)),
                own_drop: link.callback(AppMsg::OwnFilesDropped),
                own_import: link.callback(AppMsg::OwnImportChosen),
                slowmo: link.callback(Msg::SlowMo),
            },
            trainer: None,
            compute: None,
            windows: Vec::new(),
            _message_listener: listener,
            height_listener: None,
            rendered_height: 0,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: AppMsg) -> bool {
        let msg = match msg {
            AppMsg::Page(msg) => msg,
            AppMsg::WeightsFileChosen(input) => {
                ctx.link().send_future(async move {
                    let bytes = browser::chosen_file(&input).await;
                    // Choosing the same file again must fire another change event.
                    input.set_value("");
                    Msg::Keep(KeepMsg::FileRead(bytes))
                });
                return false;
            }
            AppMsg::RunsFileChosen(input) => {
                ctx.link().send_future(async move {
                    let bytes = browser::chosen_file(&input).await;
                    input.set_value("");
                    Msg::Runs(RunsMsg::FileRead(bytes))
                });
                return false;
            }
            AppMsg::Posted(origin, text, source) => Msg::Host(HostMsg::Received {
                window: self.window_id(source, &origin),
                origin,
                text,
            }),
            AppMsg::OwnFilesChosen(input, folder) => {
                ctx.link().send_future(async move {
                    let start = now_ms();
                    let files = browser::chosen_images(&input).await;
                    input.set_value("");
                    match files {
                        Ok(files) => AppMsg::OwnFilesDecoded(files, folder, now_ms() - start),
                        Err(e) => Msg::Own(OwnMsg::FileChosen(Err(e))).into(),
                    }
                });
                return false;
            }
            AppMsg::OwnFilesDropped(promise) => {
                ctx.link().send_future(async move {
                    let start = now_ms();
                    match browser::decoded_images(promise).await {
                        Ok(files) => AppMsg::OwnFilesDecoded(files, false, now_ms() - start),
                        Err(e) => Msg::Own(OwnMsg::FileChosen(Err(e))).into(),
                    }
                });
                return false;
            }
            AppMsg::OwnFilesDecoded(files, folder, decode_ms) => {
                // Paths with folders in them (a dropped folder, a ZIP's) name the classes.
                let folder = folder || files.iter().any(|f| f.path.contains('/'));
                let images = files.len();
                let start = now_ms();
                let render = self
                    .state
                    .update(Msg::Own(OwnMsg::FilesPicked { files, folder }), start);
                self.state.own.timing = Some(ImportTiming {
                    decode_ms,
                    pipeline_ms: now_ms() - start,
                    images,
                });
                for effect in self.state.take_effects() {
                    self.carry_out(ctx, effect);
                }
                return render;
            }
            AppMsg::OwnImportChosen(input) => {
                ctx.link().send_future(async move {
                    let bytes = browser::chosen_file(&input).await;
                    input.set_value("");
                    Msg::Own(OwnMsg::FileChosen(bytes))
                });
                return false;
            }
        };
        if let Msg::Inspect(InspectMsg::ComputeFailed(_)) = &msg {
            // Its work moves to this thread.
            self.compute = Some(ComputeClient::Local);
        }
        let render = self.state.update(msg, now_ms());
        for effect in self.state.take_effects() {
            self.carry_out(ctx, effect);
        }
        render
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        views::page(self, ctx)
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if !self.state.view.embed {
            return;
        }
        // A CSS px height; `as` saturates whatever the browser says.
        if first_render {
            let link = ctx.link().clone();
            self.height_listener = browser::on_height(move |height| {
                link.send_message(Msg::Host(HostMsg::HeightChanged(height as u32)));
            });
        }
        // Browsers pause a frame's resize observations while it is off screen; what a render
        // changed is measured here as well, so the host hears of it before the reader scrolls.
        let height = browser::content_height() as u32;
        if height != self.rendered_height && self.height_listener.is_some() {
            self.rendered_height = height;
            ctx.link()
                .send_message(Msg::Host(HostMsg::HeightChanged(height)));
        }
    }
}

impl App {
    /// The compute client, if it is not the page's thread.
    pub fn computes_in_worker(&self) -> Option<bool> {
        self.compute.as_ref().map(ComputeClient::is_worker)
    }

    /// A number for a window that posted from `origin`; windows of origins the page does not
    /// listen to are not kept.
    fn window_id(&mut self, window: JsValue, origin: &str) -> WindowId {
        if !self.state.host.allowed().iter().any(|o| o == origin) {
            return WindowId::MAX;
        }
        let index = match self.windows.iter().position(|w| *w == window) {
            Some(i) => i,
            None => {
                self.windows.push(window);
                self.windows.len() - 1
            }
        };
        index as WindowId
    }

    fn carry_out(&mut self, ctx: &Context<Self>, effect: Effect) {
        let link = ctx.link();
        match effect {
            Effect::FetchPreview(pretrained) => link.send_future(async move {
                let result = match pretrained.preview_path() {
                    Some(path) => super::fetch::fetch_bytes(&path)
                        .await
                        .and_then(|bytes| AnyVae::from_preview(&bytes).map_err(|e| e.to_string())),
                    None => Err("no preview is shipped for this model".to_string()),
                };
                Msg::Load(LoadMsg::PreviewLoaded(pretrained.dataset, Box::new(result)))
            }),
            Effect::FetchModel { pretrained, recall } => link.send_future(async move {
                let dataset = pretrained.dataset;
                let result = async {
                    let remembered = async {
                        if recall {
                            // No storage (a sandboxed frame, private mode) means nothing kept.
                            browser::recall(&crate::page::keeper::Keeper::key(dataset))
                                .await
                                .ok()
                                .flatten()
                        } else {
                            None
                        }
                    };
                    let (weights, test, remembered, history) = futures::future::join4(
                        super::fetch::fetch_bytes(&pretrained.weights_path()),
                        assets::fetch_digits(dataset, Split::Test),
                        remembered,
                        assets::fetch_history(pretrained),
                    )
                    .await;
                    let weights = weights?;
                    let model = AnyVae::from_weights(&weights).map_err(|e| e.to_string())?;
                    Ok(Loaded {
                        shipped: pretrained,
                        pretrained: std::rc::Rc::new(weights),
                        model,
                        test: std::rc::Rc::new(test?),
                        remembered,
                        // Only the chart's curve before training: the model does without it.
                        history: history.ok(),
                    })
                }
                .await;
                Msg::Load(LoadMsg::Loaded(Box::new(result)))
            }),
            Effect::EncodeMap { model, test } => link.send_future(async move {
                let subset = test.take(crate::services::train_service::MAP_POINTS);
                let means = model.encode_means(&subset).await.map_err(|e| e.to_string());
                Msg::Load(LoadMsg::MapEncoded(means))
            }),
            Effect::After { ms, msg } => link.send_future(async move {
                gloo_timers::future::TimeoutFuture::new(ms).await;
                msg
            }),
            Effect::StartTrainWorker => {
                let (events, failures) = (link.clone(), link.clone());
                self.trainer = worker::TrainWorker::start(
                    Callback::from(move |(event, weights)| {
                        events
                            .send_message(Msg::Train(TrainMsg::Reported(Box::new(event), weights)))
                    }),
                    Callback::from(move |message| {
                        failures.send_message(Msg::Train(TrainMsg::WorkerFailed(message)))
                    }),
                );
                if self.trainer.is_none() {
                    link.send_message(Msg::Train(TrainMsg::WorkerUnavailable));
                }
            }
            Effect::StopTrainWorker => self.trainer = None,
            Effect::Train(command, weights) => {
                if let Some(trainer) = &self.trainer {
                    trainer.send(&command, weights.as_deref().map(|w| w.as_slice()));
                }
            }
            Effect::Compute {
                request,
                model,
                version,
            } => {
                let replies = link.callback(|r| Msg::Inspect(InspectMsg::ComputeReplied(r)));
                let client = self.compute.get_or_insert_with(|| {
                    let failures = link.clone();
                    ComputeClient::start(
                        replies.clone(),
                        Callback::from(move |e| {
                            failures.send_message(Msg::Inspect(InspectMsg::ComputeFailed(e)))
                        }),
                    )
                });
                client.send(request, model, version, replies);
            }
            Effect::Export {
                model,
                seed,
                provenance,
            } => link.send_future(async move {
                let bytes = model
                    .to_weights(seed, &provenance)
                    .await
                    .map_err(|e| e.to_string());
                Msg::Keep(KeepMsg::Exported(bytes))
            }),
            Effect::Download { name, bytes } => browser::download(&name, &bytes),
            Effect::Remember { key, bytes, step } => link.send_future(async move {
                Msg::Keep(KeepMsg::Remembered(
                    step,
                    browser::remember(&key, &bytes).await,
                ))
            }),
            Effect::StoreRuns { key, bytes } => link.send_future(async move {
                Msg::Runs(RunsMsg::Stored(browser::remember(&key, &bytes).await))
            }),
            Effect::RecallRuns { key } => link.send_future(async move {
                Msg::Runs(RunsMsg::Recalled(browser::recall(&key).await))
            }),
            Effect::RecallKernels { key } => link.send_future(async move {
                Msg::Train(TrainMsg::KernelsRecalled(browser::recall(&key).await))
            }),
            Effect::StoreKernels { key, bytes } => wasm_bindgen_futures::spawn_local(async move {
                let _ = browser::remember(&key, &bytes).await;
            }),
            Effect::Forget { key } => link.send_future(async move {
                Msg::Keep(KeepMsg::Forgotten(browser::forget(&key).await))
            }),
            Effect::Copy { what, text } => link.send_future(async move {
                Msg::Share(ShareMsg::Copied(what, browser::copy(&text).await))
            }),
            Effect::ReplaceQuery(query) => browser::replace_query(&query),
            Effect::KeepOwnSet(bytes) => link.send_future(async move {
                let result = match bytes {
                    Some(bytes) => browser::remember(STORE_KEY, &bytes).await,
                    None => browser::forget(STORE_KEY).await,
                };
                Msg::Own(OwnMsg::Stored(result))
            }),
            Effect::RecallOwnSet => link.send_future(async move {
                Msg::Own(OwnMsg::Recalled(browser::recall(STORE_KEY).await))
            }),
            Effect::FetchOwnSet(url) => link.send_future(async move {
                Msg::Own(OwnMsg::Fetched(super::fetch::fetch_bytes(&url).await))
            }),
            Effect::PostTo {
                window,
                origin,
                json,
            } => {
                if let Some(target) = self.windows.get(window as usize) {
                    browser::post_json(target, &json, &origin);
                }
            }
            Effect::PostToParent { origins, json } => {
                let parent = browser::parent_window();
                if !parent.is_null() {
                    let parent_origin = browser::parent_origin();
                    for origin in recipients(&origins, parent_origin.as_deref()) {
                        browser::post_json(&parent, &json, origin);
                    }
                }
            }
        }
    }
}
