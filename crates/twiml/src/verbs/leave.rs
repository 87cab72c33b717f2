//! `<Leave>`: leave the queue the caller waits in.

/// `<Leave/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Leave {
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
