//! The durable outbox: order per call, one in flight per call, leases, retries, giving up,
//! atomic status-and-callback writes, crash safety, concurrent deliverers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dialtone_store::{CallUpdate, NewOutboxItem, OutboxItem, OutboxState, Store, StoreError};
use dialtone_types::{CallStatus, Sid};

use crate::common::{ACCOUNT, Harness, at, backend_tests, call_sid, new_call, open_with_accounts};

const LEASE: Duration = Duration::from_secs(30);

fn callback(call: Sid, status: &str) -> NewOutboxItem {
    NewOutboxItem {
        call_sid: call,
        url: "http://app/status#rc=2".to_owned(),
        method: "POST".to_owned(),
        params: vec![
            ("CallSid".to_owned(), call.to_string()),
            ("CallStatus".to_owned(), status.to_owned()),
        ],
        idempotency_token: format!("{call}-{status}"),
    }
}

fn statuses(items: &[OutboxItem]) -> Vec<(Sid, u64, String)> {
    items
        .iter()
        .map(|i| (i.call_sid, i.seq, i.params[1].1.clone()))
        .collect()
}

async fn enqueue_numbers_per_call(h: &Harness) {
    let store = open_with_accounts(h).await;
    let a = store
        .outbox_enqueue(ACCOUNT, &callback(call_sid(1), "initiated"), at(1))
        .await
        .unwrap();
    assert_eq!(a.account_sid, ACCOUNT);
    assert_eq!(a.call_sid, call_sid(1));
    assert_eq!(a.seq, 1);
    assert_eq!(a.url, "http://app/status#rc=2");
    assert_eq!(a.method, "POST");
    assert_eq!(a.params, callback(call_sid(1), "initiated").params);
    assert_eq!(a.idempotency_token, format!("{}-initiated", call_sid(1)));
    assert_eq!(a.state, OutboxState::Pending);
    assert_eq!(a.attempts, 0);
    assert_eq!(a.due_at, at(1));
    assert_eq!(a.last_error, None);
    assert_eq!(a.created_at, at(1));
    assert_eq!(a.updated_at, at(1));
    let b = store
        .outbox_enqueue(ACCOUNT, &callback(call_sid(2), "initiated"), at(2))
        .await
        .unwrap();
    let c = store
        .outbox_enqueue(ACCOUNT, &callback(call_sid(1), "ringing"), at(3))
        .await
        .unwrap();
    assert_eq!((b.seq, c.seq), (1, 2));
    assert!(a.id < b.id && b.id < c.id);
    assert_eq!(
        statuses(&store.outbox_for_call(call_sid(1)).await.unwrap()),
        [
            (call_sid(1), 1, "initiated".to_owned()),
            (call_sid(1), 2, "ringing".to_owned())
        ]
    );
}

