//! Meta's numbers the rules enforce, and the simulator's own timing choices.

use std::fmt;
use std::time::Duration;

/// Timing of the simulated network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// From `connect` to the `RINGING` status (and to a busy user's refusal).
    pub ring_after: Duration,
    /// How long a business call rings before Meta gives up (not published by Meta, reference
    /// §6 "UNCONFIRMED"; 60 s like the upper end of the user-initiated accept window).
    pub ring_timeout: Duration,
    /// How long a call to an unreachable phone stays "calling" before it fails.
    pub unreachable_after: Duration,
    /// User-initiated: how long the business has to `accept` (reference §1.6: ~30–60 s).
    pub accept_window: Duration,
    /// From the answer to the first digit the user presses.
    pub digits_delay: Duration,
    /// How long ended calls stay visible (to the test API and to a late `terminate`).
    pub keep_ended: Duration,
    /// From Meta accepting a message to its `sent` status (or its `failed` one).
    pub message_sent_after: Duration,
    /// From `sent` to `delivered`.
    pub message_delivered_after: Duration,
    /// From `delivered` to `read` (the user opens the chat; `ReplyAfter` counts from here).
    pub message_read_after: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            ring_after: Duration::from_millis(200),
            ring_timeout: Duration::from_mins(1),
            unreachable_after: Duration::from_secs(2),
            accept_window: Duration::from_mins(1),
            digits_delay: Duration::from_secs(1),
            keep_ended: Duration::from_mins(10),
            message_sent_after: Duration::from_millis(100),
            message_delivered_after: Duration::from_millis(200),
            message_read_after: Duration::from_millis(500),
        }
    }
}

/// Meta's consent rules per business number and user pair (reference `whatsapp-consent.md`
/// §3.5; the production values by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentLimits {
    /// Call permission requests per rolling 24 h (1; 138009 above).
    pub requests_per_day: usize,
    /// Call permission requests per rolling 7 days (2; 138009 above).
    pub requests_per_week: usize,
    /// Lifetime of a temporary permission from the user's acceptance (7 × 86 400 s).
    pub temporary_lifetime: Duration,
    /// How long a request can be answered (or the answer changed): 7 days after delivery, or
    /// after the user's last answer.
    pub request_lifetime: Duration,
    /// The customer service window opened by a user's message (24 h): free-form messages and
    /// call permission requests are delivered only inside it.
    pub service_window: Duration,
    /// `GET call_permissions` per business number per second (5; 613 above).
    pub permission_reads_per_second: usize,
}

impl Default for ConsentLimits {
    fn default() -> Self {
        Self {
            requests_per_day: 1,
            requests_per_week: 2,
            temporary_lifetime: Duration::from_hours(7 * 24),
            request_lifetime: Duration::from_hours(7 * 24),
            service_window: Duration::from_hours(24),
            permission_reads_per_second: 5,
        }
    }
}

/// Meta's verdict on a new message template (the simulator's review is a setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateReview {
    /// `APPROVED` (the default) or `REJECTED`; `PENDING` leaves it under review for good.
    pub verdict: TemplateStatus,
    /// How long the review takes; zero answers the creation with the verdict itself, otherwise
    /// it answers `PENDING` and a `message_template_status_update` webhook follows.
    pub after: Duration,
}

impl Default for TemplateReview {
    fn default() -> Self {
        Self {
            verdict: TemplateStatus::Approved,
            after: Duration::ZERO,
        }
    }
}

/// A message template's status as Meta names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateStatus {
    /// Under review.
    Pending,
    /// Usable.
    Approved,
    /// Refused.
    Rejected,
}

impl TemplateStatus {
    /// `PENDING`, `APPROVED` or `REJECTED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Approved => "APPROVED",
            Self::Rejected => "REJECTED",
        }
    }

    /// Parses Meta's name, case-insensitively.
    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_uppercase().as_str() {
            "PENDING" => Some(Self::Pending),
            "APPROVED" => Some(Self::Approved),
            "REJECTED" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// Rules of the simulated network.
#[derive(Clone, PartialEq, Eq)]
pub struct NetworkConfig {
    /// The Graph access token Dialtone must present (`Authorization: Bearer …`).
    pub access_token: String,
    /// Timing.
    pub timing: Timing,
    /// Concurrent calls per business number (reference §6: 1000; 138002 above).
    pub max_concurrent_calls: usize,
    /// Connected business-initiated calls per business/user pair per rolling 24 h (§2.4: 100;
    /// 138012 above).
    pub max_connected_per_day: usize,
    /// Unanswered business-initiated calls in a row that revoke the permission (§2.4: 4).
    pub revoke_after_unanswered: u32,
    /// Call permission requests, permission lifetimes, the service window.
    pub consent: ConsentLimits,
    /// How new message templates are reviewed.
    pub template_review: TemplateReview,
}

impl NetworkConfig {
    /// Meta's limits and the default timing, with `access_token`.
    pub fn new(access_token: &str) -> Self {
        Self {
            access_token: access_token.to_owned(),
            timing: Timing::default(),
            max_concurrent_calls: 1000,
            max_connected_per_day: 100,
            revoke_after_unanswered: 4,
            consent: ConsentLimits::default(),
            template_review: TemplateReview::default(),
        }
    }
}

impl fmt::Debug for NetworkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkConfig")
            .field("access_token", &"<redacted>")
            .field("timing", &self.timing)
            .field("max_concurrent_calls", &self.max_concurrent_calls)
            .field("max_connected_per_day", &self.max_connected_per_day)
            .field("revoke_after_unanswered", &self.revoke_after_unanswered)
            .field("consent", &self.consent)
            .field("template_review", &self.template_review)
            .finish()
    }
}
