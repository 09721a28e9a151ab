//! "Your data" in the page's state (`PageState`), driven natively with a looped-back browser:
//! a real `TrainService` in place of the train worker, a map for browser storage and the
//! site's files. Drawing a set by class, files and folders, undo, keeping it, its file (and a
//! hostile one), `dataset=url:`, and training on it as the dataset on screen.

mod common;

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use pollster::block_on;
use vae_playground::data::dataset_file;
use vae_playground::data::own::OwnSet;
use vae_playground::data::{Dataset, PIXELS};
use vae_playground::page::effect::Effect;
use vae_playground::page::msg::{KeepMsg, LoadMsg, Msg, OwnMsg, RunsMsg, TrainMsg};
use vae_playground::page::own_data::{class_centres, same_origin_url, PickedImage};
use vae_playground::page::state::{Location, PageState};
use vae_playground::page::trainer_link::Phase;
use vae_playground::services::compute::Computer;
use vae_playground::services::train_service::{TrainCommand, TrainService};
use vae_playground::vae::weights;

const MAX_TURNS: usize = 400;
const ORIGIN: &str = "https://vae.test";

struct Browser {
    page: PageState,
    now: f64,
    queue: VecDeque<Msg>,
    worker: Option<TrainService>,
    /// Browser storage: the kept set.
    stored: Option<Vec<u8>>,
    /// The site's files, by the address asked for.
    site: HashMap<String, Vec<u8>>,
    fetched: Vec<String>,
    previews: Vec<Dataset>,
    sent: Vec<TrainCommand>,
    downloads: Vec<(String, Vec<u8>)>,
}

impl Browser {
    fn new(query: &str, stored: Option<Vec<u8>>) -> Self {
        let page = PageState::new(&Location {
            query: query.into(),
            origin: ORIGIN.into(),
            base_url: format!("{ORIGIN}/index.html"),
        });
        Self {
            page,
            now: 1000.0,
            queue: VecDeque::new(),
            worker: None,
            stored,
            site: HashMap::new(),
            fetched: Vec::new(),
            previews: Vec::new(),
            sent: Vec::new(),
            downloads: Vec::new(),
        }
    }

    /// The page started (no WebGPU) and settled.
    fn started(mut self) -> Self {
        self.send(Msg::Load(LoadMsg::GpuProbed(None)));
        self.settle();
        self
    }

    fn send(&mut self, msg: Msg) {
        self.queue.push_back(msg);
    }

    fn own(&mut self, msg: OwnMsg) {
        self.send(Msg::Own(msg));
        self.settle();
    }

    fn settle_with(&mut self, mut chunks: usize) {
        for _ in 0..MAX_TURNS {
            if let Some(msg) = self.queue.pop_front() {
                self.now += 10.0;
                self.page.update(msg, self.now);
                for effect in self.page.take_effects() {
                    self.carry_out(effect);
                }
                continue;
            }
            let busy = self.worker.as_ref().is_some_and(TrainService::busy);
            if !busy || chunks == 0 {
                return;
            }
            chunks -= 1;
            if let Some(out) = self.worker.as_mut().and_then(|w| block_on(w.chunk())) {
                self.send(Msg::Train(TrainMsg::Reported(
                    Box::new(out.event),
                    out.weights,
                )));
            }
        }
        panic!("the page did not settle in {MAX_TURNS} turns");
    }

    fn settle(&mut self) {
        self.settle_with(0);
    }

