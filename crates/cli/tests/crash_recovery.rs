//! Crash recovery of the real binary: `dialtone serve` is SIGKILLed while 100 calls are live,
//! then started again on the same data. Every call must reach a terminal status, every
//! subscribed `completed` status callback must be delivered (more than once only with the
//! same `I-Twilio-Idempotency-Token`), and the SQLite file must pass `PRAGMA integrity_check`.
//!
//! The calls also subscribe to `answered`, and the application holds the first delivery of
//! each `answered` callback without answering, so that at the kill some callbacks are in
//! flight (sent, never acknowledged) and others still queued. After the restart each held one
//! must arrive again with the same token, each queued one exactly once, and `completed` only
//! after `answered` for every call.
//! Runs on SQLite and on PostgreSQL (`DIALTONE_TEST_POSTGRES_URL`; the test fails without it).

mod e2e_common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use e2e_common::{Account, Backend, Server};
use serde_json::Value;

const CALLS: usize = 100;
const TERMINAL: &[&str] = &["completed", "busy", "failed", "no-answer", "canceled"];

/// One status callback the application received.
#[derive(Debug, Clone)]
struct Callback {
    call: String,
    status: String,
    sequence: String,
    token: String,
}

/// What the application saw, and whether it still holds first `answered` deliveries.
#[derive(Debug, Default)]
struct AppState {
    received: Mutex<Vec<Callback>>,
    /// Cleared at the kill: after the restart every callback is acknowledged at once.
    released: AtomicBool,
}

type Received = Arc<AppState>;

/// Longer than the test: a held callback is never answered before the kill.
const HOLD: Duration = Duration::from_mins(2);

async fn status_callback(
    State(received): State<Received>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let params: BTreeMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    let token = headers
        .get("i-twilio-idempotency-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let callback = Callback {
        call: get("CallSid"),
        status: get("CallStatus"),
        sequence: get("SequenceNumber"),
        token,
    };
    // Before the kill every `answered` arrival is a first delivery (the sender's 15 s read
    // timeout, after which it would give up, is never reached).
    let hold = callback.status == "in-progress" && !received.released.load(Ordering::SeqCst);
    received.received.lock().expect("lock").push(callback);
    if hold {
        tokio::time::sleep(HOLD).await;
    }
    StatusCode::NO_CONTENT
}

/// The application: records status callbacks on `POST /status`.
async fn start_app() -> (String, Received, tokio::task::JoinHandle<()>) {
    let received = Received::default();
    let app = axum::Router::new()
        .route("/status", post(status_callback))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the application");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .await
            .expect("application server");
    });
    (url, received, task)
}

/// A Basic-authenticated client of one server and account.
struct Api {
    http: reqwest::Client,
    base: String,
    account: Account,
}

impl Api {
    async fn send(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .basic_auth(&self.account.sid, Some(&self.account.token));
        if method == reqwest::Method::POST {
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            req = req
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body);
        }
        let resp = req.send().await.expect("request to dialtone");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("response body");
        assert!(
            status.is_success(),
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&bytes)
        );
        serde_json::from_slice(&bytes).expect("JSON response")
    }

    /// Every call of the account: sid → status.
    async fn calls(&self) -> BTreeMap<String, String> {
        let path = format!(
            "/2010-04-01/Accounts/{}/Calls.json?PageSize=1000",
            self.account.sid
        );
        let page = self.send(reqwest::Method::GET, &path, &[]).await;
        assert_eq!(
            page["next_page_uri"],
            Value::Null,
            "one page holds them all"
        );
        page["calls"]
            .as_array()
            .expect("calls")
            .iter()
            .map(|c| {
                (
                    c["sid"].as_str().expect("sid").to_owned(),
                    c["status"].as_str().expect("status").to_owned(),
                )
            })
            .collect()
    }
}

