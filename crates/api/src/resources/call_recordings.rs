//! Recording a live call over REST (twilio-media.md §7.2, §7.3): `POST
//! Calls/{CA}/Recordings.json` (`CreateCallRecording`, 201) and `POST
//! Calls/{CA}/Recordings/{RE|Twilio.CURRENT}.json` (`UpdateCallRecording`, 200). Both answer
//! with the call-scoped Recording resource as stored after the command.
//!
//! Checks, in order: the call (20404, another account's included), the parameters (20001 for
//! an unknown enumeration value or a missing `Status`, 21205 for a URL, 21209 for a method),
//! then the engine (21220: the call is not in progress, or the recording already finished;
//! 20404: no such recording on this call, or `Twilio.CURRENT` with none going).
//! `RecordingConfigurationId`, and `PlayBeep`/`Transcribe`/`TranscriptionConfiguration` that
//! Twilio's example shows, are accepted and ignored.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use dialtone_twiml::{RecordingEvents, RecordingTrack, Trim};
use dialtone_types::{Sid, SidKind};
use serde_json::Value;

use crate::admission::Admitted;
use crate::auth::Caller;
use crate::control::{PauseBehavior, RecordingRef, RecordingStartRequest, RecordingUpdate};
use crate::error::{ApiError, codes};
use crate::http::NoReturn;
use crate::params::{Form, Params};
use crate::resources::recordings::call_recording_json;
use crate::state::ApiState;
use crate::target::Target;
use crate::validate::{method_param, url_param};

fn invalid(name: &str, value: &str, expected: &str) -> ApiError {
    ApiError::invalid(
        codes::INVALID_PARAMETER,
        format!("{name} is not valid: {value:?}. Use {expected}"),
    )
}

/// `RecordingStatusCallbackEvent`: repeated and/or space-separated; none given is
/// `completed`.
fn events(p: &Params) -> Result<RecordingEvents, ApiError> {
    let mut events = RecordingEvents {
        in_progress: false,
        completed: false,
        absent: false,
    };
    let mut any = false;
    for value in p.all("RecordingStatusCallbackEvent") {
        for token in value.split_ascii_whitespace() {
            any = true;
            match token {
                "in-progress" => events.in_progress = true,
                "completed" => events.completed = true,
                "absent" => events.absent = true,
                other => {
                    return Err(invalid(
                        "RecordingStatusCallbackEvent",
                        other,
                        "in-progress, completed or absent",
                    ));
                }
            }
        }
    }
    Ok(if any {
        events
    } else {
        RecordingEvents::default()
    })
}

fn choice<T: Copy>(
    p: &Params,
    name: &str,
    values: &[(&str, T)],
    default: T,
) -> Result<T, ApiError> {
    let Some(v) = p.get(name) else {
        return Ok(default);
    };
    values
        .iter()
        .find(|(text, _)| *text == v)
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let names: Vec<&str> = values.iter().map(|(t, _)| *t).collect();
            invalid(name, v, &names.join(" or "))
        })
}

/// `CreateCallRecording`'s parameters (`Trim` defaults to `do-not-trim`).
pub(crate) fn start_request(p: &Params) -> Result<RecordingStartRequest, ApiError> {
    recording_options(p, Trim::DoNotTrim)
}

/// The recording parameters shared by `CreateCallRecording` and `POST Calls.json`
/// (`Record=true`), with `default_trim` when `Trim` is absent.
pub(crate) fn recording_options(
    p: &Params,
    default_trim: Trim,
) -> Result<RecordingStartRequest, ApiError> {
    Ok(RecordingStartRequest {
        callback: url_param(p, "RecordingStatusCallback")?,
        callback_method: method_param(p, "RecordingStatusCallbackMethod")?.unwrap_or_default(),
        events: events(p)?,
        trim: choice(
            p,
            "Trim",
            &[
                ("trim-silence", Trim::TrimSilence),
                ("do-not-trim", Trim::DoNotTrim),
            ],
            default_trim,
        )?,
        channels: choice(p, "RecordingChannels", &[("mono", 1), ("dual", 2)], 1)?,
        track: choice(
            p,
            "RecordingTrack",
            &[
                ("inbound", RecordingTrack::Inbound),
                ("outbound", RecordingTrack::Outbound),
                ("both", RecordingTrack::Both),
            ],
            RecordingTrack::Both,
        )?,
    })
}

pub(crate) fn update_request(p: &Params) -> Result<RecordingUpdate, ApiError> {
    let behavior = choice(
        p,
        "PauseBehavior",
        &[
            ("skip", PauseBehavior::Skip),
            ("silence", PauseBehavior::Silence),
        ],
        PauseBehavior::Silence,
    )?;
    match p.get("Status") {
        None => Err(ApiError::invalid(
            codes::INVALID_PARAMETER,
            "Missing required parameter Status: use paused, in-progress or stopped",
        )),
        Some("paused") => Ok(RecordingUpdate::Pause(behavior)),
        Some("in-progress") => Ok(RecordingUpdate::Resume),
        Some("stopped") => Ok(RecordingUpdate::Stop),
        Some(other) => Err(invalid("Status", other, "paused, in-progress or stopped")),
    }
}

