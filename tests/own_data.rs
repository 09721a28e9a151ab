//! Your own data: real image files of several formats and both polarities through the
//! MNIST-style pipeline (centroid and box), a set's seeded split and limits, and the dataset
//! file (`.vaed`): round trips, and every corrupt or hostile file refused with its reason.
//!
//! The fixtures (`tests/fixtures/own/letters/`) are the letters A, L and T in DejaVu Sans Bold,
//! drawn by ImageMagick 6.9 (`convert -size WxH xc:BG -font DejaVuSans-Bold.ttf -fill FG
//! -annotate ...`), as PNG (grey, and RGBA on a transparent background), JPEG, GIF (dark on
//! light grey paper), BMP and WebP, light-on-dark and dark-on-light, off-centre on canvases of
//! different shapes; plus `notes.txt` (not an image) and `T/too-wide.png` (5000 px wide).

use std::path::{Path, PathBuf};

use vae_playground::data::dataset_file::{self, DatasetFileError, FORMAT_VERSION, MAGIC};
use vae_playground::data::drawing::{BOX, CENTRE, SIDE};
use vae_playground::data::image_folder::{decode_file, read_folder};
use vae_playground::data::own::{
    classes_of_paths, prepare_rgba, OwnError, OwnSet, Polarity, MAX_IMAGES, MAX_SIDE,
};
use vae_playground::data::PIXELS;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/own/letters")
}

