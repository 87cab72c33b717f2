//! WhatsApp messages: `/2010-04-01/Accounts/{AccountSid}/Messages.json` (send, list) and
//! `/Messages/{Sid}.json` (fetch), the part of Twilio's Messages API a call permission request
//! needs (reference `whatsapp-consent.md` §2.4, §2.8).
//!
//! `To` and `From` are `whatsapp:+E164`; `From` must be a sender of the account
//! (`MessagingServiceSid` is not supported). One of `Body` or `ContentSid` is required; with
//! `ContentSid` the content decides what goes to Meta: an approved content is sent as its
//! template (`ContentVariables` over the content's `variables` as body parameters), an
//! unapproved `VOICE_CALL_REQUEST` as a free-form call permission request, an unapproved
//! `twilio/text` as text. The message is stored `queued` first, then handed to the
//! [`WhatsAppMessaging`](crate::WhatsAppMessaging) port, which records Meta's answer; the
//! response (201) is the message as stored afterwards (`failed` with its code when Meta
//! refused it at once). Statuses after that come from Meta's webhooks, in the connector.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use dialtone_store::{Content, Message, MessageFilter, NewMessage};
use dialtone_types::{E164, Sid, SidKind, TwilioCode};
use serde_json::{Map, Value, json};

use super::content_types::{self, placeholders};
use crate::approvals::{self, TemplateSubmission};
use crate::auth::Caller;
use crate::error::{ApiError, codes};
use crate::messaging::Outgoing;
use crate::paging::{Paging, envelope};
use crate::params::{Form, Params, Query};
use crate::render::{API_VERSION, account_base, date, date_opt};
use crate::state::ApiState;
use crate::target::Target;
use crate::validate::{method_param, url_param};

/// `Body` or `ContentSid` missing.
const BODY_REQUIRED: TwilioCode = TwilioCode(21602);
/// `From` is not a WhatsApp sender of the account.
const FROM_NOT_OWNED: TwilioCode = TwilioCode(21606);
/// `ContentSid` malformed.
const INVALID_CONTENT_SID: TwilioCode = TwilioCode(21655);
/// `ContentVariables` not a JSON object of strings.
const INVALID_CONTENT_VARIABLES: TwilioCode = TwilioCode(21656);
/// A template variable has no value (Twilio's parameter-count mismatch).
const VARIABLE_MISSING: u32 = 63_028;
/// Longest `Body`.
const MAX_BODY: usize = 1600;

/// The resource's JSON.
pub(crate) fn message_json(m: &Message) -> Value {
    let base = account_base(m.account_sid);
    json!({
        "account_sid": m.account_sid,
        "api_version": API_VERSION,
        "body": m.body,
        "date_created": date(m.date_created),
        "date_sent": date_opt(m.date_sent),
        "date_updated": date(m.date_updated),
        "direction": m.direction,
        "error_code": m.error_code,
        "error_message": m.error_message,
        "from": m.from,
        "messaging_service_sid": null,
        "num_media": "0",
        "num_segments": "1",
        "price": null,
        "price_unit": null,
        "sid": m.sid,
        "status": m.status,
        "subresource_uris": {"media": format!("{base}/Messages/{}/Media.json", m.sid)},
        "to": m.to,
        "uri": format!("{base}/Messages/{}.json", m.sid),
    })
}

/// `whatsapp:+E164`, normalized; `code` otherwise.
fn whatsapp_address(
    params: &Params,
    name: &str,
    missing: TwilioCode,
    invalid: TwilioCode,
) -> Result<E164, ApiError> {
    let value = params.get(name).ok_or_else(|| {
        ApiError::invalid(missing, format!("A '{name}' phone number is required."))
    })?;
    value
        .strip_prefix("whatsapp:")
        .and_then(|n| E164::parse(n).ok())
        .ok_or_else(|| {
            ApiError::invalid(
                invalid,
                format!(
                    "Invalid '{name}' Phone Number: {value:?}. Dialtone sends WhatsApp messages \
                     only: whatsapp: followed by an E.164 number"
                ),
            )
        })
}

