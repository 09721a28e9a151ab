//! The derivation with this page's numbers in it (MathML, which every current browser renders
//! without a font or script download): the bound, the KL's closed form per dimension, the
//! decoder's reconstruction term, and the averages the metrics show. Colours match the map's
//! q(z|x) ellipse, and the chart's reconstruction and KL series.

use yew::prelude::*;

use crate::page::maths::{AverageTerms, InputTerms};
use crate::vae::elbo::Likelihood;

#[derive(Properties, PartialEq)]
pub(super) struct MathsPanelProps {
    /// The inspected input's terms, once the inspector has them.
    pub input: Option<InputTerms>,
    /// What the input is ("test image #3 (0)", "your drawing").
    pub input_name: Option<String>,
    /// The latest training batch's average terms.
    pub batch: Option<AverageTerms>,
    /// The latest test-split average, while training.
    pub test: Option<AverageTerms>,
    pub likelihood: Likelihood,
    /// What ln p(x) is here: a score, a log-probability or a log-density, and why.
    pub reading: Option<String>,
}

fn mi(s: &str) -> Html {
    html! { <mi>{ s }</mi> }
}

/// 2 decimals, with a true minus sign.
fn signed(v: f64) -> String {
    if v < 0.0 {
        format!("−{:.2}", -v)
    } else {
        format!("{v:.2}")
    }
}

/// A number as shown, with a class naming what it is.
fn mn(v: f64, class: &'static str) -> Html {
    html! { <mn class={class}>{ signed(v) }</mn> }
}

fn sub(base: Html, index: Html) -> Html {
    html! { <msub>{ base }{ index }</msub> }
}

fn sup2(base: Html) -> Html {
    html! { <msup>{ base }<mn>{ "2" }</mn></msup> }
}

/// "q(z|x)" in the ellipse's colour.
fn q_of_z() -> Html {
    html! { <mrow class="sym-q"><mi>{ "q" }</mi><mo>{ "(" }</mo><mi>{ "z" }</mi><mo>{ "|" }</mo><mi>{ "x" }</mi><mo>{ ")" }</mo></mrow> }
}

fn kl_of(q: Html, p: Html) -> Html {
    html! { <mrow class="sym-kl"><mi>{ "KL" }</mi><mo>{ "(" }</mo>{ q }<mo>{ "‖" }</mo>{ p }<mo>{ ")" }</mo></mrow> }
}

fn p_of(what: &str) -> Html {
    html! { <mrow><mi>{ "p" }</mi><mo>{ "(" }</mo><mi>{ what }</mi><mo>{ ")" }</mo></mrow> }
}

fn expected_ll() -> Html {
    html! {
        <mrow class="sym-recon">
            <msub><mi>{ "E" }</mi>{ q_of_z() }</msub>
            <mo>{ "[" }</mo><mi>{ "ln" }</mi><mi>{ "p" }</mi><mo>{ "(" }</mo><mi>{ "x" }</mi><mo>{ "|" }</mo><mi>{ "z" }</mi><mo>{ ")" }</mo><mo>{ "]" }</mo>
        </mrow>
    }
}

fn line(label: &str, math: Html) -> Html {
    html! {
        <div class="maths-line">
            <p class="maths-label">{ label }</p>
            // A formula wider than a phone scrolls inside its own box, not the page.
            <div class="maths-formula"><math display="block">{ math }</math></div>
        </div>
    }
}

fn bound(t: &InputTerms) -> Html {
    html! {
        <>
            { line("The evidence is the bound plus the gap, KL(q ‖ p(z|x)) ≥ 0:", html! {
                <mrow>
                    <mi>{ "ln" }</mi>{ p_of("x") }<mo>{ "=" }</mo><mi>{ "ELBO" }</mi><mo>{ "+" }</mo>
                    { kl_of(q_of_z(), html! { <mrow><mi>{ "p" }</mi><mo>{ "(" }</mo><mi>{ "z" }</mi><mo>{ "|" }</mo><mi>{ "x" }</mi><mo>{ ")" }</mo></mrow> }) }
                    <mspace width="1em" />
                    { mn(t.log_px, "v-logpx") }<mo>{ "=" }</mo>{ mn(t.elbo, "v-elbo") }<mo>{ "+" }</mo>{ mn(t.gap, "v-gap") }
                </mrow>
            }) }
            { line("The bound's two terms, for this input (nats):", html! {
                <mrow>
                    <mi>{ "ELBO" }</mi><mo>{ "=" }</mo>{ expected_ll() }<mo>{ "−" }</mo>{ kl_of(q_of_z(), p_of("z")) }
                    <mspace width="1em" />
                    { mn(t.elbo, "v-elbo") }<mo>{ "=" }</mo>{ mn(-t.recon, "v-recon") }<mo>{ "−" }</mo>{ mn(t.kl, "v-kl") }
                </mrow>
            }) }
        </>
    }
}

