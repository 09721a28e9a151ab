//! The weights file (`.vaew`): a small versioned header that names the architecture, then the
//! parameters as little-endian f32 (or f16), then a CRC-32.
//!
//! ```text
//! offset  size  field
//! 0       8     magic  b"VAEPGW\r\n"   (the CR LF catches text-mode mangling)
//! 8       4     format version, u32 LE (= 1)
//! 12      4     header length H, u32 LE (at most 64 KiB)
//! 16      H     header, UTF-8 JSON: architecture, VaeConfig, tensor names and shapes, training notes
//! 16+H    4*P   the tensors in header order, f32 LE, row-major; P = total parameter count
//! end-4   4     CRC-32 (IEEE) of every byte before it, u32 LE
//! ```
//!
//! A *preview* file (`"decoder_only": true, "dtype": "f16"` in the header) holds only the decoder's
//! tensors, as f16 (2 bytes each): a quarter of the size, enough to paint the first image while
//! the full model loads. [`decode`] refuses it; [`decode_preview`] reads it.
//!
//! Why not Burn's own record bytes: `BinBytesRecorder::load` unwraps its decoder, so a corrupt
//! file would panic the page. Reading is all ours here, and every failure is a [`WeightsError`].
//! Decoding builds a new model; the caller's current model is never touched.

use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::TensorData;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::data::Dataset;
use crate::vae::backend::{append_f32, ReadbackError};
use crate::vae::dense::VaeBackend;
use crate::vae::elbo::Likelihood;
use crate::vae::model::{linear_from_data, PointDecoder, Vae, VaeConfig};

pub const MAGIC: &[u8; 8] = b"VAEPGW\r\n";
pub const FORMAT_VERSION: u32 = 1;
pub const ARCHITECTURE: &str = "mlp-vae";
const MAX_HEADER: usize = 64 * 1024;
/// Largest hidden width / input size a file may declare; stops a hostile header from
/// making us allocate gigabytes.
const MAX_WIDTH: usize = 8192;
const MAX_LATENT: usize = 64;

#[derive(Debug, Error, PartialEq)]
pub enum WeightsError {
    #[error("the file is {len} bytes long: too short to be a weights file")]
    TooShort { len: usize },
    #[error("this is not a vae-playground weights file (wrong magic bytes)")]
    BadMagic,
    #[error(
        "weights format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedVersion { found: u32, supported: u32 },
    #[error("the header is {len} bytes, more than the {max} allowed")]
    HeaderTooLarge { len: usize, max: usize },
    #[error("the header is not valid: {0}")]
    BadHeader(String),
    #[error("unknown architecture {0:?} (expected \"mlp-vae\")")]
    UnknownArchitecture(String),
    #[error("the declared model size is out of range: {0}")]
    ImplausibleSize(String),
    #[error("tensor {name} has shape {found:?}, but the architecture needs {expected:?}")]
    ShapeMismatch {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    #[error(
        "the file is truncated or padded: {expected} bytes of weights expected, {found} present"
    )]
    WrongLength { expected: usize, found: usize },
    #[error("the checksum does not match: the file is corrupt")]
    Checksum,
    #[error("tensor {name} holds NaN or infinite values")]
    NonFinite { name: String },
    #[error("this file holds only a decoder preview, not a whole model")]
    DecoderOnly,
    #[error(transparent)]
    Readback(#[from] ReadbackError),
}

/// One tensor's entry in the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorEntry {
    pub name: String,
    pub shape: Vec<usize>,
}

/// What a weights file says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub architecture: String,
    pub config: VaeConfig,
    pub tensors: Vec<TensorEntry>,
    /// The dataset and decoder the model was trained with, if known.
    #[serde(default)]
    pub dataset: Option<Dataset>,
    #[serde(default)]
    pub likelihood: Likelihood,
    #[serde(default)]
    pub steps: u64,
    /// Free text, e.g. the test -ELBO when it was saved.
    #[serde(default)]
    pub note: String,
    /// How each value is stored.
    #[serde(default)]
    pub dtype: Dtype,
    /// Only the decoder's tensors (a preview file).
    #[serde(default)]
    pub decoder_only: bool,
    /// The class names of a user's set the model was trained on (`dataset` is `own`); absent
    /// from files of the built-in sets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dtype {
    #[default]
    F32,
    F16,
}

