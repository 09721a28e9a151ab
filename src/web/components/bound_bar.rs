//! The identity ln p(x) = ELBO(x) + KL(q(z|x) || p(z|x)) as two stacked bars of code length:
//! -ELBO = reconstruction + KL on top, and -ln p(x) plus the gap underneath, the same length;
//! the gap itself in two segments, approximation then amortisation, when they are known.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct BoundBarProps {
    /// Nats per image.
    pub recon: f64,
    pub kl: f64,
    pub gap: f64,
    /// The gap's (approximation, amortisation) parts.
    #[prop_or_default]
    pub gaps: Option<(f64, f64)>,
}

const W: f64 = 320.0;
const LEFT: f64 = 64.0;

#[function_component(BoundBar)]
pub fn bound_bar(props: &BoundBarProps) -> Html {
    let neg_elbo = props.recon + props.kl;
    let neg_log_px = neg_elbo - props.gap;
    if !(neg_elbo.is_finite() && neg_elbo > 0.0 && props.gap.is_finite()) {
        return html! {};
    }
    let scale = (W - LEFT - 4.0) / neg_elbo;
    let bar = |x: f64, y: f64, w: f64, class: &'static str, title: String| {
        html! {
            <rect {class} x={x.to_string()} y={y.to_string()} width={w.max(0.5).to_string()} height="16"><title>{ title }</title></rect>
        }
    };
    let text = |x: f64, y: f64, s: String, class: &'static str| {
        html! {
            <text {class} x={x.to_string()} y={y.to_string()}>{ s }</text>
        }
    };
    let (r, k, g, p) = (
        props.recon * scale,
        props.kl * scale,
        props.gap.max(0.0) * scale,
        neg_log_px.max(0.0) * scale,
    );
    html! {
        <svg class="bound-bar" data-testid="bound-bar" viewBox={format!("0 0 {W} 64")} role="img"
            aria-label={format!("−ELBO {neg_elbo:.2} = reconstruction {:.2} + KL {:.2}; −ln p(x) {neg_log_px:.2} + gap {:.3}", props.recon, props.kl, props.gap)}>
            { text(0.0, 13.0, "−ELBO".into(), "label") }
            { bar(LEFT, 2.0, r, "recon", format!("reconstruction {:.2} nats", props.recon)) }
            { bar(LEFT + r, 2.0, k, "kl", format!("KL(q ‖ p(z)) {:.2} nats", props.kl)) }
            { text(0.0, 35.0, "−ln p(x)".into(), "label") }
            { bar(LEFT, 24.0, p, "evidence", format!("−ln p(x) {neg_log_px:.2} nats")) }
            if let Some((approx, amort)) = props.gaps {
                { bar(LEFT + p, 24.0, approx.max(0.0) * scale, "gap-approx", format!("approximation gap {approx:.3} nats")) }
                { bar(LEFT + p + approx.max(0.0) * scale, 24.0, amort.max(0.0) * scale, "gap-amort", format!("amortisation gap {amort:.3} nats")) }
            } else {
                { bar(LEFT + p, 24.0, g, "gap", format!("gap KL(q ‖ p(z|x)) {:.3} nats", props.gap)) }
            }
            { text(LEFT, 56.0, format!("{neg_elbo:.1} = {:.1} recon + {:.1} KL = {neg_log_px:.1} + {:.2} gap  (nats)", props.recon, props.kl, props.gap), "note") }
        </svg>
    }
}
