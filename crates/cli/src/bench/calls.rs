//! The plain call bench: `POST Calls.json` to a softphone that answers at once, TwiML
//! `<Hangup/>`, the `completed` callback (with `--all-events` all four).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use indicatif::ProgressBar;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::api::Api;
use super::report::latency_line;
use super::server::{random_hex, start_server};
use super::{BenchArgs, form, lock, progress_bar, serve_app};

/// The TwiML every call runs.
const TWIML: &str = "<Response><Hangup/></Response>";
/// The status-callback events of `--all-events`.
const ALL_EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];

/// What the application server saw, keyed by call SID.
#[derive(Default)]
struct Tracker {
    /// When each create request was sent.
    created: HashMap<String, Instant>,
    /// Voice requests that arrived before their create response named the call.
    early_voice: HashMap<String, Instant>,
    /// When the voice request of each call was answered.
    answered_twiml: HashMap<String, Instant>,
    /// Concurrency permits, released by the call's `completed` callback.
    permits: HashMap<String, OwnedSemaphorePermit>,
    /// Calls whose `completed` callback arrived before their create response.
    early_done: HashSet<String>,
    /// `(call, SequenceNumber)` of every callback received.
    callbacks: HashSet<(String, String)>,
    duplicates: u64,
    completed: u64,
    last_completed: Option<Instant>,
    twiml_latency: Vec<Duration>,
    callback_latency: Vec<Duration>,
    bad_requests: Vec<String>,
}

#[derive(Clone)]
struct AppState {
    tracker: Arc<Mutex<Tracker>>,
    progress: ProgressBar,
}

async fn voice(State(app): State<AppState>, headers: HeaderMap, body: String) -> impl IntoResponse {
    let now = Instant::now();
    let params = form(&body);
    let sid = params.get("CallSid").cloned().unwrap_or_default();
    {
        let mut t = lock(&app.tracker);
        if !headers.contains_key("x-twilio-signature") {
            t.bad_requests
                .push(format!("voice request without a signature for {sid}"));
        }
        match t.created.get(&sid) {
            Some(sent) => {
                let latency = now.duration_since(*sent);
                t.twiml_latency.push(latency);
            }
            None => {
                t.early_voice.insert(sid.clone(), now);
            }
        }
        t.answered_twiml.insert(sid, Instant::now());
    }
    ([(header::CONTENT_TYPE, "text/xml")], TWIML)
}

async fn status(State(app): State<AppState>, body: String) -> StatusCode {
    let now = Instant::now();
    let params = form(&body);
    let sid = params.get("CallSid").cloned().unwrap_or_default();
    let sequence = params.get("SequenceNumber").cloned().unwrap_or_default();
    let terminal = params.get("CallStatus").is_some_and(|s| {
        matches!(
            s.as_str(),
            "completed" | "busy" | "failed" | "no-answer" | "canceled"
        )
    });
    let mut t = lock(&app.tracker);
    if !t.callbacks.insert((sid.clone(), sequence)) {
        t.duplicates += 1;
        return StatusCode::NO_CONTENT;
    }
    if terminal {
        if params.get("CallStatus").map(String::as_str) != Some("completed") {
            t.bad_requests
                .push(format!("call {sid} ended {:?}", params.get("CallStatus")));
        }
        t.completed += 1;
        t.last_completed = Some(now);
        if let Some(answered) = t.answered_twiml.get(&sid).copied() {
            t.callback_latency.push(now.duration_since(answered));
        }
        if t.permits.remove(&sid).is_none() {
            t.early_done.insert(sid);
        }
        app.progress.inc(1);
    }
    StatusCode::NO_CONTENT
}

/// The application server: `POST /voice` (TwiML) and `POST /status` (callbacks).
async fn start_app(state: AppState) -> Result<String, String> {
    let router = axum::Router::new()
        .route("/voice", post(voice))
        .route("/status", post(status))
        .with_state(state);
    serve_app(router).await
}

