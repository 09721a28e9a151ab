//! The shipped data files and seeded batching.

mod common;

use std::collections::HashSet;

use vae_playground::analysis::batches::BatchCursor;
use vae_playground::data::{DataError, Dataset, Digits, Split, PIXELS};

#[test]
fn shipped_splits_have_the_official_sizes() {
    for dataset in Dataset::ALL {
        for (split, n) in [(Split::Train10k, 10_000), (Split::Test, 10_000)] {
            let d = common::load(dataset, split);
            assert_eq!(d.len(), n, "{dataset:?} {split:?}");
            // Real images: ink and background both present, every class present.
            let ink = d.image(0).iter().filter(|&&p| p > 128).count();
            assert!(ink > 20 && ink < PIXELS / 2, "{ink} ink pixels");
            let classes: HashSet<u8> = d.labels().iter().copied().collect();
            assert_eq!(classes.len(), 10);
        }
    }
}

#[test]
fn first_mnist_test_digit_is_a_seven() {
    // The official test set begins with a 7, a 2 and a 1.
    let d = common::load(Dataset::Mnist, Split::Test);
    assert_eq!(&d.labels()[..3], &[7, 2, 1]);
}

#[test]
fn malformed_data_is_refused() {
    assert!(matches!(
        Digits::from_raw(vec![0; 785], vec![0]),
        Err(DataError::RaggedImages { .. })
    ));
    assert!(matches!(
        Digits::from_raw(vec![0; 784 * 2], vec![0]),
        Err(DataError::CountMismatch { .. })
    ));
    assert!(matches!(
        Digits::from_raw(vec![0; 784], vec![10]),
        Err(DataError::BadLabel { .. })
    ));
    assert!(matches!(
        Digits::from_gz(b"not gzip", b"x"),
        Err(DataError::Gzip { .. })
    ));
}

#[test]
fn an_epoch_visits_every_image_once_in_seeded_order() {
    let mut cursor = BatchCursor::new(1000, 9);
    let mut seen = Vec::new();
    while cursor.epoch() == 0 {
        let batch = cursor.next_batch(128);
        assert!(batch.len() == 128 || batch.len() == 1000 % 128);
        seen.extend(batch);
    }
    assert_eq!(seen.len(), 1000);
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>().len(), 1000);
    assert_ne!(seen[..10], (0..10).collect::<Vec<_>>()[..], "shuffled");

    let mut again = BatchCursor::new(1000, 9);
    assert_eq!(again.next_batch(128), seen[..128]);
    let mut other = BatchCursor::new(1000, 10);
    assert_ne!(other.next_batch(128), seen[..128]);
    // The next epoch is reshuffled.
    assert_ne!(cursor.next_batch(128), seen[..128]);
}

/// Rows of a `[n, PIXELS]` batch tensor.
fn rows(t: burn::tensor::Tensor<vae_playground::vae::backend::Cpu, 2>) -> Vec<Vec<f32>> {
    let v = t.into_data().to_vec::<f32>().unwrap();
    v.chunks(PIXELS).map(<[f32]>::to_vec).collect()
}

#[test]
fn dynamic_binarisation_is_reproducible_from_its_seed_and_fresh_each_epoch() {
    let train = common::load(Dataset::MnistBin, Split::Train10k);
    assert!(train.binarises_dynamically());
    let device = Default::default();
    let batch = |indices: &[usize], seed: u64, epoch: u64| {
        rows(train.training_batch(indices, seed, epoch, &device))
    };
    let a = batch(&[3, 7, 11], 5, 0);
    assert!(a.iter().flatten().all(|&p| p == 0.0 || p == 1.0));
    assert_eq!(batch(&[3, 7, 11], 5, 0), a, "same seed and epoch");
    // The draw belongs to the image, not to its place in the batch.
    assert_eq!(batch(&[11, 3], 5, 0), vec![a[2].clone(), a[0].clone()]);
    assert_ne!(batch(&[3, 7, 11], 5, 1), a, "a fresh draw each epoch");
    assert_ne!(batch(&[3, 7, 11], 6, 0), a, "another seed");
    // Ink and background stay put; grey pixels are 1 as often as they are grey.
    let grey = train.image(3);
    for (&g, &b) in grey.iter().zip(&a[0]) {
        if g == 0 {
            assert_eq!(b, 0.0);
        } else if g == 255 {
            assert_eq!(b, 1.0);
        }
    }
    let indices: Vec<usize> = (0..2000).collect();
    let (mut ones, mut expected) = (0.0f64, 0.0f64);
    for epoch in 0..3 {
        ones += batch(&indices, 1, epoch)
            .iter()
            .flatten()
            .map(|&p| p as f64)
            .sum::<f64>();
    }
    for &i in &indices {
        expected += 3.0
            * train
                .image(i)
                .iter()
                .map(|&p| p as f64 / 255.0)
                .sum::<f64>();
    }
    // About 10^5 grey-level pixels drawn: the count is within a few tenths of a percent.
    assert!(
        (ones / expected - 1.0).abs() < 3e-3,
        "{ones} ones, {expected} expected"
    );
    // Grey MNIST is untouched by the same call.
    let mnist = common::load(Dataset::Mnist, Split::Train10k);
    assert!(!mnist.binarises_dynamically());
    assert_eq!(
        rows(mnist.training_batch(&[3], 5, 0, &device)),
        rows(mnist.batch(&[3], &device))
    );
}

#[test]
fn the_binarised_test_split_is_drawn_once_with_its_fixed_seed() {
    let test = common::load(Dataset::MnistBin, Split::Test);
    let mnist = common::load(Dataset::Mnist, Split::Test);
    assert!(!test.binarises_dynamically());
    assert_eq!(test.labels(), mnist.labels());
    let same = mnist.binarised(vae_playground::data::BINARISED_TEST_SEED, 0);
    let (mut bytes, mut grey) = (Vec::new(), 0.0);
    for i in 0..test.len() {
        assert_eq!(test.image(i), same.image(i));
        bytes.extend_from_slice(test.image(i));
        grey += mnist
            .image(i)
            .iter()
            .map(|&p| p as f64 / 255.0)
            .sum::<f64>();
    }
    assert!(bytes.iter().all(|&p| p == 0 || p == 255));
    let ones = bytes.iter().filter(|&&p| p == 255).count() as f64;
    assert!(
        (ones / grey - 1.0).abs() < 3e-3,
        "{ones} ones, {grey} expected"
    );
    // The evaluation set itself, as first drawn: if this changes, binarised-MNIST numbers stop
    // being comparable with those recorded in the README.
    assert_eq!(
        crc32fast::hash(&bytes),
        BINARISED_TEST_CRC,
        "the binarised test split changed"
    );
}

/// CRC-32 of the binarised test split's 10,000 images (0/255 bytes), recorded when it was made.
const BINARISED_TEST_CRC: u32 = 0xA21E_EE97;
