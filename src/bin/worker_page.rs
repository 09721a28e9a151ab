//! Experiment (bench/worker/): a minimal page whose training runs in a Web Worker.
//!
//! Not the playground: a z1/z2 slider pair, the decoded canvas, a step read-out and a Train
//! button, with the same `data-testid`s as the playground so `bench/worker/compare.mjs`
//! measures both pages the same way. The page decodes on every slider `input` with a CPU
//! `Model` on its own thread; the model is rebuilt from the weights the worker
//! (`train_worker`) posts every 250 ms while it trains.

#[cfg(target_arch = "wasm32")]
fn main() {
    page::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("worker_page runs in the browser: see bench/worker/.");
}

#[cfg(target_arch = "wasm32")]
mod page {
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::{Array, Reflect, Uint8Array};
    use vae_playground::session::{BackendKind, Model};
    use wasm_bindgen::prelude::*;
    use web_sys::{Document, Element, HtmlCanvasElement, HtmlInputElement};

    #[wasm_bindgen]
    extern "C" {
        type Worker;
        #[wasm_bindgen(constructor, catch)]
        fn new(url: &str) -> Result<Worker, JsValue>;
        #[wasm_bindgen(method, js_name = postMessage)]
        fn post_message(this: &Worker, message: &JsValue);
        #[wasm_bindgen(method, js_name = addEventListener)]
        fn add_event_listener(this: &Worker, kind: &str, listener: &js_sys::Function);
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        fn performance_now() -> f64;
    }

    struct Page {
        model: Option<Model>,
        z: [HtmlInputElement; 2],
        canvas: HtmlCanvasElement,
        step: Element,
        speed: Element,
        status: Element,
        button: HtmlInputElement,
        worker: Worker,
        training: bool,
        /// Main-thread milliseconds spent copying in and rebuilding the model from posted weights
        /// (`window.__weightInstallMs`), and the worker's milliseconds spent encoding them
        /// (`window.__weightEncodeMs`), for the bench.
        install_ms: Array,
        encode_ms: Array,
    }

    type Shared = Rc<RefCell<Page>>;

    fn el(doc: &Document, tag: &str, attrs: &[(&str, &str)]) -> Element {
        let e = doc.create_element(tag).expect("create element");
        for (k, v) in attrs {
            e.set_attribute(k, v).expect("set attribute");
        }
        e
    }

