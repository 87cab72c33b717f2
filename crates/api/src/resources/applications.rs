//! TwiML applications: `/2010-04-01/Accounts/{AccountSid}/Applications.json` and
//! `/Applications/{Sid}.json`.
//!
//! Only the voice fields are stored; Twilio's messaging fields are accepted and ignored, and
//! rendered with their defaults so clients that read them find the keys they expect.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use dialtone_store::{Application, ApplicationUpdate, NewApplication};
use dialtone_twiml::Method;
use dialtone_types::SidKind;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, codes};
use crate::paging::{Paging, envelope};
use crate::params::{Form, Params, Query};
use crate::render::{API_VERSION, account_base, date};
use crate::resources::senders::push_voice_senders;
use crate::state::ApiState;
use crate::target::Target;
use crate::validate::{method_param, url_param};

/// Longest friendly name kept (Twilio's limit for applications).
const MAX_FRIENDLY_NAME: usize = 64;

/// The application as Twilio renders it.
pub(crate) fn application_json(a: &Application) -> Value {
    json!({
        "account_sid": a.account_sid,
        "api_version": API_VERSION,
        "date_created": date(a.date_created),
        "date_updated": date(a.date_updated),
        "friendly_name": a.friendly_name,
        "message_status_callback": null,
        "public_application_connect_enabled": false,
        "sid": a.sid,
        "sms_fallback_method": "POST",
        "sms_fallback_url": null,
        "sms_method": "POST",
        "sms_status_callback": null,
        "sms_url": null,
        "status_callback": a.status_callback,
        "status_callback_method": a.status_callback_method,
        "uri": format!("{}/Applications/{}.json", account_base(a.account_sid), a.sid),
        "voice_caller_id_lookup": false,
        "voice_fallback_method": a.voice_fallback_method,
        "voice_fallback_url": a.voice_fallback_url,
        "voice_method": a.voice_method,
        "voice_url": a.voice_url,
    })
}

fn friendly_name(params: &Params) -> Result<Option<String>, ApiError> {
    match params.raw("FriendlyName") {
        Some(name) if name.chars().count() > MAX_FRIENDLY_NAME => Err(ApiError::invalid(
            codes::INVALID_PARAMETER,
            format!("FriendlyName is longer than {MAX_FRIENDLY_NAME} characters"),
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

/// For an update: `None` leaves the field alone, `Some("")` clears it, a URL sets it.
fn url_change(params: &Params, name: &str) -> Result<Option<String>, ApiError> {
    match params.raw(name) {
        None => Ok(None),
        Some("") => Ok(Some(String::new())),
        Some(_) => Ok(url_param(params, name)?.map(|u| u.as_str().to_owned())),
    }
}

fn method_str(params: &Params, name: &str) -> Result<Option<String>, ApiError> {
    Ok(method_param(params, name)?.map(|m| m.as_str().to_owned()))
}

pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    Form(params): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let post = Method::Post.as_str().to_owned();
    let app = NewApplication {
        sid: state.new_sid(SidKind::Application),
        friendly_name: friendly_name(&params)?.unwrap_or_default(),
        voice_url: url_param(&params, "VoiceUrl")?.map(|u| u.as_str().to_owned()),
        voice_method: method_str(&params, "VoiceMethod")?.unwrap_or_else(|| post.clone()),
        voice_fallback_url: url_param(&params, "VoiceFallbackUrl")?.map(|u| u.as_str().to_owned()),
        voice_fallback_method: method_str(&params, "VoiceFallbackMethod")?
            .unwrap_or_else(|| post.clone()),
        status_callback: url_param(&params, "StatusCallback")?.map(|u| u.as_str().to_owned()),
        status_callback_method: method_str(&params, "StatusCallbackMethod")?.unwrap_or(post),
    };
    let created = state
        .store
        .create_application(caller.account, &app, state.now())
        .await
        .map_err(ApiError::store)?;
    Ok((StatusCode::CREATED, Json(application_json(&created))))
}

pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    let paging = Paging::from_params(&query)?;
    let name = query.get("FriendlyName");
    let page = state
        .store
        .list_applications(caller.account, name, &paging.request)
        .await
        .map_err(ApiError::store)?;
    let records = page.items.iter().map(application_json).collect();
    let path = format!("{}/Applications.json", account_base(caller.account));
    let filters: Vec<(&str, &str)> = name.map(|n| ("FriendlyName", n)).into_iter().collect();
    Ok(Json(envelope(
        "applications",
        records,
        &paging,
        page.next,
        &path,
        &filters,
    )))
}

pub(crate) async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let sid = target.json_sid("application", SidKind::Application)?;
    let app = state
        .store
        .fetch_application(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(Json(application_json(&app)))
}

pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
    Form(params): Form,
) -> Result<Json<Value>, ApiError> {
    let sid = target.json_sid("application", SidKind::Application)?;
    let update = ApplicationUpdate {
        friendly_name: friendly_name(&params)?,
        voice_url: url_change(&params, "VoiceUrl")?,
        voice_method: method_str(&params, "VoiceMethod")?,
        voice_fallback_url: url_change(&params, "VoiceFallbackUrl")?,
        voice_fallback_method: method_str(&params, "VoiceFallbackMethod")?,
        status_callback: url_change(&params, "StatusCallback")?,
        status_callback_method: method_str(&params, "StatusCallbackMethod")?,
    };
    let app = state
        .store
        .update_application(caller.account, sid, &update, state.now())
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(Json(application_json(&app)))
}

pub(crate) async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<StatusCode, ApiError> {
    let sid = target.json_sid("application", SidKind::Application)?;
    state
        .store
        .delete_application(caller.account, sid, state.now())
        .await
        .map_err(|e| target.store_error(e))?;
    // Senders that used it are no longer voice-enabled.
    push_voice_senders(&state, caller.account).await?;
    Ok(StatusCode::NO_CONTENT)
}
