//! WhatsApp approval of Content resources: `POST /v1/Content/{Sid}/ApprovalRequests/whatsapp`,
//! `GET /v1/Content/{Sid}/ApprovalRequests` and `GET /v1/ContentAndApprovals`.
//!
//! A content is submitted once, under a template `name` (lowercase letters, digits, `_`) and a
//! `category` (`UTILITY` or `MARKETING`; a call permission request may be nothing else, and
//! Dialtone has no authentication content). Every `{{placeholder}}` of the submitted body needs
//! a sample value in the content's `variables`, as Meta requires. The decision is made as
//! [`approvals`](crate::approvals) describes; reads bring the status up to date.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use dialtone_store::{Approval, Content, PageRequest, PageSize, StoreError};
use serde_json::{Map, Value, json};

use super::content_types::{self, invalid};
use super::contents::{PATH, body_object, content_json, owned};
use crate::ContentApprovals;
use crate::approvals::{self, TemplateError, TemplateSubmission};
use crate::auth::Caller;
use crate::error::{ApiError, codes};
use crate::http::origin;
use crate::paging::{Paging, meta_envelope};
use crate::params::Query;
use crate::state::ApiState;
use crate::target::Target;

/// Longest template name (Meta's limit).
const MAX_TEMPLATE_NAME: usize = 512;
/// Bounds of `send_ttl_seconds` (Twilio: 30 seconds to 30 days, depending on the category).
const TTL_SECONDS: std::ops::RangeInclusive<u64> = 30..=2_592_000;

/// The `whatsapp` object of an approval fetch (also `approval_requests` of a listed content).
fn whatsapp_json(approval: Option<&Approval>) -> Value {
    match approval {
        Some(a) => json!({
            "type": "whatsapp",
            "name": a.name,
            "category": a.category,
            "content_type": a.content_type,
            "status": a.status,
            "rejection_reason": a.rejection_reason,
            "allow_category_change": true,
        }),
        None => json!({
            "type": "whatsapp",
            "name": "",
            "category": "",
            "content_type": "",
            "status": "unsubmitted",
            "rejection_reason": "",
            "allow_category_change": true,
        }),
    }
}

fn template_name(body: &Map<String, Value>) -> Result<String, ApiError> {
    match body.get("name") {
        None | Some(Value::Null) => Err(invalid("Missing required parameter name")),
        Some(Value::String(n))
            if !n.is_empty()
                && n.len() <= MAX_TEMPLATE_NAME
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
        {
            Ok(n.clone())
        }
        Some(other) => Err(invalid(format!(
            "Invalid name {other}: lowercase letters, digits and underscores only, at most \
             {MAX_TEMPLATE_NAME}"
        ))),
    }
}

fn category(body: &Map<String, Value>, call_permission: bool) -> Result<String, ApiError> {
    let text = match body.get("category") {
        None | Some(Value::Null) => return Err(invalid("Missing required parameter category")),
        Some(Value::String(c)) => c.to_ascii_uppercase(),
        Some(_) => return Err(invalid("category must be a string")),
    };
    match text.as_str() {
        "UTILITY" | "MARKETING" => Ok(text),
        "AUTHENTICATION" if call_permission => Err(invalid(
            "A call permission request (VOICE_CALL_REQUEST) must be UTILITY or MARKETING",
        )),
        "AUTHENTICATION" => Err(invalid(
            "AUTHENTICATION templates need whatsapp/authentication content, which Dialtone \
             does not support",
        )),
        _ => Err(invalid(format!(
            "Invalid category {text:?}: expected UTILITY, MARKETING or AUTHENTICATION"
        ))),
    }
}

fn send_ttl(body: &Map<String, Value>) -> Result<Option<u64>, ApiError> {
    match body.get("send_ttl_seconds") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_u64() {
            Some(s) if TTL_SECONDS.contains(&s) => Ok(Some(s)),
            _ => Err(invalid(format!(
                "Invalid send_ttl_seconds {v}: expected an integer from {} to {}",
                TTL_SECONDS.start(),
                TTL_SECONDS.end()
            ))),
        },
    }
}

/// Every placeholder of the submitted body has a sample value.
fn check_samples(content: &Value, variables: &Value) -> Result<(), ApiError> {
    let body = content
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match content_types::placeholders(body)
        .into_iter()
        .find(|p| variables.get(p).is_none())
    {
        Some(p) => Err(invalid(format!(
            "Variable {{{{{p}}}}} has no sample value in the content's variables, which WhatsApp \
             approval requires"
        ))),
        None => Ok(()),
    }
}

