//! WhatsApp messages (`SM...`, Twilio's `/Messages.json`), scoped to their account.
//!
//! An outbound message is stored `queued` before Meta is asked, so its SID exists whatever
//! Meta answers; Meta's id (`wamid`) is added once Meta accepted it, and status webhooks find
//! the message by it. A status change and the callback it owes are stored in one transaction
//! (the callback goes through the durable outbox, keyed by the message SID, so callbacks of
//! one message arrive in order). An inbound message (a user's reply) is stored `received`.

use dialtone_types::{Sid, SidKind, UnixMillis};

use crate::Store;
use crate::convert::{check_text, db_time, db_time_opt, sid, sid_opt, time, time_opt};
use crate::error::{Context, StoreError};
use crate::outbox::{NewOutboxItem, OutboxItem, OutboxRow, check_item};
use crate::page::{Page, PageRequest, PageToken};

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// `SM...`
    pub sid: Sid,
    /// The owning account.
    pub account_sid: Sid,
    /// `outbound-api` or `inbound`.
    pub direction: String,
    /// `whatsapp:+E164` of the sender.
    pub from: String,
    /// `whatsapp:+E164` of the recipient.
    pub to: String,
    /// The text (empty for a content sent without one).
    pub body: String,
    /// The content sent (`HX...`), if any.
    pub content_sid: Option<Sid>,
    /// Twilio's status: `queued`, `sent`, `delivered`, `read`, `failed`, `undelivered`,
    /// `received`.
    pub status: String,
    /// Twilio's error code, once failed.
    pub error_code: Option<u32>,
    /// Its message.
    pub error_message: Option<String>,
    /// Meta's id of the message (`wamid.…`), once Meta accepted it.
    pub wamid: Option<String>,
    /// Meta's id of the business number.
    pub phone_number_id: String,
    /// `StatusCallback`, if any.
    pub status_callback: Option<String>,
    /// `StatusCallbackMethod`.
    pub status_callback_method: Option<String>,
    /// For a reply: the message it answers.
    pub replied_to_sid: Option<Sid>,
    /// When Meta reported it sent.
    pub date_sent: Option<UnixMillis>,
    /// When it was created.
    pub date_created: UnixMillis,
    /// When it last changed.
    pub date_updated: UnixMillis,
}

/// What a new message holds; SID and times are given to [`Store::create_message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// See [`Message::direction`].
    pub direction: String,
    /// See [`Message::from`].
    pub from: String,
    /// See [`Message::to`].
    pub to: String,
    /// See [`Message::body`].
    pub body: String,
    /// See [`Message::content_sid`].
    pub content_sid: Option<Sid>,
    /// See [`Message::status`].
    pub status: String,
    /// See [`Message::wamid`].
    pub wamid: Option<String>,
    /// See [`Message::phone_number_id`].
    pub phone_number_id: String,
    /// See [`Message::status_callback`].
    pub status_callback: Option<String>,
    /// See [`Message::status_callback_method`].
    pub status_callback_method: Option<String>,
    /// See [`Message::replied_to_sid`].
    pub replied_to_sid: Option<Sid>,
}

/// A change of a message: `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageUpdate {
    /// New status.
    pub status: Option<String>,
    /// Meta's id, once known.
    pub wamid: Option<String>,
    /// Error code and message, on failure.
    pub error: Option<(u32, String)>,
    /// When it was sent.
    pub date_sent: Option<UnixMillis>,
}

