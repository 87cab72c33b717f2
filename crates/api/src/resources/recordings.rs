//! Recordings: `/2010-04-01/Accounts/{AC}/Recordings.json`, `/Recordings/{RE}[.json|.wav|.mp3]`
//! and the call-scoped `/Calls/{CA}/Recordings.json`, `/Calls/{CA}/Recordings/{RE}.json`
//! (twilio-media.md §7).
//!
//! - The account-level representation has `subresource_uris` and `media_url` (no extension,
//!   under the server's public URL); the call-scoped one has `track` instead, and its `uri`
//!   is under the call.
//! - `duration` is a string, null while recording; `price` is null, `price_unit` `USD`;
//!   `error_code` an integer or null; `encryption_details` null; `conference_sid` null.
//! - Lists are newest first with `DateCreated`, `DateCreated<`, `DateCreated>` (and `CallSid`
//!   for the account list), paged like the Calls list.
//! - `DELETE` answers 204 and removes the media too; a recording not finished yet
//!   (`in-progress`, `paused`, `stopped`, `processing`) is 20009, as for a live call.
//! - Another account's recording is 20404, exactly like a missing one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialtone_store::{DateOp, Recording, RecordingFilter, TimeRange};
use dialtone_types::{Sid, SidKind};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::{ApiError, codes};
use crate::paging::{Paging, envelope};
use crate::params::{Params, Query};
use crate::render::{API_VERSION, account_base, date};
use crate::state::ApiState;
use crate::target::Target;

/// What a `/Recordings/{segment}` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `.json`: the resource.
    Json,
    /// No extension or `.wav`: `audio/x-wav`.
    Wav,
    /// `.mp3`: `audio/mpeg`.
    Mp3,
}

/// Splits `RE....json` / `RE....wav` / `RE....mp3` / `RE...`.
pub(crate) fn parse_segment(segment: &str) -> Option<(Sid, Format)> {
    let (sid, format) = if let Some(s) = segment.strip_suffix(".json") {
        (s, Format::Json)
    } else if let Some(s) = segment.strip_suffix(".wav") {
        (s, Format::Wav)
    } else if let Some(s) = segment.strip_suffix(".mp3") {
        (s, Format::Mp3)
    } else {
        (segment, Format::Wav)
    };
    Sid::parse_kind(sid, SidKind::Recording)
        .ok()
        .map(|s| (s, format))
}

fn common_json(r: &Recording) -> Value {
    json!({
        "account_sid": r.account_sid,
        "api_version": API_VERSION,
        "call_sid": r.call_sid,
        "conference_sid": r.conference_sid,
        "channels": r.channels,
        "date_created": date(r.date_created),
        "date_updated": date(r.date_updated),
        "start_time": date(r.start_time),
        "duration": r.duration.map(|d| d.to_string()),
        "encryption_details": Value::Null,
        "error_code": r.error_code,
        "price": Value::Null,
        "price_unit": "USD",
        "sid": r.sid,
        "source": r.source,
        "status": r.status.as_str(),
    })
}

/// The account-level representation.
pub(crate) fn recording_json(r: &Recording, public_url: &str) -> Value {
    let base = format!("{}/Recordings/{}", account_base(r.account_sid), r.sid);
    let mut v = common_json(r);
    v["uri"] = json!(format!("{base}.json"));
    v["subresource_uris"] = json!({
        "add_on_results": format!("{base}/AddOnResults.json"),
        "transcriptions": format!("{base}/Transcriptions.json"),
    });
    v["media_url"] = json!(format!("{public_url}{base}"));
    v
}

/// The call-scoped representation.
pub(crate) fn call_recording_json(r: &Recording) -> Value {
    let mut v = common_json(r);
    v["track"] = json!(r.track);
    v["uri"] = json!(format!(
        "{}/Calls/{}/Recordings/{}.json",
        account_base(r.account_sid),
        r.call_sid,
        r.sid
    ));
    v
}

fn invalid(name: &str, value: &str, expected: &str) -> ApiError {
    ApiError::invalid(
        codes::INVALID_PARAMETER,
        format!("Invalid {name} {value:?}: expected {expected}"),
    )
}

const DATE_FILTERS: [(&str, DateOp); 3] = [
    ("DateCreated", DateOp::On),
    ("DateCreated<", DateOp::OnOrBefore),
    ("DateCreated>", DateOp::OnOrAfter),
];

fn date_filter(p: &Params) -> Result<TimeRange, ApiError> {
    let mut range = TimeRange::default();
    for (name, op) in DATE_FILTERS {
        if let Some(v) = p.get(name) {
            range
                .constrain(op, v)
                .map_err(|_| invalid(name, v, "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ"))?;
        }
    }
    Ok(range)
}

fn carried<'a>(p: &'a Params, names: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    names
        .iter()
        .filter_map(|name| p.get(name).map(|v| (*name, v)))
        .collect()
}

/// `GET Recordings.json`.
pub(crate) async fn list(
    State(state): State<ApiState>,
    caller: Caller,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    let mut filter = RecordingFilter {
        call_sid: None,
        date_created: date_filter(&query)?,
    };
    if let Some(v) = query.get("CallSid") {
        filter.call_sid = Some(
            Sid::parse_kind(v, SidKind::Call).map_err(|_| invalid("CallSid", v, "a call SID"))?,
        );
    }
    let paging = Paging::from_params(&query)?;
    let page = state
        .store
        .list_recordings(caller.account, &filter, &paging.request)
        .await
        .map_err(ApiError::store)?;
    let records = page
        .items
        .iter()
        .map(|r| recording_json(r, &state.public_url))
        .collect();
    let path = format!("{}/Recordings.json", account_base(caller.account));
    let filters = carried(
        &query,
        &["CallSid", "DateCreated", "DateCreated<", "DateCreated>"],
    );
    Ok(Json(envelope(
        "recordings",
        records,
        &paging,
        page.next,
        &path,
        &filters,
    )))
}

