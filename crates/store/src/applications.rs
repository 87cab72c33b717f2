//! TwiML applications (`AP...`): a reusable set of voice URLs a call can be pointed at.
//!
//! Methods are stored as the API validated them (`GET`/`POST`); defaults are the API's job.
//! URLs are nullable: an application may exist before its voice URL is set, and setting a URL
//! to the empty string clears it, as Twilio's update does.

use dialtone_types::{Sid, SidKind, UnixMillis};

use crate::Store;
use crate::convert::{check_text, db_time, sid, time};
use crate::error::{Context, StoreError};
use crate::page::{Page, PageRequest, PageToken};

/// A TwiML application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// `AP...`
    pub sid: Sid,
    /// The owning account.
    pub account_sid: Sid,
    /// A name for people.
    pub friendly_name: String,
    /// Where TwiML is fetched when a call uses this application.
    pub voice_url: Option<String>,
    /// `GET` or `POST`.
    pub voice_method: String,
    /// Fetched when `voice_url` fails.
    pub voice_fallback_url: Option<String>,
    /// `GET` or `POST`.
    pub voice_fallback_method: String,
    /// Receives call status callbacks.
    pub status_callback: Option<String>,
    /// `GET` or `POST`.
    pub status_callback_method: String,
    /// When it was created.
    pub date_created: UnixMillis,
    /// When it last changed.
    pub date_updated: UnixMillis,
}

/// The fields of a new application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApplication {
    /// `AP...`, chosen by the caller.
    pub sid: Sid,
    /// A name for people.
    pub friendly_name: String,
    /// See [`Application::voice_url`]; empty means none.
    pub voice_url: Option<String>,
    /// `GET` or `POST`.
    pub voice_method: String,
    /// See [`Application::voice_fallback_url`]; empty means none.
    pub voice_fallback_url: Option<String>,
    /// `GET` or `POST`.
    pub voice_fallback_method: String,
    /// See [`Application::status_callback`]; empty means none.
    pub status_callback: Option<String>,
    /// `GET` or `POST`.
    pub status_callback_method: String,
}

/// Changes to an application: `None` leaves a field as it is; `Some("")` clears a URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplicationUpdate {
    /// New name.
    pub friendly_name: Option<String>,
    /// New voice URL.
    pub voice_url: Option<String>,
    /// New voice method.
    pub voice_method: Option<String>,
    /// New fallback URL.
    pub voice_fallback_url: Option<String>,
    /// New fallback method.
    pub voice_fallback_method: Option<String>,
    /// New status callback URL.
    pub status_callback: Option<String>,
    /// New status callback method.
    pub status_callback_method: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    sid: String,
    account_sid: String,
    friendly_name: String,
    voice_url: Option<String>,
    voice_method: String,
    voice_fallback_url: Option<String>,
    voice_fallback_method: String,
    status_callback: Option<String>,
    status_callback_method: String,
    date_created: i64,
    date_updated: i64,
}

impl TryFrom<ApplicationRow> for Application {
    type Error = StoreError;

    fn try_from(r: ApplicationRow) -> Result<Self, StoreError> {
        Ok(Self {
            sid: sid(&r.sid, SidKind::Application, "applications.sid")?,
            account_sid: sid(&r.account_sid, SidKind::Account, "applications.account_sid")?,
            friendly_name: r.friendly_name,
            voice_url: r.voice_url,
            voice_method: r.voice_method,
            voice_fallback_url: r.voice_fallback_url,
            voice_fallback_method: r.voice_fallback_method,
            status_callback: r.status_callback,
            status_callback_method: r.status_callback_method,
            date_created: time(r.date_created, "applications.date_created")?,
            date_updated: time(r.date_updated, "applications.date_updated")?,
        })
    }
}

macro_rules! app_columns {
    () => {
        "sid, account_sid, friendly_name, voice_url, voice_method, voice_fallback_url, \
         voice_fallback_method, status_callback, status_callback_method, date_created, \
         date_updated"
    };
}

