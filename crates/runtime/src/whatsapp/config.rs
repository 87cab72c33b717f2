//! The connector's settings: where the Graph API is, the secrets Meta shares with Dialtone,
//! and the deadlines of one call. Secrets never reach `Debug` output.

use std::fmt;
use std::time::Duration;

use dialtone_media::MediaConfig;
use dialtone_whatsapp::graph::GraphConfig;

/// Settings of the WhatsApp connector ([`RuntimeConfig::whatsapp`](crate::RuntimeConfig)).
#[derive(Clone)]
pub struct WhatsAppConfig {
    /// Graph base URL, version and access token (Meta, or the simulator's `/sim/graph`).
    pub graph: GraphConfig,
    /// The Meta app secret: webhooks are accepted only with its `X-Hub-Signature-256`.
    pub app_secret: String,
    /// What Meta's GET subscription check must send as `hub.verify_token`.
    pub verify_token: String,
    /// Deadline of one Graph request (default 10 s): past it the request is a timeout.
    pub request_timeout: Duration,
    /// How long an answered call's media may take to connect (default 10 s) before the child
    /// fails and the WhatsApp call is terminated.
    pub media_timeout: Duration,
    /// Backstop for unanswered calls (default 10 min): the `<Dial timeout>` normally ends a
    /// ringing call first.
    pub answer_timeout: Duration,
    /// How long a user known to have no call permission fails without asking Meta (default
    /// 10 min; a permission-reply webhook granting it clears this at once).
    pub denied_ttl: Duration,
    /// Dialtone's side of the media (full ICE; the address its UDP sockets bind to).
    pub media: MediaConfig,
}

impl WhatsAppConfig {
    /// Settings with the default deadlines.
    pub fn new(
        graph: GraphConfig,
        app_secret: impl Into<String>,
        verify_token: impl Into<String>,
    ) -> Self {
        Self {
            graph,
            app_secret: app_secret.into(),
            verify_token: verify_token.into(),
            request_timeout: Duration::from_secs(10),
            media_timeout: Duration::from_secs(10),
            answer_timeout: Duration::from_mins(10),
            denied_ttl: Duration::from_millis(dialtone_whatsapp::tracker::DEFAULT_DENIED_TTL_MS),
            media: MediaConfig::full(),
        }
    }
}

impl fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsAppConfig")
            .field("graph", &self.graph)
            .field("app_secret", &"<redacted>")
            .field("verify_token", &"<redacted>")
            .field("request_timeout", &self.request_timeout)
            .field("media_timeout", &self.media_timeout)
            .field("answer_timeout", &self.answer_timeout)
            .field("denied_ttl", &self.denied_ttl)
            .field("media", &self.media)
            .finish()
    }
}
