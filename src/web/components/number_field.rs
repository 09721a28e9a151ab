//! A number input that keeps what the user is typing.
//!
//! Yew puts a controlled input's `value` back into the DOM on every render where they differ,
//! and the page renders up to ten times a second while training, so a plain
//! `<input value=…>` lost a learning rate typed during training before its `change` event.
//! This field shows the user's own text while they edit (updated on `input`), hands the
//! `change` event to the page, and shows the page's value again whenever that changes.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NumberFieldProps {
    /// The `data-testid` of the input.
    pub id: AttrValue,
    /// The value the page holds, as text.
    pub value: AttrValue,
    #[prop_or_default]
    pub min: Option<AttrValue>,
    #[prop_or_default]
    pub max: Option<AttrValue>,
    #[prop_or_default]
    pub step: Option<AttrValue>,
    #[prop_or_default]
    pub disabled: bool,
    /// The input's `change` event: the page reads and checks the new text.
    pub onchange: Callback<Event>,
}

#[function_component(NumberField)]
pub fn number_field(props: &NumberFieldProps) -> Html {
    let text = use_state_eq(|| props.value.clone());
    {
        // A new value from the page (accepted input, a loaded link, a reset) replaces the text.
        let text = text.clone();
        use_effect_with(props.value.clone(), move |value| text.set(value.clone()));
    }
    let oninput = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                text.set(input.value().into());
            }
        })
    };
    let onchange = {
        let (text, value, onchange) = (text.clone(), props.value.clone(), props.onchange.clone());
        Callback::from(move |e: Event| {
            onchange.emit(e);
            // Text the page refused goes back to its value; accepted text comes back as the
            // page's new value (the effect above).
            text.set(value.clone());
        })
    };
    html! {
        <input data-testid={props.id.clone()} type="number" value={(*text).clone()}
            min={props.min.clone()} max={props.max.clone()} step={props.step.clone()}
            disabled={props.disabled} {oninput} {onchange} />
    }
}
