//! Notifications (`NO...`): the errors and warnings Dialtone reported for a call, each with
//! its Twilio code, backing `Calls/{CA}/Notifications.json`.
//!
//! They are what a user reads when a call went wrong (a webhook timed out, TwiML did not
//! parse), so each keeps the request that caused it. Append-only, listed oldest first. Like
//! events, a notification is never refused for its content: NUL characters become U+FFFD.

use dialtone_types::{Level, Sid, SidKind, TwilioCode, UnixMillis};

use crate::Store;
use crate::convert::{code, level, sid, time};
use crate::error::{Context, StoreError};
use crate::page::{Page, PageRequest, PageToken};

/// A notification to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// `NO...`, chosen by the caller.
    pub sid: Sid,
    /// Twilio's code, e.g. 11200 (HTTP retrieval failure).
    pub error_code: TwilioCode,
    /// Error (`log` 0) or warning (`log` 1).
    pub level: Level,
    /// What happened, for people.
    pub message_text: String,
    /// The request that caused it, if any.
    pub request_url: Option<String>,
    /// Its method.
    pub request_method: Option<String>,
    /// The response body that caused it, if any (e.g. invalid TwiML).
    pub response_body: Option<String>,
}

/// A recorded notification. Twilio's `message_date` and `date_updated` equal `date_created`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// `NO...`
    pub sid: Sid,
    /// The owning account.
    pub account_sid: Sid,
    /// The call it is about.
    pub call_sid: Sid,
    /// See [`NewNotification::error_code`].
    pub error_code: TwilioCode,
    /// See [`NewNotification::level`].
    pub level: Level,
    /// See [`NewNotification::message_text`].
    pub message_text: String,
    /// See [`NewNotification::request_url`].
    pub request_url: Option<String>,
    /// See [`NewNotification::request_method`].
    pub request_method: Option<String>,
    /// See [`NewNotification::response_body`].
    pub response_body: Option<String>,
    /// When it was recorded.
    pub date_created: UnixMillis,
}

#[derive(sqlx::FromRow)]
pub(crate) struct NotificationRow {
    id: i64,
    sid: String,
    account_sid: String,
    call_sid: String,
    error_code: i64,
    log_level: i64,
    message_text: String,
    request_url: Option<String>,
    request_method: Option<String>,
    response_body: Option<String>,
    date_created: i64,
}

impl NotificationRow {
    pub(crate) fn into_notification(self) -> Result<(i64, Notification), StoreError> {
        Ok((
            self.id,
            Notification {
                sid: sid(&self.sid, SidKind::Notification, "notifications.sid")?,
                account_sid: sid(
                    &self.account_sid,
                    SidKind::Account,
                    "notifications.account_sid",
                )?,
                call_sid: sid(&self.call_sid, SidKind::Call, "notifications.call_sid")?,
                error_code: code(self.error_code, "notifications.error_code")?,
                level: level(self.log_level)?,
                message_text: self.message_text,
                request_url: self.request_url,
                request_method: self.request_method,
                response_body: self.response_body,
                date_created: time(self.date_created, "notifications.date_created")?,
            },
        ))
    }
}

macro_rules! notification_columns {
    () => {
        "id, sid, account_sid, call_sid, error_code, log_level, message_text, request_url, \
         request_method, response_body, date_created"
    };
}

/// Inserts notification `$3` about call `$1` of account `$2` (no row if there is no such call).
pub(crate) const INSERT_SQL: &str = concat!(
    "INSERT INTO notifications (sid, account_sid, call_sid, error_code, log_level, ",
    "message_text, request_url, request_method, response_body, date_created) ",
    "SELECT $3, account_sid, sid, $4, $5, $6, $7, $8, $9, $10 FROM calls ",
    "WHERE sid = $1 AND account_sid = $2 RETURNING ",
    notification_columns!()
);

/// [`INSERT_SQL`] bound to a [`NewNotification`], for a pool or a transaction.
macro_rules! insert_notification_query {
    ($account:expr, $call:expr, $n:expr, $now:expr) => {
        sqlx::query_as::<_, $crate::notifications::NotificationRow>(
            $crate::notifications::INSERT_SQL,
        )
        .bind($call.to_string())
        .bind($account.to_string())
        .bind($n.sid.to_string())
        .bind(i64::from($n.error_code.0))
        .bind(i64::from($n.level.log_value()))
        .bind($crate::convert::clean(&$n.message_text))
        .bind($n.request_url.as_deref().map($crate::convert::clean))
        .bind($n.request_method.as_deref().map($crate::convert::clean))
        .bind($n.response_body.as_deref().map($crate::convert::clean))
        .bind($crate::convert::db_time($now))
    };
}

impl Store {
    /// Records a notification about call `call` of `account`.
    ///
    /// `NotFound("call")` if there is no such call; `Conflict` if the SID exists.
    pub async fn append_notification(
        &self,
        account: Sid,
        call: Sid,
        notification: &NewNotification,
        now: UnixMillis,
    ) -> Result<Notification, StoreError> {
        let row: Option<NotificationRow> = on_write!(self, pool =>
            insert_notification_query!(account, call, notification, now)
                .fetch_optional(pool)
                .await)
        .ctx_conflict("record notification", "a notification with this SID exists")?;
        Ok(row
            .ok_or(StoreError::NotFound("call"))?
            .into_notification()?
            .1)
    }

    /// Notification `sid` of call `call` of `account`.
    pub async fn fetch_notification(
        &self,
        account: Sid,
        call: Sid,
        sid: Sid,
    ) -> Result<Notification, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            notification_columns!(),
            " FROM notifications WHERE sid = $1 AND call_sid = $2 AND account_sid = $3"
        );
        let row: Option<NotificationRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(sid.to_string())
            .bind(call.to_string())
            .bind(account.to_string())
            .fetch_optional(pool)
            .await)
        .ctx("fetch notification")?;
        Ok(row
            .ok_or(StoreError::NotFound("notification"))?
            .into_notification()?
            .1)
    }

    /// The notifications of call `call` of `account`, oldest first.
    /// `NotFound("call")` if there is no such call.
    pub async fn list_notifications(
        &self,
        account: Sid,
        call: Sid,
        page: &PageRequest,
    ) -> Result<Page<Notification>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            notification_columns!(),
            " FROM notifications WHERE call_sid = $1 AND account_sid = $2 ",
            "AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4 OFFSET $5"
        );
        self.require_call(account, call).await?;
        let (after_id, _) = page.cursor();
        let rows: Vec<NotificationRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(call.to_string())
            .bind(account.to_string())
            .bind(after_id)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(pool)
            .await)
        .ctx("list notifications")?;
        let rows = rows
            .into_iter()
            .map(NotificationRow::into_notification)
            .collect::<Result<Vec<_>, _>>()?;
        let page = Page::from_rows(rows, page, |(id, _)| PageToken::new(*id, None));
        Ok(Page {
            items: page.items.into_iter().map(|(_, n)| n).collect(),
            next: page.next,
        })
    }
}
