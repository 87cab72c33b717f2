//! Meta's webhooks for calling: the signature on every POST, the GET subscription check, and
//! the `calls` and `messages` notifications (permission replies, message statuses, user texts)
//! as typed events.
//!
//! [`notification_body`] writes the same bodies, for the simulator.
//!
//! Order of work in a receiver: [`verify_signature`] on the raw body (refuse with 401/403 and
//! log on failure), then [`parse_notification`], then hand each event to its call's tracker.
//! Meta retries a POST that is not answered within ~20 s, so receivers answer 200 quickly and
//! rely on the tracker to absorb the duplicates.

mod build;
mod build_messages;
mod event;
mod parse;
mod signature;
mod subscribe;
#[cfg(test)]
mod tests;

pub use build::{NotificationContext, notification_body};
pub use event::{
    CallDirection, CallStatusKind, ConnectEvent, Contact, EventKind, MessageStatusEvent,
    MessageStatusKind, Notification, PermissionReply, Skipped, StatusEvent, TerminateEvent,
    TerminateStatus, TextMessage, WebhookEvent,
};
pub use parse::{OBJECT, WebhookParseError, parse_notification};
pub use signature::{SIGNATURE_HEADER, SignatureError, signature_header, verify_signature};
pub use subscribe::{SubscriptionError, verify_subscription};
