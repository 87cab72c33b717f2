//! The WhatsApp simulator's users, under `/sim/v1/WhatsAppUsers` with the account's
//! credentials (like `/sim/v1/Clients`).
//!
//! - `POST /sim/v1/WhatsAppUsers`: create or replace a user: `Number` (+E164), `Permission`
//!   (`granted`, `none` (default), `revoked`), `Behavior` (`answer` (default), `busy`,
//!   `reject`, `no-answer`, `unreachable`), `AnswerAfter` (seconds, fractional, default 1),
//!   `HangupAfter` (seconds after the answer), `Digits` (DTMF pressed after the answer),
//!   `Audio` (what the user sends once a call's media connects: `silence` (default), `tone:HZ`
//!   (50 to 4000) or the `http(s)` URL of a 16-bit PCM WAV file, fetched when each call's media
//!   connects and looped; an unusable file leaves the user silent and is logged).
//!   `ConsentReply` (how the user answers call permission requests: `accept` (default, a
//!   temporary 7-day permission), `accept-permanent`, `reject` or `ignore`), `ReplyAfter`
//!   (seconds from reading a request to answering it, default 1).
//!   The JSON shows `permissions`: the user's consent per business number as Meta keeps it
//!   (`status` `no_permission`, `temporary` with `expiration`, `permanent`; the requests
//!   counted in the last day and week; `revoked` by four unanswered calls).
//! - `GET /sim/v1/WhatsAppUsers`: the account's users.
//! - `GET`, `DELETE /sim/v1/WhatsAppUsers/{Number}`.
//! - `POST /sim/v1/WhatsAppUsers/{Number}/Calls` form `To` (`whatsapp:+…`, a WhatsApp sender
//!   of the account): the user calls the business. `GET` lists the user's calls; a call whose
//!   media leg has stopped shows the user's packet counters in `media` (`rtp_sent`,
//!   `rtp_received`, `rtp_lost`, `rtcp_sent`, `rtcp_received`, `audio_gaps`: frames missing
//!   by timestamp, `rtp_skipped`: frames the user's side fell behind on) and what Dialtone's
//!   RTCP receiver reports said of the user's stream (`remote_expected`, `remote_lost`);
//!   `null` before.
//!
//! - Messages ([`messages`]): `GET`/`POST /sim/v1/WhatsAppUsers/{Number}/Messages`,
//!   `POST /sim/v1/WhatsAppUsers/{Number}/Messages/{MessageId}`.
//!
//! Twilio has no such resource: the JSON is Dialtone's own in Twilio's style (snake_case, a
//! `uri`, Twilio's error body). Without a simulator (`whatsapp.mode = "meta"`) every route
//! answers 404.

mod messages;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use dialtone_types::{Address, E164, Sid, TwilioCode, UnixMillis};
use serde_json::{Value, json};

use crate::auth::{Caller, any_account_auth};
use crate::error::{ApiError, codes};
use crate::params::{Form, Params};
use crate::render::path_segment;
use crate::resources::sim_params::{self, invalid};
use crate::simulator::{
    SimulatedWhatsApp, WhatsAppConsentReply, WhatsAppPermission, WhatsAppUser, WhatsAppUserCall,
};
use crate::state::ApiState;
use crate::target::Target;

pub(crate) const BASE: &str = "/sim/v1/WhatsAppUsers";
/// The routes, behind authentication for whichever account the credentials name.
pub(crate) fn routes(state: &ApiState) -> Router<ApiState> {
    Router::new()
        .route(BASE, get(list).post(put))
        .route(&format!("{BASE}/{{number}}"), get(fetch).delete(remove))
        .route(
            &format!("{BASE}/{{number}}/Calls"),
            get(list_calls).post(call),
        )
        .merge(messages::routes())
        .route_layer(from_fn_with_state(state.clone(), any_account_auth))
}

/// The WhatsApp simulator; 404 when none runs.
pub(crate) fn simulator(state: &ApiState) -> Result<Arc<dyn SimulatedWhatsApp>, ApiError> {
    state.whatsapp_simulator.clone().ok_or(ApiError::Refused {
        status: StatusCode::NOT_FOUND,
        code: TwilioCode::NOT_FOUND,
        message: "the WhatsApp simulator is not running (whatsapp.mode = meta)".to_owned(),
    })
}

pub(crate) fn user_uri(number: &E164) -> String {
    format!("{BASE}/{}", path_segment(number.as_str()))
}

