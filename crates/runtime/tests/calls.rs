//! API-created calls and softphone calls against a real loopback application: the webhooks
//! Twilio would send, in order, signed, and what the store records.

mod common;

use std::time::Duration;

use common::{App, Reply, account, all_events, call_request, config, ended, eventually, runtime};
use dialtone_runtime::{Behavior, CallSource, CreateCall, Method, SoftphoneConfig};
use dialtone_types::{CallStatus, Direction, Level, TwilioCode};

fn create(app: &App, to: &str, path: &str) -> CreateCall {
    CreateCall {
        status_callback: Some(app.url("/status")),
        status_callback_events: all_events(),
        ..call_request(to, app.url(path))
    }
}

/// A voice document that keeps an answered call live for 30 s.
fn hold() -> Reply {
    Reply::Twiml("<Response><Pause length=\"30\"/></Response>".to_owned())
}

/// Waits until the application has received the voice request.
async fn voice_requested(app: &App) {
    eventually("the voice request", || async {
        (!app.seen_at("/voice").is_empty()).then_some(())
    })
    .await;
}

fn answering(identity: &str) -> SoftphoneConfig {
    SoftphoneConfig {
        answer_after: Duration::from_millis(50),
        ..SoftphoneConfig::new(identity)
    }
}

#[tokio::test]
async fn api_call_to_softphone_sends_signed_webhooks_in_order() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml("<Response><Say>Hello there</Say><Hangup/></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("alice"));

    let call = rt
        .create_call(create(&app, "client:alice", "/voice"))
        .await
        .unwrap();
    assert_eq!(call.status, CallStatus::Queued);
    assert_eq!(call.direction, Direction::OutboundApi);
    assert_eq!(call.to, "client:alice");
    assert_eq!(call.from, "+15550001111");
    assert_eq!(call.url.as_deref(), Some(app.url("/voice").as_str()));

    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    assert_eq!(done.duration, Some(0));
    assert!(done.start_time.is_some() && done.end_time.is_some());

    let callbacks = eventually("four callbacks", || async {
        let seen = app.callbacks_of("/status", call.sid);
        (seen.len() == 4).then_some(seen)
    })
    .await;
    let statuses: Vec<_> = callbacks
        .iter()
        .map(|c| c.param("CallStatus").unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["initiated", "ringing", "in-progress", "completed"]
    );
    let sequence: Vec<_> = callbacks
        .iter()
        .map(|c| c.param("SequenceNumber").unwrap())
        .collect();
    assert_eq!(sequence, ["0", "1", "2", "3"]);
    assert_eq!(
        callbacks[3].names(),
        [
            "AccountSid",
            "ApiVersion",
            "CallSid",
            "CallStatus",
            "Direction",
            "From",
            "To",
            "CallDuration",
            "CallbackSource",
            "SequenceNumber",
            "Timestamp"
        ]
    );
    assert_eq!(callbacks[3].param("CallDuration"), Some("0"));
    assert_eq!(
        callbacks[3].param("CallbackSource"),
        Some("call-progress-events")
    );
    assert_eq!(callbacks[3].param("Direction"), Some("outbound-api"));
    assert_eq!(callbacks[3].param("To"), Some("client:alice"));
    let mut tokens: Vec<_> = callbacks
        .iter()
        .map(|c| c.idempotency.clone().unwrap())
        .collect();
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 4, "one idempotency token per callback");

    let voice = app.seen_at("/voice");
    assert_eq!(voice.len(), 1);
    assert_eq!(voice[0].method, "POST");
    assert_eq!(voice[0].param("CallStatus"), Some("in-progress"));
    assert_eq!(
        voice[0].param("AccountSid"),
        Some(account().to_string().as_str())
    );
    assert_eq!(voice[0].user_agent.as_deref(), Some("TwilioProxy/1.1"));
    for seen in app.seen() {
        assert!(seen.signature_ok(), "bad signature on {}", seen.path);
    }

    // Every webhook is a call event: the voice request and the four callbacks.
    let events = eventually("five events", || async {
        let page = store
            .list_events(
                account(),
                call.sid,
                &dialtone_store::PageRequest::first(dialtone_store::PageSize::new(50).unwrap()),
            )
            .await
            .ok()?;
        (page.items.len() == 5).then_some(page.items)
    })
    .await;
    let voice_url = app.url("/voice");
    let voice_events: Vec<_> = events
        .iter()
        .filter(|e| e.request_url == voice_url.as_str())
        .collect();
    assert_eq!(voice_events.len(), 1);
    let voice_event = voice_events[0];
    assert_eq!(voice_event.response_status, Some(200));
    assert_eq!(
        voice_event.response_content_type.as_deref(),
        Some("text/xml")
    );
    assert_eq!(
        voice_event.response_body.as_deref(),
        Some("<Response><Say>Hello there</Say><Hangup/></Response>")
    );
    assert_eq!(voice_event.request_method, "POST");
    assert_eq!(
        voice_event
            .request_parameters
            .iter()
            .find(|(n, _)| n == "CallSid")
            .map(|(_, v)| v.as_str()),
        Some(call.sid.to_string().as_str())
    );
    let callback_events = events.len() - 1;
    assert_eq!(callback_events, 4);
    rt.shutdown().await;
}

