//! What a shared link carries: dataset, hyperparameters, seed, z, the map's view, layout and panels, as a URL
//! query. Parsing never fails: a value that is missing keeps its default, and one that is
//! malformed, out of range or hostile keeps its default and adds a [`Notice`] for the page to
//! show. No browser types here, so it is tested and fuzzed natively.

use super::map_view::MapView;
use super::slowmo::Stage;
use super::stop_rule::StopRule;
use super::sweep::SweepPlan;
use std::fmt;

use crate::data::{Dataset, Split};
use crate::vae::elbo::Likelihood;
use crate::vae::kernel_choice::KernelSetting;

/// The inclusive ranges the page accepts, shared by the URL parser, the host API and the form.
pub const LEARNING_RATE: (f64, f64) = (1e-6, 10.0);
pub const BETA: (f64, f64) = (0.0, 100.0);
pub const BATCH_SIZE: (usize, usize) = (1, 1024);
pub const HIDDEN: (usize, usize) = (8, 1024);
/// Train workers on the CPU path (`workers=`; unset: the browser's cores less one).
pub const WORKERS: (usize, usize) = (1, crate::analysis::data_parallel::MAX_SHARES);
pub const SIGMA: (f64, f64) = (0.001, 10.0);
/// The sliders' range for each latent coordinate.
pub const Z_LIMIT: f64 = 4.0;

/// Longer queries are cut here; no honest link comes near it.
const MAX_QUERY: usize = 2048;
const MAX_VALUE: usize = 200;

/// A part of the page that embed mode can show or hide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Panel {
    Sliders,
    Decoded,
    Map,
    Controls,
    Metrics,
    Chart,
    /// "Inside the bound": pick or draw an input, see q(z|x), p(z|x), ln p(x) and the gap.
    Inspect,
    /// The derivation with the inspected input's numbers substituted.
    Maths,
    /// The run list: every run's settings and final numbers, the β sweep, runs files.
    Runs,
}

impl Panel {
    pub const ALL: [Panel; 9] = [
        Panel::Sliders,
        Panel::Decoded,
        Panel::Map,
        Panel::Controls,
        Panel::Metrics,
        Panel::Chart,
        Panel::Inspect,
        Panel::Maths,
        Panel::Runs,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Panel::Sliders => "sliders",
            Panel::Decoded => "decoded",
            Panel::Map => "map",
            Panel::Controls => "controls",
            Panel::Metrics => "metrics",
            Panel::Chart => "chart",
            Panel::Inspect => "inspect",
            Panel::Maths => "maths",
            Panel::Runs => "runs",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }
}

/// A set of panels, in the page's fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Panels(u16);

impl Panels {
    pub const ALL: Panels = Panels((1 << Panel::ALL.len()) - 1);
    pub const NONE: Panels = Panels(0);

    pub fn contains(self, panel: Panel) -> bool {
        self.0 & Self::bit(panel) != 0
    }

    pub fn with(self, panel: Panel) -> Self {
        Panels(self.0 | Self::bit(panel))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Panel> {
        Panel::ALL.into_iter().filter(move |p| self.contains(*p))
    }

    fn bit(panel: Panel) -> u16 {
        1 << Panel::ALL.iter().position(|p| *p == panel).unwrap_or(0)
    }
}

impl Default for Panels {
    fn default() -> Self {
        Self::ALL
    }
}

/// Everything a link restores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewState {
    /// Compact layout without page chrome, for iframes.
    pub embed: bool,
    pub panels: Panels,
    pub dataset: Dataset,
    pub training_set: Split,
    pub learning_rate: f64,
    pub beta: f64,
    pub batch_size: usize,
    pub likelihood: Likelihood,
    pub hidden: usize,
    pub seed: u64,
    pub z: [f64; 2],
    /// The region the latent map shows.
    pub view: MapView,
    /// Pause by itself when this is reached.
    pub stop: Option<StopRule>,
    /// The β sweep the Sweep button runs, when it is not the default one.
    pub sweep: Option<SweepPlan>,
    /// The matmul kernel on WebGPU: measured (`auto`) or forced.
    pub kernel: KernelSetting,
    /// Train workers on the CPU path; `None`: the browser's cores less one.
    pub workers: Option<usize>,
    /// Slow motion's stage (`slowmo=`): a link opens slow motion there once the model is in.
    pub slowmo: Option<Stage>,
}

