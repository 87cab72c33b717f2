//! `<Connect>`: connect the call to a stream, room, agent... (not executed by the engine yet).

use crate::{Method, StreamNoun};

/// `<Connect action method>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connect {
    /// `action`: requested when the connection ends.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// Nested nouns.
    pub nouns: Vec<StreamNoun>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
