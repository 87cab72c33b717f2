//! WhatsApp senders (`XE...`): Twilio's `/v2/Channels/Senders`, scoped to their account.
//!
//! A sender is one `whatsapp:+E164` number of the account; one with a voice application is
//! voice-enabled, and only those may be the `callerId` of a `<Dial><WhatsApp>`. The sender
//! text is kept as given (the API validates it); one account cannot hold the same sender twice.

use dialtone_types::{Sid, SidKind, UnixMillis};

use crate::Store;
use crate::convert::{check_text, db_time, sid, sid_opt, time};
use crate::error::{Context, StoreError};
use crate::page::{Page, PageRequest, PageToken};

/// A WhatsApp sender of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    /// `XE...`
    pub sid: Sid,
    /// The owning account.
    pub account_sid: Sid,
    /// `whatsapp:+E164`.
    pub sender_id: String,
    /// A name for people, if given.
    pub friendly_name: Option<String>,
    /// Twilio's sender status, e.g. `ONLINE`.
    pub status: String,
    /// `configuration.waba_id`: the WhatsApp Business Account.
    pub waba_id: Option<String>,
    /// `configuration.voice_application_sid`: set makes the sender voice-enabled.
    pub voice_application_sid: Option<Sid>,
    /// `configuration.phone_number_id`: Meta's id of the number (a Dialtone extension).
    pub phone_number_id: String,
    /// `webhook`: where messages from users (and, by default, message statuses) are posted.
    pub webhook: SenderWebhook,
    /// When it was created.
    pub date_created: UnixMillis,
    /// When it last changed.
    pub date_updated: UnixMillis,
}

/// What a new sender holds; the SID and times are given to [`Store::create_sender`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSender {
    /// `whatsapp:+E164`.
    pub sender_id: String,
    /// A name for people.
    pub friendly_name: Option<String>,
    /// Twilio's sender status.
    pub status: String,
    /// The WhatsApp Business Account.
    pub waba_id: Option<String>,
    /// The voice application.
    pub voice_application_sid: Option<Sid>,
    /// Meta's id of the number.
    pub phone_number_id: String,
    /// Its messaging webhook.
    pub webhook: SenderWebhook,
}

/// Twilio's `webhook` object of a sender (the fields Dialtone uses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderWebhook {
    /// `callback_url`: incoming messages (a user's answer to a call permission request).
    pub callback_url: Option<String>,
    /// `callback_method`: `POST` (default) or `GET`.
    pub callback_method: Option<String>,
    /// `status_callback_url`: status callbacks of messages sent without `StatusCallback`.
    pub status_callback_url: Option<String>,
}

/// Changes to a sender: `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SenderUpdate {
    /// New friendly name.
    pub friendly_name: Option<Option<String>>,
    /// New WhatsApp Business Account.
    pub waba_id: Option<Option<String>>,
    /// New voice application.
    pub voice_application_sid: Option<Option<Sid>>,
    /// New Meta phone number id.
    pub phone_number_id: Option<String>,
    /// New messaging webhook (replaces the whole object).
    pub webhook: Option<SenderWebhook>,
}

#[derive(sqlx::FromRow)]
struct SenderRow {
    sid: String,
    account_sid: String,
    sender_id: String,
    friendly_name: Option<String>,
    status: String,
    waba_id: Option<String>,
    voice_application_sid: Option<String>,
    phone_number_id: String,
    webhook_callback_url: Option<String>,
    webhook_callback_method: Option<String>,
    webhook_status_callback_url: Option<String>,
    date_created: i64,
    date_updated: i64,
}

impl TryFrom<SenderRow> for Sender {
    type Error = StoreError;

    fn try_from(r: SenderRow) -> Result<Self, StoreError> {
        Ok(Self {
            sid: sid(&r.sid, SidKind::Sender, "senders.sid")?,
            account_sid: sid(&r.account_sid, SidKind::Account, "senders.account_sid")?,
            sender_id: r.sender_id,
            friendly_name: r.friendly_name,
            status: r.status,
            waba_id: r.waba_id,
            voice_application_sid: sid_opt(
                r.voice_application_sid.as_deref(),
                SidKind::Application,
                "senders.voice_application_sid",
            )?,
            phone_number_id: r.phone_number_id,
            webhook: SenderWebhook {
                callback_url: r.webhook_callback_url,
                callback_method: r.webhook_callback_method,
                status_callback_url: r.webhook_status_callback_url,
            },
            date_created: time(r.date_created, "senders.date_created")?,
            date_updated: time(r.date_updated, "senders.date_updated")?,
        })
    }
}

