//! `<Refer>`: transfer a SIP call with a SIP REFER.

use crate::Method;

/// `<Refer action method><Sip>uri</Sip></Refer>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refer {
    /// `action`.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// The `<Sip>` target URI.
    pub sip: Option<String>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
