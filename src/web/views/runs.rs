//! The run list under the chart: each run's name (editable), colour, the settings that differ
//! from the run before it, its final numbers, time and speed, show/hide, its history as CSV,
//! continue from its weights, delete; all runs out as JSON and back in.

use super::*;
use crate::page::runs::{Run, KEEP_WEIGHTS, MAX_RUNS};
use crate::page::sweep::MAX_EPOCHS;

/// The run list. A plain function: it reads the runs straight from the state.
pub(super) fn runs_panel(
    st: &PageState,
    send: &Callback<RunsMsg>,
    on_file: &Callback<HtmlInputElement>,
    train: &Callback<TrainMsg>,
) -> Html {
    let runs = st.runs.all();
    let current = st.runs.current().map(|r| r.id);
    let rows = runs
        .iter()
        .enumerate()
        .map(|(i, run)| run_row(st, i, run, current == Some(run.id), send));
    let (history, weights) = st.runs.memory();
    let on_json = send.reform(|_: MouseEvent| RunsMsg::JsonClicked);
    let on_file = on_file.reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>());
    let on_betas = train.reform(|e: Event| {
        TrainMsg::SweepBetasTyped(e.target_unchecked_into::<HtmlInputElement>().value())
    });
    let on_epochs = filtered(train, |e: Event| {
        parse_input::<f64>(&e)
            .filter(|v| *v > 0.0 && *v <= MAX_EPOCHS)
            .map(TrainMsg::SweepEpochsSet)
    });
    let on_sweep = train.reform(|_: MouseEvent| TrainMsg::SweepClicked);
    html! {
        <div class="runs-panel">
            { heading("Runs", "runs") }
            <div class="table-scroll">
                <table class="runs" data-testid="runs">
                    <thead><tr>
                        <th scope="col">{ "run" }</th><th scope="col">{ "differs from the run above" }</th>
                        <th scope="col">{ "final −ELBO = recon + KL" }</th><th scope="col">{ "time, images/s" }</th>
                        <th scope="col">{ "show" }</th><th scope="col">{ "take / use" }</th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <div class="buttons">
                <button data-testid="export-runs" onclick={on_json}>{ "Download all runs (.json)" }</button>
                <label class="file-button">{ "Load runs…" }
                    <input data-testid="import-runs" type="file" accept=".json,application/json" onchange={on_file} />
                </label>
            </div>
            <div class="form sweep-form">
                <label>{ "β sweep: β values" }<input data-testid="sweep-betas" value={st.sweep_betas.clone()} onchange={on_betas} /></label>
                <label>{ "epochs each" }<NumberField id="sweep-epochs" step="any" min="0" max={MAX_EPOCHS.to_string()} value={st.sweep_epochs.to_string()} onchange={on_epochs} /></label>
                <button data-testid="sweep" disabled={!st.ready() || st.sweep.is_some()} onclick={on_sweep}
                    title="fresh weights at each β (same seed and data), trained one after another; Pause cancels">{ "Run the sweep" }</button>
            </div>
            if let Some(plan) = st.view.sweep.filter(|_| st.sweep.is_none()) {
                <p class="units-note" data-testid="sweep-planned">{ format!(
                    "This page's link names a β sweep (β = {}, {} epoch(s) each): press “Run the sweep” to draw its frontier.",
                    plan.betas_text().replace(',', ", "), plan.epochs) }</p>
            }
            <p class="units-note" data-testid="runs-memory">{ format!(
                "{} runs kept (at most {MAX_RUNS}; the oldest go first): histories {:.1} kB, weights of the latest {KEEP_WEIGHTS} {:.1} MB. {}",
                runs.len(), history as f64 / 1e3, weights as f64 / 1e6,
                if st.view.embed { "Not kept after this page closes." } else { "Kept in this browser (weights are not)." },
            ) }</p>
        </div>
    }
}

fn run_row(
    st: &PageState,
    index: usize,
    run: &Run,
    current: bool,
    send: &Callback<RunsMsg>,
) -> Html {
    let id = run.id;
    let on_name = send.reform(move |e: Event| {
        RunsMsg::Renamed(id, e.target_unchecked_into::<HtmlInputElement>().value())
    });
    let on_visible = send.reform(move |e: Event| RunsMsg::VisibilityToggled(id, checked(&e)));
    let on_csv = send.reform(move |_: MouseEvent| RunsMsg::CsvClicked(id));
    let on_continue = send.reform(move |_: MouseEvent| RunsMsg::ContinueClicked(id));
    let on_delete = send.reform(move |_: MouseEvent| RunsMsg::Deleted(id));
    let differs = st
        .runs
        .differences(index)
        .into_iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let other_dataset = run.settings.dataset != st.view.dataset;
    let fin = run.final_numbers().map_or("–".to_string(), |f| {
        format!(
            "{:.2} = {:.2} + {:.2} ({}, step {})",
            f.neg_elbo(),
            f.recon,
            f.kl,
            if f.test { "test" } else { "train" },
            f.step
        )
    });
    html! {
        <tr data-run={id.to_string()} data-colour={run.colour.to_string()} class={classes!(current.then_some("current"))}>
            <td class="run-name">
                <span class={format!("swatch run-c{}", run.colour)} aria-hidden="true"></span>
                <input data-testid={format!("run-name-{id}")} aria-label="run name" value={run.name.clone()} maxlength="40" onchange={on_name} />
                if current { <span class="units-note">{ " (current)" }</span> }
            </td>
            <td class="run-differs">{ differs }{ if other_dataset { " (another dataset: not charted)" } else { "" } }</td>
            <td class="run-final" data-testid={format!("run-final-{id}")}>{ fin }</td>
            <td>{ format!("{:.1} s, {:.0}", run.wall_seconds(), run.images_per_second) }</td>
            <td><input type="checkbox" data-testid={format!("run-visible-{id}")} aria-label={format!("show {}", run.name)} checked={run.visible} onchange={on_visible} /></td>
            <td class="run-actions">
                <button data-testid={format!("run-csv-{id}")} onclick={on_csv} title="this run's history as CSV">{ "CSV" }</button>
                if run.weights.is_some() {
                    <button data-testid={format!("run-continue-{id}")} onclick={on_continue} title="go on training from this run's last weights">{ "Continue" }</button>
                }
                <button data-testid={format!("run-delete-{id}")} onclick={on_delete} aria-label={format!("delete {}", run.name)}>{ "Delete" }</button>
            </td>
        </tr>
    }
}