async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        match done().await {
            Ok(()) => return,
            Err(state) => assert!(
                Instant::now() < deadline,
                "timed out after {timeout:?} waiting for {what}: {state}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn crash_and_recover(backend: &Backend) {
    let dir = tempfile::tempdir().expect("data dir");
    let account = Account::random();
    let (app_url, received, app_task) = start_app().await;
    let status_url = format!("{app_url}/status");

    let server = Server::start(dir.path(), backend, &account);
    let api = Api {
        http: reqwest::Client::new(),
        base: server.url.clone(),
        account: account.clone(),
    };
    // A softphone that answers at once and stays until the other side hangs up.
    api.send(
        reqwest::Method::POST,
        "/sim/v1/Clients",
        &[("Identity", "crash"), ("AnswerAfter", "0.05")],
    )
    .await;
    let create = format!("/2010-04-01/Accounts/{}/Calls.json", account.sid);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CALLS {
        let http = api.http.clone();
        let (base, account, create, status_url) = (
            api.base.clone(),
            account.clone(),
            create.clone(),
            status_url.clone(),
        );
        tasks.spawn(async move {
            let api = Api {
                http,
                base,
                account,
            };
            let call = api
                .send(
                    reqwest::Method::POST,
                    &create,
                    &[
                        ("To", "client:crash"),
                        ("From", "+15005550006"),
                        ("Twiml", "<Response><Pause length=\"600\"/></Response>"),
                        ("StatusCallback", &status_url),
                        ("StatusCallbackEvent", "answered"),
                        ("StatusCallbackEvent", "completed"),
                    ],
                )
                .await;
            call["sid"].as_str().expect("sid").to_owned()
        });
    }
    let mut sids = BTreeSet::new();
    while let Some(sid) = tasks.join_next().await {
        sids.insert(sid.expect("create task"));
    }
    assert_eq!(sids.len(), CALLS, "distinct calls created");

    wait_until(
        "every call in progress and some answered callbacks held",
        Duration::from_mins(1),
        || async {
            let calls = api.calls().await;
            let live = calls.values().filter(|s| *s == "in-progress").count();
            let held = received.received.lock().expect("lock").len();
            if live == CALLS && held > 0 {
                Ok(())
            } else {
                Err(format!(
                    "{live} of {CALLS} in progress, {held} callbacks held"
                ))
            }
        },
    )
    .await;

    let t0 = Instant::now();
    server.kill();
    received.released.store(true, Ordering::SeqCst);
    // The server is dead: what arrived so far is every first attempt there was.
    let before: Vec<Callback> = received.received.lock().expect("lock").clone();
    for c in &before {
        assert_eq!(
            (c.status.as_str(), c.sequence.as_str()),
            ("in-progress", "0"),
            "only answered callbacks before the kill: {c:?}"
        );
    }
    let held: BTreeSet<String> = before.iter().map(|c| c.call.clone()).collect();
    assert_eq!(held.len(), before.len(), "one held callback per call");

    let server = Server::start(dir.path(), backend, &account);
    let api = Api {
        base: server.url.clone(),
        ..api
    };
    wait_until(
        "every call terminal and every completed callback delivered",
        Duration::from_mins(1),
        || async {
            let calls = api.calls().await;
            let live = calls
                .values()
                .filter(|s| !TERMINAL.contains(&s.as_str()))
                .count();
            let delivered: BTreeSet<String> = received
                .received
                .lock()
                .expect("lock")
                .iter()
                .filter(|c| c.status == "completed")
                .map(|c| c.call.clone())
                .collect();
            if live == 0 && delivered.len() == CALLS {
                Ok(())
            } else {
                Err(format!(
                    "{live} calls live, callbacks for {} of {CALLS} calls",
                    delivered.len()
                ))
            }
        },
    )
    .await;

    let recovered_in = t0.elapsed();
    let calls = api.calls().await;
    assert_eq!(
        calls.keys().cloned().collect::<BTreeSet<_>>(),
        sids,
        "the calls after the restart"
    );
    for (sid, status) in &calls {
        assert_eq!(status, "completed", "{sid}: answered calls end completed");
    }
    let callbacks = received.received.lock().expect("lock").clone();
    // Per call: the arrivals in order, and the tokens of each SequenceNumber.
    let mut arrivals: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
    let mut tokens: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for c in &callbacks {
        assert!(sids.contains(&c.call), "callback for an unknown call {c:?}");
        assert_eq!(c.token.len(), 32, "idempotency token of {c:?}");
        arrivals
            .entry(&c.call)
            .or_default()
            .push((c.status.as_str(), c.sequence.as_str()));
        tokens
            .entry((&c.call, &c.sequence))
            .or_default()
            .insert(&c.token);
    }
    assert_eq!(arrivals.len(), CALLS, "calls with callbacks");
    for (call, seen) in &arrivals {
        let expected: &[(&str, &str)] = if held.contains(*call) {
            // Held at the kill, so never acknowledged: sent again after the restart.
            &[
                ("in-progress", "0"),
                ("in-progress", "0"),
                ("completed", "1"),
            ]
        } else {
            &[("in-progress", "0"), ("completed", "1")]
        };
        assert_eq!(
            seen.as_slice(),
            expected,
            "{call}: callbacks in arrival order"
        );
    }
    for (key, t) in &tokens {
        assert_eq!(
            t.len(),
            1,
            "{key:?}: duplicates with different tokens {t:?}"
        );
    }
    assert_ne!(
        tokens[&(sids.first().expect("a call").as_str(), "0")],
        tokens[&(sids.first().expect("a call").as_str(), "1")],
        "each callback has its own token"
    );
    eprintln!(
        "[{}] {} callbacks for {CALLS} calls; {} answered callbacks held at the kill and \
         delivered again with the same token; recovered in {recovered_in:.1?}",
        backend.name(),
        callbacks.len(),
        held.len()
    );

    let status = server.stop();
    assert!(
        status.success(),
        "server after recovery exited with {status}"
    );
    app_task.abort();

    if matches!(backend, Backend::Sqlite) {
        use sqlx::Connection as _;
        let path = dir.path().join("dialtone.db");
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("open the SQLite file");
        let rows: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .expect("integrity_check");
        assert_eq!(rows, vec![("ok".to_owned(),)], "PRAGMA integrity_check");
        let _ = conn.close().await;
    }
}

fn run(backend: &Backend) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(crash_and_recover(backend));
}

#[test]
fn sigkill_with_100_live_calls_sqlite() {
    run(&Backend::Sqlite);
}

#[test]
fn sigkill_with_100_live_calls_postgres() {
    run(&Backend::postgres("crash"));
}
