//! Crash safety: a runtime killed with live calls and undelivered callbacks, then started
//! again on the same database, ends every call and delivers every callback (duplicates only
//! with the same idempotency token). And a graceful shutdown ends calls cleanly.

mod common;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{
    App, Reply, account, all_events, call_request, config, ended, eventually, store_with_account,
};
use dialtone_runtime::{Behavior, CallSource, CreateCall, SoftphoneConfig};
use dialtone_store::{CallFilter, PageRequest, PageSize, Store};
use dialtone_types::{CallStatus, Sid, TwilioCode};

/// Where to turn when a prerequisite is missing.
const PROVISION: &str =
    "`.ci/test` provisions everything the tests need and runs them (see README.md, Quickstart)";

const CALLS: usize = 100;

fn application() -> Sid {
    Sid::new(dialtone_types::SidKind::Application, 9)
}

fn request(app: &App, to: &str) -> CreateCall {
    CreateCall {
        status_callback: Some(app.url("/status")),
        status_callback_events: all_events(),
        timeout: 120,
        ..call_request(to, app.url("/voice"))
    }
}

fn softphones(rt: &dialtone_runtime::Handle) {
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            answer_after: Duration::from_millis(20),
            ..SoftphoneConfig::new("alice")
        },
    );
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            behavior: Behavior::NoAnswer,
            ..SoftphoneConfig::new("sleepy")
        },
    );
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            answer_after: Duration::from_millis(20),
            ..SoftphoneConfig::new("bob")
        },
    );
}

/// A call to alice whose TwiML dials bob; the child subscribes to all four events.
const DIAL_BOB: &str = "<Response><Dial timeout=\"30\"><Client statusCallback=\"/status-child\" \
     statusCallbackEvent=\"initiated ringing answered completed\">bob</Client></Dial></Response>";

/// Where the crashed and the restarted runtime keep their state.
enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(Box<sqlx::postgres::PgConnectOptions>),
}

impl Db {
    async fn open(&self) -> Store {
        match self {
            Self::Sqlite(path) => Store::open_sqlite_file(path).await.unwrap(),
            Self::Postgres(options) => Store::connect_postgres((**options).clone()).await.unwrap(),
        }
    }
}

#[test]
fn killed_with_live_calls_then_restarted_finishes_everything_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    crash_and_restart(&Db::Sqlite(dir.path().join("dialtone.db")));
}

/// The same on PostgreSQL, in a fresh database on the server named by
/// `DIALTONE_TEST_POSTGRES_URL` (the test fails when it is not set).
#[test]
fn killed_with_live_calls_then_restarted_finishes_everything_postgres() {
    use sqlx::Connection as _;
    use std::str::FromStr as _;
    let url = std::env::var("DIALTONE_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "DIALTONE_TEST_POSTGRES_URL is not set: this test needs a PostgreSQL server on which \
             it may create a database\n{PROVISION}"
        )
    });
    let server = sqlx::postgres::PgConnectOptions::from_str(&url).unwrap();
    let database = format!("runtime_restart_{}", std::process::id());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let mut admin = sqlx::PgConnection::connect_with(&server).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "CREATE DATABASE \"{database}\""
            )))
            .execute(&mut admin)
            .await
            .unwrap();
        });
    crash_and_restart(&Db::Postgres(Box::new(server.database(&database))));
}

