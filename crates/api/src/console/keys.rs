//! API keys: list, create (the secret is shown once, as Twilio's Console does), rename,
//! delete. Each action is the REST handler, so a session signed in with an API key is refused
//! exactly as the API refuses it (20003: keys cannot manage keys).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dialtone_store::{PageRequest, PageSize};
use dialtone_types::{Sid, SidKind};
use maud::{Markup, html};

use crate::console::call::not_found;
use crate::console::forms::failure;
use crate::console::layout::{self, Nav, csrf_field, when};
use crate::console::session::Session;
use crate::error::ApiError;
use crate::params::{Form, Query};
use crate::resources::keys as api;
use crate::state::ApiState;
use crate::target::Target;

async fn list_page(
    state: &ApiState,
    session: &Session,
    status: StatusCode,
    banner: Option<Markup>,
) -> Response {
    if let Err(e) = session.caller.require_auth_token() {
        let (status, message) = failure(&e);
        let body = html! { h1 { "API keys" } p.error { (message) } };
        return layout::page_with_status(status, session, Nav::Keys, "API keys", &body);
    }
    let keys = match state
        .store
        .list_keys(session.caller.account, &PageRequest::first(PageSize::MAX))
        .await
    {
        Ok(p) => p.items,
        Err(e) => return ApiError::store(e).into_response(),
    };
    let body = html! {
        h1 { "API keys" }
        @if let Some(b) = banner { (b) }
        @if keys.is_empty() { p.empty { "No API keys yet." } }
        @else {
            table.keys {
                thead { tr { th { "SID" } th { "Name" } th { "Created" } th { "Rename" } th { "" } } }
                tbody {
                    @for k in &keys {
                        tr id={"key-" (k.sid)} {
                            td { (k.sid) }
                            td.name { (k.friendly_name) }
                            td { (when(k.date_created)) }
                            td {
                                form.inline method="post" action={"/console/keys/" (k.sid)} {
                                    (csrf_field(session))
                                    input name="FriendlyName" value=(k.friendly_name) aria-label="New name";
                                    button type="submit" { "Rename" }
                                }
                            }
                            td {
                                form.inline method="post" action={"/console/keys/" (k.sid) "/delete"} {
                                    (csrf_field(session))
                                    button.danger type="submit" { "Delete" }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "New API key" }
        form.edit method="post" action="/console/keys" {
            (csrf_field(session))
            label { "Friendly name" input name="FriendlyName"; }
            button type="submit" { "Create" }
        }
    };
    layout::page_with_status(status, session, Nav::Keys, "API keys", &body)
}

/// `GET /console/keys`.
pub(crate) async fn list(State(state): State<ApiState>, session: Session) -> Response {
    list_page(&state, &session, StatusCode::OK, None).await
}

/// `POST /console/keys`: answers the list with the new secret (never shown again).
pub(crate) async fn create(
    State(state): State<ApiState>,
    session: Session,
    form: Form,
) -> Response {
    match api::create(State(state.clone()), session.caller, form).await {
        Ok((_, body)) => {
            let sid = body.0["sid"].as_str().unwrap_or_default().to_owned();
            let secret = body.0["secret"].as_str().unwrap_or_default().to_owned();
            let banner = html! {
                div.notice #new-key role="status" {
                    p { "Key " code { (sid) } " created. Its secret is shown only now; copy it:" }
                    p { code.secret { (secret) } }
                }
            };
            list_page(&state, &session, StatusCode::CREATED, Some(banner)).await
        }
        Err(e) => {
            let (status, message) = failure(&e);
            list_page(
                &state,
                &session,
                status,
                Some(html! { p.error role="alert" { (message) } }),
            )
            .await
        }
    }
}

fn api_target(sid: Sid) -> Target {
    let segment = format!("{sid}.json");
    Target::new(format!("/console/keys/{sid}"), &[("key", segment.as_str())])
}

fn key_sid(target: &Target) -> Option<Sid> {
    target.sid("key", SidKind::ApiKey).ok()
}

/// `POST /console/keys/{key}`: rename.
pub(crate) async fn update(
    State(state): State<ApiState>,
    session: Session,
    target: Target,
    form: Form,
) -> Response {
    let Some(sid) = key_sid(&target) else {
        return not_found(&session, "API key");
    };
    match api::update(State(state.clone()), session.caller, api_target(sid), form).await {
        Ok(_) => Redirect::to("/console/keys").into_response(),
        Err(ApiError::NotFound(_)) => not_found(&session, "API key"),
        Err(e) => {
            let (status, message) = failure(&e);
            list_page(
                &state,
                &session,
                status,
                Some(html! { p.error role="alert" { (message) } }),
            )
            .await
        }
    }
}

/// `POST /console/keys/{key}/delete`.
pub(crate) async fn delete(
    State(state): State<ApiState>,
    session: Session,
    target: Target,
    Query(_): Query,
) -> Response {
    let Some(sid) = key_sid(&target) else {
        return not_found(&session, "API key");
    };
    match api::delete(State(state.clone()), session.caller, api_target(sid)).await {
        Ok(_) => Redirect::to("/console/keys").into_response(),
        Err(ApiError::NotFound(_)) => not_found(&session, "API key"),
        Err(e) => {
            let (status, message) = failure(&e);
            list_page(
                &state,
                &session,
                status,
                Some(html! { p.error role="alert" { (message) } }),
            )
            .await
        }
    }
}
