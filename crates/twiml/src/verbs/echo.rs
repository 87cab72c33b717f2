//! `<Echo>`: loop the caller's audio back (a test verb).

/// `<Echo/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Echo {
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
