//! "Your data" as the page edits it: the user's set (drawings and images, with class names),
//! the class new drawings go to, undo, and what the last import said. Plain Rust; the page's
//! state (`state/own.rs`) wires it to the model and the train worker.

use std::rc::Rc;

use crate::data::dataset_file;
use crate::data::drawing::to_mnist;
use crate::data::own::{
    classes_of_paths, prepare_rgba, to_bytes, OwnError, OwnSet, Polarity, MAX_CLASSES,
};

/// The browser's storage key of the set.
pub const STORE_KEY: &str = "dataset-own";
/// Undo goes back this many edits.
const UNDO_DEPTH: usize = 50;
/// Files whose problems are listed one by one; the rest are counted.
const LISTED_PROBLEMS: usize = 5;

/// An image file the browser decoded (to RGBA, at most `own::MAX_SIDE` on a side), or why not.
#[derive(Debug, Clone, PartialEq)]
pub struct PickedImage {
    /// The name, or the path below the picked folder (`folder/class/file.png`).
    pub path: String,
    pub decoded: Result<(Vec<u8>, usize, usize), String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OwnData {
    /// Shared with the views, which redraw thumbnails only when it is a new one.
    set: Rc<OwnSet>,
    /// Counts edits, so views and the page know when the set changed.
    version: u64,
    /// The class new drawings and single files go to.
    pub class: usize,
    pub polarity: Polarity,
    /// The sets before each edit, latest last.
    undo: Vec<Rc<OwnSet>>,
    /// What the last import or edit said (files skipped, a refused file).
    pub message: Option<String>,
    /// The pad's current drawing (grey levels on a side×side raster).
    pad: Option<(Rc<Vec<f32>>, usize)>,
    /// Bumped to clear the pad after a drawing was added.
    pub pad_clears: u64,
    /// How long the last files took, measured by the page.
    pub timing: Option<ImportTiming>,
}

/// The time files took: the browser's decoding, then the pipeline into the set (ms).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImportTiming {
    pub decode_ms: f64,
    pub pipeline_ms: f64,
    pub images: usize,
}

impl Default for OwnData {
    fn default() -> Self {
        Self {
            set: Rc::new(default_set()),
            version: 0,
            class: 0,
            polarity: Polarity::Auto,
            undo: Vec::new(),
            message: None,
            pad: None,
            pad_clears: 0,
            timing: None,
        }
    }
}

/// Three classes, "A", "B", "C", no images: where drawing starts.
fn default_set() -> OwnSet {
    let names = ["A", "B", "C"].map(String::from);
    // Three valid names always make a set.
    OwnSet::new(&names).unwrap_or_else(|_| unreachable!("three valid class names"))
}

impl OwnData {
    pub fn set(&self) -> &OwnSet {
        &self.set
    }