impl Store {
    /// Stores a new application of `account`.
    ///
    /// `Conflict` if the SID exists; `NotFound("account")` if the account does not.
    pub async fn create_application(
        &self,
        account: Sid,
        app: &NewApplication,
        now: UnixMillis,
    ) -> Result<Application, StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO applications (",
            app_columns!(),
            ") VALUES ($1, $2, $3, NULLIF($4, ''), $5, NULLIF($6, ''), $7, NULLIF($8, ''), $9, \
             $10, $10) RETURNING ",
            app_columns!()
        );
        check_text([
            ("FriendlyName", Some(app.friendly_name.as_str())),
            ("VoiceUrl", app.voice_url.as_deref()),
            ("VoiceMethod", Some(app.voice_method.as_str())),
            ("VoiceFallbackUrl", app.voice_fallback_url.as_deref()),
            (
                "VoiceFallbackMethod",
                Some(app.voice_fallback_method.as_str()),
            ),
            ("StatusCallback", app.status_callback.as_deref()),
            (
                "StatusCallbackMethod",
                Some(app.status_callback_method.as_str()),
            ),
        ])?;
        let row: ApplicationRow = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(app.sid.to_string())
            .bind(account.to_string())
            .bind(app.friendly_name.as_str())
            .bind(app.voice_url.as_deref())
            .bind(app.voice_method.as_str())
            .bind(app.voice_fallback_url.as_deref())
            .bind(app.voice_fallback_method.as_str())
            .bind(app.status_callback.as_deref())
            .bind(app.status_callback_method.as_str())
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .ctx_conflict("create application", "an application with this SID exists")?;
        row.try_into()
    }

    /// Application `app` of `account`.
    pub async fn fetch_application(
        &self,
        account: Sid,
        app: Sid,
    ) -> Result<Application, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            app_columns!(),
            " FROM applications WHERE sid = $1 AND account_sid = $2"
        );
        self.fetch_owned::<ApplicationRow, _>(SQL, "fetch application", "application", account, app)
            .await
    }

    /// Applies `update` to application `app` of `account`.
    pub async fn update_application(
        &self,
        account: Sid,
        app: Sid,
        update: &ApplicationUpdate,
        now: UnixMillis,
    ) -> Result<Application, StoreError> {
        const SQL: &str = concat!(
            "UPDATE applications SET ",
            "friendly_name = COALESCE($3, friendly_name), ",
            "voice_url = CASE WHEN $4 IS NULL THEN voice_url ELSE NULLIF($4, '') END, ",
            "voice_method = COALESCE($5, voice_method), ",
            "voice_fallback_url = CASE WHEN $6 IS NULL THEN voice_fallback_url ",
            "ELSE NULLIF($6, '') END, ",
            "voice_fallback_method = COALESCE($7, voice_fallback_method), ",
            "status_callback = CASE WHEN $8 IS NULL THEN status_callback ",
            "ELSE NULLIF($8, '') END, ",
            "status_callback_method = COALESCE($9, status_callback_method), ",
            "date_updated = $10 ",
            "WHERE sid = $1 AND account_sid = $2 RETURNING ",
            app_columns!()
        );
        check_text([
            ("FriendlyName", update.friendly_name.as_deref()),
            ("VoiceUrl", update.voice_url.as_deref()),
            ("VoiceMethod", update.voice_method.as_deref()),
            ("VoiceFallbackUrl", update.voice_fallback_url.as_deref()),
            (
                "VoiceFallbackMethod",
                update.voice_fallback_method.as_deref(),
            ),
            ("StatusCallback", update.status_callback.as_deref()),
            (
                "StatusCallbackMethod",
                update.status_callback_method.as_deref(),
            ),
        ])?;
        let row: Option<ApplicationRow> = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(app.to_string())
            .bind(account.to_string())
            .bind(update.friendly_name.as_deref())
            .bind(update.voice_url.as_deref())
            .bind(update.voice_method.as_deref())
            .bind(update.voice_fallback_url.as_deref())
            .bind(update.voice_fallback_method.as_deref())
            .bind(update.status_callback.as_deref())
            .bind(update.status_callback_method.as_deref())
            .bind(db_time(now))
            .fetch_optional(pool)
            .await)
        .ctx("update application")?;
        row.ok_or(StoreError::NotFound("application"))?.try_into()
    }

    /// Applications of `account`, oldest first, optionally only those named `friendly_name`.
    pub async fn list_applications(
        &self,
        account: Sid,
        friendly_name: Option<&str>,
        page: &PageRequest,
    ) -> Result<Page<Application>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            app_columns!(),
            " FROM applications WHERE account_sid = $1 ",
            "AND ($2 IS NULL OR friendly_name = $2) ",
            "AND ($3 IS NULL OR date_created > $3 OR (date_created = $3 AND sid > $4)) ",
            "ORDER BY date_created, sid LIMIT $5 OFFSET $6"
        );
        if friendly_name.is_some_and(|n| n.contains('\0')) {
            // Nothing stored contains a NUL, so nothing matches.
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let (after_time, after_sid) = page.cursor();
        let rows: Vec<ApplicationRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(account.to_string())
            .bind(friendly_name)
            .bind(after_time)
            .bind(after_sid)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(pool)
            .await)
        .ctx("list applications")?;
        let apps = rows
            .into_iter()
            .map(Application::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(apps, page, |a| {
            PageToken::new(db_time(a.date_created), Some(a.sid))
        }))
    }

    /// Deletes application `app` of `account`. Calls that used it keep their own copy of its
    /// URLs, so they are not affected. WhatsApp senders that used it as their voice application
    /// lose it in the same transaction (they stop being voice-enabled).
    pub async fn delete_application(
        &self,
        account: Sid,
        app: Sid,
        now: UnixMillis,
    ) -> Result<(), StoreError> {
        let deleted: bool = on_write!(self, pool => async {
            let mut tx = pool.begin().await.ctx("begin delete application")?;
            let done = sqlx::query("DELETE FROM applications WHERE sid = $1 AND account_sid = $2")
                .bind(app.to_string())
                .bind(account.to_string())
                .execute(&mut *tx)
                .await
                .ctx("delete application")?
                .rows_affected();
            if done == 0 {
                return Ok::<_, StoreError>(false);
            }
            sqlx::query(
                "UPDATE senders SET voice_application_sid = NULL, date_updated = $3 \
                 WHERE voice_application_sid = $1 AND account_sid = $2",
            )
            .bind(app.to_string())
            .bind(account.to_string())
            .bind(db_time(now))
            .execute(&mut *tx)
            .await
            .ctx("detach senders from the application")?;
            tx.commit().await.ctx("commit delete application")?;
            Ok(true)
        }
        .await)?;
        if deleted {
            Ok(())
        } else {
            Err(StoreError::NotFound("application"))
        }
    }
}
