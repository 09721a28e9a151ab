//! Host commands: exactly the documented shapes are taken; everything else is refused.

use proptest::prelude::*;
use vae_playground::page::host_api::{HostApiError, HostCommand, HostEvent};
use vae_playground::page::host_bridge::recipients;

#[test]
fn documented_commands_parse() {
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:set-z","z":[1.5,-0.5]}"#),
        Ok(HostCommand::SetZ { z: [1.5, -0.5] })
    );
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:set-dataset","dataset":"fashion"}"#),
        Ok(HostCommand::SetDataset {
            dataset: "fashion".into()
        })
    );
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:train"}"#),
        Ok(HostCommand::Train { until: None })
    );
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:train","until":"steps:300"}"#),
        Ok(HostCommand::Train {
            until: Some("steps:300".into())
        })
    );
    assert!(matches!(
        HostCommand::parse(r#"{"type":"vae:train","until":"steps:-3"}"#),
        Err(HostApiError::OutOfRange(_))
    ));
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:sweep","betas":[0.5,2],"epochs":1}"#),
        Ok(HostCommand::Sweep {
            betas: vec![0.5, 2.0],
            epochs: 1.0
        })
    );
    for bad in [
        r#"{"type":"vae:sweep","betas":[0.5],"epochs":1}"#,
        r#"{"type":"vae:sweep","betas":[0.5,-2],"epochs":1}"#,
        r#"{"type":"vae:sweep","betas":[0.5,2],"epochs":0}"#,
    ] {
        assert!(
            matches!(HostCommand::parse(bad), Err(HostApiError::OutOfRange(_))),
            "{bad}"
        );
    }
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:pause"}"#),
        Ok(HostCommand::Pause {})
    );
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:set-hyperparameters","beta":4}"#),
        Ok(HostCommand::SetHyperparameters {
            lr: None,
            beta: Some(4.0)
        })
    );
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:subscribe"}"#),
        Ok(HostCommand::Subscribe {})
    );
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:slowmo","stage":"encode","play":false}"#),
        Ok(HostCommand::SlowMo {
            stage: Some("encode".into()),
            play: Some(false)
        })
    );
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:slowmo"}"#),
        Ok(HostCommand::SlowMo {
            stage: None,
            play: None
        })
    );
    assert_eq!(
        HostCommand::parse(r#"{"type":"vae:slowmo-leave"}"#),
        Ok(HostCommand::SlowMoLeave {})
    );
}

#[test]
fn wrong_shapes_and_values_are_refused() {
    for bad in [
        "",
        "null",
        "42",
        "\"vae:train\"",
        "[]",
        "{}",
        r#"{"type":"vae:launch"}"#,
        r#"{"type":"vae:set-z"}"#,
        r#"{"type":"vae:set-z","z":[1]}"#,
        r#"{"type":"vae:set-z","z":"1,2"}"#,
        r#"{"type":"vae:set-z","z":[1,2],"extra":true}"#,
        r#"{"type":"vae:set-dataset","dataset":"cifar"}"#,
        r#"{"type":"vae:set-hyperparameters","lr":-1}"#,
        r#"{"type":"vae:set-hyperparameters","beta":1e9}"#,
        r#"{"type":"vae:train","__proto__":{}}"#,
        r#"{"type":"vae:slowmo","stage":"encoded"}"#,
        r#"{"type":"vae:slowmo","play":"yes"}"#,
        r#"{"type":"vae:slowmo-leave","now":true}"#,
    ] {
        assert!(HostCommand::parse(bad).is_err(), "{bad} was taken");
    }
    assert!(matches!(
        HostCommand::parse(r#"{"type":"vae:set-z","z":[9,0]}"#),
        Err(HostApiError::OutOfRange(_))
    ));
    let huge = format!(r#"{{"type":"vae:train","x":"{}"}}"#, "a".repeat(10_000));
    assert!(matches!(
        HostCommand::parse(&huge),
        Err(HostApiError::TooLong(_))
    ));
}

#[test]
fn metrics_event_is_plain_json_with_nulls_for_missing_numbers() {
    let json = HostEvent::Metrics {
        step: 3,
        epoch: 0.1,
        kl: None,
        recon: Some(f64::NAN),
        elbo: Some(150.0),
        training: true,
        dataset: "mnist",
        z: [0.0, 1.0],
        slowmo: None,
    }
    .to_json();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["type"], "vae:metrics");
    assert!(v["slowmo"].is_null());
    assert_eq!(v["step"], 3);
    assert!(v["kl"].is_null() && v["recon"].is_null());
    assert_eq!(v["elbo"], 150.0);
}

#[test]
fn messages_to_the_parent_go_only_to_its_origin_when_known() {
    let allowed = ["http://own".to_string(), "https://blog".to_string()];
    let to = |parent| recipients(&allowed, parent).collect::<Vec<_>>();
    assert_eq!(to(Some("https://blog")), ["https://blog"]);
    assert_eq!(to(Some("http://own")), ["http://own"]);
    // A parent that is not allowed is told nothing.
    assert!(to(Some("https://elsewhere")).is_empty());
    // Unknown: each allowed origin, and the browser delivers to the one that matches.
    assert_eq!(to(None), ["http://own", "https://blog"]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn any_text_is_a_command_or_an_error(text in ".{0,200}") {
        let _ = HostCommand::parse(&text);
    }

    #[test]
    fn set_z_is_taken_only_within_range(a in -1e3f64..1e3, b in -1e3f64..1e3) {
        let r = HostCommand::parse(&format!(r#"{{"type":"vae:set-z","z":[{a},{b}]}}"#));
        prop_assert_eq!(r.is_ok(), a.abs() <= 4.0 && b.abs() <= 4.0);
    }
}