/// Centre of mass (pixel centres at integer indices) and the ink's box (width, height).
fn centroid_and_box(image: &[u8]) -> ((f64, f64), (usize, usize)) {
    let (mut sum, mut cx, mut cy) = (0.0, 0.0, 0.0);
    let (mut x0, mut x1, mut y0, mut y1) = (SIDE, 0, SIDE, 0);
    for (p, &v) in image.iter().enumerate() {
        let (x, y) = (p % SIDE, p / SIDE);
        if v > 0 {
            let v = f64::from(v);
            sum += v;
            cx += v * x as f64;
            cy += v * y as f64;
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    ((cx / sum, cy / sum), (x1 + 1 - x0, y1 + 1 - y0))
}

/// Where, across the ink's box (0 = left or top, 1 = right or bottom), the column and the row
/// with the most ink lie: an L's stroke is on the left and its foot at the bottom.
fn heaviest_column_and_row(image: &[u8]) -> (f64, f64) {
    let (mut cols, mut rows) = ([0u32; SIDE], [0u32; SIDE]);
    for (p, &v) in image.iter().enumerate() {
        cols[p % SIDE] += u32::from(v);
        rows[p / SIDE] += u32::from(v);
    }
    let place = |sums: &[u32; SIDE]| {
        let first = sums.iter().position(|&s| s > 0).unwrap();
        let last = sums.iter().rposition(|&s| s > 0).unwrap();
        let max = (first..=last).max_by_key(|&i| sums[i]).unwrap();
        (max - first) as f64 / (last - first).max(1) as f64
    };
    (place(&cols), place(&rows))
}

#[test]
fn every_fixture_comes_out_centred_in_a_20_pixel_box() {
    let cases = [
        ("A/a-dark-on-light.png", true),
        ("A/a-light-on-dark.jpg", false),
        ("L/l-dark-on-grey.gif", true),
        ("L/l-transparent.png", false),
        ("T/t-light-on-dark.bmp", false),
        ("T/t-dark-on-light.webp", true),
    ];
    for (file, inverted) in cases {
        let prepared = decode_file(&fixtures().join(file), Polarity::Auto).unwrap();
        assert_eq!(prepared.pixels.len(), PIXELS);
        assert_eq!(prepared.inverted, inverted, "{file}: polarity");
        let ((cx, cy), (w, h)) = centroid_and_box(&prepared.pixels);
        assert!(
            (cx - CENTRE).abs() <= 0.5 && (cy - CENTRE).abs() <= 0.5,
            "{file}: centre of mass ({cx:.2}, {cy:.2})"
        );
        assert_eq!(w.max(h), BOX, "{file}: box {w}x{h}");
        // The background is black: the corners hold no ink.
        for corner in [0, SIDE - 1, PIXELS - SIDE, PIXELS - 1] {
            assert_eq!(prepared.pixels[corner], 0, "{file}: corner ink");
        }
    }
}

#[test]
fn letters_keep_their_shape_and_aspect() {
    let shape = |file: &str| {
        let p = decode_file(&fixtures().join(file), Polarity::Auto).unwrap();
        (
            heaviest_column_and_row(&p.pixels),
            centroid_and_box(&p.pixels).1,
        )
    };
    // L: its stroke on the left, its foot at the bottom, taller than wide (aspect kept).
    for file in ["L/l-dark-on-grey.gif", "L/l-transparent.png"] {
        let ((col, row), (w, h)) = shape(file);
        assert!(
            col < 0.34 && row > 0.66,
            "{file}: L's heaviest column {col:.2}, row {row:.2}"
        );
        assert!(w < h, "{file}: L is taller than wide ({w}x{h})");
    }
    // T: its bar at the top, its stem in the middle.
    for file in ["T/t-light-on-dark.bmp", "T/t-dark-on-light.webp"] {
        let ((col, row), _) = shape(file);
        assert!(
            row < 0.34 && (0.34..0.67).contains(&col),
            "{file}: T's heaviest column {col:.2}, row {row:.2}"
        );
    }
}

#[test]
fn both_polarities_of_a_letter_agree() {
    let a = decode_file(&fixtures().join("T/t-light-on-dark.bmp"), Polarity::Auto).unwrap();
    let b = decode_file(&fixtures().join("T/t-dark-on-light.webp"), Polarity::Auto).unwrap();
    let mean_diff: f64 = a
        .pixels
        .iter()
        .zip(&b.pixels)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).abs())
        .sum::<f64>()
        / PIXELS as f64;
    assert!(
        mean_diff < 20.0,
        "T differs by {mean_diff} grey levels a pixel"
    );
    // The polarity can be forced: dark-on-light as detected, or light-on-dark, where the white
    // paper is the background and the dark letter is no ink at all.
    let a = fixtures().join("A/a-dark-on-light.png");
    let forced = decode_file(&a, Polarity::DarkOnLight).unwrap();
    assert!(forced.inverted);
    assert_eq!(forced, decode_file(&a, Polarity::Auto).unwrap());
    let wrong = decode_file(&a, Polarity::LightOnDark).unwrap_err();
    assert!(wrong.contains("no ink"), "{wrong}");
}

#[test]
fn a_folder_becomes_a_set_with_its_sub_folders_as_classes() {
    let folder = read_folder(&fixtures(), Polarity::Auto).unwrap();
    assert_eq!(folder.set.names(), ["A", "L", "T"]);
    assert_eq!(folder.set.counts(), [2, 2, 2]);
    assert_eq!(folder.inverted, 3);
    let skipped: Vec<(&str, &str)> = folder
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.why.as_str()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, "letters/T/too-wide.png");
    assert!(skipped[0].1.contains("4096"), "{}", skipped[0].1);
    assert_eq!(skipped[1].0, "letters/notes.txt");
    assert!(skipped[1].1.contains("not an image"), "{}", skipped[1].1);
}

