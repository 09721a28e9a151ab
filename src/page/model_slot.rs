//! The model on screen: nothing yet, the first visit's decoder-only preview, a whole model, or
//! weights from the train worker that a whole model is built from only when something needs
//! one. Versions say whether the decoded image is of the current model.

use std::rc::Rc;

use futures::FutureExt;

use crate::services::session::AnyVae;
use crate::vae::elbo::Likelihood;
use crate::vae::model::PointDecoder;
use crate::vae::weights;

#[derive(Debug, Clone, Default)]
enum Held {
    #[default]
    Nothing,
    /// Decoder-only: it may paint (through the decoder), nothing else.
    Preview,
    Whole(AnyVae),
    /// Weights the train worker sent, not yet built into a model (they come four times a
    /// second while training); `older` is the whole model before them, if any.
    Pending {
        older: Option<AnyVae>,
        weights: Rc<Vec<u8>>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct ModelSlot {
    held: Held,
    /// The model's decoder as plain arrays: what a slider step decodes with.
    decoder: Option<Rc<PointDecoder>>,
    /// Counts models set; `shown` is the one the decoded image came from.
    version: u64,
    shown: u64,
    pixels: Rc<Vec<f32>>,
}

impl ModelSlot {
    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn shown_version(&self) -> u64 {
        self.shown
    }

    pub fn pixels(&self) -> &Rc<Vec<f32>> {
        &self.pixels
    }

    pub fn is_preview(&self) -> bool {
        matches!(self.held, Held::Preview)
    }

    pub fn is_empty(&self) -> bool {
        matches!(self.held, Held::Nothing)
    }

    /// A whole model is there, or can be built: everything beyond painting may start.
    pub fn is_whole(&self) -> bool {
        matches!(self.held, Held::Whole(_) | Held::Pending { .. })
    }

    /// Show `model` (a preview when `preview`). Its decoder's read-back is ready at once on
    /// the CPU; an error says the model cannot paint.
    pub fn set(&mut self, model: AnyVae, preview: bool) -> Result<(), String> {
        let decoder = match model.point_decoder().now_or_never() {
            Some(Ok(decoder)) => Ok(Some(Rc::new(decoder))),
            Some(Err(e)) => Err(format!("The model could not be decoded: {e}")),
            None => Ok(None),
        };
        self.held = if preview {
            Held::Preview
        } else {
            Held::Whole(model)
        };
        self.version += 1;
        self.decoder = decoder.clone().unwrap_or(None);
        decoder.map(|_| ())
    }

    /// Weights from the train worker: the decoder now (cheap), the whole model when asked.
    /// On a bad file the model on screen stays.
    pub fn take_weights(&mut self, bytes: Rc<Vec<u8>>) -> Result<(), String> {
        let decoder = weights::point_decoder(&bytes)
            .map_err(|e| format!("The trained weights could not be read: {e}"))?;
        self.decoder = Some(Rc::new(decoder));
        self.version += 1;
        let older = match std::mem::take(&mut self.held) {
            Held::Whole(m) => Some(m),
            Held::Pending { older, .. } => older,
            Held::Nothing | Held::Preview => None,
        };
        self.held = Held::Pending {
            older,
            weights: bytes,
        };
        Ok(())
    }

    /// The whole model (never the preview), built from pending weights first. An error says
    /// the pending weights could not be built (the model before them is kept).
    pub fn whole(&mut self) -> (Option<AnyVae>, Option<String>) {
        if let Held::Pending { older, weights } = &self.held {
            let built = AnyVae::from_weights(weights);
            let (model, error) = match built {
                Ok(m) => (Some(m), None),
                Err(e) => (
                    older.clone(),
                    Some(format!("The trained weights could not be read: {e}")),
                ),
            };
            self.held = model.map_or(Held::Nothing, Held::Whole);
            return (self.model_if_whole(), error);
        }
        (self.model_if_whole(), None)
    }

    fn model_if_whole(&self) -> Option<AnyVae> {
        match &self.held {
            Held::Whole(m) => Some(m.clone()),
            _ => None,
        }
    }

    /// Paint the image at `z` now, as `likelihood`'s mean: a `PointDecoder` decodes one point
    /// without tensors.
    pub fn decode(&mut self, z: [f64; 2], likelihood: Likelihood) {
        if let Some(decoder) = &self.decoder {
            self.pixels = Rc::new(decoder.decode_mean(&[z[0] as f32, z[1] as f32], likelihood));
            self.shown = self.version;
        }
    }
}