/// The account's WhatsApp Business Account: the first sender with `configuration.waba_id`.
async fn waba_id(state: &ApiState, caller: Caller) -> Result<String, ApiError> {
    let page = state
        .store
        .list_senders(
            caller.account,
            &PageRequest::first(PageSize::new(1000).unwrap_or_default()),
        )
        .await
        .map_err(ApiError::store)?;
    page.items
        .into_iter()
        .find_map(|s| s.waba_id)
        .ok_or_else(|| {
            invalid(
                "No WhatsApp sender of this account has a configuration.waba_id: the template \
                 is created in that WhatsApp Business Account",
            )
        })
}

pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let content = owned(&state, caller, &target).await?;
    let body = body_object(&body)?;
    if let Some(a) = &content.approval {
        return Err(invalid(format!(
            "Content {} already has a WhatsApp approval request (status {})",
            content.sid, a.status
        )));
    }
    let name = template_name(&body)?;
    let cpr = content_types::is_call_permission_request(&content.types);
    let category = category(&body, cpr)?;
    let send_ttl_seconds = send_ttl(&body)?;
    if !body.get("bid_amount").is_none_or(Value::is_null) {
        return Err(invalid(
            "bid_amount (marketing max pricing) is not supported by Dialtone",
        ));
    }
    let content_type = content_types::approval_type(&content.types)
        .ok_or_else(|| invalid("The content has no type WhatsApp can approve"))?;
    let typed = content.types[content_type].clone();
    check_samples(&typed, &content.variables)?;

    let now = state.now();
    let mut approval = Approval {
        name: name.clone(),
        category: category.clone(),
        content_type: content_type.to_owned(),
        status: "received".to_owned(),
        rejection_reason: String::new(),
        send_ttl_seconds,
        template_id: None,
        decide_at: None,
        verdict: None,
        date_created: now,
        date_updated: now,
    };
    match &state.content_approvals {
        ContentApprovals::Simulated { verdict, delay } => {
            let delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
            approval.decide_at = Some(now.plus_millis(delay_ms));
            approval.verdict = Some(verdict.status().to_owned());
        }
        ContentApprovals::Meta(templates) => {
            let submission = TemplateSubmission {
                waba_id: waba_id(&state, caller).await?,
                name,
                language: content.language.clone(),
                category,
                content_type: content_type.to_owned(),
                content: typed,
                variables: content.variables.clone(),
            };
            match templates.submit(submission).await {
                Ok(v) => {
                    approval.template_id = Some(v.template_id);
                    approval.status = v.status;
                    approval.rejection_reason = v.rejection_reason;
                }
                Err(TemplateError::Refused(reason)) => {
                    "rejected".clone_into(&mut approval.status);
                    approval.rejection_reason = reason;
                }
                Err(TemplateError::Unavailable(reason)) => {
                    tracing::warn!(content = %content.sid, %reason, "template not submitted to Meta");
                    return Err(ApiError::Refused {
                        status: StatusCode::SERVICE_UNAVAILABLE,
                        code: codes::UNAVAILABLE,
                        message: "WhatsApp could not be reached to submit the template; try again"
                            .to_owned(),
                    });
                }
            }
        }
    }
    let stored = match state
        .store
        .create_approval(caller.account, content.sid, &approval)
        .await
    {
        Ok(c) => c,
        Err(StoreError::Conflict(_)) => {
            return Err(invalid(format!(
                "Content {} already has a WhatsApp approval request",
                content.sid
            )));
        }
        Err(e) => return Err(target.store_error(e)),
    };
    let a = stored.approval.as_ref().unwrap_or(&approval);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "name": a.name,
            "category": a.category,
            "content_type": a.content_type,
            "status": a.status,
            "rejection_reason": a.rejection_reason,
            "allow_category_change": true,
            "send_ttl_seconds": a.send_ttl_seconds,
            "bid_amount": null,
        })),
    ))
}

pub(crate) async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let content = approvals::current(&state, owned(&state, caller, &target).await?).await?;
    Ok(Json(json!({
        "sid": content.sid,
        "account_sid": content.account_sid,
        "whatsapp": whatsapp_json(content.approval.as_ref()),
        "url": format!("{}{PATH}/{}/ApprovalRequests", origin(&headers), content.sid),
    })))
}

/// A listed content with its approval: the Content JSON without `url` and `links`.
fn listed_json(content: &Content, origin: &str) -> Value {
    let mut v = content_json(content, origin);
    if let Some(map) = v.as_object_mut() {
        map.remove("url");
        map.remove("links");
        map.insert(
            "approval_requests".to_owned(),
            whatsapp_json(content.approval.as_ref()),
        );
    }
    v
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
    let mut records = Vec::with_capacity(page.items.len());
    for content in page.items {
        records.push(listed_json(
            &approvals::current(&state, content).await?,
            &origin,
        ));
    }
    Ok(Json(meta_envelope(
        "contents",
        records,
        &paging,
        page.next,
        &format!("{origin}/v1/ContentAndApprovals"),
        &[],
    )))
}