#[test]
fn an_empty_folder_is_an_error() {
    let dir = std::env::temp_dir().join(format!("vae-own-empty-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("class")).unwrap();
    std::fs::write(dir.join("class/readme.txt"), "text").unwrap();
    let err = read_folder(&dir, Polarity::Auto).unwrap_err();
    assert!(err.to_string().starts_with("no image files in"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn paths_group_by_their_first_sub_folder() {
    let paths: Vec<String> = [
        "set/cats/a.png",
        "set/dogs/x/b.png",
        "set/cats/c.png",
        "set/d.png",
    ]
    .map(String::from)
    .to_vec();
    let (names, classes) = classes_of_paths(&paths).unwrap();
    assert_eq!(names, ["cats", "dogs", "set"]);
    assert_eq!(classes, [0, 1, 0, 2]);
    let eleven: Vec<String> = (0..11).map(|i| format!("set/c{i}/x.png")).collect();
    assert_eq!(
        classes_of_paths(&eleven).unwrap_err(),
        OwnError::TooManyClasses { found: 11, max: 10 }
    );
}

fn rgba(width: usize, height: usize, f: impl Fn(usize, usize) -> [u8; 4]) -> Vec<u8> {
    (0..width * height)
        .flat_map(|p| f(p % width, p / width))
        .collect()
}

#[test]
fn grey_paper_is_background_and_flat_or_oversized_images_are_refused() {
    // A dark square on grey paper with faint noise: only the square is ink.
    let image = rgba(40, 30, |x, y| {
        let v = if (10..20).contains(&x) && (5..25).contains(&y) {
            20
        } else {
            200 + ((x * 7 + y * 3) % 9) as u8
        };
        [v, v, v, 255]
    });
    let p = prepare_rgba(&image, 40, 30, Polarity::Auto).unwrap();
    assert!(p.inverted);
    let (_, (w, h)) = centroid_and_box(&p.pixels);
    assert_eq!((w, h), (10, 20));
    let flat = rgba(16, 16, |_, _| [90, 90, 90, 255]);
    assert_eq!(
        prepare_rgba(&flat, 16, 16, Polarity::Auto),
        Err(OwnError::NoInk)
    );
    assert!(matches!(
        prepare_rgba(&[0; 8], MAX_SIDE + 1, 1, Polarity::Auto),
        Err(OwnError::TooLarge { max: MAX_SIDE, .. })
    ));
    assert!(matches!(
        prepare_rgba(&[0; 7], 2, 1, Polarity::Auto),
        Err(OwnError::BadBuffer { .. })
    ));
    let err = prepare_rgba(&[], 5000, 10, Polarity::Auto).unwrap_err();
    assert!(err.to_string().contains("at most 4096x4096"), "{err}");
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("class {i}")).collect()
}

/// A set of `per_class` images in each of `classes` classes, each image distinct.
fn set_of(classes: usize, per_class: usize) -> OwnSet {
    let mut set = OwnSet::new(&names(classes)).unwrap();
    for i in 0..classes * per_class {
        let mut image = vec![0u8; PIXELS];
        image[i % PIXELS] = 255;
        image[(i / PIXELS) % PIXELS] = 1 + (i % 200) as u8;
        set.push(&image, i % classes).unwrap();
    }
    set
}

#[test]
fn the_split_is_seeded_and_keeps_test_images_of_every_class() {
    let set = set_of(3, 8);
    let (train, test) = set.split(7).unwrap();
    assert_eq!(train.len() + test.len(), 24);
    for class in 0..3u8 {
        let n = test.labels().iter().filter(|&&l| l == class).count();
        assert_eq!(n, 2, "class {class}: round(8 x 0.2) = 2 test images");
    }
    let (train2, test2) = set.split(7).unwrap();
    assert_eq!(train.labels(), train2.labels());
    assert_eq!(test.image(0), test2.image(0));
    let (other, _) = set.split(8).unwrap();
    let same = (0..train.len()).all(|i| train.image(i) == other.image(i));
    assert!(!same, "another seed, another split");
    // Two images of a class: one to train on, one to test.
    let (train, test) = set_of(2, 2).split(0).unwrap();
    assert_eq!((train.len(), test.len()), (2, 2));
}

#[test]
fn too_small_sets_say_so() {
    let one_each = set_of(3, 1);
    let err = one_each.split(0).unwrap_err();
    assert_eq!(err, OwnError::TooSmall { images: 3 });
    assert!(err.to_string().contains("too few to split"));
    assert_eq!(
        set_of(1, 0).split(0).unwrap_err(),
        OwnError::TooSmall { images: 0 }
    );
}

#[test]
fn a_set_refuses_more_than_its_limits() {
    let mut set = OwnSet::new(&names(1)).unwrap();
    let image = vec![7u8; PIXELS];
    for _ in 0..MAX_IMAGES {
        set.push(&image, 0).unwrap();
    }
    let err = set.push(&image, 0).unwrap_err();
    assert_eq!(err, OwnError::Full { max: 10_000 });
    assert!(err.to_string().contains("10000"));
    assert!(matches!(
        set.push(&image, 1),
        Err(OwnError::NoSuchClass { .. })
    ));
    assert!(OwnSet::new(&names(11)).is_err());
    assert!(OwnSet::new(&[]).is_err());
    let mut small = set_of(10, 1);
    assert!(matches!(
        small.add_class("x"),
        Err(OwnError::TooManyClasses { .. })
    ));
    assert!(small.rename(0, "  ").is_err());
    assert!(small.rename(0, &"x".repeat(33)).is_err());
    assert!(small.rename(0, "a\u{7}b").is_err());
    small.rename(0, " circles ").unwrap();
    assert_eq!(small.names()[0], "circles");
}

#[test]
fn removing_and_putting_back_restores_the_set() {
    let mut set = set_of(3, 4);
    let before = set.clone();
    let (image, class) = set.remove(5).unwrap();
    assert_eq!(set.len(), 11);
    set.insert(5, &image, class).unwrap();
    assert_eq!(set, before);
    assert!(set.remove(12).is_none());
}

// ---- the dataset file ----

fn file_of(set: &OwnSet) -> Vec<u8> {
    dataset_file::encode(set)
}

fn reseal(mut body: Vec<u8>) -> Vec<u8> {
    body.truncate(body.len() - 4);
    let crc = crc32fast::hash(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

/// The file rebuilt around an edited header, with a correct checksum.
fn with_header(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let h = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[16..16 + h]).unwrap();
    edit(&mut header);
    let json = serde_json::to_vec(&header).unwrap();
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&bytes[16 + h..]);
    reseal(out)
}

#[test]
fn a_dataset_file_round_trips() {
    let mut set = set_of(3, 5);
    set.rename(2, "Ünïcode ✓").unwrap();
    let bytes = file_of(&set);
    assert_eq!(&bytes[..8], MAGIC);
    assert_eq!(&bytes[..8], b"VAEPGD\r\n");
    assert_eq!(
        bytes.len(),
        16 + u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize + 15 * 785 + 4
    );
    assert_eq!(dataset_file::decode(&bytes).unwrap(), set);
    // The fixtures' folder, packed and read back.
    let folder = read_folder(&fixtures(), Polarity::Auto).unwrap();
    assert_eq!(
        dataset_file::decode(&file_of(&folder.set)).unwrap(),
        folder.set
    );
}

#[test]
fn corrupt_dataset_files_are_refused_with_their_reason() {
    let bytes = file_of(&set_of(2, 3));
    let decode = dataset_file::decode;
    assert_eq!(decode(&[]), Err(DatasetFileError::TooShort { len: 0 }));
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_eq!(decode(&magic), Err(DatasetFileError::BadMagic));
    let weights_magic = [b"VAEPGW\r\n".as_slice(), &bytes[8..]].concat();
    assert_eq!(decode(&weights_magic), Err(DatasetFileError::BadMagic));
    let mut version = bytes.clone();
    version[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    assert!(matches!(
        decode(&version),
        Err(DatasetFileError::UnsupportedVersion { found: 2, .. })
    ));
    let mut huge_header = bytes.clone();
    huge_header[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        decode(&huge_header),
        Err(DatasetFileError::HeaderTooLarge { .. })
    ));
    for cut in 0..bytes.len() {
        assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut padded = bytes.clone();
    padded.push(0);
    assert!(matches!(
        decode(&padded),
        Err(DatasetFileError::WrongLength { .. })
    ));
    for i in (0..bytes.len()).step_by(97) {
        let mut flipped = bytes.clone();
        flipped[i] ^= 0x10;
        assert!(decode(&flipped).is_err(), "bit flip at {i}");
    }
    let mut pixel = bytes.clone();
    let at = bytes.len() - 100;
    pixel[at] ^= 1;
    assert_eq!(decode(&pixel), Err(DatasetFileError::Checksum));
}

#[test]
fn hostile_headers_are_refused_without_allocating() {
    let bytes = file_of(&set_of(2, 3));
    let decode = dataset_file::decode;
    let count = |n: serde_json::Value| with_header(&bytes, |h| h["images"] = n);
    assert!(matches!(
        decode(&count(u64::MAX.into())),
        Err(DatasetFileError::ImageCount { max: 10_000, .. })
    ));
    assert!(matches!(
        decode(&count(0.into())),
        Err(DatasetFileError::ImageCount { .. })
    ));
    assert!(matches!(
        decode(&count(7.into())),
        Err(DatasetFileError::WrongLength { .. })
    ));
    assert!(matches!(
        decode(&count((-1).into())),
        Err(DatasetFileError::BadHeader(_))
    ));
    let eleven = with_header(&bytes, |h| h["classes"] = names(11).into());
    assert_eq!(
        decode(&eleven),
        Err(DatasetFileError::BadSet(OwnError::TooManyClasses {
            found: 11,
            max: 10
        }))
    );
    let one = with_header(&bytes, |h| h["classes"] = names(1).into());
    assert!(matches!(
        decode(&one),
        Err(DatasetFileError::BadSet(OwnError::NoSuchClass {
            class: 1,
            ..
        }))
    ));
    let blank = with_header(&bytes, |h| h["classes"][0] = "".into());
    assert!(matches!(
        decode(&blank),
        Err(DatasetFileError::BadSet(OwnError::BadName { .. }))
    ));
    let garbage = with_header(&bytes, |h| *h = "not an object".into());
    assert!(matches!(
        decode(&garbage),
        Err(DatasetFileError::BadHeader(_))
    ));
    let err = decode(&count(20_000.into())).unwrap_err();
    assert!(err.to_string().contains("1 to 10000"), "{err}");
}

mod fuzz {
    //! No byte string panics the dataset loader. Run longer with
    //! `PROPTEST_CASES=200000 cargo test --release --test own_data fuzz`.
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn valid() -> &'static [u8] {
        static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
        BYTES.get_or_init(|| file_of(&set_of(3, 4)))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            prop_assert!(dataset_file::decode(&bytes).is_err());
        }

        #[test]
        fn mutated_files_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            do_cut in any::<bool>(),
        ) {
            let mut bytes = valid().to_vec();
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            if do_cut {
                bytes.truncate(cut.index(bytes.len()));
            }
            let _ = dataset_file::decode(&bytes);
        }

        /// Header edits resealed with a correct checksum, so they reach the set's checks.
        #[test]
        fn resealed_header_edits_never_panic(
            images in any::<i64>(), classes in proptest::collection::vec("\\PC{0,40}", 0..14),
            label in any::<u8>(), at in any::<prop::sample::Index>(),
        ) {
            let mut bytes = with_header(valid(), |h| {
                h["images"] = images.into();
                h["classes"] = classes.clone().into();
            });
            let labels_at = bytes.len() - 4 - 12;
            bytes[labels_at + at.index(12)] = label;
            let bytes = reseal(bytes);
            if let Ok(set) = dataset_file::decode(&bytes) {
                prop_assert!(set.labels().iter().all(|&l| usize::from(l) < set.names().len()));
            }
        }
    }
}
