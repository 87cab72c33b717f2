//! Start-up: finishing what a previous process left behind.
//!
//! Calls still live in the store cannot be resumed: their legs and their engine state died
//! with the process. Each is ended as of the last moment the store saw it (`date_updated`):
//! - answered (`start_time` set): `completed`, with the duration up to that moment;
//! - not answered: `failed` (the call could not be completed; Twilio's `canceled` means a
//!   REST cancel, which did not happen).
//!
//! Either way a 12400 ("internal failure") notification says why, and the `completed`
//! callback the call owes (its stored `StatusCallback` subscription) is enqueued with the next
//! `SequenceNumber`; both are written in the transaction that ends the call. In-flight outbox
//! claims of the dead process are released so that every undelivered callback goes out at once.
//!
//! This assumes one node per database: with several nodes sharing PostgreSQL, a node starting
//! would end the calls the others are running. Multi-node deployments need per-node call
//! ownership first (a later phase).

use dialtone_store::{Call, CallUpdate, NewNotification, NewOutboxItem, Store, StoreError};
use dialtone_types::{CallStatus, Level, SidKind, TwilioCode, UnixMillis};

use crate::ids::Ids;

/// Ends the calls left live and releases stale outbox claims; returns how many calls ended.
pub(crate) async fn recover(
    store: &Store,
    ids: &Ids,
    now: UnixMillis,
) -> Result<usize, StoreError> {
    let requeued = store.outbox_requeue_in_flight(now).await?;
    if requeued > 0 {
        tracing::info!(requeued, "status callbacks left in flight are due again");
    }
    let live = store.list_live_calls().await?;
    let count = live.len();
    if count > 0 {
        tracing::info!(
            calls = count,
            "ending calls left live by the previous process"
        );
    }
    for call in live {
        end_call(store, ids, &call, now).await?;
    }
    Ok(count)
}

async fn end_call(
    store: &Store,
    ids: &Ids,
    call: &Call,
    now: UnixMillis,
) -> Result<(), StoreError> {
    let last_seen = call.date_updated;
    let (status, duration) = match call.start_time {
        Some(start) => (
            CallStatus::Completed,
            u32::try_from(last_seen.max(start).whole_seconds_since(start)).unwrap_or(u32::MAX),
        ),
        None => (CallStatus::Failed, 0),
    };
    let update = CallUpdate {
        status: Some(status),
        end_time: Some(last_seen),
        duration: Some(duration),
        ..CallUpdate::default()
    };
    let callbacks = match completed_callback(store, ids, call, status, duration, last_seen).await? {
        Some(item) => vec![item],
        None => Vec::new(),
    };
    let notification = NewNotification {
        sid: ids.sid(SidKind::Notification),
        error_code: TwilioCode::INTERNAL_FAILURE,
        level: Level::Error,
        message_text: format!(
            "Dialtone restarted while the call was {}; it was ended as {}",
            call.status, status
        ),
        request_url: None,
        request_method: None,
        response_body: None,
    };
    // The end, the callback it owes and the reason: all three stored, or none.
    match store
        .update_call_and_notify(
            call.account_sid,
            call.sid,
            &update,
            &callbacks,
            &notification,
            now,
        )
        .await
    {
        Ok(_) => {}
        // Ended meanwhile (another node) or deleted: nothing left to do.
        Err(StoreError::Conflict(_) | StoreError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e),
    }
    Ok(())
}

/// The `completed` status callback `call` owes, if it subscribed to it.
async fn completed_callback(
    store: &Store,
    ids: &Ids,
    call: &Call,
    status: CallStatus,
    duration: u32,
    at: UnixMillis,
) -> Result<Option<NewOutboxItem>, StoreError> {
    let Some(url) = call.status_callback.as_deref().filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let events = &call.status_callback_events;
    if !events.is_empty() && !events.iter().any(|e| e == "completed") {
        return Ok(None);
    }
    let sequence = store.outbox_for_call(call.sid).await?.len();
    let mut params = vec![
        ("AccountSid", call.account_sid.to_string()),
        ("ApiVersion", call.api_version.clone()),
    ];
    // A call handled by a TwiML App says so on every webhook (its children never do).
    if let Some(application) = call
        .application_sid
        .filter(|_| call.parent_call_sid.is_none())
    {
        params.push(("ApplicationSid", application.to_string()));
    }
    params.extend([
        ("CallSid", call.sid.to_string()),
        ("CallStatus", status.as_str().to_owned()),
    ]);
    // A Voice SDK call into a TwiML App: the same rule as the engine's.
    if dialtone_core::sends_called_and_caller(
        call.direction,
        &call.from,
        call.application_sid.is_some(),
    ) {
        params.extend([("Called", call.to.clone()), ("Caller", call.from.clone())]);
    }
    params.extend([
        ("Direction", call.direction.as_str().to_owned()),
        ("From", call.from.clone()),
    ]);
    if let Some(parent) = call.parent_call_sid {
        params.push(("ParentCallSid", parent.to_string()));
    }
    params.extend([
        ("To", call.to.clone()),
        ("CallDuration", duration.to_string()),
        ("CallbackSource", "call-progress-events".to_owned()),
        ("SequenceNumber", sequence.to_string()),
        ("Timestamp", at.rfc2822().to_string()),
    ]);
    Ok(Some(NewOutboxItem {
        call_sid: call.sid,
        url: url.to_owned(),
        method: call.status_callback_method.clone(),
        params: params.into_iter().map(|(n, v)| (n.to_owned(), v)).collect(),
        idempotency_token: ids.token(),
    }))
}