impl Dtype {
    fn size(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F16 => 2,
        }
    }
}

/// Names and shapes of the tensors a file with this header lists, in file order.
fn file_layout(config: &VaeConfig, decoder_only: bool) -> Vec<TensorEntry> {
    let mut layout = tensor_layout(config);
    if decoder_only {
        layout.retain(|t| t.name.starts_with("dec_"));
    }
    layout
}

/// Names and shapes of the tensors of a model with this config, in file order.
pub fn tensor_layout(config: &VaeConfig) -> Vec<TensorEntry> {
    let (d, h, k) = (config.input_dim, config.hidden, config.latent);
    let layers = [
        ("enc_hidden", d, h),
        ("enc_mu", h, k),
        ("enc_logvar", h, k),
        ("dec_hidden", k, h),
        ("dec_out", h, d),
    ];
    layers
        .iter()
        .flat_map(|&(name, d_in, d_out)| {
            [
                TensorEntry {
                    name: format!("{name}.weight"),
                    shape: vec![d_in, d_out],
                },
                TensorEntry {
                    name: format!("{name}.bias"),
                    shape: vec![d_out],
                },
            ]
        })
        .collect()
}

/// Training facts stored beside the weights.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Provenance {
    pub dataset: Option<Dataset>,
    pub likelihood: Likelihood,
    pub steps: u64,
    pub note: String,
    /// The class names of a user's set.
    pub classes: Vec<String>,
}

/// Serialise `model` (reads its tensors back from the device, hence async).
pub async fn encode<B: VaeBackend>(
    model: &Vae<B>,
    seed: u64,
    provenance: &Provenance,
) -> Result<Vec<u8>, WeightsError> {
    write(model, seed, provenance, Dtype::F32, false).await
}

/// Serialise `model`'s decoder alone, as f16: the preview file the page paints first with.
pub async fn encode_preview<B: VaeBackend>(
    model: &Vae<B>,
    seed: u64,
    provenance: &Provenance,
) -> Result<Vec<u8>, WeightsError> {
    write(model, seed, provenance, Dtype::F16, true).await
}

async fn write<B: VaeBackend>(
    model: &Vae<B>,
    seed: u64,
    provenance: &Provenance,
    dtype: Dtype,
    decoder_only: bool,
) -> Result<Vec<u8>, WeightsError> {
    let config = model.config(seed);
    let header = Header {
        architecture: ARCHITECTURE.to_string(),
        tensors: file_layout(&config, decoder_only),
        config,
        dataset: provenance.dataset,
        likelihood: provenance.likelihood,
        steps: provenance.steps,
        note: provenance.note.clone(),
        dtype,
        decoder_only,
        classes: provenance.classes.clone(),
    };
    let header_json =
        serde_json::to_vec(&header).map_err(|e| WeightsError::BadHeader(e.to_string()))?;
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header_json.len() as u32).to_le_bytes());
    out.extend_from_slice(&header_json);
    let values = flat_values(model, decoder_only).await?;
    out.reserve(values.len() * dtype.size() + 4);
    match dtype {
        Dtype::F32 => out.extend(values.iter().flat_map(|v| v.to_le_bytes())),
        Dtype::F16 => out.extend(
            values
                .iter()
                .flat_map(|&v| half::f16::from_f32(v).to_le_bytes()),
        ),
    }
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// The model's values in weights-file order, a missing bias as zeros; the decoder's alone if
/// `decoder_only`. Read straight from host memory on the CPU ([`append_f32`]).
pub async fn flat_values<B: VaeBackend>(
    model: &Vae<B>,
    decoder_only: bool,
) -> Result<Vec<f32>, ReadbackError> {
    let skip = if decoder_only { 3 } else { 0 };
    let mut values = Vec::with_capacity(model.num_params());
    for layer in model.layers().into_iter().skip(skip) {
        append_f32(&mut values, layer.weight.val()).await?;
        match &layer.bias {
            Some(b) => append_f32(&mut values, b.val()).await?,
            None => values.resize(values.len() + layer.weight.dims()[1], 0.0),
        }
    }
    Ok(values)
}

