//! Checking `POST .../Calls.json` and resolving `ApplicationSid`.
//!
//! Checks run in the order a client fixes them (`To`, `From`, the TwiML source, then the
//! options), each with Twilio's code. When several sources are given Twilio's precedence
//! applies: `ApplicationSid`, then `Url`, then `Twiml`; with `ApplicationSid` the
//! application's URLs, methods and status callback are used and `Method`, `FallbackUrl`,
//! `StatusCallback` and `StatusCallbackEvent` are ignored, as Twilio documents.
//! `Record=true` records the call from its answer (`OutboundAPI`) with `RecordingChannels`,
//! `RecordingTrack`, `Trim` (default `trim-silence`) and the `RecordingStatusCallback*`
//! parameters, checked as `CreateCallRecording` checks them; `RecordingConfigurationId` is
//! accepted and ignored.

use dialtone_store::StoreError;
use dialtone_twiml::{Context, Method, Trim};
use dialtone_types::{Address, Sid, SidKind};

use crate::control::{CallSource, NewCallRequest, RecordingStartRequest};
use crate::error::{ApiError, codes};
use crate::params::Params;
use crate::resources::call_recordings::recording_options;
use crate::state::ApiState;
use crate::validate::{http_url, method_param, seconds_param, url_param};

/// Twilio's default ring time.
const DEFAULT_TIMEOUT: u32 = 60;
/// Twilio's longest ring time; larger values are lowered to it.
const MAX_TIMEOUT: u32 = 600;
/// Longest `TimeLimit` (24 hours).
const MAX_TIME_LIMIT: u32 = 86_400;
/// Longest `From` kept.
const MAX_FROM_CHARS: usize = 256;
/// The events a call's status callback may subscribe to.
const EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];

pub(super) async fn new_call_request(
    state: &ApiState,
    account: Sid,
    p: &Params,
) -> Result<NewCallRequest, ApiError> {
    let to_raw = p
        .get("To")
        .ok_or_else(|| ApiError::invalid(codes::TO_REQUIRED, "No 'To' number is specified"))?;
    let to: Address = to_raw.parse().map_err(|_| {
        ApiError::invalid(
            codes::INVALID_TO,
            format!("Invalid 'To' Phone Number: {to_raw}"),
        )
    })?;
    let from = p
        .get("From")
        .ok_or_else(|| ApiError::invalid(codes::FROM_REQUIRED, "No 'From' number is specified"))?;
    check_from(&to, from)?;

    let method = method_param(p, "Method")?.unwrap_or_default();
    let fallback_url = url_param(p, "FallbackUrl")?;
    let fallback_method = method_param(p, "FallbackMethod")?.unwrap_or_default();
    let status_callback = url_param(p, "StatusCallback")?;
    let status_callback_method = method_param(p, "StatusCallbackMethod")?.unwrap_or_default();
    let status_callback_events = events(p)?;
    let timeout = timeout(p)?;
    let time_limit = seconds_param(p, "TimeLimit", 1..=MAX_TIME_LIMIT, codes::INVALID_PARAMETER)?;
    let record = record(p)?;

    let mut request = NewCallRequest {
        account,
        to,
        from: from.to_owned(),
        source: CallSource::Twiml(String::new()),
        method,
        fallback_url,
        fallback_method,
        status_callback,
        status_callback_method,
        status_callback_events,
        timeout,
        time_limit,
        application_sid: None,
        record,
    };
    if let Some(app) = p.get("ApplicationSid") {
        apply_application(state, account, app, &mut request).await?;
    } else if let Some(url) = p.get("Url") {
        let url = http_url(url).ok_or_else(|| {
            ApiError::invalid(codes::INVALID_URL, format!("Url is not a valid URL: {url}"))
        })?;
        request.source = CallSource::Url(url);
    } else if let Some(twiml) = p.get("Twiml") {
        check_twiml(twiml)?;
        request.source = CallSource::Twiml(twiml.to_owned());
    } else {
        return Err(ApiError::invalid(
            codes::INVALID_URL,
            "Url parameter is required: give one of Url, Twiml or ApplicationSid",
        ));
    }
    Ok(request)
}

