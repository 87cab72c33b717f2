//! WhatsApp senders: Twilio's `/v2/Channels/Senders` and `/v2/Channels/Senders/{Sid}` (JSON).
//!
//! twilio-python's `client.messaging.v2.channels_senders` sends JSON bodies and reads JSON back;
//! lists use the v2 envelope (`meta` with absolute page URLs and `key`). The account is the one
//! the credentials name. A sender with `configuration.voice_application_sid` is voice-enabled;
//! after every change the account's voice-enabled senders are handed to the engine, which
//! checks a `<Dial><WhatsApp>`'s `callerId` against them (37008). `configuration.phone_number_id`
//! (Meta's id of the number) is a Dialtone extension, assigned when not given. Of `webhook`,
//! `callback_url`/`callback_method` (where a user's answer to a call permission request is
//! posted) and `status_callback_url` (status callbacks of messages sent without
//! `StatusCallback`) are kept; given on update, the object replaces the stored one. `profile`
//! is accepted and not kept.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use dialtone_store::{NewSender, Sender, SenderUpdate, SenderWebhook, StoreError};
use dialtone_types::{E164, Sid, SidKind};
use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, codes};
use crate::http::origin;
use crate::paging::{Paging, meta_envelope};
use crate::params::Query;
use crate::state::ApiState;
use crate::target::Target;

/// The collection's path.
const PATH: &str = "/v2/Channels/Senders";
/// The status of a sender Dialtone holds: usable at once (there is no review to wait for).
const ONLINE: &str = "ONLINE";
/// Longest text field kept (friendly name, WABA id, phone number id).
const MAX_TEXT: usize = 256;

fn sender_json(s: &Sender, origin: &str) -> Value {
    json!({
        "sid": s.sid,
        "status": s.status,
        "sender_id": s.sender_id,
        "friendly_name": s.friendly_name,
        "configuration": {
            "waba_id": s.waba_id,
            "verification_method": null,
            "verification_code": null,
            "voice_application_sid": s.voice_application_sid,
            "phone_number_id": s.phone_number_id,
        },
        "webhook": webhook_json(&s.webhook),
        "profile": null,
        "properties": null,
        "offline_reasons": null,
        "compliance": null,
        "url": format!("{origin}{PATH}/{}", s.sid),
    })
}

fn webhook_json(w: &SenderWebhook) -> Value {
    if w == &SenderWebhook::default() {
        return Value::Null;
    }
    json!({
        "callback_url": w.callback_url,
        "callback_method": w.callback_url.as_ref().map(|_| w.callback_method.as_deref().unwrap_or("POST")),
        "fallback_url": null,
        "fallback_method": null,
        "status_callback_url": w.status_callback_url,
        "status_callback_method": w.status_callback_url.as_ref().map(|_| "POST"),
    })
}

/// `webhook`: `None` when absent or null (keep), the object otherwise.
fn webhook(object: &Map<String, Value>) -> Result<Option<SenderWebhook>, ApiError> {
    let hook = match object.get("webhook") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(invalid("webhook must be an object")),
    };
    let url = |name: &str| -> Result<Option<String>, ApiError> {
        match text_field(hook, name)?.value() {
            Some(u) if crate::validate::http_url(&u).is_some() => Ok(Some(u)),
            Some(u) => Err(ApiError::invalid(
                codes::INVALID_URL,
                format!("webhook.{name} is not a valid URL: {u}"),
            )),
            None => Ok(None),
        }
    };
    let method = match text_field(hook, "callback_method")?.value() {
        None => None,
        Some(m) if m.eq_ignore_ascii_case("POST") || m.eq_ignore_ascii_case("GET") => {
            Some(m.to_ascii_uppercase())
        }
        Some(m) => {
            return Err(ApiError::invalid(
                codes::INVALID_METHOD,
                format!("webhook.callback_method is not valid: {m:?}. Use GET or POST"),
            ));
        }
    };
    Ok(Some(SenderWebhook {
        callback_url: url("callback_url")?,
        callback_method: method,
        status_callback_url: url("status_callback_url")?,
    }))
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid(codes::INVALID_PARAMETER, message)
}