/// Build a model from a weights file, or say exactly what is wrong with it.
pub fn decode<B: Backend>(
    bytes: &[u8],
    device: &B::Device,
) -> Result<(Vae<B>, Header), WeightsError> {
    let (header, payload) = parse(bytes)?;
    if header.decoder_only {
        return Err(WeightsError::DecoderOnly);
    }
    let [w1, b1, w2, b2, w3, b3, w4, b4, w5, b5]: [TensorData; 10] = tensors(&header, payload)?
        .try_into()
        .map_err(|_| WeightsError::BadHeader("expected 10 tensors".into()))?;
    let model = Vae {
        enc_hidden: linear_from_data(w1, b1, device),
        enc_mu: linear_from_data(w2, b2, device),
        enc_logvar: linear_from_data(w3, b3, device),
        dec_hidden: linear_from_data(w4, b4, device),
        dec_out: linear_from_data(w5, b5, device),
    };
    Ok((model, header))
}

/// Build a model from a preview file (or a whole weights file) for decoding only: the encoder
/// of a preview is all zeros, so nothing but decoding may use the model.
pub fn decode_preview<B: Backend>(
    bytes: &[u8],
    device: &B::Device,
) -> Result<(Vae<B>, Header), WeightsError> {
    let (header, payload) = parse(bytes)?;
    if !header.decoder_only {
        return decode(bytes, device);
    }
    let [w4, b4, w5, b5]: [TensorData; 4] = tensors(&header, payload)?
        .try_into()
        .map_err(|_| WeightsError::BadHeader("expected 4 tensors".into()))?;
    let c = &header.config;
    let zeros = |shape: Vec<usize>| TensorData::new(vec![0f32; shape.iter().product()], shape);
    let model = Vae {
        enc_hidden: linear_from_data(
            zeros(vec![c.input_dim, c.hidden]),
            zeros(vec![c.hidden]),
            device,
        ),
        enc_mu: linear_from_data(
            zeros(vec![c.hidden, c.latent]),
            zeros(vec![c.latent]),
            device,
        ),
        enc_logvar: linear_from_data(
            zeros(vec![c.hidden, c.latent]),
            zeros(vec![c.latent]),
            device,
        ),
        dec_hidden: linear_from_data(w4, b4, device),
        dec_out: linear_from_data(w5, b5, device),
    };
    Ok((model, header))
}

/// The payload as one `TensorData` per header entry, every value checked to be finite.
fn tensors(header: &Header, payload: &[u8]) -> Result<Vec<TensorData>, WeightsError> {
    let arrays = arrays(&header.tensors, header.dtype, payload)?;
    Ok(arrays
        .into_iter()
        .zip(&header.tensors)
        .map(|(data, entry)| TensorData::new(data, entry.shape.clone()))
        .collect())
}

/// The decoder of a weights (or preview) file as plain arrays, without building a model: what
/// the page paints with while training sends it new weights four times a second.
pub fn point_decoder(bytes: &[u8]) -> Result<PointDecoder, WeightsError> {
    let (header, payload) = parse(bytes)?;
    let encoder = header
        .tensors
        .iter()
        .take_while(|t| !t.name.starts_with("dec_"))
        .count();
    let skipped: usize = header.tensors[..encoder]
        .iter()
        .map(|t| t.shape.iter().product::<usize>())
        .sum();
    let decoder = &header.tensors[encoder..];
    let payload = &payload[skipped * header.dtype.size()..];
    let [w1, b1, w2, b2]: [Vec<f32>; 4] = arrays(decoder, header.dtype, payload)?
        .try_into()
        .map_err(|_| WeightsError::BadHeader("expected 4 decoder tensors".into()))?;
    Ok(PointDecoder::from_arrays(w1, b1, w2, b2))
}

