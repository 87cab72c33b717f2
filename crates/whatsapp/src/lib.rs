//! Meta's WhatsApp Cloud API calling protocol, for Dialtone's `<Dial><WhatsApp>` connector.
//!
//! Pure and sans-IO like `dialtone-core`: this crate builds Graph requests as plain data,
//! decodes answers, verifies and parses signed `calls` webhooks, and tracks each WhatsApp call
//! so that duplicated and reordered webhooks still yield one clean sequence of leg outcomes.
//! The runtime owns the sockets, the clock and the timers; the simulator reuses the same types
//! to speak Meta's protocol from the other side.
//!
//! - [`graph`]: calling requests (`connect`, `pre_accept`, `accept`, `reject`, `terminate`,
//!   `call_permissions`) and their answers.
//! - [`error`]: Meta's error body and the mapping of Graph codes to Twilio codes.
//! - [`webhook`]: `X-Hub-Signature-256`, the subscription check, the `calls` envelope.
//! - [`tracker`]: one call's state (business- or user-initiated) and the permission cache.
//! - [`sdp`]: checks an SDP against Meta's WebRTC profile.
//! - [`LegOutcome`]: what the connector reports to the engine.
#![warn(missing_docs)]

pub mod error;
pub mod graph;
mod outcome;
pub mod sdp;
pub mod tracker;
pub mod webhook;

#[cfg(test)]
mod fixtures;

pub use outcome::LegOutcome;
