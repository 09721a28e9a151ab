//! Links and embeds: the query the address bar follows, the embed code's panels and snippet,
//! and what the link asked for that was not used.

use crate::page::url_state::{self, Panel, Panels, ViewState};

/// The address bar follows the state, at most this often (ms).
pub const URL_SYNC_MS: u32 = 300;
/// The panels a copied embed code shows when the page shows them all.
pub const EMBED_PANELS: [Panel; 3] = [Panel::Decoded, Panel::Sliders, Panel::Map];
/// The width the embed code gives its frame (CSS px; narrower where the host's column is).
pub const EMBED_WIDTH: u32 = 600;

#[derive(Debug, Clone)]
pub struct Share {
    /// The page's origin (the embed code's host script checks messages come from it), and its
    /// address without the query: `origin` + `pathname`.
    origin: String,
    base_url: String,
    /// Origins named by `host=`, kept in every link.
    hosts: Vec<String>,
    /// The panels a copied embed code will show.
    pub embed_panels: Panels,
    /// The last embed code copied (shown so it can be copied by hand).
    pub embed_code: String,
    /// The origin of the site the embed goes on, if the user gave it: named by `host=` in
    /// the embed code, so the frame may tell that site its height and take its commands.
    pub embed_host: Option<String>,
    /// Why the last origin typed for it was refused.
    pub embed_host_error: Option<String>,
    /// What the URL asked for that could not be used.
    pub url_notices: Vec<String>,
    sync_pending: bool,
    synced_query: String,
}

impl Share {
    pub fn new(origin: String, base_url: String, query: &str, parsed: &url_state::Parsed) -> Self {
        let panels = parsed.state.panels;
        Self {
            origin,
            base_url,
            hosts: parsed.hosts.clone(),
            embed_panels: if panels == Panels::ALL {
                EMBED_PANELS.into_iter().fold(Panels::NONE, Panels::with)
            } else {
                panels
            },
            embed_code: String::new(),
            embed_host: None,
            embed_host_error: None,
            url_notices: parsed.notices.iter().map(|n| n.message.clone()).collect(),
            sync_pending: false,
            synced_query: query.trim_start_matches('?').to_string(),
        }
    }

    /// The query for a state, with the allowed host origins kept.
    pub fn query_for(&self, state: &ViewState) -> String {
        let mut parts = vec![url_state::to_query(state)];
        parts.extend(self.hosts.iter().map(|h| format!("host={h}")));
        parts.retain(|p| !p.is_empty());
        parts.join("&")
    }

    pub fn url_for(&self, state: &ViewState) -> String {
        let query = self.query_for(state);
        if query.is_empty() {
            self.base_url.clone()
        } else {
            format!("{}?{query}", self.base_url)
        }
    }

    /// The embed code: a frame of `EMBED_WIDTH` at the height its panels need there, and the
    /// few lines that let the host page grow or shrink it to what the frame reports
    /// (`vae:resize`, from this page's origin only) at whatever width it gets.
    pub fn embed_snippet(&self, state: &ViewState) -> String {
        let state = ViewState {
            embed: true,
            panels: self.embed_panels,
            ..*state
        };
        let mut url = self.url_for(&state);
        if let Some(host) = self.embed_host.as_ref().filter(|h| !self.hosts.contains(h)) {
            url.push_str(if url.contains('?') { "&" } else { "?" });
            url.push_str(&format!("host={host}"));
        }
        let height = embed_height(self.embed_panels, state.slowmo.is_some());
        let origin = &self.origin;
        format!(
            "<iframe src=\"{src}\" width=\"{EMBED_WIDTH}\" height=\"{height}\" style=\"border:0;width:100%;max-width:{EMBED_WIDTH}px\" title=\"VAE playground\" loading=\"lazy\" sandbox=\"allow-scripts allow-same-origin allow-downloads\"></iframe>\n\
             <script>addEventListener(\"message\",function(e){{var d=e.data;if(e.origin!==\"{origin}\"||!d||d.type!==\"vae:resize\")return;\
             document.querySelectorAll(\"iframe\").forEach(function(f){{if(f.contentWindow===e.source)f.style.height=d.height+\"px\"}})}});</script>",
            src = url.replace('&', "&amp;"),
        )
    }

    /// The user typed the origin of the site the embed goes on (empty: none).
    pub fn set_embed_host(&mut self, text: &str) {
        let text = text.trim().trim_end_matches('/');
        match (text.is_empty(), url_state::parse_origin(text)) {
            (true, _) => (self.embed_host, self.embed_host_error) = (None, None),
            (false, Ok(origin)) => (self.embed_host, self.embed_host_error) = (Some(origin), None),
            (false, Err(why)) => self.embed_host_error = Some(why),
        }
        self.embed_code.clear();
    }

