//! Digit (MNIST) and clothing (Fashion-MNIST) images, binarised MNIST, and drawings turned into
//! such images.
//!
//! Files are the official bytes without IDX headers, gzip-compressed, as shipped in `www/data`:
//! `{dataset}-{split}-images.u8.gz` (N x 784 bytes, 0 = background, 255 = ink) and
//! `{dataset}-{split}-labels.u8.gz` (N bytes, 0..9). Binarised MNIST has no files of its own: it
//! is MNIST's, binarised by [`Digits::prepared`] (see [`binarise`]).

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub mod dataset_file;
pub mod drawing;
#[cfg(not(target_arch = "wasm32"))]
pub mod image_folder;
pub mod own;

/// Pixels per image.
pub const PIXELS: usize = 28 * 28;

#[derive(Debug, Error)]
pub enum DataError {
    #[error("could not decompress {what}: {source}")]
    Gzip {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("image file holds {bytes} bytes, not a whole number of 28x28 images")]
    RaggedImages { bytes: usize },
    #[error("{images} images but {labels} labels")]
    CountMismatch { images: usize, labels: usize },
    #[error("label {label} at index {index} is not a class 0..9")]
    BadLabel { index: usize, label: u8 },
    #[error("could not read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Which collection of images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dataset {
    Mnist,
    Fashion,
    /// MNIST with each pixel drawn as Bernoulli(grey level): training images afresh each epoch
    /// (dynamic binarisation), the test split once with [`BINARISED_TEST_SEED`].
    #[serde(rename = "mnist-bin")]
    MnistBin,
    /// The user's own images ([`own`]): no files, no pretrained model; class names live with
    /// the set.
    Own,
}

/// The seed of binarised MNIST's test split: fixed, so its ln p(x) compares across models.
pub const BINARISED_TEST_SEED: u64 = 0x4249_4E54_4553_5400; // "BINTEST"

impl Dataset {
    /// The built-in sets, which ship files and a pretrained model.
    pub const ALL: [Dataset; 3] = [Dataset::Mnist, Dataset::Fashion, Dataset::MnistBin];

    /// URL value, CLI value and the stem of its weights' file names.
    pub fn key(self) -> &'static str {
        match self {
            Dataset::Mnist => "mnist",
            Dataset::Fashion => "fashion",
            Dataset::MnistBin => "mnist-bin",
            Dataset::Own => "own",
        }
    }

    /// The dataset whose data files this one reads.
    pub fn files(self) -> Dataset {
        match self {
            Dataset::MnistBin => Dataset::Mnist,
            other => other,
        }
    }

    /// Whether its images are binary (pixels 0 or 1).
    pub fn is_binarised(self) -> bool {
        self == Dataset::MnistBin
    }

    /// The dataset a URL or CLI value names: a built-in one, or `own`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain([Dataset::Own])
            .find(|d| d.key() == key)
    }

    pub fn title(self) -> &'static str {
        match self {
            Dataset::Mnist => "MNIST digits",
            Dataset::Fashion => "Fashion-MNIST",
            Dataset::MnistBin => "MNIST, binarised",
            Dataset::Own => "Your data",
        }
    }

    /// The classes' names (a user's set names its own; these are its placeholders).
    pub fn class_names(self) -> [&'static str; 10] {
        match self {
            Dataset::Mnist | Dataset::MnistBin | Dataset::Own => {
                ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
            }
            Dataset::Fashion => [
                "T-shirt/top",
                "Trouser",
                "Pullover",
                "Dress",
                "Coat",
                "Sandal",
                "Shirt",
                "Sneaker",
                "Bag",
                "Ankle boot",
            ],
        }
    }

    /// Credit line for where the data is shown.
    pub fn attribution(self) -> &'static str {
        match self {
            Dataset::Mnist | Dataset::MnistBin => "MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, derived from NIST data; CC BY-SA 3.0",
            Dataset::Fashion => "Fashion-MNIST by Zalando Research; MIT licence",
            Dataset::Own => "Your own images",
        }
    }
}

