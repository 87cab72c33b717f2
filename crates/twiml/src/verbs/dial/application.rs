//! `<Application>`: dial another TwiML application, keeping the parent context.

use crate::{Method, StatusCallbackEvents};

/// `<Application>AP…</Application>` or with `<ApplicationSid>`/`<Parameter>` children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplicationNoun {
    /// The application SID (`AP…`).
    pub sid: String,
    /// `<Parameter name value/>` children.
    pub parameters: Vec<(String, String)>,
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
    /// `customerId`.
    pub customer_id: Option<String>,
    /// `copyParentTo`. Default false.
    pub copy_parent_to: bool,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}
