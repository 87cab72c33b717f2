//! Webhook targets that misbehave: each failure becomes the right Twilio code in the call's
//! notifications, and the call ends cleanly (application error message, then hang-up).

mod common;

use std::time::Duration;

use common::{App, Reply, account, call_request, ended, runtime};
use dialtone_runtime::{CreateCall, SoftphoneConfig};
use dialtone_store::{PageRequest, PageSize};
use dialtone_types::{CallStatus, Level, TwilioCode};

async fn run_case(
    app: &App,
    url: dialtone_types::WebUrl,
) -> (CallStatus, Vec<(u32, Level)>, usize) {
    let (rt, store) = runtime().await;
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            answer_after: Duration::from_millis(20),
            ..SoftphoneConfig::new("alice")
        },
    );
    let call = rt
        .create_call(call_request("client:alice", url))
        .await
        .unwrap();
    let done = ended(&store, call.sid).await;
    rt.shutdown().await;
    let page = PageRequest::first(PageSize::new(50).unwrap());
    let notes = store
        .list_notifications(account(), call.sid, &page)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|n| (n.error_code.0, n.level))
        .collect();
    let events = store
        .list_events(account(), call.sid, &page)
        .await
        .unwrap()
        .items
        .len();
    let _ = app;
    (done.status, notes, events)
}

#[tokio::test]
async fn read_timeout_is_11205() {
    let app = App::start().await;
    app.route("/slow", Reply::Slow(Duration::from_secs(5)));
    let url = app.url("/slow#rt=200&tt=300");
    let (status, notes, events) = run_case(&app, url).await;
    assert_eq!(status, CallStatus::Completed);
    assert_eq!(notes, [(11205, Level::Error)]);
    assert_eq!(events, 1, "read timeouts are not retried by default");
}

#[tokio::test]
async fn refused_connection_is_11205_after_one_retry() {
    let app = App::start().await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let url = dialtone_types::WebUrl::parse(&format!("http://127.0.0.1:{port}/voice")).unwrap();
    let (status, notes, events) = run_case(&app, url).await;
    assert_eq!(status, CallStatus::Completed);
    assert_eq!(notes, [(11205, Level::Error)]);
    assert_eq!(
        events, 2,
        "connection failures are retried once (#rc=1, #rp=ct)"
    );
}

#[tokio::test]
async fn server_error_is_11200() {
    let app = App::start().await;
    app.route("/voice", Reply::Status(500));
    let (status, notes, events) = run_case(&app, app.url("/voice")).await;
    assert_eq!(status, CallStatus::Completed);
    assert_eq!(notes, [(11200, Level::Error)]);
    assert_eq!(events, 1);
}

#[tokio::test]
async fn server_error_is_retried_when_the_policy_says_so() {
    let app = App::start().await;
    app.route("/voice", Reply::Status(503));
    let url = app.url("/voice#rc=2&rp=5xx");
    let (status, notes, events) = run_case(&app, url).await;
    assert_eq!(status, CallStatus::Completed);
    assert_eq!(notes, [(11200, Level::Error)]);
    assert_eq!(events, 3);
    assert_eq!(app.seen_at("/voice").len(), 3);
}

#[tokio::test]
async fn non_xml_is_12300() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Body("application/json", b"{\"ok\":true}".to_vec()),
    );
    let (status, notes, _) = run_case(&app, app.url("/voice")).await;
    assert_eq!(status, CallStatus::Completed);
    assert_eq!(notes, [(12300, Level::Error)]);
}

#[tokio::test]
async fn ten_megabytes_is_11750() {
    let app = App::start().await;
    let mut body = b"<Response>".to_vec();
    body.resize(10 * 1024 * 1024, b' ');
    app.route("/voice", Reply::Body("text/xml", body));
    let (status, notes, _) = run_case(&app, app.url("/voice")).await;
    assert_eq!(status, CallStatus::Completed);
    assert_eq!(notes, [(11750, Level::Error)]);
}

