//! Sans-IO state for the connector: one [`CallTracker`] per business-initiated WhatsApp call,
//! and one [`PermissionCache`] per connector.
//!
//! Meta's webhooks come without ordering guarantees and are retried when not acknowledged in
//! time, so a tracker sees duplicates, a `terminate` before the `connect` it follows, a late
//! `RINGING` after the answer, a retried `connect` after `terminate`. It turns all of that into
//! one sequence of [`LegOutcome`](crate::LegOutcome)s the engine can apply: at most one
//! `Ringing`, at most one `Answered`, at most one terminal outcome, in that order. Like
//! `dialtone_core::Engine`, it is driven with `handle_*` (time passed in) and drained with
//! `poll_*`.

mod call;
mod permission;
#[cfg(test)]
mod tests;

pub use call::{CallTracker, Command, Handled, LINGER_MS};
pub use permission::{
    DEFAULT_DENIED_TTL_MS, PermissionCache, PermissionCheck, TEMPORARY_PERMISSION_MS,
};
