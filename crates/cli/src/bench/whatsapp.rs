//! `dialtone bench --whatsapp`: complete `<Dial><WhatsApp>` flows with WebRTC media through
//! the embedded WhatsApp simulator.
//!
//! Set-up through the REST API: an application (the sender's voice application, which makes
//! the sender voice-enabled; it must never be fetched), a sender `whatsapp:+S` on
//! `/v2/Channels/Senders`, a softphone agent answering at once, and one simulated WhatsApp
//! user per concurrency slot (Meta allows one active call per business/user pair) with
//! `Permission=granted`, `AnswerAfter=0` and `HangupAfter=--hold`. A user is retired after
//! 100 calls (Meta's connected calls per pair per day) and a fresh one takes its slot.
//!
//! Each flow: `POST Calls.json To=client:agent` → the agent answers → the voice request gets
//! `<Dial callerId="whatsapp:+S" action=…><WhatsApp statusCallback=…>+U</WhatsApp></Dial>` →
//! Graph `connect` to the simulator → the user answers → ICE/DTLS-SRTP connect → the child is
//! `in-progress` → after `--hold` s of Opus both ways the user hangs up → the child completes
//! (`ringing`, `answered`, `completed` callbacks) → `action` (`DialCallStatus=completed`) is
//! answered `<Hangup/>` → the parent's `completed` callback.
//!
//! The report: flows/s (flows whose parent `completed` callback arrived ÷ time from the first
//! create to the last such callback), latencies, lost callbacks, the final status of every call
//! read back, the server's CPU use while every flow was in progress, and packet loss per
//! direction from the simulated users' media counters ([`super::whatsapp_media`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::api::Api;
use super::report::{latency_line, percent};
use super::server::{own_cpu_time, random_hex, start_server};
use super::whatsapp_app::{self, AppState, Pool, SENDER, Tracker, problem};
use super::whatsapp_media::MediaTotals;
use super::{BenchArgs, lock, progress_bar, serve_app};

/// The softphone agent the REST calls reach.
const AGENT: &str = "agent";
/// Meta's limit on connected business-initiated calls per business/user pair per 24 h.
const CALLS_PER_USER: u32 = 100;
/// Callbacks per flow: the child's three and the parent's `completed`.
const CALLBACKS_PER_FLOW: u64 = 4;
/// Default `--hold`: long enough for Dialtone's RTCP receiver reports (one a second) to reach
/// the user's side while the call lasts.
const DEFAULT_HOLD: f64 = 3.0;
/// Longest `--hold` accepted (the simulator's limit: one day).
const MAX_HOLD: f64 = 86_400.0;
/// Loss above this share of packets, in either direction, fails the run.
const MAX_LOSS_PERCENT: f64 = 1.0;

/// Creates the simulated user `index` on the server; its number.
async fn create_user(api: &Api, index: u32, hold: f64) -> Result<String, String> {
    let number = format!("+1555{:07}", 1_000_000 + index);
    api.post(
        "/sim/v1/WhatsAppUsers",
        &[
            ("Number", number.as_str()),
            ("Permission", "granted"),
            ("Behavior", "answer"),
            ("AnswerAfter", "0"),
            ("HangupAfter", &hold.to_string()),
        ],
    )
    .await?;
    Ok(number)
}

/// A free user for the next flow with its call count including this flow; a user that had
/// its 100 calls is retired and a new one created.
async fn take_user(api: &Api, pool: &Mutex<Pool>, hold: f64) -> Result<(String, u32), String> {
    let next = lock(pool).free.pop_front();
    match next {
        Some((number, uses)) if uses < CALLS_PER_USER => Ok((number, uses + 1)),
        _ => {
            let index = {
                let mut p = lock(pool);
                p.created += 1;
                p.created
            };
            Ok((create_user(api, index, hold).await?, 1))
        }
    }
}

