//! `<Hangup>`: end the call.

/// `<Hangup/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hangup {
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