fn kl_closed_form(t: &InputTerms) -> Html {
    let shares = t.kl_shares();
    let dims = t.dims.iter().zip(&shares).enumerate().map(|(j, (d, share))| {
        let label = format!(
            "Dimension {}: μ = {}, σ = {:.2}, {:.0} % of the KL.",
            j + 1,
            signed(d.mu),
            d.sigma,
            share * 100.0
        );
        line(&label, html! {
            <mrow>
                <mo>{ "−" }</mo><mi>{ "ln" }</mi>{ mn(d.sigma, "v-sigma") }<mo>{ "+" }</mo>
                <mfrac>
                    <mrow>{ sup2(mn(d.sigma, "v-sigma")) }<mo>{ "+" }</mo>{ sup2(mn(d.mu, "v-mu")) }<mo>{ "−" }</mo><mn>{ "1" }</mn></mrow>
                    <mn>{ "2" }</mn>
                </mfrac>
                <mo>{ "=" }</mo>{ mn(d.kl, "v-kl") }
            </mrow>
        })
    });
    html! {
        <>
            { line("The KL to the prior N(0, I) has a closed form, a sum over the latent dimensions:", html! {
                <mrow>
                    { kl_of(q_of_z(), p_of("z")) }<mo>{ "=" }</mo>
                    <munder><mo>{ "∑" }</mo><mi>{ "j" }</mi></munder>
                    <mrow><mo>{ "(" }</mo><mo>{ "−" }</mo><mi>{ "ln" }</mi>{ sub(mi("σ"), mi("j")) }<mo>{ "+" }</mo>
                        <mfrac><mrow>{ sup2(sub(mi("σ"), mi("j"))) }<mo>{ "+" }</mo>{ sup2(sub(mi("μ"), mi("j"))) }<mo>{ "−" }</mo><mn>{ "1" }</mn></mrow><mn>{ "2" }</mn></mfrac>
                        <mo>{ ")" }</mo></mrow>
                    <mo>{ "=" }</mo>{ mn(t.kl, "v-kl") }
                </mrow>
            }) }
            { for dims }
        </>
    }
}

fn reconstruction(t: &InputTerms, likelihood: Likelihood) -> Html {
    let f = html! { <mrow><msub><mi>{ "f" }</mi><mi>{ "i" }</mi></msub><mo>{ "(" }</mo><mi>{ "z" }</mi><mo>{ ")" }</mo></mrow> };
    let xi = || sub(mi("x"), mi("i"));
    match (likelihood, t.gaussian) {
        (Likelihood::Gaussian { .. }, Some(g)) => html! {
            <>
                { line("Gaussian decoder with a fixed σₓ: a constant plus the squared error, scaled by 1/(2σₓ²):", html! {
                    <mrow>
                        <mo>{ "−" }</mo>{ expected_ll() }<mo>{ "=" }</mo>
                        <mfrac><mi>{ "D" }</mi><mn>{ "2" }</mn></mfrac><mi>{ "ln" }</mi><mo>{ "(" }</mo><mn>{ "2" }</mn><mi>{ "π" }</mi>{ sup2(sub(mi("σ"), mi("x"))) }<mo>{ ")" }</mo>
                        <mo>{ "+" }</mo>
                        <mfrac><mrow><msub><mi>{ "E" }</mi><mi>{ "q" }</mi></msub><msup><mrow><mo>{ "‖" }</mo><mi>{ "x" }</mi><mo>{ "−" }</mo><mi>{ "f" }</mi><mo>{ "(" }</mo><mi>{ "z" }</mi><mo>{ ")" }</mo><mo>{ "‖" }</mo></mrow><mn>{ "2" }</mn></msup></mrow>
                            <mrow><mn>{ "2" }</mn>{ sup2(sub(mi("σ"), mi("x"))) }</mrow></mfrac>
                    </mrow>
                }) }
                { line(&format!("σₓ = {}: the constant is the same for every image and model, so training minimises the squared error, as if with β = 2σₓ² = {:.3} on it.", g.sigma_x, g.equivalent_beta()), html! {
                    <mrow>
                        { mn(t.recon, "v-recon") }<mo>{ "=" }</mo>{ mn(g.constant, "v-constant") }<mo>{ "+" }</mo>
                        <mfrac>{ mn(g.squared_error, "v-sse") }<mrow><mn>{ "2" }</mn><mo>{ "·" }</mo>{ sup2(html! { <mn>{ g.sigma_x }</mn> }) }</mrow></mfrac>
                    </mrow>
                }) }
            </>
        },
        (Likelihood::ContinuousBernoulli, _) => line("Continuous Bernoulli decoder (λ = f(z)): a density on [0, 1] per pixel, with its normaliser C(λ):", html! {
            <mrow>
                <mo>{ "−" }</mo>{ expected_ll() }<mo>{ "=" }</mo><mo>{ "−" }</mo>
                <msub><mi>{ "E" }</mi><mi>{ "q" }</mi></msub>
                <munder><mo>{ "∑" }</mo><mi>{ "i" }</mi></munder>
                <mo>{ "[" }</mo>{ xi() }<mi>{ "ln" }</mi>{ sub(mi("λ"), mi("i")) }<mo>{ "+" }</mo><mo>{ "(" }</mo><mn>{ "1" }</mn><mo>{ "−" }</mo>{ xi() }<mo>{ ")" }</mo><mi>{ "ln" }</mi><mo>{ "(" }</mo><mn>{ "1" }</mn><mo>{ "−" }</mo>{ sub(mi("λ"), mi("i")) }<mo>{ ")" }</mo><mo>{ "+" }</mo><mi>{ "ln" }</mi><mi>{ "C" }</mi><mo>{ "(" }</mo>{ sub(mi("λ"), mi("i")) }<mo>{ ")" }</mo><mo>{ "]" }</mo>
                <mo>{ "=" }</mo>{ mn(t.recon, "v-recon") }
            </mrow>
        }),
        _ => line("Bernoulli decoder: the binary cross-entropy, summed over the D = 784 pixels:", html! {
            <mrow>
                <mo>{ "−" }</mo>{ expected_ll() }<mo>{ "=" }</mo><mo>{ "−" }</mo>
                <msub><mi>{ "E" }</mi><mi>{ "q" }</mi></msub>
                <munder><mo>{ "∑" }</mo><mi>{ "i" }</mi></munder>
                <mo>{ "[" }</mo>{ xi() }<mi>{ "ln" }</mi>{ f.clone() }<mo>{ "+" }</mo><mo>{ "(" }</mo><mn>{ "1" }</mn><mo>{ "−" }</mo>{ xi() }<mo>{ ")" }</mo><mi>{ "ln" }</mi><mo>{ "(" }</mo><mn>{ "1" }</mn><mo>{ "−" }</mo>{ f }<mo>{ ")" }</mo><mo>{ "]" }</mo>
                <mo>{ "=" }</mo>{ mn(t.recon, "v-recon") }
            </mrow>
        }),
    }
}

