//! Call events: one record per webhook request Dialtone made for a call, with what came back.
//!
//! This backs Twilio's Call Events resource (`Calls/{CA}/Events.json`), which is how a user
//! finds out what their application was asked and what it answered. Events are append-only
//! and listed in the order they were made. Response bodies can be large (the webhook client
//! reads up to 64 kB), so only an excerpt is kept. Being evidence, an event is never refused
//! for its content: NUL characters (which PostgreSQL cannot store) become U+FFFD.

use dialtone_types::{Sid, SidKind, UnixMillis};

use crate::Store;
use crate::convert::{clean, db_params, db_time, params, sid, time};
use crate::error::{Context, StoreError};
use crate::page::{Page, PageRequest, PageToken};

/// The most bytes of a response body kept in an event; longer bodies are cut at a character
/// boundary at or below this.
pub const RESPONSE_BODY_EXCERPT_MAX: usize = 8192;

/// A webhook request to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCallEvent {
    /// `GET` or `POST`.
    pub request_method: String,
    /// The URL requested.
    pub request_url: String,
    /// The parameters sent, in order.
    pub request_parameters: Vec<(String, String)>,
    /// HTTP status of the response; `None` if none came (timeout, refused connection).
    pub response_status: Option<u16>,
    /// How long the request took, in milliseconds.
    pub response_duration_ms: Option<u64>,
    /// `Content-Type` of the response.
    pub response_content_type: Option<String>,
    /// The response body (cut to [`RESPONSE_BODY_EXCERPT_MAX`] bytes when stored).
    pub response_body: Option<String>,
    /// When the request was sent.
    pub requested_at: UnixMillis,
}

/// A recorded webhook request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallEvent {
    /// Store-wide identity, increasing in the order events were recorded.
    pub id: i64,
    /// The owning account.
    pub account_sid: Sid,
    /// The call it was made for.
    pub call_sid: Sid,
    /// See [`NewCallEvent::request_method`].
    pub request_method: String,
    /// See [`NewCallEvent::request_url`].
    pub request_url: String,
    /// See [`NewCallEvent::request_parameters`].
    pub request_parameters: Vec<(String, String)>,
    /// See [`NewCallEvent::response_status`].
    pub response_status: Option<u16>,
    /// See [`NewCallEvent::response_duration_ms`].
    pub response_duration_ms: Option<u64>,
    /// See [`NewCallEvent::response_content_type`].
    pub response_content_type: Option<String>,
    /// The first [`RESPONSE_BODY_EXCERPT_MAX`] bytes of the response body.
    pub response_body: Option<String>,
    /// See [`NewCallEvent::requested_at`].
    pub requested_at: UnixMillis,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    account_sid: String,
    call_sid: String,
    request_method: String,
    request_url: String,
    request_parameters: String,
    response_status: Option<i64>,
    response_duration_ms: Option<i64>,
    response_content_type: Option<String>,
    response_body: Option<String>,
    requested_at: i64,
}

impl TryFrom<EventRow> for CallEvent {
    type Error = StoreError;

    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        let response_status = r
            .response_status
            .map(|s| {
                u16::try_from(s).map_err(|_| StoreError::corrupt("call_events.response_status", s))
            })
            .transpose()?;
        let response_duration_ms = r
            .response_duration_ms
            .map(|d| {
                u64::try_from(d)
                    .map_err(|_| StoreError::corrupt("call_events.response_duration_ms", d))
            })
            .transpose()?;
        Ok(Self {
            id: r.id,
            account_sid: sid(&r.account_sid, SidKind::Account, "call_events.account_sid")?,
            call_sid: sid(&r.call_sid, SidKind::Call, "call_events.call_sid")?,
            request_method: r.request_method,
            request_url: r.request_url,
            request_parameters: params(&r.request_parameters, "call_events.request_parameters")?,
            response_status,
            response_duration_ms,
            response_content_type: r.response_content_type,
            response_body: r.response_body,
            requested_at: time(r.requested_at, "call_events.requested_at")?,
        })
    }
}

/// `body` cut to at most `max` bytes, at a character boundary.
fn excerpt(body: &str, max: usize) -> &str {
    let mut end = body.len().min(max);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    &body[..end]
}

macro_rules! event_columns {
    () => {
        "id, account_sid, call_sid, request_method, request_url, request_parameters, \
         response_status, response_duration_ms, response_content_type, response_body, \
         requested_at"
    };
}

impl Store {
    /// Records a webhook request made for call `call` of `account`.
    pub async fn append_event(
        &self,
        account: Sid,
        call: Sid,
        event: &NewCallEvent,
    ) -> Result<CallEvent, StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO call_events (account_sid, call_sid, request_method, request_url, ",
            "request_parameters, response_status, response_duration_ms, response_content_type, ",
            "response_body, requested_at) ",
            "SELECT account_sid, sid, $3, $4, $5, $6, $7, $8, $9, $10 FROM calls ",
            "WHERE sid = $1 AND account_sid = $2 RETURNING ",
            event_columns!()
        );
        let body = event
            .response_body
            .as_deref()
            .map(|b| clean(excerpt(b, RESPONSE_BODY_EXCERPT_MAX)));
        let row: Option<EventRow> = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(call.to_string())
            .bind(account.to_string())
            .bind(clean(&event.request_method))
            .bind(clean(&event.request_url))
            .bind(db_params(&event.request_parameters))
            .bind(event.response_status.map(i64::from))
            .bind(
                event
                    .response_duration_ms
                    .map(|d| i64::try_from(d).unwrap_or(i64::MAX)),
            )
            .bind(event.response_content_type.as_deref().map(clean))
            .bind(body)
            .bind(db_time(event.requested_at))
            .fetch_optional(pool)
            .await)
        .ctx("record call event")?;
        row.ok_or(StoreError::NotFound("call"))?.try_into()
    }

    /// The events of call `call` of `account`, in the order they were recorded.
    /// `NotFound("call")` if there is no such call.
    pub async fn list_events(
        &self,
        account: Sid,
        call: Sid,
        page: &PageRequest,
    ) -> Result<Page<CallEvent>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            event_columns!(),
            " FROM call_events WHERE call_sid = $1 AND account_sid = $2 ",
            "AND ($3 IS NULL OR id > $3) ORDER BY id LIMIT $4 OFFSET $5"
        );
        self.require_call(account, call).await?;
        let (after_id, _) = page.cursor();
        let rows: Vec<EventRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(call.to_string())
            .bind(account.to_string())
            .bind(after_id)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(pool)
            .await)
        .ctx("list call events")?;
        let events = rows
            .into_iter()
            .map(CallEvent::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(events, page, |e| {
            PageToken::new(e.id, None)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn excerpt_cuts_at_char_boundary() {
        assert_eq!(excerpt("hello", 10), "hello");
        assert_eq!(excerpt("hello", 3), "hel");
        // "é" is two bytes: cutting inside it backs off to before it.
        assert_eq!(excerpt("aé", 2), "a");
        assert_eq!(excerpt("", 0), "");
    }
}