#[tokio::test]
async fn get_method_sends_query_parameters() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("alice"));
    let mut req = create(&app, "client:alice", "/voice?x=1");
    req.method = Method::Get;
    req.status_callback = None;
    let call = rt.create_call(req).await.unwrap();
    ended(&store, call.sid).await;
    let voice = app.seen_at("/voice");
    assert_eq!(voice.len(), 1);
    assert_eq!(voice[0].method, "GET");
    assert_eq!(voice[0].param("x"), Some("1"));
    assert_eq!(
        voice[0].param("CallSid"),
        Some(call.sid.to_string().as_str())
    );
    assert!(voice[0].signature_ok());
    rt.shutdown().await;
}

#[tokio::test]
async fn softphone_behaviours_end_calls_as_twilio_does() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml("<Response><Pause length=\"5\"/></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    let phones = rt.softphones();
    phones.register(
        account(),
        SoftphoneConfig {
            behavior: Behavior::Busy,
            ..answering("busy")
        },
    );
    phones.register(
        account(),
        SoftphoneConfig {
            behavior: Behavior::Reject,
            ..answering("rejecter")
        },
    );
    phones.register(
        account(),
        SoftphoneConfig {
            behavior: Behavior::NoAnswer,
            ..answering("sleepy")
        },
    );
    phones.register(
        account(),
        SoftphoneConfig {
            behavior: Behavior::Unreachable,
            ..answering("offline")
        },
    );
    phones.register(
        account(),
        SoftphoneConfig {
            hangup_after: Some(Duration::from_millis(1100)),
            ..answering("brief")
        },
    );

    let mut cases = Vec::new();
    for (to, expected) in [
        ("client:busy", CallStatus::Busy),
        ("client:rejecter", CallStatus::Busy),
        ("client:sleepy", CallStatus::NoAnswer),
        ("client:offline", CallStatus::Failed),
        ("client:nobody", CallStatus::Failed),
        ("client:brief", CallStatus::Completed),
    ] {
        let mut req = create(&app, to, "/voice");
        req.timeout = 1;
        let call = rt.create_call(req).await.unwrap();
        cases.push((to, call.sid, expected));
    }
    for (to, sid, expected) in cases {
        let done = ended(&store, sid).await;
        assert_eq!(done.status, expected, "{to}");
        let statuses: Vec<String> = eventually("the completed callback", || async {
            let seen = app.callbacks_of("/status", sid);
            seen.iter()
                .any(|s| s.param("CallStatus") == Some(expected.as_str()))
                .then(|| {
                    seen.iter()
                        .map(|s| s.param("CallStatus").unwrap().to_owned())
                        .collect()
                })
        })
        .await;
        assert_eq!(
            statuses.first().map(String::as_str),
            Some("initiated"),
            "{to}"
        );
        assert_eq!(
            statuses.last().map(String::as_str),
            Some(expected.as_str()),
            "{to}"
        );
        match to {
            "client:brief" => {
                assert_eq!(done.duration, Some(1), "{to}");
                assert_eq!(
                    statuses,
                    ["initiated", "ringing", "in-progress", "completed"]
                );
            }
            "client:busy" => assert_eq!(statuses, ["initiated", "busy"]),
            "client:rejecter" | "client:sleepy" => assert_eq!(statuses.len(), 3, "{to}"),
            _ => {
                assert_eq!(statuses, ["initiated", "failed"], "{to}");
                let notes = store
                    .list_notifications(
                        account(),
                        sid,
                        &dialtone_store::PageRequest::first(
                            dialtone_store::PageSize::new(50).unwrap(),
                        ),
                    )
                    .await
                    .unwrap()
                    .items;
                assert_eq!(notes.len(), 1, "{to}");
                assert_eq!(notes[0].error_code, TwilioCode(21214));
                assert_eq!(notes[0].level, Level::Error);
            }
        }
    }
    assert!(
        app.seen_at("/voice").len() == 1,
        "only the answered call fetched TwiML"
    );
    rt.shutdown().await;
}

