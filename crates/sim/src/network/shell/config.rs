//! How the simulator is set up: where it sends webhooks, the secrets it shares with Dialtone,
//! its users' media side, and how hard it tries to deliver a webhook.

use std::fmt;
use std::time::Duration;

use dialtone_media::MediaConfig;
use dialtone_media::heard::HeardLog;
use url::Url;

use crate::network::{TemplateReview, Timing};

/// Webhook delivery, Meta-style: a POST that fails (transport error, non-2xx, timeout) is
/// retried with a doubling delay; a call's webhooks stay in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Delay before the first retry (doubled for each next one).
    pub retry_delay: Duration,
    /// How long one POST may take (Meta gives up after ~20 s).
    pub timeout: Duration,
}

impl Default for Delivery {
    fn default() -> Self {
        Self {
            retries: 4,
            retry_delay: Duration::from_millis(250),
            timeout: Duration::from_secs(20),
        }
    }
}

/// The simulator's configuration.
#[derive(Clone)]
pub struct SimulatorConfig {
    /// Dialtone's webhook receiver, e.g. `http://127.0.0.1:8080/webhooks/whatsapp`.
    pub webhook_url: Url,
    /// The app secret webhooks are signed with (`X-Hub-Signature-256`).
    pub app_secret: String,
    /// The Graph access token Dialtone must present (`Authorization: Bearer …`).
    pub access_token: String,
    /// Timing of the network (ring, ring timeout, accept window, digits delay, message
    /// statuses…); Meta's limits (1000 concurrent calls per sender, 100 connected calls per
    /// pair per day, 4 unanswered calls revoke, 1 permission request per 24 h and 2 per 7 days,
    /// 7-day temporary permissions) are fixed.
    pub timing: Timing,
    /// The users' media side (ICE-lite).
    pub media: MediaConfig,
    /// Webhook delivery.
    pub delivery: Delivery,
    /// Where what each user hears is kept (by default a log of its own; the binary shares one
    /// with the simulated softphones).
    pub heard: HeardLog,
    /// How new message templates are reviewed (approved at once by default).
    pub template_review: TemplateReview,
}

impl SimulatorConfig {
    /// Meta's rules and default timing, ICE-lite media on 127.0.0.1.
    pub fn new(webhook_url: Url, app_secret: &str, access_token: &str) -> Self {
        Self {
            webhook_url,
            app_secret: app_secret.to_owned(),
            access_token: access_token.to_owned(),
            timing: Timing::default(),
            media: MediaConfig::lite(),
            delivery: Delivery::default(),
            heard: HeardLog::default(),
            template_review: TemplateReview::default(),
        }
    }
}

impl fmt::Debug for SimulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimulatorConfig")
            .field("webhook_url", &self.webhook_url.as_str())
            .field("app_secret", &"<redacted>")
            .field("access_token", &"<redacted>")
            .field("timing", &self.timing)
            .field("media", &self.media)
            .field("delivery", &self.delivery)
            .field("heard_legs", &self.heard.len())
            .field("template_review", &self.template_review)
            .finish()
    }
}
