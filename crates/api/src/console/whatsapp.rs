//! WhatsApp and the simulator: the account's senders (voice-enabled or not, and why), the
//! simulated WhatsApp users with their call permission towards each business number and its
//! expiry, and the simulated softphones. In simulator mode users and softphones can be
//! created (again, to change their behaviour), deleted, and made to place a call; what a
//! simulated party heard is played on the call's page.
//!
//! As elsewhere, every change is the `/sim/v1` REST handler with the session's caller.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use dialtone_store::{Application, PageRequest, PageSize, Sender};
use dialtone_types::Sid;
use maud::{Markup, html};
use serde_json::Value;

use crate::admission::Admitted;
use crate::console::forms::{failure, field};
use crate::console::layout::{self, Nav, csrf_field, when};
use crate::console::session::Session;
use crate::error::ApiError;
use crate::http::NoReturn;
use crate::params::{Form, Params};
use crate::resources::{sim, whatsapp_users};
use crate::state::ApiState;
use crate::target::Target;

const BEHAVIORS: [&str; 5] = ["answer", "busy", "reject", "no-answer", "unreachable"];
const PERMISSIONS: [&str; 3] = ["granted", "none", "revoked"];

/// Why a sender can or cannot take and place calls.
fn voice_state(s: &Sender, apps: &[Application]) -> (bool, String) {
    let Some(app_sid) = s.voice_application_sid else {
        return (
            false,
            "no voice application (configuration.voice_application_sid is not set)".to_owned(),
        );
    };
    match apps.iter().find(|a| a.sid == app_sid) {
        None => (
            false,
            format!("its voice application {app_sid} no longer exists"),
        ),
        Some(a) if a.voice_url.is_none() => (
            false,
            format!("its voice application {app_sid} has no Voice URL"),
        ),
        Some(_) if s.status != "ONLINE" => (false, format!("the sender is {}", s.status)),
        Some(a) => (
            true,
            format!("calls run application {} ({})", a.sid, a.friendly_name),
        ),
    }
}

fn select(name: &str, choices: &[&str]) -> Markup {
    html! { select name=(name) { @for c in choices { option value=(c) { (c) } } } }
}

