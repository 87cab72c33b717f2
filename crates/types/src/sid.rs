//! Twilio SIDs: a two-letter prefix and 32 lowercase hex digits.

use std::fmt;
use std::str::FromStr;

/// The kinds of SID Dialtone issues or accepts; the prefix says which resource it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SidKind {
    /// `AC`: account.
    Account,
    /// `CA`: call.
    Call,
    /// `AP`: TwiML application.
    Application,
    /// `SK`: API key.
    ApiKey,
    /// `NO`: notification.
    Notification,
    /// `EV`: call event (Dialtone's id for a recorded webhook request).
    Event,
    /// `XE`: messaging sender.
    Sender,
    /// `RE`: recording.
    Recording,
    /// `HX`: content (a message template of the Content API).
    Content,
    /// `SM`: message (Messages API).
    Message,
    /// `MZ`: media stream (`<Stream>`, REST `Streams.json`).
    Stream,
}

impl SidKind {
    /// The two-letter prefix.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Account => "AC",
            Self::Call => "CA",
            Self::Application => "AP",
            Self::ApiKey => "SK",
            Self::Notification => "NO",
            Self::Event => "EV",
            Self::Sender => "XE",
            Self::Recording => "RE",
            Self::Content => "HX",
            Self::Message => "SM",
            Self::Stream => "MZ",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Self> {
        Some(match prefix {
            "AC" => Self::Account,
            "CA" => Self::Call,
            "AP" => Self::Application,
            "SK" => Self::ApiKey,
            "NO" => Self::Notification,
            "EV" => Self::Event,
            "XE" => Self::Sender,
            "RE" => Self::Recording,
            "HX" => Self::Content,
            "SM" => Self::Message,
            "MZ" => Self::Stream,
            _ => return None,
        })
    }
}

/// A SID: `kind` prefix plus a 128-bit value printed as 32 lowercase hex digits.
///
/// Stored as a number so that SIDs are `Copy`, cheap to hash and 24 bytes in memory.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sid {
    kind: SidKind,
    value: u128,
}

/// Why a string is not a SID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SidError {
    /// Wrong total length (a SID is 34 characters).
    #[error("a SID is 34 characters: two letters and 32 hex digits")]
    Length,
    /// The prefix is not one Dialtone knows.
    #[error("unknown SID prefix")]
    Prefix,
    /// The prefix is known but not the one expected here.
    #[error("expected a SID starting with {expected}")]
    WrongKind {
        /// The prefix that was expected.
        expected: &'static str,
    },
    /// The 32 digits are not hexadecimal.
    #[error("a SID ends with 32 hex digits")]
    Digits,
}

impl Sid {
    /// A SID of `kind` with the given 128-bit value.
    pub const fn new(kind: SidKind, value: u128) -> Self {
        Self { kind, value }
    }

    /// The kind (prefix) of this SID.
    pub const fn kind(self) -> SidKind {
        self.kind
    }

    /// The 128-bit value.
    pub const fn value(self) -> u128 {
        self.value
    }

    /// Parses `s` and checks it is of `kind`.
    pub fn parse_kind(s: &str, kind: SidKind) -> Result<Self, SidError> {
        let sid: Self = s.parse()?;
        if sid.kind == kind {
            Ok(sid)
        } else {
            Err(SidError::WrongKind {
                expected: kind.prefix(),
            })
        }
    }
}

impl FromStr for Sid {
    type Err = SidError;

    /// Accepts upper- or lowercase hex, as Twilio's pattern `^XX[0-9a-fA-F]{32}$` does.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 34 || !s.is_ascii() {
            return Err(SidError::Length);
        }
        let (prefix, digits) = s.split_at(2);
        let kind = SidKind::from_prefix(prefix).ok_or(SidError::Prefix)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SidError::Digits);
        }
        let value = u128::from_str_radix(digits, 16).map_err(|_| SidError::Digits)?;
        Ok(Self { kind, value })
    }
}

impl fmt::Display for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:032x}", self.kind.prefix(), self.value)
    }
}

impl fmt::Debug for Sid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for Sid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Sid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_prints_lowercase() {
        let s = "CA0123456789ABCDEF0123456789abcdef";
        let sid: Sid = s.parse().unwrap();
        assert_eq!(sid.kind(), SidKind::Call);
        assert_eq!(sid.to_string(), "CA0123456789abcdef0123456789abcdef");
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!("CA123".parse::<Sid>(), Err(SidError::Length));
        assert_eq!(
            "ZZ0123456789abcdef0123456789abcdef".parse::<Sid>(),
            Err(SidError::Prefix)
        );
        assert_eq!(
            "CA0123456789abcdef0123456789abcdeg".parse::<Sid>(),
            Err(SidError::Digits)
        );
        assert_eq!(
            "CA+123456789abcdef0123456789abcdef".parse::<Sid>(),
            Err(SidError::Digits)
        );
        assert_eq!(
            Sid::parse_kind("AC0123456789abcdef0123456789abcdef", SidKind::Call),
            Err(SidError::WrongKind { expected: "CA" })
        );
        assert_eq!(
            "CAé123456789abcdef0123456789abcde".parse::<Sid>(),
            Err(SidError::Length)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_value_round_trips(v in proptest::num::u128::ANY) {
            let sid = Sid::new(SidKind::Account, v);
            proptest::prop_assert_eq!(sid.to_string().parse::<Sid>(), Ok(sid));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = s.parse::<Sid>();
        }
    }
}
