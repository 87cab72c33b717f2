//! Conversions between the domain types and the plain integers and text stored in both backends.
//!
//! Times are stored as signed 64-bit milliseconds (both backends' native integer), SIDs and
//! enums as their Twilio spelling, lists of request parameters as JSON arrays of pairs.

use dialtone_types::{CallStatus, Direction, Level, Sid, SidKind, TwilioCode, UnixMillis};

use crate::error::StoreError;

/// A time as stored: milliseconds, saturating at `i64::MAX` (year 292 million).
pub(crate) fn db_time(t: UnixMillis) -> i64 {
    i64::try_from(t.0).unwrap_or(i64::MAX)
}

/// An optional time as stored.
pub(crate) fn db_time_opt(t: Option<UnixMillis>) -> Option<i64> {
    t.map(db_time)
}

/// A stored time; negative values (never written by this crate) are corrupt.
pub(crate) fn time(v: i64, column: &'static str) -> Result<UnixMillis, StoreError> {
    u64::try_from(v)
        .map(UnixMillis)
        .map_err(|_| StoreError::corrupt(column, format!("negative time {v}")))
}

/// An optional stored time.
pub(crate) fn time_opt(
    v: Option<i64>,
    column: &'static str,
) -> Result<Option<UnixMillis>, StoreError> {
    v.map(|v| time(v, column)).transpose()
}

/// A stored SID of `kind`.
pub(crate) fn sid(v: &str, kind: SidKind, column: &'static str) -> Result<Sid, StoreError> {
    Sid::parse_kind(v, kind).map_err(|e| StoreError::corrupt(column, format!("{v:?}: {e}")))
}

/// An optional stored SID of `kind`.
pub(crate) fn sid_opt(
    v: Option<&str>,
    kind: SidKind,
    column: &'static str,
) -> Result<Option<Sid>, StoreError> {
    v.map(|v| sid(v, kind, column)).transpose()
}

/// A stored non-negative integer that must fit in `u32`.
pub(crate) fn uint(v: i64, column: &'static str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::corrupt(column, format!("out of range {v}")))
}

/// An optional stored `u32`.
pub(crate) fn uint_opt(v: Option<i64>, column: &'static str) -> Result<Option<u32>, StoreError> {
    v.map(|v| uint(v, column)).transpose()
}

/// A stored non-negative integer that must fit in `u64`.
pub(crate) fn ulong(v: i64, column: &'static str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::corrupt(column, format!("negative {v}")))
}

/// A stored call status.
pub(crate) fn status(v: &str) -> Result<CallStatus, StoreError> {
    v.parse()
        .map_err(|e| StoreError::corrupt("calls.status", e))
}

/// A stored call direction.
pub(crate) fn direction(v: &str) -> Result<Direction, StoreError> {
    v.parse()
        .map_err(|e| StoreError::corrupt("calls.direction", e))
}

/// A stored Twilio error code.
pub(crate) fn code(v: i64, column: &'static str) -> Result<TwilioCode, StoreError> {
    uint(v, column).map(TwilioCode)
}

/// A stored Notification `log` value.
pub(crate) fn level(v: i64) -> Result<Level, StoreError> {
    match v {
        0 => Ok(Level::Error),
        1 => Ok(Level::Warning),
        other => Err(StoreError::corrupt(
            "notifications.log_level",
            format!("{other} is neither 0 nor 1"),
        )),
    }
}

/// Request parameters as stored: a JSON array of `[name, value]` pairs, order and repeats kept.
pub(crate) fn db_params(params: &[(String, String)]) -> String {
    // Serializing strings cannot fail; the fallback is never taken.
    serde_json::to_string(params).unwrap_or_else(|_| "[]".to_owned())
}

/// Stored request parameters.
pub(crate) fn params(v: &str, column: &'static str) -> Result<Vec<(String, String)>, StoreError> {
    serde_json::from_str(v).map_err(|e| StoreError::corrupt(column, e))
}

/// Refuses text PostgreSQL cannot store (a NUL character), on every backend alike, naming the
/// first offending field.
pub(crate) fn check_text<'a>(
    fields: impl IntoIterator<Item = (&'static str, Option<&'a str>)>,
) -> Result<(), StoreError> {
    match fields
        .into_iter()
        .find(|(_, value)| value.is_some_and(|v| v.contains('\0')))
    {
        Some((name, _)) => Err(StoreError::InvalidText(name)),
        None => Ok(()),
    }
}

/// Text recorded as evidence (webhook responses, error messages): NUL characters, which
/// PostgreSQL cannot store, become U+FFFD rather than losing the record.
pub(crate) fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', "\u{fffd}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}
