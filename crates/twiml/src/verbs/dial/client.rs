//! `<Client>`: a Voice SDK identity.

use crate::{Method, StatusCallbackEvents};

/// `<Client>identity</Client>` or `<Client><Identity>..</Identity><Parameter/>..</Client>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientNoun {
    /// The identity (≤ 256 characters).
    pub identity: String,
    /// `<Parameter name value/>` children, passed to the SDK.
    pub parameters: Vec<(String, String)>,
    /// `url`: whisper TwiML run on the callee after answer.
    pub url: Option<String>,
    /// `method` for `url`. Default POST.
    pub method: Method,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `statusCallbackEvent`. Default none (`completed` when `statusCallback` is set).
    pub status_callback_events: StatusCallbackEvents,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
