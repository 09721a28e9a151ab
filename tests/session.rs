//! The page's session layer, natively on the CPU backend: decoding, weights moving between
//! sessions (as a backend switch does), and refusal of bad weights without losing the model.

mod common;

use std::sync::Arc;

use pollster::block_on;
use vae_playground::analysis::train::TrainSettings;
use vae_playground::data::{Dataset, Split};
use vae_playground::services::session::{AnyVae, Device, Session};
use vae_playground::vae::weights::{self, WeightsError};

fn pretrained() -> Vec<u8> {
    std::fs::read(common::weights_path(Dataset::Mnist)).unwrap()
}

#[test]
fn decoding_gives_784_grey_levels_that_depend_on_z() {
    let model = AnyVae::from_weights(&pretrained()).unwrap();
    let a = block_on(model.decode(&[0.0, 0.0])).unwrap();
    let b = block_on(model.decode(&[2.0, -2.0])).unwrap();
    assert_eq!(a.len(), 784);
    assert!(a.iter().all(|p| (0.0..=1.0).contains(p)));
    let diff: f32 = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).sum();
    assert!(diff > 10.0, "different z, different image: {diff}");
    // A batch of points decodes to the same images as one at a time.
    let both = block_on(model.decode(&[0.0, 0.0, 2.0, -2.0])).unwrap();
    assert_eq!(&both[..784], &a[..]);
    assert_eq!(&both[784..], &b[..]);
}

#[test]
fn trained_weights_survive_a_move_to_a_new_session() {
    let data = Arc::new(common::load(Dataset::Mnist, Split::Train10k).take(512));
    let mut session = Session::from_weights(
        Device::Cpu,
        &pretrained(),
        data.clone(),
        TrainSettings::default(),
        common::clock,
    )
    .unwrap();
    block_on(session.train_steps(3)).unwrap();
    let trained = session.model();
    let bytes = block_on(session.weights(&Default::default())).unwrap();
    let mut moved = Session::from_weights(
        Device::Cpu,
        &bytes,
        data,
        TrainSettings::default(),
        common::clock,
    )
    .unwrap();
    assert_eq!(moved.step(), 0);
    moved.resume(session.progress());
    assert_eq!(moved.step(), 3);
    assert_eq!(moved.progress(), session.progress());
    let z = [0.5, -1.0];
    assert_eq!(
        block_on(trained.decode(&z)).unwrap(),
        block_on(moved.model().decode(&z)).unwrap()
    );
    // And the move changed something real: the trained model differs from the pretrained one.
    let original = AnyVae::from_weights(&pretrained()).unwrap();
    assert_ne!(
        block_on(original.decode(&z)).unwrap(),
        block_on(trained.decode(&z)).unwrap()
    );
}

#[test]
fn a_corrupt_file_is_refused_and_the_current_model_stays() {
    let model = AnyVae::from_weights(&pretrained()).unwrap();
    let before = block_on(model.decode(&[1.0, 1.0])).unwrap();
    let mut bad = pretrained();
    bad.truncate(bad.len() / 3);
    assert!(matches!(
        AnyVae::from_weights(&bad),
        Err(WeightsError::WrongLength { .. })
    ));
    assert_eq!(block_on(model.decode(&[1.0, 1.0])).unwrap(), before);
}

#[test]
fn the_point_decoder_paints_what_the_model_decodes() {
    for bytes in [
        pretrained(),
        std::fs::read(common::weights_path(Dataset::Fashion)).unwrap(),
    ] {
        let model = AnyVae::from_weights(&bytes).unwrap();
        let decoder = block_on(model.point_decoder()).unwrap();
        // Straight from the file, without building a model: the same arrays.
        assert_eq!(weights::point_decoder(&bytes).unwrap(), decoder);
        for z in [
            [0.0, 0.0],
            [2.5, -1.0],
            [-4.0, 4.0],
            [0.3, 3.7],
            [-1.2, -3.3],
        ] {
            let want = block_on(model.decode(&z)).unwrap();
            let got = decoder.decode(&z);
            assert_eq!(got.len(), 784);
            let worst = want
                .iter()
                .zip(&got)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-5, "z {z:?}: pixels differ by up to {worst}");
        }
    }
}

#[test]
fn the_point_decoder_of_a_broken_file_is_refused() {
    let mut bytes = pretrained();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    assert_eq!(
        weights::point_decoder(&bytes).unwrap_err(),
        WeightsError::Checksum
    );
    assert!(weights::point_decoder(&bytes[..100]).is_err());
    // A preview file gives its decoder too.
    let preview = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/weights/mnist.preview.vaew"),
    )
    .unwrap();
    let z = [0.5, -0.5];
    let (a, b) = (
        weights::point_decoder(&preview).unwrap().decode(&z),
        weights::point_decoder(&pretrained()).unwrap().decode(&z),
    );
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    assert!(worst < 2e-3, "{worst}");
}