#[tokio::test]
async fn softphone_digits_reach_the_gather_action() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml(
            "<Response><Gather numDigits=\"2\" action=\"/gathered\" timeout=\"5\"/></Response>"
                .to_owned(),
        ),
    );
    app.route(
        "/gathered",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            digits: Some("42".to_owned()),
            ..answering("typist")
        },
    );
    let call = rt
        .create_call(create(&app, "client:typist", "/voice"))
        .await
        .unwrap();
    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    let gathered = app.seen_at("/gathered");
    assert_eq!(gathered.len(), 1);
    assert_eq!(gathered[0].param("Digits"), Some("42"));
    assert!(gathered[0].signature_ok());
    rt.shutdown().await;
}

#[tokio::test]
async fn api_call_created_with_an_application_sends_its_sid_on_every_webhook() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("alice"));
    let application = dialtone_types::Sid::new(dialtone_types::SidKind::Application, 9);
    let call = rt
        .create_call(CreateCall {
            application_sid: Some(application),
            ..create(&app, "client:alice", "/voice")
        })
        .await
        .unwrap();
    assert_eq!(call.application_sid, Some(application));
    assert_eq!(ended(&store, call.sid).await.status, CallStatus::Completed);
    let voice = app.seen_at("/voice");
    assert_eq!(voice.len(), 1);
    assert_eq!(
        voice[0].names(),
        [
            "AccountSid",
            "ApiVersion",
            "ApplicationSid",
            "CallSid",
            "CallStatus",
            "Direction",
            "From",
            "To",
        ]
    );
    let application = application.to_string();
    assert_eq!(voice[0].param("ApplicationSid"), Some(application.as_str()));
    assert!(voice[0].signature_ok());
    let callbacks = eventually("four callbacks", || async {
        let seen = app.callbacks_of("/status", call.sid);
        (seen.len() == 4).then_some(seen)
    })
    .await;
    for cb in &callbacks {
        assert_eq!(
            cb.names()[..4],
            ["AccountSid", "ApiVersion", "ApplicationSid", "CallSid"]
        );
        assert_eq!(cb.param("ApplicationSid"), Some(application.as_str()));
        assert!(cb.signature_ok());
    }
    rt.shutdown().await;
}