/// Which messages to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// `To`, exactly.
    pub to: Option<String>,
    /// `From`, exactly.
    pub from: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    sid: String,
    account_sid: String,
    direction: String,
    from_addr: String,
    to_addr: String,
    body: String,
    content_sid: Option<String>,
    status: String,
    error_code: Option<i64>,
    error_message: Option<String>,
    wamid: Option<String>,
    phone_number_id: String,
    status_callback: Option<String>,
    status_callback_method: Option<String>,
    replied_to_sid: Option<String>,
    date_sent: Option<i64>,
    date_created: i64,
    date_updated: i64,
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(r: MessageRow) -> Result<Self, StoreError> {
        Ok(Self {
            sid: sid(&r.sid, SidKind::Message, "messages.sid")?,
            account_sid: sid(&r.account_sid, SidKind::Account, "messages.account_sid")?,
            direction: r.direction,
            from: r.from_addr,
            to: r.to_addr,
            body: r.body,
            content_sid: sid_opt(
                r.content_sid.as_deref(),
                SidKind::Content,
                "messages.content_sid",
            )?,
            status: r.status,
            error_code: r
                .error_code
                .map(|c| {
                    u32::try_from(c).map_err(|e| StoreError::corrupt("messages.error_code", e))
                })
                .transpose()?,
            error_message: r.error_message,
            wamid: r.wamid,
            phone_number_id: r.phone_number_id,
            status_callback: r.status_callback,
            status_callback_method: r.status_callback_method,
            replied_to_sid: sid_opt(
                r.replied_to_sid.as_deref(),
                SidKind::Message,
                "messages.replied_to_sid",
            )?,
            date_sent: time_opt(r.date_sent, "messages.date_sent")?,
            date_created: time(r.date_created, "messages.date_created")?,
            date_updated: time(r.date_updated, "messages.date_updated")?,
        })
    }
}

macro_rules! message_columns {
    () => {
        "sid, account_sid, direction, from_addr, to_addr, body, content_sid, status, \
         error_code, error_message, wamid, phone_number_id, status_callback, \
         status_callback_method, replied_to_sid, date_sent, date_created, date_updated"
    };
}

const UPDATE_SQL: &str = concat!(
    "UPDATE messages SET status = COALESCE($3, status), wamid = COALESCE($4, wamid), ",
    "error_code = COALESCE($5, error_code), error_message = COALESCE($6, error_message), ",
    "date_sent = COALESCE($7, date_sent), date_updated = $8 ",
    "WHERE sid = $1 AND account_sid = $2 RETURNING ",
    message_columns!()
);

/// Binds a [`MessageUpdate`] to `UPDATE_SQL`; a macro so that it types for either backend.
macro_rules! update_message_query {
    ($account:expr, $message:expr, $update:expr, $now:expr) => {
        sqlx::query_as::<_, MessageRow>(UPDATE_SQL)
            .bind($message.to_string())
            .bind($account.to_string())
            .bind($update.status.as_deref())
            .bind($update.wamid.as_deref())
            .bind($update.error.as_ref().map(|(c, _)| i64::from(*c)))
            .bind($update.error.as_ref().map(|(_, m)| m.as_str()))
            .bind(db_time_opt($update.date_sent))
            .bind(db_time($now))
    };
}

fn check_update(update: &MessageUpdate) -> Result<(), StoreError> {
    check_text([
        ("status", update.status.as_deref()),
        ("wamid", update.wamid.as_deref()),
        (
            "error_message",
            update.error.as_ref().map(|(_, m)| m.as_str()),
        ),
    ])
}

