//! The durable webhook outbox: status callbacks owed to applications, delivered in order per
//! call, at least once, across restarts.
//!
//! An item is `pending` until a deliverer claims it, `in_flight` while one holds its lease,
//! then `delivered` or `failed` (given up). Only the *head* of a call's queue, its lowest
//! undelivered sequence number, can be claimed, so a call never has two callbacks in flight
//! and a later status never overtakes an earlier one, however many deliverers run.
//!
//! A claim is a lease, not a lock: `due_at` of an in-flight item is when its lease runs out,
//! after which another deliverer (on this node after a crash, or on another node) may claim it
//! again. Each claim increments `attempts`, which identifies the claim: a deliverer whose lease
//! was taken over cannot reschedule or give up the item any more. Delivering twice is allowed
//! (the idempotency token lets the receiver see it); losing a callback is not.
//!
//! Claiming is a read of candidate heads followed by a conditional update that re-checks the
//! item is still claimable. On SQLite writes are serialized; on PostgreSQL the re-check runs
//! against the latest row version, so two deliverers racing for one item cannot both win.

use std::time::Duration;

use dialtone_types::{Sid, SidKind, UnixMillis};

use crate::Store;
use crate::convert::{check_text, db_time, params, sid, time, uint, ulong};
use crate::error::{Context, StoreError};

/// Where an outbox item is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboxState {
    /// Waiting for its turn and its due time.
    Pending,
    /// Claimed by a deliverer until `due_at`.
    InFlight,
    /// The receiver answered; done.
    Delivered,
    /// Given up after too many failures; later items of the call go ahead.
    Failed,
}

impl OutboxState {
    /// The stored spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        Ok(match s {
            "pending" => Self::Pending,
            "in_flight" => Self::InFlight,
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            other => return Err(StoreError::corrupt("webhook_outbox.state", other)),
        })
    }
}

/// A status callback to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxItem {
    /// The call (or message, `SM...`) the callback is about; items of one call are delivered
    /// in enqueue order.
    pub call_sid: Sid,
    /// Where to send it (may carry a `#` connection-override fragment).
    pub url: String,
    /// `GET` or `POST`.
    pub method: String,
    /// The request parameters, in order.
    pub params: Vec<(String, String)>,
    /// `I-Twilio-Idempotency-Token`, the same on every attempt.
    pub idempotency_token: String,
}

/// A stored status callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// Store-wide identity, increasing in enqueue order.
    pub id: i64,
    /// The account whose token signs the request.
    pub account_sid: Sid,
    /// See [`NewOutboxItem::call_sid`].
    pub call_sid: Sid,
    /// Position in the call's queue, from 1.
    pub seq: u64,
    /// See [`NewOutboxItem::url`].
    pub url: String,
    /// See [`NewOutboxItem::method`].
    pub method: String,
    /// See [`NewOutboxItem::params`].
    pub params: Vec<(String, String)>,
    /// See [`NewOutboxItem::idempotency_token`].
    pub idempotency_token: String,
    /// Current state.
    pub state: OutboxState,
    /// Claims so far; the current claim's identity while in flight.
    pub attempts: u32,
    /// Pending: earliest next try. In flight: end of the lease.
    pub due_at: UnixMillis,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: UnixMillis,
    /// When it last changed.
    pub updated_at: UnixMillis,
}

#[derive(sqlx::FromRow)]
pub(crate) struct OutboxRow {
    id: i64,
    account_sid: String,
    call_sid: String,
    seq: i64,
    url: String,
    method: String,
    params: String,
    idempotency_token: String,
    state: String,
    attempts: i64,
    due_at: i64,
    last_error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<OutboxRow> for OutboxItem {
    type Error = StoreError;

    fn try_from(r: OutboxRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            account_sid: sid(
                &r.account_sid,
                SidKind::Account,
                "webhook_outbox.account_sid",
            )?,
            call_sid: queue_sid(&r.call_sid)?,
            seq: ulong(r.seq, "webhook_outbox.seq")?,
            url: r.url,
            method: r.method,
            params: params(&r.params, "webhook_outbox.params")?,
            idempotency_token: r.idempotency_token,
            state: OutboxState::parse(&r.state)?,
            attempts: uint(r.attempts, "webhook_outbox.attempts")?,
            due_at: time(r.due_at, "webhook_outbox.due_at")?,
            last_error: r.last_error,
            created_at: time(r.created_at, "webhook_outbox.created_at")?,
            updated_at: time(r.updated_at, "webhook_outbox.updated_at")?,
        })
    }
}