/// `{RE}.json` or `Twilio.CURRENT.json`; anything else names nothing (20404).
fn recording_ref(target: &Target) -> Result<RecordingRef, ApiError> {
    let segment = target.segment("recording")?;
    let name = segment
        .strip_suffix(".json")
        .ok_or_else(|| target.not_found())?;
    if name == "Twilio.CURRENT" {
        return Ok(RecordingRef::Current);
    }
    Sid::parse_kind(name, SidKind::Recording)
        .map(RecordingRef::Sid)
        .map_err(|_| target.not_found())
}

/// The call of the path, checked to be the caller's (20404 otherwise).
async fn call_of(state: &ApiState, caller: &Caller, target: &Target) -> Result<Sid, ApiError> {
    let call = target.sid("call", SidKind::Call)?;
    state
        .store
        .fetch_call(caller.account, call)
        .await
        .map_err(|e| target.store_error(e))?;
    Ok(call)
}

/// `POST Calls/{CA}/Recordings.json`: 201 with the recording `in-progress`.
pub(crate) async fn create(
    State(state): State<ApiState>,
    caller: Caller,
    _slot: Admitted,
    no_return: NoReturn,
    target: Target,
    Form(params): Form,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let call = call_of(&state, &caller, &target).await?;
    let request = start_request(&params)?;
    let accepted = state
        .control
        .start_recording(caller.account, call, request)
        .await?;
    no_return.pass();
    let recording = accepted.await?;
    Ok((StatusCode::CREATED, Json(call_recording_json(&recording))))
}

/// `POST Calls/{CA}/Recordings/{RE|Twilio.CURRENT}.json`: 200 with the recording as it now is.
pub(crate) async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    _slot: Admitted,
    no_return: NoReturn,
    target: Target,
    Form(params): Form,
) -> Result<Json<Value>, ApiError> {
    let call = call_of(&state, &caller, &target).await?;
    let recording = recording_ref(&target)?;
    let update = update_request(&params)?;
    let accepted = state
        .control
        .update_recording(caller.account, call, recording, update)
        .await
        .map_err(|e| not_found_here(e, &target))?;
    no_return.pass();
    let recording = accepted.await.map_err(|e| not_found_here(e, &target))?;
    Ok(Json(call_recording_json(&recording)))
}

/// A recording the engine does not know is 20404 for the request's path.
fn not_found_here(e: crate::control::ControlError, target: &Target) -> ApiError {
    if e.code == dialtone_types::TwilioCode::NOT_FOUND {
        target.not_found()
    } else {
        e.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Params {
        Params::parse(body.as_bytes())
    }

    #[test]
    fn start_parameters_and_defaults() {
        let r = start_request(&Params::default()).unwrap();
        assert_eq!(
            r,
            RecordingStartRequest {
                callback: None,
                callback_method: dialtone_twiml::Method::Post,
                events: RecordingEvents::default(),
                trim: Trim::DoNotTrim,
                channels: 1,
                track: RecordingTrack::Both,
            }
        );
        let r = start_request(&parse(
            "RecordingStatusCallbackEvent=in-progress+completed&RecordingStatusCallbackEvent=absent&RecordingChannels=dual&RecordingTrack=inbound&Trim=trim-silence&RecordingStatusCallbackMethod=GET",
        ))
        .unwrap();
        assert_eq!(
            (r.events.in_progress, r.events.completed, r.events.absent),
            (true, true, true)
        );
        assert_eq!(
            (r.channels, r.track, r.trim),
            (2, RecordingTrack::Inbound, Trim::TrimSilence)
        );
        assert_eq!(r.callback_method, dialtone_twiml::Method::Get);
        for bad in [
            "RecordingChannels=stereo",
            "RecordingTrack=left",
            "Trim=yes",
            "RecordingStatusCallbackEvent=paused",
        ] {
            let e = start_request(&parse(bad)).unwrap_err();
            assert_eq!(
                e.status_and_code().1,
                Some(codes::INVALID_PARAMETER),
                "{bad}"
            );
        }
        let e = start_request(&parse("RecordingStatusCallback=not-a-url")).unwrap_err();
        assert_eq!(e.status_and_code().1, Some(codes::INVALID_URL));
        let e = start_request(&parse("RecordingStatusCallbackMethod=PUT")).unwrap_err();
        assert_eq!(e.status_and_code().1, Some(codes::INVALID_METHOD));
    }

    #[test]
    fn update_parameters() {
        assert_eq!(
            update_request(&parse("Status=paused")).unwrap(),
            RecordingUpdate::Pause(PauseBehavior::Silence)
        );
        assert_eq!(
            update_request(&parse("Status=paused&PauseBehavior=skip")).unwrap(),
            RecordingUpdate::Pause(PauseBehavior::Skip)
        );
        assert_eq!(
            update_request(&parse("Status=in-progress&PauseBehavior=skip")).unwrap(),
            RecordingUpdate::Resume
        );
        assert_eq!(
            update_request(&parse("Status=stopped")).unwrap(),
            RecordingUpdate::Stop
        );
        for bad in ["", "Status=completed", "Status=paused&PauseBehavior=mute"] {
            let e = update_request(&parse(bad)).unwrap_err();
            assert_eq!(
                e.status_and_code().1,
                Some(codes::INVALID_PARAMETER),
                "{bad}"
            );
        }
    }
}