pub(super) async fn run(args: &BenchArgs) -> Result<bool, String> {
    let sid = format!("AC{}", random_hex(16)?);
    let token = random_hex(16)?;
    let server = start_server(
        args.database_url.as_deref(),
        &sid,
        &token,
        args.concurrency,
        &[],
    )?;
    let backend = super::backend(args);
    println!(
        "dialtone bench: {} calls, concurrency {}, {} callback(s) per call, {backend}, server {}",
        args.calls,
        args.concurrency,
        if args.all_events { 4 } else { 1 },
        server.url
    );

    let progress = progress_bar(args.calls, args.quiet, "calls completed")?;
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let app_url = start_app(AppState {
        tracker: Arc::clone(&tracker),
        progress: progress.clone(),
    })
    .await?;
    let api = Arc::new(Api {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(usize::try_from(args.concurrency).unwrap_or(usize::MAX))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?,
        base: server.url.clone(),
        sid: sid.clone(),
        token,
    });
    api.post(
        "/sim/v1/Clients",
        &[("Identity", "bench"), ("AnswerAfter", "0")],
    )
    .await?;

    let create_path = format!("/2010-04-01/Accounts/{sid}/Calls.json");
    let voice_url = format!("{app_url}/voice");
    let status_url = format!("{app_url}/status");
    let events: &[&str] = if args.all_events {
        &ALL_EVENTS
    } else {
        &ALL_EVENTS[3..]
    };
    let semaphore = Arc::new(Semaphore::new(
        usize::try_from(args.concurrency).unwrap_or(1),
    ));
    let started = Instant::now();
    let mut creates = tokio::task::JoinSet::new();
    for _ in 0..args.calls {
        let permit = Arc::clone(&semaphore)
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (api, tracker) = (Arc::clone(&api), Arc::clone(&tracker));
        let (create_path, voice_url, status_url) =
            (create_path.clone(), voice_url.clone(), status_url.clone());
        creates.spawn(async move {
            let mut form = vec![
                ("To", "client:bench"),
                ("From", "+15005550006"),
                ("Url", voice_url.as_str()),
                ("StatusCallback", status_url.as_str()),
            ];
            form.extend(events.iter().map(|e| ("StatusCallbackEvent", *e)));
            let sent = Instant::now();
            let call = api.post(&create_path, &form).await?;
            let sid = call["sid"].as_str().unwrap_or_default().to_owned();
            let mut t = lock(&tracker);
            if let Some(arrived) = t.early_voice.remove(&sid) {
                t.twiml_latency.push(arrived.duration_since(sent));
            }
            if !t.early_done.remove(&sid) {
                t.permits.insert(sid.clone(), permit);
            }
            t.created.insert(sid, sent);
            Ok::<(), String>(())
        });
        // Reap finished create tasks as we go.
        while let Some(done) = creates.try_join_next() {
            done.map_err(|e| e.to_string())??;
        }
    }
    while let Some(done) = creates.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    let expected_callbacks = u64::from(args.calls) * events.len() as u64;
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    loop {
        let received = lock(&tracker).callbacks.len() as u64;
        if received >= expected_callbacks || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    progress.finish();

    let t = std::mem::take(&mut *lock(&tracker));
    let elapsed = t
        .last_completed
        .map_or(started.elapsed(), |l| l.duration_since(started));
    #[allow(clippy::cast_precision_loss)]
    let rate = t.completed as f64 / elapsed.as_secs_f64();
    let received = t.callbacks.len() as u64;
    let lost = expected_callbacks.saturating_sub(received);
    println!(
        "completed: {}/{} calls in {:.2} s: {rate:.1} calls/s",
        t.completed,
        args.calls,
        elapsed.as_secs_f64()
    );
    println!(
        "{}",
        latency_line(
            "TwiML webhook latency (create sent -> voice request received)",
            t.twiml_latency
        )
    );
    println!(
        "{}",
        latency_line(
            "status callback latency (<Hangup/> answered -> completed callback received)",
            t.callback_latency
        )
    );
    println!(
        "status callbacks: expected {expected_callbacks}, received {received}, lost {lost}, duplicates {}",
        t.duplicates
    );
    let statuses = api.statuses().await?;
    let mut listed: Vec<_> = statuses.iter().collect();
    listed.sort();
    println!("final call statuses (REST API): {listed:?}");
    for bad in t.bad_requests.iter().take(10) {
        println!("problem: {bad}");
    }
    let all_completed =
        statuses.get("completed").copied() == Some(u64::from(args.calls)) && statuses.len() == 1;
    let ok = lost == 0 && all_completed && t.bad_requests.is_empty();
    if !ok {
        println!("FAILED (server log: {})", server.keep_log().display());
    }
    Ok(ok)
}