#[tokio::test]
async fn softphone_call_into_an_application_sends_sdk_parameters() {
    let app = App::start().await;
    app.route(
        "/app",
        Reply::Twiml("<Response><Say>Hi</Say></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            hangup_after: Some(Duration::from_secs(5)),
            ..answering("bob")
        },
    );
    let application = store
        .create_application(
            account(),
            &dialtone_store::NewApplication {
                sid: dialtone_types::Sid::new(dialtone_types::SidKind::Application, 7),
                friendly_name: "test".to_owned(),
                voice_url: Some(app.url("/app").to_string()),
                voice_method: "POST".to_owned(),
                voice_fallback_url: None,
                voice_fallback_method: "POST".to_owned(),
                status_callback: Some(app.url("/status").to_string()),
                status_callback_method: "POST".to_owned(),
            },
            dialtone_types::UnixMillis(1_700_000_000_000),
        )
        .await
        .unwrap();
    let call = rt
        .start_softphone_call(
            account(),
            "bob",
            application,
            Some("+15557654321".to_owned()),
            vec![
                ("Mood".to_owned(), "happy".to_owned()),
                ("From".to_owned(), "spoof".to_owned()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(call.direction, Direction::Inbound);
    assert_eq!(call.from, "client:bob");
    assert_eq!(
        call.application_sid.map(|s| s.to_string()),
        Some("AP00000000000000000000000000000007".to_owned())
    );
    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    let voice = app.seen_at("/app");
    assert_eq!(voice.len(), 1);
    assert_eq!(voice[0].param("Direction"), Some("inbound"));
    assert_eq!(voice[0].param("From"), Some("client:bob"));
    assert_eq!(voice[0].param("To"), Some("+15557654321"));
    assert_eq!(voice[0].param("Mood"), Some("happy"));
    // Twilio's legacy duplicates, for Voice SDK calls into a TwiML App.
    assert_eq!(voice[0].param("Called"), Some("+15557654321"));
    assert_eq!(voice[0].param("Caller"), Some("client:bob"));
    // The application handles the call: `ApplicationSid` after `ApiVersion`, `Called` and
    // `Caller` after `CallStatus`, then the SDK's
    // parameters (a spoofed `From` does not override the real one).
    assert_eq!(
        voice[0].names(),
        [
            "AccountSid",
            "ApiVersion",
            "ApplicationSid",
            "CallSid",
            "CallStatus",
            "Called",
            "Caller",
            "Direction",
            "From",
            "To",
            "Mood",
        ]
    );
    assert_eq!(
        voice[0].param("ApplicationSid"),
        Some("AP00000000000000000000000000000007")
    );
    assert!(voice[0].signature_ok());
    // Only `completed` without events; the application's callback gets it.
    let cbs = eventually("the completed callback", || async {
        let seen = app.callbacks_of("/status", call.sid);
        (!seen.is_empty()).then_some(seen)
    })
    .await;
    assert_eq!(cbs.len(), 1);
    assert_eq!(cbs[0].param("CallStatus"), Some("completed"));
    assert_eq!(cbs[0].param("SequenceNumber"), Some("0"));
    assert_eq!(
        cbs[0].names(),
        [
            "AccountSid",
            "ApiVersion",
            "ApplicationSid",
            "CallSid",
            "CallStatus",
            "Called",
            "Caller",
            "Direction",
            "From",
            "To",
            "CallDuration",
            "CallbackSource",
            "SequenceNumber",
            "Timestamp",
        ]
    );
    assert_eq!(
        cbs[0].param("ApplicationSid"),
        Some("AP00000000000000000000000000000007")
    );
    rt.shutdown().await;
}

/// The application `softphone_to_*` tests call into: voice URL `/sdk` (which redirects to
/// `/sdk-next`), status callback `/sdk-status`.
async fn sdk_application(app: &App, store: &dialtone_store::Store) -> dialtone_store::Application {
    app.route(
        "/sdk",
        Reply::Twiml("<Response><Redirect>/sdk-next</Redirect></Response>".to_owned()),
    );
    app.route(
        "/sdk-next",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    store
        .create_application(
            account(),
            &dialtone_store::NewApplication {
                sid: dialtone_types::Sid::new(dialtone_types::SidKind::Application, 8),
                friendly_name: "sdk".to_owned(),
                voice_url: Some(app.url("/sdk").to_string()),
                voice_method: "POST".to_owned(),
                voice_fallback_url: None,
                voice_fallback_method: "POST".to_owned(),
                status_callback: Some(app.url("/sdk-status").to_string()),
                status_callback_method: "POST".to_owned(),
            },
            dialtone_types::UnixMillis(1_700_000_000_000),
        )
        .await
        .unwrap()
}

/// A Voice SDK client's `To` is whatever its code chose; Twilio does not validate it. Each
/// value (a missing one is empty) is the call's `To` in the voice request, the redirect's
/// request and the status callback, exactly, and the stored call's `to`, found again by a
/// `To` filter. The SDK's own parameters reach the voice URL unchanged: repeated names, empty
/// values, names that look like Twilio's (`to`, `ToCity`), in their order; only a name the
/// request itself carries (`From`, `To`) is not overridden.
#[tokio::test]
async fn softphone_to_is_passed_through_as_sent() {
    let app = App::start().await;
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("bob"));
    let application = sdk_application(&app, &store).await;
    let custom = [
        ("Mood", "happy"),
        ("Lang", "en"),
        ("Lang", "fr"),
        ("Empty", ""),
        ("to", "lower-case"),
        ("ToCity", "Nowhere"),
        ("To2", "+15550001111"),
        ("From", "spoof"),
        ("To", "not-this-one"),
        ("Spaced name", "a value & more=1"),
    ];
    let params = || {
        custom
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
    };
    let app_sid = application.sid.to_string();
    for (sent, want) in [
        (Some("support"), "support"),
        (Some(""), ""),
        (None, ""),
        (Some("queue-7"), "queue-7"),
        (Some("+15557654321"), "+15557654321"),
        (Some("client:alice"), "client:alice"),
        (Some("client:a b"), "client:a b"),
        (Some("  sales \u{260e} "), "  sales \u{260e} "),
    ] {
        let call = rt
            .start_softphone_call(
                account(),
                "bob",
                application.clone(),
                sent.map(str::to_owned),
                params(),
            )
            .await
            .unwrap_or_else(|e| panic!("To {sent:?}: {e}"));
        assert_eq!(call.to, want, "{sent:?}");
        assert_eq!(call.from, "client:bob");
        assert_eq!(call.direction, Direction::Inbound);
        let done = ended(&store, call.sid).await;
        assert_eq!(done.status, CallStatus::Completed, "{sent:?}");
        assert_eq!(done.to, want, "{sent:?}");
        // Listed by its `To`, whatever it is.
        let filter = dialtone_store::CallFilter {
            to: Some(want.to_owned()),
            ..dialtone_store::CallFilter::default()
        };
        let page = dialtone_store::PageRequest::first(dialtone_store::PageSize::new(50).unwrap());
        let listed = store.list_calls(account(), &filter, &page).await.unwrap();
        assert!(
            listed
                .items
                .iter()
                .any(|c| c.sid == call.sid && c.to == want),
            "{sent:?}"
        );
        assert!(listed.items.iter().all(|c| c.to == want), "{sent:?}");

        let standard = |status: &str| {
            vec![
                ("AccountSid".to_owned(), account().to_string()),
                ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
                ("ApplicationSid".to_owned(), app_sid.clone()),
                ("CallSid".to_owned(), call.sid.to_string()),
                ("CallStatus".to_owned(), status.to_owned()),
                ("Called".to_owned(), want.to_owned()),
                ("Caller".to_owned(), "client:bob".to_owned()),
                ("Direction".to_owned(), "inbound".to_owned()),
                ("From".to_owned(), "client:bob".to_owned()),
                ("To".to_owned(), want.to_owned()),
            ]
        };
        let voice = app.callbacks_of("/sdk", call.sid);
        assert_eq!(voice.len(), 1, "{sent:?}");
        let mut expected = standard("ringing");
        expected.extend(
            custom
                .iter()
                .filter(|(n, _)| !matches!(*n, "From" | "To"))
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        assert_eq!(voice[0].params, expected, "{sent:?}");
        assert!(voice[0].signature_ok());
        // A `<Redirect>` is the application's own request: the call's parameters only
        // (still `ringing`: nothing answered the call yet).
        let next = app.callbacks_of("/sdk-next", call.sid);
        assert_eq!(next.len(), 1, "{sent:?}");
        assert_eq!(next[0].params, standard("ringing"), "{sent:?}");
        assert!(next[0].signature_ok());
        let callbacks = eventually("the completed callback", || async {
            let seen = app.callbacks_of("/sdk-status", call.sid);
            (!seen.is_empty()).then_some(seen)
        })
        .await;
        assert_eq!(callbacks.len(), 1, "{sent:?}");
        let cb = &callbacks[0];
        let mut expected = standard("completed");
        expected.extend([
            ("CallDuration".to_owned(), "0".to_owned()),
            (
                "CallbackSource".to_owned(),
                "call-progress-events".to_owned(),
            ),
            ("SequenceNumber".to_owned(), "0".to_owned()),
            (
                "Timestamp".to_owned(),
                cb.param("Timestamp").unwrap().to_owned(),
            ),
        ]);
        assert_eq!(cb.params, expected, "{sent:?}");
        assert!(cb.signature_ok());
    }
    rt.shutdown().await;
}

/// The store cannot keep a NUL character: such a `To` is refused (20001) before any call
/// starts. Nothing else about `To` is.
#[tokio::test]
async fn softphone_to_with_a_nul_is_refused() {
    let app = App::start().await;
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("bob"));
    let application = sdk_application(&app, &store).await;
    let err = rt
        .start_softphone_call(
            account(),
            "bob",
            application,
            Some("sup\0port".to_owned()),
            Vec::new(),
        )
        .await
        .unwrap_err();
    assert_eq!((err.code, err.http_status), (TwilioCode(20001), 400));
    let page = dialtone_store::PageRequest::first(dialtone_store::PageSize::new(50).unwrap());
    let all = store
        .list_calls(account(), &dialtone_store::CallFilter::default(), &page)
        .await
        .unwrap();
    assert!(all.items.is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.seen().is_empty());
    rt.shutdown().await;
}

#[tokio::test]
async fn updates_redirect_and_end_live_calls() {
    let app = App::start().await;
    app.route("/voice", hold());
    app.route("/next", hold());
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("alice"));
    let call = rt
        .create_call(create(&app, "client:alice", "/voice"))
        .await
        .unwrap();
    voice_requested(&app).await;

    let update = dialtone_runtime::UpdateCall {
        redirect: Some(CallSource::Url(app.url("/next"))),
        ..Default::default()
    };
    let updated = rt.update_call(account(), call.sid, update).await.unwrap();
    assert_eq!(updated.url.as_deref(), Some(app.url("/next").as_str()));
    eventually("the redirect request", || async {
        (!app.seen_at("/next").is_empty()).then_some(())
    })
    .await;

    let cancel = dialtone_runtime::UpdateCall {
        status: Some(dialtone_runtime::TargetStatus::Canceled),
        ..Default::default()
    };
    let err = rt
        .update_call(account(), call.sid, cancel)
        .await
        .unwrap_err();
    assert_eq!((err.code, err.http_status), (TwilioCode(21220), 400));

    let complete = dialtone_runtime::UpdateCall {
        status: Some(dialtone_runtime::TargetStatus::Completed),
        ..Default::default()
    };
    let done = rt
        .update_call(account(), call.sid, complete.clone())
        .await
        .unwrap();
    assert_eq!(done.status, CallStatus::Completed);
    let err = rt
        .update_call(account(), call.sid, complete.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code, TwilioCode(21220));
    let missing = dialtone_types::Sid::new(dialtone_types::SidKind::Call, 99);
    let err = rt
        .update_call(account(), missing, complete)
        .await
        .unwrap_err();
    assert_eq!((err.code, err.http_status), (TwilioCode(20404), 404));
    let _ = store;
    rt.shutdown().await;
}

#[tokio::test]
async fn invalid_requests_are_refused_with_twilio_codes() {
    let app = App::start().await;
    let (rt, _store) = runtime().await;
    let mut req = create(&app, "client:alice", "/voice");
    req.status_callback_events = vec!["answer".to_owned()];
    assert_eq!(
        rt.create_call(req).await.unwrap_err().code,
        TwilioCode(21626)
    );
    let req = create(&app, "+15551230000", "/voice");
    assert_eq!(
        rt.create_call(req).await.unwrap_err().code,
        TwilioCode(13224)
    );
    let mut req = create(&app, "client:alice", "/voice");
    req.from = "not a number".to_owned();
    assert_eq!(
        rt.create_call(req).await.unwrap_err().code,
        TwilioCode(21212)
    );
    rt.shutdown().await;
    let err = rt
        .create_call(create(&app, "client:alice", "/voice"))
        .await
        .unwrap_err();
    assert_eq!((err.code, err.http_status), (TwilioCode(20503), 503));
    let _ = config();
}

#[tokio::test]
async fn whatsapp_legs_fail_until_the_connector_exists() {
    let app = App::start().await;
    let (rt, store) = runtime().await;
    let mut req = create(&app, "whatsapp:+447700900123", "/voice");
    req.from = "whatsapp:+15550001111".to_owned();
    let err = rt.create_call(req.clone()).await.unwrap_err();
    assert_eq!(
        err.code,
        TwilioCode(37008),
        "not a sender of the account yet"
    );
    rt.set_whatsapp_senders(
        account(),
        vec![dialtone_types::E164::parse("+15550001111").unwrap()],
    )
    .await
    .unwrap();
    let call = rt.create_call(req).await.unwrap();
    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Failed);
    let page = dialtone_store::PageRequest::first(dialtone_store::PageSize::new(50).unwrap());
    let notes = store
        .list_notifications(account(), call.sid, &page)
        .await
        .unwrap()
        .items;
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0].error_code,
        dialtone_runtime::WHATSAPP_NOT_SUPPORTED
    );
    assert_eq!(notes[0].error_code, TwilioCode(13224));
    assert!(app.seen_at("/voice").is_empty());
    rt.shutdown().await;
}

