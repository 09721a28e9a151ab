//! Inside the bound: pick or draw x; its reconstruction, ln p(x), the ELBO and the gap, split
//! into approximation and amortisation.

use super::*;

fn nats(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        format!("{v}")
    }
}

/// Where the inspector's work runs, for tests: `"worker"`, `"page"`, or `""` before any.
fn compute_place(in_worker: Option<bool>) -> &'static str {
    match in_worker {
        Some(true) => "worker",
        Some(false) => "page",
        None => "",
    }
}

/// The inspector panel's props from the state.
pub(super) fn inspector_props(app: &App) -> InspectorPanelProps {
    let st = &app.state;
    let inspector = &st.inspector;
    InspectorPanelProps {
        embed: st.view.embed,
        test: st.test.clone(),
        examples: inspector.examples.clone(),
        class_names: st.class_names(),
        x: inspector.x.clone(),
        result: inspector.result.clone(),
        heat_box: inspector.heat.as_ref().map(|(g, _)| *g),
        manifold_box: inspector.manifold.as_ref().map(|(g, _)| *g),
        ms: [
            inspector.inspect_ms,
            inspector.heat_ms,
            inspector.manifold_ms,
        ],
        layers: [
            inspector.show_heat,
            inspector.show_ellipse,
            inspector.show_q_star,
            inspector.show_manifold,
        ],
        manifold_n: inspector.manifold_n,
        ends_set: inspector.ends.map(|e| e.is_some()),
        strip: inspector.strip.clone(),
        compute: compute_place(app.computes_in_worker()),
        on_msg: app.send.inspect.clone(),
    }
}

#[derive(Properties)]
pub struct InspectorPanelProps {
    pub embed: bool,
    pub test: Option<Rc<Digits>>,
    /// Test images offered as examples, and the dataset's class names.
    pub examples: Vec<usize>,
    pub class_names: Rc<Vec<String>>,
    pub x: Option<(Rc<Vec<f32>>, String)>,
    pub result: Option<Rc<Inspection>>,
    /// The grids the heat map and the manifold were computed on.
    pub heat_box: Option<Grid>,
    pub manifold_box: Option<Grid>,
    /// How long the inspection, the heat map and the manifold took (ms).
    pub ms: [f64; 3],
    /// Heat map, q's ellipses, q*'s ellipses, manifold: shown or not.
    pub layers: [bool; 4],
    pub manifold_n: usize,
    pub ends_set: [bool; 2],
    pub strip: Rc<Vec<f32>>,
    pub compute: &'static str,
    pub on_msg: Callback<InspectMsg>,
}

impl PartialEq for InspectorPanelProps {
    fn eq(&self, o: &Self) -> bool {
        let same_x = match (&self.x, &o.x) {
            (Some((a, wa)), Some((b, wb))) => Rc::ptr_eq(a, b) && wa == wb,
            (None, None) => true,
            _ => false,
        };
        same_x
            && same_rc(self.test.as_ref(), o.test.as_ref())
            && same_rc(self.result.as_ref(), o.result.as_ref())
            && Rc::ptr_eq(&self.strip, &o.strip)
            && self.embed == o.embed
            && self.examples == o.examples
            && self.class_names == o.class_names
            && self.heat_box == o.heat_box
            && self.manifold_box == o.manifold_box
            && self.ms == o.ms
            && self.layers == o.layers
            && self.manifold_n == o.manifold_n
            && self.ends_set == o.ends_set
            && self.compute == o.compute
            && self.on_msg == o.on_msg
    }
}