macro_rules! sender_columns {
    () => {
        "sid, account_sid, sender_id, friendly_name, status, waba_id, voice_application_sid, \
         phone_number_id, webhook_callback_url, webhook_callback_method, \
         webhook_status_callback_url, date_created, date_updated"
    };
}

fn check_webhook(webhook: &SenderWebhook) -> Result<(), StoreError> {
    check_text([
        ("webhook.callback_url", webhook.callback_url.as_deref()),
        (
            "webhook.callback_method",
            webhook.callback_method.as_deref(),
        ),
        (
            "webhook.status_callback_url",
            webhook.status_callback_url.as_deref(),
        ),
    ])
}

fn rows_to_senders(rows: Vec<SenderRow>) -> Result<Vec<Sender>, StoreError> {
    rows.into_iter().map(Sender::try_from).collect()
}

impl Store {
    /// Stores sender `sender` of `account`.
    ///
    /// `Conflict` if the SID exists or the account already has this `sender_id`;
    /// `NotFound("account")` if the account does not exist.
    pub async fn create_sender(
        &self,
        account: Sid,
        sender: Sid,
        new: &NewSender,
        now: UnixMillis,
    ) -> Result<Sender, StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO senders (",
            sender_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $10, $11, $12, $9, $9) RETURNING ",
            sender_columns!()
        );
        check_text([
            ("sender_id", Some(new.sender_id.as_str())),
            ("friendly_name", new.friendly_name.as_deref()),
            ("status", Some(new.status.as_str())),
            ("waba_id", new.waba_id.as_deref()),
            ("phone_number_id", Some(new.phone_number_id.as_str())),
        ])?;
        check_webhook(&new.webhook)?;
        let row: SenderRow = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(sender.to_string())
            .bind(account.to_string())
            .bind(&new.sender_id)
            .bind(new.friendly_name.as_deref())
            .bind(&new.status)
            .bind(new.waba_id.as_deref())
            .bind(new.voice_application_sid.map(|s| s.to_string()))
            .bind(&new.phone_number_id)
            .bind(db_time(now))
            .bind(new.webhook.callback_url.as_deref())
            .bind(new.webhook.callback_method.as_deref())
            .bind(new.webhook.status_callback_url.as_deref())
            .fetch_one(pool)
            .await)
        .ctx_conflict("create sender", "this sender already exists")?;
        row.try_into()
    }

    /// Sender `sender` of `account`.
    pub async fn fetch_sender(&self, account: Sid, sender: Sid) -> Result<Sender, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            sender_columns!(),
            " FROM senders WHERE sid = $1 AND account_sid = $2"
        );
        self.fetch_owned::<SenderRow, _>(SQL, "fetch sender", "sender", account, sender)
            .await
    }

    /// Applies `update` to sender `sender` of `account`.
    pub async fn update_sender(
        &self,
        account: Sid,
        sender: Sid,
        update: &SenderUpdate,
        now: UnixMillis,
    ) -> Result<Sender, StoreError> {
        const SQL: &str = concat!(
            "UPDATE senders SET ",
            "friendly_name = CASE WHEN $3 THEN $4 ELSE friendly_name END, ",
            "waba_id = CASE WHEN $5 THEN $6 ELSE waba_id END, ",
            "voice_application_sid = CASE WHEN $7 THEN $8 ELSE voice_application_sid END, ",
            "phone_number_id = COALESCE($9, phone_number_id), ",
            "webhook_callback_url = CASE WHEN $11 THEN $12 ELSE webhook_callback_url END, ",
            "webhook_callback_method = CASE WHEN $11 THEN $13 ELSE webhook_callback_method END, ",
            "webhook_status_callback_url = CASE WHEN $11 THEN $14 ELSE webhook_status_callback_url END, ",
            "date_updated = $10 ",
            "WHERE sid = $1 AND account_sid = $2 RETURNING ",
            sender_columns!()
        );
        check_text([
            (
                "friendly_name",
                update.friendly_name.as_ref().and_then(Option::as_deref),
            ),
            (
                "waba_id",
                update.waba_id.as_ref().and_then(Option::as_deref),
            ),
            ("phone_number_id", update.phone_number_id.as_deref()),
        ])?;
        if let Some(webhook) = &update.webhook {
            check_webhook(webhook)?;
        }
        let hook = update.webhook.clone().unwrap_or_default();
        let row: Option<SenderRow> = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(sender.to_string())
            .bind(account.to_string())
            .bind(update.friendly_name.is_some())
            .bind(update.friendly_name.clone().flatten())
            .bind(update.waba_id.is_some())
            .bind(update.waba_id.clone().flatten())
            .bind(update.voice_application_sid.is_some())
            .bind(update.voice_application_sid.flatten().map(|s| s.to_string()))
            .bind(update.phone_number_id.as_deref())
            .bind(db_time(now))
            .bind(update.webhook.is_some())
            .bind(hook.callback_url.as_deref())
            .bind(hook.callback_method.as_deref())
            .bind(hook.status_callback_url.as_deref())
            .fetch_optional(pool)
            .await)
        .ctx("update sender")?;
        row.ok_or(StoreError::NotFound("sender"))?.try_into()
    }

    /// The senders of `account`, oldest first.
    pub async fn list_senders(
        &self,
        account: Sid,
        page: &PageRequest,
    ) -> Result<Page<Sender>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            sender_columns!(),
            " FROM senders WHERE account_sid = $1 ",
            "AND ($2 IS NULL OR date_created > $2 OR (date_created = $2 AND sid > $3)) ",
            "ORDER BY date_created, sid LIMIT $4 OFFSET $5"
        );
        self.list_owned::<SenderRow, _>(SQL, "list senders", account, page, |s: &Sender| {
            PageToken::new(db_time(s.date_created), Some(s.sid))
        })
        .await
    }

    /// The voice-enabled senders (those with a voice application) of `account`, or of every
    /// account when `None`, oldest first: what the engine's callerId check is fed.
    pub async fn voice_senders(&self, account: Option<Sid>) -> Result<Vec<Sender>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            sender_columns!(),
            " FROM senders WHERE voice_application_sid IS NOT NULL ",
            "AND ($1 IS NULL OR account_sid = $1) ORDER BY date_created, sid"
        );
        let rows: Vec<SenderRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(account.map(|a| a.to_string()))
            .fetch_all(pool)
            .await)
        .ctx("list voice senders")?;
        rows_to_senders(rows)
    }

    /// The sender whose Meta id is `phone_number_id`, whichever account holds it (the oldest
    /// if several do): how a WhatsApp webhook or Graph request finds its business number.
    pub async fn sender_by_phone_number_id(
        &self,
        phone_number_id: &str,
    ) -> Result<Option<Sender>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            sender_columns!(),
            " FROM senders WHERE phone_number_id = $1 ORDER BY date_created, sid LIMIT 1"
        );
        check_text([("phone_number_id", Some(phone_number_id))])?;
        let row: Option<SenderRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(phone_number_id)
            .fetch_optional(pool)
            .await)
        .ctx("find sender by phone number id")?;
        row.map(Sender::try_from).transpose()
    }

    /// Sender `sender_id` (`whatsapp:+E164`) of `account`, if the account has it.
    pub async fn sender_by_id(
        &self,
        account: Sid,
        sender_id: &str,
    ) -> Result<Option<Sender>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            sender_columns!(),
            " FROM senders WHERE account_sid = $1 AND sender_id = $2"
        );
        check_text([("sender_id", Some(sender_id))])?;
        let row: Option<SenderRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(account.to_string())
            .bind(sender_id)
            .fetch_optional(pool)
            .await)
        .ctx("find sender by sender id")?;
        row.map(Sender::try_from).transpose()
    }

    /// Deletes sender `sender` of `account`.
    pub async fn delete_sender(&self, account: Sid, sender: Sid) -> Result<(), StoreError> {
        self.delete_owned(
            "DELETE FROM senders WHERE sid = $1 AND account_sid = $2",
            "delete sender",
            "sender",
            account,
            sender,
        )
        .await
    }
}
