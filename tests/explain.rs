//! Every element of the page's contract is explained, and the guided tour walks its stops.

use vae_playground::page::explain::{explain, text_id, Kind, EXPLANATIONS};
use vae_playground::page::tour::{Tour, TourMsg, STOPS};
use vae_playground::page::url_state::parse;

/// The `data-testid`s in the first column of README's contract table (`<k>` parts as `k`),
/// without the `data-*` attributes named beside them.
fn contract_ids() -> Vec<String> {
    let readme = include_str!("../README.md");
    let table = readme
        .split("### Stable test and embedding contract")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has its contract table");
    table
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .flat_map(|l| {
            let first = l.split(" | ").next().unwrap_or_default();
            format!("`{first}")
                .split('`')
                .skip(1)
                .step_by(2)
                .map(|id| id.replace(['<', '>'], ""))
                .collect::<Vec<_>>()
        })
        .filter(|id| !id.starts_with("data-"))
        .collect()
}

#[test]
fn every_contract_id_is_explained() {
    let ids = contract_ids();
    assert!(ids.len() > 100, "the table was read: {ids:?}");
    for id in [
        "tour-start",
        "tour-next",
        "tour-stop",
        "z1",
        "own-thumb-i",
        "maths-panel",
    ] {
        assert!(ids.iter().any(|i| i == id), "{id} is in the contract table");
    }
    let missing: Vec<&String> = ids.iter().filter(|id| explain(id).is_none()).collect();
    assert!(missing.is_empty(), "no explanation for {missing:?}");
}

#[test]
fn controls_announced_by_other_work_are_explained() {
    // Slow motion and the chart's new controls: explained before they land.
    for id in [
        "slowmo",
        "slowmo-next",
        "slowmo-back",
        "slowmo-stage",
        "chart-log-y",
        "chart-x",
        "export-chart",
        "runs",
    ] {
        assert!(explain(id).is_some(), "{id}");
    }
    assert!(explain("slowmo-next")
        .unwrap()
        .text
        .to_lowercase()
        .contains("slow motion plays one training step in stages"));
}

#[test]
fn patterns_match_one_more_segment() {
    assert_eq!(explain("run-name-12").map(|x| x.id), Some("run-name-*"));
    assert_eq!(
        explain("embed-panel-maths").map(|x| x.id),
        Some("embed-panel-*")
    );
    assert_eq!(explain("own-class-3").map(|x| x.id), Some("own-class-*"));
    // An exact entry wins over a pattern, and a pattern is not an id of its own.
    assert_eq!(
        explain("own-class-name").map(|x| x.id),
        Some("own-class-name")
    );
    assert!(explain("run-name-").is_none());
    assert!(explain("no-such-thing").is_none());
}

#[test]
fn entries_are_one_each_with_a_sentence_and_a_reason() {
    let mut ids: Vec<&str> = EXPLANATIONS.iter().map(|x| x.id).collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), before, "an id has two entries");
    let mut text_ids: Vec<String> = EXPLANATIONS.iter().map(text_id).collect();
    text_ids.sort();
    text_ids.dedup();
    assert_eq!(text_ids.len(), before, "two entries share a hidden text");
    for x in EXPLANATIONS {
        assert!(
            x.text.ends_with('.') && x.text.len() > 10,
            "{}: one sentence",
            x.id
        );
        assert!(!x.why.is_empty(), "{}: the formula or the reason", x.id);
        assert!(x.text.len() + x.why.len() < 260, "{}: short", x.id);
    }
    assert!(
        EXPLANATIONS
            .iter()
            .filter(|x| x.kind == Kind::Panel)
            .count()
            >= 8
    );
}

#[test]
fn every_tour_stop_points_at_an_explained_element() {
    let targets: Vec<&str> = STOPS.iter().map(|s| s.target).collect();
    assert_eq!(
        targets,
        [
            "latent-map",
            "z1",
            "decoded",
            "train",
            "loss-chart",
            "chart-rd",
            "inspect-panel",
            "maths-panel"
        ]
    );
    for s in STOPS {
        assert!(explain(s.target).is_some(), "{}", s.target);
    }
}

#[test]
fn the_tour_walks_forward_and_back_and_is_done_once_finished() {
    let mut tour = Tour::new(false, false);
    assert!(tour.invites() && tour.stop().is_none());
    tour.update(TourMsg::Next);
    assert_eq!(tour.at, None, "Next does nothing before the tour starts");
    tour.update(TourMsg::Started);
    let mut seen = vec![tour.stop().unwrap().target];
    tour.update(TourMsg::Back);
    assert_eq!(tour.at, Some(0), "Back stays at the first stop");
    while tour.at.is_some() {
        tour.update(TourMsg::Next);
        seen.extend(tour.stop().map(|s| s.target));
    }
    assert_eq!(seen.len(), STOPS.len(), "every stop once: {seen:?}");
    assert!(tour.done && !tour.invites());
    tour.update(TourMsg::Started);
    tour.update(TourMsg::Next);
    tour.update(TourMsg::Back);
    assert_eq!(tour.at, Some(0));
}

#[test]
fn skipping_counts_as_done_and_the_link_always_starts_it() {
    let mut tour = Tour::new(false, false);
    tour.update(TourMsg::Started);
    tour.update(TourMsg::Next);
    tour.update(TourMsg::Stopped);
    assert!(tour.done && tour.at.is_none());
    // Done in this browser: no invitation, but a link with `tour` starts it.
    assert!(!Tour::new(true, false).invites());
    assert_eq!(Tour::new(true, true).at, Some(0));
}

#[test]
fn the_tour_parameter_is_read() {
    assert!(parse("?tour").tour && parse("tour=1").tour);
    assert!(!parse("").tour && !parse("tour=0").tour);
    let bad = parse("tour=maybe");
    assert!(!bad.tour && bad.notices.len() == 1, "{:?}", bad.notices);
    assert!(parse("?tour&dataset=fashion").notices.is_empty());
}
