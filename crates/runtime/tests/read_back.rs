//! An application may read the call back over REST while it handles the call's voice
//! request (many Twilio apps do): the request must not go out before the call's row is stored.
//! Calls started many at once, API-created and softphone (inbound) alike, where the store's
//! writers are busiest.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use common::{account, call_request, ended, runtime};
use dialtone_runtime::SoftphoneConfig;
use dialtone_store::{NewApplication, Store};
use dialtone_types::{CallStatus, Sid, SidKind, UnixMillis};

/// Calls of each kind started at once.
const CALLS: usize = 24;

/// What the application found when it looked its call up: (CallSid, found).
type Lookups = Arc<Mutex<Vec<(String, bool)>>>;

/// A voice URL whose handler fetches the call from the store before answering `<Hangup/>`.
async fn reading_app(store: Store) -> (dialtone_types::WebUrl, Lookups) {
    let lookups: Lookups = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url =
        dialtone_types::WebUrl::parse(&format!("http://{}/voice", listener.local_addr().unwrap()))
            .unwrap();
    let state = (store, Arc::clone(&lookups));
    let router = axum::Router::new()
        .route(
            "/voice",
            axum::routing::post(
                |State((store, lookups)): State<(Store, Lookups)>, body: Bytes| async move {
                    let sid = form_urlencoded::parse(&body)
                        .find(|(k, _)| k == "CallSid")
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default();
                    let found = match sid.parse::<Sid>() {
                        Ok(call) => store.fetch_call(account(), call).await.is_ok(),
                        Err(_) => false,
                    };
                    lookups.lock().unwrap().push((sid, found));
                    "<Response><Hangup/></Response>"
                },
            ),
        )
        .with_state(state);
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    (url, lookups)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_is_readable_when_its_voice_request_arrives() {
    let (rt, store) = runtime().await;
    let (voice, lookups) = reading_app(store.clone()).await;
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            answer_after: Duration::ZERO,
            ..SoftphoneConfig::new("agent")
        },
    );
    let application = store
        .create_application(
            account(),
            &NewApplication {
                sid: Sid::new(SidKind::Application, 9),
                friendly_name: "reads back".to_owned(),
                voice_url: Some(voice.to_string()),
                voice_method: "POST".to_owned(),
                voice_fallback_url: None,
                voice_fallback_method: "POST".to_owned(),
                status_callback: None,
                status_callback_method: "POST".to_owned(),
            },
            UnixMillis(1_700_000_000_000),
        )
        .await
        .unwrap();
    for i in 0..CALLS {
        rt.softphones()
            .register(account(), SoftphoneConfig::new(format!("caller{i}")));
    }

    let mut started = Vec::new();
    for i in 0..CALLS {
        let (rt, voice, application) = (rt.clone(), voice.clone(), application.clone());
        started.push(tokio::spawn(async move {
            let api = rt
                .create_call(call_request("client:agent", voice))
                .await
                .unwrap();
            let inbound = rt
                .start_softphone_call(
                    account(),
                    &format!("caller{i}"),
                    application,
                    Some("+15557654321".to_owned()),
                    Vec::new(),
                )
                .await
                .unwrap();
            [api.sid, inbound.sid]
        }));
    }
    let mut calls = Vec::new();
    for task in started {
        calls.extend(task.await.unwrap());
    }
    for call in &calls {
        assert_eq!(ended(&store, *call).await.status, CallStatus::Completed);
    }
    let mut seen = lookups.lock().unwrap().clone();
    seen.sort();
    let mut expected: Vec<(String, bool)> = calls.iter().map(|c| (c.to_string(), true)).collect();
    expected.sort();
    assert_eq!(seen, expected, "every voice request found its call stored");
    rt.shutdown().await;
}
