//! TwiML for Programmable Voice: a typed model, a parser/validator that reports Twilio's codes
//! with line and column, and a serializer.
#![warn(missing_docs)]

mod common;
mod diagnostic;
pub mod verbs;

pub use common::{Element, Method, StatusCallbackEvents, UnknownElement};
pub use diagnostic::{Context, Diagnostic, Parsed};
pub use verbs::*;
