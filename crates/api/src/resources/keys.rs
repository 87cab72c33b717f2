//! API keys: `/2010-04-01/Accounts/{AccountSid}/Keys.json` and `/Keys/{Sid}.json`.
//!
//! A key's secret is shown once, in the response that creates it; the store keeps a digest (for
//! Basic auth) and the secret sealed with the server's secret key (to verify access tokens). Managing keys needs the auth token, as with Twilio's standard keys.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use dialtone_store::ApiKey;
use dialtone_types::SidKind;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::paging::{Paging, envelope};
use crate::params::{Form, Query};
use crate::render::{account_base, date};
use crate::state::ApiState;
use crate::target::Target;

/// Longest friendly name kept (Twilio's limit for keys).
const MAX_FRIENDLY_NAME: usize = 64;

fn key_json(k: &ApiKey) -> Value {
    json!({
        "date_created": date(k.date_created),
        "date_updated": date(k.date_updated),
        "friendly_name": k.friendly_name,
        "sid": k.sid,
    })
}

fn friendly_name(form: &Form) -> Result<String, ApiError> {
    let name = form.0.get("FriendlyName").unwrap_or_default();
    if name.chars().count() > MAX_FRIENDLY_NAME {
        return Err(ApiError::invalid(
            crate::error::codes::INVALID_PARAMETER,
            format!("FriendlyName is longer than {MAX_FRIENDLY_NAME} characters"),
        ));
    }
    Ok(name.to_owned())
}

pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    form: Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require_auth_token()?;
    let name = friendly_name(&form)?;
    let sid = state.new_sid(SidKind::ApiKey);
    let secret = state.new_secret();
    let key = state
        .store
        .create_key(caller.account, sid, &name, &secret, state.now())
        .await
        .map_err(ApiError::store)?;
    let mut body = key_json(&key);
    body["secret"] = Value::String(secret);
    Ok((StatusCode::CREATED, Json(body)))
}

pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    caller.require_auth_token()?;
    let paging = Paging::from_params(&query)?;
    let page = state
        .store
        .list_keys(caller.account, &paging.request)
        .await
        .map_err(ApiError::store)?;
    let records = page.items.iter().map(key_json).collect();
    let path = format!("{}/Keys.json", account_base(caller.account));
    Ok(Json(envelope(
        "keys",
        records,
        &paging,
        page.next,
        &path,
        &[],
    )))
}

pub(crate) async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    caller.require_auth_token()?;
    let sid = target.json_sid("key", SidKind::ApiKey)?;
    let key = state
        .store
        .fetch_key(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(Json(key_json(&key)))
}

pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
    form: Form,
) -> Result<Json<Value>, ApiError> {
    caller.require_auth_token()?;
    let sid = target.json_sid("key", SidKind::ApiKey)?;
    let key = match form.0.raw("FriendlyName") {
        Some(_) => {
            let name = friendly_name(&form)?;
            state
                .store
                .update_key(caller.account, sid, &name, state.now())
                .await
        }
        None => state.store.fetch_key(caller.account, sid).await,
    }
    .map_err(|e| target.store_error(e))?;
    Ok(Json(key_json(&key)))
}

pub(crate) async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<StatusCode, ApiError> {
    caller.require_auth_token()?;
    let sid = target.json_sid("key", SidKind::ApiKey)?;
    state
        .store
        .delete_key(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
