//! Your own data: any image turned into an MNIST-style 28×28 image, and a set of them with your
//! class names, split into training and test images.
//!
//! The pipeline ([`prepare_rgba`]) is the one for drawings ([`super::drawing::to_mnist_rect`])
//! with two steps in front, for images that were not drawn on the pad:
//! 1. *Ink.* An image with any transparency takes its alpha as ink (a glyph on a transparent
//!    background, whatever its colour). Otherwise the grey level (ITU-R 601 luma) is the ink, and
//!    its polarity decides which way: MNIST is light ink on black, so a dark-on-light image
//!    (a scan, a photo of paper) is inverted. [`Polarity::Auto`] calls it dark-on-light when the
//!    median of the border pixels is above half grey.
//! 2. *Background.* The border's median (after any inversion) is taken as the background level
//!    and mapped to 0 (grey paper is not ink), and what is left under [`INK_FLOOR`] is dropped, so
//!    compression noise does not widen the ink's box.
//!
//! Then the drawing's steps: the ink's box scaled to 20×20 keeping its aspect, the centre of mass
//! moved to pixel (14, 14).

use thiserror::Error;

use super::drawing::to_mnist_rect;
use super::{mix, DataError, Digits, PIXELS};

/// The most images a set holds.
pub const MAX_IMAGES: usize = 10_000;
/// The most classes a set has (the map's legend colours ten).
pub const MAX_CLASSES: usize = 10;
/// The longest class name, in characters.
pub const MAX_NAME_CHARS: usize = 32;
/// The largest width or height of an image decoded for the pipeline, in pixels.
pub const MAX_SIDE: usize = 4096;
/// Ink below this (on 0..1, after the background is taken away) counts as none.
pub const INK_FLOOR: f32 = 0.1;
/// The share of each class kept for testing (at least one image where a class has two).
pub const TEST_SHARE: f64 = 0.2;

/// Which way an image's ink runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Polarity {
    /// Dark-on-light when the border is light (inverted), else light-on-dark.
    #[default]
    Auto,
    /// Light ink on a dark background, as MNIST: taken as it is.
    LightOnDark,
    /// Dark ink on a light background: inverted.
    DarkOnLight,
}

impl Polarity {
    pub const ALL: [Polarity; 3] = [Polarity::Auto, Polarity::LightOnDark, Polarity::DarkOnLight];

    pub fn key(self) -> &'static str {
        match self {
            Polarity::Auto => "auto",
            Polarity::LightOnDark => "light-on-dark",
            Polarity::DarkOnLight => "dark-on-light",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }
}

#[derive(Debug, Error, PartialEq)]
pub enum OwnError {
    #[error("the image is {width}x{height} pixels; images may be at most {max}x{max}")]
    TooLarge {
        width: usize,
        height: usize,
        max: usize,
    },
    #[error("{bytes} bytes are not a {width}x{height} RGBA image")]
    BadBuffer {
        bytes: usize,
        width: usize,
        height: usize,
    },
    #[error("the image has no ink: it is all one shade")]
    NoInk,
    #[error("the set is full: it holds at most {max} images")]
    Full { max: usize },
    #[error("there is no class {class} (the set has {classes})")]
    NoSuchClass { class: usize, classes: usize },
    #[error("a set has at most {max} classes; {found} were given")]
    TooManyClasses { found: usize, max: usize },
    #[error("a set needs at least one class")]
    NoClasses,
    #[error("class name {name:?} is not allowed: {why}")]
    BadName { name: String, why: &'static str },
    #[error("{images} images are too few to split: at least two of one class are needed, one to test on")]
    TooSmall { images: usize },
    /// The images or labels do not fit together ([`DataError`], as text).
    #[error("{0}")]
    Data(String),
}

impl From<DataError> for OwnError {
    fn from(e: DataError) -> Self {
        OwnError::Data(e.to_string())
    }
}

/// One image through the pipeline: its 28×28 bytes (0 = background, 255 = ink), and whether
/// it was inverted (taken as dark-on-light).
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub pixels: Vec<u8>,
    pub inverted: bool,
}

/// An RGBA image (`width`×`height`, row-major, 4 bytes a pixel, as a canvas's `ImageData` and
/// the `image` crate's `RgbaImage` hold it) turned into an MNIST-style 28×28 image.
pub fn prepare_rgba(
    rgba: &[u8],
    width: usize,
    height: usize,
    polarity: Polarity,
) -> Result<Prepared, OwnError> {
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(OwnError::TooLarge {
            width,
            height,
            max: MAX_SIDE,
        });
    }
    if width == 0 || height == 0 || rgba.len() != width * height * 4 {
        return Err(OwnError::BadBuffer {
            bytes: rgba.len(),
            width,
            height,
        });
    }
    let (ink, inverted) = ink(rgba, width, height, polarity);
    let pixels = to_mnist_rect(&ink, width, height).ok_or(OwnError::NoInk)?;
    Ok(Prepared {
        pixels: pixels.iter().map(|&v| to_byte(v)).collect(),
        inverted,
    })
}

