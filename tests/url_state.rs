//! Links round-trip, and no query, however hostile, panics or slips a bad value through.

use proptest::prelude::*;
use vae_playground::data::{Dataset, Split};
use vae_playground::page::map_view::MapView;
use vae_playground::page::slowmo::Stage;
use vae_playground::page::stop_rule::StopRule;
use vae_playground::page::sweep::{Sweep, SweepPlan, DEFAULT_BETAS, MAX_BETAS, MAX_EPOCHS};
use vae_playground::page::url_state::{
    parse, to_query, Panel, Panels, ViewState, WORKERS, Z_LIMIT,
};
use vae_playground::vae::elbo::Likelihood;
use vae_playground::vae::kernel_choice::{Kernel, KernelSetting};

#[test]
fn empty_query_is_the_default_view() {
    let p = parse("");
    assert_eq!(p.state, ViewState::default());
    assert!(p.notices.is_empty() && p.hosts.is_empty());
    assert_eq!(to_query(&ViewState::default()), "");
}

#[test]
fn a_full_link_is_read() {
    let p = parse("?embed&panels=sliders,decoded,chart&dataset=fashion&train=60k&lr=0.003&beta=2.5&batch=64&decoder=gaussian&sigma=0.2&hidden=256&seed=7&z=1.5,-0.25&view=1,-0.5,0.75&host=https://Blog.Example.org");
    assert!(p.notices.is_empty(), "{:?}", p.notices);
    let s = p.state;
    assert!(s.embed);
    let shown: Vec<Panel> = s.panels.iter().collect();
    assert_eq!(shown, [Panel::Sliders, Panel::Decoded, Panel::Chart]);
    assert_eq!(s.dataset, Dataset::Fashion);
    assert_eq!(s.training_set, Split::Train);
    assert_eq!((s.learning_rate, s.beta, s.batch_size), (0.003, 2.5, 64));
    assert_eq!(s.likelihood, Likelihood::Gaussian { sigma: 0.2 });
    assert_eq!((s.hidden, s.seed, s.z), (256, 7, [1.5, -0.25]));
    assert_eq!(s.view, MapView::new([1.0, -0.5], 0.75));
    assert_eq!(p.hosts, ["https://blog.example.org"]);
}

#[test]
fn a_link_opens_slow_motion_at_a_named_stage_or_says_it_is_not_one() {
    let slowmo = |query: &str| parse(query).state.slowmo;
    assert_eq!(slowmo(""), None);
    assert_eq!(slowmo("slowmo"), Some(Stage::Batch));
    assert_eq!(slowmo("slowmo=1"), Some(Stage::Batch));
    assert_eq!(slowmo("slowmo=0"), None);
    for stage in Stage::ALL {
        let p = parse(&format!("embed&slowmo={}", stage.key()));
        assert_eq!(p.state.slowmo, Some(stage));
        assert!(p.notices.is_empty(), "{:?}", p.notices);
    }
    let p = parse("slowmo=encoded");
    assert_eq!(p.state.slowmo, None);
    assert_eq!(p.notices.len(), 1);
    assert!(
        p.notices[0]
            .message
            .contains("batch, encode, sample, decode, loss, step"),
        "{}",
        p.notices[0]
    );
}

#[test]
fn the_continuous_bernoulli_decoder_and_binarised_mnist_are_named_in_links() {
    let p = parse("decoder=continuous-bernoulli&dataset=mnist-bin");
    assert!(p.notices.is_empty(), "{:?}", p.notices);
    assert_eq!(p.state.likelihood, Likelihood::ContinuousBernoulli);
    assert_eq!(p.state.dataset, Dataset::MnistBin);
    assert_eq!(
        to_query(&p.state),
        "dataset=mnist-bin&decoder=continuous-bernoulli"
    );
}

#[test]
fn bad_values_keep_defaults_and_say_which() {
    let p = parse("lr=abc&beta=-1&batch=0&hidden=99999&seed=-3&z=9,0&view=0,0,0&dataset=cifar&panels=nope&train=5&decoder=poisson&sigma=NaN&embed=maybe&host=javascript:alert(1)&colour=red");
    assert_eq!(p.state, ViewState::default());
    assert!(p.hosts.is_empty());
    let keys: Vec<&str> = p.notices.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "lr", "beta", "batch", "hidden", "seed", "z", "view", "dataset", "panels", "train",
            "decoder", "sigma", "embed", "host", "colour"
        ]
    );
    assert!(p.notices[0].message.contains("lr=abc"), "{}", p.notices[0]);
}