    pub fn start() {
        let window = web_sys::window().expect("window");
        let doc = window.document().expect("document");
        let body = doc.body().expect("body");
        let slider = |id: &str| -> HtmlInputElement {
            let s = el(
                &doc,
                "input",
                &[
                    ("type", "range"),
                    ("min", "-4"),
                    ("max", "4"),
                    ("step", "0.01"),
                    ("value", "0"),
                    ("data-testid", id),
                    ("aria-label", id),
                ],
            );
            let _ = body.append_child(&s);
            s.unchecked_into()
        };
        let z = [slider("z1"), slider("z2")];
        let canvas = el(
            &doc,
            "canvas",
            &[
                ("data-testid", "decoded"),
                ("width", "28"),
                ("height", "28"),
                (
                    "style",
                    "width:224px;height:224px;image-rendering:pixelated",
                ),
            ],
        );
        let button = el(
            &doc,
            "input",
            &[
                ("type", "button"),
                ("value", "Train"),
                ("data-testid", "train"),
                ("disabled", ""),
            ],
        );
        let step = el(&doc, "span", &[("data-testid", "metric-step")]);
        step.set_text_content(Some("0"));
        let speed = el(&doc, "span", &[("data-testid", "metric-speed")]);
        let status = el(&doc, "p", &[("data-testid", "status")]);
        status.set_text_content(Some("Loading the pretrained model…"));
        for e in [&canvas, &button, &step, &speed, &status] {
            let _ = body.append_child(e);
        }
        let install_ms = Array::new();
        let _ = Reflect::set(&window, &"__weightInstallMs".into(), &install_ms);
        let encode_ms = Array::new();
        let _ = Reflect::set(&window, &"__weightEncodeMs".into(), &encode_ms);
        let worker = Worker::new("./train_worker_loader.js").expect("start the worker");
        let page: Shared = Rc::new(RefCell::new(Page {
            model: None,
            z,
            canvas: canvas.unchecked_into(),
            step,
            speed,
            status,
            button: button.unchecked_into(),
            worker,
            training: false,
            install_ms,
            encode_ms,
        }));

        // Slider input: decode now, on this thread.
        for i in 0..2 {
            let p = page.clone();
            let on_input = Closure::<dyn FnMut()>::new(move || decode_and_paint(&p));
            let _ = page.borrow().z[i]
                .add_event_listener_with_callback("input", on_input.as_ref().unchecked_ref());
            on_input.forget();
        }
        {
            let p = page.clone();
            let on_click = Closure::<dyn FnMut()>::new(move || {
                let mut s = p.borrow_mut();
                s.training = !s.training;
                let (msg, label) = if s.training {
                    ("train", "Pause")
                } else {
                    ("pause", "Train")
                };
                s.worker.post_message(&msg.into());
                s.button.set_value(label);
            });
            let _ = page
                .borrow()
                .button
                .add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
            on_click.forget();
        }
        {
            let p = page.clone();
            let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let data = Reflect::get(&event, &"data".into()).unwrap_or(JsValue::NULL);
                on_worker_message(&p, &data);
            });
            page.borrow()
                .worker
                .add_event_listener("message", on_message.as_ref().unchecked_ref());
            on_message.forget();
        }

        let p = page.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let bytes = match fetch("weights/mnist.vaew").await {
                Ok(b) => b,
                Err(e) => {
                    p.borrow().status.set_text_content(Some(&e));
                    return;
                }
            };
            install(&p, &bytes, performance_now());
            let s = p.borrow();
            s.status.set_text_content(Some("Ready. Drag z, or train."));
            s.button.set_disabled(false);
        });
    }

    use vae_playground::app::assets::fetch_bytes as fetch;

    fn on_worker_message(page: &Shared, data: &JsValue) {
        let get = |k: &str| Reflect::get(data, &k.into()).unwrap_or(JsValue::UNDEFINED);
        if let Some(e) = get("error").as_string() {
            page.borrow().status.set_text_content(Some(&e));
            return;
        }
        if let Some(step) = get("step").as_f64() {
            let s = page.borrow();
            s.step.set_text_content(Some(&format!("{step}")));
            if let Some(v) = get("imagesPerSecond").as_f64() {
                s.speed.set_text_content(Some(&format!("{v:.0}")));
            }
        }
        let weights = get("weights");
        if weights.is_object() {
            let started = performance_now();
            let bytes = weights.unchecked_into::<Uint8Array>().to_vec();
            install(page, &bytes, started);
            if let Some(ms) = get("encodeMs").as_f64() {
                page.borrow().encode_ms.push(&ms.into());
            }
        }
    }

    /// Rebuild the decoding model from a weights file and redraw, as the playground redraws
    /// after every training chunk.
    fn install(page: &Shared, bytes: &[u8], started: f64) {
        match Model::from_weights(BackendKind::Cpu, bytes) {
            Ok(model) => {
                let mut s = page.borrow_mut();
                s.model = Some(model);
                s.install_ms.push(&(performance_now() - started).into());
            }
            Err(e) => {
                page.borrow().status.set_text_content(Some(&e.to_string()));
                return;
            }
        }
        decode_and_paint(page);
    }

    fn decode_and_paint(page: &Shared) {
        let s = page.borrow();
        let Some(model) = s.model.clone() else {
            return;
        };
        let z = [
            s.z[0].value().parse::<f32>().unwrap_or(0.0),
            s.z[1].value().parse::<f32>().unwrap_or(0.0),
        ];
        let canvas = s.canvas.clone();
        drop(s);
        // The CPU backend's read-back is ready at once; the future finishes in a microtask.
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(pixels) = model.decode(&z).await {
                paint_grey(&canvas, &pixels);
            }
        });
    }

    use vae_playground::app::components::decoded_image::paint_grey;
}
