//! Admission and the point of no return: a request that creates or changes a call is either
//! refused before anything of it is stored (429 with `Retry-After` when every slot is taken,
//! 503 when it times out before the engine took it) or answered with its outcome, however long
//! that takes once the engine has it.

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode, header};
use common::{Rig, TOKEN, account, error, path};
use dialtone_api::Limits;
use http_body_util::BodyExt;
use serde_json::Value;

const CREATE: &str = "To=client%3Aalice&From=client%3Abob&Url=https%3A%2F%2Fa.test%2Fvoice";

fn limits(max_call_requests: usize) -> Limits {
    Limits {
        max_call_requests,
        ..Limits::default()
    }
}

/// A create's status, `Retry-After` and body.
async fn create(rig: &Rig) -> (StatusCode, Option<String>, Value) {
    let response = rig
        .raw(
            Method::POST,
            &path("/Calls.json"),
            CREATE,
            Some((&account().to_string(), TOKEN)),
        )
        .await;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, retry_after, serde_json::from_slice(&body).unwrap())
}

/// The SIDs of every call the account has, through the API.
async fn listed_sids(rig: &Rig) -> Vec<String> {
    let (status, page) = rig.get(&path("/Calls.json?PageSize=1000")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["next_page_uri"], Value::Null);
    let mut sids: Vec<String> = page["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["sid"].as_str().unwrap().to_owned())
        .collect();
    sids.sort();
    sids
}

fn too_many() -> Value {
    error(20429, 429, "Too Many Requests")
}

/// 2,000 concurrent creates against 8 slots, with the engine holding every call it takes
/// until told to store it: exactly 8 are admitted, the other 1,992 are refused 429 before the
/// engine hears of them, and once released the 8 are created, one call each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_beyond_the_limit_is_refused_before_anything_is_stored() {
    const BURST: usize = 2000;
    const LIMIT: usize = 8;
    let rig = Arc::new(Rig::new().await.with_limits(limits(LIMIT)));
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    *rig.control.gate.lock().unwrap() = Some(Arc::clone(&gate));

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for _ in 0..BURST {
        let (rig, tx) = (Arc::clone(&rig), tx.clone());
        tokio::spawn(async move {
            let _ = tx.send(create(&rig).await);
        });
    }
    drop(tx);
    // While the gate is shut no admitted create can finish, so everything else is answered.
    for _ in 0..BURST - LIMIT {
        let (status, retry_after, body) = rx.recv().await.unwrap();
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(body, too_many());
    }
    assert!(rig.control.recorded.lock().unwrap().created.is_empty());
    assert!(listed_sids(&rig).await.is_empty());

    gate.add_permits(LIMIT);
    let mut created = Vec::new();
    while let Some((status, retry_after, body)) = rx.recv().await {
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(retry_after, None);
        created.push(body["sid"].as_str().unwrap().to_owned());
    }
    created.sort();
    assert_eq!(created.len(), LIMIT);
    assert_eq!(listed_sids(&rig).await, created);
    assert_eq!(rig.control.recorded.lock().unwrap().created.len(), LIMIT);

    // The slots were given back.
    gate.add_permits(1);
    assert_eq!(create(&rig).await.0, StatusCode::CREATED);
}

/// Every request that creates or changes a call takes a slot: with the only one held, a
/// softphone call and a call update are refused too, before anything is looked up.
#[tokio::test]
async fn softphone_calls_and_updates_share_the_slots() {
    let rig = Arc::new(Rig::new().await.with_limits(limits(1)));
    let (_, app) = rig
        .post(
            &path("/Applications.json"),
            "VoiceUrl=https%3A%2F%2Fa.test%2Fvoice",
        )
        .await;
    rig.post("/sim/v1/Clients", "Identity=alice").await;
    let (status, live) = rig.post(&path("/Calls.json"), CREATE).await;
    assert_eq!(status, StatusCode::CREATED);
    let live = live["sid"].as_str().unwrap().to_owned();

    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    *rig.control.gate.lock().unwrap() = Some(Arc::clone(&gate));
    let holder = {
        let rig = Arc::clone(&rig);
        tokio::spawn(async move { create(&rig).await })
    };
    // Wait until the holder's create is in the engine (it holds the only slot).
    while rig.control.gated.load(std::sync::atomic::Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }

    let sim_call = format!(
        "ApplicationSid={}&To=%2B15551230000",
        app["sid"].as_str().unwrap()
    );
    assert_eq!(
        rig.post("/sim/v1/Clients/alice/Calls", &sim_call).await,
        (StatusCode::TOO_MANY_REQUESTS, too_many())
    );
    assert_eq!(
        rig.post(&path(&format!("/Calls/{live}.json")), "Status=completed")
            .await,
        (StatusCode::TOO_MANY_REQUESTS, too_many())
    );
    assert!(rig.control.recorded.lock().unwrap().updated.is_empty());
    assert!(
        rig.control
            .recorded
            .lock()
            .unwrap()
            .softphone_calls
            .is_empty()
    );

    gate.add_permits(1);
    assert_eq!(holder.await.unwrap().0, StatusCode::CREATED);
    let (status, _) = rig.post("/sim/v1/Clients/alice/Calls", &sim_call).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, ended) = rig
        .post(&path(&format!("/Calls/{live}.json")), "Status=completed")
        .await;
    assert_eq!(
        (status, &ended["status"]),
        (StatusCode::OK, &"completed".into())
    );
}

/// A create the engine has taken is answered with its call even when storing it outlasts the
/// request timeout; one that times out before the engine took it was never created.
#[tokio::test]
async fn the_timeout_never_cuts_a_create_the_engine_has_taken() {
    let rig = Rig::new().await.with_limits(Limits {
        request_timeout: Duration::from_millis(50),
        ..Limits::default()
    });
    *rig.control.stored_delay.lock().unwrap() = Some(Duration::from_millis(300));
    let (status, _, call) = create(&rig).await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    assert_eq!(listed_sids(&rig).await, [call["sid"].as_str().unwrap()]);

    *rig.control.stored_delay.lock().unwrap() = None;
    *rig.control.create_delay.lock().unwrap() = Some(Duration::from_secs(5));
    let (status, _, body) = create(&rig).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            error(20503, 503, "The request took too long; try again")
        )
    );
    assert_eq!(listed_sids(&rig).await.len(), 1);
}
