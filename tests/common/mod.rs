//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use vae_playground::data::{Dataset, Digits, Split};

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("www/data")
}

pub fn weights_path(dataset: Dataset) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("www/weights/{}.vaew", dataset.key()))
}

pub fn load(dataset: Dataset, split: Split) -> Digits {
    Digits::load(&data_dir(), dataset, split).expect("shipped data loads")
}

pub fn clock() -> f64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Largest difference relative to the largest magnitude of `want`.
pub fn relative_error(got: &[f32], want: &[f32]) -> f32 {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
    got.iter()
        .zip(want)
        .fold(0.0f32, |m, (g, w)| m.max((g - w).abs()))
        / scale
}
