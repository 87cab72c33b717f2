#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod common;
mod diagnostic;
mod parse;
#[cfg(test)]
mod test_util;
pub mod verbs;
mod write;

pub use common::{Element, Method, StatusCallbackEvents, UnknownElement};
pub use diagnostic::{Context, Diagnostic, Parsed};
pub use dialtone_types::{Level, TwilioCode};
pub use parse::{MAX_DOCUMENT_BYTES, MAX_REST_CHARS, parse};
pub use verbs::*;