/// The JSON object of the request body.
fn body_object(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(invalid("The request body must be a JSON object")),
    }
}

/// A field of a JSON body. twilio-python sends every field of its request models, `null` for
/// those not given, so absent and `null` both keep the current value; `""` clears it.
enum Field<T> {
    Keep,
    Clear,
    Set(T),
}

impl<T> Field<T> {
    /// The value, if one was given.
    fn value(self) -> Option<T> {
        match self {
            Self::Set(v) => Some(v),
            Self::Keep | Self::Clear => None,
        }
    }
}

/// A [`Field`] as the store's update wants it: `None` keeps, `Some(None)` clears.
macro_rules! change {
    ($field:expr) => {
        match $field {
            Field::Keep => None,
            Field::Clear => Some(None),
            Field::Set(v) => Some(Some(v)),
        }
    };
}

/// An optional text field of `object`.
fn text_field(object: &Map<String, Value>, name: &str) -> Result<Field<String>, ApiError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(Field::Keep),
        Some(Value::String(s)) if s.is_empty() => Ok(Field::Clear),
        Some(Value::String(s)) if s.chars().count() <= MAX_TEXT => Ok(Field::Set(s.clone())),
        Some(Value::String(_)) => Err(invalid(format!(
            "{name} is longer than {MAX_TEXT} characters"
        ))),
        Some(_) => Err(invalid(format!("{name} must be a string"))),
    }
}

/// `whatsapp:+E164`, normalized; 400/20001 otherwise.
fn parse_sender_id(value: Option<&Value>) -> Result<E164, ApiError> {
    let text = match value {
        Some(Value::String(s)) => s.as_str(),
        None | Some(Value::Null) => return Err(invalid("Missing required parameter sender_id")),
        Some(_) => return Err(invalid("sender_id must be a string")),
    };
    text.strip_prefix("whatsapp:")
        .and_then(|n| E164::parse(n).ok())
        .ok_or_else(|| {
            invalid(format!(
                "Invalid sender_id {text:?}: expected whatsapp: followed by an E.164 number"
            ))
        })
}

/// The fields of `configuration` this resource keeps.
struct Configuration {
    waba_id: Field<String>,
    voice_application_sid: Field<Sid>,
    phone_number_id: Option<String>,
}

async fn configuration(
    state: &ApiState,
    account: Sid,
    object: &Map<String, Value>,
) -> Result<Configuration, ApiError> {
    let config = match object.get("configuration") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(invalid("configuration must be an object")),
    };
    let voice = match text_field(&config, "voice_application_sid")? {
        Field::Set(text) => {
            let app = Sid::parse_kind(&text, SidKind::Application).map_err(|_| {
                ApiError::invalid(
                    codes::INVALID_APPLICATION,
                    format!("Invalid voice_application_sid {text:?}"),
                )
            })?;
            match state.store.fetch_application(account, app).await {
                Ok(_) => Field::Set(app),
                Err(StoreError::NotFound(_)) => {
                    return Err(ApiError::invalid(
                        codes::INVALID_APPLICATION,
                        format!("Application {app} not found for this account"),
                    ));
                }
                Err(e) => return Err(ApiError::store(e)),
            }
        }
        Field::Keep => Field::Keep,
        Field::Clear => Field::Clear,
    };
    let phone_number_id = match text_field(&config, "phone_number_id")? {
        Field::Keep | Field::Clear => None,
        Field::Set(id) if id.bytes().all(|b| b.is_ascii_digit()) => Some(id),
        Field::Set(id) => {
            return Err(invalid(format!(
                "Invalid phone_number_id {id:?}: it must be a decimal id"
            )));
        }
    };
    Ok(Configuration {
        waba_id: text_field(&config, "waba_id")?,
        voice_application_sid: voice,
        phone_number_id,
    })
}