fn crash_and_restart(db: &Db) {
    let main = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = main.block_on(App::start());
    app.route(
        "/voice",
        Reply::Twiml("<Response><Pause length=\"600\"/></Response>".to_owned()),
    );
    app.route("/dial", Reply::Twiml(DIAL_BOB.to_owned()));
    // Callbacks are received but never answered: they stay in flight until the crash.
    app.state.hang_callbacks.store(true, Ordering::SeqCst);

    let doomed = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (calls, child): (Vec<(Sid, bool)>, Sid) = doomed.block_on(async {
        let store = store_with_account(db.open().await).await;
        let rt = dialtone_runtime::start(store.clone(), config())
            .await
            .unwrap();
        softphones(&rt);
        let mut calls = Vec::new();
        for i in 0..CALLS {
            let answers = i % 2 == 0;
            let to = if answers {
                "client:alice"
            } else {
                "client:sleepy"
            };
            let call = rt.create_call(request(&app, to)).await.unwrap();
            calls.push((call.sid, answers));
        }
        // One more answered call, through a TwiML App, bridged to a `<Dial><Client>` child.
        let dialing = CreateCall {
            source: CallSource::Url(app.url("/dial")),
            application_sid: Some(application()),
            ..request(&app, "client:alice")
        };
        let dialing = rt.create_call(dialing).await.unwrap().sid;
        calls.push((dialing, true));
        // Wait until every call is live in the store as it should be: answered ones
        // in progress, the others ringing.
        for (sid, answers) in &calls {
            let want = if *answers {
                CallStatus::InProgress
            } else {
                CallStatus::Ringing
            };
            eventually("the call to be live", || async {
                let c = store.fetch_call(account(), *sid).await.ok()?;
                (c.status == want).then_some(())
            })
            .await;
        }
        // The child is answered (and bridged): its first three callbacks are owed.
        let filter = CallFilter {
            parent_call_sid: Some(dialing),
            ..CallFilter::default()
        };
        let page = PageRequest::first(PageSize::new(50).unwrap());
        let child = eventually("the child to be answered", || async {
            let children = store
                .list_calls(account(), &filter, &page)
                .await
                .ok()?
                .items;
            match children.as_slice() {
                [c] if c.status == CallStatus::InProgress => Some(c.sid),
                _ => None,
            }
        })
        .await;
        (calls, child)
    });
    // The process dies: every task is dropped where it stands.
    doomed.shutdown_background();
    let before_restart = app.seen_at("/status").len();
    assert!(
        before_restart > 0,
        "some callbacks were in flight at the crash"
    );
    app.state.hang_callbacks.store(false, Ordering::SeqCst);

    main.block_on(async {
        let store = db.open().await;
        let rt = dialtone_runtime::start(store.clone(), config())
            .await
            .unwrap();
        let page = PageRequest::first(PageSize::new(50).unwrap());
        for (sid, answered) in &calls {
            let done = ended(&store, *sid).await;
            let want = if *answered {
                CallStatus::Completed
            } else {
                CallStatus::Failed
            };
            assert_eq!(done.status, want);
            assert!(done.end_time.is_some());
            let notes = store
                .list_notifications(account(), *sid, &page)
                .await
                .unwrap()
                .items;
            assert_eq!(notes.len(), 1);
            assert_eq!(notes[0].error_code, TwilioCode::INTERNAL_FAILURE);
        }
        for (sid, answered) in &calls {
            let terminal = if *answered { "completed" } else { "failed" };
            let last_seq = if *answered { 3 } else { 2 };
            let seen = eventually("every callback of the call", || async {
                let seen = app.callbacks_of("/status", *sid);
                seen.iter()
                    .any(|s| s.param("CallStatus") == Some(terminal))
                    .then_some(seen)
            })
            .await;
            // Every sequence number from 0 arrived; repeats carry the same token.
            let mut tokens: HashMap<u64, String> = HashMap::new();
            for s in &seen {
                let seq: u64 = s.param("SequenceNumber").unwrap().parse().unwrap();
                let token = s.idempotency.clone().unwrap();
                let first = tokens.entry(seq).or_insert_with(|| token.clone());
                assert_eq!(
                    *first, token,
                    "a duplicate of {sid} #{seq} with another token"
                );
                assert!(s.signature_ok());
            }
            let mut seqs: Vec<u64> = tokens.keys().copied().collect();
            seqs.sort_unstable();
            assert_eq!(seqs, (0..=last_seq).collect::<Vec<_>>(), "{sid}");
            let completed = seen
                .iter()
                .find(|s| s.param("CallStatus") == Some(terminal))
                .unwrap();
            assert_eq!(
                completed.param("SequenceNumber"),
                Some(last_seq.to_string().as_str())
            );
            assert_eq!(
                completed.param("CallbackSource"),
                Some("call-progress-events")
            );
        }
        // The child was ended too, and owed exactly one `completed` callback: the next
        // SequenceNumber after initiated (0), ringing (1) and answered (2).
        let dialing = calls.last().unwrap().0;
        // The application's call says so on every callback, the one the restart sent too.
        let application = application().to_string();
        for s in app.callbacks_of("/status", dialing) {
            assert_eq!(
                s.names()[..4],
                ["AccountSid", "ApiVersion", "ApplicationSid", "CallSid"]
            );
            assert_eq!(s.param("ApplicationSid"), Some(application.as_str()));
        }
        let done = ended(&store, child).await;
        assert_eq!(done.status, CallStatus::Completed);
        let notes = store
            .list_notifications(account(), child, &page)
            .await
            .unwrap()
            .items;
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0].error_code, TwilioCode::INTERNAL_FAILURE);
        let seen = eventually("the child's completed callback", || async {
            let seen = app.callbacks_of("/status-child", child);
            seen.iter()
                .any(|s| s.param("CallStatus") == Some("completed"))
                .then_some(seen)
        })
        .await;
        let completed: Vec<_> = seen
            .iter()
            .filter(|s| s.param("CallStatus") == Some("completed"))
            .collect();
        assert_eq!(completed.len(), 1, "{seen:?}");
        let duration = done.duration.unwrap().to_string();
        let (parent, child) = (dialing.to_string(), child.to_string());
        assert_eq!(
            completed[0].names(),
            [
                "AccountSid",
                "ApiVersion",
                "CallSid",
                "CallStatus",
                "Direction",
                "From",
                "ParentCallSid",
                "To",
                "CallDuration",
                "CallbackSource",
                "SequenceNumber",
                "Timestamp",
            ]
        );
        for (name, want) in [
            ("CallSid", child.as_str()),
            ("ParentCallSid", parent.as_str()),
            ("Direction", "outbound-dial"),
            ("From", "+15550001111"),
            ("To", "client:bob"),
            ("CallDuration", duration.as_str()),
            ("CallbackSource", "call-progress-events"),
            ("SequenceNumber", "3"),
        ] {
            assert_eq!(completed[0].param(name), Some(want), "{name}");
        }
        assert!(completed[0].signature_ok());
        assert_eq!(completed[0].method, "POST");
        // Sequence numbers 0 to 3, repeats (in flight at the crash) with the same token.
        let mut tokens: HashMap<u64, String> = HashMap::new();
        for s in &seen {
            let seq: u64 = s.param("SequenceNumber").unwrap().parse().unwrap();
            let token = s.idempotency.clone().unwrap();
            assert_eq!(*tokens.entry(seq).or_insert_with(|| token.clone()), token);
        }
        let mut seqs: Vec<u64> = tokens.keys().copied().collect();
        seqs.sort_unstable();
        assert_eq!(seqs, [0, 1, 2, 3]);
        // Nothing is owed any more.
        eventually("an empty outbox", || async {
            store
                .outbox_undelivered(10)
                .await
                .ok()?
                .is_empty()
                .then_some(())
        })
        .await;
        rt.shutdown().await;
    });
}

