//! One call: its parent and children, a timeline of its state changes, webhooks and
//! notifications, every webhook in full (parameters, response status, body, latency, the
//! `X-Twilio-Signature` it carried), the TwiML documents it ran with their diagnostics at
//! their lines, and its recordings with a player and a download.
//!
//! Everything comes from what the engine recorded: the call row, every status it took (the
//! store's call transitions, written by the schema on each change), its Events (one per
//! webhook attempt) and Notifications.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dialtone_store::{
    Call, CallEvent, CallFilter, CallTransition, Notification, PageRequest, PageSize, Recording,
    RecordingFilter, StoreError,
};
use dialtone_twiml::Context;
use dialtone_types::{Level, Sid, SidKind, UnixMillis};
use dialtone_webhook::SigningKey;
use maud::{Markup, html};

use crate::console::calls::row;
use crate::console::layout::{self, Nav, clock, error_link, status_badge, when};
use crate::console::session::Session;
use crate::console::twiml;
use crate::error::ApiError;
use crate::state::ApiState;
use crate::target::Target;

/// Most events, notifications, children and recordings shown (far more than a call makes).
const MAX_ROWS: u64 = 1000;

/// What kind of webhook an event was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A TwiML document was asked for (voice URL, action, redirect, fallback).
    Fetch,
    /// A call status callback.
    StatusCallback,
    /// A recording status callback.
    RecordingCallback,
}

fn param<'a>(e: &'a CallEvent, name: &str) -> Option<&'a str> {
    e.request_parameters
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn kind(e: &CallEvent) -> Kind {
    if param(e, "RecordingStatus").is_some() {
        Kind::RecordingCallback
    } else if param(e, "CallbackSource").is_some() {
        Kind::StatusCallback
    } else {
        Kind::Fetch
    }
}

fn kind_label(k: Kind) -> &'static str {
    match k {
        Kind::Fetch => "TwiML fetch",
        Kind::StatusCallback => "Status callback",
        Kind::RecordingCallback => "Recording callback",
    }
}

/// The `X-Twilio-Signature` the request carried: HMAC-SHA1 with the account's auth token,
/// over the URL (with the query, for GET) and, for POST, the sorted parameters.
fn signature(token: &str, e: &CallEvent) -> String {
    let key = SigningKey::auth_token(token);
    if e.request_method.eq_ignore_ascii_case("GET") {
        key.sign(&e.request_url, std::iter::empty::<(&str, &str)>())
    } else {
        key.sign(
            &e.request_url,
            e.request_parameters
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
    }
}

fn rows() -> PageSize {
    PageSize::new(MAX_ROWS).unwrap_or_default()
}

struct Loaded {
    call: Call,
    parent: Option<Call>,
    children: Vec<Call>,
    transitions: Vec<CallTransition>,
    events: Vec<CallEvent>,
    notifications: Vec<Notification>,
    recordings: Vec<Recording>,
    token: String,
}

async fn load(state: &ApiState, account: Sid, sid: Sid) -> Result<Loaded, StoreError> {
    let store = &state.store;
    let call = store.fetch_call(account, sid).await?;
    let parent = match call.parent_call_sid {
        Some(p) => store.fetch_call(account, p).await.ok(),
        None => None,
    };
    let children = store
        .list_calls(
            account,
            &CallFilter {
                parent_call_sid: Some(sid),
                ..CallFilter::default()
            },
            &PageRequest::first(rows()),
        )
        .await?
        .items;
    let transitions = store.list_call_transitions(account, sid).await?;
    let events = store
        .list_events(account, sid, &PageRequest::first(rows()))
        .await?
        .items;
    let notifications = store
        .list_notifications(account, sid, &PageRequest::first(rows()))
        .await?
        .items;
    let recordings = store
        .list_recordings(
            account,
            &RecordingFilter {
                call_sid: Some(sid),
                ..RecordingFilter::default()
            },
            &PageRequest::first(rows()),
        )
        .await?
        .items;
    let token = store.fetch_account(account).await?.auth_token;
    Ok(Loaded {
        call,
        parent,
        children,
        transitions,
        events,
        notifications,
        recordings,
        token,
    })
}

/// The console's 404: another account's SID and a malformed one look the same as a missing
/// one.
pub(crate) fn not_found(session: &Session, what: &str) -> Response {
    layout::page_with_status(
        StatusCode::NOT_FOUND,
        session,
        Nav::None,
        "Not found",
        &html! { h1 { "Not found" } p.error { "There is no " (what) " with that SID in this account." } },
    )
}

/// `GET /console/calls/{call}`.
pub(crate) async fn page(
    State(state): State<ApiState>,
    session: Session,
    target: Target,
) -> Response {
    let Ok(sid) = target.sid("call", SidKind::Call) else {
        return not_found(&session, "call");
    };
    let loaded = match load(&state, session.caller.account, sid).await {
        Ok(l) => l,
        Err(StoreError::NotFound(_)) => return not_found(&session, "call"),
        Err(e) => return ApiError::store(e).into_response(),
    };
    let title = format!("Call {sid}");
    let heard = state.heard.is_some();
    layout::page(&session, Nav::Calls, &title, &body(&loaded, heard))
}

fn body(l: &Loaded, heard: bool) -> Markup {
    let c = &l.call;
    html! {
        p.crumbs { a href="/console/calls" { "Calls" } " / " (c.sid) }
        h1 { "Call " span.sid { (c.sid) } " " (status_badge(c.status)) }
        dl.facts {
            dt { "From" } dd.addr { (c.from) }
            dt { "To" } dd.addr { (c.to) }
            dt { "Direction" } dd { (c.direction.as_str()) }
            dt { "Created" } dd { (when(c.date_created)) }
            dt { "Started" } dd { @if let Some(t) = c.start_time { (when(t)) } @else { "—" } }
            dt { "Ended" } dd { @if let Some(t) = c.end_time { (when(t)) } @else { "—" } }
            dt { "Duration" } dd { @if let Some(d) = c.duration { (d) " s" } @else { "—" } }
            @if let Some(app) = c.application_sid {
                dt { "Application" } dd { a href={"/console/applications/" (app)} { (app) } }
            }
            @if let Some(url) = &c.url { dt { "TwiML URL" } dd.addr { (c.method) " " (url) } }
            @if let Some(url) = &c.status_callback { dt { "Status callback" } dd.addr { (c.status_callback_method) " " (url) } }
        }
        (relatives(l))
        section #timeline {
            h2 { "Timeline" }
            (timeline(l))
        }
        section #notifications {
            h2 { "Notifications (" (l.notifications.len()) ")" }
            (notifications(&l.notifications))
        }
        section #documents {
            h2 { "TwiML documents" }
            (documents(l))
        }
        section #webhooks {
            h2 { "Webhooks (" (l.events.len()) ")" }
            @for (i, e) in l.events.iter().enumerate() { (event(i, e, &l.token)) }
            @if l.events.is_empty() { p.empty { "No webhook was requested for this call." } }
        }
        section #recordings {
            h2 { "Recordings (" (l.recordings.len()) ")" }
            (recordings(&l.recordings))
        }
        @if heard {
            section #heard {
                h2 { "What a simulated party heard" }
                p { "When a simulated softphone or WhatsApp user took part in this call, this is what it heard." }
                audio controls preload="none" src={"/console/calls/" (c.sid) "/heard.wav"} {}
            }
        }
    }
}

