//! The softphone simulator's endpoints, under `/sim/v1` with the account's credentials.
//!
//! - `POST /sim/v1/Clients`: register (or replace) a softphone: `Identity`, `Behavior`
//!   (`answer`, `busy`, `reject`, `no-answer`, `unreachable`), `AnswerAfter` (seconds,
//!   fractional, default 1), `HangupAfter` (seconds after answer), `Digits` (DTMF), `Audio`
//!   (`silence` (default), `tone:HZ` or the `http(s)` URL of a WAV file played in a loop,
//!   validated as for WhatsApp users, echoed as `audio`; the softphone's media leg plays it).
//! - `GET /sim/v1/Clients`: the account's softphones.
//! - `DELETE /sim/v1/Clients/{Identity}`: unregister; it becomes unreachable.
//! - `POST /sim/v1/Clients/{Identity}/Calls`: the softphone calls an application
//!   (`ApplicationSid`, `To`, any other parameters passed to the `VoiceUrl`), as the Voice SDK.
//!
//! Twilio has no such resource, so the JSON is Dialtone's own, in the same style: snake_case
//! keys, a `uri`, and Twilio's error body.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use dialtone_store::StoreError;
use dialtone_types::{Sid, SidKind};
use serde_json::{Value, json};

use crate::admission::Admitted;
use crate::auth::Caller;
use crate::control::{Softphone, SoftphoneCallRequest};
use crate::error::{ApiError, codes};
use crate::http::NoReturn;
use crate::params::{Form, Params};
use crate::render::path_segment;
use crate::resources::calls::call_json;
use crate::resources::sim_params::{self, invalid};
use crate::state::ApiState;
use crate::target::Target;

fn softphone_json(account: Sid, s: &Softphone) -> Value {
    json!({
        "account_sid": account,
        "answer_after": s.answer_after.as_secs_f64(),
        "audio": s.audio.to_string(),
        "behavior": s.behavior.as_str(),
        "digits": s.digits,
        "hangup_after": s.hangup_after.map(|d| d.as_secs_f64()),
        "identity": s.identity,
        "uri": format!("/sim/v1/Clients/{}", path_segment(&s.identity)),
    })
}

fn identity(value: Option<&str>) -> Result<String, ApiError> {
    let value = value.ok_or_else(|| invalid("Identity is required".to_owned()))?;
    // `client:{identity}` must be a valid address for the softphone to be callable.
    match format!("client:{value}").parse::<dialtone_types::Address>() {
        Ok(_) => Ok(value.to_owned()),
        Err(_) => Err(invalid(format!(
            "Identity is not valid: {value:?} (1 to 256 characters, no spaces or control characters)"
        ))),
    }
}

fn softphone(p: &Params) -> Result<Softphone, ApiError> {
    let behavior = sim_params::behavior(p)?;
    let digits = sim_params::digits(p)?;
    let audio = sim_params::audio(p)?;
    Ok(Softphone {
        identity: identity(p.get("Identity"))?,
        behavior,
        answer_after: sim_params::answer_after(p)?,
        hangup_after: sim_params::hangup_after(p)?,
        digits,
        audio,
    })
}

pub(crate) async fn register(
    State(state): State<ApiState>,
    caller: Caller,
    Form(params): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let phone = softphone(&params)?;
    let registered = state
        .control
        .register_softphone(caller.account, phone)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(softphone_json(caller.account, &registered)),
    ))
}

pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
) -> Result<Json<Value>, ApiError> {
    let phones = state.control.list_softphones(caller.account).await;
    let records: Vec<Value> = phones
        .iter()
        .map(|s| softphone_json(caller.account, s))
        .collect();
    Ok(Json(
        json!({ "clients": records, "uri": "/sim/v1/Clients" }),
    ))
}

pub(crate) async fn remove(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<StatusCode, ApiError> {
    let identity = target.segment("identity")?.to_owned();
    if state
        .control
        .remove_softphone(caller.account, identity)
        .await
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(target.not_found())
    }
}

/// `POST /sim/v1/Clients/{Identity}/Calls`: admitted, and cut by the timeout only until the
/// engine takes the call, as a REST `Calls` create.
pub(crate) async fn call(
    State(state): State<ApiState>,
    caller: Caller,
    _slot: Admitted,
    no_return: NoReturn,
    target: Target,
    Form(params): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let identity = target.segment("identity")?.to_owned();
    let registered = state.control.list_softphones(caller.account).await;
    if !registered.iter().any(|s| s.identity == identity) {
        return Err(target.not_found());
    }
    let app_value = params.get("ApplicationSid").ok_or_else(|| {
        ApiError::invalid(codes::INVALID_APPLICATION, "ApplicationSid is required")
    })?;
    let invalid_app = || {
        ApiError::invalid(
            codes::INVALID_APPLICATION,
            format!("ApplicationSid is not valid: {app_value}"),
        )
    };
    let app_sid = Sid::parse_kind(app_value, SidKind::Application).map_err(|_| invalid_app())?;
    let application = match state.store.fetch_application(caller.account, app_sid).await {
        Ok(app) => app,
        Err(StoreError::NotFound(_)) => return Err(invalid_app()),
        Err(e) => return Err(ApiError::store(e)),
    };
    if application.voice_url.is_none() {
        return Err(ApiError::invalid(
            codes::INVALID_APPLICATION,
            format!("ApplicationSid is not valid: {app_value} (the application has no VoiceUrl)"),
        ));
    }
    let extra = params
        .pairs()
        .iter()
        .filter(|(k, _)| k != "ApplicationSid" && k != "To")
        .cloned()
        .collect();
    let accepted = state
        .control
        .start_softphone_call(SoftphoneCallRequest {
            account: caller.account,
            identity,
            application,
            // As sent, even empty: the runtime does not validate it.
            to: params.raw("To").map(str::to_owned),
            params: extra,
        })
        .await?;
    no_return.pass();
    let call = accepted.await?;
    Ok((StatusCode::CREATED, Json(call_json(&call))))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::control::Behavior;

    #[test]
    fn reads_softphones() {
        let s = softphone(&Params::parse(
            b"Identity=alice&Behavior=no-answer&AnswerAfter=0.5&HangupAfter=3&Digits=12%23",
        ))
        .unwrap();
        assert_eq!(s.identity, "alice");
        assert_eq!(s.behavior, Behavior::NoAnswer);
        assert_eq!(s.answer_after, Duration::from_millis(500));
        assert_eq!(s.hangup_after, Some(Duration::from_secs(3)));
        assert_eq!(s.digits.as_deref(), Some("12#"));
        assert_eq!(s.audio, dialtone_types::SimulatedAudio::Silence);
        let toned = softphone(&Params::parse(b"Identity=alice&Audio=tone%3A440")).unwrap();
        assert_eq!(toned.audio, dialtone_types::SimulatedAudio::Tone(440));
        assert_eq!(
            softphone_json(Sid::new(SidKind::Account, 1), &toned)["audio"],
            "tone:440"
        );
        for bad in [
            "",
            "Identity=a+b",
            "Identity=a&Behavior=ring",
            "Identity=a&AnswerAfter=-1",
            "Identity=a&AnswerAfter=NaN",
            "Identity=a&AnswerAfter=inf",
            "Identity=a&HangupAfter=999999",
            "Identity=a&Digits=12x",
            "Identity=a&Audio=tone%3A10",
            "Identity=a&Audio=noise",
        ] {
            let e = softphone(&Params::parse(bad.as_bytes())).unwrap_err();
            assert_eq!(
                e.status_and_code().1,
                Some(codes::INVALID_PARAMETER),
                "{bad}"
            );
        }
    }
}
