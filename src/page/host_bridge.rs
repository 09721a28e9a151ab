//! The host page's side of the `postMessage` API: which origins may speak, who subscribed to
//! metrics, and how many messages were refused.

use crate::page::host_api::HostCommand;

use super::effect::WindowId;

/// Subscribed hosts get metrics at most this often while training (ms).
pub const METRICS_EVERY_MS: f64 = 100.0;
/// An embed tells its host its height at most this often (ms).
pub const RESIZE_EVERY_MS: u32 = 250;

/// Which of `origins` a message to the parent goes to: the parent's own, when the browser says
/// what it is (never one it is not), else each of them (the browser delivers to the one that
/// matches).
pub fn recipients<'a>(
    origins: &'a [String],
    parent: Option<&'a str>,
) -> impl Iterator<Item = &'a str> {
    origins
        .iter()
        .map(String::as_str)
        .filter(move |o| parent.is_none_or(|p| p == *o))
}

#[derive(Debug, Clone)]
pub struct HostBridge {
    /// The page's own origin and the `host=` ones.
    allowed: Vec<String>,
    /// Windows that asked for metrics, with the origin to post them to.
    subscribers: Vec<(WindowId, String)>,
    last_sent: f64,
    /// Messages refused: a foreign origin, or not one of the API's shapes.
    pub ignored: u32,
    /// The embed's content height: the latest measured, the last told, and whether a post is
    /// already waiting.
    height: Option<u32>,
    height_told: Option<u32>,
    resize_waiting: bool,
}

impl HostBridge {
    pub fn new(own_origin: String, hosts: &[String]) -> Self {
        let mut allowed = vec![own_origin];
        allowed.extend(hosts.iter().cloned());
        Self {
            allowed,
            subscribers: Vec::new(),
            last_sent: 0.0,
            ignored: 0,
            height: None,
            height_told: None,
            resize_waiting: false,
        }
    }

    pub fn allowed(&self) -> &[String] {
        &self.allowed
    }

    /// The command in a message, if its origin is allowed and its shape is one of the API's;
    /// else it is counted as ignored.
    pub fn receive(&mut self, origin: &str, text: &str) -> Option<HostCommand> {
        let command = self
            .allowed
            .iter()
            .any(|o| o == origin)
            .then(|| HostCommand::parse(text).ok())
            .flatten();
        if command.is_none() {
            self.ignored += 1;
        }
        command
    }

    pub fn subscribe(&mut self, window: WindowId, origin: &str) {
        if !self
            .subscribers
            .iter()
            .any(|(w, o)| *w == window && o == origin)
        {
            self.subscribers.push((window, origin.to_string()));
        }
    }

    pub fn unsubscribe(&mut self, window: WindowId, origin: &str) {
        self.subscribers
            .retain(|(w, o)| !(*w == window && o == origin));
    }

    /// The content is now `height` tall: whether to schedule a `resize_due` (none is waiting).
    pub fn height_changed(&mut self, height: u32) -> bool {
        self.height = Some(height);
        let schedule = !self.resize_waiting && self.height != self.height_told;
        self.resize_waiting |= schedule;
        schedule
    }

    /// The wait is over: the height to tell the host, if it changed since it was last told.
    pub fn resize_due(&mut self) -> Option<u32> {
        self.resize_waiting = false;
        let new = self.height.filter(|h| Some(*h) != self.height_told)?;
        self.height_told = Some(new);
        Some(new)
    }

    /// Whom to send metrics now: everyone when `force`, else at most every METRICS_EVERY_MS.
    pub fn metrics_due(&mut self, now: f64, force: bool) -> &[(WindowId, String)] {
        if self.subscribers.is_empty() || !(force || now - self.last_sent > METRICS_EVERY_MS) {
            return &[];
        }
        self.last_sent = now;
        &self.subscribers
    }
}
