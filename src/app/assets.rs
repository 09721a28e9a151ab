//! Fetching the site's own files: weights and data, always relative to the page.

use crate::data::{Dataset, Digits, Split};

pub async fn fetch_bytes(path: &str) -> Result<Vec<u8>, String> {
    let response = gloo_net::http::Request::get(path)
        .send()
        .await
        .map_err(|e| format!("could not fetch {path}: {e}"))?;
    if !response.ok() {
        return Err(format!(
            "could not fetch {path}: HTTP {}",
            response.status()
        ));
    }
    response
        .binary()
        .await
        .map_err(|e| format!("could not read {path}: {e}"))
}

pub fn weights_url(dataset: Dataset) -> String {
    format!("weights/{}.vaew", dataset.key())
}

/// The decoder-only f16 preview of the pretrained weights (`vae preview`).
pub fn preview_url(dataset: Dataset) -> String {
    format!("weights/{}.preview.vaew", dataset.key())
}

pub async fn fetch_digits(dataset: Dataset, split: Split) -> Result<Digits, String> {
    let (images, labels) = split.file_names(dataset);
    let (images, labels) = futures::future::join(
        fetch_bytes(&format!("data/{images}")),
        fetch_bytes(&format!("data/{labels}")),
    )
    .await;
    let unpack = |bytes: Vec<u8>, what: &'static str| async move {
        super::browser::gunzip(&bytes)
            .await
            .map_err(|e| format!("could not decompress the {what}: {e}"))
    };
    let (images, labels) =
        futures::future::join(unpack(images?, "images"), unpack(labels?, "labels")).await;
    Digits::from_raw(images?, labels?).map_err(|e| e.to_string())
}
