//! `<Sms>`: the legacy verb that sends a text message during a call.

use crate::Method;

/// `<Sms to from action method statusCallback>body</Sms>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sms {
    /// The message body (element text).
    pub body: String,
    /// `to`; none means the caller.
    pub to: Option<String>,
    /// `from`; none means the called number.
    pub from: Option<String>,
    /// `action`.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
