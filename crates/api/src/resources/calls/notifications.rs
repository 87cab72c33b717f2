//! `GET .../Calls/{CallSid}/Notifications.json` and `/Notifications/{Sid}.json`: the errors
//! and warnings Dialtone reported for the call, with Twilio's codes.
//!
//! Twilio renders `error_code` and `log` (0 error, 1 warning) as strings; so does this.
//! `message_text` is plain text (Twilio's is an urlencoded list of key/value pairs).
//! The single-notification view adds `response_body`, as Twilio's instance resource does.

use axum::Json;
use axum::extract::State;
use dialtone_store::Notification;
use dialtone_types::SidKind;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::paging::{Paging, envelope};
use crate::params::Query;
use crate::render::{API_VERSION, account_base, date};
use crate::state::ApiState;
use crate::target::Target;

fn notification_json(n: &Notification) -> Value {
    json!({
        "account_sid": n.account_sid,
        "api_version": API_VERSION,
        "call_sid": n.call_sid,
        "date_created": date(n.date_created),
        "date_updated": date(n.date_created),
        "error_code": n.error_code.0.to_string(),
        "log": n.level.log_value().to_string(),
        "message_date": date(n.date_created),
        "message_text": n.message_text,
        "more_info": n.error_code.more_info(),
        "request_method": n.request_method,
        "request_url": n.request_url,
        "sid": n.sid,
        "uri": format!(
            "{}/Calls/{}/Notifications/{}.json",
            account_base(n.account_sid),
            n.call_sid,
            n.sid
        ),
    })
}

pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    let call = target.sid("call", SidKind::Call)?;
    let paging = Paging::from_params(&query)?;
    let page = state
        .store
        .list_notifications(caller.account, call, &paging.request)
        .await
        .map_err(|e| target.store_error(e))?;
    let records = page.items.iter().map(notification_json).collect();
    Ok(Json(envelope(
        "notifications",
        records,
        &paging,
        page.next,
        target.path(),
        &[],
    )))
}

pub(crate) async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let call = target.sid("call", SidKind::Call)?;
    let sid = target.json_sid("notification", SidKind::Notification)?;
    let n = state
        .store
        .fetch_notification(caller.account, call, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    let mut body = notification_json(&n);
    body["response_body"] = json!(n.response_body);
    body["request_variables"] = Value::Null;
    body["response_headers"] = Value::Null;
    Ok(Json(body))
}
