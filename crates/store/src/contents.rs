//! Content resources (`HX...`, Twilio's `/v1/Content`) and their WhatsApp approval requests,
//! scoped to their account.
//!
//! A content keeps its `variables` and `types` as the JSON objects the API validated; the store
//! does not look inside them. Its approval request, once made, is a row of its own (deleted
//! with the content) holding Twilio's status and, depending on who decides, the simulator's
//! decision (`decide_at`, `verdict`) or Meta's template id.

use dialtone_types::{Sid, SidKind, UnixMillis};
use serde_json::Value;

use crate::Store;
use crate::convert::{check_text, db_time, db_time_opt, sid, time, time_opt};
use crate::error::{Context, StoreError};
use crate::page::{Page, PageRequest, PageToken};

/// A content resource, with its WhatsApp approval request if one was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    /// `HX...`
    pub sid: Sid,
    /// The owning account.
    pub account_sid: Sid,
    /// A name for people, if given.
    pub friendly_name: Option<String>,
    /// The language code, e.g. `en`.
    pub language: String,
    /// The `variables` object (default and sample values).
    pub variables: Value,
    /// The `types` object (`twilio/text`, ...).
    pub types: Value,
    /// The WhatsApp approval request, once made.
    pub approval: Option<Approval>,
    /// When it was created.
    pub date_created: UnixMillis,
    /// When it last changed.
    pub date_updated: UnixMillis,
}

/// What a new (or replaced) content holds.
#[derive(Debug, Clone, PartialEq)]
pub struct NewContent {
    /// A name for people.
    pub friendly_name: Option<String>,
    /// The language code.
    pub language: String,
    /// The `variables` object.
    pub variables: Value,
    /// The `types` object.
    pub types: Value,
}

/// A content's WhatsApp approval request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The template name asked for.
    pub name: String,
    /// `UTILITY` or `MARKETING`.
    pub category: String,
    /// The content type submitted, e.g. `twilio/call-to-action`.
    pub content_type: String,
    /// Twilio's approval status: `received`, `pending`, `approved`, `rejected`, ...
    pub status: String,
    /// Why it was rejected (empty otherwise).
    pub rejection_reason: String,
    /// `send_ttl_seconds`, if given.
    pub send_ttl_seconds: Option<u64>,
    /// Meta's id of the template (Meta mode).
    pub template_id: Option<String>,
    /// When the simulator's verdict shows (simulator mode).
    pub decide_at: Option<UnixMillis>,
    /// The simulator's verdict: the status shown from `decide_at` on.
    pub verdict: Option<String>,
    /// When it was requested.
    pub date_created: UnixMillis,
    /// When its status last changed.
    pub date_updated: UnixMillis,
}

/// A change of an approval request's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalUpdate {
    /// The new status.
    pub status: String,
    /// The new rejection reason.
    pub rejection_reason: String,
}

#[derive(sqlx::FromRow)]
struct ContentRow {
    sid: String,
    account_sid: String,
    friendly_name: Option<String>,
    language: String,
    variables: String,
    types: String,
    date_created: i64,
    date_updated: i64,
    a_name: Option<String>,
    a_category: Option<String>,
    a_content_type: Option<String>,
    a_status: Option<String>,
    a_rejection_reason: Option<String>,
    a_send_ttl_seconds: Option<i64>,
    a_template_id: Option<String>,
    a_decide_at: Option<i64>,
    a_verdict: Option<String>,
    a_date_created: Option<i64>,
    a_date_updated: Option<i64>,
}

fn json(text: &str, column: &'static str) -> Result<Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(column, e))
}

