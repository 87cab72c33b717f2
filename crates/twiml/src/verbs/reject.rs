//! `<Reject>`: refuse an incoming call without answering it (no billing).

/// `reason` of `<Reject>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RejectReason {
    /// `rejected` (default): the caller hears "not in service".
    #[default]
    Rejected,
    /// `busy`: the caller hears a busy signal.
    Busy,
}

impl RejectReason {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rejected => "rejected",
            Self::Busy => "busy",
        }
    }
}

/// `<Reject reason/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reject {
    /// `reason`. Default `rejected`.
    pub reason: RejectReason,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
