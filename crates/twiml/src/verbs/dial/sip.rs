//! `<Sip>`: a SIP endpoint.

use crate::{Method, StatusCallbackEvents};

/// `<Sip username password>sip:uri</Sip>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SipNoun {
    /// The SIP URI (element text).
    pub uri: String,
    /// `username` for digest authentication.
    pub username: Option<String>,
    /// `password` for digest authentication.
    pub password: Option<String>,
    /// `url`: whisper TwiML run on the callee after answer.
    pub url: Option<String>,
    /// `method` for `url`. Default POST.
    pub method: Method,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `statusCallbackEvent`. Default none.
    pub status_callback_events: StatusCallbackEvents,
    /// Unknown attributes (and AMD attributes), kept as written.
    pub extra: Vec<(String, String)>,
}
