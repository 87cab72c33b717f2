//! Delivering status callbacks from the durable outbox.
//!
//! The engine's status callbacks are stored first (with the status change that caused them)
//! and sent from here, so a crash or a restart loses none: whatever was not delivered is sent
//! after the next start. The store hands out only the head of each call's queue, so callbacks
//! of one call arrive in order, while different calls' callbacks go out concurrently. Each
//! item keeps its `I-Twilio-Idempotency-Token` across every attempt, so a receiver can spot
//! the duplicate a crash between "sent" and "marked delivered" may cause.
//!
//! A failed delivery is tried again later (with a doubling backoff) only when the URL's retry
//! policy (`#rp`, by default connection failures) covers the failure; otherwise, or after
//! [`OutboxConfig::max_deliveries`], it is given up. Twilio reports status-callback failures
//! as Debugger warnings only, so each give-up becomes a warning notification on the call.

use std::sync::Arc;
use std::time::Duration;

use dialtone_store::{NewNotification, OutboxItem};
use dialtone_types::{Level, SidKind, TwilioCode, UnixMillis};
use dialtone_webhook::build_request;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::clock;
use crate::config::OutboxConfig;
use crate::persist::Write;
use crate::sender::Kind;
use crate::shared::Shared;

/// Longest sleep between looks at the outbox when nothing wakes the deliverer (a safety net:
/// another node may have enqueued).
const IDLE_POLL: Duration = Duration::from_secs(5);
/// Pause after a store failure.
const STORE_RETRY: Duration = Duration::from_millis(500);

