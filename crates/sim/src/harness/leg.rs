//! Scripted legs, by address: how the far end behaves.

use std::time::Duration;

use dialtone_core::LegEvent;
use dialtone_types::TwilioCode;

/// How a scripted leg ends its ringing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Answers after this long (from the start of the leg).
    Answer(Duration),
    /// Reports busy.
    Busy(Duration),
    /// The user declines (`LegEvent::Rejected`).
    Reject(Duration),
    /// Gives up by itself (`LegEvent::NoAnswer`).
    GiveUp(Duration),
    /// Fails with a code (37000 no permission...).
    Fail(Duration, TwilioCode, String),
    /// Rings until the engine gives up.
    RingForever,
}

/// The behaviour of a far end, built fluently:
/// `LegScript::answers_after(secs(3)).hangs_up_after(secs(60))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegScript {
    /// Sends `Ringing` after this long (none: never rings).
    pub ring_after: Option<Duration>,
    /// How ringing ends.
    pub outcome: Outcome,
    /// Hangs up this long after the answer.
    pub hangup_after: Option<Duration>,
    /// Digits pressed, each this long after the answer.
    pub digits: Vec<(Duration, String)>,
}

impl Default for LegScript {
    /// Rings after 1 s and never answers.
    fn default() -> Self {
        Self {
            ring_after: Some(Duration::from_secs(1)),
            outcome: Outcome::RingForever,
            hangup_after: None,
            digits: Vec::new(),
        }
    }
}

impl LegScript {
    /// Rings after 1 s, answers after `after`.
    pub fn answers_after(after: Duration) -> Self {
        Self {
            outcome: Outcome::Answer(after),
            ..Self::default()
        }
    }

    /// Rings after 1 s and never answers.
    pub fn no_answer() -> Self {
        Self::default()
    }

    /// Busy after 1 s, without ringing.
    pub fn busy() -> Self {
        Self {
            ring_after: None,
            outcome: Outcome::Busy(Duration::from_secs(1)),
            ..Self::default()
        }
    }

    /// Rings, then the user declines after `after`.
    pub fn rejects_after(after: Duration) -> Self {
        Self {
            outcome: Outcome::Reject(after),
            ..Self::default()
        }
    }

    /// The leg cannot be placed: 13224 after 1 s, without ringing.
    pub fn unreachable() -> Self {
        Self::fails(
            TwilioCode::DIAL_NUMBER_NOT_SUPPORTED,
            "the destination cannot be reached",
        )
    }

    /// The WhatsApp user gave no call permission: 37000 after 1 s, without ringing.
    pub fn no_permission() -> Self {
        Self::fails(
            TwilioCode::WHATSAPP_NO_PERMISSION,
            "WhatsApp Voice: call permission not granted by consumer",
        )
    }

    /// Fails with `code` after 1 s, without ringing.
    pub fn fails(code: TwilioCode, message: &str) -> Self {
        Self {
            ring_after: None,
            outcome: Outcome::Fail(Duration::from_secs(1), code, message.to_owned()),
            ..Self::default()
        }
    }

    /// Rings for `after`, then gives up by itself.
    pub fn gives_up_after(after: Duration) -> Self {
        Self {
            outcome: Outcome::GiveUp(after),
            ..Self::default()
        }
    }

    /// Sends `Ringing` after `after` instead of 1 s.
    #[must_use]
    pub fn rings_after(mut self, after: Duration) -> Self {
        self.ring_after = Some(after);
        self
    }

    /// Never sends `Ringing`.
    #[must_use]
    pub fn without_ringing(mut self) -> Self {
        self.ring_after = None;
        self
    }

    /// Hangs up `after` the answer.
    #[must_use]
    pub fn hangs_up_after(mut self, after: Duration) -> Self {
        self.hangup_after = Some(after);
        self
    }

    /// Presses `digits` `after` the answer.
    #[must_use]
    pub fn presses(mut self, after: Duration, digits: &str) -> Self {
        self.digits.push((after, digits.to_owned()));
        self
    }

    /// Each event until the end of ringing, with its delay from the leg's start.
    pub(crate) fn each_ringing_event(&self, mut f: impl FnMut(Duration, LegEvent)) {
        if let Some(ring) = self.ring_after {
            f(ring, LegEvent::Ringing);
        }
        match &self.outcome {
            Outcome::Answer(d) => f(*d, LegEvent::Answered),
            Outcome::Busy(d) => f(*d, LegEvent::Busy),
            Outcome::Reject(d) => f(*d, LegEvent::Rejected),
            Outcome::GiveUp(d) => f(*d, LegEvent::NoAnswer),
            Outcome::Fail(d, code, message) => f(
                *d,
                LegEvent::Failed {
                    code: *code,
                    message: message.clone(),
                },
            ),
            Outcome::RingForever => {}
        }
    }

    /// Each event after the answer, with its delay from the answer.
    pub(crate) fn each_answered_event(&self, mut f: impl FnMut(Duration, LegEvent)) {
        for (d, digits) in &self.digits {
            f(*d, LegEvent::Digits(digits.clone()));
        }
        if let Some(d) = self.hangup_after {
            f(d, LegEvent::HungUp);
        }
    }

    /// The answer delay, if this leg answers.
    pub(crate) fn answer_delay(&self) -> Option<Duration> {
        match self.outcome {
            Outcome::Answer(d) => Some(d),
            _ => None,
        }
    }
}
