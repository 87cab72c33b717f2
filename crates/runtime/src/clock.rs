//! The wall clock, read in one place.
//!
//! The engine never reads a clock: the driver passes it the time with every input. The IO
//! tasks need wall time too (when a webhook was sent, when a callback is due), and read it
//! through this function so there is one definition of "now" in the process.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dialtone_types::UnixMillis;

/// Milliseconds since the Unix epoch, UTC. A clock set before 1970 reads as the epoch.
pub(crate) fn now() -> UnixMillis {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    UnixMillis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

/// `d` in whole milliseconds, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// How long from `now` until `at` (zero if `at` is past).
pub(crate) fn until(now: UnixMillis, at: UnixMillis) -> Duration {
    Duration::from_millis(at.0.saturating_sub(now.0))
}
