//! What the rules ask the IO shell to do: send a webhook, play the user's media side, forget a
//! finished call or message.

use dialtone_whatsapp::webhook::{EventKind, NotificationContext, notification_body};

/// One webhook POST, in the order the rules produced it (the shell keeps that order per call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// The call or message it is about (the webhooks of one call, or of one message, are
    /// delivered in order).
    pub call_id: String,
    /// Account, business number and user.
    pub context: NotificationContext,
    /// The events of this notification.
    pub events: Vec<EventKind>,
}

impl Webhook {
    /// The body Meta would POST (sign it with `signature_header`).
    pub fn body(&self) -> Vec<u8> {
        notification_body(&self.context, &self.events)
    }
}

/// An instruction for the IO shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// POST this webhook.
    Webhook(Webhook),
    /// The user picks up a business call: answer the business's SDP offer with the user's
    /// ICE-lite media side and report the SDP with [`super::Network::answered`].
    Answer {
        /// The call.
        call_id: String,
        /// The business's offer.
        offer: String,
    },
    /// User-initiated: the business answered the user's offer; apply it to the user's side.
    ApplyAnswer {
        /// The call.
        call_id: String,
        /// The business's SDP answer.
        answer: String,
    },
    /// The user presses these digits (RFC 4733) now.
    PressDigits {
        /// The call.
        call_id: String,
        /// DTMF, `w`/`W` meaning a pause.
        digits: String,
    },
    /// The call ended: drop its media side once its webhooks are out.
    Ended {
        /// The call.
        call_id: String,
    },
    /// A message has no more webhooks to come (for now): drop its delivery queue once drained.
    MessageDone {
        /// The message's `wamid`.
        message_id: String,
    },
    /// POST this body as it is (a webhook that is not about a phone number, e.g.
    /// `message_template_status_update`).
    RawWebhook {
        /// What it is about, for logs.
        key: String,
        /// The signed body.
        body: Vec<u8>,
    },
}
