//! `<Stop>`: stop a stream, SIPREC session or transcription started with `<Start>`.

use crate::StreamNoun;

/// `<Stop>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stop {
    /// Nested nouns naming what to stop.
    pub nouns: Vec<StreamNoun>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
