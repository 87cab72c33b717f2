//! How a simulated device reacts when it is called.
//!
//! Simulated softphones (`client:` legs) and simulated WhatsApp users are scripted with the same
//! five reactions, spelled the same way in the `/sim/v1` forms, so one type serves both. What a
//! reaction turns into (a call status, a Meta webhook) belongs to each device and is documented
//! where that device is.

use std::fmt;
use std::str::FromStr;

/// What a simulated device (softphone or WhatsApp user) does when it is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SimulatedBehavior {
    /// Rings, then answers after its answer delay.
    #[default]
    Answer,
    /// Already on a call: refused at once, without ringing.
    Busy,
    /// Rings, then declines after its answer delay.
    Reject,
    /// Rings until the caller (or the network) gives up.
    NoAnswer,
    /// Offline: never rings, and the call fails.
    Unreachable,
}

impl SimulatedBehavior {
    /// Every behaviour, in the order the API lists them.
    pub const ALL: [Self; 5] = [
        Self::Answer,
        Self::Busy,
        Self::Reject,
        Self::NoAnswer,
        Self::Unreachable,
    ];

    /// The API spelling: `answer`, `busy`, `reject`, `no-answer`, `unreachable`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Answer => "answer",
            Self::Busy => "busy",
            Self::Reject => "reject",
            Self::NoAnswer => "no-answer",
            Self::Unreachable => "unreachable",
        }
    }

    /// Parses the API spelling; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == value)
    }
}

impl fmt::Display for SimulatedBehavior {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A behaviour name that is not one of the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown simulated behavior {0:?} (answer, busy, reject, no-answer, unreachable)")]
pub struct UnknownBehavior(pub String);

impl FromStr for SimulatedBehavior {
    type Err = UnknownBehavior;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| UnknownBehavior(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        let spelled: Vec<&str> = SimulatedBehavior::ALL.iter().map(|b| b.as_str()).collect();
        assert_eq!(
            spelled,
            ["answer", "busy", "reject", "no-answer", "unreachable"]
        );
        for b in SimulatedBehavior::ALL {
            assert_eq!(SimulatedBehavior::parse(b.as_str()), Some(b));
            assert_eq!(b.to_string().parse::<SimulatedBehavior>(), Ok(b));
        }
        assert_eq!(SimulatedBehavior::default(), SimulatedBehavior::Answer);
    }

    #[test]
    fn unknown_names_are_refused() {
        for bad in ["", "ring", "Answer", "no_answer", "busy "] {
            assert_eq!(SimulatedBehavior::parse(bad), None);
            assert_eq!(
                bad.parse::<SimulatedBehavior>(),
                Err(UnknownBehavior(bad.to_owned()))
            );
        }
    }
}
