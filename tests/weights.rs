//! The weights file round-trips bit-exactly, and every malformed file gives its own error.

use pollster::block_on;
use vae_playground::data::Dataset;
use vae_playground::vae::backend::Cpu;
use vae_playground::vae::model::{Vae, VaeConfig};
use vae_playground::vae::weights::{self, Header, Provenance, WeightsError, FORMAT_VERSION, MAGIC};

fn small_model(seed: u64) -> Vae<Cpu> {
    VaeConfig::new()
        .with_hidden(16)
        .with_seed(seed)
        .init(&Default::default())
}

fn encoded(model: &Vae<Cpu>) -> Vec<u8> {
    let provenance = Provenance {
        dataset: Some(Dataset::Mnist),
        steps: 7,
        note: "test".into(),
        ..Default::default()
    };
    block_on(weights::encode(model, 3, &provenance)).unwrap()
}

fn decode(bytes: &[u8]) -> Result<(Vae<Cpu>, Header), WeightsError> {
    weights::decode::<Cpu>(bytes, &Default::default())
}

fn params(model: &Vae<Cpu>) -> Vec<u32> {
    [
        &model.enc_hidden,
        &model.enc_mu,
        &model.enc_logvar,
        &model.dec_hidden,
        &model.dec_out,
    ]
    .iter()
    .flat_map(|l| {
        let w = l.weight.val().into_data().to_vec::<f32>().unwrap();
        let b = l
            .bias
            .as_ref()
            .unwrap()
            .val()
            .into_data()
            .to_vec::<f32>()
            .unwrap();
        w.into_iter().chain(b).map(f32::to_bits)
    })
    .collect()
}

/// Rebuild a file around a modified header, with a correct checksum, so the check under test
/// is the one that fires.
fn with_header(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let h = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[16..16 + h]).unwrap();
    edit(&mut header);
    let json = serde_json::to_vec(&header).unwrap();
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&bytes[16 + h..bytes.len() - 4]);
    reseal(out)
}

