//! The port through which the Messages API sends WhatsApp messages: the binary implements it
//! with the runtime's WhatsApp connector (Meta's Graph API, or the simulator's), tests with a
//! fake.
//!
//! The API validates a request, stores the message `queued`, works out what goes to Meta
//! ([`Outgoing`]) and hands both over; the port sends it and stores the outcome (Meta's
//! `wamid`, or the failure with its Twilio code and the `failed` status callback), so that
//! every later status change happens in one place, the connector.

use dialtone_store::Message;

use crate::approvals::TemplateSubmission;
use crate::control::{BoxFuture, ControlError};

/// What is sent to Meta for a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// A free-form text (`Body`, or a `twilio/text` content without approval).
    Text(String),
    /// A free-form call permission request (a `VOICE_CALL_REQUEST` content without approval).
    PermissionRequest,
    /// An approved content, as its message template.
    Template {
        /// The template name (the approval request's `name`).
        name: String,
        /// The content's language.
        language: String,
        /// Body parameters in the template's order: `(parameter_name, value)`, the name only
        /// for named placeholders.
        params: Vec<(Option<String>, String)>,
        /// The template as submitted for approval (the simulator creates it on first use,
        /// since its verdict was given without Meta).
        submission: Box<TemplateSubmission>,
    },
}

/// Sends WhatsApp messages.
pub trait WhatsAppMessaging: Send + Sync + 'static {
    /// Sends stored message `message` (status `queued`) as `outgoing`; the message as stored
    /// afterwards.
    fn send(
        &self,
        message: Message,
        outgoing: Outgoing,
    ) -> BoxFuture<'_, Result<Message, ControlError>>;

    /// Fails stored message `message` without sending it (Twilio's `code`, `text`), with its
    /// `failed` status callback; the message as stored afterwards.
    fn fail(
        &self,
        message: Message,
        code: u32,
        text: String,
    ) -> BoxFuture<'_, Result<Message, ControlError>>;
}
