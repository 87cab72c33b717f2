//! Calls (`CA...`): the record behind Twilio's Call resource, plus what the runtime needs to
//! pick a call up again after a restart (its TwiML source, fallback, status callback
//! subscription, timeout and time limit).
//!
//! A call's status never changes once it is terminal; the store refuses such an update with
//! `Conflict`, so a late event from a leg cannot resurrect a finished call. Status changes that
//! owe status callbacks are written together with their outbox items in one transaction
//! ([`Store::update_call_and_enqueue`]), so a crash cannot keep one without the other.

use std::fmt;

use dialtone_types::{CallStatus, Direction, Sid, SidKind, UnixMillis};

use crate::Store;
use crate::convert::{
    check_text, db_time, db_time_opt, direction, sid, sid_opt, status, time, time_opt, uint,
    uint_opt,
};
use crate::error::{Context, StoreError};
use crate::notifications::NewNotification;
use crate::outbox::{NewOutboxItem, OutboxItem, OutboxRow, check_item};
use crate::page::{Page, PageRequest, PageToken};

/// The API version every call reports.
const API_VERSION: &str = "2010-04-01";
/// The currency of (future) prices.
const PRICE_UNIT: &str = "USD";

/// A call as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// `CA...`
    pub sid: Sid,
    /// The owning account.
    pub account_sid: Sid,
    /// The call whose `<Dial>` created this one.
    pub parent_call_sid: Option<Sid>,
    /// Callee, in Twilio's address form (`+E164`, `client:x`, `whatsapp:+E164`, `sip:...`).
    pub to: String,
    /// Caller, in the same forms.
    pub from: String,
    /// Current status.
    pub status: CallStatus,
    /// Who started it.
    pub direction: Direction,
    /// When dialing started (Twilio's `start_time`); `None` until then.
    pub start_time: Option<UnixMillis>,
    /// When it ended.
    pub end_time: Option<UnixMillis>,
    /// Length in whole seconds, once completed.
    pub duration: Option<u32>,
    /// Answering-machine detection result (always `None` until AMD exists).
    pub answered_by: Option<String>,
    /// Caller name lookup result.
    pub caller_name: Option<String>,
    /// The number the call was forwarded from.
    pub forwarded_from: Option<String>,
    /// Price as Twilio writes it (`"-0.03000"`); `None` until priced, which Dialtone never does.
    pub price: Option<String>,
    /// Currency of `price`.
    pub price_unit: String,
    /// Always `2010-04-01`.
    pub api_version: String,
    /// The application whose URLs the call uses, if created with one.
    pub application_sid: Option<Sid>,
    /// TwiML URL; `None` when the call runs inline `twiml` or is a `<Dial>` child.
    pub url: Option<String>,
    /// `GET` or `POST` for `url`.
    pub method: String,
    /// Inline TwiML (`Twiml` parameter).
    pub twiml: Option<String>,
    /// Fetched when `url` fails.
    pub fallback_url: Option<String>,
    /// `GET` or `POST` for `fallback_url`.
    pub fallback_method: String,
    /// Receives status callbacks.
    pub status_callback: Option<String>,
    /// `GET` or `POST` for `status_callback`.
    pub status_callback_method: String,
    /// Subscribed events (`initiated`, `ringing`, `answered`, `completed`).
    pub status_callback_events: Vec<String>,
    /// Seconds to ring before `no-answer`.
    pub timeout: u32,
    /// Maximum length in seconds.
    pub time_limit: Option<u32>,
    /// When it was created.
    pub date_created: UnixMillis,
    /// When it last changed.
    pub date_updated: UnixMillis,
}