impl ContentRow {
    fn approval(&mut self) -> Result<Option<Approval>, StoreError> {
        let (Some(name), Some(category), Some(content_type), Some(status), Some(created)) = (
            self.a_name.take(),
            self.a_category.take(),
            self.a_content_type.take(),
            self.a_status.take(),
            self.a_date_created,
        ) else {
            return Ok(None);
        };
        let ttl = self
            .a_send_ttl_seconds
            .map(|v| u64::try_from(v).map_err(|e| StoreError::corrupt("content_approvals.ttl", e)))
            .transpose()?;
        Ok(Some(Approval {
            name,
            category,
            content_type,
            status,
            rejection_reason: self.a_rejection_reason.take().unwrap_or_default(),
            send_ttl_seconds: ttl,
            template_id: self.a_template_id.take(),
            decide_at: time_opt(self.a_decide_at, "content_approvals.decide_at")?,
            verdict: self.a_verdict.take(),
            date_created: time(created, "content_approvals.date_created")?,
            date_updated: time(
                self.a_date_updated.unwrap_or(created),
                "content_approvals.date_updated",
            )?,
        }))
    }
}

impl TryFrom<ContentRow> for Content {
    type Error = StoreError;

    fn try_from(mut r: ContentRow) -> Result<Self, StoreError> {
        let approval = r.approval()?;
        Ok(Self {
            sid: sid(&r.sid, SidKind::Content, "contents.sid")?,
            account_sid: sid(&r.account_sid, SidKind::Account, "contents.account_sid")?,
            friendly_name: r.friendly_name,
            language: r.language,
            variables: json(&r.variables, "contents.variables")?,
            types: json(&r.types, "contents.types")?,
            approval,
            date_created: time(r.date_created, "contents.date_created")?,
            date_updated: time(r.date_updated, "contents.date_updated")?,
        })
    }
}

/// Columns of a content joined with its approval (`c` and `a`).
macro_rules! content_select {
    () => {
        "SELECT c.sid, c.account_sid, c.friendly_name, c.language, c.variables, c.types, \
         c.date_created, c.date_updated, a.name AS a_name, a.category AS a_category, \
         a.content_type AS a_content_type, a.status AS a_status, \
         a.rejection_reason AS a_rejection_reason, a.send_ttl_seconds AS a_send_ttl_seconds, \
         a.template_id AS a_template_id, a.decide_at AS a_decide_at, a.verdict AS a_verdict, \
         a.date_created AS a_date_created, a.date_updated AS a_date_updated \
         FROM contents c LEFT JOIN content_approvals a ON a.content_sid = c.sid "
    };
}

fn check_new(new: &NewContent) -> Result<(), StoreError> {
    check_text([
        ("friendly_name", new.friendly_name.as_deref()),
        ("language", Some(new.language.as_str())),
    ])
}

