//! Experiment (bench/worker/): the training loop in a dedicated Web Worker.
//!
//! Built by Trunk as a worker (`data-type="worker"`, wasm-bindgen `--target no-modules`) for the
//! page `bench/worker/index.html`, not for the playground. It owns a CPU `Session` on the MNIST
//! first-10k training set, continuing from the pretrained weights, and trains in chunks sized to
//! about 30 ms like the playground does. After every chunk it posts `{step, imagesPerSecond}`;
//! at most every 250 ms it also posts the current weights as a `.vaew` file (`weights`, a
//! transferred `Uint8Array`). Messages in: `"train"` and `"pause"`.

#[cfg(target_arch = "wasm32")]
fn main() {
    worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("train_worker runs in a browser Web Worker: see bench/worker/.");
}

#[cfg(target_arch = "wasm32")]
mod worker {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::Arc;

    use js_sys::{Array, Object, Reflect, Uint8Array};
    use vae_playground::data::{Dataset, Split};
    use vae_playground::session::{BackendKind, Session};
    use vae_playground::train::TrainSettings;
    use wasm_bindgen::prelude::*;

    const CHUNK_MS: f64 = 30.0;
    const WEIGHTS_EVERY_MS: f64 = 250.0;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_name = postMessage)]
        fn post_message(message: &JsValue, transfer: &Array);
        #[wasm_bindgen(js_name = addEventListener)]
        fn add_event_listener(kind: &str, listener: &js_sys::Function);
        #[wasm_bindgen(js_namespace = performance, js_name = now)]
        fn performance_now() -> f64;
    }

    fn now_seconds() -> f64 {
        performance_now() / 1000.0
    }

    #[derive(Default)]
    struct State {
        training: bool,
        looping: bool,
    }

    pub fn start() {
        let state = Rc::new(RefCell::new(State::default()));
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let data = Reflect::get(&event, &"data".into()).unwrap_or(JsValue::NULL);
            match data.as_string().as_deref() {
                Some("train") => {
                    let start_loop = {
                        let mut s = state.borrow_mut();
                        s.training = true;
                        !std::mem::replace(&mut s.looping, true)
                    };
                    if start_loop {
                        wasm_bindgen_futures::spawn_local(run(state.clone()));
                    }
                }
                Some("pause") => state.borrow_mut().training = false,
                _ => {}
            }
        });
        add_event_listener("message", on_message.as_ref().unchecked_ref());
        on_message.forget();
        post(&[("ready", JsValue::TRUE)], None);
    }

    fn post(fields: &[(&str, JsValue)], weights: Option<Vec<u8>>) {
        let message = Object::new();
        for (key, value) in fields {
            let _ = Reflect::set(&message, &(*key).into(), value);
        }
        let transfer = Array::new();
        if let Some(bytes) = weights {
            let array = Uint8Array::from(bytes.as_slice());
            transfer.push(&array.buffer());
            let _ = Reflect::set(&message, &"weights".into(), &array);
        }
        post_message(&message, &transfer);
    }

    fn post_error(e: impl std::fmt::Display) {
        post(&[("error", e.to_string().into())], None);
    }

    use vae_playground::app::assets::{fetch_bytes as fetch, fetch_digits};

    async fn load_session() -> Result<Session, String> {
        let weights = fetch("weights/mnist.vaew").await?;
        let data = fetch_digits(Dataset::Mnist, Split::Train10k).await?;
        // The playground's settings: batch 128, a history row every 5 steps.
        let settings = TrainSettings {
            log_every: 5,
            ..TrainSettings::default()
        };
        Session::from_weights(
            BackendKind::Cpu,
            &weights,
            Arc::new(data),
            settings,
            now_seconds,
        )
        .map_err(|e| e.to_string())
    }

    /// The training loop: runs while `training`, yielding to the worker's event loop between
    /// chunks (so "pause" is seen), exactly as the playground yields between its chunks.
    async fn run(state: Rc<RefCell<State>>) {
        let mut session = match load_session().await {
            Ok(s) => s,
            Err(e) => {
                post_error(e);
                state.borrow_mut().looping = false;
                return;
            }
        };
        let mut chunk_steps = 1usize;
        let mut last_weights = f64::NEG_INFINITY;
        loop {
            if !state.borrow().training {
                // Idle: poll for "train" again. The worker's own thread, so this costs the page
                // nothing.
                gloo_timers::future::TimeoutFuture::new(50).await;
                continue;
            }
            match session.train_steps(chunk_steps).await {
                Ok(report) => {
                    if report.steps > 0 {
                        let ms_per_step = report.seconds * 1000.0 / report.steps as f64;
                        chunk_steps = ((CHUNK_MS / ms_per_step.max(0.1)) as usize).clamp(1, 64);
                    }
                    let now = performance_now();
                    let weights = if now - last_weights >= WEIGHTS_EVERY_MS {
                        last_weights = now;
                        match session.weights(&Default::default()).await {
                            Ok(w) => Some(w),
                            Err(e) => {
                                post_error(e);
                                None
                            }
                        }
                    } else {
                        None
                    };
                    let encode_ms = performance_now() - now;
                    post(
                        &[
                            ("step", (session.step() as f64).into()),
                            ("imagesPerSecond", report.images_per_second().into()),
                            ("encodeMs", encode_ms.into()),
                        ],
                        weights,
                    );
                }
                Err(e) => {
                    state.borrow_mut().training = false;
                    post_error(e);
                }
            }
            gloo_timers::future::TimeoutFuture::new(0).await;
        }
    }
}