/// The fields of a new call; the rest start empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    /// `CA...`, chosen by the caller.
    pub sid: Sid,
    /// See [`Call::parent_call_sid`].
    pub parent_call_sid: Option<Sid>,
    /// See [`Call::to`].
    pub to: String,
    /// See [`Call::from`].
    pub from: String,
    /// Initial status, usually `queued`.
    pub status: CallStatus,
    /// See [`Call::direction`].
    pub direction: Direction,
    /// See [`Call::application_sid`].
    pub application_sid: Option<Sid>,
    /// See [`Call::url`].
    pub url: Option<String>,
    /// See [`Call::method`].
    pub method: String,
    /// See [`Call::twiml`].
    pub twiml: Option<String>,
    /// See [`Call::fallback_url`].
    pub fallback_url: Option<String>,
    /// See [`Call::fallback_method`].
    pub fallback_method: String,
    /// See [`Call::status_callback`].
    pub status_callback: Option<String>,
    /// See [`Call::status_callback_method`].
    pub status_callback_method: String,
    /// See [`Call::status_callback_events`]; names must not contain whitespace.
    pub status_callback_events: Vec<String>,
    /// See [`Call::timeout`].
    pub timeout: u32,
    /// See [`Call::time_limit`].
    pub time_limit: Option<u32>,
    /// See [`Call::caller_name`].
    pub caller_name: Option<String>,
    /// See [`Call::forwarded_from`].
    pub forwarded_from: Option<String>,
}

impl NewCall {
    /// The call [`Store::insert_call`] stores for this record at `now`, built without the
    /// database: what the runtime answers for a call it has started when reading the row
    /// back failed (the call exists and rings; a 5xx would make the client place it again).
    pub fn as_inserted(&self, account: Sid, now: UnixMillis) -> Call {
        Call {
            sid: self.sid,
            account_sid: account,
            parent_call_sid: self.parent_call_sid,
            to: self.to.clone(),
            from: self.from.clone(),
            status: self.status,
            direction: self.direction,
            start_time: None,
            end_time: None,
            duration: None,
            answered_by: None,
            caller_name: self.caller_name.clone(),
            forwarded_from: self.forwarded_from.clone(),
            price: None,
            price_unit: PRICE_UNIT.to_owned(),
            api_version: API_VERSION.to_owned(),
            application_sid: self.application_sid,
            url: self.url.clone(),
            method: self.method.clone(),
            twiml: self.twiml.clone(),
            fallback_url: self.fallback_url.clone(),
            fallback_method: self.fallback_method.clone(),
            status_callback: self.status_callback.clone(),
            status_callback_method: self.status_callback_method.clone(),
            status_callback_events: self.status_callback_events.clone(),
            timeout: self.timeout,
            time_limit: self.time_limit,
            date_created: now,
            date_updated: now,
        }
    }
}

/// Changes to a call; `None` leaves a field as it is.
///
/// Setting `url` clears `twiml` and setting `twiml` clears `url` (a redirect replaces the
/// document); if both are set, `url` wins, as in Twilio's API. `Some("")` clears
/// `fallback_url` and `status_callback`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallUpdate {
    /// New status; refused with `Conflict` if the call is already in another terminal status.
    pub status: Option<CallStatus>,
    /// When dialing started.
    pub start_time: Option<UnixMillis>,
    /// When it ended.
    pub end_time: Option<UnixMillis>,
    /// Length in whole seconds.
    pub duration: Option<u32>,
    /// AMD result.
    pub answered_by: Option<String>,
    /// New TwiML URL (redirect).
    pub url: Option<String>,
    /// New method for `url`.
    pub method: Option<String>,
    /// New inline TwiML (redirect).
    pub twiml: Option<String>,
    /// New fallback URL.
    pub fallback_url: Option<String>,
    /// New fallback method.
    pub fallback_method: Option<String>,
    /// New status callback URL.
    pub status_callback: Option<String>,
    /// New status callback method.
    pub status_callback_method: Option<String>,
    /// New time limit in seconds.
    pub time_limit: Option<u32>,
}

/// Twilio's list filters for calls; every field set must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallFilter {
    /// `To`: exact match.
    pub to: Option<String>,
    /// `From`: exact match.
    pub from: Option<String>,
    /// `ParentCallSid`.
    pub parent_call_sid: Option<Sid>,
    /// `Status`.
    pub status: Option<CallStatus>,
    /// The call's direction (not a Twilio list filter; the console filters by it).
    pub direction: Option<Direction>,
    /// `StartTime`, `StartTime<`, `StartTime>`.
    pub start_time: TimeRange,
    /// `EndTime`, `EndTime<`, `EndTime>`.
    pub end_time: TimeRange,
}

/// A half-open interval of instants, `[from, before)`; an open end is `None`.
///
/// A call whose time is unset (not started, not ended) never matches a constrained range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    /// Earliest instant included.
    pub from: Option<UnixMillis>,
    /// First instant excluded.
    pub before: Option<UnixMillis>,
}