#[test]
fn hostile_text_is_not_echoed_in_full() {
    let long = "x".repeat(150);
    let p = parse(&format!("dataset=<script>{long}"));
    assert_eq!(p.state.dataset, Dataset::Mnist);
    assert!(
        p.notices[0].message.chars().count() < 120,
        "{}",
        p.notices[0]
    );
    let p = parse(&"a=1&".repeat(2000));
    assert!(p.notices.iter().any(|n| n.message.contains("longer than")));
}

#[test]
fn first_of_a_repeated_key_wins() {
    let p = parse("beta=2&beta=3");
    assert_eq!(p.state.beta, 2.0);
    assert_eq!(p.notices.len(), 1);
}

#[test]
fn percent_encoded_values_are_read() {
    let p = parse("panels=sliders%2Cdecoded&z=0.5%2C-1");
    assert!(p.notices.is_empty(), "{:?}", p.notices);
    assert_eq!(p.state.z, [0.5, -1.0]);
    assert!(p.state.panels.contains(Panel::Decoded) && !p.state.panels.contains(Panel::Map));
}

fn panels() -> impl Strategy<Value = Panels> {
    (1u16..1 << Panel::ALL.len()).prop_map(|mask| {
        Panel::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| mask >> i & 1 == 1)
            .fold(Panels::NONE, |acc, (_, p)| acc.with(*p))
    })
}

prop_compose! {
    fn states()(
        embed in any::<bool>(),
        panels in panels(),
        dataset in proptest::sample::select(Dataset::ALL.to_vec()),
        full in any::<bool>(),
        learning_rate in 1e-6f64..=10.0,
        beta in 0.0f64..=100.0,
        batch_size in 1usize..=1024,
        likelihood in prop_oneof![
            Just(Likelihood::Bernoulli),
            Just(Likelihood::ContinuousBernoulli),
            (0.001f64..=10.0).prop_map(|sigma| Likelihood::Gaussian { sigma }),
        ],
        hidden in 8usize..=1024,
        seed in any::<u64>(),
        z in [-Z_LIMIT..=Z_LIMIT, -Z_LIMIT..=Z_LIMIT],
        view in proptest::option::of(([-Z_LIMIT..=Z_LIMIT, -Z_LIMIT..=Z_LIMIT], MapView::MIN_HALF..=Z_LIMIT)),
        stop in proptest::option::of(prop_oneof![
            (1usize..=1_000_000).prop_map(StopRule::Steps),
            (0.01f64..=1000.0).prop_map(StopRule::Epochs),
            (-5000.0f64..=5000.0).prop_map(StopRule::TestElbo),
        ]),
        sweep in proptest::option::of((proptest::collection::vec(0.0f64..=100.0, 2..=MAX_BETAS), 0.01f64..=MAX_EPOCHS)),
        kernel in proptest::sample::select(KernelSetting::ALL.to_vec()),
        workers in proptest::option::of(WORKERS.0..=WORKERS.1),
        slowmo in proptest::option::of(proptest::sample::select(Stage::ALL.to_vec())),
    ) -> ViewState {
        let sweep = sweep
            .and_then(|(betas, epochs)| SweepPlan::new(&Sweep::betas_text(&betas), epochs).ok())
            .filter(|p| *p != SweepPlan::default_plan());
        ViewState {
            embed,
            panels,
            dataset,
            training_set: if full { Split::Train } else { Split::Train10k },
            learning_rate,
            beta,
            batch_size,
            likelihood,
            hidden,
            seed,
            z,
            view: view.map_or(MapView::WHOLE, |(centre, half)| MapView::new(centre, half)),
            stop,
            sweep,
            kernel,
            workers,
            slowmo,
        }
    }
}