impl Store {
    /// Stores message `message` of `account`.
    ///
    /// `Conflict` if the SID (or the `wamid`) exists; `NotFound("account")` if the account
    /// does not exist.
    pub async fn create_message(
        &self,
        account: Sid,
        message: Sid,
        new: &NewMessage,
        now: UnixMillis,
    ) -> Result<Message, StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO messages (",
            message_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, $9, $10, $11, $12, $13, ",
            "NULL, $14, $14) RETURNING ",
            message_columns!()
        );
        check_text([
            ("direction", Some(new.direction.as_str())),
            ("From", Some(new.from.as_str())),
            ("To", Some(new.to.as_str())),
            ("Body", Some(new.body.as_str())),
            ("status", Some(new.status.as_str())),
            ("wamid", new.wamid.as_deref()),
            ("phone_number_id", Some(new.phone_number_id.as_str())),
            ("StatusCallback", new.status_callback.as_deref()),
            (
                "StatusCallbackMethod",
                new.status_callback_method.as_deref(),
            ),
        ])?;
        let row: MessageRow = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(message.to_string())
            .bind(account.to_string())
            .bind(&new.direction)
            .bind(&new.from)
            .bind(&new.to)
            .bind(&new.body)
            .bind(new.content_sid.map(|s| s.to_string()))
            .bind(&new.status)
            .bind(new.wamid.as_deref())
            .bind(&new.phone_number_id)
            .bind(new.status_callback.as_deref())
            .bind(new.status_callback_method.as_deref())
            .bind(new.replied_to_sid.map(|s| s.to_string()))
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .ctx_conflict("create message", "this message already exists")?;
        row.try_into()
    }

    /// Message `message` of `account`.
    pub async fn fetch_message(&self, account: Sid, message: Sid) -> Result<Message, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE sid = $1 AND account_sid = $2"
        );
        self.fetch_owned::<MessageRow, _>(SQL, "fetch message", "message", account, message)
            .await
    }

    /// The message Meta knows as `wamid`, whichever account holds it.
    pub async fn message_by_wamid(&self, wamid: &str) -> Result<Option<Message>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE wamid = $1"
        );
        check_text([("wamid", Some(wamid))])?;
        let row: Option<MessageRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(wamid)
            .fetch_optional(pool)
            .await)
        .ctx("find message by wamid")?;
        row.map(Message::try_from).transpose()
    }

    /// Messages of `account` matching `filter`, newest first (as Twilio lists them).
    pub async fn list_messages(
        &self,
        account: Sid,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> Result<Page<Message>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            message_columns!(),
            " FROM messages WHERE account_sid = $1 ",
            "AND ($2 IS NULL OR to_addr = $2) ",
            "AND ($3 IS NULL OR from_addr = $3) ",
            "AND ($4 IS NULL OR date_created < $4 OR (date_created = $4 AND sid < $5)) ",
            "ORDER BY date_created DESC, sid DESC LIMIT $6 OFFSET $7"
        );
        if [&filter.to, &filter.from]
            .into_iter()
            .any(|f| f.as_deref().is_some_and(|v| v.contains('\0')))
        {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let (after_time, after_sid) = page.cursor();
        let rows: Vec<MessageRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(account.to_string())
            .bind(filter.to.as_deref())
            .bind(filter.from.as_deref())
            .bind(after_time)
            .bind(after_sid)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(pool)
            .await)
        .ctx("list messages")?;
        let items = rows
            .into_iter()
            .map(Message::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page, |m| {
            PageToken::new(db_time(m.date_created), Some(m.sid))
        }))
    }

    /// Applies `update` to message `message` of `account` and enqueues `callbacks` (in order)
    /// in one transaction.
    pub async fn update_message_and_enqueue(
        &self,
        account: Sid,
        message: Sid,
        update: &MessageUpdate,
        callbacks: &[NewOutboxItem],
        now: UnixMillis,
    ) -> Result<(Message, Vec<OutboxItem>), StoreError> {
        check_update(update)?;
        callbacks.iter().try_for_each(check_item)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result: Result<Option<(MessageRow, Vec<OutboxRow>)>, StoreError> = on_write!(self, pool => async {
                    let mut tx = pool.begin().await.ctx("begin message update")?;
                    let row = update_message_query!(account, message, update, now)
                        .fetch_optional(&mut *tx)
                        .await
                        .ctx("update message")?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    let items = enqueue_all!(tx, account, callbacks, now, "enqueue message callback");
                    tx.commit().await.ctx("commit message update")?;
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
                Ok(None) => return Err(StoreError::NotFound("message")),
                // Two enqueues for one message raced for the same `seq` (PostgreSQL only).
                Err(e) if e.is_unique_violation() && attempt < 3 => {}
                Err(e) => return Err(e),
            }
        }
    }
}
