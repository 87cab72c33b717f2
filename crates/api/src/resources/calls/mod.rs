//! Calls: `/2010-04-01/Accounts/{AccountSid}/Calls.json` and `/Calls/{Sid}.json`, with the
//! call's events and notifications as subresources.
//!
//! Reads (fetch, list, events, notifications) and deletes go to the store; creating a call
//! and changing a live one go to the engine through [`CallControl`](crate::CallControl),
//! after every parameter has been checked here with Twilio's codes.

mod create;
pub(crate) mod events;
mod list;
pub(crate) mod notifications;
mod update;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use dialtone_store::Call;
use dialtone_types::{CallStatus, SidKind};
use serde_json::{Value, json};

use crate::admission::Admitted;
use crate::auth::Caller;
use crate::error::{ApiError, codes};
use crate::http::NoReturn;
use crate::params::Form;
use crate::render::{account_base, date, date_opt, formatted};
use crate::state::ApiState;
use crate::target::Target;

pub(crate) use list::list;

/// The call's path without `.json`: the base of its own URI and its subresources'.
fn call_base(c: &Call) -> String {
    format!("{}/Calls/{}", account_base(c.account_sid), c.sid)
}

/// The status a Call resource shows. `initiated` is an event, not a resource status: Twilio
/// shows such a call as `queued` until it rings.
fn resource_status(status: CallStatus) -> &'static str {
    match status {
        CallStatus::Initiated => CallStatus::Queued.as_str(),
        other => other.as_str(),
    }
}

/// The call as Twilio renders it (`api.v2010.account.call`).
pub(crate) fn call_json(c: &Call) -> Value {
    let base = call_base(c);
    json!({
        "account_sid": c.account_sid,
        "answered_by": c.answered_by,
        "api_version": c.api_version,
        "caller_name": c.caller_name,
        "date_created": date(c.date_created),
        "date_updated": date(c.date_updated),
        "direction": c.direction.as_str(),
        "duration": c.duration.map(|d| d.to_string()),
        "end_time": date_opt(c.end_time),
        "forwarded_from": c.forwarded_from,
        "from": c.from,
        "from_formatted": formatted(&c.from),
        "group_sid": null,
        "parent_call_sid": c.parent_call_sid,
        "phone_number_sid": null,
        "price": c.price,
        "price_unit": c.price_unit,
        "queue_time": "0",
        "sid": c.sid,
        "start_time": date_opt(c.start_time),
        "status": resource_status(c.status),
        "subresource_uris": {
            "events": format!("{base}/Events.json"),
            "notifications": format!("{base}/Notifications.json"),
            "recordings": format!("{base}/Recordings.json"),
        },
        "to": c.to,
        "to_formatted": formatted(&c.to),
        "trunk_sid": null,
        "uri": format!("{base}.json"),
    })
}

/// `POST Calls.json`. Admitted (else 429) before anything is looked up; checked; then handed
/// to the engine, after which it is answered with the call however long storing it takes.
pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    _slot: Admitted,
    no_return: NoReturn,
    Form(params): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request = create::new_call_request(&state, caller.account, &params).await?;
    let accepted = state.control.create_call(request).await?;
    no_return.pass();
    let call = accepted.await?;
    Ok((StatusCode::CREATED, Json(call_json(&call))))
}

pub(crate) async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let sid = target.json_sid("call", SidKind::Call)?;
    let call = state
        .store
        .fetch_call(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(Json(call_json(&call)))
}

/// `POST Calls/{Sid}.json`: admitted and cut by the timeout only until the engine takes the
/// change, as [`create`].
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    _slot: Admitted,
    no_return: NoReturn,
    target: Target,
    Form(params): Form,
) -> Result<Json<Value>, ApiError> {
    let sid = target.json_sid("call", SidKind::Call)?;
    let call = state
        .store
        .fetch_call(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    let request = update::call_update_request(&params)?;
    if request.is_empty() {
        return Ok(Json(call_json(&call)));
    }
    if call.status.is_terminal() {
        return Err(update::invalid_state(&request));
    }
    let outcome = match state
        .control
        .update_call(caller.account, sid, request.clone())
        .await
    {
        Ok(accepted) => {
            no_return.pass();
            accepted.await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(updated) => Ok(Json(call_json(&updated))),
        // The store knows the call but the engine no longer holds it: it has just ended.
        Err(e) if e.code == dialtone_types::TwilioCode::NOT_FOUND => {
            Err(update::invalid_state(&request))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<StatusCode, ApiError> {
    let sid = target.json_sid("call", SidKind::Call)?;
    let call = state
        .store
        .fetch_call(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    if !call.status.is_terminal() {
        return Err(ApiError::invalid(
            codes::DELETE_BEFORE_COMPLETE,
            "Cannot delete this resource before it is complete: the call is still live",
        ));
    }
    state
        .store
        .delete_call(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