/// `From` must be one of Twilio's address forms (`+E164`, `client:name`, `whatsapp:+E164`,
/// `sip:...`): a phone number when `To` is one, a WhatsApp sender when `To` is a WhatsApp
/// user, any form for calls to clients and SIP.
fn check_from(to: &Address, from: &str) -> Result<(), ApiError> {
    let invalid = || {
        ApiError::invalid(
            codes::INVALID_FROM,
            format!("Invalid 'From' Phone Number: {from}"),
        )
    };
    if from.chars().count() > MAX_FROM_CHARS || from.chars().any(char::is_control) {
        return Err(invalid());
    }
    let parsed = from.parse::<Address>();
    let ok = match to {
        Address::Phone(_) => matches!(parsed, Ok(Address::Phone(_))),
        Address::WhatsApp(_) => matches!(parsed, Ok(Address::WhatsApp(_))),
        Address::Client(_) | Address::Sip(_) => parsed.is_ok(),
        // Parsing never yields free text, so `To` is never one here.
        Address::Text(_) => false,
    };
    if ok { Ok(()) } else { Err(invalid()) }
}

/// `StatusCallbackEvent`, repeated or space-separated; `completed` when absent.
fn events(p: &Params) -> Result<Vec<String>, ApiError> {
    let mut events: Vec<String> = Vec::new();
    for value in p.all("StatusCallbackEvent") {
        for event in value.split_whitespace() {
            if !EVENTS.contains(&event) {
                return Err(ApiError::invalid(
                    codes::INVALID_STATUS_CALLBACK_EVENT,
                    format!(
                        "StatusCallbackEvent is not valid: {event:?}. \
                         Use initiated, ringing, answered or completed"
                    ),
                ));
            }
            if !events.iter().any(|e| e == event) {
                events.push(event.to_owned());
            }
        }
    }
    if events.is_empty() {
        events.push("completed".to_owned());
    }
    Ok(events)
}

/// `Record` (`true`/`false`, any case) and the recording's parameters, checked whether or
/// not `Record` is true (20001, 21205, 21209 as for `CreateCallRecording`); `Trim` defaults to
/// `trim-silence` here, as Twilio documents for Calls.
fn record(p: &Params) -> Result<Option<RecordingStartRequest>, ApiError> {
    let options = recording_options(p, Trim::TrimSilence)?;
    let on = match p.get("Record") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(ApiError::invalid(
                codes::INVALID_PARAMETER,
                format!("Record is not valid: {v:?}. Use true or false"),
            ));
        }
    };
    Ok(on.then_some(options))
}

/// `Timeout`: 60 when absent, at least 1, lowered to 600 above it.
fn timeout(p: &Params) -> Result<u32, ApiError> {
    Ok(
        seconds_param(p, "Timeout", 1..=u32::MAX, codes::INVALID_TIMEOUT)?
            .map_or(DEFAULT_TIMEOUT, |t| t.min(MAX_TIMEOUT)),
    )
}

/// The REST `Twiml` must be usable: at most 4000 characters (32018) and a parseable
/// `<Response>` document; warnings are left for the engine to report as notifications.
pub(super) fn check_twiml(twiml: &str) -> Result<(), ApiError> {
    let parsed = dialtone_twiml::parse(twiml.as_bytes(), Context::Rest);
    if parsed.document.is_some() {
        return Ok(());
    }
    let (code, message) = parsed.first_error().map_or_else(
        || {
            (
                dialtone_types::TwilioCode::PARSE_FAILURE,
                "Twiml is not valid".to_owned(),
            )
        },
        |d| (d.code, format!("Twiml is not valid: {}", d.message)),
    );
    Err(ApiError::invalid(code, message))
}

