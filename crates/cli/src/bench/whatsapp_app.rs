//! The application server of `dialtone bench --whatsapp`: the agent's TwiML (`<Dial><WhatsApp>`
//! to the flow's user), the `<Dial>`'s `action`, the child's and the parent's status
//! callbacks, and what they tell about each flow. A parent's `completed` callback frees the
//! flow's concurrency slot and gives its user back to the pool.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use indicatif::ProgressBar;
use tokio::sync::OwnedSemaphorePermit;

use super::server::ServerProcess;
use super::{form, lock};

/// The business number every flow dials from.
pub(super) const SENDER: &str = "+15557770000";
/// What `action` and the sender's own voice application answer.
const HANGUP: &str = "<Response><Hangup/></Response>";
/// The child's status-callback events: `ringing` → `answered` brackets the answer.
const CHILD_EVENTS: &str = "ringing answered completed";

/// What the bench saw of one flow, keyed by the parent's CallSid.
#[derive(Default)]
pub(super) struct Flow {
    pub(super) user: String,
    pub(super) created: Option<Instant>,
    pub(super) ringing: Option<Instant>,
    pub(super) answered: Option<Instant>,
    pub(super) child_status: Option<String>,
    pub(super) dial_status: Option<String>,
    pub(super) completed: Option<Instant>,
}

/// Everything the application server records.
#[derive(Default)]
pub(super) struct Tracker {
    pub(super) flows: HashMap<String, Flow>,
    /// A flow's concurrency permit and user, given back by its parent's `completed` callback.
    pub(super) held: HashMap<String, (OwnedSemaphorePermit, (String, u32))>,
    /// Parents whose `completed` callback arrived before their create response.
    pub(super) early_done: HashSet<String>,
    /// `(CallSid, SequenceNumber)` of every callback received.
    pub(super) callbacks: HashSet<(String, String)>,
    pub(super) duplicates: u64,
    /// Create requests the server refused or did not answer.
    pub(super) create_errors: u64,
    pub(super) completed: u64,
    pub(super) last_completed: Option<Instant>,
    /// Children in progress now, and the most at once.
    pub(super) live: u64,
    pub(super) peak_live: u64,
    /// When every flow of the run was first in progress at once, with the server's CPU time.
    pub(super) all_live: Option<(Instant, Option<Duration>)>,
    /// When the first child completed after that, with the server's CPU time.
    pub(super) first_end_after_all_live: Option<(Instant, Option<Duration>)>,
    pub(super) problems: Vec<String>,
}

/// The simulated users not on a call, with the calls each has had.
#[derive(Default)]
pub(super) struct Pool {
    pub(super) free: VecDeque<(String, u32)>,
    pub(super) created: u32,
}

#[derive(Clone)]
pub(super) struct AppState {
    pub(super) tracker: Arc<Mutex<Tracker>>,
    pub(super) pool: Arc<Mutex<Pool>>,
    pub(super) progress: ProgressBar,
    /// The application server's own base URL (set once it listens).
    pub(super) base: Arc<OnceLock<String>>,
    /// Flows that are all live at once in the steady state: min(calls, concurrency).
    pub(super) target_live: u64,
    pub(super) server: Arc<ServerProcess>,
}

pub(super) fn problem(t: &mut Tracker, what: String) {
    if t.problems.len() < 1000 {
        t.problems.push(what);
    }
}

fn check_signature(t: &mut Tracker, headers: &HeaderMap, what: &str, sid: &str) {
    if !headers.contains_key("x-twilio-signature") {
        problem(t, format!("{what} without a signature for {sid}"));
    }
}

/// The agent's call: dial the slot's WhatsApp user (`digits` = the number without `+`).
async fn voice(
    State(app): State<AppState>,
    Path(digits): Path<String>,
    headers: HeaderMap,
    body: String,
) -> axum::response::Response {
    let params = form(&body);
    let sid = params.get("CallSid").cloned().unwrap_or_default();
    {
        let mut t = lock(&app.tracker);
        check_signature(&mut t, &headers, "voice request", &sid);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            problem(&mut t, format!("voice request for {sid} names no user"));
            return StatusCode::NOT_FOUND.into_response();
        }
        t.flows.entry(sid).or_default().user = format!("+{digits}");
    }
    let base = app.base.get().map_or("", String::as_str);
    let twiml = format!(
        "<Response><Dial callerId=\"whatsapp:{SENDER}\" action=\"{base}/action\">\
         <WhatsApp statusCallback=\"{base}/child\" statusCallbackEvent=\"{CHILD_EVENTS}\">\
         +{digits}</WhatsApp></Dial></Response>"
    );
    ([(header::CONTENT_TYPE, "text/xml")], twiml).into_response()
}