#[tokio::test]
async fn inline_twiml_warnings_are_stored_with_the_call() {
    let app = App::start().await;
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("alice"));
    let mut req = create(&app, "client:alice", "/voice");
    req.source =
        CallSource::Twiml("<Response><Say colour=\"blue\">Hi</Say><Hangup/></Response>".to_owned());
    let call = rt.create_call(req).await.unwrap();
    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    assert_eq!(
        done.twiml.as_deref(),
        Some("<Response><Say colour=\"blue\">Hi</Say><Hangup/></Response>")
    );
    let page = dialtone_store::PageRequest::first(dialtone_store::PageSize::new(50).unwrap());
    let notes = store
        .list_notifications(account(), call.sid, &page)
        .await
        .unwrap()
        .items;
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (notes[0].error_code, notes[0].level),
        (TwilioCode(12200), Level::Warning)
    );
    assert!(app.seen_at("/voice").is_empty());
    rt.shutdown().await;
}

#[tokio::test]
async fn a_failing_voice_url_falls_back_with_error_code_and_url() {
    let app = App::start().await;
    app.route("/voice", Reply::Status(500));
    app.route(
        "/fallback",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("alice"));
    let mut req = create(&app, "client:alice", "/voice");
    req.fallback_url = Some(app.url("/fallback"));
    let call = rt.create_call(req).await.unwrap();
    assert_eq!(
        call.fallback_url.as_deref(),
        Some(app.url("/fallback").as_str())
    );
    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    let fallback = app.seen_at("/fallback");
    assert_eq!(fallback.len(), 1);
    assert_eq!(fallback[0].param("ErrorCode"), Some("11200"));
    assert_eq!(
        fallback[0].param("ErrorUrl"),
        Some(app.url("/voice").as_str())
    );
    assert!(fallback[0].signature_ok());
    let page = dialtone_store::PageRequest::first(dialtone_store::PageSize::new(50).unwrap());
    let notes = store
        .list_notifications(account(), call.sid, &page)
        .await
        .unwrap()
        .items;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].error_code, TwilioCode(11200));
    assert_eq!(
        notes[0].request_url.as_deref(),
        Some(app.url("/voice").as_str())
    );
    assert_eq!(notes[0].request_method.as_deref(), Some("POST"));
    rt.shutdown().await;
}

