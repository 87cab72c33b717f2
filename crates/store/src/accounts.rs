//! Accounts: the owners of every other record and the credentials of HTTP Basic auth.
//!
//! The auth token is stored as given, not hashed: it is the key that signs every webhook
//! (`X-Twilio-Signature`), so the runtime must be able to read it back.

use dialtone_types::{Sid, SidKind, UnixMillis};

use crate::Store;
use crate::convert::{db_time, sid, time};
use crate::error::{Context, StoreError};

/// The friendly name Twilio gives a new account.
const DEFAULT_FRIENDLY_NAME: &str = "My first Twilio account";

/// An account (`AC...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `AC...`
    pub sid: Sid,
    /// The secret of HTTP Basic auth and the webhook signing key.
    pub auth_token: String,
    /// A name for people.
    pub friendly_name: String,
    /// `active` (Twilio also has `suspended` and `closed`).
    pub status: String,
    /// When it was created.
    pub date_created: UnixMillis,
    /// When it last changed.
    pub date_updated: UnixMillis,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    sid: String,
    auth_token: String,
    friendly_name: String,
    status: String,
    date_created: i64,
    date_updated: i64,
}

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(r: AccountRow) -> Result<Self, StoreError> {
        Ok(Self {
            sid: sid(&r.sid, SidKind::Account, "accounts.sid")?,
            auth_token: r.auth_token,
            friendly_name: r.friendly_name,
            status: r.status,
            date_created: time(r.date_created, "accounts.date_created")?,
            date_updated: time(r.date_updated, "accounts.date_updated")?,
        })
    }
}

impl Store {
    /// Makes sure the bootstrap account exists with this token, and returns it.
    ///
    /// Creates the account if missing; if it exists with another token, the token is replaced
    /// (configuration wins) and `date_updated` moves to `now`.
    pub async fn ensure_account(
        &self,
        account: Sid,
        auth_token: &str,
        now: UnixMillis,
    ) -> Result<Account, StoreError> {
        const SQL: &str = "INSERT INTO accounts \
             (sid, auth_token, friendly_name, status, date_created, date_updated) \
             VALUES ($1, $2, $3, 'active', $4, $4) \
             ON CONFLICT (sid) DO UPDATE SET \
             auth_token = excluded.auth_token, \
             date_updated = CASE WHEN accounts.auth_token = excluded.auth_token \
             THEN accounts.date_updated ELSE excluded.date_updated END \
             RETURNING sid, auth_token, friendly_name, status, date_created, date_updated";
        let row: AccountRow = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(account.to_string())
            .bind(auth_token)
            .bind(DEFAULT_FRIENDLY_NAME)
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .ctx("ensure account")?;
        row.try_into()
    }

    /// The account `account`.
    pub async fn fetch_account(&self, account: Sid) -> Result<Account, StoreError> {
        const SQL: &str = "SELECT sid, auth_token, friendly_name, status, date_created, \
             date_updated FROM accounts WHERE sid = $1";
        let row: Option<AccountRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(account.to_string())
            .fetch_optional(pool)
            .await)
        .ctx("fetch account")?;
        row.ok_or(StoreError::NotFound("account"))?.try_into()
    }

    /// Every account, oldest first (a fresh install has exactly one).
    pub async fn list_accounts(&self) -> Result<Vec<Account>, StoreError> {
        const SQL: &str = "SELECT sid, auth_token, friendly_name, status, date_created, \
             date_updated FROM accounts ORDER BY date_created, sid";
        let rows: Vec<AccountRow> =
            on_read!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)
                .ctx("list accounts")?;
        rows.into_iter().map(Account::try_from).collect()
    }
}