#[tokio::test]
async fn graceful_shutdown_ends_live_calls_and_delivers_their_callbacks() {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml("<Response><Pause length=\"600\"/></Response>".to_owned()),
    );
    let store = common::memory_store().await;
    let rt = dialtone_runtime::start(store.clone(), config())
        .await
        .unwrap();
    softphones(&rt);
    let answered = rt.create_call(request(&app, "client:alice")).await.unwrap();
    let ringing = rt
        .create_call(request(&app, "client:sleepy"))
        .await
        .unwrap();
    eventually("the answered call's TwiML", || async {
        (!app.seen_at("/voice").is_empty()).then_some(())
    })
    .await;
    eventually("the other call to ring", || async {
        let c = store.fetch_call(account(), ringing.sid).await.ok()?;
        (c.status == CallStatus::Ringing).then_some(())
    })
    .await;
    rt.shutdown().await;
    let a = store.fetch_call(account(), answered.sid).await.unwrap();
    let r = store.fetch_call(account(), ringing.sid).await.unwrap();
    assert_eq!(a.status, CallStatus::Completed);
    assert_eq!(r.status, CallStatus::Canceled);
    let last = |sid| {
        app.callbacks_of("/status", sid)
            .last()
            .and_then(|s| s.param("CallStatus").map(str::to_owned))
    };
    assert_eq!(last(answered.sid).as_deref(), Some("completed"));
    assert_eq!(last(ringing.sid).as_deref(), Some("canceled"));
    assert!(store.outbox_undelivered(10).await.unwrap().is_empty());
}

