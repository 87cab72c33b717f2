//! Parsing of the webhook envelope
//! `{"object":"whatsapp_business_account","entry":[{"id","changes":[{"field","value"}]}]}`.
//!
//! Read from a JSON value by hand: unknown fields are ignored, a malformed event is skipped
//! (and reported in [`Notification::skipped`]) without losing its neighbours, and only a body
//! that is not JSON or not a WhatsApp Business Account notification is refused as a whole.

use serde_json::{Map, Value};

use super::event::{
    CallDirection, CallStatusKind, ConnectEvent, Contact, EventKind, MessageStatusEvent,
    MessageStatusKind, Notification, PermissionReply, Skipped, StatusEvent, TerminateEvent,
    TerminateStatus, TextMessage, WebhookEvent,
};
use crate::error::GraphError;
use crate::graph::{SdpType, Session};

/// The `object` of WhatsApp Business Account notifications.
pub const OBJECT: &str = "whatsapp_business_account";

/// Why a whole webhook body was refused (answer 400; Meta will not fix it by retrying).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookParseError {
    /// Not JSON.
    #[error("webhook body is not JSON: {0}")]
    Json(String),
    /// JSON, but not an object with `object` and `entry`.
    #[error("webhook body is not a notification object")]
    NotANotification,
    /// `object` is not `whatsapp_business_account`.
    #[error("webhook object {0:?} is not whatsapp_business_account")]
    WrongObject(String),
}

/// Parses a webhook POST body (after its signature was checked).
pub fn parse_notification(body: &[u8]) -> Result<Notification, WebhookParseError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|error| WebhookParseError::Json(error.to_string()))?;
    let root = root
        .as_object()
        .ok_or(WebhookParseError::NotANotification)?;
    let object = root
        .get("object")
        .and_then(Value::as_str)
        .ok_or(WebhookParseError::NotANotification)?;
    if object != OBJECT {
        return Err(WebhookParseError::WrongObject(object.to_owned()));
    }
    let mut notification = Notification::default();
    for entry in array(root.get("entry")) {
        let waba_id = text(entry, "id").unwrap_or_default();
        for change in array(entry.get("changes")) {
            let field = text(change, "field").unwrap_or_default();
            match change.get("value").and_then(Value::as_object) {
                Some(value) => parse_value(&mut notification, &waba_id, &field, value),
                None => notification.skipped.push(Skipped {
                    field,
                    reason: "change without a value object",
                }),
            }
        }
    }
    Ok(notification)
}

fn parse_value(out: &mut Notification, waba_id: &str, field: &str, value: &Map<String, Value>) {
    let skip = |out: &mut Notification, reason| {
        out.skipped.push(Skipped {
            field: field.to_owned(),
            reason,
        });
    };
    if field != "calls" && field != "messages" {
        skip(out, "field is neither calls nor messages");
        return;
    }
    let metadata = value.get("metadata");
    let Some(phone_number_id) = metadata.and_then(|m| text(m, "phone_number_id")) else {
        skip(out, "no metadata.phone_number_id");
        return;
    };
    let display_phone_number = metadata.and_then(|m| text(m, "display_phone_number"));
    let contact = array(value.get("contacts")).next().and_then(|c| {
        Some(Contact {
            wa_id: text(c, "wa_id")?,
            name: c.get("profile").and_then(|p| text(p, "name")),
        })
    });
    let mut kinds = Vec::new();
    if field == "calls" {
        for call in array(value.get("calls")) {
            match parse_call(call) {
                Ok(kind) => kinds.push(kind),
                Err(reason) => skip(out, reason),
            }
        }
        for status in array(value.get("statuses")) {
            match parse_status(status) {
                Ok(kind) => kinds.push(kind),
                Err(reason) => skip(out, reason),
            }
        }
        let errors = errors(value.get("errors"));
        if !errors.is_empty() {
            kinds.push(EventKind::Errors(errors));
        }
    } else {
        for message in array(value.get("messages")) {
            if let Some(reply) = parse_permission_reply(message) {
                kinds.push(EventKind::PermissionReply(reply));
            } else if let Some(text) = parse_text(message) {
                kinds.push(EventKind::Text(text));
            }
        }
        for status in array(value.get("statuses")) {
            match parse_message_status(status) {
                Ok(kind) => kinds.push(kind),
                Err(reason) => skip(out, reason),
            }
        }
    }
    out.events
        .extend(kinds.into_iter().map(|kind| WebhookEvent {
            waba_id: waba_id.to_owned(),
            phone_number_id: phone_number_id.clone(),
            display_phone_number: display_phone_number.clone(),
            contact: contact.clone(),
            kind,
        }));
}

