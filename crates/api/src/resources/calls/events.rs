//! `GET .../Calls/{CallSid}/Events.json`: every webhook request made for the call, as
//! Twilio's Call Event resource: `request` (`method`, `url`, `parameters`) and `response`
//! (`response_code`, `request_duration` in milliseconds, `content_type`, and an excerpt of
//! `response_body`). A request that got no response (timeout, refused connection) has null
//! response fields.

use axum::Json;
use axum::extract::State;
use dialtone_store::CallEvent;
use dialtone_types::SidKind;
use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::paging::{Paging, envelope};
use crate::params::Query;
use crate::state::ApiState;
use crate::target::Target;

/// The event as Twilio renders it. Parameters become an object; a repeated name keeps its
/// last value.
fn event_json(e: &CallEvent) -> Value {
    let parameters: Map<String, Value> = e
        .request_parameters
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "request": {
            "method": e.request_method,
            "parameters": parameters,
            "url": e.request_url,
        },
        "response": {
            "content_type": e.response_content_type,
            "request_duration": e.response_duration_ms,
            "response_body": e.response_body,
            "response_code": e.response_status,
        },
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
        .list_events(caller.account, call, &paging.request)
        .await
        .map_err(|e| target.store_error(e))?;
    let records = page.items.iter().map(event_json).collect();
    Ok(Json(envelope(
        "events",
        records,
        &paging,
        page.next,
        target.path(),
        &[],
    )))
}
