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
