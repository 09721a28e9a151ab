//! The dataset file (`.vaed`): a user's set of 28×28 images, their labels and class names, as one
//! file that the page downloads and loads back and the CLI packs and trains on.
//!
//! ```text
//! offset      size    field
//! 0           8       magic  b"VAEPGD\r\n"   (the CR LF catches text-mode mangling)
//! 8           4       format version, u32 LE (= 1)
//! 12          4       header length H, u32 LE (at most 4 KiB)
//! 16          H       header, UTF-8 JSON: {"classes": [names], "images": N}
//! 16+H        784*N   the images, 28×28 bytes each, row-major, 0 = background, 255 = ink
//! 16+H+784N   N       the labels, one byte each: an index into "classes"
//! end-4       4       CRC-32 (IEEE) of every byte before it, u32 LE
//! ```
//!
//! Limits: 1 to 10 classes, names of 1 to 32 characters, 1 to 10,000 images
//! ([`crate::data::own`]). Every malformed file is a [`DatasetFileError`], never a panic, and
//! nothing is allocated for a declared size before the file's length matches it.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::own::{OwnError, OwnSet, MAX_IMAGES};
use super::PIXELS;

pub const MAGIC: &[u8; 8] = b"VAEPGD\r\n";
pub const FORMAT_VERSION: u32 = 1;
/// The file name's extension.
pub const EXTENSION: &str = "vaed";
const MAX_HEADER: usize = 4 * 1024;
/// Magic, version, header length.
const PREAMBLE: usize = 16;
const CRC: usize = 4;

#[derive(Debug, Error, PartialEq)]
pub enum DatasetFileError {
    #[error("the file is {len} bytes long: too short to be a dataset file")]
    TooShort { len: usize },
    #[error("this is not a vae-playground dataset file (wrong magic bytes)")]
    BadMagic,
    #[error(
        "dataset format version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedVersion { found: u32, supported: u32 },
    #[error("the header is {len} bytes, more than the {max} allowed")]
    HeaderTooLarge { len: usize, max: usize },
    #[error("the header is not valid: {0}")]
    BadHeader(String),
    #[error("the file declares {found} images; a set holds 1 to {max}")]
    ImageCount { found: u64, max: usize },
    #[error("the file is truncated or padded: {expected} bytes expected, {found} present")]
    WrongLength { expected: usize, found: usize },
    #[error("the checksum does not match: the file is corrupt")]
    Checksum,
    #[error("the set inside is not valid: {0}")]
    BadSet(#[from] OwnError),
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    classes: Vec<String>,
    images: u64,
}

/// The set as a dataset file.
pub fn encode(set: &OwnSet) -> Vec<u8> {
    let header = Header {
        classes: set.names().to_vec(),
        images: set.len() as u64,
    };
    // A Vec of strings always serialises.
    let json = serde_json::to_vec(&header).unwrap_or_default();
    let mut out = Vec::with_capacity(PREAMBLE + json.len() + set.len() * (PIXELS + 1) + CRC);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(set.images());
    out.extend_from_slice(set.labels());
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The set a dataset file holds, or exactly what is wrong with the file.
pub fn decode(bytes: &[u8]) -> Result<OwnSet, DatasetFileError> {
    if bytes.len() < PREAMBLE + CRC {
        return Err(DatasetFileError::TooShort { len: bytes.len() });
    }
    if &bytes[..8] != MAGIC {
        return Err(DatasetFileError::BadMagic);
    }
    let version = u32_at(bytes, 8);
    if version != FORMAT_VERSION {
        return Err(DatasetFileError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let header_len = u32_at(bytes, 12) as usize;
    if header_len > MAX_HEADER {
        return Err(DatasetFileError::HeaderTooLarge {
            len: header_len,
            max: MAX_HEADER,
        });
    }
    let body = bytes.len() - CRC;
    if PREAMBLE + header_len > body {
        return Err(DatasetFileError::WrongLength {
            expected: PREAMBLE + header_len + CRC,
            found: bytes.len(),
        });
    }
    let header: Header = serde_json::from_slice(&bytes[PREAMBLE..PREAMBLE + header_len])
        .map_err(|e| DatasetFileError::BadHeader(e.to_string()))?;
    if header.images == 0 || header.images > MAX_IMAGES as u64 {
        return Err(DatasetFileError::ImageCount {
            found: header.images,
            max: MAX_IMAGES,
        });
    }
    let n = header.images as usize;
    let expected = PREAMBLE + header_len + n * (PIXELS + 1) + CRC;
    if bytes.len() != expected {
        return Err(DatasetFileError::WrongLength {
            expected,
            found: bytes.len(),
        });
    }
    if crc32fast::hash(&bytes[..body]) != u32_at(bytes, body) {
        return Err(DatasetFileError::Checksum);
    }
    let images_at = PREAMBLE + header_len;
    let labels_at = images_at + n * PIXELS;
    Ok(OwnSet::from_parts(
        &header.classes,
        bytes[images_at..labels_at].to_vec(),
        bytes[labels_at..body].to_vec(),
    )?)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}