impl Default for ViewState {
    fn default() -> Self {
        Self {
            embed: false,
            panels: Panels::ALL,
            dataset: Dataset::Mnist,
            training_set: Split::Train10k,
            learning_rate: 1e-3,
            beta: 1.0,
            batch_size: 128,
            likelihood: Likelihood::Bernoulli,
            hidden: 512,
            seed: 0,
            z: [0.0, 0.0],
            view: MapView::WHOLE,
            stop: None,
            sweep: None,
            kernel: KernelSetting::Auto,
            workers: None,
            slowmo: None,
        }
    }
}

/// Something in the URL that was not used, said so the user can fix the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub key: String,
    pub message: String,
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// What a query gives: the state, the origins allowed to drive the page over postMessage, and
/// notices for whatever was ignored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    pub state: ViewState,
    /// Origins named by `host=` (besides the page's own, which is always allowed).
    pub hosts: Vec<String>,
    pub notices: Vec<Notice>,
    /// `dataset=url:…`: a dataset file to load as "Your data" (the page checks its origin).
    pub dataset_url: Option<String>,
    /// `tour`: start the guided tour (`page::tour`), done or not.
    pub tour: bool,
}

/// Parse a query string (with or without its leading `?`).
pub fn parse(query: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut query = query.strip_prefix('?').unwrap_or(query);
    if query.len() > MAX_QUERY {
        let mut cut = MAX_QUERY;
        while !query.is_char_boundary(cut) {
            cut -= 1;
        }
        query = &query[..cut];
        out.notices.push(notice(
            "",
            format!(
                "The link's query is longer than {MAX_QUERY} characters; the rest was ignored."
            ),
        ));
    }
    let mut seen: Vec<String> = Vec::new();
    let (mut sigma_set, mut decoder_named) = (false, false);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(raw_key);
        let value = percent_decode(raw_value);
        let shown_key: String = key.chars().take(40).collect();
        if seen.contains(&key) && key != "host" {
            out.notices.push(notice(
                &shown_key,
                format!("`{shown_key}` appears more than once; the first was used."),
            ));
            continue;
        }
        seen.push(key.clone());
        if value.len() > MAX_VALUE {
            out.notices.push(notice(
                &shown_key,
                format!("The value of `{shown_key}` is too long; using the default."),
            ));
            continue;
        }
        let gaussian = matches!(out.state.likelihood, Likelihood::Gaussian { .. });
        if key == "sigma" && decoder_named && !gaussian {
            out.notices.push(sigma_ignored(out.state.likelihood));
            continue;
        }
        match apply(&mut out, &key, value.trim()) {
            Ok(()) if key == "sigma" => sigma_set = true,
            Ok(()) if key == "decoder" => decoder_named = true,
            Ok(()) => {}
            Err(message) => out.notices.push(notice(&shown_key, message)),
        }
    }
    // `sigma=` alone means the Gaussian decoder; beside `decoder=` naming another, it is ignored.
    if sigma_set && !matches!(out.state.likelihood, Likelihood::Gaussian { .. }) {
        out.notices.push(sigma_ignored(out.state.likelihood));
    }
    out
}

fn sigma_ignored(decoder: Likelihood) -> Notice {
    notice(
        "sigma",
        format!(
            "`sigma` is the Gaussian decoder's; ignored beside `decoder={}`.",
            decoder.name()
        ),
    )
}

fn notice(key: &str, message: String) -> Notice {
    Notice {
        key: key.to_string(),
        message,
    }
}