fn user_json(account: Sid, user: &WhatsAppUser) -> Value {
    json!({
        "account_sid": account,
        "answer_after": user.answer_after.as_secs_f64(),
        "audio": user.audio.to_string(),
        "behavior": user.behavior.as_str(),
        "consent_reply": user.consent_reply.as_str(),
        "digits": user.digits,
        "hangup_after": user.hangup_after.map(|d| d.as_secs_f64()),
        "number": user.number.as_str(),
        "permission": user.permission.as_str(),
        "permissions": user.permissions.iter().map(|p| json!({
            "business": format!("whatsapp:{}", p.business),
            "expiration": date(p.expires_at),
            "requests_last_day": p.requests_last_day,
            "requests_last_week": p.requests_last_week,
            "revoked": p.revoked,
            "status": p.status,
        })).collect::<Vec<_>>(),
        "reply_after": user.reply_after.as_secs_f64(),
        "unanswered_in_a_row": user.unanswered_in_a_row,
        "uri": user_uri(&user.number),
    })
}

pub(crate) fn date(at: Option<UnixMillis>) -> Value {
    at.map_or(Value::Null, |at| Value::String(at.rfc2822().to_string()))
}

fn call_json(account: Sid, call: &WhatsAppUserCall) -> Value {
    json!({
        "account_sid": account,
        "call_id": call.call_id,
        "date_answered": date(call.answered_at),
        "date_created": date(Some(call.created_at)),
        "date_ended": date(call.ended_at),
        "direction": call.direction,
        "duration": call.duration_secs,
        "from": call.from,
        "media": call.media.map(|m| json!({
            "audio_gaps": m.audio_gaps,
            "remote_expected": m.remote_expected,
            "remote_lost": m.remote_lost,
            "rtcp_received": m.rtcp_received,
            "rtcp_sent": m.rtcp_sent,
            "rtp_lost": m.rtp_lost,
            "rtp_received": m.rtp_received,
            "rtp_skipped": m.rtp_skipped,
            "rtp_sent": m.rtp_sent,
        })),
        "status": call.status,
        "to": call.to,
    })
}

/// `Number`, tolerating a `+` sent unencoded (which form decoding turns into a space).
fn number(p: &Params) -> Result<E164, ApiError> {
    let raw = p
        .get("Number")
        .ok_or_else(|| invalid("Number is required".to_owned()))?;
    let fixed = raw
        .strip_prefix(' ')
        .map_or_else(|| raw.to_owned(), |rest| format!("+{rest}"));
    E164::parse(&fixed).map_err(|_| {
        ApiError::invalid(
            codes::INVALID_TO,
            format!("Number is not a valid E.164 phone number (+ and up to 15 digits): {raw:?}"),
        )
    })
}

fn user(p: &Params) -> Result<WhatsAppUser, ApiError> {
    let permission = sim_params::choice(
        p,
        "Permission",
        WhatsAppPermission::parse,
        "granted, none or revoked",
    )?;
    let behavior = sim_params::behavior(p)?;
    let digits = sim_params::digits(p)?;
    let audio = sim_params::audio(p)?;
    let consent_reply = sim_params::choice(
        p,
        "ConsentReply",
        WhatsAppConsentReply::parse,
        "accept, accept-permanent, reject or ignore",
    )?;
    Ok(WhatsAppUser {
        number: number(p)?,
        permission,
        behavior,
        answer_after: sim_params::answer_after(p)?,
        hangup_after: sim_params::hangup_after(p)?,
        digits,
        audio,
        consent_reply,
        reply_after: sim_params::reply_after(p)?,
        unanswered_in_a_row: 0,
        permissions: Vec::new(),
    })
}

/// The simulator and the account's user the path names; 404 for a user nobody created.
pub(crate) fn known_user(
    state: &ApiState,
    account: Sid,
    target: &Target,
) -> Result<(Arc<dyn SimulatedWhatsApp>, WhatsAppUser), ApiError> {
    let sim = simulator(state)?;
    let number = path_number(target)?;
    let user = sim
        .user(account, &number)
        .ok_or_else(|| target.not_found())?;
    Ok((sim, user))
}

/// The `{number}` of the path; a segment that is not a number names no user.
fn path_number(target: &Target) -> Result<E164, ApiError> {
    E164::parse(target.segment("number")?).map_err(|_| target.not_found())
}

pub(crate) async fn put(
    State(state): State<ApiState>,
    caller: Caller,
    Form(params): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let sim = simulator(&state)?;
    let user = user(&params)?;
    let stored = sim.put_user(caller.account, user)?;
    Ok((
        StatusCode::CREATED,
        Json(user_json(caller.account, &stored)),
    ))
}

async fn list(State(state): State<ApiState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    let sim = simulator(&state)?;
    let users: Vec<Value> = sim
        .users(caller.account)
        .iter()
        .map(|u| user_json(caller.account, u))
        .collect();
    Ok(Json(json!({ "whatsapp_users": users, "uri": BASE })))
}

