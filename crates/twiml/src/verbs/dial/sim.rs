//! `<Sim>`: a Programmable Wireless / Super SIM.

use crate::{Method, StatusCallbackEvents};

/// `<Sim>DE…</Sim>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimNoun {
    /// The SIM SID (element text).
    pub sid: String,
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
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