/// The `<Dial>`'s `action`: records `DialCallStatus`, ends the parent.
async fn action(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: String,
) -> impl IntoResponse {
    let params = form(&body);
    let sid = params.get("CallSid").cloned().unwrap_or_default();
    let mut t = lock(&app.tracker);
    check_signature(&mut t, &headers, "action request", &sid);
    let status = params.get("DialCallStatus").cloned().unwrap_or_default();
    let flow = t.flows.entry(sid.clone()).or_default();
    if flow.dial_status.replace(status).is_some() {
        problem(&mut t, format!("a second action request for {sid}"));
    }
    ([(header::CONTENT_TYPE, "text/xml")], HANGUP)
}

/// Records a callback once; false for a duplicate.
fn first_delivery(t: &mut Tracker, params: &HashMap<String, String>) -> bool {
    let sid = params.get("CallSid").cloned().unwrap_or_default();
    let sequence = params.get("SequenceNumber").cloned().unwrap_or_default();
    if t.callbacks.insert((sid, sequence)) {
        true
    } else {
        t.duplicates += 1;
        false
    }
}

/// The child's `ringing`, `answered` and `completed` callbacks.
async fn child(State(app): State<AppState>, headers: HeaderMap, body: String) -> StatusCode {
    let now = Instant::now();
    let params = form(&body);
    let parent = params.get("ParentCallSid").cloned().unwrap_or_default();
    let status = params.get("CallStatus").cloned().unwrap_or_default();
    let mut t = lock(&app.tracker);
    check_signature(&mut t, &headers, "child callback", &parent);
    if !first_delivery(&mut t, &params) {
        return StatusCode::NO_CONTENT;
    }
    let flow = t.flows.entry(parent.clone()).or_default();
    match status.as_str() {
        "ringing" => flow.ringing = Some(now),
        "in-progress" => {
            flow.answered = Some(now);
            t.live += 1;
            t.peak_live = t.peak_live.max(t.live);
            if t.live == app.target_live && t.all_live.is_none() {
                t.all_live = Some((now, app.server.cpu_time()));
            }
            app.progress.set_message(format!("{} in progress", t.live));
        }
        _ => {
            flow.child_status = Some(status.clone());
            if flow.answered.is_some() {
                t.live = t.live.saturating_sub(1);
            }
            if t.all_live.is_some() && t.first_end_after_all_live.is_none() {
                t.first_end_after_all_live = Some((now, app.server.cpu_time()));
            }
            app.progress.set_message(format!("{} in progress", t.live));
            if status != "completed" {
                problem(&mut t, format!("the child of {parent} ended {status}"));
            }
        }
    }
    StatusCode::NO_CONTENT
}

/// The parent's `completed` callback: the flow is done; its slot and user are free again.
async fn status(State(app): State<AppState>, headers: HeaderMap, body: String) -> StatusCode {
    let now = Instant::now();
    let params = form(&body);
    let sid = params.get("CallSid").cloned().unwrap_or_default();
    let status = params.get("CallStatus").cloned().unwrap_or_default();
    let mut t = lock(&app.tracker);
    check_signature(&mut t, &headers, "status callback", &sid);
    if !first_delivery(&mut t, &params) {
        return StatusCode::NO_CONTENT;
    }
    if status != "completed" {
        problem(&mut t, format!("call {sid} ended {status}"));
    }
    t.flows.entry(sid.clone()).or_default().completed = Some(now);
    t.completed += 1;
    t.last_completed = Some(now);
    match t.held.remove(&sid) {
        Some((permit, user)) => {
            lock(&app.pool).free.push_back(user);
            drop(permit);
        }
        None => {
            t.early_done.insert(sid);
        }
    }
    app.progress.inc(1);
    StatusCode::NO_CONTENT
}

/// The sender's own voice application: only a user calling the business would reach it.
async fn inbound(State(app): State<AppState>, body: String) -> impl IntoResponse {
    let sid = form(&body).get("CallSid").cloned().unwrap_or_default();
    problem(
        &mut lock(&app.tracker),
        format!("the sender's voice application was fetched for {sid}"),
    );
    ([(header::CONTENT_TYPE, "text/xml")], HANGUP)
}

/// The routes: `/voice/{digits}`, `/action`, `/child`, `/status`, `/inbound`.
pub(super) fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/voice/{digits}", post(voice))
        .route("/action", post(action))
        .route("/child", post(child))
        .route("/status", post(status))
        .route("/inbound", post(inbound))
        .with_state(state)
}
