//! The run list (`page::runs`): runs begin at boundaries, follow training, are bounded, keep
//! the latest few weights, and go out and come back as JSON, a bad file changing nothing.

use std::rc::Rc;

use vae_playground::analysis::history_csv;
use vae_playground::analysis::train::HistoryRow;
use vae_playground::data::{Dataset, Split};
use vae_playground::page::readout::{Readout, TestPoint};
use vae_playground::page::runs::{RunOrigin, RunSettings, Runs, RunsError, KEEP_WEIGHTS, MAX_RUNS};
use vae_playground::services::session::Device;
use vae_playground::vae::elbo::Likelihood;

fn settings(beta: f64) -> RunSettings {
    RunSettings {
        dataset: Dataset::Mnist,
        likelihood: Likelihood::Bernoulli,
        beta,
        learning_rate: 1e-3,
        batch_size: 128,
        hidden: 512,
        seed: 0,
        training_set: Split::Train10k,
        device: Device::Cpu,
    }
}

fn row(step: usize, kl: f64, recon: f64) -> HistoryRow {
    HistoryRow {
        step,
        epoch: step as f64 / 80.0,
        images_seen: step as u64 * 128,
        kl,
        recon,
        neg_elbo: kl + recon,
        loss: kl + recon,
        beta: 1.0,
        learning_rate: 1e-3,
        wall_seconds: step as f64 * 0.05,
    }
}

/// A readout after `steps` steps logged every 5.
fn readout(steps: usize, kl: f64) -> Readout {
    Readout {
        step: steps,
        images_per_second: 2000.0,
        history: Rc::new(
            (1..=steps / 5)
                .map(|i| row(i * 5, kl, 150.0 + i as f64))
                .collect(),
        ),
        test_points: Rc::new(vec![TestPoint {
            step: steps,
            kl: kl - 0.5,
            recon: 160.0,
        }]),
        ..Readout::default()
    }
}

/// `runs` with one run per beta, each begun by a Reset and trained 20 steps.
fn trained(betas: &[f64]) -> Runs {
    let mut runs = Runs::default();
    for &beta in betas {
        runs.begin(RunOrigin::Reset);
        assert_eq!(runs.track(&readout(0, 1.0), settings(beta)), None);
        runs.track(&readout(20, 6.0 / beta), settings(beta));
    }
    runs
}

#[test]
fn each_boundary_begins_a_run_once_rows_come_with_its_own_colour_and_what_differs() {
    let mut runs = Runs::default();
    runs.begin(RunOrigin::Reset);
    // Nothing trained yet: no run.
    runs.track(&Readout::default(), settings(1.0));
    assert!(runs.all().is_empty());
    runs.track(&readout(10, 5.0), settings(1.0));
    runs.track(&readout(20, 5.0), settings(1.0));
    assert_eq!(runs.all().len(), 1, "one run follows training");
    assert_eq!(runs.all()[0].history.len(), 4);
    let fin = runs.all()[0].final_numbers().unwrap();
    assert!(fin.test && fin.step == 20 && fin.kl == 4.5 && fin.recon == 160.0);
    assert_eq!(runs.all()[0].wall_seconds(), 1.0);

    runs.begin(RunOrigin::Reset);
    runs.track(&readout(10, 2.0), settings(4.0));
    let all = runs.all();
    assert_eq!(all.len(), 2);
    assert_ne!(all[0].colour, all[1].colour);
    assert_eq!(all[1].origin, RunOrigin::Reset);
    assert_eq!(runs.differences(1), vec![("β", "4".to_string())]);
    assert_eq!(
        runs.differences(0).len(),
        9,
        "the first run lists every setting"
    );
}

#[test]
fn a_setting_changed_before_the_first_rows_is_the_runs_and_during_it_is_noted() {
    let mut runs = trained(&[1.0]);
    runs.settings_changed(settings(2.0));
    assert!(runs.all()[0].changed);
    assert_eq!(runs.all()[0].settings.beta, 1.0);
    assert_eq!(runs.differences(0).last().unwrap().0, "changed");
    // After a boundary, the next run takes the settings of its first rows.
    runs.begin(RunOrigin::Reset);
    runs.settings_changed(settings(3.0));
    runs.track(&readout(5, 1.0), settings(3.0));
    assert_eq!(runs.all()[1].settings.beta, 3.0);
    assert!(!runs.all()[1].changed);
}

