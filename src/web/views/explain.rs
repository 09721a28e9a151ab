//! Explanations on the page: the hidden texts every explained element is described by
//! (`page::explain`), the "?" beside a panel's heading, and the guided tour's button and card.

use std::cell::Cell;

use super::*;
use crate::page::explain::{text_id, Kind, EXPLANATIONS};
use crate::page::tour::{Tour, TourMsg, STOPS};
use crate::page::url_state;
use crate::web::explain as js;

/// Every explanation as hidden text, the target of the elements' `aria-describedby`. Never
/// changes, so it renders once.
#[function_component(Explanations)]
pub(super) fn explanations() -> Html {
    use_effect_with((), |_| js::start_explaining());
    html! {
        <div hidden=true>
            { for EXPLANATIONS.iter().map(|x| html! {
                <p id={text_id(x)} data-kind={if x.kind == Kind::Panel { "panel" } else { "item" }}>
                    <span class="explain-text">{ x.text }</span>{ " " }<span class="explain-why">{ x.why }</span>
                </p>
            }) }
        </div>
    }
}

/// A heading with a "?" that shows the panel's explanation (`id` in `page::explain`): tap or
/// click it, or focus it.
pub(super) fn heading(title: &str, id: &'static str) -> Html {
    let described = crate::page::explain::explain(id).map(text_id);
    html! {
        <h2>{ title }
            <button class="info" data-explains={id} aria-label={format!("About “{title}”")} aria-describedby={described}>{ "?" }</button>
        </h2>
    }
}

impl Reducible for Tour {
    type Action = TourMsg;

    fn reduce(self: Rc<Self>, msg: TourMsg) -> Rc<Self> {
        let mut next = *self;
        next.update(msg);
        Rc::new(next)
    }
}

fn requested_in_link() -> bool {
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    url_state::parse(&query).tour
}

/// The Tour button, an invitation until the tour is done, and the tour's card while it runs
/// (fixed at the foot of the window; its stop is marked on the page and scrolled to).
#[function_component(TourGuide)]
pub(super) fn tour_guide() -> Html {
    let tour = use_reducer(|| Tour::new(js::tour_done(), requested_in_link()));
    // Spotlight on every change of stop, but not on the first render of a tour not running.
    let was_running = use_mut_ref(|| Cell::new(false));
    use_effect_with((tour.at, tour.done), move |&(at, done)| {
        let running = at.is_some();
        if running || was_running.borrow().get() {
            js::spotlight(at.map_or("", |i| STOPS[i].target), running);
        }
        was_running.borrow().set(running);
        if done {
            js::set_tour_done();
        }
    });
    let send = |msg: TourMsg| {
        let tour = tour.clone();
        Callback::from(move |_: MouseEvent| tour.dispatch(msg))
    };
    let card = tour.at.map(|i| {
        let stop = &STOPS[i];
        let last = i + 1 == STOPS.len();
        html! {
            <div class="tour-card" role="dialog" aria-labelledby="tour-title" aria-describedby="tour-text"
                data-testid="tour" data-tour-stop={i.to_string()} data-tour-for={stop.target}>
                <p class="tour-count">{ format!("Tour, stop {} of {}", i + 1, STOPS.len()) }</p>
                <h2 id="tour-title">{ stop.title }</h2>
                <p id="tour-text">{ stop.text }</p>
                <div class="buttons">
                    <button data-testid="tour-back" disabled={i == 0} onclick={send(TourMsg::Back)}>{ "Back" }</button>
                    <button data-testid="tour-next" onclick={send(TourMsg::Next)}>{ if last { "Finish" } else { "Next" } }</button>
                    <button data-testid="tour-stop" onclick={send(TourMsg::Stopped)}>{ "Skip the tour" }</button>
                </div>
            </div>
        }
    });
    html! {
        <>
            <button data-testid="tour-start" onclick={send(TourMsg::Started)}>{ "Tour" }</button>
            if tour.invites() {
                <span class="tour-invite">{ format!("New to VAEs? A {}-stop tour of the page.", STOPS.len()) }</span>
            }
            { for card }
        </>
    }
}