/// A queue's SID: a call's (`CA`) or a message's (`SM`).
fn queue_sid(v: &str) -> Result<Sid, StoreError> {
    sid(v, SidKind::Call, "webhook_outbox.call_sid")
        .or_else(|_| sid(v, SidKind::Message, "webhook_outbox.call_sid"))
}

macro_rules! outbox_columns {
    () => {
        "id, account_sid, call_sid, seq, url, method, params, idempotency_token, state, \
         attempts, due_at, last_error, created_at, updated_at"
    };
}

/// Appends an item after the call's last one (`seq` = highest so far + 1).
pub(crate) const ENQUEUE_SQL: &str = concat!(
    "INSERT INTO webhook_outbox (account_sid, call_sid, seq, url, method, params, ",
    "idempotency_token, state, attempts, due_at, last_error, created_at, updated_at) ",
    "SELECT $1, $2, COALESCE(MAX(seq), 0) + 1, $3, $4, $5, $6, 'pending', 0, $7, NULL, $7, $7 ",
    "FROM webhook_outbox WHERE call_sid = $2 RETURNING ",
    outbox_columns!()
);

/// Refuses an item with a NUL character in its URL, method or token (parameters are stored
/// as JSON, which escapes it).
pub(crate) fn check_item(item: &NewOutboxItem) -> Result<(), StoreError> {
    check_text([
        ("StatusCallback", Some(item.url.as_str())),
        ("StatusCallbackMethod", Some(item.method.as_str())),
        ("idempotency token", Some(item.idempotency_token.as_str())),
    ])
}

/// Binds a [`NewOutboxItem`] to `ENQUEUE_SQL`; a macro so that it types for either backend.
macro_rules! enqueue_query {
    ($account:expr, $item:expr, $now:expr) => {
        sqlx::query_as::<_, $crate::outbox::OutboxRow>($crate::outbox::ENQUEUE_SQL)
            .bind($account.to_string())
            .bind($item.call_sid.to_string())
            .bind($item.url.as_str())
            .bind($item.method.as_str())
            .bind($crate::convert::db_params(&$item.params))
            .bind($item.idempotency_token.as_str())
            .bind($crate::convert::db_time($now))
    };
}

/// Enqueues every item of `$items` (in order) in transaction `$tx`; the stored rows, or the
/// error (`?`) of the first that failed, its context `$what`.
macro_rules! enqueue_all {
    ($tx:ident, $account:expr, $items:expr, $now:expr, $what:literal) => {{
        let mut queued = Vec::with_capacity($items.len());
        for item in $items {
            queued.push(
                enqueue_query!($account, item, $now)
                    .fetch_one(&mut *$tx)
                    .await
                    .ctx($what)?,
            );
        }
        queued
    }};
}

/// Undelivered heads of their call's queue that are due at `$1`, soonest first.
const CANDIDATES_SQL: &str = "SELECT o.id FROM webhook_outbox o \
     WHERE o.state IN ('pending', 'in_flight') AND o.due_at <= $1 \
     AND NOT EXISTS (SELECT 1 FROM webhook_outbox e WHERE e.call_sid = o.call_sid \
     AND e.seq < o.seq AND e.state IN ('pending', 'in_flight')) \
     ORDER BY o.due_at, o.id LIMIT $2";

/// Claims item `$1` if it is still claimable at `$3`, leasing it until `$2`.
const CLAIM_SQL: &str = concat!(
    "UPDATE webhook_outbox SET state = 'in_flight', attempts = attempts + 1, due_at = $2, ",
    "updated_at = $3 WHERE id = $1 AND state IN ('pending', 'in_flight') AND due_at <= $3 ",
    "RETURNING ",
    outbox_columns!()
);

/// How many times a claim that lost every race is retried before reporting nothing due.
const CLAIM_RETRIES: usize = 3;