#[tokio::test]
async fn time_limit_hangs_up_an_answered_call() {
    let app = App::start().await;
    app.route("/voice", hold());
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("alice"));
    let mut req = create(&app, "client:alice", "/voice");
    req.time_limit = Some(1);
    let call = rt.create_call(req).await.unwrap();
    assert_eq!(call.time_limit, Some(1));
    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    assert_eq!(done.duration, Some(1));
    rt.shutdown().await;
}

#[tokio::test]
async fn updated_status_callback_and_time_limit_are_used_from_then_on() {
    let app = App::start().await;
    app.route("/voice", hold());
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("alice"));
    let call = rt
        .create_call(create(&app, "client:alice", "/voice"))
        .await
        .unwrap();
    voice_requested(&app).await;
    let update = dialtone_runtime::UpdateCall {
        status_callback: Some(app.url("/status-new")),
        status_callback_method: Some(Method::Get),
        time_limit: Some(1),
        ..Default::default()
    };
    let updated = rt.update_call(account(), call.sid, update).await.unwrap();
    assert_eq!(
        updated.status_callback.as_deref(),
        Some(app.url("/status-new").as_str())
    );
    assert_eq!(updated.status_callback_method, "GET");
    assert_eq!(updated.time_limit, Some(1));
    // The 1 s limit counts from the answer, already behind us or nearly.
    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    assert_eq!(done.duration, Some(1));
    let old = eventually("three callbacks to the old URL", || async {
        let seen = app.callbacks_of("/status", call.sid);
        (seen.len() == 3).then_some(seen)
    })
    .await;
    let statuses: Vec<_> = old.iter().map(|s| s.param("CallStatus").unwrap()).collect();
    assert_eq!(statuses, ["initiated", "ringing", "in-progress"]);
    let new = eventually("the completed callback at the new URL", || async {
        let seen = app.callbacks_of("/status-new", call.sid);
        (!seen.is_empty()).then_some(seen)
    })
    .await;
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].method, "GET");
    assert_eq!(new[0].param("CallStatus"), Some("completed"));
    assert_eq!(new[0].param("SequenceNumber"), Some("3"));
    assert_eq!(new[0].param("CallDuration"), Some("1"));
    assert!(new[0].signature_ok());
    assert_eq!(app.callbacks_of("/status", call.sid).len(), 3);
    rt.shutdown().await;
}