    fn carry_out(&mut self, effect: Effect) {
        match effect {
            // The built-in sets are page_state.rs's: here they are only asked for.
            Effect::FetchPreview(shipped) => self.previews.push(shipped.dataset),
            Effect::FetchModel { .. } => {}
            Effect::EncodeMap { model, test } => {
                let means = block_on(model.encode_means(&test)).map_err(|e| e.to_string());
                self.send(Msg::Load(LoadMsg::MapEncoded(means)));
            }
            Effect::After { msg, .. } => self.send(msg),
            Effect::StartTrainWorker => {
                self.worker = Some(TrainService::new(common::clock).without_webgpu());
            }
            Effect::StopTrainWorker => self.worker = None,
            Effect::Train(command, file) => {
                self.sent.push(command.clone());
                let Some(worker) = self.worker.as_mut() else {
                    return;
                };
                assert!(
                    !matches!(command, TrainCommand::Data { .. }),
                    "your data is sent, never fetched"
                );
                for out in block_on(worker.command(command, file.map(|f| f.to_vec()))) {
                    self.send(Msg::Train(TrainMsg::Reported(
                        Box::new(out.event),
                        out.weights,
                    )));
                }
            }
            Effect::Compute { request, model, .. } => {
                let reply = block_on(Computer::with_model(model).handle(request));
                self.send(Msg::Inspect(
                    vae_playground::page::msg::InspectMsg::ComputeReplied(reply),
                ));
            }
            Effect::Export {
                model,
                seed,
                provenance,
            } => {
                let bytes =
                    block_on(model.to_weights(seed, &provenance)).map_err(|e| e.to_string());
                self.send(Msg::Keep(KeepMsg::Exported(bytes)));
            }
            Effect::Download { name, bytes } => self.downloads.push((name, bytes)),
            Effect::KeepOwnSet(bytes) => {
                self.stored = bytes.map(|b| b.to_vec());
                self.send(Msg::Own(OwnMsg::Stored(Ok(()))));
            }
            Effect::RecallOwnSet => {
                self.send(Msg::Own(OwnMsg::Recalled(Ok(self.stored.clone()))));
            }
            Effect::FetchOwnSet(url) => {
                self.fetched.push(url.clone());
                let result = self.site.get(&url).cloned().ok_or("HTTP 404".to_string());
                self.send(Msg::Own(OwnMsg::Fetched(result)));
            }
            // The run list is page_state.rs's: none kept here.
            Effect::StoreRuns { .. } => self.send(Msg::Runs(RunsMsg::Stored(Ok(())))),
            Effect::RecallRuns { .. } => self.send(Msg::Runs(RunsMsg::Recalled(Ok(None)))),
            Effect::Remember { .. }
            | Effect::Forget { .. }
            | Effect::Copy { .. }
            | Effect::ReplaceQuery(_)
            | Effect::PostTo { .. }
            | Effect::PostToParent { .. }
            // No WebGPU adapter here, so no kernel choice.
            | Effect::RecallKernels { .. }
            | Effect::StoreKernels { .. } => {}
        }
    }
}

/// A pad's ink (64 x 64) of a shape: 0 a vertical bar, 1 a horizontal bar, 2 a ring; `k`
/// shifts it a little.
fn ink(shape: usize, k: usize) -> (Rc<Vec<f32>>, usize) {
    let side = 64;
    let mut ink = vec![0.0f32; side * side];
    let o = (k % 4) as i64 * 2 - 3;
    for y in 0..side as i64 {
        for x in 0..side as i64 {
            let (dx, dy) = (x - 32 - o, y - 32 + o);
            let on = match shape {
                0 => dx.abs() <= 2 && dy.abs() <= 20,
                1 => dy.abs() <= 2 && dx.abs() <= 20,
                _ => ((dx * dx + dy * dy) as f64).sqrt().round() as i64 / 3 == 6,
            };
            if on {
                ink[(y * side as i64 + x) as usize] = 1.0;
            }
        }
    }
    (Rc::new(ink), side)
}

/// Draw `per_class` examples of each of three shapes, one class each.
fn draw_set(b: &mut Browser, per_class: usize) {
    for class in 0..3 {
        b.own(OwnMsg::ClassPicked(class));
        for k in 0..per_class {
            b.own(OwnMsg::PadDrawn(Some(ink(class, k))));
            b.own(OwnMsg::AddClicked);
        }
    }
}

fn set_of(stored: &Option<Vec<u8>>) -> OwnSet {
    dataset_file::decode(stored.as_deref().expect("a kept set")).expect("a valid file")
}

#[test]
fn an_empty_set_asked_for_by_the_link_falls_back_to_mnist_and_says_why() {
    let b = Browser::new("?dataset=own", None).started();
    assert_eq!(b.page.view.dataset, Dataset::Mnist);
    assert_eq!(b.previews, [Dataset::Mnist]);
    let notice = b.page.notice.clone().unwrap_or_default();
    assert!(notice.contains("too few to split"), "{notice}");
}

