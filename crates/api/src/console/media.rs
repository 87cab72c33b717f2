//! Audio for the console's players: recordings (`/console/recordings/RE….wav|.mp3`) and what
//! a simulated party heard (`/console/calls/CA…/heard.wav`). The browser cannot send the
//! REST API's Basic credentials from an `<audio>` element, so these are the API's own media
//! handlers behind the session instead: same formats, same `Range` support, same 404s.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dialtone_types::SidKind;

use crate::console::session::Session;
use crate::params::Query;
use crate::resources::heard;
use crate::resources::recordings::{Format, parse_segment};
use crate::state::ApiState;
use crate::target::Target;

fn not_found(target: &Target) -> Response {
    target.not_found().into_response()
}

/// `GET /console/recordings/{RE….wav|RE….mp3}`; `?download=1` saves it as a file.
pub(crate) async fn recording(
    State(state): State<ApiState>,
    session: Session,
    target: Target,
    headers: HeaderMap,
    Query(query): Query,
) -> Response {
    let Some((sid, format)) = target
        .segment("recording")
        .ok()
        .and_then(parse_segment)
        .filter(|(_, f)| *f != Format::Json)
    else {
        return not_found(&target);
    };
    let r = match state
        .store
        .fetch_recording(session.caller.account, sid)
        .await
    {
        Ok(r) => r,
        Err(e) => return target.store_error(e).into_response(),
    };
    let mut response = match crate::media::serve(
        &state,
        &target,
        &r,
        format,
        &headers,
        &crate::params::Params::default(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return e.into_response(),
    };
    if query.get("download").is_some() {
        let ext = if format == Format::Mp3 { "mp3" } else { "wav" };
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{sid}.{ext}\"")) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, v);
        }
    }
    response
}

/// `GET /console/calls/{call}/heard.wav`.
pub(crate) async fn heard(
    State(state): State<ApiState>,
    session: Session,
    target: Target,
) -> Response {
    let Ok(sid) = target.sid("call", SidKind::Call) else {
        return not_found(&target);
    };
    let sid = sid.to_string();
    let api = Target::new(
        format!("/sim/v1/Calls/{sid}/Heard.wav"),
        &[("call", sid.as_str())],
    );
    match heard::heard(State(state), session.caller, api).await {
        Ok(r) => r,
        Err(e) => {
            let (status, _) = e.status_and_code();
            if status == StatusCode::NOT_FOUND {
                not_found(&target)
            } else {
                e.into_response()
            }
        }
    }
}