async fn claims_heads_in_order(h: &Harness) {
    let store = open_with_accounts(h).await;
    for (call, status, t) in [
        (1, "initiated", 1),
        (1, "ringing", 2),
        (2, "initiated", 3),
        (1, "completed", 4),
        (2, "completed", 5),
    ] {
        store
            .outbox_enqueue(ACCOUNT, &callback(call_sid(call), status), at(t))
            .await
            .unwrap();
    }
    assert_eq!(store.outbox_next_due().await.unwrap(), Some(at(1)));
    // Nothing is due before it was enqueued.
    assert!(
        store
            .outbox_claim(at(0), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // One head per call, soonest first.
    let claimed = store.outbox_claim(at(10), LEASE, 10).await.unwrap();
    assert_eq!(
        statuses(&claimed),
        [
            (call_sid(1), 1, "initiated".to_owned()),
            (call_sid(2), 1, "initiated".to_owned())
        ]
    );
    for item in &claimed {
        assert_eq!(item.state, OutboxState::InFlight);
        assert_eq!(item.attempts, 1);
        assert_eq!(item.due_at, at(40));
        assert_eq!(item.updated_at, at(10));
    }
    // While they are in flight, their calls' later items wait.
    assert!(
        store
            .outbox_claim(at(11), LEASE, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.outbox_next_due().await.unwrap(), Some(at(40)));

    store
        .outbox_mark_delivered(&claimed[0], at(12))
        .await
        .unwrap();
    // Idempotent.
    store
        .outbox_mark_delivered(&claimed[0], at(12))
        .await
        .unwrap();
    let next = store.outbox_claim(at(12), LEASE, 10).await.unwrap();
    assert_eq!(statuses(&next), [(call_sid(1), 2, "ringing".to_owned())]);

    // A failed attempt waits for its retry time and keeps the call's queue behind it.
    store
        .outbox_retry(&next[0], at(100), "HTTP 500", at(13))
        .await
        .unwrap();
    // At 50 call 1 waits for its retry; call 2's head, leased until 40, is taken over.
    let at_50 = store.outbox_claim(at(50), LEASE, 10).await.unwrap();
    assert_eq!(statuses(&at_50), [(call_sid(2), 1, "initiated".to_owned())]);
    assert_eq!(at_50[0].attempts, 2);
    let item = store
        .outbox_for_call(call_sid(1))
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.seq == 2)
        .unwrap();
    assert_eq!(item.state, OutboxState::Pending);
    assert_eq!(item.due_at, at(100));
    assert_eq!(item.last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(item.attempts, 1);

    let retried = store.outbox_claim(at(100), LEASE, 10).await.unwrap();
    let of_call_1: Vec<_> = retried
        .iter()
        .filter(|i| i.call_sid == call_sid(1))
        .collect();
    assert_eq!(of_call_1.len(), 1);
    assert_eq!(of_call_1[0].seq, 2);
    assert_eq!(of_call_1[0].attempts, 2);

    // Giving up lets the next item of the call go.
    store
        .outbox_give_up(of_call_1[0], "too many failures", at(101))
        .await
        .unwrap();
    let after = store.outbox_claim(at(102), LEASE, 10).await.unwrap();
    assert!(
        statuses(&after).contains(&(call_sid(1), 3, "completed".to_owned())),
        "{after:?}"
    );
    let given_up = &store.outbox_for_call(call_sid(1)).await.unwrap()[1];
    assert_eq!(given_up.state, OutboxState::Failed);
    assert_eq!(given_up.last_error.as_deref(), Some("too many failures"));
}

async fn expired_lease_is_taken_over(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .outbox_enqueue(ACCOUNT, &callback(call_sid(1), "completed"), at(0))
        .await
        .unwrap();
    let first = store.outbox_claim(at(1), LEASE, 1).await.unwrap();
    assert_eq!(first.len(), 1);
    // Still leased at 30, free at 31.
    assert!(
        store
            .outbox_claim(at(30), LEASE, 1)
            .await
            .unwrap()
            .is_empty()
    );
    let second = store.outbox_claim(at(31), LEASE, 1).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, first[0].id);
    assert_eq!(second[0].attempts, 2);

    // The first deliverer lost its claim: it can no longer reschedule or give up...
    assert!(matches!(
        store.outbox_retry(&first[0], at(99), "late", at(32)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.outbox_give_up(&first[0], "late", at(32)).await,
        Err(StoreError::Conflict(_))
    ));
    // ...but a delivery it made still counts.
    store
        .outbox_mark_delivered(&first[0], at(33))
        .await
        .unwrap();
    assert_eq!(
        store.outbox_for_call(call_sid(1)).await.unwrap()[0].state,
        OutboxState::Delivered
    );
    assert!(matches!(
        store.outbox_retry(&second[0], at(99), "x", at(34)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.outbox_next_due().await.unwrap(), None);
    assert!(store.outbox_undelivered(100).await.unwrap().is_empty());

    let mut gone = first[0].clone();
    gone.id = i64::MAX;
    assert!(matches!(
        store.outbox_mark_delivered(&gone, at(35)).await,
        Err(StoreError::NotFound("outbox item"))
    ));
}

async fn status_change_and_callbacks_are_atomic(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    let completed = CallUpdate {
        status: Some(CallStatus::Completed),
        end_time: Some(at(5)),
        duration: Some(5),
        ..CallUpdate::default()
    };
    let (call, items) = store
        .update_call_and_enqueue(
            ACCOUNT,
            call_sid(1),
            &completed,
            &[
                callback(call_sid(1), "in-progress"),
                callback(call_sid(1), "completed"),
            ],
            at(5),
        )
        .await
        .unwrap();
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(call.duration, Some(5));
    assert_eq!(
        statuses(&items),
        [
            (call_sid(1), 1, "in-progress".to_owned()),
            (call_sid(1), 2, "completed".to_owned())
        ]
    );
    // A refused status change enqueues nothing.
    let late = CallUpdate {
        status: Some(CallStatus::Busy),
        ..CallUpdate::default()
    };
    assert!(matches!(
        store
            .update_call_and_enqueue(
                ACCOUNT,
                call_sid(1),
                &late,
                &[callback(call_sid(1), "busy")],
                at(6),
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .update_call_and_enqueue(
                ACCOUNT,
                call_sid(2),
                &late,
                &[callback(call_sid(2), "busy")],
                at(6),
            )
            .await,
        Err(StoreError::NotFound("call"))
    ));
    assert_eq!(store.outbox_undelivered(100).await.unwrap().len(), 2);
    assert!(store.outbox_for_call(call_sid(2)).await.unwrap().is_empty());
}

async fn survives_a_crash(h: &Harness) {
    let store = open_with_accounts(h).await;
    for (call, status) in [
        (1, "initiated"),
        (2, "initiated"),
        (1, "ringing"),
        (1, "completed"),
    ] {
        store
            .outbox_enqueue(ACCOUNT, &callback(call_sid(call), status), at(1))
            .await
            .unwrap();
    }
    // One item is in flight when the process dies: no mark, no close.
    let claimed = store.outbox_claim(at(2), LEASE, 1).await.unwrap();
    assert_eq!(
        statuses(&claimed),
        [(call_sid(1), 1, "initiated".to_owned())]
    );
    drop(store);

    let store = h.open().await;
    let pending = store.outbox_undelivered(100).await.unwrap();
    assert_eq!(
        statuses(&pending),
        [
            (call_sid(1), 1, "initiated".to_owned()),
            (call_sid(2), 1, "initiated".to_owned()),
            (call_sid(1), 2, "ringing".to_owned()),
            (call_sid(1), 3, "completed".to_owned()),
        ]
    );
    assert_eq!(pending[0].state, OutboxState::InFlight);
    assert_eq!(store.outbox_requeue_in_flight(at(3)).await.unwrap(), 1);
    // Delivering everything now goes in order per call, starting with the interrupted one;
    // across calls, soonest due first (call 2's head has waited since 1, the requeued one
    // since 3).
    let mut delivered = Vec::new();
    loop {
        let batch = store.outbox_claim(at(3), LEASE, 10).await.unwrap();
        if batch.is_empty() {
            break;
        }
        for item in batch {
            store.outbox_mark_delivered(&item, at(3)).await.unwrap();
            delivered.push((item.call_sid, item.seq, item.attempts));
        }
    }
    assert_eq!(
        delivered,
        [
            (call_sid(2), 1, 1),
            (call_sid(1), 1, 2),
            (call_sid(1), 2, 1),
            (call_sid(1), 3, 1),
        ]
    );
    assert!(store.outbox_undelivered(100).await.unwrap().is_empty());
    assert_eq!(store.outbox_purge(at(3)).await.unwrap(), 0);
    assert_eq!(store.outbox_purge(at(4)).await.unwrap(), 4);
    // Numbering continues after a purge without clashing.
    let next = store
        .outbox_enqueue(ACCOUNT, &callback(call_sid(1), "late"), at(5))
        .await
        .unwrap();
    assert_eq!(next.seq, 1);
}

/// Four deliverers drain 20 calls x 5 callbacks; each call's callbacks arrive in order, each
/// exactly once, and never two of one call at the same time.
async fn concurrent_deliverers_keep_order(h: &Harness) {
    let store = open_with_accounts(h).await;
    for round in 0..5 {
        for call in 1..=20 {
            store
                .outbox_enqueue(
                    ACCOUNT,
                    &callback(call_sid(call), &format!("s{round}")),
                    at(1),
                )
                .await
                .unwrap();
        }
    }
    let seen: Arc<Mutex<HashMap<Sid, Vec<u64>>>> = Arc::default();
    let in_flight: Arc<Mutex<HashSet<Sid>>> = Arc::default();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (store, seen, in_flight) = (store.clone(), seen.clone(), in_flight.clone());
        tasks.push(tokio::spawn(deliver_all(store, seen, in_flight)));
    }
    for task in tasks {
        task.await.unwrap();
    }
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 20);
        for (call, seqs) in seen.iter() {
            assert_eq!(seqs, &[1, 2, 3, 4, 5], "{call}");
        }
    }
    assert!(store.outbox_undelivered(1000).await.unwrap().is_empty());
}

async fn deliver_all(
    store: Store,
    seen: Arc<Mutex<HashMap<Sid, Vec<u64>>>>,
    in_flight: Arc<Mutex<HashSet<Sid>>>,
) {
    let mut idle = 0;
    while idle < 20 {
        let batch = store.outbox_claim(at(2), LEASE, 3).await.unwrap();
        if batch.is_empty() {
            idle += 1;
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        idle = 0;
        for item in batch {
            assert!(
                in_flight.lock().unwrap().insert(item.call_sid),
                "two callbacks of {} in flight",
                item.call_sid
            );
            seen.lock()
                .unwrap()
                .entry(item.call_sid)
                .or_default()
                .push(item.seq);
            tokio::task::yield_now().await;
            in_flight.lock().unwrap().remove(&item.call_sid);
            store.outbox_mark_delivered(&item, at(2)).await.unwrap();
        }
    }
}

backend_tests!(
    enqueue_numbers_per_call,
    claims_heads_in_order,
    expired_lease_is_taken_over,
    status_change_and_callbacks_are_atomic,
    survives_a_crash,
    concurrent_deliverers_keep_order,
);
