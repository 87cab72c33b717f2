//! The `messages`-field parts of webhook bodies as Meta writes them: a user's permission reply
//! or text, and the statuses of a business message. Used by [`super::notification_body`].

use serde_json::{Map, Value, json};

use super::build::{put, seconds};
use super::event::{MessageStatusEvent, MessageStatusKind, PermissionReply, TextMessage};
use crate::error::GraphError;

pub(super) fn reply_json(reply: &PermissionReply) -> Value {
    let mut inner = Map::new();
    inner.insert(
        "response".into(),
        if reply.accepted { "accept" } else { "reject" }.into(),
    );
    inner.insert("is_permanent".into(), reply.is_permanent.into());
    // Meta's field table types the expiry as an integer (its sample shows a string).
    put(
        &mut inner,
        "expiration_timestamp",
        reply.expiration_timestamp,
    );
    put(&mut inner, "response_source", reply.response_source.clone());
    let mut message = Map::new();
    message.insert("from".into(), reply.from.clone().into());
    put(&mut message, "id", reply.message_id.clone());
    put(&mut message, "timestamp", seconds(reply.timestamp));
    if let Some(context_id) = &reply.context_id {
        message.insert(
            "context".into(),
            json!({"from": reply.from, "id": context_id}),
        );
    }
    message.insert("type".into(), "interactive".into());
    message.insert(
        "interactive".into(),
        json!({"type": "call_permission_reply", "call_permission_reply": inner}),
    );
    Value::Object(message)
}

pub(super) fn text_json(text: &TextMessage) -> Value {
    let mut message = Map::new();
    message.insert("from".into(), text.from.clone().into());
    message.insert("id".into(), text.message_id.clone().into());
    put(&mut message, "timestamp", seconds(text.timestamp));
    message.insert("type".into(), "text".into());
    message.insert("text".into(), json!({"body": text.body}));
    Value::Object(message)
}

pub(super) fn message_status_json(status: &MessageStatusEvent) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), status.message_id.clone().into());
    out.insert("status".into(), status.status.as_str().into());
    put(&mut out, "timestamp", seconds(status.timestamp));
    put(&mut out, "recipient_id", status.recipient_id.clone());
    if status.status != MessageStatusKind::Failed
        && let Some(category) = &status.pricing_category
    {
        out.insert(
            "pricing".into(),
            json!({"billable": true, "pricing_model": "PMP", "category": category,
                   "type": "regular"}),
        );
    }
    if !status.errors.is_empty() {
        let errors = status.errors.iter().map(status_error).collect();
        out.insert("errors".into(), Value::Array(errors));
    }
    Value::Object(out)
}

/// A status error as Meta writes it: `code`, `title`, `message`, `error_data.details`, `href`.
fn status_error(error: &GraphError) -> Value {
    let mut object = Map::new();
    if let Some(code) = error.code {
        object.insert("code".into(), code.into());
    }
    object.insert("title".into(), error.message.clone().into());
    object.insert("message".into(), error.message.clone().into());
    if let Some(details) = error.details() {
        object.insert("error_data".into(), json!({"details": details}));
    }
    object.insert(
        "href".into(),
        "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/".into(),
    );
    Value::Object(object)
}