/// Inside the bound: pick or draw x; its reconstruction, ln p(x), the ELBO and the gap.
#[function_component(InspectorPanel)]
pub(super) fn inspector_panel(props: &InspectorPanelProps) -> Html {
    let on_msg = &props.on_msg;
    let send = |msg: fn() -> InspectMsg| on_msg.reform(move |_: MouseEvent| msg());
    let examples = props.test.as_ref().map(|test| {
        html! {
            <div class="examples" role="group" aria-label="test images to inspect">
                { for props.examples.iter().map(|&i| {
                    let label = format!("inspect test image #{i} ({})", props.class_names.get(usize::from(test.label(i))).map_or("?", String::as_str));
                    html! {
                        <Thumb pixels={Rc::new(test.image_f32(i))} {label} testid={format!("example-{}", test.label(i))}
                            on_click={on_msg.reform(move |_| InspectMsg::ExamplePicked(i))} />
                    }
                }) }
            </div>
        }
    });
    let result = props.result.as_ref();
    let images = props.x.as_ref().map(|(x, what)| {
        let samples = result.map_or_else(Vec::new, |r| {
            r.samples.chunks_exact(PIXELS).map(|s| Rc::new(s.to_vec())).collect::<Vec<_>>()
        });
        html! {
            <div class="recon-row">
                <figure><Thumb pixels={x.clone()} label={format!("input: {what}")} testid="inspect-input" /><figcaption>{ "x" }</figcaption></figure>
                if let Some(r) = result {
                    <figure><Thumb pixels={Rc::new(r.reconstruction.clone())} label="reconstruction at the mean of q(z|x)" testid="inspect-recon" /><figcaption>{ "decoded at μ" }</figcaption></figure>
                    <figure class="samples">
                        <div>{ for samples.into_iter().enumerate().map(|(k, s)| html! {
                            <Thumb pixels={s} label={format!("decoded sample {} from q(z|x)", k + 1)} testid={format!("inspect-sample-{k}")} />
                        }) }</div>
                        <figcaption>{ "z ~ q(z|x)" }</figcaption>
                    </figure>
                }
            </div>
        }
    });
    let numbers = result.map(|r| {
        let e = &r.evidence;
        let (logpx_label, reading) = reading_text(r.reading);
        let split = r.gap_split.as_ref().map(|s| html! {
            <>
                <dt>{ "ELBO(q*), best diagonal Gaussian" }</dt><dd data-testid="ev-elbo-star">{ nats(s.elbo_diagonal) }</dd>
                <dt>{ "ELBO, best full-covariance Gaussian" }</dt><dd data-testid="ev-elbo-full">{ nats(s.elbo_full) }</dd>
                <dt>{ "approximation gap = ln p(x) − ELBO(q*)" }</dt><dd data-testid="ev-gap-approx">{ nats(s.approximation_gap) }</dd>
                <dt>{ "amortisation gap = ELBO(q*) − ELBO(x)" }</dt><dd data-testid="ev-gap-amort">{ nats(s.amortisation_gap) }</dd>
            </>
        });
        let gaps = r.gap_split.as_ref().map(|s| (s.approximation_gap, s.amortisation_gap));
        html! {
            <>
                <dl class="metrics evidence" data-testid="evidence">
                    <dt>{ logpx_label }</dt><dd data-testid="ev-logpx">{ nats(e.log_px) }</dd>
                    <dt>{ format!("ln p(x), IWAE K={}", r.iwae_k) }</dt><dd data-testid="ev-iwae">{ nats(r.iwae) }</dd>
                    <dt>{ "ELBO(x) = ELBO(q_φ)" }</dt><dd data-testid="ev-elbo">{ nats(e.elbo) }</dd>
                    <dt>{ "gap = KL(q ‖ p(z|x))" }</dt><dd data-testid="ev-gap">{ nats(e.gap) }</dd>
                    { for split }
                    <dt>{ "reconstruction" }</dt><dd data-testid="ev-recon">{ nats(e.recon) }</dd>
                    <dt>{ "KL(q ‖ p(z))" }</dt><dd data-testid="ev-kl">{ nats(e.kl) }</dd>
                </dl>
                <p class="units-note" data-testid="ev-reading" data-reading={reading_key(r.reading)}>{ reading }</p>
                <BoundBar recon={e.recon} kl={e.kl} gap={e.gap} {gaps} />
                <p class="units-note">{ "nats; ln p(x) = ELBO(x) + KL(q(z|x) ‖ p(z|x)); the gap = approximation (what no diagonal Gaussian closes) + amortisation (what the encoder misses of the best one, q*). On the map: q(z|x) at 1σ and 2σ (teal), q* (dashed, orange) and the true posterior p(z|x) (magenta), computed on a 64×64 grid." }</p>
            </>
        }
    });
    let check = |id: &'static str, label: &'static str, on: bool, msg: fn(bool) -> InspectMsg| {
        html! {
            <label class="check"><input type="checkbox" data-testid={id} checked={on}
                onchange={on_msg.reform(move |e: Event| msg(checked(&e)))} />{ format!(" {label}") }</label>
        }
    };
    let on_n = filtered(on_msg, |e: Event| {
        parse_input::<usize>(&e)
            .filter(|n| within(n, MANIFOLD_N))
            .map(InspectMsg::ManifoldSizeSet)
    });
    let on_drawn = on_msg.reform(|ink: Option<Rc<Vec<f32>>>| {
        InspectMsg::DigitDrawn(ink.map(|ink| (ink, DIGIT_PAD_SIDE)))
    });
    let can_interp = result.is_some();
    let [show_heat, show_ellipse, show_q_star, show_manifold] = props.layers;
    html! {
        <div class="panel inspect-panel" data-testid="inspect-panel"
            data-inspected={result.is_some().to_string()}
            data-inspect-ms={format!("{:.0}", props.ms[0])} data-heat-ms={format!("{:.0}", props.ms[1])} data-manifold-ms={format!("{:.0}", props.ms[2])}
            data-compute={props.compute}
            data-heat-box={props.heat_box.as_ref().map(grid_box).unwrap_or_default()}
            data-manifold-box={props.manifold_box.as_ref().map(grid_box).unwrap_or_default()}>
            if !props.embed { { heading("Inside the bound", "inspect-panel") } }
            <div class="inspect-grid">
                <div class="pick">
                    <p class="units-note">{ "Click a test image, or draw a digit:" }</p>
                    { for examples }
                    <DigitPad {on_drawn} />
                </div>
                <div class="what">
                    if props.x.is_none() { <p class="chart-empty">{ "Pick an input to see q(z|x) against the true posterior, and ln p(x) = ELBO + gap." }</p> }
                    { for images }
                    { for numbers }
                    <div class="layers">
                        { check("toggle-heat", "true posterior p(z|x)", show_heat, InspectMsg::HeatToggled) }
                        { check("toggle-ellipse", "q(z|x) ellipses", show_ellipse, InspectMsg::EllipseToggled) }
                        { check("toggle-q-star", "q* ellipses (best Gaussian for x)", show_q_star, InspectMsg::QStarToggled) }
                        { check("toggle-manifold", "decoded manifold under the map", show_manifold, InspectMsg::ManifoldToggled) }
                        <label class="check">{ "grid n " }<NumberField id="manifold-n" min="2" max="30" value={props.manifold_n.to_string()} onchange={on_n} /></label>
                    </div>
                    <div class="buttons interp">
                        <button data-testid="interp-a" disabled={!can_interp} onclick={send(|| InspectMsg::InterpolationEndSet(0))}>{ "Use as A" }</button>
                        <button data-testid="interp-b" disabled={!can_interp} onclick={send(|| InspectMsg::InterpolationEndSet(1))}>{ "Use as B" }</button>
                        <button data-testid="interp-play" disabled={props.ends_set.contains(&false)} onclick={send(|| InspectMsg::InterpolationPlayed)}>{ "Walk z from A to B" }</button>
                    </div>
                    if !props.strip.is_empty() {
                        <div class="strip" data-testid="interp-strip" role="group" aria-label="decoded images from A to B">
                            { for props.strip.chunks_exact(PIXELS).enumerate().map(|(k, s)| html! {
                                <Thumb pixels={Rc::new(s.to_vec())} label={format!("step {} of the line from A to B", k + 1)} />
                            }) }
                        </div>
                    }
                </div>
            </div>
        </div>
    }
}

/// The reading's name, for tests: as the CLI's JSON spells it.
fn reading_key(reading: Reading) -> String {
    serde_json::to_value(reading)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A grid's box as `z1 min,z1 max,z2 min,z2 max`, for tests to compare with the map's view.
fn grid_box(g: &Grid) -> String {
    format!("{},{},{},{}", g.z1.0, g.z1.1, g.z2.0, g.z2.1)
}