/// Runs the deliverer until `stop` carries a deadline; then keeps delivering what is due until
/// nothing is left or the deadline passes, and returns.
pub(crate) async fn run(
    shared: Arc<Shared>,
    config: OutboxConfig,
    mut stop: watch::Receiver<Option<Instant>>,
) {
    let permits = usize::try_from(config.concurrency.max(1)).unwrap_or(64);
    let slots = Arc::new(Semaphore::new(permits));
    let mut tasks = JoinSet::new();
    loop {
        while tasks.try_join_next().is_some() {}
        let draining = *stop.borrow();
        if draining.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let free = slots.available_permits();
        let mut claimed = 0;
        if free > 0 {
            let now = clock::now();
            let max = u32::try_from(free).unwrap_or(u32::MAX);
            match shared.store.outbox_claim(now, config.lease, max).await {
                Ok(items) => {
                    claimed = items.len();
                    for item in items {
                        let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                            break;
                        };
                        let shared = Arc::clone(&shared);
                        let span = tracing::info_span!("status_callback", call = %item.call_sid, seq = item.seq);
                        tasks.spawn(
                            async move {
                                deliver(&shared, config, item).await;
                                drop(permit);
                            }
                            .instrument(span),
                        );
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim status callbacks");
                    tokio::time::sleep(STORE_RETRY).await;
                    continue;
                }
            }
        }
        if claimed > 0 && claimed == free {
            continue;
        }
        let now = clock::now();
        // Having just claimed, nothing else is due now: wait for a wake-up (an enqueue or a
        // finished delivery) rather than asking the store again.
        let next = if claimed > 0 {
            Some(now.plus_millis(clock::millis(IDLE_POLL)))
        } else {
            shared.store.outbox_next_due().await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read the outbox");
                None
            })
        };
        if let Some(deadline) = draining
            && tasks.is_empty()
            && next.is_none_or(|at| Instant::now() + clock::until(now, at) >= deadline)
        {
            break;
        }
        let wait = match next {
            Some(at) if at <= now && claimed == 0 && free > 0 => Duration::from_millis(20),
            Some(at) => clock::until(now, at).min(IDLE_POLL),
            None => IDLE_POLL,
        };
        let wait_until = draining.map_or(Instant::now() + wait, |d| d.min(Instant::now() + wait));
        tokio::select! {
            () = shared.outbox_wake.notified() => {}
            () = tokio::time::sleep_until(wait_until) => {}
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    let deadline = (*stop.borrow()).unwrap_or_else(Instant::now);
    if tokio::time::timeout_at(deadline, async {
        while tasks.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        tracing::info!(
            in_flight = tasks.len(),
            "shutdown deadline reached; the remaining status callbacks are sent after the next start"
        );
        tasks.abort_all();
    }
}

/// Delivers one claimed item and records the verdict.
async fn deliver(shared: &Shared, config: OutboxConfig, item: OutboxItem) {
    let key = match shared.signing_key(item.account_sid).await {
        Ok(key) => key,
        Err(e) => {
            give_up(
                shared,
                &item,
                TwilioCode::INTERNAL_FAILURE,
                &format!("no signing key: {e}"),
            )
            .await;
            return;
        }
    };
    let method = item.method.parse().unwrap_or_default();
    let pairs = item.params.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    let request = match build_request(method, &item.url, pairs, &key, &item.idempotency_token) {
        Ok(request) => request,
        Err(e) => {
            give_up(shared, &item, e.code(), &e.to_string()).await;
            return;
        }
    };
    let outcome = shared.http.send(&request, Kind::Callback).await;
    // A message's callbacks (`SM...`) have no call to record them on.
    if item.call_sid.kind() == SidKind::Call {
        shared
            .record(
                item.account_sid,
                item.call_sid,
                &request,
                &item.params,
                &outcome,
            )
            .await;
    }
    let now = clock::now();
    let Err(failure) = outcome.result else {
        if let Err(e) = shared.store.outbox_mark_delivered(&item, now).await {
            tracing::warn!(error = %e, "delivered, but cannot record it");
        }
        shared.outbox_wake.notify_one();
        return;
    };
    let retry = failure
        .retry_trigger()
        .is_some_and(|t| request.overrides.retry_policy.covers(t))
        && item.attempts < config.max_deliveries;
    if retry {
        let at = retry_at(now, config.backoff, item.attempts);
        tracing::debug!(%failure, attempts = item.attempts, "status callback failed; will retry");
        if let Err(e) = shared
            .store
            .outbox_retry(&item, at, &failure.to_string(), now)
            .await
        {
            tracing::debug!(error = %e, "cannot reschedule the status callback");
        }
    } else {
        give_up(shared, &item, failure.code(), &failure.to_string()).await;
    }
    shared.outbox_wake.notify_one();
}

/// When the next delivery after `attempts` deliveries is due: `backoff`, doubling.
fn retry_at(now: UnixMillis, backoff: Duration, attempts: u32) -> UnixMillis {
    let factor = 1_u32 << attempts.saturating_sub(1).min(16);
    now.plus_millis(clock::millis(backoff.saturating_mul(factor)))
}

async fn give_up(shared: &Shared, item: &OutboxItem, code: TwilioCode, why: &str) {
    let now = clock::now();
    tracing::info!(code = code.0, why, "status callback given up");
    if let Err(e) = shared.store.outbox_give_up(item, why, now).await {
        tracing::debug!(error = %e, "cannot give up the status callback");
    }
    let url = item.url.split('#').next().unwrap_or_default().to_owned();
    if item.call_sid.kind() != SidKind::Call {
        tracing::warn!(message = %item.call_sid, %url, why, "message webhook given up");
        return;
    }
    let notification = NewNotification {
        sid: shared.ids.sid(SidKind::Notification),
        error_code: code,
        level: Level::Warning,
        message_text: format!("status callback to {url} failed: {why}"),
        request_url: Some(url),
        request_method: Some(item.method.clone()),
        response_body: None,
    };
    shared
        .persister
        .send(Write::Notify {
            account: item.account_sid,
            call: item.call_sid,
            notification: Box::new(notification),
            now,
        })
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles() {
        let b = Duration::from_secs(1);
        assert_eq!(retry_at(UnixMillis(0), b, 1), UnixMillis(1000));
        assert_eq!(retry_at(UnixMillis(0), b, 2), UnixMillis(2000));
        assert_eq!(retry_at(UnixMillis(0), b, 3), UnixMillis(4000));
    }
}
