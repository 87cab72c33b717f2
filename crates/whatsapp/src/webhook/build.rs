//! The other direction: webhook bodies as Meta writes them, from typed events. The simulator
//! sends these (signed with [`super::signature_header`]); a round-trip test keeps them in step
//! with [`super::parse_notification`].

use serde_json::{Map, Value, json};

use super::build_messages::{message_status_json, reply_json, text_json};
use super::event::{
    CallDirection, CallStatusKind, ConnectEvent, EventKind, StatusEvent, TerminateEvent,
    TerminateStatus,
};
use super::parse::OBJECT;
use crate::error::GraphError;
use crate::graph::{MESSAGING_PRODUCT, SdpType};

/// Who a notification is about: the account, the business number and, optionally, the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationContext {
    /// `entry[].id`.
    pub waba_id: String,
    /// `metadata.phone_number_id`.
    pub phone_number_id: String,
    /// `metadata.display_phone_number`.
    pub display_phone_number: String,
    /// `contacts[0]`: the user's WhatsApp id and profile name.
    pub contact: Option<(String, Option<String>)>,
}

/// A notification body carrying `events`: call events and errors under field `calls`,
/// permission replies, user texts and message statuses under field `messages` (one change per
/// field used).
pub fn notification_body(context: &NotificationContext, events: &[EventKind]) -> Vec<u8> {
    let (mut calls, mut statuses, mut errors, mut messages) = (vec![], vec![], vec![], vec![]);
    let mut message_statuses = vec![];
    for event in events {
        match event {
            EventKind::Connect(connect) => calls.push(connect_json(connect)),
            EventKind::Terminate(terminate) => calls.push(terminate_json(terminate)),
            EventKind::Status(status) => statuses.push(status_json(status)),
            EventKind::PermissionReply(reply) => messages.push(reply_json(reply)),
            EventKind::Text(text) => messages.push(text_json(text)),
            EventKind::MessageStatus(status) => message_statuses.push(message_status_json(status)),
            EventKind::Errors(list) => errors.extend(list.iter().map(GraphError::to_json)),
        }
    }
    let mut changes = Vec::new();
    if !calls.is_empty() || !statuses.is_empty() || !errors.is_empty() {
        let mut value = base_value(context);
        put_array(&mut value, "calls", calls);
        put_array(&mut value, "statuses", statuses);
        put_array(&mut value, "errors", errors);
        changes.push(json!({"field": "calls", "value": value}));
    }
    if !messages.is_empty() || !message_statuses.is_empty() {
        let mut value = base_value(context);
        put_array(&mut value, "messages", messages);
        put_array(&mut value, "statuses", message_statuses);
        changes.push(json!({"field": "messages", "value": value}));
    }
    let body = json!({
        "object": OBJECT,
        "entry": [{"id": context.waba_id, "changes": changes}]
    });
    // A JSON value built here always serializes.
    serde_json::to_vec(&body).unwrap_or_default()
}

fn base_value(context: &NotificationContext) -> Map<String, Value> {
    let mut value = Map::new();
    value.insert("messaging_product".into(), MESSAGING_PRODUCT.into());
    value.insert(
        "metadata".into(),
        json!({
            "display_phone_number": context.display_phone_number,
            "phone_number_id": context.phone_number_id,
        }),
    );
    if let Some((wa_id, name)) = &context.contact {
        let mut contact = json!({"wa_id": wa_id});
        if let Some(name) = name {
            contact["profile"] = json!({"name": name});
        }
        value.insert("contacts".into(), json!([contact]));
    }
    value
}

fn put_array(value: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        value.insert(key.to_owned(), Value::Array(items));
    }
}

pub(super) fn put<T: Into<Value>>(object: &mut Map<String, Value>, key: &str, item: Option<T>) {
    if let Some(item) = item {
        object.insert(key.to_owned(), item.into());
    }
}

fn direction(direction: CallDirection) -> Option<&'static str> {
    match direction {
        CallDirection::BusinessInitiated => Some("BUSINESS_INITIATED"),
        CallDirection::UserInitiated => Some("USER_INITIATED"),
        CallDirection::Unknown => None,
    }
}

/// Meta writes timestamps as strings of Unix seconds.
pub(super) fn seconds(value: Option<u64>) -> Option<String> {
    value.map(|secs| secs.to_string())
}

fn connect_json(connect: &ConnectEvent) -> Value {
    let mut call = Map::new();
    call.insert("id".into(), connect.call_id.clone().into());
    put(&mut call, "from", connect.from.clone());
    put(&mut call, "to", connect.to.clone());
    call.insert("event".into(), "connect".into());
    put(&mut call, "timestamp", seconds(connect.timestamp));
    put(&mut call, "direction", direction(connect.direction));
    if let Some(session) = &connect.session {
        let sdp_type = match session.sdp_type {
            SdpType::Offer => "offer",
            SdpType::Answer => "answer",
        };
        call.insert(
            "session".into(),
            json!({"sdp_type": sdp_type, "sdp": session.sdp}),
        );
    }
    put(
        &mut call,
        "biz_opaque_callback_data",
        connect.biz_opaque_callback_data.clone(),
    );
    put(&mut call, "cta_payload", connect.cta_payload.clone());
    put(
        &mut call,
        "deeplink_payload",
        connect.deeplink_payload.clone(),
    );
    Value::Object(call)
}

fn terminate_json(terminate: &TerminateEvent) -> Value {
    let mut call = Map::new();
    call.insert("id".into(), terminate.call_id.clone().into());
    put(&mut call, "from", terminate.from.clone());
    put(&mut call, "to", terminate.to.clone());
    call.insert("event".into(), "terminate".into());
    put(&mut call, "timestamp", seconds(terminate.timestamp));
    put(&mut call, "direction", direction(terminate.direction));
    let status = match &terminate.status {
        TerminateStatus::Completed => Some("COMPLETED".to_owned()),
        TerminateStatus::Failed => Some("FAILED".to_owned()),
        TerminateStatus::Other(other) if !other.is_empty() => Some(other.clone()),
        TerminateStatus::Other(_) => None,
    };
    put(&mut call, "status", status);
    put(&mut call, "start_time", seconds(terminate.start_time));
    put(&mut call, "end_time", seconds(terminate.end_time));
    put(&mut call, "duration", terminate.duration);
    put(
        &mut call,
        "biz_opaque_callback_data",
        terminate.biz_opaque_callback_data.clone(),
    );
    if !terminate.errors.is_empty() {
        let errors = terminate.errors.iter().map(GraphError::to_json).collect();
        call.insert("errors".into(), Value::Array(errors));
    }
    Value::Object(call)
}

fn status_json(status: &StatusEvent) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), status.call_id.clone().into());
    put(&mut out, "timestamp", seconds(status.timestamp));
    out.insert("type".into(), "call".into());
    let value = match &status.status {
        CallStatusKind::Ringing => Some("RINGING".to_owned()),
        CallStatusKind::Accepted => Some("ACCEPTED".to_owned()),
        CallStatusKind::Rejected => Some("REJECTED".to_owned()),
        CallStatusKind::Other(other) if !other.is_empty() => Some(other.clone()),
        CallStatusKind::Other(_) => None,
    };
    put(&mut out, "status", value);
    put(&mut out, "recipient_id", status.recipient_id.clone());
    put(
        &mut out,
        "biz_opaque_callback_data",
        status.biz_opaque_callback_data.clone(),
    );
    if !status.errors.is_empty() {
        let errors = status.errors.iter().map(GraphError::to_json).collect();
        out.insert("errors".into(), Value::Array(errors));
    }
    Value::Object(out)
}
