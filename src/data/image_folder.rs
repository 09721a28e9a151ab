//! A folder of image files as a set (native only: the `image` crate decodes; the page lets the
//! browser decode instead). Sub-folder names are the classes ([`classes_of_paths`]); each file
//! goes through [`prepare_rgba`]. Files that are not images, or that do not decode, are skipped
//! and listed with why; a folder with no image at all is an error.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::own::{
    classes_of_paths, prepare_rgba, OwnError, OwnSet, Polarity, MAX_IMAGES, MAX_SIDE,
};

#[derive(Debug, Error)]
pub enum FolderError {
    #[error("could not read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("no image files in {0}")]
    NoImages(String),
    #[error("{found} files in {path}: a set holds at most {max} images")]
    TooMany {
        path: String,
        found: usize,
        max: usize,
    },
    #[error(transparent)]
    Set(#[from] OwnError),
}

/// A file left out, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub path: String,
    pub why: String,
}

/// What [`read_folder`] found.
#[derive(Debug)]
pub struct FolderSet {
    pub set: OwnSet,
    pub skipped: Vec<Skipped>,
    /// How many images were inverted (taken as dark-on-light).
    pub inverted: usize,
}

/// Every file under `dir` (sub-folders as classes), through the pipeline.
pub fn read_folder(dir: &Path, polarity: Polarity) -> Result<FolderSet, FolderError> {
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    if files.len() > MAX_IMAGES {
        return Err(FolderError::TooMany {
            path: dir.display().to_string(),
            found: files.len(),
            max: MAX_IMAGES,
        });
    }
    let root = dir
        .file_name()
        .map_or_else(|| "images".into(), |n| n.to_string_lossy().into_owned());
    let relative: Vec<String> = files
        .iter()
        .map(|f| {
            let inner = f.strip_prefix(dir).unwrap_or(f);
            let parts: Vec<String> = inner
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            format!("{root}/{}", parts.join("/"))
        })
        .collect();
    let mut decoded = Vec::new();
    let mut skipped = Vec::new();
    for (file, path) in files.iter().zip(&relative) {
        match decode_file(file, polarity) {
            Ok(prepared) => decoded.push((path.clone(), prepared)),
            Err(why) => skipped.push(Skipped {
                path: path.clone(),
                why,
            }),
        }
    }
    if decoded.is_empty() {
        return Err(FolderError::NoImages(dir.display().to_string()));
    }
    let paths: Vec<String> = decoded.iter().map(|(p, _)| p.clone()).collect();
    let (names, classes) = classes_of_paths(&paths)?;
    let mut set = OwnSet::new(&names)?;
    let mut inverted = 0;
    for ((_, prepared), class) in decoded.iter().zip(classes) {
        set.push(&prepared.pixels, class)?;
        inverted += usize::from(prepared.inverted);
    }
    Ok(FolderSet {
        set,
        skipped,
        inverted,
    })
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), FolderError> {
    let io = |source| FolderError::Io {
        path: dir.display().to_string(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
        if files.len() > MAX_IMAGES {
            break;
        }
    }
    Ok(())
}

/// One file decoded (at most [`MAX_SIDE`] on a side) and through the pipeline.
pub fn decode_file(path: &Path, polarity: Polarity) -> Result<super::own::Prepared, String> {
    let mut reader = image::ImageReader::open(path)
        .map_err(|e| e.to_string())?
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    if reader.format().is_none() {
        return Err("not an image file this tool reads (PNG, JPEG, GIF, WebP, BMP)".into());
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE as u32);
    limits.max_image_height = Some(MAX_SIDE as u32);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            format!("larger than {MAX_SIDE}x{MAX_SIDE} pixels, the most an image may be")
        }
        other => other.to_string(),
    })?;
    let rgba = image.to_rgba8();
    let (w, h) = (rgba.width() as usize, rgba.height() as usize);
    prepare_rgba(rgba.as_raw(), w, h, polarity).map_err(|e| e.to_string())
}