fn apply(out: &mut Parsed, key: &str, value: &str) -> Result<(), String> {
    let s = &mut out.state;
    match key {
        "embed" => {
            s.embed = match value {
                "" | "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => {
                    return Err(format!(
                        "`embed={}` is not 1 or 0; not embedding.",
                        show(value)
                    ))
                }
            }
        }
        "panels" => s.panels = parse_panels(value)?,
        "dataset" => {
            if let Some(url) = value.strip_prefix("url:") {
                s.dataset = Dataset::Own;
                out.dataset_url = Some(url.to_string());
                return Ok(());
            }
            s.dataset = Dataset::from_key(value).ok_or_else(|| {
                format!(
                    "Unknown dataset `{}` (use mnist, fashion, mnist-bin, own or url:FILE); showing MNIST.",
                    show(value)
                )
            })?
        }
        "train" => {
            s.training_set = match value {
                "10k" => Split::Train10k,
                "60k" => Split::Train,
                _ => {
                    return Err(format!(
                        "`train={}` is not 10k or 60k; using 10k.",
                        show(value)
                    ))
                }
            }
        }
        "lr" => s.learning_rate = float(key, value, LEARNING_RATE)?,
        "beta" => s.beta = float(key, value, BETA)?,
        "batch" => s.batch_size = integer(key, value, BATCH_SIZE)?,
        "hidden" => s.hidden = integer(key, value, HIDDEN)?,
        "workers" => s.workers = Some(integer(key, value, WORKERS)?),
        "seed" => {
            s.seed = value.parse().map_err(|_| {
                format!("`seed={}` is not a whole number ≥ 0; using 0.", show(value))
            })?
        }
        "decoder" => {
            s.likelihood = match (value, s.likelihood) {
                ("bernoulli", _) => Likelihood::Bernoulli,
                ("continuous-bernoulli", _) => Likelihood::ContinuousBernoulli,
                ("gaussian", Likelihood::Gaussian { sigma }) => Likelihood::Gaussian { sigma },
                ("gaussian", _) => Likelihood::Gaussian { sigma: 0.1 },
                _ => {
                    return Err(format!(
                        "Unknown decoder `{}` (use bernoulli, continuous-bernoulli or gaussian); using Bernoulli.",
                        show(value)
                    ))
                }
            }
        }
        "sigma" => {
            let sigma = float(key, value, SIGMA)?;
            s.likelihood = Likelihood::Gaussian { sigma };
        }
        "z" => s.z = parse_z(value)?,
        "view" => s.view = parse_view(value)?,
        "host" => out.hosts.push(parse_origin(value)?),
        "tour" => {
            out.tour = match value {
                "" | "1" => true,
                "0" => false,
                _ => return Err(format!("`tour={}` is not 1 or 0; no tour.", show(value))),
            }
        }
        "slowmo" => {
            s.slowmo = match value {
                "" | "1" => Some(Stage::Batch),
                "0" => None,
                _ => Some(Stage::from_key(value).ok_or_else(|| {
                    format!(
                        "`slowmo={}` is not a stage ({}); slow motion was not opened.",
                        show(value),
                        Stage::keys()
                    )
                })?),
            }
        }
        "stop" => {
            s.stop = Some(
                StopRule::parse(value).map_err(|e| format!("{e}; training does not stop by itself."))?,
            )
        }
        "sweep" | "sweep-epochs" => {
            let plan = s.sweep.unwrap_or_else(SweepPlan::default_plan);
            let (betas, epochs) = if key == "sweep" {
                (value.to_string(), plan.epochs)
            } else {
                let epochs = value.parse::<f64>().unwrap_or(f64::NAN);
                (plan.betas_text(), epochs)
            };
            s.sweep = Some(SweepPlan::new(&betas, epochs).map_err(|e| {
                format!("`{key}={}`: {e}; the sweep keeps its other settings.", show(value))
            })?);
        }
        "kernel" => {
            s.kernel = KernelSetting::from_key(value).ok_or_else(|| {
                format!(
                    "`kernel={}` is not auto, ours or burn; the faster is measured.",
                    show(value)
                )
            })?
        }
        _ => return Err(format!("Unknown parameter `{}` was ignored.", show(key))),
    }
    Ok(())
}

/// A value as it may be quoted back to the user: short, printable.
fn show(value: &str) -> String {
    let mut s: String = value.chars().filter(|c| !c.is_control()).take(24).collect();
    if value.chars().count() > 24 {
        s.push('…');
    }
    s
}

