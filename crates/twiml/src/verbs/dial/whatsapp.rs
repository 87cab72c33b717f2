//! `<WhatsApp>`: a WhatsApp user, called through WhatsApp Business Calling.

use dialtone_types::E164;

use crate::{Method, StatusCallbackEvents};

/// `<WhatsApp>+E164</WhatsApp>`; a `whatsapp:` prefix in the text is accepted and removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppNoun {
    /// The consumer's number.
    pub number: E164,
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

impl WhatsAppNoun {
    /// A noun with default attributes.
    pub fn new(number: E164) -> Self {
        Self {
            number,
            url: None,
            method: Method::Post,
            status_callback: None,
            status_callback_method: Method::Post,
            status_callback_events: StatusCallbackEvents::NONE,
            extra: Vec::new(),
        }
    }
}