/// `GET Calls/{CA}/Recordings.json`: 20404 for a call the account does not have.
pub(crate) async fn list_for_call(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
    Query(query): Query,
) -> Result<Json<Value>, ApiError> {
    let call = target.sid("call", SidKind::Call)?;
    state
        .store
        .fetch_call(caller.account, call)
        .await
        .map_err(|e| target.store_error(e))?;
    let filter = RecordingFilter {
        call_sid: Some(call),
        date_created: date_filter(&query)?,
    };
    let paging = Paging::from_params(&query)?;
    let page = state
        .store
        .list_recordings(caller.account, &filter, &paging.request)
        .await
        .map_err(ApiError::store)?;
    let records = page.items.iter().map(call_recording_json).collect();
    let filters = carried(&query, &["DateCreated", "DateCreated<", "DateCreated>"]);
    Ok(Json(envelope(
        "recordings",
        records,
        &paging,
        page.next,
        target.path(),
        &filters,
    )))
}

/// `GET Recordings/{RE}.json` (the resource) or `{RE}`, `{RE}.wav`, `{RE}.mp3` (the media).
pub(crate) async fn fetch(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
    headers: axum::http::HeaderMap,
    Query(query): Query,
) -> Result<Response, ApiError> {
    let (sid, format) =
        parse_segment(target.segment("recording")?).ok_or_else(|| target.not_found())?;
    let r = state
        .store
        .fetch_recording(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    match format {
        Format::Json => Ok(Json(recording_json(&r, &state.public_url)).into_response()),
        media => crate::media::serve(&state, &target, &r, media, &headers, &query).await,
    }
}

/// `DELETE Recordings/{RE}.json`: 204; the media goes too.
pub(crate) async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<StatusCode, ApiError> {
    let sid = target.json_sid("recording", SidKind::Recording)?;
    let r = state
        .store
        .fetch_recording(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    check_finished(&r)?;
    let r = state
        .store
        .delete_recording(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    if let (Some(media), Some(files)) = (r.media.as_deref(), state.recordings.as_ref())
        && let Err(e) = files.delete(media).await
    {
        tracing::warn!(recording = %sid, error = %e, "recording media not deleted");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// 20009 for a recording still being made.
fn check_finished(r: &Recording) -> Result<(), ApiError> {
    use dialtone_store::RecordingStatus::{Absent, Completed};
    if matches!(r.status, Completed | Absent) {
        return Ok(());
    }
    Err(ApiError::invalid(
        codes::DELETE_BEFORE_COMPLETE,
        format!(
            "Cannot delete this resource before it is complete: the recording is {}",
            r.status
        ),
    ))
}

/// The recording of call `{call}` named by the path, or 20404.
async fn call_recording(
    state: &ApiState,
    caller: &Caller,
    target: &Target,
) -> Result<Recording, ApiError> {
    let call = target.sid("call", SidKind::Call)?;
    let sid = target.json_sid("recording", SidKind::Recording)?;
    let r = state
        .store
        .fetch_recording(caller.account, sid)
        .await
        .map_err(|e| target.store_error(e))?;
    if r.call_sid != call {
        return Err(target.not_found());
    }
    Ok(r)
}

/// `GET Calls/{CA}/Recordings/{RE}.json`.
pub(crate) async fn fetch_for_call(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<Json<Value>, ApiError> {
    let r = call_recording(&state, &caller, &target).await?;
    Ok(Json(call_recording_json(&r)))
}

/// `DELETE Calls/{CA}/Recordings/{RE}.json`: 204.
pub(crate) async fn delete_for_call(
    State(state): State<ApiState>,
    caller: Caller,
    target: Target,
) -> Result<StatusCode, ApiError> {
    let r = call_recording(&state, &caller, &target).await?;
    check_finished(&r)?;
    state
        .store
        .delete_recording(caller.account, r.sid)
        .await
        .map_err(|e| target.store_error(e))?;
    if let (Some(media), Some(files)) = (r.media.as_deref(), state.recordings.as_ref())
        && let Err(e) = files.delete(media).await
    {
        tracing::warn!(recording = %r.sid, error = %e, "recording media not deleted");
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments() {
        let re = "RE0123456789abcdef0123456789abcdef";
        let sid = Sid::parse_kind(re, SidKind::Recording).unwrap();
        assert_eq!(
            parse_segment(&format!("{re}.json")),
            Some((sid, Format::Json))
        );
        assert_eq!(parse_segment(re), Some((sid, Format::Wav)));
        assert_eq!(
            parse_segment(&format!("{re}.wav")),
            Some((sid, Format::Wav))
        );
        assert_eq!(
            parse_segment(&format!("{re}.mp3")),
            Some((sid, Format::Mp3))
        );
        assert_eq!(parse_segment(&format!("{re}.ogg")), None);
        assert_eq!(
            parse_segment("CA0123456789abcdef0123456789abcdef.json"),
            None
        );
    }
}