impl Store {
    /// Stores content `content` of `account`.
    ///
    /// `Conflict` if the SID exists; `NotFound("account")` if the account does not exist.
    pub async fn create_content(
        &self,
        account: Sid,
        content: Sid,
        new: &NewContent,
        now: UnixMillis,
    ) -> Result<Content, StoreError> {
        check_new(new)?;
        on_write!(self, pool => sqlx::query(
            "INSERT INTO contents (sid, account_sid, friendly_name, language, variables, types, \
             date_created, date_updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)")
            .bind(content.to_string())
            .bind(account.to_string())
            .bind(new.friendly_name.as_deref())
            .bind(&new.language)
            .bind(new.variables.to_string())
            .bind(new.types.to_string())
            .bind(db_time(now))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .ctx_conflict("create content", "this content already exists")?;
        self.fetch_content(account, content).await
    }

    /// Content `content` of `account`, with its approval request.
    pub async fn fetch_content(&self, account: Sid, content: Sid) -> Result<Content, StoreError> {
        const SQL: &str = concat!(content_select!(), "WHERE c.sid = $1 AND c.account_sid = $2");
        self.fetch_owned::<ContentRow, _>(SQL, "fetch content", "content", account, content)
            .await
    }

    /// The contents of `account`, oldest first, with their approval requests.
    pub async fn list_contents(
        &self,
        account: Sid,
        page: &PageRequest,
    ) -> Result<Page<Content>, StoreError> {
        const SQL: &str = concat!(
            content_select!(),
            "WHERE c.account_sid = $1 ",
            "AND ($2 IS NULL OR c.date_created > $2 OR (c.date_created = $2 AND c.sid > $3)) ",
            "ORDER BY c.date_created, c.sid LIMIT $4 OFFSET $5"
        );
        self.list_owned::<ContentRow, _>(SQL, "list contents", account, page, |c: &Content| {
            PageToken::new(db_time(c.date_created), Some(c.sid))
        })
        .await
    }

    /// Replaces what content `content` of `account` holds (Twilio's update).
    pub async fn update_content(
        &self,
        account: Sid,
        content: Sid,
        new: &NewContent,
        now: UnixMillis,
    ) -> Result<Content, StoreError> {
        check_new(new)?;
        let done = on_write!(self, pool => sqlx::query(
            "UPDATE contents SET friendly_name = $3, language = $4, variables = $5, types = $6, \
             date_updated = $7 WHERE sid = $1 AND account_sid = $2")
            .bind(content.to_string())
            .bind(account.to_string())
            .bind(new.friendly_name.as_deref())
            .bind(&new.language)
            .bind(new.variables.to_string())
            .bind(new.types.to_string())
            .bind(db_time(now))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .ctx("update content")?;
        if done == 0 {
            return Err(StoreError::NotFound("content"));
        }
        self.fetch_content(account, content).await
    }

    /// Deletes content `content` of `account` and its approval request.
    pub async fn delete_content(&self, account: Sid, content: Sid) -> Result<(), StoreError> {
        self.delete_owned(
            "DELETE FROM contents WHERE sid = $1 AND account_sid = $2",
            "delete content",
            "content",
            account,
            content,
        )
        .await
    }

    /// Records the WhatsApp approval request of content `content` of `account`.
    ///
    /// `Conflict` if one was already made; `NotFound("content")` if the account has no such
    /// content.
    pub async fn create_approval(
        &self,
        account: Sid,
        content: Sid,
        approval: &Approval,
    ) -> Result<Content, StoreError> {
        check_text([
            ("name", Some(approval.name.as_str())),
            ("category", Some(approval.category.as_str())),
            ("rejection_reason", Some(approval.rejection_reason.as_str())),
            ("template_id", approval.template_id.as_deref()),
        ])?;
        let ttl = approval
            .send_ttl_seconds
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX));
        let done = on_write!(self, pool => sqlx::query(
            "INSERT INTO content_approvals (content_sid, name, category, content_type, status, \
             rejection_reason, send_ttl_seconds, template_id, decide_at, verdict, date_created, \
             date_updated) SELECT sid, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
             FROM contents WHERE sid = $1 AND account_sid = $2")
            .bind(content.to_string())
            .bind(account.to_string())
            .bind(&approval.name)
            .bind(&approval.category)
            .bind(&approval.content_type)
            .bind(&approval.status)
            .bind(&approval.rejection_reason)
            .bind(ttl)
            .bind(approval.template_id.as_deref())
            .bind(db_time_opt(approval.decide_at))
            .bind(approval.verdict.as_deref())
            .bind(db_time(approval.date_created))
            .bind(db_time(approval.date_updated))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .ctx_conflict("create approval", "an approval request already exists")?;
        if done == 0 {
            return Err(StoreError::NotFound("content"));
        }
        self.fetch_content(account, content).await
    }

    /// Changes the status of the approval request of content `content` of `account`.
    pub async fn update_approval(
        &self,
        account: Sid,
        content: Sid,
        update: &ApprovalUpdate,
        now: UnixMillis,
    ) -> Result<Content, StoreError> {
        check_text([
            ("status", Some(update.status.as_str())),
            ("rejection_reason", Some(update.rejection_reason.as_str())),
        ])?;
        let done = on_write!(self, pool => sqlx::query(
            "UPDATE content_approvals SET status = $3, rejection_reason = $4, date_updated = $5 \
             WHERE content_sid = $1 AND content_sid IN \
             (SELECT sid FROM contents WHERE sid = $1 AND account_sid = $2)")
            .bind(content.to_string())
            .bind(account.to_string())
            .bind(&update.status)
            .bind(&update.rejection_reason)
            .bind(db_time(now))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .ctx("update approval")?;
        if done == 0 {
            return Err(StoreError::NotFound("approval"));
        }
        self.fetch_content(account, content).await
    }
}
