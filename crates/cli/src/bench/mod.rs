//! `dialtone bench`: end-to-end throughput of a real server.
//!
//! It starts `dialtone serve` as a child process (this same executable) on a free loopback
//! port with a temporary SQLite store (or `--database-url`), runs an application server of
//! its own on loopback, registers a simulated softphone that answers at once, and drives
//! `--calls` calls through the REST API over HTTP, `--concurrency` of them live at a time.
//! Each call: `POST Calls.json` (with `Url` and `StatusCallback`) → the softphone rings and
//! answers → the server fetches the TwiML (`<Response><Hangup/></Response>`) → the call
//! completes → the `completed` status callback (and, with `--all-events`, `initiated`,
//! `ringing` and `answered` too) arrives from the durable outbox.
//!
//! What it prints, all measured in this process on one monotonic clock:
//! - calls/s: calls whose `completed` callback arrived, divided by the time from the first
//!   create request to the last such callback;
//! - TwiML webhook latency: from sending the create request to receiving the voice request
//!   (API handling, ringing with `AnswerAfter=0`, and the signed TwiML fetch);
//! - status callback latency: from answering the voice request with `<Hangup/>` to receiving
//!   the `completed` callback (hang-up, store write, outbox, delivery);
//! - lost callbacks: expected (one per subscribed event per call) minus received, and
//!   duplicates; then every call's final status read back through the API.
//!
//! The exit code is 0 only when every call completed and no callback was lost.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The TwiML every call runs.
const TWIML: &str = "<Response><Hangup/></Response>";
/// The status-callback events of `--all-events`.
const ALL_EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];

/// `dialtone bench` options.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Calls to place.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub calls: u32,
    /// Calls live at once.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// Subscribe every call to all four status-callback events, not only `completed`.
    #[arg(long)]
    pub all_events: bool,
    /// Database for the server (default: SQLite in a temporary directory).
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Seconds to wait for the last callbacks once every call was created.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// No progress bar (for logs).
    #[arg(long)]
    pub quiet: bool,
}

/// Runs the benchmark.
pub fn main(args: &BenchArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dialtone bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(interruptible(run(args))) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("dialtone bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `f` until it ends or SIGINT/SIGTERM arrives; then `f` is dropped, and with it the
/// server under test, which is killed rather than left running.
async fn interruptible(
    f: impl std::future::Future<Output = Result<bool, String>>,
) -> Result<bool, String> {
    #[cfg(unix)]
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let terminated = async {
        match terminate.as_mut() {
            Some(s) => drop(s.recv().await),
            None => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminated = std::future::pending::<()>();
    tokio::select! {
        result = f => result,
        _ = tokio::signal::ctrl_c() => Err("interrupted".to_owned()),
        () = terminated => Err("terminated".to_owned()),
    }
}

/// The server under test, killed when dropped.
struct ServerProcess {
    child: Child,
    url: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn random_hex(bytes: usize) -> Result<String, String> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| format!("no OS random numbers: {e}"))?;
    Ok(b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    }))
}

/// Starts `dialtone serve` and reads the address from its banner.
fn start_server(args: &BenchArgs, sid: &str, token: &str) -> Result<ServerProcess, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let dir =
        tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let log = dir.path().join("serve.log");
    let log_file =
        std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let mut cmd = Command::new(exe);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path());
    if let Some(url) = &args.database_url {
        cmd.arg("--database-url").arg(url);
    }
    for var in [
        "DIALTONE_LISTEN",
        "DIALTONE_DATA_DIR",
        "DIALTONE_DATABASE_URL",
        "DIALTONE_PUBLIC_URL",
        "DIALTONE_CONFIG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("DIALTONE_ACCOUNT_SID", sid)
        .env("DIALTONE_AUTH_TOKEN", token)
        .env(
            "DIALTONE_LOG",
            std::env::var("DIALTONE_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start dialtone serve: {e}"))?;
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        return Err("no stdout from dialtone serve".to_owned());
    };
    let mut server = ServerProcess {
        child,
        url: String::new(),
        log,
        _dir: dir,
    };
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.map_err(|e| format!("reading dialtone serve's banner: {e}"))?;
        if let Some(url) = line.strip_prefix("dialtone listening on ") {
            url.trim().clone_into(&mut server.url);
        }
        if line.starts_with("Auth token:") {
            break;
        }
    }
    if server.url.is_empty() {
        let log = std::fs::read_to_string(&server.log).unwrap_or_default();
        return Err(format!("dialtone serve did not start:\n{log}"));
    }
    // Keep draining stdout so the server never blocks on it.
    std::thread::spawn(move || lines.for_each(drop));
    Ok(server)
}

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