/// A Voice SDK call whose `To` is free text (`support`), live at a crash: the restart reads
/// it back from the store as it is, ends it, and sends the application's `completed`
/// callback with `To` and `Called` as sent, like the engine would have.
#[test]
fn a_softphone_call_with_a_free_form_to_is_ended_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::Sqlite(dir.path().join("dialtone.db"));
    let main = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let app = main.block_on(App::start());
    app.route(
        "/sdk",
        Reply::Twiml("<Response><Say>hi</Say><Pause length=\"600\"/></Response>".to_owned()),
    );
    let doomed = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (sid, app_sid) = doomed.block_on(async {
        let store = store_with_account(db.open().await).await;
        let rt = dialtone_runtime::start(store.clone(), config())
            .await
            .unwrap();
        softphones(&rt);
        let application = store
            .create_application(
                account(),
                &dialtone_store::NewApplication {
                    sid: application(),
                    friendly_name: "sdk".to_owned(),
                    voice_url: Some(app.url("/sdk").to_string()),
                    voice_method: "POST".to_owned(),
                    voice_fallback_url: None,
                    voice_fallback_method: "POST".to_owned(),
                    status_callback: Some(app.url("/status-sdk").to_string()),
                    status_callback_method: "POST".to_owned(),
                },
                dialtone_types::UnixMillis(1_700_000_000_000),
            )
            .await
            .unwrap();
        let call = rt
            .start_softphone_call(
                account(),
                "alice",
                application.clone(),
                Some("support".to_owned()),
                vec![("Queue".to_owned(), "7".to_owned())],
            )
            .await
            .unwrap();
        eventually("the call to be answered", || async {
            let c = store.fetch_call(account(), call.sid).await.ok()?;
            (c.status == CallStatus::InProgress).then_some(())
        })
        .await;
        (call.sid, application.sid)
    });
    doomed.shutdown_background();
    assert!(app.callbacks_of("/status-sdk", sid).is_empty());

    main.block_on(async {
        let store = db.open().await;
        let rt = dialtone_runtime::start(store.clone(), config())
            .await
            .unwrap();
        let done = ended(&store, sid).await;
        assert_eq!(done.status, CallStatus::Completed);
        assert_eq!(
            (done.to.as_str(), done.from.as_str()),
            ("support", "client:alice")
        );
        let filter = CallFilter {
            to: Some("support".to_owned()),
            ..CallFilter::default()
        };
        let page = PageRequest::first(PageSize::new(50).unwrap());
        let listed = store.list_calls(account(), &filter, &page).await.unwrap();
        assert_eq!(
            listed.items.iter().map(|c| c.sid).collect::<Vec<_>>(),
            [sid]
        );
        let seen = eventually("the completed callback", || async {
            let seen = app.callbacks_of("/status-sdk", sid);
            (!seen.is_empty()).then_some(seen)
        })
        .await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        let cb = &seen[0];
        assert_eq!(
            cb.names(),
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
        let (sid_text, app_text) = (sid.to_string(), app_sid.to_string());
        for (name, want) in [
            ("ApplicationSid", app_text.as_str()),
            ("CallSid", sid_text.as_str()),
            ("CallStatus", "completed"),
            ("Called", "support"),
            ("Caller", "client:alice"),
            ("Direction", "inbound"),
            ("From", "client:alice"),
            ("To", "support"),
            ("SequenceNumber", "0"),
        ] {
            assert_eq!(cb.param(name), Some(want), "{name}");
        }
        assert!(cb.signature_ok());
        rt.shutdown().await;
    });
}