pub(super) async fn run(args: &BenchArgs) -> Result<bool, String> {
    let hold = args.hold.unwrap_or(DEFAULT_HOLD);
    if args.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err("--rate must be a positive number of flows per second".to_owned());
    }
    if !(hold.is_finite() && hold > 0.0 && hold <= MAX_HOLD) {
        return Err(format!(
            "--hold must be a number of seconds above 0 and at most {MAX_HOLD}"
        ));
    }
    let sid = format!("AC{}", random_hex(16)?);
    let token = random_hex(16)?;
    let server = Arc::new(start_server(
        args.database_url.as_deref(),
        &sid,
        &token,
        args.concurrency,
        &[],
    )?);
    println!(
        "dialtone bench --whatsapp: {} flows, concurrency {}, hold {hold} s, rate {}, {}, server {}",
        args.calls,
        args.concurrency,
        args.rate
            .map_or("unlimited".to_owned(), |r| format!("{r}/s")),
        super::backend(args),
        server.url
    );
    let target_live = u64::from(args.calls.min(args.concurrency));
    let progress = progress_bar(args.calls, args.quiet, "flows completed")?;
    let tracker = Arc::new(Mutex::new(Tracker::default()));
    let pool = Arc::new(Mutex::new(Pool::default()));
    let base = Arc::new(OnceLock::new());
    let state = AppState {
        tracker: Arc::clone(&tracker),
        pool: Arc::clone(&pool),
        progress: progress.clone(),
        base: Arc::clone(&base),
        target_live,
        server: Arc::clone(&server),
    };
    let router = whatsapp_app::router(state);
    let app_url = serve_app(router).await?;
    base.set(app_url.clone())
        .map_err(|_| "the application server's URL was set twice".to_owned())?;
    let slots = usize::try_from(args.concurrency).unwrap_or(1);
    let api = Arc::new(Api {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(slots)
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?,
        base: server.url.clone(),
        sid: sid.clone(),
        token,
    });

    set_up(&api, &app_url, &pool, target_live, hold).await?;
    println!(
        "set-up: sender whatsapp:{SENDER}, softphone client:{AGENT}, {target_live} simulated WhatsApp users"
    );

    let cpu_start = (Instant::now(), server.cpu_time(), own_cpu_time());
    let create_path = format!("/2010-04-01/Accounts/{sid}/Calls.json");
    let status_url = format!("{app_url}/status");
    let semaphore = Arc::new(Semaphore::new(slots));
    let started = Instant::now();
    let mut creates = tokio::task::JoinSet::new();
    let mut pace = args.rate.map(|rate| {
        let mut pace = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        pace
    });
    for _ in 0..args.calls {
        if let Some(pace) = pace.as_mut() {
            pace.tick().await;
        }
        let permit = Arc::clone(&semaphore)
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let user = take_user(&api, &pool, hold).await?;
        let (api, tracker, pool) = (Arc::clone(&api), Arc::clone(&tracker), Arc::clone(&pool));
        let voice_url = format!("{app_url}/voice/{}", user.0.trim_start_matches('+'));
        let (create_path, status_url) = (create_path.clone(), status_url.clone());
        creates.spawn(async move {
            let form = [
                ("To", format!("client:{AGENT}")),
                ("From", "+15005550006".to_owned()),
                ("Url", voice_url),
                ("StatusCallback", status_url),
            ];
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let sent = Instant::now();
            let call = match api.post(&create_path, &form).await {
                Ok(call) => call,
                Err(e) => {
                    // The call may exist all the same: its user is not given to another flow.
                    let mut t = lock(&tracker);
                    t.create_errors += 1;
                    problem(&mut t, format!("create failed: {e}"));
                    return Ok(());
                }
            };
            let sid = call["sid"].as_str().unwrap_or_default().to_owned();
            let mut t = lock(&tracker);
            let flow = t.flows.entry(sid.clone()).or_default();
            flow.created = Some(sent);
            flow.user.clone_from(&user.0);
            if t.early_done.remove(&sid) {
                lock(&pool).free.push_back(user);
            } else {
                t.held.insert(sid, (permit, user));
            }
            Ok::<(), String>(())
        });
        while let Some(done) = creates.try_join_next() {
            done.map_err(|e| e.to_string())??;
        }
    }
    while let Some(done) = creates.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    let expected_callbacks = u64::from(args.calls) * CALLBACKS_PER_FLOW;
    let deadline =
        Instant::now() + Duration::from_secs_f64(hold) + Duration::from_secs(args.timeout);
    loop {
        let received = lock(&tracker).callbacks.len() as u64;
        if received >= expected_callbacks || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    progress.finish();
    let cpu_end = (Instant::now(), server.cpu_time(), own_cpu_time());
    let t = std::mem::take(&mut *lock(&tracker));
    let mut ok = report_flows(args, &t, started, expected_callbacks);
    report_cpu(&t, cpu_start, cpu_end);
    ok &= report_records(&api, args.calls).await?;
    let users: Vec<String> = {
        let mut users: Vec<String> = t.flows.values().map(|f| f.user.clone()).collect();
        users.sort_unstable();
        users.dedup();
        users
    };
    let totals = MediaTotals::collect(&api, &users).await?;
    ok &= totals.report(MAX_LOSS_PERCENT, u64::from(args.calls));
    for bad in t.problems.iter().take(10) {
        println!("problem: {bad}");
    }
    ok &= t.problems.is_empty();
    if !ok {
        println!("FAILED (server log: {})", server.keep_log().display());
    }
    Ok(ok)
}

/// The application, the sender, the softphone agent and the first `users` simulated users.
async fn set_up(
    api: &Api,
    app_url: &str,
    pool: &Mutex<Pool>,
    users: u64,
    hold: f64,
) -> Result<(), String> {
    let application = api
        .post(
            &format!("/2010-04-01/Accounts/{}/Applications.json", api.sid),
            &[
                ("FriendlyName", "dialtone bench whatsapp line"),
                ("VoiceUrl", &format!("{app_url}/inbound")),
            ],
        )
        .await?;
    let application_sid = application["sid"]
        .as_str()
        .ok_or("the application has no sid")?;
    api.post_json(
        "/v2/Channels/Senders",
        &serde_json::json!({
            "sender_id": format!("whatsapp:{SENDER}"),
            "configuration": { "voice_application_sid": application_sid },
        }),
    )
    .await?;
    api.post(
        "/sim/v1/Clients",
        &[("Identity", AGENT), ("AnswerAfter", "0")],
    )
    .await?;
    for _ in 0..users {
        let index = {
            let mut p = lock(pool);
            p.created += 1;
            p.created
        };
        let number = create_user(api, index, hold).await?;
        lock(pool).free.push_back((number, 0));
    }
    Ok(())
}

