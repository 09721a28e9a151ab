//! "Your data": draw a set with a class picker, add image files or a folder, see it by class,
//! keep and share it as a dataset file.

use super::*;
use crate::data::own::{OwnSet, Polarity, MAX_CLASSES, MAX_IMAGES};
use crate::page::msg::OwnMsg;
use crate::page::own_data::class_centres;

/// The map's classes on your data, for tests: `label:z1,z2,spread` joined by `;` (empty on
/// the built-in sets, whose 2,000 points are not worth the text).
pub(super) fn centres_attribute(st: &PageState) -> String {
    if st.view.dataset != Dataset::Own {
        return String::new();
    }
    class_centres(&st.means, &st.map_labels)
        .iter()
        .map(|(label, [x, y], spread)| format!("{label}:{x:.4},{y:.4},{spread:.4}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// Thumbnails shown per class; the rest are counted.
const THUMBS_PER_CLASS: usize = 40;

pub(super) fn own_panel(app: &App) -> Html {
    let st = &app.state;
    let own = &st.own;
    let send = &app.send.own;
    let set = own.set();
    let names = set.names();
    let on_class =
        send.reform(|e: Event| OwnMsg::ClassPicked(select_value(&e).parse().unwrap_or(0)));
    let class = own.class;
    let on_rename = send.reform(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        OwnMsg::ClassRenamed(class, input.value())
    });
    let on_polarity = send.reform(|e: Event| {
        OwnMsg::PolarityChosen(Polarity::from_key(&select_value(&e)).unwrap_or_default())
    });
    let click = |msg: fn() -> OwnMsg| send.reform(move |_: MouseEvent| msg());
    let files = app.send.own_files.clone();
    let on_files = files.reform(|e: Event| (e.target_unchecked_into::<HtmlInputElement>(), false));
    let on_folder = files.reform(|e: Event| (e.target_unchecked_into::<HtmlInputElement>(), true));
    let on_import = app
        .send
        .own_import
        .reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>());
    let on_drawn = send
        .reform(|ink: Option<Rc<Vec<f32>>>| OwnMsg::PadDrawn(ink.map(|ink| (ink, DIGIT_PAD_SIDE))));
    let on_drag = Callback::from(|e: DragEvent| e.prevent_default());
    let on_drop = {
        let drop = app.send.own_drop.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if let Some(dt) = e.data_transfer() {
                drop.emit(browser::start_decoding_drop(&dt));
            }
        })
    };
    let on_own = st.view.dataset == Dataset::Own;
    let use_it = app
        .send
        .load
        .reform(|_: MouseEvent| LoadMsg::DatasetChosen(Dataset::Own));
    html! {
        <div class="panel own-data" data-testid="own-data" ondragover={on_drag} ondrop={on_drop} data-own-version={own.version().to_string()}
            data-import-ms={own.timing.map(|t| format!("{:.1},{:.1},{}", t.decode_ms, t.pipeline_ms, t.images)).unwrap_or_default()}>
            { heading("Your data", "own-data") }
            <p class="units-note">{ format!(
                "Draw a few examples of each class, or add image files, a folder or a ZIP (sub-folders become the classes) — by the buttons or by dropping them here; each becomes a 28×28 image the way MNIST's were made. Up to {MAX_CLASSES} classes and {MAX_IMAGES} images; kept in this browser."
            ) }</p>
            <div class="own-columns">
                <div class="own-draw">
                    <div class="toolbar">
                        <label>{ "Class " }
                            <select data-testid="own-class" aria-label="class of new drawings" onchange={on_class}>
                                { for names.iter().enumerate().map(|(i, n)| html! {
                                    <option value={i.to_string()} selected={i == class}>{ n }</option>
                                }) }
                            </select>
                        </label>
                        <label>{ "Name " }
                            <input data-testid="own-class-name" type="text" maxlength="32" size="10"
                                value={names.get(class).cloned().unwrap_or_default()} onchange={on_rename} />
                        </label>
                        <button data-testid="own-add-class" disabled={names.len() >= MAX_CLASSES}
                            onclick={click(|| OwnMsg::ClassAdded)}>{ "Add class" }</button>
                    </div>
                    <DigitPad {on_drawn} testid="own-draw" buttons="own-pad" clears={own.pad_clears}
                        label="drawing pad for your data: draw an example of the picked class" />
                    <button data-testid="own-add" disabled={!own.has_drawing()} onclick={click(|| OwnMsg::AddClicked)}>
                        { format!("Add to “{}”", names.get(class).map_or("", String::as_str)) }
                    </button>
                </div>
                <div class="own-files">
                    <label class="file-button">{ "Add image files or a ZIP…" }
                        <input data-testid="own-files" type="file" multiple=true accept="image/*,.zip,application/zip" onchange={on_files} />
                    </label>
                    <label class="file-button">{ "Add a folder…" }
                        <input data-testid="own-folder" type="file" webkitdirectory=true multiple=true onchange={on_folder} />
                    </label>
                    <label>{ "Ink " }
                        <select data-testid="own-polarity" aria-label="which way the images' ink runs" onchange={on_polarity}>
                            <option value="auto" selected={own.polarity == Polarity::Auto}>{ "detect (invert dark-on-light)" }</option>
                            <option value="light-on-dark" selected={own.polarity == Polarity::LightOnDark}>{ "light on dark" }</option>
                            <option value="dark-on-light" selected={own.polarity == Polarity::DarkOnLight}>{ "dark on light (invert)" }</option>
                        </select>
                    </label>
                    <p><span data-testid="own-count">{ set.len() }</span>{ " images" }</p>
                    if let Some(message) = &own.message {
                        <p class="units-note" data-testid="own-message" aria-live="polite">{ message }</p>
                    }
                    <div class="buttons">
                        <button data-testid="own-undo" disabled={!own.can_undo()} onclick={click(|| OwnMsg::UndoClicked)}>{ "Undo" }</button>
                        <button data-testid="own-clear" disabled={set.is_empty()} onclick={click(|| OwnMsg::ClearClicked)}>{ "Clear all" }</button>
                        <button data-testid="own-export" disabled={set.is_empty()} onclick={click(|| OwnMsg::ExportClicked)}>{ "Download set (.vaed)" }</button>
                        <label class="file-button">{ "Load set…" }
                            <input data-testid="own-import" type="file" accept=".vaed,application/octet-stream" onchange={on_import} />
                        </label>
                    </div>
                    if !on_own {
                        <button data-testid="own-use" onclick={use_it}>{ "Train on this set" }</button>
                    }
                </div>
            </div>
            <OwnThumbs set={own.shared()} on_remove={send.reform(OwnMsg::Removed)} />
        </div>
    }
}