/// One array per entry, read from `payload` (whose length `parse` checked), all finite.
fn arrays(
    entries: &[TensorEntry],
    dtype: Dtype,
    payload: &[u8],
) -> Result<Vec<Vec<f32>>, WeightsError> {
    let mut rest = payload;
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let n: usize = entry.shape.iter().product();
        let (bytes, tail) = rest.split_at((n * dtype.size()).min(rest.len()));
        rest = tail;
        let data: Vec<f32> = match dtype {
            Dtype::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F16 => bytes
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
        };
        if data.iter().any(|v| !v.is_finite()) {
            return Err(WeightsError::NonFinite {
                name: entry.name.clone(),
            });
        }
        out.push(data);
    }
    Ok(out)
}

/// Check everything that can be checked before touching a tensor; return the header and the
/// payload bytes, whose length is then exactly right.
/// The header of a weights file, after the same checks [`decode`] makes (checksum included).
pub fn header(bytes: &[u8]) -> Result<Header, WeightsError> {
    parse(bytes).map(|(header, _)| header)
}

fn parse(bytes: &[u8]) -> Result<(Header, &[u8]), WeightsError> {
    const FIXED: usize = 8 + 4 + 4 + 4;
    if bytes.len() < FIXED {
        return Err(WeightsError::TooShort { len: bytes.len() });
    }
    if &bytes[..8] != MAGIC {
        return Err(WeightsError::BadMagic);
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != FORMAT_VERSION {
        return Err(WeightsError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let header_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
    if header_len > MAX_HEADER {
        return Err(WeightsError::HeaderTooLarge {
            len: header_len,
            max: MAX_HEADER,
        });
    }
    if bytes.len() < FIXED + header_len {
        return Err(WeightsError::WrongLength {
            expected: FIXED + header_len,
            found: bytes.len(),
        });
    }
    let header: Header = serde_json::from_slice(&bytes[16..16 + header_len])
        .map_err(|e| WeightsError::BadHeader(e.to_string()))?;
    if header.architecture != ARCHITECTURE {
        return Err(WeightsError::UnknownArchitecture(header.architecture));
    }
    let c = &header.config;
    if c.input_dim == 0
        || c.hidden == 0
        || c.latent == 0
        || c.input_dim > MAX_WIDTH
        || c.hidden > MAX_WIDTH
        || c.latent > MAX_LATENT
    {
        return Err(WeightsError::ImplausibleSize(format!(
            "input {}, hidden {}, latent {}",
            c.input_dim, c.hidden, c.latent
        )));
    }
    let expected = file_layout(c, header.decoder_only);
    if header.tensors.len() != expected.len() {
        return Err(WeightsError::BadHeader(format!(
            "{} tensors listed, the architecture has {}",
            header.tensors.len(),
            expected.len()
        )));
    }
    for (want, got) in expected.iter().zip(&header.tensors) {
        if want != got {
            return Err(WeightsError::ShapeMismatch {
                name: got.name.clone(),
                expected: want.shape.clone(),
                found: got.shape.clone(),
            });
        }
    }
    let params: usize = expected
        .iter()
        .map(|t| t.shape.iter().product::<usize>())
        .sum();
    let payload_start = 16 + header_len;
    let value_bytes = header.dtype.size();
    let total = payload_start + params * value_bytes + 4;
    if bytes.len() != total {
        return Err(WeightsError::WrongLength {
            expected: params * value_bytes,
            found: bytes.len().saturating_sub(payload_start + 4),
        });
    }
    let (body, crc) = bytes.split_at(total - 4);
    if crc32fast::hash(body) != u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]) {
        return Err(WeightsError::Checksum);
    }
    Ok((header, &body[payload_start..]))
}