fn senders(list: &[Sender], apps: &[Application]) -> Markup {
    html! {
        section #senders {
            h2 { "Senders" }
            @if list.is_empty() { p.empty { "No WhatsApp senders. Create one with the Senders API (messaging.v2)." } }
            @else {
                table {
                    thead { tr { th { "SID" } th { "Sender" } th { "Name" } th { "Status" } th { "Voice" } } }
                    tbody {
                        @for s in list {
                            @let (enabled, why) = voice_state(s, apps);
                            tr {
                                td { (s.sid) }
                                td.addr { (s.sender_id) }
                                td.name { (s.friendly_name.as_deref().unwrap_or("")) }
                                td { (s.status) }
                                td { span class={"badge " (if enabled { "ok" } else { "bad" })} { (if enabled { "voice-enabled" } else { "not voice-enabled" }) } " " (why) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn users(session: &Session, state: &ApiState, senders: &[Sender]) -> Markup {
    let Some(sim) = &state.whatsapp_simulator else {
        return html! {
            section #users {
                h2 { "Users" }
                p { "With Meta's Cloud API the WhatsApp side keeps each user's call permission; Dialtone asks for it on every call (error 37000 when refused). Simulated users exist in simulator mode only." }
            }
        };
    };
    let list = sim.users(session.caller.account);
    html! {
        section #users {
            h2 { "Simulated users" }
            @if list.is_empty() { p.empty { "No simulated users yet." } }
            @else {
                table.users {
                    thead { tr { th { "Number" } th { "Permission" } th { "Per business" } th { "Behaviour" } th { "Audio" } th { "Call a business" } th { "" } } }
                    tbody {
                        @for u in &list {
                            tr id={"user-" (u.number.as_str().trim_start_matches('+'))} {
                                td.addr { (u.number.as_str()) }
                                td { (u.permission.as_str()) }
                                td {
                                    @for p in &u.permissions {
                                        div { "whatsapp:" (p.business.as_str()) ": " (p.status)
                                            @if let Some(e) = p.expires_at { ", expires " (when(e)) }
                                            @if p.revoked { ", revoked after unanswered calls" } }
                                    }
                                }
                                td { (u.behavior.as_str()) ", answers after " (u.answer_after.as_secs_f64()) " s"
                                    @if let Some(h) = u.hangup_after { ", hangs up after " (h.as_secs_f64()) " s" } }
                                td { (u.audio.to_string()) }
                                td {
                                    form.inline method="post" action="/console/whatsapp/users/call" {
                                        (csrf_field(session))
                                        input type="hidden" name="Number" value=(u.number.as_str());
                                        select name="To" aria-label="Business number" {
                                            @for s in senders { option value=(s.sender_id) { (s.sender_id) } }
                                        }
                                        button type="submit" { "Call" }
                                    }
                                }
                                td {
                                    form.inline method="post" action="/console/whatsapp/users/delete" {
                                        (csrf_field(session))
                                        input type="hidden" name="Number" value=(u.number.as_str());
                                        button.danger type="submit" { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Create a user, or change one's behaviour" }
            form.edit method="post" action="/console/whatsapp/users" {
                (csrf_field(session))
                (field("Number (+E164)", "Number", ""))
                label { "Permission" (select("Permission", &PERMISSIONS)) }
                label { "Behaviour" (select("Behavior", &BEHAVIORS)) }
                (field("Answer after (s)", "AnswerAfter", "1"))
                (field("Hang up after (s, empty: never)", "HangupAfter", ""))
                (field("Audio (silence, tone:HZ or a WAV URL)", "Audio", "silence"))
                button type="submit" { "Save user" }
            }
        }
    }
}

fn softphones(session: &Session, phones: &[Value], apps: &[Application]) -> Markup {
    html! {
        section #softphones {
            h2 { "Simulated softphones" }
            @if phones.is_empty() { p.empty { "No softphones registered." } }
            @else {
                table.softphones {
                    thead { tr { th { "Identity" } th { "Behaviour" } th { "Audio" } th { "Place a call" } th { "" } } }
                    tbody {
                        @for p in phones {
                            @let identity = p["identity"].as_str().unwrap_or("");
                            tr {
                                td.addr { "client:" (identity) }
                                td { (p["behavior"].as_str().unwrap_or("")) ", answers after " (p["answer_after"]) " s" }
                                td { (p["audio"].as_str().unwrap_or("")) }
                                td {
                                    form.inline method="post" action="/console/softphones/call" {
                                        (csrf_field(session))
                                        input type="hidden" name="Identity" value=(identity);
                                        select name="ApplicationSid" aria-label="Application" {
                                            @for a in apps { option value=(a.sid) { (a.friendly_name) " (" (a.sid) ")" } }
                                        }
                                        input name="To" placeholder="To (optional)" aria-label="To";
                                        button type="submit" { "Call" }
                                    }
                                }
                                td {
                                    form.inline method="post" action="/console/softphones/delete" {
                                        (csrf_field(session))
                                        input type="hidden" name="Identity" value=(identity);
                                        button.danger type="submit" { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Register a softphone, or change one's behaviour" }
            form.edit method="post" action="/console/softphones" {
                (csrf_field(session))
                (field("Identity", "Identity", ""))
                label { "Behaviour" (select("Behavior", &BEHAVIORS)) }
                (field("Answer after (s)", "AnswerAfter", "1"))
                (field("Hang up after (s, empty: never)", "HangupAfter", ""))
                (field("Audio (silence, tone:HZ or a WAV URL)", "Audio", "silence"))
                button type="submit" { "Save softphone" }
            }
        }
    }
}

async fn render(
    state: &ApiState,
    session: &Session,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let account = session.caller.account;
    let all = PageRequest::first(PageSize::MAX);
    let (senders_list, apps) = match (
        state.store.list_senders(account, &all).await,
        state.store.list_applications(account, None, &all).await,
    ) {
        (Ok(s), Ok(a)) => (s.items, a.items),
        (Err(e), _) | (_, Err(e)) => return ApiError::store(e).into_response(),
    };
    let phones = match sim::list(State(state.clone()), session.caller).await {
        Ok(v) => v.0["clients"].as_array().cloned().unwrap_or_default(),
        Err(e) => return e.into_response(),
    };
    let body = html! {
        h1 { "WhatsApp and simulator" }
        @if let Some(e) = &error { p.error role="alert" { (e) } }
        (senders(&senders_list, &apps))
        (users(session, state, &senders_list))
        (softphones(session, &phones, &apps))
    };
    layout::page_with_status(status, session, Nav::WhatsApp, "WhatsApp", &body)
}

/// `GET /console/whatsapp`.
pub(crate) async fn page(State(state): State<ApiState>, session: Session) -> Response {
    render(&state, &session, StatusCode::OK, None).await
}

/// Back to the page after a change, or the page with the refusal.
async fn after<T>(state: &ApiState, session: &Session, result: Result<T, ApiError>) -> Response {
    match result {
        Ok(_) => Redirect::to("/console/whatsapp").into_response(),
        Err(e) => {
            let (status, message) = failure(&e);
            render(state, session, status, Some(message)).await
        }
    }
}

/// `pairs` as parameters.
fn encode<'a>(pairs: impl Iterator<Item = &'a (String, String)>) -> Params {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v.trim());
    }
    Params::parse(s.finish().as_bytes())
}

/// Empty optional fields are left out, as a REST client would leave them out.
fn present(params: &Params) -> Params {
    encode(params.pairs().iter().filter(|(_, v)| !v.trim().is_empty()))
}

fn user_target(params: &Params) -> Target {
    let number = params.get("Number").unwrap_or("").to_owned();
    Target::new(
        format!("{}/{number}", whatsapp_users::BASE),
        &[("number", number.as_str())],
    )
}

/// `POST /console/whatsapp/users`: create or replace a simulated user.
pub(crate) async fn put_user(
    State(state): State<ApiState>,
    session: Session,
    Form(params): Form,
) -> Response {
    let r = whatsapp_users::put(State(state.clone()), session.caller, Form(present(&params))).await;
    after(&state, &session, r).await
}

/// `POST /console/whatsapp/users/delete`.
pub(crate) async fn delete_user(
    State(state): State<ApiState>,
    session: Session,
    Form(params): Form,
) -> Response {
    let r =
        whatsapp_users::remove(State(state.clone()), session.caller, user_target(&params)).await;
    after(&state, &session, r).await
}

/// `POST /console/whatsapp/users/call`: the user calls a business number.
pub(crate) async fn user_call(
    State(state): State<ApiState>,
    session: Session,
    Form(params): Form,
) -> Response {
    let target = user_target(&params);
    let r = whatsapp_users::call(State(state.clone()), session.caller, target, Form(params)).await;
    after(&state, &session, r).await
}

/// `POST /console/softphones`: register (or re-register) a softphone.
pub(crate) async fn put_softphone(
    State(state): State<ApiState>,
    session: Session,
    Form(params): Form,
) -> Response {
    let r = sim::register(State(state.clone()), session.caller, Form(present(&params))).await;
    after(&state, &session, r).await
}

fn softphone_target(params: &Params) -> Target {
    let identity = params.get("Identity").unwrap_or("").to_owned();
    Target::new(
        format!("/sim/v1/Clients/{identity}"),
        &[("identity", identity.as_str())],
    )
}

/// `POST /console/softphones/delete`.
pub(crate) async fn delete_softphone(
    State(state): State<ApiState>,
    session: Session,
    Form(params): Form,
) -> Response {
    let r = sim::remove(
        State(state.clone()),
        session.caller,
        softphone_target(&params),
    )
    .await;
    after(&state, &session, r).await
}

/// `POST /console/softphones/call`: the softphone calls an application, as the Voice SDK
/// does; admitted like a REST call create. Goes to the new call's page.
pub(crate) async fn softphone_call(
    State(state): State<ApiState>,
    session: Session,
    slot: Admitted,
    no_return: NoReturn,
    Form(params): Form,
) -> Response {
    let target = softphone_target(&params);
    // What the application receives besides To: not the console's own fields.
    let form = encode(params.pairs().iter().filter(|(k, v)| {
        k != "Identity" && k != crate::console::guard::CSRF_FIELD && !v.is_empty()
    }));
    match sim::call(
        State(state.clone()),
        session.caller,
        slot,
        no_return,
        target,
        Form(form),
    )
    .await
    {
        Ok((_, body)) => {
            let sid = body.0["sid"]
                .as_str()
                .and_then(|s| s.parse::<Sid>().ok())
                .map(|s| s.to_string())
                .unwrap_or_default();
            Redirect::to(&format!("/console/calls/{sid}")).into_response()
        }
        Err(e) => {
            let (status, message) = failure(&e);
            render(&state, &session, status, Some(message)).await
        }
    }
}