/// Which of Twilio's date filter forms a parameter used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOp {
    /// `StartTime=D`: within the day (or second) `D`.
    On,
    /// `StartTime<=D` (sent as key `StartTime<`): up to the end of the day (or second) `D`.
    OnOrBefore,
    /// `StartTime>=D` (key `StartTime>`): from the start of the day (or second) `D`.
    OnOrAfter,
}

/// A date filter value that is neither `YYYY-MM-DD` nor `YYYY-MM-DDTHH:MM:SSZ` (UTC, 1970 on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid date {0:?}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")]
pub struct DateParseError(pub String);

impl TimeRange {
    /// Narrows the range by one of Twilio's date filters.
    ///
    /// A date names a whole UTC day and a date-time a whole second; `On` keeps that span,
    /// `OnOrBefore` everything up to its end, `OnOrAfter` everything from its start. Several
    /// filters on the same field intersect.
    pub fn constrain(&mut self, op: DateOp, value: &str) -> Result<(), DateParseError> {
        let (start, end) = parse_span(value).ok_or_else(|| DateParseError(value.to_owned()))?;
        if matches!(op, DateOp::On | DateOp::OnOrAfter) {
            self.from = Some(self.from.map_or(start, |f| f.max(start)));
        }
        if matches!(op, DateOp::On | DateOp::OnOrBefore) {
            self.before = Some(self.before.map_or(end, |b| b.min(end)));
        }
        Ok(())
    }
}

/// The span `[start, end)` a date or date-time names.
fn parse_span(value: &str) -> Option<(UnixMillis, UnixMillis)> {
    let b = value.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = b.get(range)?;
        if digits.iter().all(u8::is_ascii_digit) {
            std::str::from_utf8(digits).ok()?.parse().ok()
        } else {
            None
        }
    };
    if !(b.len() == 10 || b.len() == 20) || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if year < 1970 || !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let day_start = days_from_civil(year, month, day) * 86_400;
    let (start, length) = if b.len() == 10 {
        (day_start, 86_400)
    } else {
        if b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
            return None;
        }
        let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || m > 59 || s > 59 {
            return None;
        }
        (day_start + h * 3600 + m * 60 + s, 1)
    };
    let start_ms = u64::try_from(start).ok()?.checked_mul(1000)?;
    let end_ms = u64::try_from(start + length).ok()?.checked_mul(1000)?;
    Some((UnixMillis(start_ms), UnixMillis(end_ms)))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl fmt::Display for DateOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::On => "=",
            Self::OnOrBefore => "<=",
            Self::OnOrAfter => ">=",
        })
    }
}

#[derive(sqlx::FromRow)]
struct CallRow {
    sid: String,
    account_sid: String,
    parent_call_sid: Option<String>,
    to_addr: String,
    from_addr: String,
    status: String,
    direction: String,
    start_time: Option<i64>,
    end_time: Option<i64>,
    duration: Option<i64>,
    answered_by: Option<String>,
    caller_name: Option<String>,
    forwarded_from: Option<String>,
    price: Option<String>,
    price_unit: String,
    api_version: String,
    application_sid: Option<String>,
    url: Option<String>,
    method: String,
    twiml: Option<String>,
    fallback_url: Option<String>,
    fallback_method: String,
    status_callback: Option<String>,
    status_callback_method: String,
    status_callback_events: String,
    timeout_secs: i64,
    time_limit_secs: Option<i64>,
    date_created: i64,
    date_updated: i64,
}

impl TryFrom<CallRow> for Call {
    type Error = StoreError;