#[test]
fn drawings_by_class_are_kept_and_train_as_the_dataset_on_screen() {
    let mut b = Browser::new("?dataset=own", None).started();
    b.own(OwnMsg::ClassRenamed(0, "bar".into()));
    b.own(OwnMsg::ClassRenamed(2, "ring".into()));
    draw_set(&mut b, 4);
    assert_eq!(b.page.own.set().counts(), [4, 4, 4]);
    assert_eq!(b.page.own.set().names(), ["bar", "B", "ring"]);
    // Kept in this browser after every edit.
    assert_eq!(&set_of(&b.stored), b.page.own.set());

    b.send(Msg::Load(LoadMsg::DatasetChosen(Dataset::Own)));
    b.settle();
    assert_eq!(b.page.view.dataset, Dataset::Own);
    assert!(b.page.ready());
    assert_eq!(*b.page.class_names(), ["bar", "B", "ring"]);
    // round(4 x 0.2) = 1 test image per class: the map's points.
    let test = b.page.test.clone().expect("the test split");
    assert_eq!(test.len(), 3);
    assert_eq!(b.page.means.len(), 2 * 3);
    let mut labels = b.page.map_labels.to_vec();
    labels.sort_unstable();
    assert_eq!(labels, [0, 1, 2]);
    // The worker got the set as a file, and a fresh trainer started on it (Reset's weights).
    assert!(b
        .sent
        .iter()
        .any(|c| matches!(c, TrainCommand::OwnData { seed: 0, .. })));
    assert!(b
        .sent
        .iter()
        .any(|c| matches!(c, TrainCommand::Start { fresh: Some(_), .. })));
    assert_eq!(b.page.link.phase(), &Phase::Ready);
    assert_eq!(b.page.link.images(), Some(9));

    b.send(Msg::Train(TrainMsg::StepClicked));
    b.settle_with(10);
    assert_eq!(b.page.readout.step, 1);

    // The model's file names the set and its classes.
    b.send(Msg::Keep(KeepMsg::DownloadClicked));
    b.settle();
    let (name, bytes) = b.downloads.last().expect("a download").clone();
    assert!(name.contains("own"), "{name}");
    let header = weights::header(&bytes).unwrap();
    assert_eq!(header.dataset, Some(Dataset::Own));
    assert_eq!(header.classes, ["bar", "B", "ring"]);
}

#[test]
fn a_changed_set_waits_for_reset_then_trains_afresh_on_it() {
    let mut b = Browser::new("", None);
    draw_set(&mut b, 3);
    b.send(Msg::Load(LoadMsg::DatasetChosen(Dataset::Own)));
    b.settle();
    assert_eq!(b.page.link.images(), Some(6));
    b.own(OwnMsg::PadDrawn(Some(ink(2, 5))));
    b.own(OwnMsg::AddClicked);
    assert!(b.page.status.contains("Reset"), "{}", b.page.status);
    assert_eq!(
        b.page.link.images(),
        Some(6),
        "training keeps its set until Reset"
    );
    b.send(Msg::Train(TrainMsg::ResetClicked));
    b.settle();
    assert_eq!(b.page.link.images(), Some(7));
    let own_data = b
        .sent
        .iter()
        .filter(|c| matches!(c, TrainCommand::OwnData { .. }))
        .count();
    assert_eq!(own_data, 2);
}

#[test]
fn remove_undo_and_clear_edit_the_kept_set() {
    let mut b = Browser::new("", None);
    draw_set(&mut b, 2);
    let full = b.page.own.set().clone();
    b.own(OwnMsg::Removed(3));
    assert_eq!(b.page.own.set().len(), 5);
    assert_eq!(set_of(&b.stored).len(), 5);
    b.own(OwnMsg::UndoClicked);
    assert_eq!(b.page.own.set(), &full);
    b.own(OwnMsg::ClearClicked);
    assert!(b.page.own.set().is_empty());
    assert_eq!(b.page.own.set().names(), full.names(), "the classes stay");
    assert_eq!(b.stored, None, "an empty set is forgotten");
    b.own(OwnMsg::UndoClicked);
    assert_eq!(b.page.own.set(), &full);
    // An empty pad adds nothing.
    b.own(OwnMsg::PadDrawn(None));
    b.own(OwnMsg::AddClicked);
    assert_eq!(b.page.own.set(), &full);
}

