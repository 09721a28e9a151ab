//! Links and embeds: the query the address bar follows, the embed code's panels and snippet,
//! and what the link asked for that was not used.

use crate::page::url_state::{self, Panel, Panels, ViewState};

/// The address bar follows the state, at most this often (ms).
pub const URL_SYNC_MS: u32 = 300;
/// The panels a copied embed code shows when the page shows them all.
pub const EMBED_PANELS: [Panel; 3] = [Panel::Decoded, Panel::Sliders, Panel::Map];

#[derive(Debug, Clone)]
pub struct Share {
    /// The page's address without its query: `origin` + `pathname`.
    base_url: String,
    /// Origins named by `host=`, kept in every link.
    hosts: Vec<String>,
    /// The panels a copied embed code will show.
    pub embed_panels: Panels,
    /// The last embed code copied (shown so it can be copied by hand).
    pub embed_code: String,
    /// What the URL asked for that could not be used.
    pub url_notices: Vec<String>,
    sync_pending: bool,
    synced_query: String,
}

impl Share {
    pub fn new(base_url: String, query: &str, parsed: &url_state::Parsed) -> Self {
        let panels = parsed.state.panels;
        Self {
            base_url,
            hosts: parsed.hosts.clone(),
            embed_panels: if panels == Panels::ALL {
                EMBED_PANELS.into_iter().fold(Panels::NONE, Panels::with)
            } else {
                panels
            },
            embed_code: String::new(),
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

    pub fn embed_snippet(&self, state: &ViewState) -> String {
        let state = ViewState {
            embed: true,
            panels: self.embed_panels,
            ..*state
        };
        format!(
            "<iframe src=\"{}\" width=\"600\" height=\"400\" style=\"border:0;max-width:100%\" title=\"VAE playground\" loading=\"lazy\" sandbox=\"allow-scripts allow-same-origin allow-downloads\"></iframe>",
            self.url_for(&state).replace('&', "&amp;")
        )
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
