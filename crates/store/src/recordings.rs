//! Recordings (`RE...`): the metadata behind `Recordings.json` and
//! `Calls/{CA}/Recordings.json`; the audio itself lives in a recording store, named by
//! [`Recording::media`].
//!
//! A recording is inserted `in-progress` when it starts and finished (`completed` with its
//! duration and media, or `absent` with an error code) when the file is done. Listed newest
//! first (`date_created`, then SID), like calls. Deleting removes the row; the caller removes
//! the media. The row keeps the recording's `recordingStatusCallback`, so that a restart that
//! finishes a recording left `in-progress` can still send the callback it owes.

use std::fmt;

use dialtone_types::{Sid, SidKind, UnixMillis};

use crate::Store;
use crate::calls::TimeRange;
use crate::convert::{db_time, db_time_opt, sid, time, uint_opt};
use crate::error::{Context, StoreError};
use crate::page::{Page, PageRequest, PageToken};

/// A recording's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingStatus {
    /// Being recorded.
    InProgress,
    /// Paused by REST.
    Paused,
    /// Stopped by REST, not processed yet.
    Stopped,
    /// Being processed.
    Processing,
    /// Finished, media available.
    Completed,
    /// Finished with nothing recorded.
    Absent,
}

impl RecordingStatus {
    /// Twilio's value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in-progress",
            Self::Paused => "paused",
            Self::Stopped => "stopped",
            Self::Processing => "processing",
            Self::Completed => "completed",
            Self::Absent => "absent",
        }
    }

    /// Parses Twilio's value.
    pub fn parse(v: &str) -> Option<Self> {
        Some(match v {
            "in-progress" => Self::InProgress,
            "paused" => Self::Paused,
            "stopped" => Self::Stopped,
            "processing" => Self::Processing,
            "completed" => Self::Completed,
            "absent" => Self::Absent,
            _ => return None,
        })
    }
}

impl fmt::Display for RecordingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A recording that starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecording {
    /// `RE...`, chosen by the caller (the engine mints it).
    pub sid: Sid,
    /// The call (the parent leg for `<Dial record>`).
    pub call_sid: Sid,
    /// `DialVerb`, `RecordVerb`, `StartCallRecordingAPI`...
    pub source: String,
    /// 1 or 2.
    pub channels: u8,
    /// `inbound`, `outbound` or `both`.
    pub track: String,
    /// When recording started.
    pub start_time: UnixMillis,
    /// Where its status callbacks go, if anywhere.
    pub callback: Option<RecordingCallbackTarget>,
}

/// A recording's `recordingStatusCallback`, kept so that a restart that finishes the
/// recording can still send the callback it owes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingCallbackTarget {
    /// The resolved URL.
    pub url: String,
    /// `GET` or `POST`.
    pub method: String,
    /// The subscribed events, space separated (`in-progress completed absent`).
    pub events: String,
}

impl RecordingCallbackTarget {
    /// Whether `event` (`completed`, `absent`...) is subscribed.
    pub fn wants(&self, event: &str) -> bool {
        self.events.split_ascii_whitespace().any(|e| e == event)
    }
}

/// A stored recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// `RE...`
    pub sid: Sid,
    /// The owning account.
    pub account_sid: Sid,
    /// The call.
    pub call_sid: Sid,
    /// The conference (`CF...`), for conference recordings.
    pub conference_sid: Option<String>,
    /// Its status.
    pub status: RecordingStatus,
    /// How it was started.
    pub source: String,
    /// 1 or 2.
    pub channels: u8,
    /// `inbound`, `outbound` or `both`.
    pub track: String,
    /// Whole seconds; `None` until finished.
    pub duration: Option<u32>,
    /// Set when `absent` (16101...).
    pub error_code: Option<u32>,
    /// The media's name in the recording store; `None` without media.
    pub media: Option<String>,
    /// When recording started.
    pub start_time: UnixMillis,
    /// When the row was created.
    pub date_created: UnixMillis,
    /// When it last changed.
    pub date_updated: UnixMillis,
    /// Where its status callbacks go, if anywhere.
    pub callback: Option<RecordingCallbackTarget>,
}

/// Which recordings to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingFilter {
    /// `CallSid` (or the call of `Calls/{CA}/Recordings.json`).
    pub call_sid: Option<Sid>,
    /// `DateCreated`, `DateCreated<`, `DateCreated>`.
    pub date_created: TimeRange,
}