    fn try_from(r: CallRow) -> Result<Self, StoreError> {
        Ok(Self {
            sid: sid(&r.sid, SidKind::Call, "calls.sid")?,
            account_sid: sid(&r.account_sid, SidKind::Account, "calls.account_sid")?,
            parent_call_sid: sid_opt(
                r.parent_call_sid.as_deref(),
                SidKind::Call,
                "calls.parent_call_sid",
            )?,
            to: r.to_addr,
            from: r.from_addr,
            status: status(&r.status)?,
            direction: direction(&r.direction)?,
            start_time: time_opt(r.start_time, "calls.start_time")?,
            end_time: time_opt(r.end_time, "calls.end_time")?,
            duration: uint_opt(r.duration, "calls.duration")?,
            answered_by: r.answered_by,
            caller_name: r.caller_name,
            forwarded_from: r.forwarded_from,
            price: r.price,
            price_unit: r.price_unit,
            api_version: r.api_version,
            application_sid: sid_opt(
                r.application_sid.as_deref(),
                SidKind::Application,
                "calls.application_sid",
            )?,
            url: r.url,
            method: r.method,
            twiml: r.twiml,
            fallback_url: r.fallback_url,
            fallback_method: r.fallback_method,
            status_callback: r.status_callback,
            status_callback_method: r.status_callback_method,
            status_callback_events: r
                .status_callback_events
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            timeout: uint(r.timeout_secs, "calls.timeout_secs")?,
            time_limit: uint_opt(r.time_limit_secs, "calls.time_limit_secs")?,
            date_created: time(r.date_created, "calls.date_created")?,
            date_updated: time(r.date_updated, "calls.date_updated")?,
        })
    }
}

macro_rules! call_columns {
    () => {
        "sid, account_sid, parent_call_sid, to_addr, from_addr, status, direction, start_time, \
         end_time, duration, answered_by, caller_name, forwarded_from, price, price_unit, \
         api_version, application_sid, url, method, twiml, fallback_url, fallback_method, \
         status_callback, status_callback_method, status_callback_events, timeout_secs, \
         time_limit_secs, date_created, date_updated"
    };
}

/// The terminal statuses, as SQL list items.
macro_rules! terminal_statuses {
    () => {
        "'completed', 'busy', 'no-answer', 'failed', 'canceled'"
    };
}

const UPDATE_SQL: &str = concat!(
    "UPDATE calls SET ",
    "status = COALESCE($3, status), ",
    "start_time = COALESCE($4, start_time), ",
    "end_time = COALESCE($5, end_time), ",
    "duration = COALESCE($6, duration), ",
    "answered_by = COALESCE($7, answered_by), ",
    "url = CASE WHEN $8 IS NOT NULL THEN $8 WHEN $10 IS NOT NULL THEN NULL ELSE url END, ",
    "method = COALESCE($9, method), ",
    "twiml = CASE WHEN $8 IS NOT NULL THEN NULL WHEN $10 IS NOT NULL THEN $10 ELSE twiml END, ",
    "fallback_url = CASE WHEN $11 IS NULL THEN fallback_url ELSE NULLIF($11, '') END, ",
    "fallback_method = COALESCE($12, fallback_method), ",
    "status_callback = CASE WHEN $13 IS NULL THEN status_callback ELSE NULLIF($13, '') END, ",
    "status_callback_method = COALESCE($14, status_callback_method), ",
    "time_limit_secs = COALESCE($15, time_limit_secs), ",
    "date_updated = $16 ",
    "WHERE sid = $1 AND account_sid = $2 ",
    "AND ($3 IS NULL OR status = $3 OR status NOT IN (",
    terminal_statuses!(),
    ")) RETURNING ",
    call_columns!()
);

/// Binds a [`CallUpdate`] to `UPDATE_SQL`; a macro so that it types for either backend.
macro_rules! update_call_query {
    ($account:expr, $call:expr, $u:expr, $now:expr) => {
        sqlx::query_as::<_, CallRow>(UPDATE_SQL)
            .bind($call.to_string())
            .bind($account.to_string())
            .bind($u.status.map(CallStatus::as_str))
            .bind(db_time_opt($u.start_time))
            .bind(db_time_opt($u.end_time))
            .bind($u.duration.map(i64::from))
            .bind($u.answered_by.as_deref())
            .bind($u.url.as_deref())
            .bind($u.method.as_deref())
            .bind($u.twiml.as_deref())
            .bind($u.fallback_url.as_deref())
            .bind($u.fallback_method.as_deref())
            .bind($u.status_callback.as_deref())
            .bind($u.status_callback_method.as_deref())
            .bind($u.time_limit.map(i64::from))
            .bind(db_time($now))
    };
}

