//! The host page's side of the `postMessage` API: which origins may speak, who subscribed to
//! metrics, and how many messages were refused.

use crate::page::host_api::HostCommand;

use super::effect::WindowId;

/// Subscribed hosts get metrics at most this often while training (ms).
pub const METRICS_EVERY_MS: f64 = 100.0;

#[derive(Debug, Clone)]
pub struct HostBridge {
    /// The page's own origin and the `host=` ones.
    allowed: Vec<String>,
    /// Windows that asked for metrics, with the origin to post them to.
    subscribers: Vec<(WindowId, String)>,
    last_sent: f64,
    /// Messages refused: a foreign origin, or not one of the API's shapes.
    pub ignored: u32,
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

    /// Whom to send metrics now: everyone when `force`, else at most every METRICS_EVERY_MS.
    pub fn metrics_due(&mut self, now: f64, force: bool) -> &[(WindowId, String)] {
        if self.subscribers.is_empty() || !(force || now - self.last_sent > METRICS_EVERY_MS) {
            return &[];
        }
        self.last_sent = now;
        &self.subscribers
    }
}
