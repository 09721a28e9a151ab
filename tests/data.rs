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
