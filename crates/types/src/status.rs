//! Call statuses and directions, spelled as Twilio spells them.

use std::fmt;
use std::str::FromStr;

/// The status of a call as reported in webhooks (`CallStatus`) and the REST API (`status`).
///
/// `Initiated` exists only in callbacks; the Call resource shows `queued` until ringing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    /// Created, waiting to be dialed.
    Queued,
    /// Dialing has started.
    Initiated,
    /// The far end is ringing.
    Ringing,
    /// Answered.
    InProgress,
    /// Answered and ended normally.
    Completed,
    /// The far end was busy.
    Busy,
    /// Not answered in time, or rejected.
    NoAnswer,
    /// Could not be placed.
    Failed,
    /// Canceled before it was answered.
    Canceled,
}

/// A status or direction string Twilio does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {0:?}")]
pub struct StatusParseError(pub String);

impl CallStatus {
    /// Twilio's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Initiated => "initiated",
            Self::Ringing => "ringing",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::NoAnswer => "no-answer",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// True once the call has ended; no status follows a terminal one.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Busy | Self::NoAnswer | Self::Failed | Self::Canceled
        )
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CallStatus {
    type Err = StatusParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "queued" => Self::Queued,
            "initiated" => Self::Initiated,
            "ringing" => Self::Ringing,
            "in-progress" => Self::InProgress,
            "completed" => Self::Completed,
            "busy" => Self::Busy,
            "no-answer" => Self::NoAnswer,
            "failed" => Self::Failed,
            "canceled" => Self::Canceled,
            other => return Err(StatusParseError(other.to_owned())),
        })
    }
}

/// Who started the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Into the application (a softphone or WhatsApp user called).
    Inbound,
    /// Created through the REST API.
    OutboundApi,
    /// Created by `<Dial>`.
    OutboundDial,
}

impl Direction {
    /// Twilio's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::OutboundApi => "outbound-api",
            Self::OutboundDial => "outbound-dial",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Direction {
    type Err = StatusParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "inbound" => Self::Inbound,
            "outbound-api" => Self::OutboundApi,
            "outbound-dial" => Self::OutboundDial,
            other => return Err(StatusParseError(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_spelling_round_trips() {
        for s in [
            CallStatus::Queued,
            CallStatus::Initiated,
            CallStatus::Ringing,
            CallStatus::InProgress,
            CallStatus::Completed,
            CallStatus::Busy,
            CallStatus::NoAnswer,
            CallStatus::Failed,
            CallStatus::Canceled,
        ] {
            assert_eq!(s.as_str().parse::<CallStatus>(), Ok(s));
        }
        assert!(CallStatus::Busy.is_terminal());
        assert!(!CallStatus::InProgress.is_terminal());
        assert!("In-Progress".parse::<CallStatus>().is_err());
    }

    #[test]
    fn direction_spelling() {
        assert_eq!(Direction::OutboundDial.to_string(), "outbound-dial");
        assert_eq!("inbound".parse::<Direction>(), Ok(Direction::Inbound));
    }
}
