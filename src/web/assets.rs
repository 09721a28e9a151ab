//! The page's assets: weights and data, always relative to the page. The paths themselves are
//! [`Dataset::weights_path`], [`Dataset::preview_path`], [`Dataset::history_path`] and
//! [`Split::file_paths`].

use crate::analysis::history_csv;
use crate::analysis::train::HistoryRow;
use crate::data::{Dataset, Digits, Split};

pub use super::fetch::fetch_bytes;

/// The pretrained weights file: [`Dataset::weights_path`].
pub fn weights_url(dataset: Dataset) -> String {
    dataset.weights_path()
}

/// The decoder-only f16 preview of the pretrained weights (`vae preview`):
/// [`Dataset::preview_path`].
pub fn preview_url(dataset: Dataset) -> String {
    dataset.preview_path()
}

/// The pretrained model's own loss history: [`Dataset::history_path`].
pub async fn fetch_history(dataset: Dataset) -> Result<Vec<HistoryRow>, String> {
    let bytes = fetch_bytes(&dataset.history_path()).await?;
    let text = String::from_utf8(bytes).map_err(|_| "the loss history is not text".to_string())?;
    history_csv::from_csv(&text).map_err(|e| e.to_string())
}

/// `split` of `dataset`, gunzipped by the browser (`DecompressionStream`), so the page's module
/// carries no inflater (the train worker's uses flate2).
pub async fn fetch_digits(dataset: Dataset, split: Split) -> Result<Digits, String> {
    let (images, labels) = super::fetch::fetch_split_gz(dataset, split).await?;
    let unpack = |bytes: Vec<u8>, what: &'static str| async move {
        super::browser::gunzip(&bytes)
            .await
            .map_err(|e| format!("could not decompress the {what}: {e}"))
    };
    let (images, labels) =
        futures::future::join(unpack(images, "images"), unpack(labels, "labels")).await;
    Digits::from_raw(images?, labels?)
        .map(|d| d.prepared(dataset, split))
        .map_err(|e| e.to_string())
}