#[test]
fn workers_come_from_the_link_within_their_range() {
    assert_eq!(parse("workers=3").state.workers, Some(3));
    assert_eq!(parse("").state.workers, None);
    for bad in ["workers=0", "workers=9", "workers=two"] {
        let p = parse(bad);
        assert_eq!(p.state.workers, None, "{bad}");
        assert_eq!(p.notices.len(), 1, "{bad}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_valid_state_round_trips(state in states()) {
        let p = parse(&to_query(&state));
        prop_assert!(p.notices.is_empty(), "{:?}", p.notices);
        prop_assert_eq!(p.state, state);
    }

    #[test]
    fn any_text_parses_to_a_valid_state(query in ".{0,300}") {
        check_valid(&parse(&query).state);
    }

    #[test]
    fn any_key_value_soup_parses_to_a_valid_state(
        pairs in proptest::collection::vec(
            (proptest::sample::select(vec!["lr", "beta", "batch", "hidden", "seed", "z", "view", "dataset", "panels", "decoder", "sigma", "embed", "train", "host", "stop", "sweep", "sweep-epochs", "kernel", "workers"]),
             "[-+0-9.eE,%a-z:/]{0,24}"),
            0..12)
    ) {
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        check_valid(&parse(&query.join("&")).state);
    }
}

fn check_valid(s: &ViewState) {
    assert!((1e-6..=10.0).contains(&s.learning_rate));
    assert!((0.0..=100.0).contains(&s.beta));
    assert!((1..=1024).contains(&s.batch_size) && (8..=1024).contains(&s.hidden));
    assert!(s.z.iter().all(|v| v.is_finite() && v.abs() <= Z_LIMIT));
    assert!(!s.panels.is_empty());
    let (c, h) = (s.view.centre(), s.view.half());
    assert!((MapView::MIN_HALF..=Z_LIMIT).contains(&h));
    assert!(c
        .iter()
        .all(|v| v.is_finite() && v.abs() + h <= Z_LIMIT + 1e-12));
    if let Likelihood::Gaussian { sigma } = s.likelihood {
        assert!(sigma.is_finite() && sigma > 0.0);
    }
}

#[test]
fn zooming_keeps_the_anchor_and_stays_inside() {
    let v = MapView::WHOLE.zoomed(0.5, [1.0, -3.0]);
    // The anchor sits at the same fraction of the map before and after.
    let before = MapView::WHOLE.to_unit([1.0, -3.0]);
    let after = v.to_unit([1.0, -3.0]);
    assert!(v.half() == 2.0 && (after[0] - before[0]).abs() < 1e-12);
    // Near the edge the square is moved back inside rather than spilling over.
    assert!(v.centre()[1] - v.half() >= -Z_LIMIT);
    assert_eq!(v.zoomed(100.0, [0.0, 0.0]), MapView::WHOLE);
    assert_eq!(
        MapView::WHOLE.zoomed(1e-9, [0.0, 0.0]).half(),
        MapView::MIN_HALF
    );
    let g = v.grid(4);
    assert_eq!((g.z1.1 - g.z1.0, g.z2.1 - g.z2.0), (4.0, 4.0));
    let back = v.from_unit(v.to_unit([0.3, -1.7]));
    assert!((back[0] - 0.3).abs() < 1e-12 && (back[1] + 1.7).abs() < 1e-12);
    assert_eq!(MapView::new([f64::NAN, 0.0], 1.0), MapView::WHOLE);
}

#[test]
fn a_view_around_q_frames_four_sigma() {
    let v = MapView::around([0.5, 0.25], [0.05, 0.1]);
    assert_eq!((v.centre(), v.half()), ([0.5, 0.25], 0.4));
}

#[test]
fn sigma_beside_another_decoder_is_ignored_with_a_notice_in_either_order() {
    for query in [
        "decoder=continuous-bernoulli&sigma=0.2",
        "sigma=0.2&decoder=continuous-bernoulli",
        "decoder=bernoulli&sigma=0.2",
    ] {
        let p = parse(query);
        assert!(
            !matches!(p.state.likelihood, Likelihood::Gaussian { .. }),
            "{query}: {:?}",
            p.state.likelihood
        );
        assert_eq!(p.notices.len(), 1, "{query}: {:?}", p.notices);
        assert_eq!(p.notices[0].key, "sigma");
    }
    // Alone, or beside decoder=gaussian, it sets the Gaussian's sigma.
    for query in [
        "sigma=0.2",
        "decoder=gaussian&sigma=0.2",
        "sigma=0.2&decoder=gaussian",
    ] {
        let p = parse(query);
        assert_eq!(
            p.state.likelihood,
            Likelihood::Gaussian { sigma: 0.2 },
            "{query}"
        );
        assert!(p.notices.is_empty(), "{query}: {:?}", p.notices);
    }
}

#[test]
fn a_stop_rule_is_read_from_the_link_and_a_bad_one_is_said_and_dropped() {
    let p = parse("stop=steps:500");
    assert_eq!(p.state.stop, Some(StopRule::Steps(500)));
    assert_eq!(to_query(&p.state), "stop=steps:500");
    assert_eq!(
        parse("stop=epochs:2.5").state.stop,
        Some(StopRule::Epochs(2.5))
    );
    assert_eq!(
        parse("stop=elbo:160").state.stop,
        Some(StopRule::TestElbo(160.0))
    );
    for bad in [
        "stop=steps:0",
        "stop=steps:1.5",
        "stop=epochs:-1",
        "stop=later:3",
        "stop=elbo:NaN",
        "stop=steps",
    ] {
        let p = parse(bad);
        assert_eq!(p.state.stop, None, "{bad}");
        assert_eq!(p.notices.len(), 1, "{bad}");
        assert!(
            p.notices[0].message.contains("not a stop rule"),
            "{bad}: {}",
            p.notices[0]
        );
    }
}

#[test]
fn a_sweep_is_named_by_the_link_and_a_bad_one_is_said_and_dropped() {
    let p = parse("sweep=0.5,1,2&sweep-epochs=2");
    assert!(p.notices.is_empty(), "{:?}", p.notices);
    let plan = p.state.sweep.expect("a sweep");
    assert_eq!((plan.betas(), plan.epochs), (&[0.5, 1.0, 2.0][..], 2.0));
    assert_eq!(to_query(&p.state), "sweep=0.5,1,2&sweep-epochs=2");
    // Epochs alone sweep the default β values; either order reads the same.
    let p = parse("sweep-epochs=0.5");
    assert_eq!(
        p.state.sweep.map(|s| s.betas().to_vec()),
        Some(DEFAULT_BETAS.to_vec())
    );
    assert_eq!(
        parse("sweep-epochs=2&sweep=0.5,1,2").state,
        parse("sweep=0.5,1,2&sweep-epochs=2").state
    );
    for bad in [
        "sweep=1",
        "sweep=0.5,abc",
        "sweep=-1,2",
        "sweep=1,2,3,4,5,6,7,8,9",
        "sweep-epochs=0",
        "sweep-epochs=NaN",
        "sweep-epochs=1000",
    ] {
        let p = parse(bad);
        assert_eq!(p.state.sweep, None, "{bad}");
        assert_eq!(p.notices.len(), 1, "{bad}");
        assert!(
            p.notices[0].message.contains("sweep"),
            "{bad}: {:?}",
            p.notices
        );
    }
}

#[test]
fn the_runs_panel_is_a_panel_of_its_own() {
    let p = parse("embed&panels=chart,runs");
    assert!(p.notices.is_empty(), "{:?}", p.notices);
    assert!(p.state.panels.contains(Panel::Runs) && p.state.panels.contains(Panel::Chart));
    assert!(!p.state.panels.contains(Panel::Map));
    assert!(Panels::ALL.contains(Panel::Runs) && Panels::ALL.contains(Panel::Sliders));
}

#[test]
fn a_kernel_is_forced_by_the_link_and_a_bad_one_is_said_and_measured() {
    assert_eq!(parse("").state.kernel, KernelSetting::Auto);
    for (query, want) in [
        ("kernel=auto", KernelSetting::Auto),
        ("kernel=ours", KernelSetting::Force(Kernel::Ours)),
        ("kernel=burn", KernelSetting::Force(Kernel::Burn)),
    ] {
        let p = parse(query);
        assert_eq!(p.state.kernel, want, "{query}");
        assert!(p.notices.is_empty(), "{query}: {:?}", p.notices);
    }
    assert_eq!(to_query(&parse("kernel=burn").state), "kernel=burn");
    assert_eq!(to_query(&parse("kernel=auto").state), "");
    for bad in ["kernel=fast", "kernel=", "kernel=Burn"] {
        let p = parse(bad);
        assert_eq!(p.state.kernel, KernelSetting::Auto, "{bad}");
        assert_eq!(p.notices.len(), 1, "{bad}");
        assert!(
            p.notices[0].message.contains("not auto, ours or burn"),
            "{bad}: {}",
            p.notices[0]
        );
    }
}
