//! Links round-trip, and no query, however hostile, panics or slips a bad value through.

use proptest::prelude::*;
use vae_playground::data::{Dataset, Split};
use vae_playground::elbo::Likelihood;
use vae_playground::url_state::{parse, to_query, Panel, Panels, ViewState, Z_LIMIT};

#[test]
fn empty_query_is_the_default_view() {
    let p = parse("");
    assert_eq!(p.state, ViewState::default());
    assert!(p.notices.is_empty() && p.hosts.is_empty());
    assert_eq!(to_query(&ViewState::default()), "");
}

#[test]
fn a_full_link_is_read() {
    let p = parse("?embed&panels=sliders,decoded,chart&dataset=fashion&train=60k&lr=0.003&beta=2.5&batch=64&decoder=gaussian&sigma=0.2&hidden=256&seed=7&z=1.5,-0.25&host=https://Blog.Example.org");
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
    assert_eq!(p.hosts, ["https://blog.example.org"]);
}

#[test]
fn bad_values_keep_defaults_and_say_which() {
    let p = parse("lr=abc&beta=-1&batch=0&hidden=99999&seed=-3&z=9,0&dataset=cifar&panels=nope&train=5&decoder=poisson&sigma=NaN&embed=maybe&host=javascript:alert(1)&colour=red");
    assert_eq!(p.state, ViewState::default());
    assert!(p.hosts.is_empty());
    let keys: Vec<&str> = p.notices.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "lr", "beta", "batch", "hidden", "seed", "z", "dataset", "panels", "train", "decoder",
            "sigma", "embed", "host", "colour"
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
    (1u8..128).prop_map(|mask| {
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
        fashion in any::<bool>(),
        full in any::<bool>(),
        learning_rate in 1e-6f64..=10.0,
        beta in 0.0f64..=100.0,
        batch_size in 1usize..=1024,
        sigma in proptest::option::of(0.001f64..=10.0),
        hidden in 8usize..=1024,
        seed in any::<u64>(),
        z in [-Z_LIMIT..=Z_LIMIT, -Z_LIMIT..=Z_LIMIT],
    ) -> ViewState {
        ViewState {
            embed,
            panels,
            dataset: if fashion { Dataset::Fashion } else { Dataset::Mnist },
            training_set: if full { Split::Train } else { Split::Train10k },
            learning_rate,
            beta,
            batch_size,
            likelihood: sigma.map_or(Likelihood::Bernoulli, |sigma| Likelihood::Gaussian { sigma }),
            hidden,
            seed,
            z,
        }
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
            (proptest::sample::select(vec!["lr", "beta", "batch", "hidden", "seed", "z", "dataset", "panels", "decoder", "sigma", "embed", "train", "host"]),
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
    if let Likelihood::Gaussian { sigma } = s.likelihood {
        assert!(sigma.is_finite() && sigma > 0.0);
    }
}