/// Replaces the request's TwiML source and callbacks with the application's.
async fn apply_application(
    state: &ApiState,
    account: Sid,
    value: &str,
    request: &mut NewCallRequest,
) -> Result<(), ApiError> {
    let invalid = |why: &str| {
        ApiError::invalid(
            codes::INVALID_APPLICATION,
            format!("ApplicationSid is not valid: {value}{why}"),
        )
    };
    let sid = Sid::parse_kind(value, SidKind::Application).map_err(|_| invalid(""))?;
    let app = match state.store.fetch_application(account, sid).await {
        Ok(app) => app,
        Err(StoreError::NotFound(_)) => return Err(invalid("")),
        Err(e) => return Err(ApiError::store(e)),
    };
    let voice_url = app
        .voice_url
        .as_deref()
        .and_then(http_url)
        .ok_or_else(|| invalid(" (the application has no VoiceUrl)"))?;
    request.source = CallSource::Url(voice_url);
    request.method = Method::parse(&app.voice_method).unwrap_or_default();
    request.fallback_url = app.voice_fallback_url.as_deref().and_then(http_url);
    request.fallback_method = Method::parse(&app.voice_fallback_method).unwrap_or_default();
    request.status_callback = app.status_callback.as_deref().and_then(http_url);
    request.status_callback_method = Method::parse(&app.status_callback_method).unwrap_or_default();
    request.status_callback_events = vec!["completed".to_owned()];
    request.application_sid = Some(sid);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_rules() {
        let phone: Address = "+15551112222".parse().unwrap();
        let client: Address = "client:alice".parse().unwrap();
        let wa: Address = "whatsapp:+15551112222".parse().unwrap();
        assert!(check_from(&phone, "+15553334444").is_ok());
        assert!(check_from(&phone, "client:bob").is_err());
        assert!(check_from(&wa, "whatsapp:+15553334444").is_ok());
        assert!(check_from(&wa, "+15553334444").is_err());
        assert!(check_from(&client, "client:bob").is_ok());
        assert!(check_from(&client, "Anything Goes").is_err());
        assert!(check_from(&client, "bad\u{0}").is_err());
    }

    #[test]
    fn events_are_checked_and_deduplicated() {
        let p = Params::parse(
            b"StatusCallbackEvent=initiated&StatusCallbackEvent=ringing+answered&StatusCallbackEvent=initiated",
        );
        assert_eq!(events(&p).unwrap(), ["initiated", "ringing", "answered"]);
        assert_eq!(events(&Params::default()).unwrap(), ["completed"]);
        let e = events(&Params::parse(b"StatusCallbackEvent=hangup")).unwrap_err();
        assert_eq!(
            e.status_and_code().1,
            Some(codes::INVALID_STATUS_CALLBACK_EVENT)
        );
    }

    #[test]
    fn record_and_its_parameters() {
        assert_eq!(record(&Params::default()).unwrap(), None);
        assert_eq!(
            record(&Params::parse(b"Record=false&RecordingChannels=dual")).unwrap(),
            None
        );
        let r = record(&Params::parse(
            b"Record=True&RecordingChannels=dual&RecordingTrack=outbound\
              &RecordingStatusCallback=https%3A%2F%2Fapp.test%2Frsc&RecordingStatusCallbackMethod=GET\
              &RecordingStatusCallbackEvent=in-progress+absent",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            (r.channels, r.track, r.trim, r.callback_method),
            (
                2,
                dialtone_twiml::RecordingTrack::Outbound,
                Trim::TrimSilence,
                Method::Get
            )
        );
        assert_eq!(r.callback.unwrap().as_str(), "https://app.test/rsc");
        assert_eq!(
            (r.events.in_progress, r.events.completed, r.events.absent),
            (true, false, true)
        );
        let r = record(&Params::parse(b"Record=true&Trim=do-not-trim"))
            .unwrap()
            .unwrap();
        assert_eq!((r.channels, r.trim), (1, Trim::DoNotTrim));
        for (bad, code) in [
            ("Record=yes", codes::INVALID_PARAMETER),
            (
                "Record=true&RecordingChannels=stereo",
                codes::INVALID_PARAMETER,
            ),
            ("RecordingTrack=left", codes::INVALID_PARAMETER),
            ("Record=true&Trim=some", codes::INVALID_PARAMETER),
            (
                "Record=true&RecordingStatusCallbackEvent=paused",
                codes::INVALID_PARAMETER,
            ),
            (
                "Record=true&RecordingStatusCallback=nope",
                codes::INVALID_URL,
            ),
            (
                "Record=true&RecordingStatusCallbackMethod=PUT",
                codes::INVALID_METHOD,
            ),
        ] {
            let e = record(&Params::parse(bad.as_bytes())).unwrap_err();
            assert_eq!(e.status_and_code().1, Some(code), "{bad}");
        }
    }

    #[test]
    fn timeouts() {
        assert_eq!(timeout(&Params::default()).unwrap(), 60);
        assert_eq!(timeout(&Params::parse(b"Timeout=30")).unwrap(), 30);
        assert_eq!(timeout(&Params::parse(b"Timeout=9999")).unwrap(), 600);
        assert!(timeout(&Params::parse(b"Timeout=0")).is_err());
        assert!(timeout(&Params::parse(b"Timeout=-5")).is_err());
        assert!(timeout(&Params::parse(b"Timeout=1.5")).is_err());
    }
}