    /// Tick or untick a panel of the embed; at least one stays.
    pub fn toggle_panel(&mut self, panel: Panel) {
        let toggled = Panel::ALL
            .into_iter()
            .filter(|p| (*p == panel) != self.embed_panels.contains(*p))
            .fold(Panels::NONE, Panels::with);
        if !toggled.is_empty() {
            self.embed_panels = toggled;
        }
        self.embed_code.clear();
    }

    /// Whether a sync of the address bar should be scheduled for `state`.
    pub fn sync_needed(&mut self, state: &ViewState) -> bool {
        if self.sync_pending || self.query_for(state) == self.synced_query {
            return false;
        }
        self.sync_pending = true;
        true
    }

    /// The sync is due: the query to write, if it changed.
    pub fn sync(&mut self, state: &ViewState) -> Option<String> {
        self.sync_pending = false;
        let query = self.query_for(state);
        if query == self.synced_query {
            return None;
        }
        self.synced_query = query.clone();
        Some(query)
    }
}

/// The frame height (CSS px) the embed code sets for `panels` at `EMBED_WIDTH`: panels in the
/// page's order fill rows of the frame as the stylesheet lays them out (`.embed` in style.css),
/// each row as tall as its tallest panel, after slow motion's panel when the link opens it
/// (`slowmo`). The heights were measured in Chromium at that width; the browser tests check
/// every panel combination they try fits.
pub fn embed_height(panels: Panels, slowmo: bool) -> u32 {
    const INNER: u32 = EMBED_WIDTH - 2 * PAD;
    const PAD: u32 = 6;
    const GAP: u32 = 6;
    /// The footer's line and margins.
    const FOOTER: u32 = 26;
    /// Room for fonts that set a little taller than Chromium's here.
    const SLACK: u32 = 8;
    /// Slow motion's panel at its tallest stage, the gradient step (418 px at the batch,
    /// 933 at the step, in Chromium 156 at this width): a copied embed fits every stage.
    const SLOWMO_PANEL: u32 = 933;
    let has = |p| panels.contains(p);
    // (width, height) of each panel that shows, in the grid's order.
    let boxes = [
        slowmo.then_some((INNER, SLOWMO_PANEL)),
        (has(Panel::Decoded) || has(Panel::Sliders)).then(|| {
            let height = match (has(Panel::Decoded), has(Panel::Sliders)) {
                (true, true) => 238,
                (true, false) => 194,
                _ => 62,
            };
            (190, height)
        }),
        has(Panel::Map).then_some((316, 472)),
        (has(Panel::Controls) || has(Panel::Metrics)).then(|| {
            let height = match (has(Panel::Controls), has(Panel::Metrics)) {
                (true, true) => 628,
                (true, false) => 496,
                _ => 147,
            };
            (300, height)
        }),
        has(Panel::Chart).then_some((INNER, 566)),
        // With the pretrained run alone; each further run adds a table row (the host script
        // follows the frame's height). Its table scrolls sideways inside it in narrow frames.
        has(Panel::Runs).then_some((INNER, 500)),
        // Before anything is inspected; it grows after (the host script follows it).
        has(Panel::Inspect).then_some((INNER, 530)),
        // Beside the inspector, its hint until an input is picked; alone, the first example's
        // numbers (`PageState` inspects it), the Bernoulli decoder's lines.
        has(Panel::Maths).then_some((INNER, if has(Panel::Inspect) { 100 } else { 580 })),
    ];
    let (mut rows, mut row_width, mut row_height) = (Vec::new(), 0, 0);
    for (width, height) in boxes.into_iter().flatten() {
        if row_width > 0 && row_width + GAP + width > INNER {
            rows.push(row_height);
            (row_width, row_height) = (0, 0);
        }
        row_width += if row_width > 0 { GAP + width } else { width };
        row_height = row_height.max(height);
    }
    rows.push(row_height);
    let gaps = GAP * (rows.len() as u32 - 1);
    2 * PAD + rows.iter().sum::<u32>() + gaps + FOOTER + SLACK
}

/// The full page's link for an embed URL: the same state without `embed` and `panels`.
pub fn strip_embed(url: &str) -> String {
    let (_, query) = url.split_once('?').unwrap_or((url, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| *p != "embed" && !p.starts_with("panels="))
        .collect();
    if kept.iter().all(|p| p.is_empty()) {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}
