//! Admission of the real binary (issue 10, item 4: "a call is never answered 5xx after it was
//! created"): `dialtone serve --max-call-requests 8` (through its variable) takes a burst of
//! 2,000 concurrent `POST Calls.json`. Every answer must be 201 or 429 (Twilio's 20429 body,
//! `Retry-After`), never a 5xx; the calls the account holds are exactly the 201s; and the
//! application sees a TwiML request and status callbacks for those calls only.
//!
//! Deterministic, not a timing benchmark: during the burst the test holds SQLite's write lock
//! (`BEGIN IMMEDIATE` on the server's database file), so no admitted create can finish (its
//! call is taken by the engine but its row cannot be written). Exactly the first 8 are
//! admitted and every other request must be answered 429 while the lock is held; released,
//! the 8 are answered 201. Reads (authentication) go on beside the lock (WAL).

mod e2e_common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use e2e_common::{Account, Backend, Server};
use serde_json::{Value, json};

const BURST: usize = 2000;
const LIMIT: usize = 8;
/// The server's SQLite writer waits this long for a lock (10 s) less a margin: the burst's
/// refusals must all have been answered by then, or the admitted inserts would fail.
const LOCK_BUDGET: Duration = Duration::from_secs(8);

/// What the application received: (path, CallSid, CallStatus), in arrival order.
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

async fn webhook(
    State(received): State<Received>,
    uri: axum::http::Uri,
    body: String,
) -> ([(&'static str, &'static str); 1], &'static str) {
    let params: BTreeMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| params.get(k).cloned().unwrap_or_default();
    received
        .lock()
        .expect("lock")
        .push((uri.path().to_owned(), get("CallSid"), get("CallStatus")));
    (
        [("content-type", "text/xml")],
        "<Response><Hangup/></Response>",
    )
}

async fn start_app() -> (String, Received) {
    let received = Received::default();
    let app = axum::Router::new()
        .route("/voice", post(webhook))
        .route("/status", post(webhook))
        .with_state(Arc::clone(&received));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the application");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        axum::serve(listener, app)
            .await
            .expect("application server");
    });
    (url, received)
}

/// One answer: status, `Retry-After`, body.
type Answer = (u16, Option<String>, Value);

async fn send(
    http: &reqwest::Client,
    url: &str,
    account: &Account,
    form: Option<&[(&str, &str)]>,
) -> Answer {
    let req = match form {
        Some(form) => http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            ),
        None => http.get(url),
    };
    let resp = req
        .basic_auth(&account.sid, Some(&account.token))
        .send()
        .await
        .expect("request to dialtone");
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ASCII").to_owned());
    let bytes = resp.bytes().await.expect("response body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("{status}: not JSON: {}", String::from_utf8_lossy(&bytes)));
    (status, retry_after, body)
}

fn assert_refused(answer: &Answer) {
    let (status, retry_after, body) = answer;
    assert_eq!(*status, 429, "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"), "{body}");
    assert_eq!(
        body,
        &json!({
            "code": 20429,
            "message": "Too Many Requests",
            "more_info": "https://www.twilio.com/docs/errors/20429",
            "status": 429,
        })
    );
}

