//! `Heard.wav` over the one heard log every simulated party feeds (WhatsApp users and
//! softphones, [`dialtone_media::heard`]): the API's [`SimulatedParties`] port.
//!
//! A Dialtone call names its simulated party the way that party's side knows the call: a
//! softphone's leg by the CallSid it is on (the `<Dial><Client>` child, or the call the
//! softphone placed); a business-initiated WhatsApp call (a `<Dial><WhatsApp>` child, a REST
//! call to a user) by its `biz_opaque_callback_data`, which Dialtone sets to the CallSid; a
//! user-initiated one (an inbound call `From=whatsapp:+U`, `To=whatsapp:+S`) as the user's call
//! to that business number that was live when Dialtone created the call record (Meta allows one
//! call per pair at a time). Decoding happens here, once asked.

use axum::http::StatusCode;
use dialtone_api::{ControlError, DialtoneCall, HeardAudio, SimulatedParties};
use dialtone_media::heard::{HEARD_RATE, HeardLog};
use dialtone_types::{Direction, Sid, TwilioCode};

/// The shared heard log as the API's simulated parties.
#[derive(Debug, Clone)]
pub struct HeardPort(pub HeardLog);

impl SimulatedParties for HeardPort {
    fn heard(&self, account: Sid, call: &DialtoneCall) -> Result<Option<HeardAudio>, ControlError> {
        let found = self.0.by_call(account, &call.sid.to_string()).or_else(|| {
            let user = call.from.strip_prefix("whatsapp:")?;
            let business = call.to.strip_prefix("whatsapp:")?;
            (call.direction == Direction::Inbound)
                .then(|| self.0.placed(account, user, business, call.created))
                .flatten()
        });
        let Some(heard) = found else {
            return Ok(None);
        };
        let samples = heard.decode().map_err(|e| ControlError {
            retry_after: None,
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: TwilioCode(20500),
            message: format!("What the simulated party heard cannot be decoded: {e}"),
        })?;
        Ok(Some(HeardAudio {
            rate: HEARD_RATE,
            samples,
        }))
    }
}