/// How a recording ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingFinish {
    /// `completed` or `absent` (or any other status).
    pub status: RecordingStatus,
    /// Whole seconds.
    pub duration: Option<u32>,
    /// For `absent`.
    pub error_code: Option<u32>,
    /// The media's name in the recording store.
    pub media: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RecordingRow {
    sid: String,
    account_sid: String,
    call_sid: String,
    conference_sid: Option<String>,
    status: String,
    source: String,
    channels: i64,
    track: String,
    duration: Option<i64>,
    error_code: Option<i64>,
    media: Option<String>,
    start_time: i64,
    date_created: i64,
    date_updated: i64,
    callback_url: Option<String>,
    callback_method: Option<String>,
    callback_events: Option<String>,
}

impl TryFrom<RecordingRow> for Recording {
    type Error = StoreError;

    fn try_from(r: RecordingRow) -> Result<Self, StoreError> {
        Ok(Self {
            sid: sid(&r.sid, SidKind::Recording, "recordings.sid")?,
            account_sid: sid(&r.account_sid, SidKind::Account, "recordings.account_sid")?,
            call_sid: sid(&r.call_sid, SidKind::Call, "recordings.call_sid")?,
            conference_sid: r.conference_sid,
            status: RecordingStatus::parse(&r.status).ok_or_else(|| {
                StoreError::corrupt("recordings.status", format!("{:?}", r.status))
            })?,
            source: r.source,
            channels: u8::try_from(r.channels).map_err(|_| {
                StoreError::corrupt(
                    "recordings.channels",
                    format!("out of range {}", r.channels),
                )
            })?,
            track: r.track,
            duration: uint_opt(r.duration, "recordings.duration")?,
            error_code: uint_opt(r.error_code, "recordings.error_code")?,
            media: r.media,
            start_time: time(r.start_time, "recordings.start_time")?,
            date_created: time(r.date_created, "recordings.date_created")?,
            date_updated: time(r.date_updated, "recordings.date_updated")?,
            callback: r.callback_url.map(|url| RecordingCallbackTarget {
                url,
                method: r.callback_method.unwrap_or_else(|| "POST".to_owned()),
                events: r.callback_events.unwrap_or_default(),
            }),
        })
    }
}

macro_rules! recording_columns {
    () => {
        "sid, account_sid, call_sid, conference_sid, status, source, channels, track, duration, \
         error_code, media, start_time, date_created, date_updated, callback_url, \
         callback_method, callback_events"
    };
}