async fn burst() {
    let dir = tempfile::tempdir().expect("data dir");
    let account = Account::random();
    let (app_url, received) = start_app().await;
    let server = Server::start_with_env(
        dir.path(),
        &Backend::Sqlite,
        &account,
        &[("DIALTONE_MAX_CALL_REQUESTS", "8")],
    );
    let http = reqwest::Client::new();
    let (status, _, body) = send(
        &http,
        &format!("{}/sim/v1/Clients", server.url),
        &account,
        Some(&[("Identity", "burst"), ("AnswerAfter", "0")]),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // Hold the write lock: admitted creates are taken by the engine but cannot finish.
    let mut lock = {
        use sqlx::Connection as _;
        let path = dir.path().join("dialtone.db");
        sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("open the SQLite file")
    };
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut lock)
        .await
        .expect("take the write lock");
    let locked_at = Instant::now();

    let create = format!(
        "{}/2010-04-01/Accounts/{}/Calls.json",
        server.url, account.sid
    );
    let (voice, status_url) = (format!("{app_url}/voice"), format!("{app_url}/status"));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..BURST {
        let (http, create, account, tx) =
            (http.clone(), create.clone(), account.clone(), tx.clone());
        let (voice, status_url) = (voice.clone(), status_url.clone());
        tokio::spawn(async move {
            let form = [
                ("To", "client:burst"),
                ("From", "+15005550006"),
                ("Url", voice.as_str()),
                ("StatusCallback", status_url.as_str()),
                ("StatusCallbackEvent", "initiated"),
                ("StatusCallbackEvent", "completed"),
            ];
            let _ = tx.send(send(&http, &create, &account, Some(&form)).await);
        });
    }
    drop(tx);

    let mut answers = Vec::with_capacity(BURST);
    while answers.len() < BURST - LIMIT {
        let left = LOCK_BUDGET.saturating_sub(locked_at.elapsed());
        let next = tokio::time::timeout(left, rx.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{} of {} refusals answered within {LOCK_BUDGET:?} of taking the lock",
                    answers.len(),
                    BURST - LIMIT
                )
            });
        let answer = next.unwrap_or_else(|| panic!("only {} answers", answers.len()));
        assert_refused(&answer);
        answers.push(answer);
    }
    // Nothing of the refused requests reached the application, and the admitted ones wait.
    assert!(
        received.lock().expect("lock").is_empty(),
        "webhooks while every call waits for its row: {:?}",
        received.lock().expect("lock")
    );
    sqlx::query("ROLLBACK")
        .execute(&mut lock)
        .await
        .expect("release the write lock");

    let mut created = BTreeSet::new();
    while let Some((status, retry_after, body)) = rx.recv().await {
        assert_eq!(status, 201, "{body}");
        assert_eq!(retry_after, None);
        assert!(created.insert(body["sid"].as_str().expect("sid").to_owned()));
    }
    assert_eq!(created.len(), LIMIT, "one 201 per admitted create");

    // The account holds exactly the 201s' calls.
    let (status, _, page) = send(&http, &format!("{create}?PageSize=1000"), &account, None).await;
    assert_eq!(status, 200, "{page}");
    let listed: BTreeSet<String> = page["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .map(|c| c["sid"].as_str().expect("sid").to_owned())
        .collect();
    assert_eq!(listed, created, "calls stored = calls answered 201");

    // Each of them, and only they, fetched its TwiML once and reported initiated and
    // completed.
    let deadline = Instant::now() + Duration::from_mins(1);
    let expected: Vec<(String, String, String)> = created
        .iter()
        .flat_map(|sid| {
            [
                ("/status", "initiated"),
                ("/voice", "in-progress"),
                ("/status", "completed"),
            ]
            .map(|(path, status)| (path.to_owned(), sid.clone(), status.to_owned()))
        })
        .collect();
    loop {
        let mut seen = received.lock().expect("lock").clone();
        seen.sort_by(|a, b| (&a.1, rank(a)).cmp(&(&b.1, rank(b))));
        if seen == expected {
            break;
        }
        assert!(
            Instant::now() < deadline && seen.len() <= expected.len(),
            "webhooks: expected {expected:?}, got {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let log = server.log();
    assert!(
        !log.contains("cannot store a new call"),
        "an admitted call's row was not stored:\n{log}"
    );
    let exit = server.stop();
    assert!(exit.success(), "server exited with {exit}");
    eprintln!(
        "{BURST} concurrent creates, limit {LIMIT}: {} answered 429, {} answered 201",
        answers.len(),
        created.len()
    );
}

/// Orders one call's webhooks: initiated, the TwiML request, completed.
fn rank(w: &(String, String, String)) -> u8 {
    match (w.0.as_str(), w.2.as_str()) {
        ("/status", "initiated") => 0,
        ("/voice", _) => 1,
        _ => 2,
    }
}

#[test]
fn a_burst_of_2000_creates_against_8_slots_is_201_or_429_and_one_call_per_201() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(burst());
}