fn relatives(l: &Loaded) -> Markup {
    html! {
        @if l.parent.is_some() || !l.children.is_empty() {
            section #family {
                h2 { "Parent and children" }
                table.calls {
                    thead { tr { th { "SID" } th { "Created" } th { "From" } th { "To" } th { "Direction" } th { "Status" } th { "Duration" } th { "" } } }
                    tbody {
                        @if let Some(p) = &l.parent { (row(p)) }
                        @for child in &l.children { (row(child)) }
                    }
                }
            }
        }
    }
}

/// One entry of the timeline.
struct Entry {
    at: UnixMillis,
    what: Markup,
    class: &'static str,
}

fn timeline(l: &Loaded) -> Markup {
    let c = &l.call;
    let mut entries: Vec<Entry> = l
        .transitions
        .iter()
        .enumerate()
        .map(|(i, t)| Entry {
            at: t.at,
            what: if i == 0 {
                html! { "Created (" (c.direction.as_str()) ") " (status_badge(t.status)) }
            } else {
                html! { "Status " (status_badge(t.status)) }
            },
            class: "state",
        })
        .collect();
    if let Some(t) = c.start_time {
        entries.push(Entry {
            at: t,
            what: html! { "Answered" },
            class: "state",
        });
    }
    for (i, e) in l.events.iter().enumerate() {
        let k = kind(e);
        let outcome = e
            .response_status
            .map_or_else(|| html! { "no response" }, |s| html! { "HTTP " (s) });
        entries.push(Entry {
            at: e.requested_at,
            what: html! {
                a href={"#event-" (i)} { (kind_label(k)) } " " (e.request_method) " "
                span.addr { (e.request_url) } " → " (outcome)
                @if let Some(ms) = e.response_duration_ms { " in " (ms) " ms" }
            },
            class: if e.response_status.is_some_and(|s| (200..300).contains(&s)) {
                "webhook"
            } else {
                "webhook failed"
            },
        });
    }
    for n in &l.notifications {
        entries.push(Entry {
            at: n.date_created,
            what: html! { (level_name(n.level)) " " (error_link(n.error_code.0)) ": " (n.message_text) },
            class: "notification",
        });
    }
    if let Some(t) = c.end_time {
        entries.push(Entry {
            at: t,
            what: html! {
                "Ended" @if let Some(d) = c.duration { " after " (d) " s" }
            },
            class: "state",
        });
    }
    // Stable: equal times keep the order above (a webhook after the state it reports).
    entries.sort_by_key(|e| e.at);
    html! {
        ol.timeline {
            @for e in &entries {
                li class=(e.class) {
                    time title=(when(e.at)) { (clock(e.at)) }
                    span.what { (e.what) }
                }
            }
        }
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "Error",
        Level::Warning => "Warning",
    }
}