fn parse_call(call: &Value) -> Result<EventKind, &'static str> {
    let call_id = text(call, "id").ok_or("call event without id")?;
    let event = text(call, "event").ok_or("call event without event")?;
    let direction = match text(call, "direction")
        .map(|d| d.to_ascii_uppercase())
        .as_deref()
    {
        Some("BUSINESS_INITIATED") => CallDirection::BusinessInitiated,
        Some("USER_INITIATED") => CallDirection::UserInitiated,
        _ => CallDirection::Unknown,
    };
    let (from, to, timestamp) = (
        text(call, "from"),
        text(call, "to"),
        number(call, "timestamp"),
    );
    let opaque = text(call, "biz_opaque_callback_data");
    if event.eq_ignore_ascii_case("connect") {
        Ok(EventKind::Connect(ConnectEvent {
            call_id,
            from,
            to,
            timestamp,
            direction,
            session: call.get("session").and_then(parse_session),
            biz_opaque_callback_data: opaque,
            cta_payload: text(call, "cta_payload"),
            deeplink_payload: text(call, "deeplink_payload"),
        }))
    } else if event.eq_ignore_ascii_case("terminate") {
        let status = match text(call, "status").map(|s| s.to_ascii_uppercase()) {
            Some(s) if s == "COMPLETED" => TerminateStatus::Completed,
            Some(s) if s == "FAILED" => TerminateStatus::Failed,
            other => TerminateStatus::Other(other.unwrap_or_default()),
        };
        Ok(EventKind::Terminate(TerminateEvent {
            call_id,
            from,
            to,
            timestamp,
            direction,
            status,
            start_time: number(call, "start_time"),
            end_time: number(call, "end_time"),
            duration: number(call, "duration"),
            biz_opaque_callback_data: opaque,
            errors: errors(call.get("errors")),
        }))
    } else {
        Err("call event neither connect nor terminate")
    }
}

fn parse_session(session: &Value) -> Option<Session> {
    let sdp_type = match text(session, "sdp_type")?.to_ascii_lowercase().as_str() {
        "offer" => SdpType::Offer,
        "answer" => SdpType::Answer,
        _ => return None,
    };
    Some(Session {
        sdp_type,
        sdp: text(session, "sdp")?,
    })
}

fn parse_status(status: &Value) -> Result<EventKind, &'static str> {
    if text(status, "type").is_some_and(|t| !t.eq_ignore_ascii_case("call")) {
        return Err("status of a type other than call");
    }
    let call_id = text(status, "id").ok_or("status without id")?;
    let kind = match text(status, "status").map(|s| s.to_ascii_uppercase()) {
        Some(s) if s == "RINGING" => CallStatusKind::Ringing,
        Some(s) if s == "ACCEPTED" => CallStatusKind::Accepted,
        Some(s) if s == "REJECTED" => CallStatusKind::Rejected,
        other => CallStatusKind::Other(other.unwrap_or_default()),
    };
    Ok(EventKind::Status(StatusEvent {
        call_id,
        timestamp: number(status, "timestamp"),
        status: kind,
        recipient_id: text(status, "recipient_id"),
        biz_opaque_callback_data: text(status, "biz_opaque_callback_data"),
        errors: errors(status.get("errors")),
    }))
}

fn parse_permission_reply(message: &Value) -> Option<PermissionReply> {
    let interactive = message.get("interactive")?;
    if text(interactive, "type")? != "call_permission_reply" {
        return None;
    }
    let reply = interactive.get("call_permission_reply")?;
    Some(PermissionReply {
        from: text(message, "from")?,
        message_id: text(message, "id"),
        timestamp: number(message, "timestamp"),
        context_id: message.get("context").and_then(|c| text(c, "id")),
        accepted: text(reply, "response").is_some_and(|r| r.eq_ignore_ascii_case("accept")),
        is_permanent: reply
            .get("is_permanent")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        expiration_timestamp: number(reply, "expiration_timestamp"),
        response_source: text(reply, "response_source"),
    })
}

fn parse_text(message: &Value) -> Option<TextMessage> {
    if text(message, "type")? != "text" {
        return None;
    }
    Some(TextMessage {
        from: text(message, "from")?,
        message_id: text(message, "id")?,
        timestamp: number(message, "timestamp"),
        body: message.get("text").and_then(|t| text(t, "body"))?,
    })
}

fn parse_message_status(status: &Value) -> Result<EventKind, &'static str> {
    let message_id = text(status, "id").ok_or("message status without id")?;
    let kind = text(status, "status").ok_or("message status without status")?;
    Ok(EventKind::MessageStatus(MessageStatusEvent {
        message_id,
        status: MessageStatusKind::parse(&kind),
        timestamp: number(status, "timestamp"),
        recipient_id: text(status, "recipient_id"),
        pricing_category: status.get("pricing").and_then(|p| text(p, "category")),
        errors: errors(status.get("errors")),
    }))
}

fn errors(value: Option<&Value>) -> Vec<GraphError> {
    array(value).filter_map(GraphError::from_value).collect()
}

fn array(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

fn text(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A non-negative integer sent as a number or a numeric string (Meta's timestamps are strings).
fn number(value: &Value, key: &str) -> Option<u64> {
    match value.get(key)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