#[derive(Properties)]
struct OwnThumbsProps {
    set: Rc<OwnSet>,
    on_remove: Callback<usize>,
}

impl PartialEq for OwnThumbsProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.set, &other.set) && self.on_remove == other.on_remove
    }
}

/// The set by class; a click on an image removes it.
#[function_component(OwnThumbs)]
fn own_thumbs(props: &OwnThumbsProps) -> Html {
    let set = &props.set;
    let counts = set.counts();
    html! {
        <div class="own-classes">
            { for set.names().iter().enumerate().map(|(class, name)| {
                let members: Vec<usize> = (0..set.len())
                    .filter(|&i| usize::from(set.labels()[i]) == class)
                    .collect();
                let more = members.len().saturating_sub(THUMBS_PER_CLASS);
                html! {
                    <div class="own-class" data-testid={format!("own-class-{class}")}>
                        <h3><span class={format!("swatch class-{class}")}></span>{ format!("{name} ({})", counts[class]) }</h3>
                        <div class="examples">
                            { for members.iter().take(THUMBS_PER_CLASS).map(|&i| {
                                let pixels = Rc::new(set.image(i).iter().map(|&p| f32::from(p) / 255.0).collect::<Vec<f32>>());
                                html! {
                                    <Thumb {pixels} label={format!("remove image {i} ({name})")} testid={format!("own-thumb-{i}")}
                                        on_click={props.on_remove.reform(move |_| i)} />
                                }
                            }) }
                            if more > 0 { <span class="units-note">{ format!("and {more} more") }</span> }
                        </div>
                    </div>
                }
            }) }
        </div>
    }
}
