//! Fetching the site's own files, relative to the page (or to the worker's script, which Trunk
//! puts beside it). Used by the page and by the train worker; what each does with the bytes
//! (the page gunzips data in the browser, the worker with flate2) is their own.

use crate::data::{Dataset, Split};

/// The bytes at `path`, relative to the site root; any failure as a message to show.
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

/// The gzip-compressed (images, labels) files of `split` of `dataset`, fetched side by side.
pub async fn fetch_split_gz(dataset: Dataset, split: Split) -> Result<(Vec<u8>, Vec<u8>), String> {
    let (images, labels) = split.file_paths(dataset);
    let (images, labels) = futures::future::join(fetch_bytes(&images), fetch_bytes(&labels)).await;
    Ok((images?, labels?))
}
