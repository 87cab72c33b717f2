//! Operations of the real binary (issue 15, items 2 and 4): `[limits] calls_per_second`
//! queues REST creates over the account's CPS (201 `queued` at once) and refuses them with
//! 429/20429 and `Retry-After` once the queue is full; `/metrics` then shows exact counters
//! for what happened, and `/readyz` answers 200.
//!
//! Six creates are sent at once at 1 CPS with a queue of 2: one starts, two wait, three are
//! refused. (Only if the machine took over a second to hand six requests to the engine could
//! a token come back in between; the engine's pacing itself is tested in virtual time in
//! `dialtone-core`'s `cps_pacing`.)

mod e2e_common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use e2e_common::{Account, Backend, Server};
use serde_json::{Value, json};

const TWIML: &str = "<Response><Hangup/></Response>";

async fn post(
    http: &reqwest::Client,
    url: &str,
    account: &Account,
    form: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let resp = http
        .post(url)
        .basic_auth(&account.sid, Some(&account.token))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("request to dialtone");
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().expect("ASCII").to_owned());
    (status, retry_after, json_body(resp).await)
}

async fn get_json(http: &reqwest::Client, url: &str, account: &Account) -> Value {
    let resp = http
        .get(url)
        .basic_auth(&account.sid, Some(&account.token))
        .send()
        .await
        .expect("request to dialtone");
    json_body(resp).await
}

async fn json_body(resp: reqwest::Response) -> Value {
    let bytes = resp.bytes().await.expect("body");
    serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)))
}

/// `name{labels} value` lines of a Prometheus text page, comments left out.
fn series(page: &str) -> BTreeMap<String, String> {
    page.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cps_queue_429_and_exact_metrics() {
    let dir = tempfile::tempdir().expect("data dir");
    let config = dir.path().join("dialtone.toml");
    std::fs::write(&config, "[limits]\ncalls_per_second = 1\nqueue = 2\n").expect("config");
    let account = Account::random();
    let server = Server::start_with_env(
        dir.path(),
        &Backend::Sqlite,
        &account,
        &[("DIALTONE_CONFIG", config.to_str().expect("UTF-8 path"))],
    );
    let http = reqwest::Client::new();

    let ready = http
        .get(format!("{}/readyz", server.url))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
    assert_eq!(json_body(ready).await, json!({"status": "ready"}));

    let (status, _, body) = post(
        &http,
        &format!("{}/sim/v1/Clients", server.url),
        &account,
        &[("Identity", "ops"), ("AnswerAfter", "0")],
    )
    .await;
    assert_eq!(status, 201, "{body}");

    let create = format!(
        "{}/2010-04-01/Accounts/{}/Calls.json",
        server.url, account.sid
    );
    let answers = futures_join(
        (0..6)
            .map(|_| {
                let (http, create, account) = (http.clone(), create.clone(), account.clone());
                tokio::spawn(async move {
                    post(
                        &http,
                        &create,
                        &account,
                        &[
                            ("To", "client:ops"),
                            ("From", "+15005550006"),
                            ("Twiml", TWIML),
                        ],
                    )
                    .await
                })
            })
            .collect(),
    )
    .await;
    let mut created = Vec::new();
    let mut refused = 0;
    for (status, retry_after, body) in answers {
        match status {
            201 => {
                assert_eq!(body["status"], "queued", "{body}");
                created.push(body["sid"].as_str().expect("sid").to_owned());
            }
            429 => {
                refused += 1;
                assert_eq!(retry_after.as_deref(), Some("1"), "{body}");
                assert_eq!(body["code"], 20429, "{body}");
                assert_eq!(body["status"], 429, "{body}");
                assert_eq!(
                    body["more_info"],
                    "https://www.twilio.com/docs/errors/20429"
                );
                assert_eq!(
                    body["message"],
                    "Too Many Requests: the account's 2 queued calls wait for their calls-per-second turn"
                );
            }
            other => panic!("create answered {other}: {body}"),
        }
    }
    assert_eq!((created.len(), refused), (3, 3));

    // Every admitted call runs to its end; the queued ones a second apart.
    let deadline = Instant::now() + Duration::from_mins(1);
    for sid in &created {
        loop {
            let call = get_json(
                &http,
                &format!(
                    "{}/2010-04-01/Accounts/{}/Calls/{sid}.json",
                    server.url, account.sid
                ),
                &account,
            )
            .await;
            if call["status"] == "completed" {
                break;
            }
            assert!(Instant::now() < deadline, "call {sid} stuck: {call}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let page = http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .expect("metrics");
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(
        page.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let page = page.text().await.expect("metrics page");
    let s = series(&page);
    let want = [
        (
            r#"dialtone_calls_total{status="completed",direction="outbound-api"}"#,
            "3",
        ),
        (
            r#"dialtone_admission_rejections_total{reason="cps_queue_full"}"#,
            "3",
        ),
        ("dialtone_calls_live", "0"),
        ("dialtone_calls_queued", "0"),
        (
            r#"dialtone_call_setup_seconds_count{direction="outbound-api"}"#,
            "3",
        ),
        ("dialtone_outbox_depth", "0"),
        ("dialtone_outbox_oldest_age_seconds", "0"),
        ("dialtone_media_legs_live", "0"),
        (
            r#"dialtone_prompt_cache_total{kind="say",result="miss"}"#,
            "0",
        ),
        (
            r#"dialtone_prompt_cache_total{kind="play",result="hit"}"#,
            "0",
        ),
    ];
    for (name, value) in want {
        assert_eq!(
            s.get(name).map(String::as_str),
            Some(value),
            "{name} in:\n{page}"
        );
    }
    // No other terminal status was counted.
    let terminal: Vec<_> = s
        .keys()
        .filter(|k| k.starts_with("dialtone_calls_total{"))
        .collect();
    assert_eq!(terminal.len(), 1, "{page}");
}

/// Awaits every task, in order.
async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}