impl Store {
    /// Enqueues a status callback for `item.call_sid`, due at once.
    ///
    /// To store it together with the status change that causes it, use
    /// [`Store::update_call_and_enqueue`].
    pub async fn outbox_enqueue(
        &self,
        account: Sid,
        item: &NewOutboxItem,
        now: UnixMillis,
    ) -> Result<OutboxItem, StoreError> {
        check_item(item)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let row: Result<OutboxRow, StoreError> = on_write!(self, pool =>
                enqueue_query!(account, item, now).fetch_one(pool).await)
            .ctx("enqueue status callback");
            match row {
                Ok(row) => return row.try_into(),
                // Two enqueues for one call raced for the same `seq` (PostgreSQL only).
                Err(e) if e.is_unique_violation() && attempt < CLAIM_RETRIES => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Claims up to `max` deliverable items (each the head of a different call) for `lease`.
    ///
    /// The returned items are `InFlight` with `attempts` counting this claim. Deliver each,
    /// then call [`outbox_mark_delivered`](Self::outbox_mark_delivered),
    /// [`outbox_retry`](Self::outbox_retry) or [`outbox_give_up`](Self::outbox_give_up)
    /// before the lease ends. An empty result means nothing is due (see
    /// [`outbox_next_due`](Self::outbox_next_due)).
    pub async fn outbox_claim(
        &self,
        now: UnixMillis,
        lease: Duration,
        max: u32,
    ) -> Result<Vec<OutboxItem>, StoreError> {
        let lease_ms = u64::try_from(lease.as_millis()).unwrap_or(u64::MAX);
        let lease_until = db_time(now.plus_millis(lease_ms));
        let now_db = db_time(now);
        for _ in 0..CLAIM_RETRIES {
            let ids: Vec<i64> = on_read!(self, pool => sqlx::query_scalar(CANDIDATES_SQL)
                .bind(now_db)
                .bind(i64::from(max))
                .fetch_all(pool)
                .await)
            .ctx("find due status callbacks")?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let rows: Vec<OutboxRow> = on_write!(self, pool => async {
                let mut tx = pool.begin().await.ctx("begin claim")?;
                let mut rows = Vec::with_capacity(ids.len());
                for id in &ids {
                    let row = sqlx::query_as::<_, OutboxRow>(CLAIM_SQL)
                        .bind(*id)
                        .bind(lease_until)
                        .bind(now_db)
                        .fetch_optional(&mut *tx)
                        .await
                        .ctx("claim status callback")?;
                    rows.extend(row);
                }
                tx.commit().await.ctx("commit claim")?;
                Ok::<_, StoreError>(rows)
            }
            .await)?;
            // Every candidate was taken by another deliverer meanwhile: look again.
            if !rows.is_empty() {
                return rows.into_iter().map(OutboxItem::try_from).collect();
            }
        }
        Ok(Vec::new())
    }

    /// Records that `item` was delivered. Idempotent; allowed even after the lease ran out
    /// (the receiver got it, whoever sent it).
    pub async fn outbox_mark_delivered(
        &self,
        item: &OutboxItem,
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE webhook_outbox SET state = 'delivered', updated_at = $2 \
             WHERE id = $1 AND state <> 'delivered'";
        let done = on_write!(self, pool => sqlx::query(SQL)
            .bind(item.id)
            .bind(db_time(now))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .ctx("mark status callback delivered")?;
        if done == 0 {
            self.outbox_state(item.id).await?;
        }
        Ok(())
    }

    /// Puts a claimed `item` back to wait until `retry_at`, recording `error`.
    ///
    /// `Conflict` if this claim is no longer held (its lease ran out and it was claimed again,
    /// or it was delivered meanwhile).
    pub async fn outbox_retry(
        &self,
        item: &OutboxItem,
        retry_at: UnixMillis,
        error: &str,
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE webhook_outbox SET state = 'pending', due_at = $3, \
             last_error = $4, updated_at = $5 \
             WHERE id = $1 AND attempts = $2 AND state = 'in_flight'";
        self.release_claim(
            SQL,
            item,
            db_time(retry_at),
            error,
            now,
            "reschedule status callback",
        )
        .await
    }

    /// Gives up on a claimed `item` after `error`; the call's later items go ahead.
    ///
    /// `Conflict` if this claim is no longer held.
    pub async fn outbox_give_up(
        &self,
        item: &OutboxItem,
        error: &str,
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE webhook_outbox SET state = 'failed', due_at = $3, \
             last_error = $4, updated_at = $5 \
             WHERE id = $1 AND attempts = $2 AND state = 'in_flight'";
        self.release_claim(
            SQL,
            item,
            db_time(now),
            error,
            now,
            "give up status callback",
        )
        .await
    }

    async fn release_claim(
        &self,
        sql: &'static str,
        item: &OutboxItem,
        due_at: i64,
        error: &str,
        now: UnixMillis,
        context: &'static str,
    ) -> Result<(), StoreError> {
        let done = on_write!(self, pool => sqlx::query(sql)
            .bind(item.id)
            .bind(i64::from(item.attempts))
            .bind(due_at)
            .bind(error)
            .bind(db_time(now))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .ctx(context)?;
        if done == 0 {
            self.outbox_state(item.id).await?;
            return Err(StoreError::Conflict("the outbox claim is no longer held"));
        }
        Ok(())
    }

    /// The state of item `id`, or `NotFound`.
    async fn outbox_state(&self, id: i64) -> Result<OutboxState, StoreError> {
        const SQL: &str = "SELECT state FROM webhook_outbox WHERE id = $1";
        let state: Option<String> = on_write!(self, pool => sqlx::query_scalar(SQL)
            .bind(id)
            .fetch_optional(pool)
            .await)
        .ctx("read status callback state")?;
        OutboxState::parse(&state.ok_or(StoreError::NotFound("outbox item"))?)
    }

    /// Up to `limit` items not yet delivered nor given up, in enqueue order (so in order per
    /// call): what a restarted runtime still owes.
    pub async fn outbox_undelivered(&self, limit: u32) -> Result<Vec<OutboxItem>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            outbox_columns!(),
            " FROM webhook_outbox WHERE state IN ('pending', 'in_flight') ORDER BY id LIMIT $1"
        );
        let rows: Vec<OutboxRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await)
        .ctx("list undelivered status callbacks")?;
        rows.into_iter().map(OutboxItem::try_from).collect()
    }

    /// Every item of call `call`, in order (for inspection and tests).
    pub async fn outbox_for_call(&self, call: Sid) -> Result<Vec<OutboxItem>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            outbox_columns!(),
            " FROM webhook_outbox WHERE call_sid = $1 ORDER BY seq"
        );
        let rows: Vec<OutboxRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(call.to_string())
            .fetch_all(pool)
            .await)
        .ctx("list status callbacks of a call")?;
        rows.into_iter().map(OutboxItem::try_from).collect()
    }

    /// Makes every in-flight item claimable at `now`, returning how many.
    ///
    /// For a single node at start-up, when no deliverer can still hold a lease: the previous
    /// process's claims need not wait for their leases to run out. Several nodes sharing a
    /// database must not call it; their leases expire on their own.
    pub async fn outbox_requeue_in_flight(&self, now: UnixMillis) -> Result<u64, StoreError> {
        const SQL: &str = "UPDATE webhook_outbox SET state = 'pending', due_at = $1, \
             updated_at = $1 WHERE state = 'in_flight'";
        on_write!(self, pool => sqlx::query(SQL)
            .bind(db_time(now))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .ctx("requeue in-flight status callbacks")
    }

    /// When the next item becomes claimable (possibly already past), or `None` if nothing is
    /// owed: how long a deliverer may sleep.
    pub async fn outbox_next_due(&self) -> Result<Option<UnixMillis>, StoreError> {
        const SQL: &str = "SELECT MIN(o.due_at) FROM webhook_outbox o \
             WHERE o.state IN ('pending', 'in_flight') \
             AND NOT EXISTS (SELECT 1 FROM webhook_outbox e WHERE e.call_sid = o.call_sid \
             AND e.seq < o.seq AND e.state IN ('pending', 'in_flight'))";
        let due: Option<i64> = on_read!(self, pool => sqlx::query_scalar(SQL)
            .fetch_one(pool)
            .await)
        .ctx("find next due status callback")?;
        due.map(|d| time(d, "webhook_outbox.due_at")).transpose()
    }

    /// Answers once the database does (`SELECT 1`): readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: i64 = on_read!(self, pool => sqlx::query_scalar("SELECT 1")
            .fetch_one(pool)
            .await)
        .ctx("ping the database")?;
        Ok(())
    }

    /// How many items are owed (pending or in flight) and when the oldest was enqueued: the
    /// outbox's depth and age, for metrics.
    pub async fn outbox_backlog(&self) -> Result<(u64, Option<UnixMillis>), StoreError> {
        const SQL: &str = "SELECT COUNT(*), MIN(created_at) FROM webhook_outbox \
             WHERE state IN ('pending', 'in_flight')";
        let (count, oldest): (i64, Option<i64>) = on_read!(self, pool => sqlx::query_as(SQL)
            .fetch_one(pool)
            .await)
        .ctx("measure the outbox backlog")?;
        let oldest = oldest
            .map(|t| time(t, "webhook_outbox.created_at"))
            .transpose()?;
        Ok((u64::try_from(count).unwrap_or(0), oldest))
    }

    /// Deletes delivered and given-up items last changed before `before`; returns how many.
    pub async fn outbox_purge(&self, before: UnixMillis) -> Result<u64, StoreError> {
        const SQL: &str = "DELETE FROM webhook_outbox \
             WHERE state IN ('delivered', 'failed') AND updated_at < $1";
        on_write!(self, pool => sqlx::query(SQL)
            .bind(db_time(before))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .ctx("purge finished status callbacks")
    }
}
