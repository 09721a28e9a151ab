//! Keep this model: download, load, remember.

use super::*;

#[derive(Properties, PartialEq)]
pub struct KeepPanelProps {
    pub ready: bool,
    pub remember: bool,
    pub remembered_step: Option<usize>,
    pub on_msg: Callback<KeepMsg>,
    pub on_file: Callback<HtmlInputElement>,
}

/// Download, load and remember the model.
#[function_component(KeepPanel)]
pub(super) fn keep_panel(props: &KeepPanelProps) -> Html {
    let ready = props.ready;
    let on_file = props
        .on_file
        .reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>());
    let on_remember = props
        .on_msg
        .reform(|e: Event| KeepMsg::RememberToggled(checked(&e)));
    let on_download = props
        .on_msg
        .reform(|_: MouseEvent| KeepMsg::DownloadClicked);
    html! {
        <div class="panel keep">
            { heading("Keep this model", "keep") }
            <div class="buttons">
                <button data-testid="download" disabled={!ready} onclick={on_download}>{ "Download weights (.vaew)" }</button>
                <label class="file-button">{ "Load weights…" }
                    <input data-testid="load-weights" type="file" accept=".vaew,application/octet-stream" onchange={on_file} disabled={!ready} />
                </label>
            </div>
            <label class="check">
                <input data-testid="remember" type="checkbox" checked={props.remember} onchange={on_remember} />
                { " Remember my trained model in this browser" }
            </label>
            <p class="units-note" data-testid="remembered">{
                match props.remembered_step {
                    Some(step) if props.remember => format!("Saved in this browser at step {step}; it opens next time. Untick to forget it."),
                    _ if props.remember => "Saved when you pause training, and every 15 s while it runs.".to_string(),
                    _ => "Not remembered: the next visit opens the pretrained model.".to_string(),
                }
            }</p>
        </div>
    }
}