/// `ContentVariables`: a JSON object whose values are strings (numbers are taken as text).
fn content_variables(params: &Params) -> Result<Map<String, Value>, ApiError> {
    let Some(text) = params.get("ContentVariables") else {
        return Ok(Map::new());
    };
    let bad = || {
        ApiError::invalid(
            INVALID_CONTENT_VARIABLES,
            "ContentVariables must be a JSON object of strings, e.g. {\"1\":\"ON-12853\"}",
        )
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) if map.values().all(|v| v.is_string() || v.is_number()) => Ok(map),
        _ => Err(bad()),
    }
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The typed object of `content` that is sent, and its type.
fn typed(content: &Content) -> Option<(&'static str, &Value)> {
    let kind = content_types::approval_type(&content.types)?;
    Some((kind, &content.types[kind]))
}

/// What goes to Meta, or the failure (Twilio code and text) decided before Meta is asked.
type Decided = Result<Outgoing, (u32, String)>;

/// What a content becomes: the text stored as the message body, and what goes to Meta, or
/// the failure (Twilio code and text) decided before Meta is asked.
fn outgoing(content: &Content, given: &Map<String, Value>) -> Result<(String, Decided), ApiError> {
    let (kind, object) = typed(content).ok_or_else(|| {
        ApiError::invalid(
            INVALID_CONTENT_SID,
            format!("Content {} has no type Dialtone can send", content.sid),
        )
    })?;
    let text = object
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let names = placeholders(text);
    let value = |name: &str| {
        given
            .get(name)
            .or_else(|| content.variables.get(name))
            .and_then(value_text)
    };
    let missing: Vec<&String> = names.iter().filter(|n| value(n).is_none()).collect();
    let mut body = text.to_owned();
    for name in &names {
        if let Some(v) = value(name) {
            body = body.replace(&format!("{{{{{name}}}}}"), &v);
        }
    }
    let approved = content.approval.as_ref().filter(|a| a.status == "approved");
    if let Some(approval) = approved {
        if !missing.is_empty() {
            let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            return Ok((
                body,
                Err((
                    VARIABLE_MISSING,
                    format!(
                        "Variables without a value in ContentVariables or the content's \
                         variables: {}",
                        list.join(", ")
                    ),
                )),
            ));
        }
        let named = names.iter().any(|n| !n.bytes().all(|b| b.is_ascii_digit()));
        let mut ordered = names.clone();
        if !named {
            ordered.sort_by_key(|n| n.parse::<u32>().unwrap_or(u32::MAX));
        }
        let params = ordered
            .iter()
            .map(|n| (named.then(|| n.clone()), value(n).unwrap_or_default()))
            .collect();
        let submission = TemplateSubmission {
            waba_id: String::new(),
            name: approval.name.clone(),
            language: content.language.clone(),
            category: approval.category.clone(),
            content_type: approval.content_type.clone(),
            content: content.types[approval.content_type.as_str()].clone(),
            variables: content.variables.clone(),
        };
        return Ok((
            body,
            Ok(Outgoing::Template {
                name: approval.name.clone(),
                language: content.language.clone(),
                params,
                submission: Box::new(submission),
            }),
        ));
    }
    if content_types::is_call_permission_request(&content.types) {
        return Ok((body, Ok(Outgoing::PermissionRequest)));
    }
    if kind == "twilio/text" {
        return Ok((body.clone(), Ok(Outgoing::Text(body))));
    }
    Err(ApiError::invalid(
        codes::INVALID_PARAMETER,
        format!(
            "Content {} ({kind}) is not approved for WhatsApp: Dialtone sends an unapproved \
             content only as text (twilio/text) or as a call permission request \
             (VOICE_CALL_REQUEST)",
            content.sid
        ),
    ))
}

pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Form(params): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // Checked first: a message is never stored that nothing could send.
    let messaging = state.messaging.clone().ok_or_else(|| ApiError::Refused {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: codes::UNAVAILABLE,
        message: "WhatsApp messaging is not configured on this server".to_owned(),
    })?;
    let to = whatsapp_address(&params, "To", codes::TO_REQUIRED, codes::INVALID_TO)?;
    if params.get("From").is_none() && params.get("MessagingServiceSid").is_some() {
        return Err(ApiError::invalid(
            codes::INVALID_PARAMETER,
            "MessagingServiceSid is not supported by Dialtone: give From=whatsapp:+E164",
        ));
    }
    let from = whatsapp_address(&params, "From", codes::FROM_REQUIRED, codes::INVALID_FROM)?;
    let sender_id = format!("whatsapp:{}", from.as_str());
    let sender = state
        .store
        .sender_by_id(caller.account, &sender_id)
        .await
        .map_err(ApiError::store)?
        .ok_or_else(|| {
            ApiError::invalid(
                FROM_NOT_OWNED,
                format!("The From address {sender_id} is not a WhatsApp sender of this account"),
            )
        })?;
    let status_callback = url_param(&params, "StatusCallback")?;
    let method = method_param(&params, "StatusCallbackMethod")?;
    let variables = content_variables(&params)?;
    let (body, send) = if let Some(text) = params.get("ContentSid") {
        let sid = Sid::parse_kind(text, SidKind::Content).map_err(|_| {
            ApiError::invalid(
                INVALID_CONTENT_SID,
                format!("Invalid ContentSid {text:?}: expected HX followed by 32 hex digits"),
            )
        })?;
        let content = match state.store.fetch_content(caller.account, sid).await {
            Ok(c) => approvals::current(&state, c).await?,
            Err(dialtone_store::StoreError::NotFound(_)) => {
                return Err(ApiError::Refused {
                    status: StatusCode::NOT_FOUND,
                    code: TwilioCode::NOT_FOUND,
                    message: format!("Content {sid} was not found for this account"),
                });
            }
            Err(e) => return Err(ApiError::store(e)),
        };
        let (body, send) = outgoing(&content, &variables)?;
        (body, send.map(|o| (o, Some(sid))))
    } else {
        let body = params
            .get("Body")
            .ok_or_else(|| ApiError::invalid(BODY_REQUIRED, "Message body is required."))?;
        if body.chars().count() > MAX_BODY {
            return Err(ApiError::invalid(
                TwilioCode(21617),
                format!("The concatenated message body exceeds the {MAX_BODY} character limit."),
            ));
        }
        (body.to_owned(), Ok((Outgoing::Text(body.to_owned()), None)))
    };
    let content_sid = params
        .get("ContentSid")
        .and_then(|t| Sid::parse_kind(t, SidKind::Content).ok());
    let new = NewMessage {
        direction: "outbound-api".to_owned(),
        from: sender_id,
        to: format!("whatsapp:{}", to.as_str()),
        body,
        content_sid,
        status: "queued".to_owned(),
        wamid: None,
        phone_number_id: sender.phone_number_id.clone(),
        status_callback: status_callback.map(|u| u.as_str().to_owned()),
        status_callback_method: method.map(|m| m.as_str().to_owned()),
        replied_to_sid: None,
    };
    let sid = state.new_sid(SidKind::Message);
    let stored = state
        .store
        .create_message(caller.account, sid, &new, state.now())
        .await
        .map_err(ApiError::store)?;
    let done = match send {
        Ok((mut outgoing, _)) => {
            if let Outgoing::Template { submission, .. } = &mut outgoing {
                submission.waba_id = sender
                    .waba_id
                    .clone()
                    .unwrap_or_else(|| sender.phone_number_id.clone());
            }
            messaging.send(stored, outgoing).await?
        }
        Err((code, text)) => messaging.fail(stored, code, text).await?,
    };
    Ok((StatusCode::CREATED, Json(message_json(&done))))
}

pub(crate) async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let sid = target.json_sid("message", SidKind::Message)?;
    let message = state
        .store
        .fetch_message(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(Json(message_json(&message)))
}

pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    let paging = Paging::from_params(&query)?;
    let filter = MessageFilter {
        to: query.get("To").map(str::to_owned),
        from: query.get("From").map(str::to_owned),
    };
    let page = state
        .store
        .list_messages(caller.account, &filter, &paging.request)
        .await
        .map_err(ApiError::store)?;
    let records = page.items.iter().map(message_json).collect();
    let mut filters = Vec::new();
    if let Some(to) = &filter.to {
        filters.push(("To", to.as_str()));
    }
    if let Some(from) = &filter.from {
        filters.push(("From", from.as_str()));
    }
    Ok(Json(envelope(
        "messages",
        records,
        &paging,
        page.next,
        &format!("{}/Messages.json", account_base(caller.account)),
        &filters,
    )))
}
