//! What the world records: webhook requests as an application would receive them.

use dialtone_core::{FetchPurpose, Method};
use dialtone_types::{Sid, UnixMillis};

/// Which kind of request a webhook is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookKind {
    /// A TwiML fetch.
    Fetch(FetchPurpose),
    /// A status callback.
    StatusCallback,
}

/// One request the engine made to an application, rendered as on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Virtual time it was sent.
    pub at: UnixMillis,
    /// Fetch or status callback.
    pub kind: WebhookKind,
    /// The call it is about.
    pub call: Sid,
    /// GET or POST.
    pub method: Method,
    /// The absolute URL.
    pub url: String,
    /// Parameters in order.
    pub params: Vec<(String, String)>,
}

impl Webhook {
    /// The value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `"POST https://app.test/voice"`: handy in assertions.
    pub fn line(&self) -> String {
        format!("{} {}", self.method.as_str(), self.url)
    }
}
