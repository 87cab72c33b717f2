//! Test and benchmark tooling for Dialtone's call engine.
//!
//! [`harness::World`] drives a [`dialtone_core::Engine`] in virtual time: applications are
//! scripted by URL (TwiML, HTTP status, transport failure), legs by address (answer after N
//! seconds, busy, decline, no answer, unreachable, no WhatsApp permission, hang up after N
//! seconds, press digits), and every output is recorded so tests can assert the exact
//! webhook requests, statuses and notifications. Nothing here reads the clock: a day of calls
//! runs in microseconds, identically every time.
//!
//! [`network`] is the simulated WhatsApp network: Meta's Graph calling endpoints and signed
//! webhooks, with simulated users (a sans-IO core plus a tokio/axum shell).
#![warn(missing_docs)]

pub mod harness;
pub mod network;

pub use harness::{AppResponse, LegScript, Webhook, WebhookKind, World};
