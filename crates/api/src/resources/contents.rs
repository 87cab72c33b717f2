//! Content resources: Twilio's `/v1/Content` and `/v1/Content/{Sid}` (JSON), the message
//! templates of the Content API.
//!
//! twilio-python's `client.content.v1.contents` sends JSON bodies and reads JSON back: dates
//! in ISO 8601, absolute `url` and `links`, lists in the `meta` envelope under `contents`.
//! The account is the one the credentials name; another account's content is 20404. What a
//! content may hold is checked in [`content_types`](super::content_types); its WhatsApp
//! approval lives in [`content_approvals`](super::content_approvals).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use dialtone_store::{Content, NewContent};
use dialtone_types::{Sid, SidKind};
use serde_json::{Map, Value, json};

use super::content_types::{self, invalid};
use crate::ContentApprovals;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::http::origin;
use crate::paging::{Paging, meta_envelope};
use crate::params::Query;
use crate::state::ApiState;
use crate::target::Target;

/// The collection's path.
pub(crate) const PATH: &str = "/v1/Content";

/// The resource's JSON: `origin` is the scheme and host the client used.
pub(crate) fn content_json(c: &Content, origin: &str) -> Value {
    let url = format!("{origin}{PATH}/{}", c.sid);
    json!({
        "sid": c.sid,
        "account_sid": c.account_sid,
        "friendly_name": c.friendly_name,
        "language": c.language,
        "variables": c.variables,
        "types": c.types,
        "url": url,
        "links": {
            "approval_create": format!("{url}/ApprovalRequests/whatsapp"),
            "approval_fetch": format!("{url}/ApprovalRequests"),
        },
        "date_created": c.date_created.iso8601().to_string(),
        "date_updated": c.date_updated.iso8601().to_string(),
    })
}

/// The JSON object of a request body; 400/20001 otherwise.
pub(crate) fn body_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(invalid("The request body must be a JSON object")),
    }
}

/// A content as the body describes it, validated.
fn new_content(body: &Map<String, Value>) -> Result<NewContent, ApiError> {
    Ok(NewContent {
        friendly_name: content_types::friendly_name(body)?,
        language: content_types::language(body)?,
        variables: content_types::variables(body)?,
        types: content_types::types(body)?,
    })
}

/// The `{sid}` segment as an `HX` SID; anything else names no resource (20404).
pub(crate) fn content_sid(target: &Target) -> Result<Sid, ApiError> {
    target.sid("content", SidKind::Content)
}

/// Content `sid` of the caller's account; 20404 for this path otherwise.
pub(crate) async fn owned(
    state: &ApiState,
    caller: Caller,
    target: &Target,
) -> Result<Content, ApiError> {
    let sid = content_sid(target)?;
    state
        .store
        .fetch_content(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))
}

pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let new = new_content(&body_object(&body)?)?;
    let sid = state.new_sid(SidKind::Content);
    let content = state
        .store
        .create_content(caller.account, sid, &new, state.now())
        .await
        .map_err(ApiError::store)?;
    Ok((
        StatusCode::CREATED,
        Json(content_json(&content, &origin(&headers))),
    ))
}

pub(crate) async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let content = owned(&state, caller, &target).await?;
    Ok(Json(content_json(&content, &origin(&headers))))
}

pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    let paging = Paging::from_params(&query)?;
    let page = state
        .store
        .list_contents(caller.account, &paging.request)
        .await
        .map_err(ApiError::store)?;
    let origin = origin(&headers);
    let records = page
        .items
        .iter()
        .map(|c| content_json(c, &origin))
        .collect();
    Ok(Json(meta_envelope(
        "contents",
        records,
        &paging,
        page.next,
        &format!("{origin}{PATH}"),
        &[],
    )))
}

/// `PUT`: replaces the content, which Twilio allows only before WhatsApp submission and
/// without changing its language.
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    target: Target,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let current = owned(&state, caller, &target).await?;
    let new = new_content(&body_object(&body)?)?;
    if current.approval.is_some() {
        return Err(invalid(format!(
            "Content {} was submitted for WhatsApp approval and can no longer be changed",
            current.sid
        )));
    }
    if new.language != current.language {
        return Err(invalid(format!(
            "The language of content {} cannot change (it is {:?})",
            current.sid, current.language
        )));
    }
    let content = state
        .store
        .update_content(caller.account, current.sid, &new, state.now())
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(Json(content_json(&content, &origin(&headers))))
}

pub(crate) async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
    Query(query): Query,
) -> Result<StatusCode, ApiError> {
    let sid = content_sid(&target)?;
    let in_waba = match query.get("deleteInWaba") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(invalid(format!(
                "Invalid deleteInWaba {v:?}: expected true or false"
            )));
        }
    };
    if in_waba && matches!(state.content_approvals, ContentApprovals::Meta(_)) {
        return Err(invalid(
            "deleteInWaba=true is not supported by Dialtone: delete the template in WhatsApp \
             Manager",
        ));
    }
    state
        .store
        .delete_content(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(StatusCode::NO_CONTENT)
}
