//! Store throughput for a call's lifecycle, to size `dialtone bench` expectations.
//!
//! Ignored by default (it measures, it does not check behaviour): run with
//! `cargo test -p dialtone-store --release --test store throughput -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use dialtone_store::{CallUpdate, NewCallEvent, NewOutboxItem, Store};
use dialtone_types::CallStatus;

use crate::common::{ACCOUNT, Harness, at, call_sid, new_call, open_with_accounts};

const CALLS: u64 = 2000;
const CONCURRENCY: u64 = 50;

async fn lifecycle(store: Store, first: u64, step: u64) {
    let mut n = first;
    while n <= CALLS {
        let sid = call_sid(u128::from(n));
        store
            .insert_call(ACCOUNT, &new_call(u128::from(n)), at(n))
            .await
            .unwrap();
        let event = NewCallEvent {
            request_method: "POST".to_owned(),
            request_url: "http://app/voice".to_owned(),
            request_parameters: vec![("CallSid".to_owned(), sid.to_string())],
            response_status: Some(200),
            response_duration_ms: Some(3),
            response_content_type: Some("text/xml".to_owned()),
            response_body: Some("<Response><Hangup/></Response>".to_owned()),
            requested_at: at(n),
        };
        for (status, notify) in [
            (CallStatus::Ringing, true),
            (CallStatus::InProgress, false),
            (CallStatus::Completed, true),
        ] {
            let callbacks: Vec<NewOutboxItem> = notify
                .then(|| NewOutboxItem {
                    call_sid: sid,
                    url: "http://app/status".to_owned(),
                    method: "POST".to_owned(),
                    params: vec![("CallStatus".to_owned(), status.as_str().to_owned())],
                    idempotency_token: format!("{sid}-{status}"),
                })
                .into_iter()
                .collect();
            let update = CallUpdate {
                status: Some(status),
                ..CallUpdate::default()
            };
            store
                .update_call_and_enqueue(ACCOUNT, sid, &update, &callbacks, at(n))
                .await
                .unwrap();
            if status == CallStatus::InProgress {
                store.append_event(ACCOUNT, sid, &event).await.unwrap();
            }
        }
        n += step;
    }
}

async fn deliver(store: Store) -> u64 {
    let mut delivered = 0;
    let mut idle = 0;
    while idle < 50 {
        let batch = store
            .outbox_claim(at(CALLS + 10), Duration::from_secs(30), 16)
            .await
            .unwrap();
        if batch.is_empty() {
            idle += 1;
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        }
        idle = 0;
        for item in batch {
            store
                .outbox_mark_delivered(&item, at(CALLS + 10))
                .await
                .unwrap();
            delivered += 1;
        }
    }
    delivered
}

async fn measure(h: &Harness) {
    let store = open_with_accounts(h).await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for first in 1..=CONCURRENCY {
        tasks.push(tokio::spawn(lifecycle(store.clone(), first, CONCURRENCY)));
    }
    let deliverers: Vec<_> = (0..4)
        .map(|_| tokio::spawn(deliver(store.clone())))
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let calls_done = started.elapsed();
    let mut delivered = 0;
    for d in deliverers {
        delivered += d.await.unwrap();
    }
    let all_done = started.elapsed();
    println!(
        "{}: {CALLS} call lifecycles in {calls_done:?} ({:.0} calls/s); {delivered} callbacks \
         delivered by {all_done:?}",
        match h {
            Harness::Sqlite { .. } => "sqlite",
            Harness::Postgres { .. } => "postgres",
        },
        f64::from(u32::try_from(CALLS).unwrap()) / calls_done.as_secs_f64()
    );
    assert_eq!(delivered, CALLS * 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; run explicitly"]
async fn throughput_sqlite() {
    let h = Harness::sqlite();
    measure(&h).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; run explicitly"]
async fn throughput_postgres() {
    let h = Harness::postgres("throughput").await;
    measure(&h).await;
    h.cleanup().await;
}