async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let (_, user) = known_user(&state, caller.account, &target)?;
    Ok(Json(user_json(caller.account, &user)))
}

pub(crate) async fn remove(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<StatusCode, ApiError> {
    let sim = simulator(&state)?;
    let number = path_number(&target)?;
    if sim.delete_user(caller.account, &number) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(target.not_found())
    }
}

async fn list_calls(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let (sim, user) = known_user(&state, caller.account, &target)?;
    let number = user.number;
    let calls: Vec<Value> = sim
        .calls(caller.account, &number)
        .iter()
        .map(|c| call_json(caller.account, c))
        .collect();
    Ok(Json(
        json!({ "calls": calls, "uri": format!("{}/Calls", user_uri(&number)) }),
    ))
}

pub(crate) async fn call(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
    Form(params): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (sim, user) = known_user(&state, caller.account, &target)?;
    let number = user.number;
    let to = params
        .get("To")
        .ok_or_else(|| ApiError::invalid(codes::TO_REQUIRED, "To is required"))?;
    if !matches!(to.parse::<Address>(), Ok(Address::WhatsApp(_))) {
        return Err(ApiError::invalid(
            codes::INVALID_TO,
            format!("To must be a WhatsApp address (whatsapp:+E164): {to:?}"),
        ));
    }
    let call = sim
        .call_business(caller.account, number, to.to_owned())
        .await?;
    Ok((StatusCode::CREATED, Json(call_json(caller.account, &call))))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use dialtone_types::SimulatedAudio;

    use super::*;
    use crate::control::Behavior;

    #[test]
    fn reads_users() {
        let u = user(&Params::parse(
            b"Number=%2B15550002222&Permission=granted&Behavior=no-answer&AnswerAfter=0.5&HangupAfter=3&Digits=12%23",
        ))
        .unwrap();
        assert_eq!(u.number.as_str(), "+15550002222");
        assert_eq!(u.permission, WhatsAppPermission::Granted);
        assert_eq!(u.behavior, Behavior::NoAnswer);
        assert_eq!(u.answer_after, Duration::from_millis(500));
        assert_eq!(u.hangup_after, Some(Duration::from_secs(3)));
        assert_eq!(u.digits.as_deref(), Some("12#"));
        assert_eq!(u.audio, SimulatedAudio::Silence);
        let toned = user(&Params::parse(b"Number=%2B15550002222&Audio=tone%3A440")).unwrap();
        assert_eq!(toned.audio, SimulatedAudio::Tone(440));
        let plain = user(&Params::parse(b"Number=+15550002222")).unwrap();
        assert_eq!(plain.number.as_str(), "+15550002222");
        assert_eq!(plain.permission, WhatsAppPermission::None);
        assert_eq!(plain.answer_after, Duration::from_secs(1));
        assert_eq!(plain.consent_reply, WhatsAppConsentReply::Accept);
        assert_eq!(plain.reply_after, Duration::from_secs(1));
        let consent = user(&Params::parse(
            b"Number=%2B15550002222&ConsentReply=accept-permanent&ReplyAfter=2.5",
        ))
        .unwrap();
        assert_eq!(consent.consent_reply, WhatsAppConsentReply::AcceptPermanent);
        assert_eq!(consent.reply_after, Duration::from_millis(2500));
        for (bad, code) in [
            ("", codes::INVALID_PARAMETER),
            ("Number=15550002222", codes::INVALID_TO),
            ("Number=%2B0123", codes::INVALID_TO),
            ("Number=%2B1555&Permission=maybe", codes::INVALID_PARAMETER),
            ("Number=%2B1555&Behavior=ring", codes::INVALID_PARAMETER),
            ("Number=%2B1555&AnswerAfter=-1", codes::INVALID_PARAMETER),
            ("Number=%2B1555&HangupAfter=NaN", codes::INVALID_PARAMETER),
            ("Number=%2B1555&Digits=12x", codes::INVALID_PARAMETER),
            ("Number=%2B1555&Audio=tone%3A10", codes::INVALID_PARAMETER),
            ("Number=%2B1555&Audio=noise", codes::INVALID_PARAMETER),
            (
                "Number=%2B1555&ConsentReply=maybe",
                codes::INVALID_PARAMETER,
            ),
            ("Number=%2B1555&ReplyAfter=-2", codes::INVALID_PARAMETER),
        ] {
            let e = user(&Params::parse(bad.as_bytes())).unwrap_err();
            assert_eq!(e.status_and_code().1, Some(code), "{bad}");
        }
    }
}
