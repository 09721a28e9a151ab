//! The page's assets: weights and data, always relative to the page. The paths themselves are
//! [`Pretrained`]'s and [`Split::file_paths`].

use crate::analysis::history_csv;
use crate::analysis::train::HistoryRow;
use crate::data::{Dataset, Digits, Split};
use crate::page::pretrained::Pretrained;

pub use super::fetch::fetch_bytes;

/// The loss history of the run that made `pretrained`.
pub async fn fetch_history(pretrained: Pretrained) -> Result<Vec<HistoryRow>, String> {
    let bytes = fetch_bytes(&pretrained.history_path()).await?;
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