/// A drawing's grey levels in [0, 1] as the bytes a set keeps.
pub fn to_bytes(image: &[f32]) -> Vec<u8> {
    image.iter().map(|&v| to_byte(v)).collect()
}

fn to_byte(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// Ink in [0, 1] per pixel, and whether the grey levels were inverted (steps 1 and 2 above).
fn ink(rgba: &[u8], width: usize, height: usize, polarity: Polarity) -> (Vec<f32>, bool) {
    let pixels = rgba.chunks_exact(4);
    let (mut grey, inverted) = if rgba.chunks_exact(4).any(|p| p[3] < 255) {
        (pixels.map(|p| f32::from(p[3]) / 255.0).collect(), false)
    } else {
        let mut grey: Vec<f32> = pixels
            .map(|p| {
                (0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
                    / 255.0
            })
            .collect();
        let inverted = match polarity {
            Polarity::Auto => border_median(&grey, width, height) > 0.5,
            Polarity::LightOnDark => false,
            Polarity::DarkOnLight => true,
        };
        if inverted {
            grey.iter_mut().for_each(|v| *v = 1.0 - *v);
        }
        (grey, inverted)
    };
    let background = border_median(&grey, width, height);
    let span = 1.0 - background;
    for v in &mut grey {
        let above = if span > 1e-6 {
            ((*v - background) / span).clamp(0.0, 1.0)
        } else {
            0.0
        };
        *v = if above < INK_FLOOR { 0.0 } else { above };
    }
    (grey, inverted)
}

/// The median of the outermost ring of pixels.
fn border_median(grey: &[f32], width: usize, height: usize) -> f32 {
    let mut ring: Vec<f32> = (0..width)
        .flat_map(|x| [grey[x], grey[(height - 1) * width + x]])
        .chain((0..height).flat_map(|y| [grey[y * width], grey[y * width + width - 1]]))
        .collect();
    ring.sort_by(f32::total_cmp);
    ring[ring.len() / 2]
}

/// A checked class name: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no control characters.
pub fn class_name(name: &str) -> Result<String, OwnError> {
    let trimmed = name.trim();
    let bad = |why| OwnError::BadName {
        name: name.chars().take(MAX_NAME_CHARS).collect(),
        why,
    };
    if trimmed.is_empty() {
        return Err(bad("it is empty"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(bad("it is longer than 32 characters"));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(bad("it holds control characters"));
    }
    Ok(trimmed.to_string())
}

/// A user's set: 28×28 byte images, each with a class, and the classes' names.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnSet {
    names: Vec<String>,
    images: Vec<u8>,
    labels: Vec<u8>,
}

impl OwnSet {
    /// An empty set with these classes (1 to [`MAX_CLASSES`], each name checked).
    pub fn new(names: &[String]) -> Result<Self, OwnError> {
        if names.is_empty() {
            return Err(OwnError::NoClasses);
        }
        if names.len() > MAX_CLASSES {
            return Err(OwnError::TooManyClasses {
                found: names.len(),
                max: MAX_CLASSES,
            });
        }
        Ok(Self {
            names: names
                .iter()
                .map(|n| class_name(n))
                .collect::<Result<_, _>>()?,
            images: Vec::new(),
            labels: Vec::new(),
        })
    }

    /// A set from its parts (what a dataset file holds), checked.
    pub fn from_parts(
        names: &[String],
        images: Vec<u8>,
        labels: Vec<u8>,
    ) -> Result<Self, OwnError> {
        let mut set = Self::new(names)?;
        let digits = Digits::from_raw(images, labels)?;
        if digits.len() > MAX_IMAGES {
            return Err(OwnError::Full { max: MAX_IMAGES });
        }
        if let Some(&label) = digits
            .labels()
            .iter()
            .find(|&&l| usize::from(l) >= set.names.len())
        {
            return Err(OwnError::NoSuchClass {
                class: label.into(),
                classes: set.names.len(),
            });
        }
        set.labels = digits.labels().to_vec();
        set.images = (0..digits.len())
            .flat_map(|i| digits.image(i).to_vec())
            .collect();
        Ok(set)
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn images(&self) -> &[u8] {
        &self.images
    }

    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    pub fn image(&self, index: usize) -> &[u8] {
        &self.images[index * PIXELS..(index + 1) * PIXELS]
    }

    /// Images per class, in class order.
    pub fn counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.names.len()];
        for &l in &self.labels {
            counts[usize::from(l)] += 1;
        }
        counts
    }

    /// A new class at the end; its index.
    pub fn add_class(&mut self, name: &str) -> Result<usize, OwnError> {
        if self.names.len() >= MAX_CLASSES {
            return Err(OwnError::TooManyClasses {
                found: self.names.len() + 1,
                max: MAX_CLASSES,
            });
        }
        self.names.push(class_name(name)?);
        Ok(self.names.len() - 1)
    }

    pub fn rename(&mut self, class: usize, name: &str) -> Result<(), OwnError> {
        let checked = class_name(name)?;
        let classes = self.names.len();
        let slot = self
            .names
            .get_mut(class)
            .ok_or(OwnError::NoSuchClass { class, classes })?;
        *slot = checked;
        Ok(())
    }

    /// Add a 28×28 image (bytes) of `class` at the end.
    pub fn push(&mut self, image: &[u8], class: usize) -> Result<(), OwnError> {
        self.insert(self.len(), image, class)
    }

    /// Put an image back at `index` (an undone removal).
    pub fn insert(&mut self, index: usize, image: &[u8], class: usize) -> Result<(), OwnError> {
        if class >= self.names.len() {
            return Err(OwnError::NoSuchClass {
                class,
                classes: self.names.len(),
            });
        }
        if image.len() != PIXELS {
            return Err(DataError::RaggedImages { bytes: image.len() }.into());
        }
        if self.len() >= MAX_IMAGES {
            return Err(OwnError::Full { max: MAX_IMAGES });
        }
        let index = index.min(self.len());
        self.images
            .splice(index * PIXELS..index * PIXELS, image.iter().copied());
        self.labels.insert(index, class as u8);
        Ok(())
    }

    /// Take image `index` out: its bytes and class.
    pub fn remove(&mut self, index: usize) -> Option<(Vec<u8>, usize)> {
        if index >= self.len() {
            return None;
        }
        let image = self
            .images
            .drain(index * PIXELS..(index + 1) * PIXELS)
            .collect();
        Some((image, usize::from(self.labels.remove(index))))
    }

    /// Training and test images, split by `seed`: in each class of n images, round(n ×
    /// [`TEST_SHARE`]) test images, and at least one where n ≥ 2; a class of one trains only.
    /// Each split is in a seeded random order.
    pub fn split(&self, seed: u64) -> Result<(Digits, Digits), OwnError> {
        let mut train = Vec::new();
        let mut test = Vec::new();
        for class in 0..self.names.len() {
            let mut members: Vec<usize> = (0..self.len())
                .filter(|&i| usize::from(self.labels[i]) == class)
                .collect();
            shuffle(&mut members, mix(seed ^ class as u64));
            let n = members.len();
            let tests = if n >= 2 {
                ((n as f64 * TEST_SHARE).round() as usize).clamp(1, n - 1)
            } else {
                0
            };
            test.extend_from_slice(&members[..tests]);
            train.extend_from_slice(&members[tests..]);
        }
        if test.is_empty() || train.is_empty() {
            return Err(OwnError::TooSmall { images: self.len() });
        }
        shuffle(&mut train, mix(seed.wrapping_add(1)));
        shuffle(&mut test, mix(seed.wrapping_add(2)));
        Ok((self.digits(&train)?, self.digits(&test)?))
    }

    fn digits(&self, indices: &[usize]) -> Result<Digits, OwnError> {
        let images = indices
            .iter()
            .flat_map(|&i| self.image(i).to_vec())
            .collect();
        let labels = indices.iter().map(|&i| self.labels[i]).collect();
        Ok(Digits::from_raw(images, labels)?)
    }
}

/// Fisher–Yates with a SplitMix64 stream from `state`.
fn shuffle(items: &mut [usize], mut state: u64) {
    for i in (1..items.len()).rev() {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let j = (mix(state) % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

/// Files picked in a folder, grouped by class. Each path is `/`-separated and starts with the
/// picked folder's own name, as a browser's `webkitRelativePath` gives it (`set/cats/a.png`).
/// The first folder below the picked one names a file's class; files directly in it go to a
/// class named after it. Classes come sorted by name. Returns the names, and each path's class.
pub fn classes_of_paths(paths: &[String]) -> Result<(Vec<String>, Vec<usize>), OwnError> {
    let of_path: Vec<&str> = paths
        .iter()
        .map(|p| {
            let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
            match parts.as_slice() {
                [_, class, _, ..] => class,
                [root, _] => root,
                _ => "images",
            }
        })
        .collect();
    let mut names = of_path.clone();
    names.sort_unstable();
    names.dedup();
    if names.len() > MAX_CLASSES {
        return Err(OwnError::TooManyClasses {
            found: names.len(),
            max: MAX_CLASSES,
        });
    }
    let checked = names
        .iter()
        .map(|n| class_name(n))
        .collect::<Result<Vec<_>, _>>()?;
    let classes = of_path
        .iter()
        .map(|c| names.binary_search(c).unwrap_or(0))
        .collect();
    Ok((checked, classes))
}
