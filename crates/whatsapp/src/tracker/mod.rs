//! Sans-IO state for the connector: one [`CallTracker`] per business-initiated WhatsApp call,
//! one [`InboundTracker`] per user-initiated call, and one [`PermissionCache`] per connector.
//!
//! Meta's webhooks come without ordering guarantees and are retried when not acknowledged in
//! time, so a tracker sees duplicates, a `terminate` before the `connect` it follows, a late
//! `RINGING` after the answer, a retried `connect` after `terminate`. It turns all of that into
//! one sequence of [`LegOutcome`](crate::LegOutcome)s the engine can apply: at most one
//! `Ringing`, at most one `Answered`, at most one terminal outcome, in that order. Like
//! `dialtone_core::Engine`, trackers are driven with `handle_*` (time passed in) and drained with
//! `poll_*`; the [`Command`]s they emit are Graph requests for the IO layer to send.

mod call;
mod command;
mod inbound;
mod permission;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_inbound;
#[cfg(test)]
mod tests_permission;

pub use call::{CallTracker, Handled, LINGER_MS};
pub use command::Command;
pub use inbound::{InboundError, InboundTracker};
pub use permission::{
    DEFAULT_DENIED_TTL_MS, PermissionCache, PermissionCheck, TEMPORARY_PERMISSION_MS,
};