/// Flows/s, latencies and callbacks; false when a flow did not complete or a callback was lost.
fn report_flows(args: &BenchArgs, t: &Tracker, started: Instant, expected_callbacks: u64) -> bool {
    let elapsed = t
        .last_completed
        .map_or(started.elapsed(), |l| l.duration_since(started));
    #[allow(clippy::cast_precision_loss)]
    let rate = t.completed as f64 / elapsed.as_secs_f64();
    println!(
        "completed: {}/{} flows in {:.2} s: {rate:.1} flows/s",
        t.completed,
        args.calls,
        elapsed.as_secs_f64()
    );
    let mut setup = Vec::new();
    let mut answer = Vec::new();
    let mut dial_statuses: HashMap<&str, u64> = HashMap::new();
    let mut child_statuses: HashMap<&str, u64> = HashMap::new();
    for flow in t.flows.values() {
        if let (Some(created), Some(answered)) = (flow.created, flow.answered) {
            setup.push(answered.saturating_duration_since(created));
        }
        if let (Some(ringing), Some(answered)) = (flow.ringing, flow.answered) {
            answer.push(answered.saturating_duration_since(ringing));
        }
        *dial_statuses
            .entry(flow.dial_status.as_deref().unwrap_or("none"))
            .or_default() += 1;
        *child_statuses
            .entry(flow.child_status.as_deref().unwrap_or("none"))
            .or_default() += 1;
    }
    println!(
        "{}",
        latency_line(
            "set-up latency (create sent -> child answered callback received)",
            setup
        )
    );
    println!(
        "{}",
        latency_line(
            "answer latency (child ringing callback -> child answered callback; the user answers at once)",
            answer
        )
    );
    println!("peak WhatsApp calls in progress at once: {}", t.peak_live);
    println!("create requests failed: {}", t.create_errors);
    let received = t.callbacks.len() as u64;
    let lost = expected_callbacks.saturating_sub(received);
    println!(
        "status callbacks: expected {expected_callbacks}, received {received}, lost {lost}, duplicates {}",
        t.duplicates
    );
    let mut dial: Vec<_> = dial_statuses.into_iter().collect();
    dial.sort_unstable();
    let mut children: Vec<_> = child_statuses.into_iter().collect();
    children.sort_unstable();
    println!("child final callbacks: {children:?}");
    println!("action DialCallStatus: {dial:?}");
    let n = u64::from(args.calls);
    lost == 0 && t.completed == n && children == [("completed", n)] && dial == [("completed", n)]
}

/// The server's CPU use while every flow was in progress, and over the whole run.
fn report_cpu(
    t: &Tracker,
    start: (Instant, Option<Duration>, Option<Duration>),
    end: (Instant, Option<Duration>, Option<Duration>),
) {
    let share = |cpu: Duration, wall: Duration| {
        percent(
            u64::try_from(cpu.as_micros()).unwrap_or(u64::MAX),
            u64::try_from(wall.as_micros()).unwrap_or(u64::MAX).max(1),
        )
    };
    if let (Some((from, Some(cpu_from))), Some((to, Some(cpu_to)))) =
        (t.all_live, t.first_end_after_all_live)
    {
        let wall = to.duration_since(from);
        println!(
            "all {} calls in progress at once for {:.1} s: server CPU {:.0} % of one core",
            t.peak_live,
            wall.as_secs_f64(),
            share(cpu_to.saturating_sub(cpu_from), wall)
        );
    }
    if let ((from, Some(server_from), Some(bench_from)), (to, Some(server_to), Some(bench_to))) =
        (start, end)
    {
        let wall = to.duration_since(from);
        println!(
            "CPU over the run ({:.1} s): server {:.0} %, bench {:.0} % of one core ({} cores)",
            wall.as_secs_f64(),
            share(server_to.saturating_sub(server_from), wall),
            share(bench_to.saturating_sub(bench_from), wall),
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        );
    }
}

/// Every call's final status read back: parents `outbound-api`, children `outbound-dial`, all
/// `completed`.
async fn report_records(api: &Api, flows: u32) -> Result<bool, String> {
    let mut counts: HashMap<(String, String), u64> = HashMap::new();
    for call in api.calls().await? {
        let direction = call["direction"].as_str().unwrap_or("?").to_owned();
        let status = call["status"].as_str().unwrap_or("?").to_owned();
        *counts.entry((direction, status)).or_default() += 1;
    }
    let mut listed: Vec<_> = counts.iter().collect();
    listed.sort();
    println!("final call statuses (REST API): {listed:?}");
    let n = u64::from(flows);
    let parents = counts.get(&("outbound-api".into(), "completed".into()));
    let children = counts.get(&("outbound-dial".into(), "completed".into()));
    Ok(counts.len() == 2 && parents == Some(&n) && children == Some(&n))
}
