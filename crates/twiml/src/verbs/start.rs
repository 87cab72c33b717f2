//! `<Start>`: start an asynchronous stream, SIPREC session or transcription.

use crate::{Method, StreamNoun};

/// `<Start action method>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Start {
    /// `action`.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// Nested nouns.
    pub nouns: Vec<StreamNoun>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