/// Refuses a new call with a NUL character in any text field.
fn check_new_call(c: &NewCall) -> Result<(), StoreError> {
    check_text([
        ("To", Some(c.to.as_str())),
        ("From", Some(c.from.as_str())),
        ("Url", c.url.as_deref()),
        ("Method", Some(c.method.as_str())),
        ("Twiml", c.twiml.as_deref()),
        ("FallbackUrl", c.fallback_url.as_deref()),
        ("FallbackMethod", Some(c.fallback_method.as_str())),
        ("StatusCallback", c.status_callback.as_deref()),
        (
            "StatusCallbackMethod",
            Some(c.status_callback_method.as_str()),
        ),
        ("CallerName", c.caller_name.as_deref()),
        ("ForwardedFrom", c.forwarded_from.as_deref()),
    ])?;
    check_text(
        c.status_callback_events
            .iter()
            .map(|e| ("StatusCallbackEvent", Some(e.as_str()))),
    )
}

/// Refuses a call update with a NUL character in any text field.
fn check_update(u: &CallUpdate) -> Result<(), StoreError> {
    check_text([
        ("AnsweredBy", u.answered_by.as_deref()),
        ("Url", u.url.as_deref()),
        ("Method", u.method.as_deref()),
        ("Twiml", u.twiml.as_deref()),
        ("FallbackUrl", u.fallback_url.as_deref()),
        ("FallbackMethod", u.fallback_method.as_deref()),
        ("StatusCallback", u.status_callback.as_deref()),
        ("StatusCallbackMethod", u.status_callback_method.as_deref()),
    ])
}

/// How many times a write that lost a race on a unique key (PostgreSQL) is retried.
const RACE_RETRIES: usize = 3;