#[tokio::test]
async fn updated_fallback_serves_the_voice_url_fetched_on_answer() {
    let app = App::start().await;
    app.route("/voice", Reply::Status(500));
    app.route(
        "/fallback-new",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            answer_after: Duration::from_millis(500),
            ..SoftphoneConfig::new("alice")
        },
    );
    let call = rt
        .create_call(create(&app, "client:alice", "/voice"))
        .await
        .unwrap();
    let update = dialtone_runtime::UpdateCall {
        fallback_url: Some(app.url("/fallback-new")),
        ..Default::default()
    };
    let updated = rt.update_call(account(), call.sid, update).await.unwrap();
    assert_eq!(
        updated.fallback_url.as_deref(),
        Some(app.url("/fallback-new").as_str())
    );
    assert_eq!(ended(&store, call.sid).await.status, CallStatus::Completed);
    let fallback = app.seen_at("/fallback-new");
    assert_eq!(fallback.len(), 1);
    assert_eq!(fallback[0].method, "POST");
    assert_eq!(fallback[0].param("ErrorCode"), Some("11200"));
    assert_eq!(
        fallback[0].param("ErrorUrl"),
        Some(app.url("/voice").as_str())
    );
    assert!(fallback[0].signature_ok());
    rt.shutdown().await;
}