fn reseal(mut body: Vec<u8>) -> Vec<u8> {
    let crc = crc32fast::hash(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

fn unsealed(bytes: &[u8]) -> Vec<u8> {
    bytes[..bytes.len() - 4].to_vec()
}

#[test]
fn the_header_names_the_continuous_bernoulli_decoder_and_binarised_mnist() {
    let model = small_model(2);
    let provenance = Provenance {
        dataset: Some(Dataset::MnistBin),
        likelihood: vae_playground::vae::elbo::Likelihood::ContinuousBernoulli,
        ..Default::default()
    };
    let bytes = block_on(weights::encode(&model, 3, &provenance)).unwrap();
    let h = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let json: serde_json::Value = serde_json::from_slice(&bytes[16..16 + h]).unwrap();
    assert_eq!(json["likelihood"]["kind"], "continuous-bernoulli");
    assert_eq!(json["dataset"], "mnist-bin");
    let (_, header) = decode(&bytes).unwrap();
    assert_eq!(header.likelihood, provenance.likelihood);
    assert_eq!(header.dataset, provenance.dataset);
}

#[test]
fn round_trip_is_bit_exact() {
    let model = small_model(42);
    let bytes = encoded(&model);
    let (loaded, header) = decode(&bytes).unwrap();
    assert_eq!(params(&model), params(&loaded));
    assert_eq!(encoded(&loaded), bytes);
    assert_eq!(header.config.hidden, 16);
    assert_eq!(header.config.seed, 3);
    assert_eq!(header.dataset, Some(Dataset::Mnist));
    assert_eq!(header.steps, 7);
    assert_ne!(params(&small_model(43)), params(&model));
}

#[test]
fn empty_and_short_files_are_refused() {
    assert_eq!(decode(&[]).err(), Some(WeightsError::TooShort { len: 0 }));
    assert!(matches!(
        decode(b"VAEPGW"),
        Err(WeightsError::TooShort { .. })
    ));
}

#[test]
fn wrong_magic_is_refused() {
    let mut bytes = encoded(&small_model(1));
    bytes[0] = b'X';
    assert_eq!(decode(&bytes).err(), Some(WeightsError::BadMagic));
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10";
    assert_eq!(decode(png).err(), Some(WeightsError::BadMagic));
}

#[test]
fn other_versions_are_refused() {
    let mut bytes = encoded(&small_model(1));
    bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    assert_eq!(
        decode(&bytes).err(),
        Some(WeightsError::UnsupportedVersion {
            found: FORMAT_VERSION + 1,
            supported: FORMAT_VERSION
        })
    );
}

#[test]
fn truncated_files_are_refused_at_every_cut() {
    let bytes = encoded(&small_model(1));
    for cut in [
        17,
        40,
        200,
        bytes.len() / 2,
        bytes.len() - 5,
        bytes.len() - 1,
    ] {
        let err = decode(&bytes[..cut]).err();
        assert!(
            matches!(
                err,
                Some(WeightsError::WrongLength { .. }) | Some(WeightsError::TooShort { .. })
            ),
            "cut at {cut}: {err:?}"
        );
    }
    let mut padded = bytes.clone();
    padded.push(0);
    assert!(matches!(
        decode(&padded),
        Err(WeightsError::WrongLength { .. })
    ));
}

#[test]
fn flipped_bits_fail_the_checksum() {
    let mut bytes = encoded(&small_model(1));
    let n = bytes.len();
    bytes[n - 100] ^= 0x10;
    assert_eq!(decode(&bytes).err(), Some(WeightsError::Checksum));
}

#[test]
fn wrong_shapes_are_refused() {
    let bytes = encoded(&small_model(1));
    let edited = with_header(&bytes, |h| {
        h["tensors"][2]["shape"] = serde_json::json!([16, 3])
    });
    assert_eq!(
        decode(&edited).err(),
        Some(WeightsError::ShapeMismatch {
            name: "enc_mu.weight".into(),
            expected: vec![16, 2],
            found: vec![16, 3]
        })
    );
    // A header whose config disagrees with the bytes present (hidden 16 declared as 17).
    let edited = with_header(&bytes, |h| h["config"]["hidden"] = serde_json::json!(17));
    assert!(matches!(
        decode(&edited),
        Err(WeightsError::ShapeMismatch { .. })
    ));
}

#[test]
fn huge_declared_sizes_are_refused_without_allocating() {
    let bytes = encoded(&small_model(1));
    let edited = with_header(&bytes, |h| {
        h["config"]["hidden"] = serde_json::json!(1_000_000_000u64)
    });
    assert!(matches!(
        decode(&edited),
        Err(WeightsError::ImplausibleSize(_))
    ));
    let mut huge_header = bytes.clone();
    huge_header[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        decode(&huge_header),
        Err(WeightsError::HeaderTooLarge { .. })
    ));
}

#[test]
fn garbage_headers_are_refused() {
    let bytes = encoded(&small_model(1));
    let mut out = bytes[..12].to_vec();
    let junk = b"{not json";
    out.extend_from_slice(&(junk.len() as u32).to_le_bytes());
    out.extend_from_slice(junk);
    assert!(matches!(
        decode(&reseal(out)),
        Err(WeightsError::BadHeader(_))
    ));
    let edited = with_header(&bytes, |h| {
        h["architecture"] = serde_json::json!("conv-vae")
    });
    assert_eq!(
        decode(&edited).err(),
        Some(WeightsError::UnknownArchitecture("conv-vae".into()))
    );
}

#[test]
fn nan_weights_are_refused() {
    let bytes = encoded(&small_model(1));
    let mut body = unsealed(&bytes);
    let n = body.len();
    body[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
    assert_eq!(
        decode(&reseal(body)).err(),
        Some(WeightsError::NonFinite {
            name: "dec_out.bias".into()
        })
    );
}

#[test]
fn magic_is_what_the_docs_say() {
    assert_eq!(MAGIC, b"VAEPGW\r\n");
}

/// The preview file: the decoder alone, as f16.
fn preview(model: &Vae<Cpu>) -> Vec<u8> {
    block_on(weights::encode_preview(model, 3, &Provenance::default())).unwrap()
}

fn decode_preview(bytes: &[u8]) -> Result<(Vae<Cpu>, Header), WeightsError> {
    weights::decode_preview::<Cpu>(bytes, &Default::default())
}

/// Decoded pixels of `model` at a few latent points.
fn decoded(model: &Vae<Cpu>) -> Vec<f32> {
    let z = [0.0, 0.0, 1.5, -2.0, -3.0, 0.5];
    block_on(vae_playground::analysis::evidence::decode_flat(
        model,
        &z,
        vae_playground::vae::elbo::Likelihood::Bernoulli,
        &Default::default(),
    ))
    .unwrap()
}

#[test]
fn a_preview_decodes_like_the_whole_model_within_f16_rounding() {
    let model = small_model(5);
    let bytes = preview(&model);
    let (header, full) = (weights::header(&bytes).unwrap(), encoded(&model));
    assert!(header.decoder_only);
    assert_eq!(header.dtype, weights::Dtype::F16);
    assert_eq!(header.tensors.len(), 4);
    assert!(header.tensors.iter().all(|t| t.name.starts_with("dec_")));
    // Only the decoder, two bytes a value: far smaller than the whole file.
    let decoder_params = 2 * 16 + 16 + 16 * 784 + 784;
    assert!(
        bytes.len() < decoder_params * 2 + 1024,
        "{} bytes",
        bytes.len()
    );
    assert!(bytes.len() * 3 < full.len());
    let (from_preview, _) = decode_preview(&bytes).unwrap();
    let (a, b) = (decoded(&model), decoded(&from_preview));
    let worst = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max);
    assert!(worst < 2e-3, "pixels differ by up to {worst}");
    assert!(worst > 0.0, "f16 rounds something");
}

#[test]
fn a_preview_is_not_a_whole_model() {
    let bytes = preview(&small_model(5));
    assert_eq!(decode(&bytes).unwrap_err(), WeightsError::DecoderOnly);
    // decode_preview also reads a whole file, bit for bit.
    let model = small_model(6);
    let (again, _) = decode_preview(&encoded(&model)).unwrap();
    assert_eq!(params(&again), params(&model));
}

#[test]
fn broken_previews_are_refused() {
    let bytes = preview(&small_model(5));
    for cut in [0, 10, 40, bytes.len() / 2, bytes.len() - 1] {
        assert!(decode_preview(&bytes[..cut]).is_err(), "cut at {cut}");
    }
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 0x10;
    assert_eq!(
        decode_preview(&flipped).unwrap_err(),
        WeightsError::Checksum
    );
    // A header that claims f32 for f16 values no longer matches the length.
    let as_f32 = with_header(&bytes, |h| h["dtype"] = "f32".into());
    assert!(matches!(
        decode_preview(&as_f32).unwrap_err(),
        WeightsError::WrongLength { .. }
    ));
    // An infinite f16 (0x7c00) is refused like a NaN f32.
    let mut body = unsealed(&bytes);
    let at = body.len() - 2;
    body[at..].copy_from_slice(&0x7c00u16.to_le_bytes());
    assert!(matches!(
        decode_preview(&reseal(body)).unwrap_err(),
        WeightsError::NonFinite { .. }
    ));
}

/// The shipped previews are the shipped weights' decoders: regenerate them with
/// `vae preview` whenever the weights change.
#[test]
fn shipped_previews_match_the_shipped_weights() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/weights");
    for key in ["mnist", "fashion"] {
        let full = std::fs::read(root.join(format!("{key}.vaew"))).unwrap();
        let bytes = std::fs::read(root.join(format!("{key}.preview.vaew"))).unwrap();
        let (model, header) = decode(&full).unwrap();
        let (from_preview, preview_header) = decode_preview(&bytes).unwrap();
        assert_eq!(preview_header.config, header.config, "{key}");
        assert_eq!(preview_header.dataset, header.dataset, "{key}");
        let worst = decoded(&model)
            .iter()
            .zip(&decoded(&from_preview))
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(worst < 2e-3, "{key}: pixels differ by up to {worst}");
    }
}