impl Store {
    /// Stores a new call of `account`.
    ///
    /// `Conflict` if the SID exists; `NotFound("account")` if the account does not.
    pub async fn insert_call(
        &self,
        account: Sid,
        call: &NewCall,
        now: UnixMillis,
    ) -> Result<Call, StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO calls (",
            call_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL, NULL, $8, $9, NULL, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $23) RETURNING ",
            call_columns!()
        );
        check_new_call(call)?;
        let events = call.status_callback_events.join(" ");
        let row: CallRow = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(call.sid.to_string())
            .bind(account.to_string())
            .bind(call.parent_call_sid.map(|s| s.to_string()))
            .bind(call.to.as_str())
            .bind(call.from.as_str())
            .bind(call.status.as_str())
            .bind(call.direction.as_str())
            .bind(call.caller_name.as_deref())
            .bind(call.forwarded_from.as_deref())
            .bind(PRICE_UNIT)
            .bind(API_VERSION)
            .bind(call.application_sid.map(|s| s.to_string()))
            .bind(call.url.as_deref())
            .bind(call.method.as_str())
            .bind(call.twiml.as_deref())
            .bind(call.fallback_url.as_deref())
            .bind(call.fallback_method.as_str())
            .bind(call.status_callback.as_deref())
            .bind(call.status_callback_method.as_str())
            .bind(events.as_str())
            .bind(i64::from(call.timeout))
            .bind(call.time_limit.map(i64::from))
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .ctx_conflict("insert call", "a call with this SID exists")?;
        row.try_into()
    }

    /// Call `call` of `account`.
    pub async fn fetch_call(&self, account: Sid, call: Sid) -> Result<Call, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE sid = $1 AND account_sid = $2"
        );
        self.fetch_owned::<CallRow, _>(SQL, "fetch call", "call", account, call)
            .await
    }

    /// Applies `update` to call `call` of `account` and returns the call as it now is.
    pub async fn update_call(
        &self,
        account: Sid,
        call: Sid,
        update: &CallUpdate,
        now: UnixMillis,
    ) -> Result<Call, StoreError> {
        check_update(update)?;
        let row: Option<CallRow> = on_write!(self, pool =>
            update_call_query!(account, call, update, now).fetch_optional(pool).await)
        .ctx("update call")?;
        match row {
            Some(row) => row.try_into(),
            None => Err(self.why_not_updated(account, call).await),
        }
    }

    /// Applies `update` and enqueues `callbacks` (in order) in one transaction: either the
    /// status change and the callbacks it owes are both stored, or neither is.
    ///
    /// The callbacks' `call_sid` need not be `call` (a child's status may notify the parent's
    /// application), but usually is.
    pub async fn update_call_and_enqueue(
        &self,
        account: Sid,
        call: Sid,
        update: &CallUpdate,
        callbacks: &[NewOutboxItem],
        now: UnixMillis,
    ) -> Result<(Call, Vec<OutboxItem>), StoreError> {
        self.update_call_enqueue_notify(account, call, update, callbacks, None, now)
            .await
    }

    /// [`Store::update_call_and_enqueue`], recording `notification` about the call in the same
    /// transaction: a call ended with a reason never lacks the reason.
    pub async fn update_call_and_notify(
        &self,
        account: Sid,
        call: Sid,
        update: &CallUpdate,
        callbacks: &[NewOutboxItem],
        notification: &NewNotification,
        now: UnixMillis,
    ) -> Result<(Call, Vec<OutboxItem>), StoreError> {
        self.update_call_enqueue_notify(account, call, update, callbacks, Some(notification), now)
            .await
    }

    async fn update_call_enqueue_notify(
        &self,
        account: Sid,
        call: Sid,
        update: &CallUpdate,
        callbacks: &[NewOutboxItem],
        notification: Option<&NewNotification>,
        now: UnixMillis,
    ) -> Result<(Call, Vec<OutboxItem>), StoreError> {
        check_update(update)?;
        callbacks.iter().try_for_each(check_item)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result: Result<Option<(CallRow, Vec<OutboxRow>)>, StoreError> = on_write!(self, pool => async {
                    let mut tx = pool.begin().await.ctx("begin call update")?;
                    let row = update_call_query!(account, call, update, now)
                        .fetch_optional(&mut *tx)
                        .await
                        .ctx("update call")?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    let items = enqueue_all!(tx, account, callbacks, now, "enqueue status callback");
                    if let Some(n) = notification {
                        insert_notification_query!(account, call, n, now)
                            .fetch_one(&mut *tx)
                            .await
                            .ctx("record notification")?;
                    }
                    tx.commit().await.ctx("commit call update")?;
                    Ok(Some((row, items)))
                }
                .await);
            match result {
                Ok(Some((row, items))) => {
                    let items = items
                        .into_iter()
                        .map(OutboxItem::try_from)
                        .collect::<Result<Vec<_>, _>>()?;
                    return Ok((row.try_into()?, items));
                }
                Ok(None) => return Err(self.why_not_updated(account, call).await),
                Err(e) if e.is_unique_violation() && attempt < RACE_RETRIES => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Why an update matched no row: the call is missing, or it has ended.
    async fn why_not_updated(&self, account: Sid, call: Sid) -> StoreError {
        match self.fetch_call(account, call).await {
            Ok(_) => StoreError::Conflict("the call has already ended"),
            Err(e) => e,
        }
    }

    /// Calls of `account` matching `filter`, newest first.
    pub async fn list_calls(
        &self,
        account: Sid,
        filter: &CallFilter,
        page: &PageRequest,
    ) -> Result<Page<Call>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE account_sid = $1 ",
            "AND ($2 IS NULL OR to_addr = $2) ",
            "AND ($3 IS NULL OR from_addr = $3) ",
            "AND ($4 IS NULL OR parent_call_sid = $4) ",
            "AND ($5 IS NULL OR status = $5) ",
            "AND ($6 IS NULL OR start_time >= $6) ",
            "AND ($7 IS NULL OR start_time < $7) ",
            "AND ($8 IS NULL OR end_time >= $8) ",
            "AND ($9 IS NULL OR end_time < $9) ",
            "AND ($10 IS NULL OR date_created < $10 OR (date_created = $10 AND sid < $11)) ",
            "AND ($14 IS NULL OR direction = $14) ",
            "ORDER BY date_created DESC, sid DESC LIMIT $12 OFFSET $13"
        );
        if [&filter.to, &filter.from]
            .into_iter()
            .any(|f| f.as_deref().is_some_and(|v| v.contains('\0')))
        {
            // Nothing stored contains a NUL, so nothing matches.
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let (after_time, after_sid) = page.cursor();
        let rows: Vec<CallRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(account.to_string())
            .bind(filter.to.as_deref())
            .bind(filter.from.as_deref())
            .bind(filter.parent_call_sid.map(|s| s.to_string()))
            .bind(filter.status.map(CallStatus::as_str))
            .bind(db_time_opt(filter.start_time.from))
            .bind(db_time_opt(filter.start_time.before))
            .bind(db_time_opt(filter.end_time.from))
            .bind(db_time_opt(filter.end_time.before))
            .bind(after_time)
            .bind(after_sid)
            .bind(page.limit())
            .bind(page.offset())
            .bind(filter.direction.map(Direction::as_str))
            .fetch_all(pool)
            .await)
        .ctx("list calls")?;
        let calls = rows
            .into_iter()
            .map(Call::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(calls, page, |c| {
            PageToken::new(db_time(c.date_created), Some(c.sid))
        }))
    }

    /// Every call of every account that has not reached a terminal status, oldest first:
    /// what a restarted runtime must finish.
    pub async fn list_live_calls(&self) -> Result<Vec<Call>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            call_columns!(),
            " FROM calls WHERE status IN ('queued', 'initiated', 'ringing', 'in-progress') ",
            "ORDER BY date_created, sid"
        );
        let rows: Vec<CallRow> = on_read!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)
            .ctx("list live calls")?;
        rows.into_iter().map(Call::try_from).collect()
    }

    /// Deletes call `call` of `account` with its events and notifications. Status callbacks
    /// it still owes stay in the outbox.
    pub async fn delete_call(&self, account: Sid, call: Sid) -> Result<(), StoreError> {
        self.delete_owned(
            "DELETE FROM calls WHERE sid = $1 AND account_sid = $2",
            "delete call",
            "call",
            account,
            call,
        )
        .await
    }

    /// Fails with `NotFound("call")` unless call `call` of `account` exists.
    pub(crate) async fn require_call(&self, account: Sid, call: Sid) -> Result<(), StoreError> {
        const SQL: &str = "SELECT 1 FROM calls WHERE sid = $1 AND account_sid = $2";
        let found: Option<i32> = on_read!(self, pool => sqlx::query_scalar(SQL)
            .bind(call.to_string())
            .bind(account.to_string())
            .fetch_optional(pool)
            .await)
        .ctx("find call")?;
        found.map(|_| ()).ok_or(StoreError::NotFound("call"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(v: &str) -> Option<(u64, u64)> {
        parse_span(v).map(|(a, b)| (a.0, b.0))
    }

    #[test]
    fn parses_twilio_date_forms() {
        assert_eq!(span("1970-01-01"), Some((0, 86_400_000)));
        assert_eq!(
            span("2024-02-29"),
            Some((1_709_164_800_000, 1_709_251_200_000))
        );
        assert_eq!(
            span("2010-08-31T20:36:28Z"),
            Some((1_283_286_988_000, 1_283_286_989_000))
        );
    }

    #[test]
    fn rejects_bad_dates() {
        for bad in [
            "",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "1969-12-31",
            "2024-1-01",
            "2024/01/01",
            "2024-01-01T24:00:00Z",
            "2024-01-01T10:60:00Z",
            "2024-01-01 10:00:00Z",
            "2024-01-01T10:00:00",
            "2024-01-01T10:00:00+00:00",
            "+024-01-01",
            "2024-01-0\u{e9}",
            "２０２４-01-01",
        ] {
            assert_eq!(span(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn constraints_intersect() {
        let mut r = TimeRange::default();
        r.constrain(DateOp::OnOrAfter, "2024-01-01").unwrap();
        r.constrain(DateOp::OnOrBefore, "2024-01-31").unwrap();
        assert_eq!(r.from, Some(UnixMillis(1_704_067_200_000)));
        assert_eq!(r.before, Some(UnixMillis(1_706_745_600_000)));
        r.constrain(DateOp::On, "2024-01-15T00:00:00Z").unwrap();
        assert_eq!(r.from, Some(UnixMillis(1_705_276_800_000)));
        assert_eq!(r.before, Some(UnixMillis(1_705_276_801_000)));
        assert_eq!(
            r.constrain(DateOp::On, "yesterday"),
            Err(DateParseError("yesterday".to_owned()))
        );
        assert_eq!(DateOp::OnOrBefore.to_string(), "<=");
    }
}