/// Hands the account's voice-enabled senders to the engine.
pub(crate) async fn push_voice_senders(state: &ApiState, account: Sid) -> Result<(), ApiError> {
    let senders = state
        .store
        .voice_senders(Some(account))
        .await
        .map_err(ApiError::store)?;
    let numbers = senders
        .iter()
        .filter_map(|s| {
            s.sender_id
                .strip_prefix("whatsapp:")
                .and_then(|n| E164::parse(n).ok())
        })
        .collect();
    state
        .control
        .set_whatsapp_senders(account, numbers)
        .await
        .map_err(ApiError::from)
}

fn sender_sid(target: &Target) -> Result<Sid, ApiError> {
    target.sid("sender", SidKind::Sender)
}

pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let object = body_object(&body)?;
    let number = parse_sender_id(object.get("sender_id"))?;
    let friendly_name = text_field(&object, "friendly_name")?.value();
    let config = configuration(&state, caller.account, &object).await?;
    let sid = state.new_sid(SidKind::Sender);
    // Meta's ids are 15-digit decimals; the simulator makes one up the same way.
    let phone_number_id = config.phone_number_id.unwrap_or_else(|| {
        (100_000_000_000_000 + state.entropy.next_u128() % 900_000_000_000_000).to_string()
    });
    let new = NewSender {
        sender_id: format!("whatsapp:{}", number.as_str()),
        friendly_name,
        status: ONLINE.to_owned(),
        waba_id: config.waba_id.value(),
        voice_application_sid: config.voice_application_sid.value(),
        phone_number_id,
        webhook: webhook(&object)?.unwrap_or_default(),
    };
    let sender = match state
        .store
        .create_sender(caller.account, sid, &new, state.now())
        .await
    {
        Ok(s) => s,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::Refused {
                status: StatusCode::CONFLICT,
                code: codes::SENDER_EXISTS,
                message: format!("Sender {} already exists for this account", new.sender_id),
            });
        }
        Err(e) => return Err(ApiError::store(e)),
    };
    push_voice_senders(&state, caller.account).await?;
    Ok((
        StatusCode::CREATED,
        Json(sender_json(&sender, &origin(&headers))),
    ))
}

pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    let paging = Paging::from_params(&query)?;
    let channel = query.get("Channel");
    let origin = origin(&headers);
    let (records, next) = match channel {
        Some(c) if !c.eq_ignore_ascii_case("whatsapp") => (Vec::new(), None),
        _ => {
            let page = state
                .store
                .list_senders(caller.account, &paging.request)
                .await
                .map_err(ApiError::store)?;
            let records = page.items.iter().map(|s| sender_json(s, &origin)).collect();
            (records, page.next)
        }
    };
    let filters: Vec<(&str, &str)> = channel.map(|c| ("Channel", c)).into_iter().collect();
    Ok(Json(meta_envelope(
        "senders",
        records,
        &paging,
        next,
        &format!("{origin}{PATH}"),
        &filters,
    )))
}

pub(crate) async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let sid = sender_sid(&target)?;
    let sender = state
        .store
        .fetch_sender(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(Json(sender_json(&sender, &origin(&headers))))
}

pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    headers: HeaderMap,
    target: Target,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let sid = sender_sid(&target)?;
    // An unknown SID is a 404 before the body is judged.
    state
        .store
        .fetch_sender(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    let object = body_object(&body)?;
    let config = configuration(&state, caller.account, &object).await?;
    let update = SenderUpdate {
        friendly_name: change!(text_field(&object, "friendly_name")?),
        waba_id: change!(config.waba_id),
        voice_application_sid: change!(config.voice_application_sid),
        phone_number_id: config.phone_number_id,
        webhook: webhook(&object)?,
    };
    let sender = state
        .store
        .update_sender(caller.account, sid, &update, state.now())
        .await
        .map_err(|e| target.store_error(e))?;
    push_voice_senders(&state, caller.account).await?;
    Ok(Json(sender_json(&sender, &origin(&headers))))
}

pub(crate) async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<StatusCode, ApiError> {
    let sid = sender_sid(&target)?;
    state
        .store
        .delete_sender(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    push_voice_senders(&state, caller.account).await?;
    Ok(StatusCode::NO_CONTENT)
}