/// Which part of a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// The first 10,000 training images: the page's default training set.
    Train10k,
    /// All 60,000 training images.
    Train,
    /// The 10,000 test images, for evaluation and the latent map.
    Test,
}

impl Split {
    pub fn key(self) -> &'static str {
        match self {
            Split::Train10k => "train10k",
            Split::Train => "train",
            Split::Test => "test",
        }
    }

    /// The (images, labels) file names of this split, relative to `www/data` (binarised MNIST
    /// reads MNIST's).
    pub fn file_names(self, dataset: Dataset) -> (String, String) {
        let stem = format!("{}-{}", dataset.files().key(), self.key());
        (
            format!("{stem}-images.u8.gz"),
            format!("{stem}-labels.u8.gz"),
        )
    }

    /// The (images, labels) files of this split, relative to the site root (`www/`):
    /// [`Split::file_names`] under `data/`.
    pub fn file_paths(self, dataset: Dataset) -> (String, String) {
        let (images, labels) = self.file_names(dataset);
        (format!("data/{images}"), format!("data/{labels}"))
    }
}

/// A set of 28x28 grey images with their class labels, kept as bytes (4x smaller than f32).
#[derive(Debug, Clone)]
pub struct Digits {
    images: Vec<u8>,
    labels: Vec<u8>,
    /// Training batches are binarised afresh each epoch ([`Digits::training_batch`]).
    dynamic_binarisation: bool,
}