/// One average's line; `class` says which (`maths-batch`, `maths-test`).
fn averages(label: &str, batch: &AverageTerms, class: &'static str) -> Html {
    let math = line(
        label,
        html! {
            <mrow>
                <mo>{ "−" }</mo><mi>{ "ELBO" }</mi><mo>{ "=" }</mo>
                <mrow class="sym-recon"><mo>{ "−" }</mo><msub><mi>{ "E" }</mi><mi>{ "q" }</mi></msub><mo>{ "[" }</mo><mi>{ "ln" }</mi><mi>{ "p" }</mi><mo>{ "(" }</mo><mi>{ "x" }</mi><mo>{ "|" }</mo><mi>{ "z" }</mi><mo>{ ")" }</mo><mo>{ "]" }</mo></mrow>
                <mo>{ "+" }</mo><mi class="sym-kl">{ "KL" }</mi>
                <mspace width="1em" />
                { mn(-batch.elbo, "v-elbo") }<mo>{ "=" }</mo>{ mn(batch.recon, "v-recon") }<mo>{ "+" }</mo>{ mn(batch.kl, "v-kl") }
            </mrow>
        },
    );
    html! { <div {class}>{ math }</div> }
}

/// The maths panel.
#[function_component(MathsPanel)]
pub(super) fn maths_panel(props: &MathsPanelProps) -> Html {
    let data = |f: fn(&InputTerms) -> f64| props.input.as_ref().map(|t| format!("{:.6}", f(t)));
    let batch = |f: fn(&AverageTerms) -> f64| props.batch.as_ref().map(|t| format!("{:.6}", f(t)));
    let body = match &props.input {
        Some(t) => html! {
            <>
                { bound(t) }
                if let Some(reading) = &props.reading {
                    <p class="units-note">{ reading }</p>
                }
                { kl_closed_form(t) }
                { reconstruction(t, props.likelihood) }
            </>
        },
        None => {
            html! { <p class="hint">{ "Pick or draw an input in “Inside the bound” to see its numbers here." }</p> }
        }
    };
    html! {
        <section class="panel maths-panel" data-testid="maths-panel" aria-label="the ELBO's maths with this page's numbers"
            data-kl={data(|t| t.kl)} data-recon={data(|t| t.recon)} data-elbo={data(|t| t.elbo)}
            data-batch-kl={batch(|t| t.kl)} data-batch-recon={batch(|t| t.recon)} data-batch-elbo={batch(|t| t.elbo)}>
            { super::heading("The maths, with these numbers", "maths-panel") }
            if let (Some(name), Some(_)) = (&props.input_name, &props.input) {
                <p class="maths-input" data-testid="maths-input">{ format!("For x = {name}, in nats:") }</p>
            }
            { body }
            if let Some(batch) = &props.batch {
                { averages("Training minimises −ELBO averaged over a batch (the metrics): reconstruction plus KL.", batch, "maths-batch") }
            }
            if let Some(test) = &props.test {
                { averages("The same average over the test images (the chart's test points):", test, "maths-test") }
            }
        </section>
    }
}