fn rgba_square(width: usize, height: usize, dark_on_light: bool) -> Vec<u8> {
    (0..width * height)
        .flat_map(|p| {
            let (x, y) = (p % width, p / width);
            let ink = x > width / 4 && x < width / 2 && y > height / 4 && y < 3 * height / 4;
            let v = if ink != dark_on_light { 255 } else { 0 };
            [v, v, v, 255]
        })
        .collect()
}

#[test]
fn a_folder_makes_classes_of_its_sub_folders_and_lists_what_it_skipped() {
    let mut b = Browser::new("", None);
    let file = |path: &str, dark: bool| PickedImage {
        path: path.into(),
        decoded: Ok((rgba_square(40, 30, dark), 40, 30)),
    };
    let files = vec![
        file("shapes/cats/a.png", true),
        file("shapes/dogs/b.jpg", false),
        file("shapes/cats/c.gif", false),
        PickedImage {
            path: "shapes/dogs/notes.txt".into(),
            decoded: Err("not an image this browser can decode".into()),
        },
        PickedImage {
            path: "shapes/cats/flat.png".into(),
            decoded: Ok((vec![128; 16 * 16 * 4], 16, 16)),
        },
    ];
    b.own(OwnMsg::FilesPicked {
        files,
        folder: true,
    });
    let set = b.page.own.set();
    assert_eq!(set.names(), ["cats", "dogs"]);
    assert_eq!(set.counts(), [2, 1]);
    // Both polarities give the same image.
    assert_eq!(set.image(0), set.image(1));
    let message = b.page.own.message.clone().unwrap_or_default();
    assert!(
        message.contains("Added 3 images (1 taken as dark-on-light"),
        "{message}"
    );
    assert!(
        message.contains("shapes/dogs/notes.txt: not an image"),
        "{message}"
    );
    assert!(
        message.contains("shapes/cats/flat.png: the image has no ink"),
        "{message}"
    );
    // Single files go to the picked class.
    b.own(OwnMsg::ClassPicked(1));
    b.own(OwnMsg::FilesPicked {
        files: vec![file("d.png", true)],
        folder: false,
    });
    assert_eq!(b.page.own.set().counts(), [2, 2]);
    // Nothing chosen (an empty folder) says so and changes nothing.
    b.own(OwnMsg::FilesPicked {
        files: vec![],
        folder: true,
    });
    assert_eq!(b.page.own.set().counts(), [2, 2]);
    assert!(b
        .page
        .own
        .message
        .clone()
        .unwrap_or_default()
        .contains("No files"));
}

#[test]
fn a_dataset_file_round_trips_and_a_hostile_one_changes_nothing() {
    let mut b = Browser::new("", None);
    draw_set(&mut b, 2);
    b.own(OwnMsg::ExportClicked);
    let (name, file) = b.downloads.last().expect("the set downloads").clone();
    assert!(name.ends_with(".vaed"), "{name}");
    let kept = b.page.own.set().clone();
    b.own(OwnMsg::ClearClicked);
    b.own(OwnMsg::FileChosen(Ok(Some(file.clone()))));
    assert_eq!(b.page.own.set(), &kept);

    let version = b.page.own.version();
    let mut flipped = file.clone();
    flipped[100] ^= 0x40;
    for hostile in [
        Vec::new(),
        b"not a dataset".to_vec(),
        flipped,
        file[..file.len() / 2].to_vec(),
    ] {
        b.own(OwnMsg::FileChosen(Ok(Some(hostile))));
        let message = b.page.own.message.clone().unwrap_or_default();
        assert!(
            message.contains("could not be used") && message.contains("unchanged"),
            "{message}"
        );
        assert_eq!(b.page.own.set(), &kept);
        assert_eq!(b.page.own.version(), version);
        assert_eq!(set_of(&b.stored), kept);
    }
}