#[test]
fn beyond_the_limit_the_oldest_runs_go_with_a_notice_but_not_the_pretrained_one() {
    let mut runs = Runs::default();
    runs.add_pretrained(settings(1.0), vec![row(50, 3.0, 180.0)]);
    runs.add_pretrained(settings(1.0), vec![row(50, 3.0, 180.0)]);
    assert_eq!(runs.all().len(), 1, "one pretrained run per dataset");
    let mut notices = Vec::new();
    for i in 0..MAX_RUNS + 1 {
        runs.begin(RunOrigin::Reset);
        notices.extend(runs.track(&readout(5, 1.0 + i as f64), settings(1.0)));
    }
    assert_eq!(runs.all().len(), MAX_RUNS);
    assert_eq!(runs.all()[0].origin, RunOrigin::Pretrained);
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(notices[0].contains("run 2"), "{}", notices[0]);
    assert!(runs
        .all()
        .iter()
        .all(|r| r.name != "run 2" && r.name != "run 3"));
    assert_eq!(
        runs.current().unwrap().name,
        format!("run {}", MAX_RUNS + 2)
    );
}

#[test]
fn only_the_latest_runs_keep_their_weights_and_memory_counts_them() {
    let mut runs = Runs::default();
    for _ in 0..KEEP_WEIGHTS + 2 {
        runs.begin(RunOrigin::Reset);
        runs.track(&readout(10, 1.0), settings(1.0));
        runs.keep_weights(Rc::new(vec![0u8; 1000]));
    }
    let kept: Vec<bool> = runs.all().iter().map(|r| r.weights.is_some()).collect();
    assert_eq!(kept.iter().filter(|k| **k).count(), KEEP_WEIGHTS);
    assert!(!kept[0] && !kept[1] && kept[KEEP_WEIGHTS + 1]);
    let (history, weights) = runs.memory();
    assert_eq!(weights, KEEP_WEIGHTS * 1000);
    let per_run = 2 * std::mem::size_of::<HistoryRow>() + std::mem::size_of::<TestPoint>();
    assert_eq!(history, (KEEP_WEIGHTS + 2) * per_run);
}

#[test]
fn rename_hide_and_delete() {
    let mut runs = trained(&[1.0, 2.0]);
    let id = runs.all()[0].id;
    runs.rename(id, "  beta one  ");
    runs.rename(id, "   ");
    assert_eq!(runs.all()[0].name, "beta one");
    runs.set_visible(id, false);
    assert!(!runs.all()[0].visible);
    let current = runs.current().unwrap().id;
    runs.delete(current);
    assert_eq!(runs.all().len(), 1);
    assert!(runs.current().is_none(), "training goes on into a new run");
}

#[test]
fn json_goes_out_and_comes_back_and_csv_is_the_cli_format() {
    let mut runs = trained(&[1.0, 4.0]);
    runs.add_pretrained(settings(1.0), vec![row(50, 3.0, 180.0)]);
    runs.rename(runs.all()[1].id, "β one");
    let json = runs.to_json();
    let mut back = Runs::default();
    let (added, dropped) = back.import(json.as_bytes()).unwrap();
    assert_eq!((added, dropped), (3, None));
    for (a, b) in runs.all().iter().zip(back.all()) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.settings, b.settings);
        assert_eq!(a.history, b.history);
        assert_eq!(a.test_points, b.test_points);
        assert_eq!(a.origin, b.origin);
    }
    // The pretrained run is not added twice; the others are.
    back.import(json.as_bytes()).unwrap();
    assert_eq!(back.all().len(), 5);
    let run = &runs.all()[1];
    assert_eq!(history_csv::from_csv(&run.csv()).unwrap(), *run.history);
}

#[test]
fn a_bad_runs_file_is_refused_with_its_reason_and_changes_nothing() {
    let mut runs = trained(&[1.0]);
    let good = runs.to_json();
    let before = runs.to_json();
    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() / 2].to_string(), "not a runs file"),
        ("[1, 2, 3]".into(), "not a runs file"),
        (good.replace("vae-playground-runs", "other"), "format"),
        (good.replace("\"version\":1", "\"version\":7"), "version 7"),
        (good.replace("\"beta\":1.0", "\"beta\":-1.0"), "run 1: β"),
        (
            good.replace("\"step\":10,", "\"step\":1,"),
            "steps must increase",
        ),
        (
            good.replace("\"kl\":6.0", "\"kl\":1e999"),
            "not a runs file",
        ),
        (good.replace("\"name\":\"run 1\"", "\"name\":\"\""), "name"),
        (
            good.replace("\"visible\":true", "\"visible\":true,\"extra\":1"),
            "unknown field",
        ),
    ];
    for (text, why) in cases {
        let err = runs.import(text.as_bytes()).unwrap_err();
        assert!(err.to_string().contains(why), "{why}: {err}");
        assert_eq!(runs.to_json(), before, "{why}: nothing changed");
    }
    let huge = vec![b' '; vae_playground::page::runs::MAX_RUNS_FILE + 1];
    assert!(matches!(runs.import(&huge), Err(RunsError::TooLarge(_))));
}
