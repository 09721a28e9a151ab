//! Share or embed: a link, an embed code and its panels.

use super::*;

#[derive(Properties, PartialEq)]
pub struct SharePanelProps {
    pub embed_panels: Panels,
    pub embed_code: String,
    pub embed_host_error: Option<String>,
    pub on_msg: Callback<ShareMsg>,
}

/// Copy a link or an embed code for the current state.
#[function_component(SharePanel)]
pub(super) fn share_panel(props: &SharePanelProps) -> Html {
    let on_link = props
        .on_msg
        .reform(|_: MouseEvent| ShareMsg::CopyLinkClicked);
    let on_embed = props
        .on_msg
        .reform(|_: MouseEvent| ShareMsg::CopyEmbedClicked);
    let on_host = props.on_msg.reform(|e: Event| {
        ShareMsg::EmbedHostTyped(e.target_unchecked_into::<HtmlInputElement>().value())
    });
    html! {
        <div class="panel share">
            { heading("Share or embed", "share") }
            <p class="units-note">{ "The address bar always holds this view: dataset, settings, seed and z." }</p>
            <div class="buttons">
                <button data-testid="copy-link" onclick={on_link}>{ "Copy link" }</button>
                <button data-testid="copy-embed" onclick={on_embed}>{ "Copy embed code" }</button>
            </div>
            <fieldset class="panel-picks">
                <legend>{ "Panels in the embed" }</legend>
                { for Panel::ALL.iter().map(|p| {
                    let p = *p;
                    html! {
                        <label><input type="checkbox" data-testid={format!("embed-panel-{}", p.key())}
                            checked={props.embed_panels.contains(p)}
                            onchange={props.on_msg.reform(move |_: Event| ShareMsg::EmbedPanelToggled(p))} />{ format!(" {}", p.key()) }</label>
                    }
                }) }
            </fieldset>
            <label class="embed-host">{ "Your site's origin (optional: the frame then tells it its height and takes its commands) " }
                <input type="url" data-testid="embed-host" placeholder="https://your.blog" onchange={on_host} /></label>
            if let Some(why) = &props.embed_host_error {
                <p class="field-error" data-testid="embed-host-error" role="alert">{ why }</p>
            }
            if !props.embed_code.is_empty() {
                <textarea data-testid="embed-code" readonly=true rows="3" aria-label="embed code" value={props.embed_code.clone()} />
            }
        </div>
    }
}
