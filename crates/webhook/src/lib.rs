//! The Twilio side of Dialtone's webhooks, without any IO.
//!
//! Applications written for Twilio check every webhook with Twilio's helper libraries and react
//! to failures through Twilio's error codes, so Dialtone must sign, shape and judge its HTTP
//! requests exactly as Twilio does. This crate holds those rules as plain functions and data:
//!
//! - [`signature`] and [`validate`]: `X-Twilio-Signature` (HMAC-SHA1 with the Auth Token, or
//!   HMAC-SHA256 with a SharedKey), computed and checked as twilio-python does.
//! - [`overrides`]: the `#ct=..&rt=..` connection-override fragment of a configured URL.
//! - [`request`]: the method, final URL, headers and body of one webhook request.
//! - [`response`] and [`transport`]: what a response or a transport failure means for the call,
//!   as a Twilio error code.
//!
//! The runtime sends the described requests (with reqwest) and feeds the results back here; the
//! call engine stays free of sockets and clocks.
#![warn(missing_docs)]

pub mod overrides;
pub mod request;
pub mod response;
pub mod signature;
pub mod transport;
mod url_text;
pub mod validate;

pub use overrides::{
    ConnectionOverrides, OverrideError, RetryPolicy, RetryTrigger, split_configured_url,
};
pub use request::{Method, RequestError, WebhookRequest, build_request};
pub use response::{
    FetchFailure, Fetched, ReceivedResponse, classify_callback_response, classify_response,
};
pub use signature::{
    Secret, SignatureAlgorithm, SigningKey, UnsupportedAlgorithm, compute_signature,
};
pub use transport::TransportFailure;
pub use validate::{RequestValidator, SignatureError};