impl Store {
    /// Records a recording of call `new.call_sid` of `account`, `in-progress`.
    ///
    /// `NotFound("call")` if the account has no such call; `Conflict` if the SID exists.
    pub async fn insert_recording(
        &self,
        account: Sid,
        new: &NewRecording,
        now: UnixMillis,
    ) -> Result<Recording, StoreError> {
        const SQL: &str = concat!(
            "INSERT INTO recordings (sid, account_sid, call_sid, status, source, channels, ",
            "track, start_time, date_created, date_updated, callback_url, callback_method, ",
            "callback_events) ",
            "SELECT $3, account_sid, sid, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12 FROM calls ",
            "WHERE sid = $1 AND account_sid = $2 RETURNING ",
            recording_columns!()
        );
        let row: Option<RecordingRow> = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(new.call_sid.to_string())
            .bind(account.to_string())
            .bind(new.sid.to_string())
            .bind(RecordingStatus::InProgress.as_str())
            .bind(new.source.as_str())
            .bind(i64::from(new.channels))
            .bind(new.track.as_str())
            .bind(db_time(new.start_time))
            .bind(db_time(now))
            .bind(new.callback.as_ref().map(|c| c.url.as_str()))
            .bind(new.callback.as_ref().map(|c| c.method.as_str()))
            .bind(new.callback.as_ref().map(|c| c.events.as_str()))
            .fetch_optional(pool)
            .await)
        .ctx_conflict("record recording", "a recording with this SID exists")?;
        row.ok_or(StoreError::NotFound("call"))?.try_into()
    }

    /// Changes recording `sid`'s status, duration, error code and media.
    /// `NotFound("recording")` if `account` has no such recording.
    pub async fn finish_recording(
        &self,
        account: Sid,
        sid: Sid,
        finish: &RecordingFinish,
        now: UnixMillis,
    ) -> Result<Recording, StoreError> {
        const SQL: &str = concat!(
            "UPDATE recordings SET status = $3, duration = $4, error_code = $5, media = $6, ",
            "date_updated = $7 WHERE sid = $1 AND account_sid = $2 RETURNING ",
            recording_columns!()
        );
        let row: Option<RecordingRow> = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(sid.to_string())
            .bind(account.to_string())
            .bind(finish.status.as_str())
            .bind(finish.duration.map(i64::from))
            .bind(finish.error_code.map(i64::from))
            .bind(finish.media.as_deref())
            .bind(db_time(now))
            .fetch_optional(pool)
            .await)
        .ctx("finish recording")?;
        row.ok_or(StoreError::NotFound("recording"))?.try_into()
    }

    /// Changes only recording `sid`'s status (REST pause / resume / stop).
    pub async fn set_recording_status(
        &self,
        account: Sid,
        sid: Sid,
        status: RecordingStatus,
        now: UnixMillis,
    ) -> Result<Recording, StoreError> {
        const SQL: &str = concat!(
            "UPDATE recordings SET status = $3, date_updated = $4 ",
            "WHERE sid = $1 AND account_sid = $2 RETURNING ",
            recording_columns!()
        );
        let row: Option<RecordingRow> = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(sid.to_string())
            .bind(account.to_string())
            .bind(status.as_str())
            .bind(db_time(now))
            .fetch_optional(pool)
            .await)
        .ctx("update recording")?;
        row.ok_or(StoreError::NotFound("recording"))?.try_into()
    }

    /// Recording `sid` of `account`.
    pub async fn fetch_recording(&self, account: Sid, sid: Sid) -> Result<Recording, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            recording_columns!(),
            " FROM recordings WHERE sid = $1 AND account_sid = $2"
        );
        let row: Option<RecordingRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(sid.to_string())
            .bind(account.to_string())
            .fetch_optional(pool)
            .await)
        .ctx("fetch recording")?;
        row.ok_or(StoreError::NotFound("recording"))?.try_into()
    }

    /// Every account's recordings not finished (`in-progress`, `paused`, `stopped`,
    /// `processing`: left by a process that stopped).
    pub async fn recordings_in_progress(&self) -> Result<Vec<Recording>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            recording_columns!(),
            " FROM recordings WHERE status IN ('in-progress', 'paused', 'stopped', 'processing')"
        );
        let rows: Vec<RecordingRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .fetch_all(pool)
            .await)
        .ctx("recordings in progress")?;
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Deletes recording `sid` of `account`, returning what it was (to remove its media).
    pub async fn delete_recording(&self, account: Sid, sid: Sid) -> Result<Recording, StoreError> {
        const SQL: &str = concat!(
            "DELETE FROM recordings WHERE sid = $1 AND account_sid = $2 RETURNING ",
            recording_columns!()
        );
        let row: Option<RecordingRow> = on_write!(self, pool => sqlx::query_as(SQL)
            .bind(sid.to_string())
            .bind(account.to_string())
            .fetch_optional(pool)
            .await)
        .ctx("delete recording")?;
        row.ok_or(StoreError::NotFound("recording"))?.try_into()
    }

    /// Recordings of `account` matching `filter`, newest first.
    pub async fn list_recordings(
        &self,
        account: Sid,
        filter: &RecordingFilter,
        page: &PageRequest,
    ) -> Result<Page<Recording>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            recording_columns!(),
            " FROM recordings WHERE account_sid = $1 ",
            "AND ($2 IS NULL OR call_sid = $2) ",
            "AND ($3 IS NULL OR date_created >= $3) ",
            "AND ($4 IS NULL OR date_created < $4) ",
            "AND ($5 IS NULL OR date_created < $5 OR (date_created = $5 AND sid < $6)) ",
            "ORDER BY date_created DESC, sid DESC LIMIT $7 OFFSET $8"
        );
        let (after_time, after_sid) = page.cursor();
        let rows: Vec<RecordingRow> = on_read!(self, pool => sqlx::query_as(SQL)
            .bind(account.to_string())
            .bind(filter.call_sid.map(|s| s.to_string()))
            .bind(db_time_opt(filter.date_created.from))
            .bind(db_time_opt(filter.date_created.before))
            .bind(after_time)
            .bind(after_sid)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(pool)
            .await)
        .ctx("list recordings")?;
        let items = rows
            .into_iter()
            .map(Recording::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(items, page, |r| {
            PageToken::new(db_time(r.date_created), Some(r.sid))
        }))
    }
}
