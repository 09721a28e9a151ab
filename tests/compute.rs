//! The worker's protocol: requests round-trip through JSON, and its answers are the model's.

mod common;

use pollster::block_on;
use vae_playground::analysis::evidence::Grid;
use vae_playground::data::{Dataset, Split};
use vae_playground::page::map_view::MapView;
use vae_playground::services::compute::{ComputeReply, ComputeRequest, Computer};
use vae_playground::services::session::AnyVae;
use vae_playground::vae::elbo::Likelihood;
use vae_playground::vae::rng::SeededRng;

#[test]
fn the_worker_answers_like_the_model_after_a_json_round_trip() {
    let bytes = std::fs::read(common::weights_path(Dataset::Mnist)).unwrap();
    let x = common::load(Dataset::Mnist, Split::Test).image_f32(1);
    let view = Grid {
        z1: (-4.0, 4.0),
        z2: (-4.0, 4.0),
        n: 8,
    };
    let mut worker = Computer::default();
    let request = ComputeRequest::LogJoint {
        id: 7,
        x: x.clone(),
        likelihood: Likelihood::Bernoulli,
        view,
    };
    let json = serde_json::to_string(&request).unwrap();
    let early = block_on(worker.handle(serde_json::from_str(&json).unwrap()));
    assert!(
        matches!(
            early,
            ComputeReply::LogJoint {
                id: 7,
                result: Err(_),
                ..
            }
        ),
        "no model yet"
    );

    assert!(worker.set_weights(b"not weights").is_err());
    worker.set_weights(&bytes).unwrap();
    let reply: ComputeReply = serde_json::from_str(
        &serde_json::to_string(&block_on(
            worker.handle(serde_json::from_str(&json).unwrap()),
        ))
        .unwrap(),
    )
    .unwrap();
    let model = AnyVae::from_weights(&bytes).unwrap();
    let expected = block_on(model.log_joint_on_grid(&x, Likelihood::Bernoulli, view)).unwrap();
    match reply {
        ComputeReply::LogJoint {
            id: 7,
            view: answered_on,
            result: Ok(v),
        } => {
            assert_eq!(answered_on, view);
            // JSON may round the last bit of an f64.
            assert_eq!(v.len(), expected.len());
            for (a, b) in v.iter().zip(&expected) {
                assert!((a - b).abs() <= 1e-12 * b.abs(), "{a} vs {b}");
            }
        }
        other => panic!("unexpected {other:?}"),
    }

    let z = vec![0.5f32, -1.0, 2.0, 0.0];
    match block_on(worker.handle(ComputeRequest::Decode {
        id: 8,
        z: z.clone(),
        likelihood: Likelihood::Bernoulli,
    })) {
        ComputeReply::Decode {
            id: 8,
            result: Ok(p),
        } => assert_eq!(p, block_on(model.decode(&z)).unwrap()),
        other => panic!("unexpected {other:?}"),
    }
    // The continuous Bernoulli's images are its means, pulled towards 1/2 from the sigmoid's.
    let cb = Likelihood::ContinuousBernoulli;
    match block_on(worker.handle(ComputeRequest::Decode {
        id: 10,
        z: z.clone(),
        likelihood: cb,
    })) {
        ComputeReply::Decode {
            id: 10,
            result: Ok(p),
        } => {
            let sigmoid = block_on(model.decode(&z)).unwrap();
            assert_eq!(p, block_on(model.decode_mean(&z, cb)).unwrap());
            for (m, s) in p.iter().zip(&sigmoid) {
                assert!((m - 0.5).abs() <= (s - 0.5).abs() + 1e-6, "{m} vs {s}");
            }
            assert!(p.iter().zip(&sigmoid).any(|(m, s)| (m - s).abs() > 0.05));
        }
        other => panic!("unexpected {other:?}"),
    }
    let short = ComputeRequest::Inspect {
        id: 9,
        x: vec![0.0; 3],
        likelihood: Likelihood::Bernoulli,
        view,
        samples: 1,
        iwae_k: 1,
        seed: 0,
    };
    assert!(matches!(
        block_on(worker.handle(short)),
        ComputeReply::Inspect {
            id: 9,
            result: Err(_)
        }
    ));
}

/// The page drops a posterior picture whose grid is not the one the map shows now, comparing
/// the grid in the worker's reply with its own: JSON must carry every bound back bit for bit.
#[test]
fn zoomed_grids_cross_json_bit_for_bit() {
    let mut rng = SeededRng::new(3);
    let mut uniform =
        |lo: f64, hi: f64| lo + (hi - lo) * (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    for _ in 0..10_000 {
        let view = MapView::new([uniform(-4.0, 4.0), uniform(-4.0, 4.0)], uniform(0.02, 4.0));
        let grid = view.grid(64);
        let back: Grid = serde_json::from_str(&serde_json::to_string(&grid).unwrap()).unwrap();
        assert_eq!(back, grid);
    }
}
