//! `<Pause>`: silence.

/// `<Pause length/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// `length` in seconds. Default 1.
    pub length: u32,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Pause {
    fn default() -> Self {
        Self {
            length: 1,
            extra: Vec::new(),
        }
    }
}
