//! `<Number>`: a phone number, also what plain-text `<Dial>` content becomes.

use crate::{Method, StatusCallbackEvents};

/// `<Number>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberNoun {
    /// The number as written (E.164 preferred; unformatted US numbers are accepted).
    pub number: String,
    /// `sendDigits`: DTMF sent once the call connects (`0-9 A-D # * w W`).
    pub send_digits: Option<String>,
    /// `url`: whisper TwiML run on the callee after answer.
    pub url: Option<String>,
    /// `method` for `url`. Default POST.
    pub method: Method,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `statusCallbackEvent`. Default `completed`.
    pub status_callback_events: StatusCallbackEvents,
    /// `byoc`: BYOC trunk SID.
    pub byoc: Option<String>,
    /// `machineDetection`: `Enable` or `DetectMessageEnd`.
    pub machine_detection: Option<String>,
    /// `amdStatusCallback`.
    pub amd_status_callback: Option<String>,
    /// Unknown attributes (and the other AMD tuning attributes), kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for NumberNoun {
    fn default() -> Self {
        Self {
            number: String::new(),
            send_digits: None,
            url: None,
            method: Method::Post,
            status_callback: None,
            status_callback_method: Method::Post,
            status_callback_events: StatusCallbackEvents::COMPLETED,
            byoc: None,
            machine_detection: None,
            amd_status_callback: None,
            extra: Vec::new(),
        }
    }
}