impl Digits {
    /// From raw (uncompressed) bytes, validated.
    pub fn from_raw(images: Vec<u8>, labels: Vec<u8>) -> Result<Self, DataError> {
        if !images.len().is_multiple_of(PIXELS) {
            return Err(DataError::RaggedImages {
                bytes: images.len(),
            });
        }
        if images.len() / PIXELS != labels.len() {
            return Err(DataError::CountMismatch {
                images: images.len() / PIXELS,
                labels: labels.len(),
            });
        }
        if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l > 9) {
            return Err(DataError::BadLabel { index, label });
        }
        Ok(Self {
            images,
            labels,
            dynamic_binarisation: false,
        })
    }

    /// The split as `dataset` uses it: for binarised MNIST the test split binarised once with
    /// [`BINARISED_TEST_SEED`], the training splits marked for dynamic binarisation. Every
    /// loader (native and in the browser) goes through here.
    pub fn prepared(self, dataset: Dataset, split: Split) -> Self {
        match (dataset.is_binarised(), split) {
            (false, _) => self,
            (true, Split::Test) => self.binarised(BINARISED_TEST_SEED, 0),
            (true, Split::Train | Split::Train10k) => Self {
                dynamic_binarisation: true,
                ..self
            },
        }
    }

    /// Every image drawn once as binary ([`binarise`] with `seed` and `epoch`): pixels 0 or 255.
    pub fn binarised(&self, seed: u64, epoch: u64) -> Self {
        let images = (0..self.len())
            .flat_map(|i| binarise(self.image(i), seed, epoch, i as u64))
            .map(|bit| if bit { 255 } else { 0 })
            .collect();
        Self {
            images,
            labels: self.labels.clone(),
            dynamic_binarisation: false,
        }
    }

    /// Whether training batches are binarised afresh each epoch.
    pub fn binarises_dynamically(&self) -> bool {
        self.dynamic_binarisation
    }

    /// From the gzip-compressed files as shipped. (The page's own module lets the browser
    /// decompress instead, so it carries no inflater.)
    pub fn from_gz(images_gz: &[u8], labels_gz: &[u8]) -> Result<Self, DataError> {
        Self::from_raw(gunzip(images_gz, "images")?, gunzip(labels_gz, "labels")?)
    }

    /// Read a split from a directory laid out like `www/data`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load(dir: &std::path::Path, dataset: Dataset, split: Split) -> Result<Self, DataError> {
        let (images, labels) = split.file_names(dataset);
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| DataError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        Ok(Self::from_gz(&read(&images)?, &read(&labels)?)?.prepared(dataset, split))
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// `n` black images labelled 0: what a throwaway trainer takes a step on.
    pub fn blank(n: usize) -> Self {
        Self {
            images: vec![0; n * PIXELS],
            labels: vec![0; n],
            dynamic_binarisation: false,
        }
    }

    /// The first `n` images (or all, if fewer).
    pub fn take(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self {
            images: self.images[..n * PIXELS].to_vec(),
            labels: self.labels[..n].to_vec(),
            dynamic_binarisation: self.dynamic_binarisation,
        }
    }

    pub fn image(&self, index: usize) -> &[u8] {
        &self.images[index * PIXELS..(index + 1) * PIXELS]
    }

    pub fn label(&self, index: usize) -> u8 {
        self.labels[index]
    }

    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// Image `index` as pixels in [0, 1].
    pub fn image_f32(&self, index: usize) -> Vec<f32> {
        self.image(index).iter().map(|&p| to_unit(p)).collect()
    }

    /// The images at `indices` as a `[n, 784]` tensor of grey levels in [0, 1].
    pub fn batch<B: Backend>(&self, indices: &[usize], device: &B::Device) -> Tensor<B, 2> {
        let mut pixels = Vec::with_capacity(indices.len() * PIXELS);
        for &i in indices {
            pixels.extend(self.image(i).iter().map(|&p| to_unit(p)));
        }
        Tensor::from_data(TensorData::new(pixels, [indices.len(), PIXELS]), device)
    }

    /// What training sees at `epoch`: [`Digits::batch`], or, with dynamic binarisation, each
    /// image drawn as binary afresh ([`binarise`] with `seed`, `epoch` and the image's index, so
    /// the draw does not depend on the order batches come in).
    pub fn training_batch<B: Backend>(
        &self,
        indices: &[usize],
        seed: u64,
        epoch: u64,
        device: &B::Device,
    ) -> Tensor<B, 2> {
        let pixels = self.training_pixels(indices, seed, epoch);
        Tensor::from_data(TensorData::new(pixels, [indices.len(), PIXELS]), device)
    }

    /// [`Digits::training_batch`] as host floats, row after row: what a gradient worker is sent.
    pub fn training_pixels(&self, indices: &[usize], seed: u64, epoch: u64) -> Vec<f32> {
        let mut pixels = Vec::with_capacity(indices.len() * PIXELS);
        for &i in indices {
            if self.dynamic_binarisation {
                let bits = binarise(self.image(i), seed, epoch, i as u64);
                pixels.extend(bits.map(|bit| if bit { 1.0f32 } else { 0.0 }));
            } else {
                pixels.extend(self.image(i).iter().map(|&p| to_unit(p)));
            }
        }
        pixels
    }
}

/// One draw of a binary image from grey `image`: pixel j is 1 with probability image[j] / 255.
/// The uniforms come from a SplitMix64 stream keyed by (seed, epoch, index), a counter-based
/// draw: any image of any epoch can be drawn alone, in any order, and comes out the same. (This
/// layer sits below `vae::rng`, so it keeps its own few lines of SplitMix64.)
pub fn binarise(
    image: &[u8],
    seed: u64,
    epoch: u64,
    index: u64,
) -> impl Iterator<Item = bool> + '_ {
    let mut state = mix(mix(mix(seed) ^ epoch) ^ index);
    image.iter().map(move |&p| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let u = (mix(state) >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        u * 255.0 < p as f64
    })
}

/// SplitMix64's finaliser: a bijection of u64 that scatters nearby inputs.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn to_unit(p: u8) -> f32 {
    p as f32 / 255.0
}

fn gunzip(bytes: &[u8], what: &'static str) -> Result<Vec<u8>, DataError> {
    use std::io::Read;
    let mut out = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|source| DataError::Gzip { what, source })?;
    Ok(out)
}