fn notifications(list: &[Notification]) -> Markup {
    html! {
        @if list.is_empty() {
            p.empty { "No errors or warnings." }
        } @else {
            table.notifications {
                thead { tr { th { "When" } th { "Level" } th { "Code" } th { "Message" } th { "Request" } } }
                tbody {
                    @for n in list {
                        tr {
                            td { (when(n.date_created)) }
                            td { (level_name(n.level)) }
                            td { (error_link(n.error_code.0)) }
                            td { (n.message_text) }
                            td.addr {
                                @if let Some(url) = &n.request_url {
                                    (n.request_method.as_deref().unwrap_or("")) " " (url)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The inline document and every document a fetch returned, with diagnostics.
fn documents(l: &Loaded) -> Markup {
    let fetched: Vec<(usize, &CallEvent, &str)> = l
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| kind(e) == Kind::Fetch)
        .filter_map(|(i, e)| {
            let body = e.response_body.as_deref()?;
            (e.response_status.is_some_and(|s| (200..300).contains(&s)) && !body.trim().is_empty())
                .then_some((i, e, body))
        })
        .collect();
    html! {
        @if let Some(inline) = &l.call.twiml {
            article.document {
                h3 { "Inline TwiML (the Twiml parameter)" }
                (twiml::checked(inline, Context::Rest))
            }
        }
        @for (i, e, body) in &fetched {
            article.document id={"document-" (i)} {
                h3 { "From " (e.request_method) " " span.addr { (e.request_url) } }
                (twiml::checked(body, Context::Call))
            }
        }
        @if l.call.twiml.is_none() && fetched.is_empty() {
            p.empty { "No TwiML document was fetched for this call." }
        }
    }
}

fn event(i: usize, e: &CallEvent, token: &str) -> Markup {
    let k = kind(e);
    html! {
        details.event id={"event-" (i)} open[e.response_status.is_none_or(|s| !(200..300).contains(&s))] {
            summary {
                time { (clock(e.requested_at)) } " " (kind_label(k)) " " (e.request_method) " "
                span.addr { (e.request_url) } " → "
                @match e.response_status { Some(s) => { "HTTP " (s) }, None => { "no response" } }
                @if let Some(ms) = e.response_duration_ms { " (" (ms) " ms)" }
            }
            dl.facts {
                dt { "Requested" } dd { (when(e.requested_at)) }
                dt { "Latency" } dd { @if let Some(ms) = e.response_duration_ms { (ms) " ms" } @else { "—" } }
                dt { "Response status" } dd { @if let Some(s) = e.response_status { (s) } @else { "none (timeout or connection failure)" } }
                dt { "Content-Type" } dd { (e.response_content_type.as_deref().unwrap_or("—")) }
                dt { "X-Twilio-Signature" } dd { code.sig { (signature(token, e)) } }
            }
            h4 { "Request parameters" }
            table.params {
                tbody {
                    @for (name, value) in &e.request_parameters {
                        tr { th { (name) } td { (value) } }
                    }
                }
            }
            h4 { "Response body" }
            @match &e.response_body {
                Some(b) if !b.is_empty() => { pre.body { (b) } },
                _ => { p.empty { "(empty)" } },
            }
        }
    }
}

fn recordings(list: &[Recording]) -> Markup {
    html! {
        @if list.is_empty() {
            p.empty { "No recordings." }
        }
        @for r in list {
            article.recording id={"recording-" (r.sid)} {
                h3 { (r.sid) " " span.badge { (r.status.as_str()) } }
                p { "Created " (when(r.date_created))
                    @if let Some(d) = r.duration { ", " (d) " s" }
                    ", " (r.channels) " channel(s)" }
                @if r.status == dialtone_store::RecordingStatus::Completed {
                    audio controls preload="metadata" src={"/console/recordings/" (r.sid) ".wav"} {}
                    p {
                        a download={(r.sid) ".wav"} href={"/console/recordings/" (r.sid) ".wav?download=1"} { "Download WAV" }
                        " · "
                        a download={(r.sid) ".mp3"} href={"/console/recordings/" (r.sid) ".mp3?download=1"} { "Download MP3" }
                    }
                }
            }
        }
    }
}