#[test]
fn a_link_loads_a_dataset_file_of_this_site_only() {
    let mut set = OwnSet::new(&["x".to_string(), "y".to_string()]).unwrap();
    for i in 0..6 {
        let mut image = vec![0u8; PIXELS];
        image[100 + i * 20] = 255;
        set.push(&image, i % 2).unwrap();
    }
    let mut b = Browser::new("?dataset=url:sets/two.vaed", None);
    b.site
        .insert("sets/two.vaed".into(), dataset_file::encode(&set));
    let b = b.started();
    assert_eq!(b.fetched, ["sets/two.vaed"]);
    assert_eq!(b.page.view.dataset, Dataset::Own);
    assert_eq!(b.page.own.set(), &set);
    assert_eq!(set_of(&b.stored), set, "kept for the next visit");
    assert!(b.previews.is_empty());

    for url in [
        "https://evil.example/x.vaed",
        "//evil.example/x.vaed",
        "data:,x",
        "javascript:alert(1)",
    ] {
        let b = Browser::new(&format!("?dataset=url:{url}"), None).started();
        assert!(b.fetched.is_empty(), "{url} was fetched");
        assert_eq!(b.page.view.dataset, Dataset::Mnist);
        assert_eq!(b.previews, [Dataset::Mnist]);
        let notice = b.page.notice.clone().unwrap_or_default();
        assert!(
            notice.contains("only a dataset file on this site"),
            "{url}: {notice}"
        );
    }
    let b = Browser::new("?dataset=url:missing.vaed", None).started();
    assert_eq!(b.page.view.dataset, Dataset::Mnist);
    assert!(b
        .page
        .notice
        .clone()
        .unwrap_or_default()
        .contains("HTTP 404"));
}

#[test]
fn same_origin_urls_are_those_of_this_site() {
    assert_eq!(
        same_origin_url("a/b.vaed", ORIGIN).as_deref(),
        Ok("a/b.vaed")
    );
    assert_eq!(
        same_origin_url("/b.vaed?x=1", ORIGIN).as_deref(),
        Ok("/b.vaed?x=1")
    );
    let own = format!("{ORIGIN}/sets/b.vaed");
    assert_eq!(same_origin_url(&own, ORIGIN), Ok(own.clone()));
    for bad in [
        "https://vae.test.evil.example/b.vaed",
        "https://vae.testx/b.vaed",
        "http://vae.test/b.vaed",
        "HTTPS://other/b",
        "a\\b",
        "",
    ] {
        assert!(same_origin_url(bad, ORIGIN).is_err(), "{bad}");
    }
}

#[test]
fn the_kept_set_comes_back_on_the_next_visit() {
    let mut first = Browser::new("", None);
    draw_set(&mut first, 3);
    let kept = first.stored.clone();
    let b = Browser::new("?dataset=own", kept).started();
    assert_eq!(b.page.view.dataset, Dataset::Own);
    assert_eq!(b.page.own.set().counts(), [3, 3, 3]);
    assert!(b.page.ready());
    assert!(b.previews.is_empty(), "no MNIST download for your data");
}

#[test]
fn a_link_to_your_data_in_slow_motion_steps_the_fresh_weights() {
    use vae_playground::page::slowmo::Stage;
    let mut first = Browser::new("", None);
    draw_set(&mut first, 3);
    let b = Browser::new("?dataset=own&slowmo=encode", first.stored.clone()).started();
    assert_eq!(b.page.view.dataset, Dataset::Own);
    let stage = b.page.slowmo.as_ref().and_then(|s| s.stage());
    assert_eq!(stage, Some(Stage::Encode));
    // The fresh set's Reset first, then the slow step of those weights.
    let start = b
        .sent
        .iter()
        .position(|c| matches!(c, TrainCommand::Start { .. }));
    let slow = b.sent.iter().position(|c| *c == TrainCommand::SlowStep);
    assert!(start.is_some() && start < slow, "{:?}", b.sent);
}

#[test]
fn class_centres_are_means_and_spreads_by_label() {
    let means = [0.0, 0.0, 2.0, 0.0, 10.0, 10.0, 10.0, 12.0];
    let labels = [1, 1, 0, 0];
    let centres = class_centres(&means, &labels);
    assert_eq!(centres, [(0, [10.0, 11.0], 1.0), (1, [1.0, 0.0], 1.0)]);
}