#[tokio::test]
async fn a_status_callback_sent_with_status_completed_gets_the_completed_event() {
    let app = App::start().await;
    app.route("/voice", hold());
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("alice"));
    let mut req = create(&app, "client:alice", "/voice");
    req.status_callback = None;
    req.status_callback_events = Vec::new();
    let call = rt.create_call(req).await.unwrap();
    voice_requested(&app).await;
    let update = dialtone_runtime::UpdateCall {
        status: Some(dialtone_runtime::TargetStatus::Completed),
        status_callback: Some(app.url("/status-late")),
        ..Default::default()
    };
    let done = rt.update_call(account(), call.sid, update).await.unwrap();
    assert_eq!(done.status, CallStatus::Completed);
    assert_eq!(
        done.status_callback.as_deref(),
        Some(app.url("/status-late").as_str())
    );
    let seen = eventually("the completed callback", || async {
        let seen = app.callbacks_of("/status-late", call.sid);
        (!seen.is_empty()).then_some(seen)
    })
    .await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].param("CallStatus"), Some("completed"));
    assert_eq!(seen[0].param("SequenceNumber"), Some("0"));
    let _ = store;
    rt.shutdown().await;
}

#[tokio::test]
async fn record_on_a_call_without_media_still_ends_at_max_length() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml(
            r#"<Response><Record maxLength="2" trim="do-not-trim" action="/recorded"/></Response>"#
                .to_owned(),
        ),
    );
    app.route(
        "/recorded",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let (rt, store) = runtime().await;
    rt.softphones().register(account(), answering("alice"));
    let call = rt
        .create_call(create(&app, "client:alice", "/voice"))
        .await
        .unwrap();
    ended(&store, call.sid).await;
    let done = eventually("the <Record> action", || async {
        app.seen_at("/recorded").into_iter().next()
    })
    .await;
    assert!(done.param("RecordingSid").is_some());
    assert!(done.param("RecordingUrl").is_some());
    let secs: u32 = done.param("RecordingDuration").unwrap().parse().unwrap();
    assert!((1..=3).contains(&secs), "duration {secs}");
    rt.shutdown().await;
}