    pub fn shared(&self) -> Rc<OwnSet> {
        self.set.clone()
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// The set as a dataset file.
    pub fn file(&self) -> Vec<u8> {
        dataset_file::encode(&self.set)
    }

    /// The name the set downloads under.
    pub fn file_name(&self) -> String {
        format!("my-data-{}.{}", self.set.len(), dataset_file::EXTENSION)
    }

    /// Make an edit on a copy; keep it (and an undo step) if it worked, else say why.
    fn edit(&mut self, f: impl FnOnce(&mut OwnSet) -> Result<(), OwnError>) -> bool {
        let mut next = (*self.set).clone();
        match f(&mut next) {
            Ok(()) => {
                let before = std::mem::replace(&mut self.set, Rc::new(next));
                self.undo.push(before);
                if self.undo.len() > UNDO_DEPTH {
                    self.undo.remove(0);
                }
                self.version += 1;
                self.class = self.class.min(self.set.names().len() - 1);
                true
            }
            Err(e) => {
                self.message = Some(e.to_string());
                false
            }
        }
    }

    pub fn pad_drawn(&mut self, ink: Option<(Rc<Vec<f32>>, usize)>) {
        self.pad = ink;
    }

    pub fn has_drawing(&self) -> bool {
        self.pad.is_some()
    }

    /// The pad's drawing into the current class; the pad clears. Whether it was added.
    pub fn add_drawing(&mut self) -> bool {
        let Some(image) = self
            .pad
            .as_ref()
            .and_then(|(ink, side)| to_mnist(ink, *side))
        else {
            return false;
        };
        let class = self.class;
        if self.edit(|set| set.push(&to_bytes(&image), class)) {
            self.pad = None;
            self.pad_clears += 1;
            self.message = None;
            return true;
        }
        false
    }

    pub fn pick_class(&mut self, class: usize) {
        if class < self.set.names().len() {
            self.class = class;
        }
    }

    pub fn rename(&mut self, class: usize, name: &str) -> bool {
        self.edit(|set| set.rename(class, name))
    }

    /// A new class ("D", "E", …), picked for the next drawings.
    pub fn add_class(&mut self) -> bool {
        let n = self.set.names().len();
        let name = char::from(b'A' + (n.min(MAX_CLASSES) as u8)).to_string();
        if self.edit(|set| set.add_class(&name).map(|_| ())) {
            self.class = n;
            return true;
        }
        false
    }

    pub fn remove(&mut self, index: usize) -> bool {
        index < self.set.len()
            && self.edit(|set| {
                set.remove(index);
                Ok(())
            })
    }

    pub fn undo(&mut self) -> bool {
        let Some(before) = self.undo.pop() else {
            return false;
        };
        self.set = before;
        self.version += 1;
        self.class = self.class.min(self.set.names().len() - 1);
        true
    }

    /// Every image out, the classes kept (undoable).
    pub fn clear(&mut self) -> bool {
        let names = self.set.names().to_vec();
        self.edit(|set| {
            *set = OwnSet::new(&names)?;
            Ok(())
        })
    }

    /// The set this browser kept, as it was (not an edit).
    pub fn restore(&mut self, set: OwnSet) {
        self.set = Rc::new(set);
        self.version += 1;
        self.class = 0;
    }

    /// A whole set in place of this one (a dataset file): undoable.
    pub fn replace(&mut self, set: OwnSet) {
        self.edit(|s| {
            *s = set;
            Ok(())
        });
    }

    /// Decoded files in: from a folder, its sub-folders are the classes (a new set, as the
    /// folder says); single files go to the current class. Each image goes through the
    /// pipeline; what failed is listed. Whether anything was added.
    pub fn add_files(&mut self, files: Vec<PickedImage>, folder: bool) -> bool {
        if files.is_empty() {
            self.message = Some("No files were chosen (an empty folder?).".into());
            return false;
        }
        let mut problems = Vec::new();
        let mut good = Vec::new();
        let mut inverted = 0;
        for file in files {
            let prepared = file.decoded.and_then(|(rgba, w, h)| {
                prepare_rgba(&rgba, w, h, self.polarity).map_err(|e| e.to_string())
            });
            match prepared {
                Ok(p) => {
                    inverted += usize::from(p.inverted);
                    good.push((file.path, p.pixels));
                }
                Err(why) => problems.push(format!("{}: {why}", file.path)),
            }
        }
        let added = good.len();
        let ok = if good.is_empty() {
            false
        } else if folder {
            let paths: Vec<String> = good.iter().map(|(p, _)| p.clone()).collect();
            self.edit(|set| {
                let (names, classes) = classes_of_paths(&paths)?;
                let mut fresh = OwnSet::new(&names)?;
                for ((_, pixels), class) in good.iter().zip(classes) {
                    fresh.push(pixels, class)?;
                }
                *set = fresh;
                Ok(())
            })
        } else {
            let class = self.class;
            self.edit(|set| {
                for (_, pixels) in &good {
                    set.push(pixels, class)?;
                }
                Ok(())
            })
        };
        if !ok && added > 0 {
            // `edit` said why (too many images or classes); nothing was added.
            return false;
        }
        let mut message = format!(
            "Added {added} image{}{}.",
            if added == 1 { "" } else { "s" },
            if inverted > 0 {
                format!(" ({inverted} taken as dark-on-light and inverted)")
            } else {
                String::new()
            }
        );
        if !problems.is_empty() {
            message.push_str(&format!(
                " Skipped {}: {}",
                problems.len(),
                problems[..problems.len().min(LISTED_PROBLEMS)].join("; ")
            ));
            if problems.len() > LISTED_PROBLEMS {
                message.push_str(&format!("; and {} more", problems.len() - LISTED_PROBLEMS));
            }
            message.push('.');
        }
        self.message = Some(message);
        ok
    }

    /// A dataset file in place of the set; a bad file is refused and the set stays.
    pub fn import(&mut self, bytes: &[u8]) -> Result<(), String> {
        match dataset_file::decode(bytes) {
            Ok(set) => {
                let n = set.len();
                self.replace(set);
                self.message = Some(format!("Loaded a dataset file of {n} images."));
                Ok(())
            }
            Err(e) => {
                let text =
                    format!("That dataset file could not be used: {e}. Your set is unchanged.");
                self.message = Some(text.clone());
                Err(text)
            }
        }
    }
}

/// Where `?dataset=url:…` may load from: only this page's own origin. `url` is a path relative
/// to the page, or an absolute URL on `origin`; anything else (another origin, a scheme such as
/// `data:` or `javascript:`, a protocol-relative `//host`) is refused with why.
pub fn same_origin_url(url: &str, origin: &str) -> Result<String, String> {
    let refuse = || Err("only a dataset file on this site itself can be loaded".to_string());
    if url.is_empty() || url.contains('\\') || url.chars().any(char::is_control) {
        return refuse();
    }
    if let Some(rest) = url.strip_prefix(origin).filter(|_| !origin.is_empty()) {
        return if rest.starts_with('/') {
            Ok(url.to_string())
        } else {
            refuse()
        };
    }
    let scheme = url
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|first| first.contains(':'));
    if scheme || url.starts_with("//") {
        return refuse();
    }
    Ok(url.to_string())
}

/// Each class's points on the map: its label, mean (z₁, z₂) and spread (the root mean square
/// distance of its points from that mean), for classes with points. `means` holds (z₁, z₂)
/// pairs, `labels` their classes.
pub fn class_centres(means: &[f32], labels: &[u8]) -> Vec<(u8, [f64; 2], f64)> {
    let mut sums: Vec<(u8, Vec<[f64; 2]>)> = Vec::new();
    for (point, &label) in means.chunks_exact(2).zip(labels) {
        let p = [f64::from(point[0]), f64::from(point[1])];
        match sums.iter_mut().find(|(l, _)| *l == label) {
            Some((_, points)) => points.push(p),
            None => sums.push((label, vec![p])),
        }
    }
    sums.sort_by_key(|(l, _)| *l);
    sums.into_iter()
        .map(|(label, points)| {
            let n = points.len() as f64;
            let mean = [
                points.iter().map(|p| p[0]).sum::<f64>() / n,
                points.iter().map(|p| p[1]).sum::<f64>() / n,
            ];
            let spread = (points
                .iter()
                .map(|p| (p[0] - mean[0]).powi(2) + (p[1] - mean[1]).powi(2))
                .sum::<f64>()
                / n)
                .sqrt();
            (label, mean, spread)
        })
        .collect()
}
