//! API keys (`SK...`): a second kind of credential for HTTP Basic auth, `KeySid:Secret`.
//!
//! HTTP Basic auth checks a SHA-256 digest of the secret: a slow password hash is not needed
//! because secrets are long random strings, not something a person chose. Access tokens (the
//! Voice SDK's JWTs) are HMACs keyed with the secret itself, so the secret is also kept sealed
//! ([`crate::SecretKey`], AES-256-GCM) when the store has a secret key; it is shown once, at
//! creation, and otherwise leaves the store only to verify a token.

use dialtone_types::{Sid, SidKind, UnixMillis};
use sha2::{Digest, Sha256};

use crate::Store;
use crate::convert::{check_text, db_time, sid, time};
use crate::error::{Context, StoreError};
use crate::page::{Page, PageRequest, PageToken};

/// An API key (`SK...`) of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// `SK...`
    pub sid: Sid,
    /// The owning account.
    pub account_sid: Sid,
    /// A name for people.
    pub friendly_name: String,
    /// When it was created.
    pub date_created: UnixMillis,
    /// When it last changed.
    pub date_updated: UnixMillis,
    secret_sha256: String,
    secret_sealed: Option<String>,
}

impl ApiKey {
    /// True if `secret` is this key's secret.
    ///
    /// Compares digests in constant time, so timing tells nothing about how much matched.
    pub fn verify_secret(&self, secret: &str) -> bool {
        let given = secret_digest(secret);
        given.len() == self.secret_sha256.len()
            && given
                .bytes()
                .zip(self.secret_sha256.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Lowercase hex SHA-256 of the secret.
fn secret_digest(secret: &str) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(2 * digest.len());
    for b in &digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    sid: String,
    account_sid: String,
    friendly_name: String,
    secret_sha256: String,
    secret_sealed: Option<String>,
    date_created: i64,
    date_updated: i64,
}

impl TryFrom<KeyRow> for ApiKey {
    type Error = StoreError;

    fn try_from(r: KeyRow) -> Result<Self, StoreError> {
        Ok(Self {
            sid: sid(&r.sid, SidKind::ApiKey, "api_keys.sid")?,
            account_sid: sid(&r.account_sid, SidKind::Account, "api_keys.account_sid")?,
            friendly_name: r.friendly_name,
            date_created: time(r.date_created, "api_keys.date_created")?,
            date_updated: time(r.date_updated, "api_keys.date_updated")?,
            secret_sha256: r.secret_sha256,
            secret_sealed: r.secret_sealed,
        })
    }
}

macro_rules! key_columns {
    () => {
        "sid, account_sid, friendly_name, secret_sha256, secret_sealed, date_created, date_updated"
    };
}

impl Store {
    /// Stores a new key `key` of `account` with `secret` (its digest, and the secret sealed
    /// when the store has a secret key).
    ///
    /// `Conflict` if the SID exists; `NotFound("account")` if the account does not.
    pub async fn create_key(
        &self,
        account: Sid,
        key: Sid,
        friendly_name: &str,
        secret: &str,
        now: UnixMillis,
    ) -> Result<ApiKey, StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO api_keys (",
            key_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING ",
            key_columns!()
        );
        check_text([("FriendlyName", Some(friendly_name))])?;
        let sealed = match &self.secret_key {
            Some(k) => Some(
                k.seal(secret, &key.to_string())
                    .map_err(|e| StoreError::Sealed(e.to_string()))?,
            ),
            None => None,
        };
        let row: KeyRow = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(key.to_string())
            .bind(account.to_string())
            .bind(friendly_name)
            .bind(secret_digest(secret))
            .bind(sealed)
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .ctx_conflict("create key", "an API key with this SID exists")?;
        row.try_into()
    }

    /// The secret of `key`, unsealed, to verify an access token it signed: `None` when the key
    /// was stored without a sealed secret (before secrets were kept, or by a server without a
    /// secret key, [`Store::with_secret_key`]). `Sealed` when the store's secret key does not
    /// open it (the key changed). Never log what this returns.
    pub fn key_secret(&self, key: &ApiKey) -> Result<Option<String>, StoreError> {
        let (Some(sealed), Some(secret_key)) = (&key.secret_sealed, &self.secret_key) else {
            return Ok(None);
        };
        secret_key
            .open(sealed, &key.sid.to_string())
            .map(Some)
            .map_err(|e| StoreError::Sealed(e.to_string()))
    }

    /// The key `key` of `account`: what authentication looks up.
    pub async fn fetch_key(&self, account: Sid, key: Sid) -> Result<ApiKey, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys WHERE sid = $1 AND account_sid = $2"
        );
        self.fetch_owned::<KeyRow, _>(SQL, "fetch key", "key", account, key)
            .await
    }

    /// Renames key `key` of `account`.
    pub async fn update_key(
        &self,
        account: Sid,
        key: Sid,
        friendly_name: &str,
        now: UnixMillis,
    ) -> Result<ApiKey, StoreError> {
        const SQL: &str = concat!(
            "UPDATE api_keys SET friendly_name = $3, date_updated = $4 ",
            "WHERE sid = $1 AND account_sid = $2 RETURNING ",
            key_columns!()
        );
        check_text([("FriendlyName", Some(friendly_name))])?;
        let row: Option<KeyRow> = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(key.to_string())
            .bind(account.to_string())
            .bind(friendly_name)
            .bind(db_time(now))
            .fetch_optional(pool)
            .await)
        .ctx("update key")?;
        row.ok_or(StoreError::NotFound("key"))?.try_into()
    }

    /// The keys of `account`, oldest first.
    pub async fn list_keys(
        &self,
        account: Sid,
        page: &PageRequest,
    ) -> Result<Page<ApiKey>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            key_columns!(),
            " FROM api_keys WHERE account_sid = $1 ",
            "AND ($2 IS NULL OR date_created > $2 OR (date_created = $2 AND sid > $3)) ",
            "ORDER BY date_created, sid LIMIT $4 OFFSET $5"
        );
        self.list_owned::<KeyRow, _>(SQL, "list keys", account, page, |k: &ApiKey| {
            PageToken::new(db_time(k.date_created), Some(k.sid))
        })
        .await
    }

    /// Deletes key `key` of `account`; its credentials stop working at once.
    pub async fn delete_key(&self, account: Sid, key: Sid) -> Result<(), StoreError> {
        self.delete_owned(
            "DELETE FROM api_keys WHERE sid = $1 AND account_sid = $2",
            "delete key",
            "key",
            account,
            key,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> ApiKey {
        ApiKey {
            sid: Sid::new(SidKind::ApiKey, 1),
            account_sid: Sid::new(SidKind::Account, 1),
            friendly_name: String::new(),
            date_created: UnixMillis(0),
            date_updated: UnixMillis(0),
            secret_sha256: secret_digest(secret),
            secret_sealed: None,
        }
    }

    #[test]
    fn digest_is_sha256_hex() {
        assert_eq!(
            secret_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn verifies_only_the_right_secret() {
        let k = key("s3cret");
        assert!(k.verify_secret("s3cret"));
        assert!(!k.verify_secret("s3creT"));
        assert!(!k.verify_secret(""));
    }
}
