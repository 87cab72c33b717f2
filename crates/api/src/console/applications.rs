//! TwiML applications: list, create, edit, delete.
//!
//! The forms post Twilio's own parameter names (`FriendlyName`, `VoiceUrl`...) and each
//! action is the REST handler itself, called with the session's caller: validation, error
//! codes and side effects (a deleted application makes its senders voice-disabled) are the
//! API's, in one place. A refusal shows its Twilio code and message above the form.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dialtone_store::{Application, PageRequest, PageSize, StoreError};
use dialtone_types::{Sid, SidKind};
use maud::{Markup, html};

use crate::console::call::not_found;
use crate::console::forms::{failure, field};
use crate::console::layout::{self, Nav, csrf_field, when};
use crate::console::session::Session;
use crate::error::ApiError;
use crate::params::{Form, Params};
use crate::resources::applications as api;
use crate::state::ApiState;
use crate::target::Target;

const METHODS: [&str; 2] = ["POST", "GET"];

fn method_select(name: &str, current: &str) -> Markup {
    html! {
        select name=(name) {
            @for m in METHODS { option value=(m) selected[current.eq_ignore_ascii_case(m)] { (m) } }
        }
    }
}

/// The form's fields, filled from `values` (what was posted, or the stored application).
fn fields(values: &Params) -> Markup {
    let v = |n: &str| values.raw(n).unwrap_or("").to_owned();
    html! {
        (field("Friendly name", "FriendlyName", &v("FriendlyName")))
        (field("Voice URL", "VoiceUrl", &v("VoiceUrl")))
        label { "Voice method" (method_select("VoiceMethod", &v("VoiceMethod"))) }
        (field("Voice fallback URL", "VoiceFallbackUrl", &v("VoiceFallbackUrl")))
        label { "Fallback method" (method_select("VoiceFallbackMethod", &v("VoiceFallbackMethod"))) }
        (field("Status callback URL", "StatusCallback", &v("StatusCallback")))
        label { "Status callback method" (method_select("StatusCallbackMethod", &v("StatusCallbackMethod"))) }
    }
}

fn as_params(a: &Application) -> Params {
    let pairs = [
        ("FriendlyName", a.friendly_name.as_str()),
        ("VoiceUrl", a.voice_url.as_deref().unwrap_or("")),
        ("VoiceMethod", a.voice_method.as_str()),
        (
            "VoiceFallbackUrl",
            a.voice_fallback_url.as_deref().unwrap_or(""),
        ),
        ("VoiceFallbackMethod", a.voice_fallback_method.as_str()),
        ("StatusCallback", a.status_callback.as_deref().unwrap_or("")),
        ("StatusCallbackMethod", a.status_callback_method.as_str()),
    ];
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    Params::parse(s.finish().as_bytes())
}

async fn list_page(
    state: &ApiState,
    session: &Session,
    status: StatusCode,
    error: Option<String>,
    posted: &Params,
) -> Response {
    let apps = match state
        .store
        .list_applications(
            session.caller.account,
            None,
            &PageRequest::first(PageSize::MAX),
        )
        .await
    {
        Ok(p) => p.items,
        Err(e) => return ApiError::store(e).into_response(),
    };
    let body = html! {
        h1 { "Applications" }
        @if apps.is_empty() { p.empty { "No applications yet." } }
        @else {
            table.apps {
                thead { tr { th { "SID" } th { "Name" } th { "Voice URL" } th { "Updated" } } }
                tbody {
                    @for a in &apps {
                        tr {
                            td { a href={"/console/applications/" (a.sid)} { (a.sid) } }
                            td.name { (a.friendly_name) }
                            td.addr { (a.voice_method) " " (a.voice_url.as_deref().unwrap_or("—")) }
                            td { (when(a.date_updated)) }
                        }
                    }
                }
            }
        }
        h2 { "New application" }
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        form.edit method="post" action="/console/applications" {
            (csrf_field(session))
            (fields(posted))
            button type="submit" { "Create" }
        }
    };
    layout::page_with_status(status, session, Nav::Applications, "Applications", &body)
}

