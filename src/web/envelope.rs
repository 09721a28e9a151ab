//! The messages between the page and its two workers, in one place: how each side packs what it
//! posts and unpacks what it hears. The page's side is [`super::worker`]; the workers' are
//! [`super::train_worker`] and [`super::compute_worker`].
//!
//! | from → to               | message                                                   |
//! |-------------------------|-----------------------------------------------------------|
//! | either worker → page    | `"ready"`, once it listens (the page holds messages until then) |
//! | page → train worker     | `{command: "<TrainCommand JSON>", weights?: Uint8Array}`  |
//! | train worker → page     | `{event: "<TrainEvent JSON>", weights?: Uint8Array}`      |
//! | page → compute worker   | `{request: "<ComputeRequest JSON>"}` or `{weights: Uint8Array}` |
//! | compute worker → page   | `"<ComputeReply JSON>"`: the text itself                  |
//!
//! Bodies travel as JSON text. A weights file (`.vaew` bytes) travels beside its body as a
//! `Uint8Array` whose buffer is transferred, not copied. Which key a body goes under follows from
//! its type ([`Body`]), so a message cannot be packed under the wrong one.

use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::services::compute::{ComputeReply, ComputeRequest};
use crate::services::train_service::{TrainCommand, TrainEvent};

/// What a worker posts once it listens; messages sent to it before then are lost.
pub const READY: &str = "ready";

/// The property a weights file travels under.
const WEIGHTS: &str = "weights";

/// Where a body's JSON text travels in its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// `{command: …}`: page → train worker.
    Command,
    /// `{event: …}`: train worker → page.
    Event,
    /// `{request: …}`: page → compute worker.
    Request,
    /// The message is the JSON text itself, with nothing beside it: compute worker → page.
    Bare,
}

impl Key {
    /// The property the JSON text is under; `None` for a bare message.
    pub fn name(self) -> Option<&'static str> {
        match self {
            Key::Command => Some("command"),
            Key::Event => Some("event"),
            Key::Request => Some("request"),
            Key::Bare => None,
        }
    }
}

/// A message body, and the key it travels under.
pub trait Body: Serialize + DeserializeOwned {
    const KEY: Key;
}

impl Body for TrainCommand {
    const KEY: Key = Key::Command;
}

impl Body for TrainEvent {
    const KEY: Key = Key::Event;
}

impl Body for ComputeRequest {
    const KEY: Key = Key::Request;
}

impl Body for ComputeReply {
    const KEY: Key = Key::Bare;
}

/// A message ready to post: its data, and the buffers to transfer with it.
pub struct Message {
    pub data: JsValue,
    pub transfer: Array,
}

impl Message {
    /// [`READY`].
    pub fn ready() -> Self {
        Self {
            data: JsValue::from_str(READY),
            transfer: Array::new(),
        }
    }

    /// `body` as JSON text under its key, with `weights` beside it (transferred). `None` if
    /// `body` does not serialize. A bare body carries no weights: debug builds panic on them,
    /// release builds drop them.
    pub fn pack<T: Body>(body: &T, weights: Option<&[u8]>) -> Option<Self> {
        let text = JsValue::from_str(&serde_json::to_string(body).ok()?);
        match T::KEY.name() {
            Some(key) => {
                let message = Object::new();
                let _ = Reflect::set(&message, &key.into(), &text);
                Some(Self::with_weights(message, weights))
            }
            None => {
                debug_assert!(weights.is_none(), "a bare message carries no weights");
                Some(Self {
                    data: text,
                    transfer: Array::new(),
                })
            }
        }
    }

    /// `{weights}` alone: the compute worker's new model.
    pub fn weights(bytes: &[u8]) -> Self {
        Self::with_weights(Object::new(), Some(bytes))
    }

    fn with_weights(message: Object, weights: Option<&[u8]>) -> Self {
        let transfer = Array::new();
        if let Some(bytes) = weights {
            let array = Uint8Array::from(bytes);
            transfer.push(&array.buffer());
            let _ = Reflect::set(&message, &WEIGHTS.into(), &array);
        }
        Self {
            data: message.into(),
            transfer,
        }
    }
}

/// Whether `data` is a worker's [`READY`].
pub fn is_ready(data: &JsValue) -> bool {
    data.as_string().as_deref() == Some(READY)
}

/// The body of type `T` in `data`, with the weights file beside it if any; `None` if `data`
/// holds no such body.
pub fn unpack<T: Body>(data: &JsValue) -> Option<(T, Option<Vec<u8>>)> {
    let text = match T::KEY.name() {
        Some(key) => Reflect::get(data, &key.into()).ok()?.as_string()?,
        None => data.as_string()?,
    };
    let body = serde_json::from_str(&text).ok()?;
    Some((body, unpack_weights(data)))
}

/// The weights file in `data`, if it carries one.
pub fn unpack_weights(data: &JsValue) -> Option<Vec<u8>> {
    if !data.is_object() {
        return None;
    }
    Reflect::get(data, &WEIGHTS.into())
        .ok()?
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
}
