//! WhatsApp users' call permissions as their answers gave them, per business number (Meta's
//! `phone_number_id`) and user (digits), so that a restart still knows who may be called.
//!
//! One row per pair holds the latest answer: `temporary` (until `expires_at`), `permanent` or
//! `rejected`. Only a user's answer writes a row; Meta sends nothing when a temporary
//! permission expires, so readers compare `expires_at` with their clock.

use dialtone_types::{Sid, SidKind, UnixMillis};

use crate::Store;
use crate::convert::{check_text, db_time, db_time_opt, sid, sid_opt, time, time_opt};
use crate::error::{Context, StoreError};

/// A stored permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallPermission {
    /// Meta's id of the business number.
    pub phone_number_id: String,
    /// The user's WhatsApp id (digits).
    pub user_wa_id: String,
    /// The account of the business number.
    pub account_sid: Sid,
    /// `temporary`, `permanent` or `rejected`.
    pub status: String,
    /// When a temporary permission ends.
    pub expires_at: Option<UnixMillis>,
    /// Meta's `response_source` (`user_action`, `automatic`).
    pub response_source: Option<String>,
    /// The request message answered (`SM...`), when known.
    pub request_message_sid: Option<Sid>,
    /// When the pair was first answered.
    pub date_created: UnixMillis,
    /// When the answer last changed.
    pub date_updated: UnixMillis,
}

#[derive(sqlx::FromRow)]
struct PermissionRow {
    phone_number_id: String,
    user_wa_id: String,
    account_sid: String,
    status: String,
    expires_at: Option<i64>,
    response_source: Option<String>,
    request_message_sid: Option<String>,
    date_created: i64,
    date_updated: i64,
}

impl TryFrom<PermissionRow> for CallPermission {
    type Error = StoreError;

    fn try_from(r: PermissionRow) -> Result<Self, StoreError> {
        Ok(Self {
            phone_number_id: r.phone_number_id,
            user_wa_id: r.user_wa_id,
            account_sid: sid(
                &r.account_sid,
                SidKind::Account,
                "call_permissions.account_sid",
            )?,
            status: r.status,
            expires_at: time_opt(r.expires_at, "call_permissions.expires_at")?,
            response_source: r.response_source,
            request_message_sid: sid_opt(
                r.request_message_sid.as_deref(),
                SidKind::Message,
                "call_permissions.request_message_sid",
            )?,
            date_created: time(r.date_created, "call_permissions.date_created")?,
            date_updated: time(r.date_updated, "call_permissions.date_updated")?,
        })
    }
}

macro_rules! permission_columns {
    () => {
        "phone_number_id, user_wa_id, account_sid, status, expires_at, response_source, \
         request_message_sid, date_created, date_updated"
    };
}

impl Store {
    /// Records the latest answer of a pair (`date_created`/`date_updated` of `permission` are
    /// replaced by `now`, keeping the first `date_created` of the pair).
    pub async fn put_call_permission(
        &self,
        permission: &CallPermission,
        now: UnixMillis,
    ) -> Result<CallPermission, StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO call_permissions (",
            permission_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ",
            "ON CONFLICT (phone_number_id, user_wa_id) DO UPDATE SET ",
            "account_sid = excluded.account_sid, status = excluded.status, ",
            "expires_at = excluded.expires_at, response_source = excluded.response_source, ",
            "request_message_sid = excluded.request_message_sid, ",
            "date_updated = excluded.date_updated RETURNING ",
            permission_columns!()
        );
        check_text([
            ("phone_number_id", Some(permission.phone_number_id.as_str())),
            ("user_wa_id", Some(permission.user_wa_id.as_str())),
            ("status", Some(permission.status.as_str())),
            ("response_source", permission.response_source.as_deref()),
        ])?;
        let row: PermissionRow = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(&permission.phone_number_id)
            .bind(&permission.user_wa_id)
            .bind(permission.account_sid.to_string())
            .bind(&permission.status)
            .bind(db_time_opt(permission.expires_at))
            .bind(permission.response_source.as_deref())
            .bind(permission.request_message_sid.map(|s| s.to_string()))
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .ctx("store call permission")?;
        row.try_into()
    }

    /// The permissions of business number `phone_number_id` of `account`, by user.
    pub async fn call_permissions_of(
        &self,
        account: Sid,
        phone_number_id: &str,
    ) -> Result<Vec<CallPermission>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            permission_columns!(),
            " FROM call_permissions WHERE account_sid = $1 AND phone_number_id = $2 ",
            "ORDER BY user_wa_id"
        );
        check_text([("phone_number_id", Some(phone_number_id))])?;
        let rows: Vec<PermissionRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(account.to_string())
            .bind(phone_number_id)
            .fetch_all(pool)
            .await)
        .ctx("list call permissions")?;
        rows.into_iter().map(CallPermission::try_from).collect()
    }

    /// Every stored permission, at most `limit` (most recently answered first): what a
    /// starting connector loads.
    pub async fn all_call_permissions(
        &self,
        limit: u32,
    ) -> Result<Vec<CallPermission>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            permission_columns!(),
            " FROM call_permissions ORDER BY date_updated DESC LIMIT $1"
        );
        let rows: Vec<PermissionRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await)
        .ctx("load call permissions")?;
        rows.into_iter().map(CallPermission::try_from).collect()
    }
}
