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
            .finish()
    }
}