#[tokio::test]
async fn status_callback_failure_is_a_warning() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    app.route("/status-broken", Reply::Status(500));
    let (rt, store) = runtime().await;
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            answer_after: Duration::from_millis(20),
            ..SoftphoneConfig::new("alice")
        },
    );
    let call = rt
        .create_call(CreateCall {
            status_callback: Some(app.url("/status-broken")),
            ..call_request("client:alice", app.url("/voice"))
        })
        .await
        .unwrap();
    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    let page = PageRequest::first(PageSize::new(50).unwrap());
    let notes = common::eventually("the warning", || async {
        let notes = store
            .list_notifications(account(), call.sid, &page)
            .await
            .ok()?
            .items;
        (!notes.is_empty()).then_some(notes)
    })
    .await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].error_code, TwilioCode(11200));
    assert_eq!(notes[0].level, Level::Warning);
    assert_eq!(
        notes[0].request_url.as_deref(),
        Some(app.url("/status-broken").as_str())
    );
    let outbox = store.outbox_for_call(call.sid).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].state, dialtone_store::OutboxState::Failed);
    assert_eq!(
        app.seen_at("/status-broken").len(),
        1,
        "a 500 is not retried by default"
    );
    rt.shutdown().await;
}

/// Without the `tls` feature, an `https` webhook cannot be made: a TLS failure (11220),
/// reported like any other.
#[cfg(not(feature = "tls"))]
#[tokio::test]
async fn https_without_the_tls_feature_is_11220() {
    let app = App::start().await;
    let url = dialtone_types::WebUrl::parse("https://127.0.0.1:9/voice").unwrap();
    let (status, notes, events) = run_case(&app, url).await;
    assert_eq!(status, CallStatus::Completed);
    assert_eq!(notes, [(11220, Level::Error)]);
    assert_eq!(
        events, 2,
        "TLS failures are connection failures: retried once"
    );
}

/// A status callback whose server refuses connections is tried again from the outbox (the
/// default `#rp=ct` covers it), with backoff, then given up with a warning.
#[tokio::test]
async fn refused_status_callback_is_retried_then_given_up() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let callback = dialtone_types::WebUrl::parse(&format!("http://127.0.0.1:{port}/cb")).unwrap();
    let (rt, store) = runtime().await;
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            answer_after: Duration::from_millis(20),
            ..SoftphoneConfig::new("alice")
        },
    );
    let call = rt
        .create_call(CreateCall {
            status_callback: Some(callback.clone()),
            ..call_request("client:alice", app.url("/voice"))
        })
        .await
        .unwrap();
    ended(&store, call.sid).await;
    let item = common::eventually("the callback to be given up", || async {
        let items = store.outbox_for_call(call.sid).await.ok()?;
        items
            .into_iter()
            .find(|i| i.state == dialtone_store::OutboxState::Failed)
    })
    .await;
    let max = common::config().outbox.max_deliveries;
    assert_eq!(item.attempts, max);
    let page = PageRequest::first(PageSize::new(50).unwrap());
    let notes = common::eventually("the warning", || async {
        let notes = store
            .list_notifications(account(), call.sid, &page)
            .await
            .ok()?
            .items;
        (!notes.is_empty()).then_some(notes)
    })
    .await;
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (notes[0].error_code, notes[0].level),
        (TwilioCode(11205), Level::Warning)
    );
    let events = common::eventually("every attempt recorded", || async {
        let events = store
            .list_events(account(), call.sid, &page)
            .await
            .ok()?
            .items;
        let to_callback = events
            .iter()
            .filter(|e| e.request_url == callback.as_str())
            .count();
        (to_callback == 2 * max as usize).then_some(to_callback)
    })
    .await;
    assert_eq!(
        events, 8,
        "two attempts (#rc=1) per delivery, four deliveries"
    );
    rt.shutdown().await;
}
