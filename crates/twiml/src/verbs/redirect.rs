//! `<Redirect>`: continue with the TwiML at another URL.

use crate::Method;

/// `<Redirect method>url</Redirect>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Redirect {
    /// The URL (element text), relative or absolute.
    pub url: String,
    /// `method`. Default POST.
    pub method: Method,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