fn form(body: &str) -> HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

async fn voice(State(app): State<AppState>, headers: HeaderMap, body: String) -> impl IntoResponse {
    let now = Instant::now();
    let params = form(&body);
    let sid = params.get("CallSid").cloned().unwrap_or_default();
    {
        let mut t = app
            .tracker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
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
    let mut t = app
        .tracker
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot bind the application server: {e}"))?;
    let url = format!(
        "http://{}",
        listener
            .local_addr()
            .map_err(|e| format!("application server address: {e}"))?
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("dialtone bench: application server failed: {e}");
        }
    });
    Ok(url)
}

struct Api {
    http: reqwest::Client,
    base: String,
    sid: String,
    token: String,
}

impl Api {
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Result<serde_json::Value, String> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .basic_auth(&self.sid, Some(&self.token))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        Self::json(path, resp).await
    }

    async fn get(&self, path_and_query: &str) -> Result<serde_json::Value, String> {
        let resp = self
            .http
            .get(format!("{}{path_and_query}", self.base))
            .basic_auth(&self.sid, Some(&self.token))
            .send()
            .await
            .map_err(|e| format!("GET {path_and_query}: {e}"))?;
        Self::json(path_and_query, resp).await
    }

    async fn json(path: &str, resp: reqwest::Response) -> Result<serde_json::Value, String> {
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(|e| format!("{path}: {e}"))?;
        if !status.is_success() {
            return Err(format!(
                "{path}: {status} {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        serde_json::from_slice(&bytes).map_err(|e| format!("{path}: not JSON: {e}"))
    }

    /// Final status → count, over every call of the account.
    async fn statuses(&self) -> Result<HashMap<String, u64>, String> {
        let mut counts = HashMap::new();
        let mut next = Some(format!(
            "/2010-04-01/Accounts/{}/Calls.json?PageSize=1000",
            self.sid
        ));
        while let Some(uri) = next {
            let page = self.get(&uri).await?;
            for call in page["calls"].as_array().into_iter().flatten() {
                let status = call["status"].as_str().unwrap_or("?").to_owned();
                *counts.entry(status).or_default() += 1;
            }
            next = page["next_page_uri"].as_str().map(str::to_owned);
        }
        Ok(counts)
    }
}

/// `p`-th percentile (nearest rank) of sorted durations, in milliseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn latency_line(name: &str, mut samples: Vec<Duration>) -> String {
    samples.sort_unstable();
    format!(
        "{name}: p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms  ({} samples)",
        percentile(&samples, 50.0),
        percentile(&samples, 90.0),
        percentile(&samples, 99.0),
        percentile(&samples, 100.0),
        samples.len()
    )
}

async fn run(args: &BenchArgs) -> Result<bool, String> {
    let sid = format!("AC{}", random_hex(16)?);
    let token = random_hex(16)?;
    let server = start_server(args, &sid, &token)?;
    let backend = args
        .database_url
        .as_deref()
        .map_or("SQLite (temporary)", |u| {
            if u.starts_with("postgres") {
                "PostgreSQL"
            } else {
                "SQLite"
            }
        });
    println!(
        "dialtone bench: {} calls, concurrency {}, {} callback(s) per call, {backend}, server {}",
        args.calls,
        args.concurrency,
        if args.all_events { 4 } else { 1 },
        server.url
    );

    let progress = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(u64::from(args.calls))
    };
    progress.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {pos}/{len} calls completed ({per_sec}, eta {eta})",
        )
        .map_err(|e| e.to_string())?,
    );
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
            let mut t = tracker
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
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
        let received = tracker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .callbacks
            .len() as u64;
        if received >= expected_callbacks || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    progress.finish();

    let t = std::mem::take(
        &mut *tracker
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
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
        println!("FAILED (server log: {})", server.log.display());
        // Keep the log readable after exit.
        let _ = std::fs::copy(
            &server.log,
            std::env::temp_dir().join("dialtone-bench-serve.log"),
        );
    }
    Ok(ok)
}