/// `GET /console/applications`.
pub(crate) async fn list(State(state): State<ApiState>, session: Session) -> Response {
    list_page(&state, &session, StatusCode::OK, None, &Params::default()).await
}

/// `POST /console/applications`.
pub(crate) async fn create(
    State(state): State<ApiState>,
    session: Session,
    Form(params): Form,
) -> Response {
    match api::create(State(state.clone()), session.caller, Form(params.clone())).await {
        Ok((_, body)) => {
            let sid = body.0["sid"].as_str().unwrap_or_default().to_owned();
            Redirect::to(&format!("/console/applications/{sid}")).into_response()
        }
        Err(e) => {
            let (status, message) = failure(&e);
            list_page(&state, &session, status, Some(message), &params).await
        }
    }
}

fn api_target(sid: Sid) -> Target {
    let segment = format!("{sid}.json");
    Target::new(
        format!("/console/applications/{sid}"),
        &[("application", segment.as_str())],
    )
}

fn edit_page(
    session: &Session,
    sid: Sid,
    status: StatusCode,
    error: Option<&str>,
    values: &Params,
) -> Response {
    let body = html! {
        p.crumbs { a href="/console/applications" { "Applications" } " / " (sid) }
        h1 { "Application " (sid) }
        @if let Some(e) = error { p.error role="alert" { (e) } }
        form.edit method="post" action={"/console/applications/" (sid)} {
            (csrf_field(session))
            (fields(values))
            button type="submit" { "Save" }
        }
        form.delete method="post" action={"/console/applications/" (sid) "/delete"} {
            (csrf_field(session))
            button.danger type="submit" { "Delete this application" }
        }
    };
    layout::page_with_status(status, session, Nav::Applications, "Application", &body)
}

/// `GET /console/applications/{application}`.
pub(crate) async fn edit(
    State(state): State<ApiState>,
    session: Session,
    target: Target,
) -> Response {
    let Ok(sid) = target.sid("application", SidKind::Application) else {
        return not_found(&session, "application");
    };
    match state
        .store
        .fetch_application(session.caller.account, sid)
        .await
    {
        Ok(a) => edit_page(&session, sid, StatusCode::OK, None, &as_params(&a)),
        Err(StoreError::NotFound(_)) => not_found(&session, "application"),
        Err(e) => ApiError::store(e).into_response(),
    }
}

/// `POST /console/applications/{application}`.
pub(crate) async fn update(
    State(state): State<ApiState>,
    session: Session,
    target: Target,
    Form(params): Form,
) -> Response {
    let Ok(sid) = target.sid("application", SidKind::Application) else {
        return not_found(&session, "application");
    };
    match api::update(
        State(state),
        session.caller,
        api_target(sid),
        Form(params.clone()),
    )
    .await
    {
        Ok(_) => Redirect::to("/console/applications").into_response(),
        Err(ApiError::NotFound(_)) => not_found(&session, "application"),
        Err(e) => {
            let (status, message) = failure(&e);
            edit_page(&session, sid, status, Some(&message), &params)
        }
    }
}

/// `POST /console/applications/{application}/delete`.
pub(crate) async fn delete(
    State(state): State<ApiState>,
    session: Session,
    target: Target,
) -> Response {
    let Ok(sid) = target.sid("application", SidKind::Application) else {
        return not_found(&session, "application");
    };
    match api::delete(State(state), session.caller, api_target(sid)).await {
        Ok(_) => Redirect::to("/console/applications").into_response(),
        Err(ApiError::NotFound(_)) => not_found(&session, "application"),
        Err(e) => {
            let (status, message) = failure(&e);
            layout::error_page(status, "Not deleted", &message)
        }
    }
}