mod fuzz {
    //! Property tests: no byte string panics the loader. Run longer with
    //! `PROPTEST_CASES=200000 cargo test --release --test weights fuzz`.
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn valid() -> &'static [u8] {
        static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
        BYTES.get_or_init(|| encoded(&small_model(3)))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            prop_assert!(decode(&bytes).is_err());
            prop_assert!(decode_preview(&bytes).is_err());
        }

        #[test]
        fn mutated_previews_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            dtype in "f16|f32|f64|",
            decoder_only in any::<bool>(),
        ) {
            static PREVIEW: OnceLock<Vec<u8>> = OnceLock::new();
            let mut bytes = with_header(PREVIEW.get_or_init(|| preview(&small_model(3))), |h| {
                h["dtype"] = dtype.clone().into();
                h["decoder_only"] = decoder_only.into();
            });
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            let _ = decode_preview(&bytes);
            let _ = decode(&bytes);
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
            let _ = decode(&bytes);
        }

        /// Header edits resealed with a correct checksum, so they reach the shape checks.
        #[test]
        fn resealed_header_edits_never_panic(
            hidden in any::<i64>(), latent in any::<i64>(), rows in any::<i64>(), name in "[a-z_.]{0,12}",
        ) {
            let bytes = with_header(valid(), |h| {
                h["config"]["hidden"] = hidden.into();
                h["config"]["latent"] = latent.into();
                h["tensors"][0]["shape"][0] = rows.into();
                h["tensors"][1]["name"] = name.clone().into();
            });
            let _ = decode(&bytes);
        }
    }
}
