//! The typed events found in a webhook notification.

use crate::error::GraphError;
use crate::graph::Session;

/// A parsed webhook POST: every event it carried, and what was skipped (for logs).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notification {
    /// The events, in body order.
    pub events: Vec<WebhookEvent>,
    /// Parts that were not understood and were ignored, with why.
    pub skipped: Vec<Skipped>,
}

/// Something in a notification that was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The `field` of the change (`calls`, `messages`, …).
    pub field: String,
    /// Why it was ignored.
    pub reason: &'static str,
}

/// One event, with the business number it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookEvent {
    /// `entry[].id`, the WhatsApp Business Account.
    pub waba_id: String,
    /// `metadata.phone_number_id`, Meta's id of the business number.
    pub phone_number_id: String,
    /// `metadata.display_phone_number`.
    pub display_phone_number: Option<String>,
    /// `contacts[0]`, the user, when Meta sent it.
    pub contact: Option<Contact>,
    /// What happened.
    pub kind: EventKind,
}

/// `contacts[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The user's WhatsApp id (digits).
    pub wa_id: String,
    /// `profile.name`.
    pub name: Option<String>,
}

/// The kinds of events the connector understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `calls[]` with `event: connect`: an SDP answer (business-initiated) or offer (user-initiated).
    Connect(ConnectEvent),
    /// `calls[]` with `event: terminate`: the call ended.
    Terminate(TerminateEvent),
    /// `statuses[]` with `type: call`: `RINGING`, `ACCEPTED`, `REJECTED`.
    Status(StatusEvent),
    /// `messages[]` with an `interactive.call_permission_reply` (field `messages`).
    PermissionReply(PermissionReply),
    /// `statuses[]` of a message (field `messages`): `sent`, `delivered`, `read`, `failed`.
    MessageStatus(MessageStatusEvent),
    /// `messages[]` of `type: text` (field `messages`): the user wrote to the business.
    Text(TextMessage),
    /// `errors[]` directly in `value` (e.g. 131044 for a user-initiated call).
    Errors(Vec<GraphError>),
}

/// `direction`, parsed case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallDirection {
    /// `BUSINESS_INITIATED`.
    BusinessInitiated,
    /// `USER_INITIATED`.
    UserInitiated,
    /// Missing or unknown.
    Unknown,
}

/// A `connect` call event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectEvent {
    /// `id`, `wacid.…`.
    pub call_id: String,
    /// `from` (digits).
    pub from: Option<String>,
    /// `to` (digits).
    pub to: Option<String>,
    /// `timestamp`, Unix seconds.
    pub timestamp: Option<u64>,
    /// `direction`.
    pub direction: CallDirection,
    /// `session`: Meta's answer (business-initiated) or offer (user-initiated).
    pub session: Option<Session>,
    /// `biz_opaque_callback_data`.
    pub biz_opaque_callback_data: Option<String>,
    /// `cta_payload` (user-initiated from a call button).
    pub cta_payload: Option<String>,
    /// `deeplink_payload` (user-initiated from a `wa.me/call` link).
    pub deeplink_payload: Option<String>,
}

/// `status` of a terminate event, parsed case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminateStatus {
    /// `COMPLETED` / `Completed`.
    Completed,
    /// `FAILED` / `Failed`.
    Failed,
    /// Missing or another value (kept upper-cased).
    Other(String),
}

/// A `terminate` call event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminateEvent {
    /// `id`.
    pub call_id: String,
    /// `from`.
    pub from: Option<String>,
    /// `to`.
    pub to: Option<String>,
    /// `timestamp`, Unix seconds.
    pub timestamp: Option<u64>,
    /// `direction`.
    pub direction: CallDirection,
    /// `status`.
    pub status: TerminateStatus,
    /// `start_time`, Unix seconds (only when the call was picked up).
    pub start_time: Option<u64>,
    /// `end_time`, Unix seconds.
    pub end_time: Option<u64>,
    /// `duration`, seconds (only when the call was picked up).
    pub duration: Option<u64>,
    /// `biz_opaque_callback_data`.
    pub biz_opaque_callback_data: Option<String>,
    /// `errors[]` on failure.
    pub errors: Vec<GraphError>,
}

impl TerminateEvent {
    /// Whether the user picked up, judged by `start_time`/`duration`.
    pub fn was_answered(&self) -> bool {
        self.start_time.is_some() || self.duration.is_some()
    }
}

/// `status` of a status event, parsed case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallStatusKind {
    /// `RINGING`.
    Ringing,
    /// `ACCEPTED` (audit only: media is usually up already).
    Accepted,
    /// `REJECTED` (a terminate follows).
    Rejected,
    /// Missing or another value (kept upper-cased).
    Other(String),
}

/// A `statuses[]` event of `type: call`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEvent {
    /// `id`, the call's `wacid.…`.
    pub call_id: String,
    /// `timestamp`, Unix seconds.
    pub timestamp: Option<u64>,
    /// `status`.
    pub status: CallStatusKind,
    /// `recipient_id`.
    pub recipient_id: Option<String>,
    /// `biz_opaque_callback_data`.
    pub biz_opaque_callback_data: Option<String>,
    /// `errors[]`, when present.
    pub errors: Vec<GraphError>,
}

/// A user's answer to a call permission request (field `messages`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionReply {
    /// `from`, the user (digits).
    pub from: String,
    /// `id`, the reply's own `wamid.…`.
    pub message_id: Option<String>,
    /// `timestamp`, Unix seconds.
    pub timestamp: Option<u64>,
    /// `context.id`: the request message, or the `wacid` of the call that granted it.
    pub context_id: Option<String>,
    /// `response` is `accept`.
    pub accepted: bool,
    /// `is_permanent`.
    pub is_permanent: bool,
    /// `expiration_timestamp`, Unix seconds (accepted temporary permissions only).
    pub expiration_timestamp: Option<u64>,
    /// `response_source`: `user_action` or `automatic`.
    pub response_source: Option<String>,
}

/// `status` of a message status event, parsed case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageStatusKind {
    /// `sent`: Meta's servers have it.
    Sent,
    /// `delivered`: on the user's phone.
    Delivered,
    /// `read`: the user opened it (only with read receipts on).
    Read,
    /// `failed`: not delivered; `errors[]` says why.
    Failed,
    /// Missing or another value (kept lower-cased, e.g. `played`).
    Other(String),
}

impl MessageStatusKind {
    /// The value as Meta writes it (lower case).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Other(other) => other,
        }
    }

    /// Parses a value case-insensitively.
    pub fn parse(value: &str) -> Self {
        match value.to_ascii_lowercase().as_str() {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "failed" => Self::Failed,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// A `statuses[]` event of a message (field `messages`, no `type: call`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStatusEvent {
    /// `id`, the message's `wamid.…`.
    pub message_id: String,
    /// `status`.
    pub status: MessageStatusKind,
    /// `timestamp`, Unix seconds.
    pub timestamp: Option<u64>,
    /// `recipient_id`, the user (digits).
    pub recipient_id: Option<String>,
    /// `pricing.category` (`utility`, `marketing`, `service`…) of a non-failed status.
    pub pricing_category: Option<String>,
    /// `errors[]` of a `failed` status.
    pub errors: Vec<GraphError>,
}

/// A text message from the user (`messages[]` with `type: text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMessage {
    /// `from`, the user (digits).
    pub from: String,
    /// `id`, the message's `wamid.…`.
    pub message_id: String,
    /// `timestamp`, Unix seconds.
    pub timestamp: Option<u64>,
    /// `text.body`.
    pub body: String,
}
