//! Webhook request parameters as plain data.
//!
//! Values stay typed (SIDs, numbers, times, shared strings) and are rendered only when the
//! runtime encodes the request or a test compares it, so building a request costs one small
//! `Vec` and no formatting. Order is part of the contract: tests assert it, and the webhook
//! crate encodes parameters in this order (the signature sorts them anyway).

use std::fmt;
use std::sync::Arc;

use dialtone_types::{Direction, Redacted, Sid, UnixMillis};

/// Twilio's `ApiVersion` for every voice request.
pub const API_VERSION: &str = "2010-04-01";

/// True for a call a Voice SDK client placed into a TwiML App (`inbound`, from `client:`,
/// handled by an application): Twilio's requests for those also carry the legacy `Called`
/// (= `To`) and `Caller` (= `From`). No other call gets them (see `docs/twilio-compat.md`).
///
/// The engine decides it when the call starts; recovery after a restart decides it again
/// from the stored call with the same rule.
pub fn sends_called_and_caller(direction: Direction, from: &str, application: bool) -> bool {
    direction == Direction::Inbound && application && from.starts_with("client:")
}

/// One parameter value.
#[derive(Clone, PartialEq, Eq)]
pub enum Value {
    /// A fixed word (`in-progress`, `2010-04-01`, `true`...).
    Static(&'static str),
    /// Text shared with the call (addresses) or owned by the request (digits).
    Text(Arc<str>),
    /// A SID, printed as `CA` + 32 hex digits.
    Sid(Sid),
    /// An unsigned number (durations, sequence numbers, error codes).
    Number(u64),
    /// A wall-clock time, printed in RFC 2822 UTC as Twilio writes `Timestamp`.
    Time(UnixMillis),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Static(s) => f.write_str(s),
            Self::Text(s) => f.write_str(s),
            Self::Sid(sid) => fmt::Display::fmt(sid, f),
            Self::Number(n) => fmt::Display::fmt(n, f),
            Self::Time(t) => fmt::Display::fmt(&t.rfc2822(), f),
        }
    }
}

impl fmt::Debug for Value {
    /// Text values may be phone numbers: redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(s) => write!(f, "{}", Redacted(s)),
            other => fmt::Display::fmt(other, f),
        }
    }
}

impl From<&'static str> for Value {
    fn from(s: &'static str) -> Self {
        Self::Static(s)
    }
}

impl From<Sid> for Value {
    fn from(sid: Sid) -> Self {
        Self::Sid(sid)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Self::Number(n)
    }
}

impl From<Arc<str>> for Value {
    fn from(s: Arc<str>) -> Self {
        Self::Text(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Self::Static(if b { "true" } else { "false" })
    }
}

/// An ordered list of request parameters.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Params(Vec<(&'static str, Value)>);

impl Params {
    /// An empty list with room for `n` parameters.
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    /// Appends `name=value`.
    pub fn push(&mut self, name: &'static str, value: impl Into<Value>) {
        self.0.push((name, value.into()));
    }

    /// The value of the first parameter called `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The rendered value of `name`.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(ToString::to_string)
    }

    /// The parameters in order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.0.iter().map(|(n, v)| (*n, v))
    }

    /// How many parameters there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Rendered `(name, value)` pairs, in order: what goes on the wire.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(n, v)| ((*n).to_owned(), v.to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::SidKind;

    #[test]
    fn renders_each_kind() {
        let mut p = Params::with_capacity(5);
        p.push("ApiVersion", API_VERSION);
        p.push("CallSid", Sid::new(SidKind::Call, 1));
        p.push("SequenceNumber", 2u64);
        p.push("Timestamp", Value::Time(UnixMillis(1_283_286_988_000)));
        p.push("DialBridged", false);
        assert_eq!(
            p.to_pairs(),
            vec![
                ("ApiVersion".to_owned(), "2010-04-01".to_owned()),
                (
                    "CallSid".to_owned(),
                    "CA00000000000000000000000000000001".to_owned()
                ),
                ("SequenceNumber".to_owned(), "2".to_owned()),
                (
                    "Timestamp".to_owned(),
                    "Tue, 31 Aug 2010 20:36:28 +0000".to_owned()
                ),
                ("DialBridged".to_owned(), "false".to_owned()),
            ]
        );
        assert_eq!(p.text("SequenceNumber").as_deref(), Some("2"));
        assert_eq!(p.get("Missing"), None);
    }

    #[test]
    fn debug_redacts_text() {
        let mut p = Params::default();
        p.push("From", Value::Text(Arc::from("whatsapp:+447700900123")));
        assert!(!format!("{p:?}").contains("7700900"));
    }
}