fn float(key: &str, value: &str, (lo, hi): (f64, f64)) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(v) if v.is_finite() && (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{key}={}` is not a number from {lo} to {hi}; using the default.",
            show(value)
        )),
    }
}

fn integer(key: &str, value: &str, (lo, hi): (usize, usize)) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!(
            "`{key}={}` is not a whole number from {lo} to {hi}; using the default.",
            show(value)
        )),
    }
}

fn parse_z(value: &str) -> Result<[f64; 2], String> {
    let bad = || {
        format!(
            "`z={}` is not two numbers from -{Z_LIMIT} to {Z_LIMIT} (like z=0.5,-1.2); using 0,0.",
            show(value)
        )
    };
    let (a, b) = value.split_once(',').ok_or_else(bad)?;
    let coord = |t: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && v.abs() <= Z_LIMIT)
    };
    match (coord(a), coord(b)) {
        (Some(a), Some(b)) => Ok([a, b]),
        _ => Err(bad()),
    }
}

fn parse_view(value: &str) -> Result<MapView, String> {
    let bad = || {
        format!(
            "`view={}` is not a centre and a half-width inside ±{Z_LIMIT} (like view=1,-0.5,0.8); showing the whole map.",
            show(value)
        )
    };
    let numbers: Vec<f64> = value
        .split(',')
        .map(|t| t.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(bad)?;
    match numbers[..] {
        [c1, c2, half]
            if c1.abs() <= Z_LIMIT
                && c2.abs() <= Z_LIMIT
                && (MapView::MIN_HALF..=Z_LIMIT).contains(&half) =>
        {
            Ok(MapView::new([c1, c2], half))
        }
        _ => Err(bad()),
    }
}

fn parse_panels(value: &str) -> Result<Panels, String> {
    let mut panels = Panels::NONE;
    let mut unknown = Vec::new();
    for key in value.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        match Panel::from_key(key) {
            Some(p) => panels = panels.with(p),
            None => unknown.push(show(key)),
        }
    }
    let names = Panel::ALL.map(Panel::key).join(", ");
    if panels.is_empty() {
        return Err(format!(
            "`panels={}` names no panel (choose from {names}); showing all.",
            show(value)
        ));
    }
    if !unknown.is_empty() {
        return Err(format!(
            "Unknown panel `{}` (choose from {names}); showing all.",
            unknown.join("`, `")
        ));
    }
    Ok(panels)
}

/// An origin as browsers write `MessageEvent.origin`: scheme://host[:port], nothing more.
pub fn parse_origin(value: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "`host={}` is not an origin like https://example.org; ignored.",
            show(value)
        )
    };
    let (scheme, rest) = value.split_once("://").ok_or_else(bad)?;
    let scheme_ok = matches!(scheme, "http" | "https");
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if scheme_ok && host_ok {
        Ok(format!("{scheme}://{}", rest.to_ascii_lowercase()))
    } else {
        Err(bad())
    }
}

/// The query for `state`: only what differs from the default, so links stay short.
pub fn to_query(state: &ViewState) -> String {
    let d = ViewState::default();
    let mut parts: Vec<String> = Vec::new();
    if state.embed {
        parts.push("embed".into());
    }
    if state.panels != d.panels {
        let keys: Vec<&str> = state.panels.iter().map(Panel::key).collect();
        parts.push(format!("panels={}", keys.join(",")));
    }
    if state.dataset != d.dataset {
        parts.push(format!("dataset={}", state.dataset.key()));
    }
    if state.training_set != d.training_set {
        parts.push("train=60k".into());
    }
    if state.learning_rate != d.learning_rate {
        parts.push(format!("lr={}", state.learning_rate));
    }
    if state.beta != d.beta {
        parts.push(format!("beta={}", state.beta));
    }
    if state.batch_size != d.batch_size {
        parts.push(format!("batch={}", state.batch_size));
    }
    match state.likelihood {
        Likelihood::Gaussian { sigma } => parts.push(format!("decoder=gaussian&sigma={sigma}")),
        Likelihood::ContinuousBernoulli => parts.push("decoder=continuous-bernoulli".into()),
        Likelihood::Bernoulli => {}
    }
    if state.hidden != d.hidden {
        parts.push(format!("hidden={}", state.hidden));
    }
    if state.seed != d.seed {
        parts.push(format!("seed={}", state.seed));
    }
    if state.z != d.z {
        parts.push(format!("z={},{}", state.z[0], state.z[1]));
    }
    if !state.view.is_whole() {
        let [c1, c2] = state.view.centre();
        parts.push(format!("view={c1},{c2},{}", state.view.half()));
    }
    if let Some(rule) = state.stop {
        parts.push(format!("stop={}", rule.key()));
    }
    if let Some(plan) = state.sweep.filter(|p| *p != SweepPlan::default_plan()) {
        let defaults = SweepPlan::default_plan();
        if plan.betas() != defaults.betas() {
            parts.push(format!("sweep={}", plan.betas_text()));
        }
        if plan.epochs != defaults.epochs {
            parts.push(format!("sweep-epochs={}", plan.epochs));
        }
    }
    if state.kernel != d.kernel {
        parts.push(format!("kernel={}", state.kernel.key()));
    }
    if let Some(n) = state.workers {
        parts.push(format!("workers={n}"));
    }
    if let Some(stage) = state.slowmo {
        parts.push(format!("slowmo={}", stage.key()));
    }
    parts.join("&")
}

/// `%XX` and `+` decoding; bytes that are not UTF-8 become U+FFFD.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Cb+c"), "a,b c");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%ff"), "\u{fffd}");
    }
}
