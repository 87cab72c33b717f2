//! Simulated WhatsApp users: who they are and how their phone reacts to a business call.
//!
//! Users belong to an account (the one whose credentials created them), like softphones. The
//! `Permission` setting scripts a consent towards every business number of the account
//! (`granted` acts as a permanent permission); consent earned by answering a call permission
//! request is kept per business number and user pair, as Meta keeps it ([`super::consent`]).

use std::time::Duration;

use dialtone_types::{E164, SimulatedAudio};

use super::error::SimError;

/// Longest ring or talk time a user accepts (one day).
pub const MAX_SECONDS: f64 = 86_400.0;
/// Most DTMF digits a user presses.
pub const MAX_DIGITS: usize = 256;

/// The user's call permission towards the account's business numbers (reference §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Permission {
    /// Permission granted (modelled as permanent: it does not expire).
    Granted,
    /// Never granted (the default).
    #[default]
    None,
    /// Granted once, then revoked (by the user or by Meta after four unanswered calls).
    Revoked,
}

impl Permission {
    /// Parses `granted`, `none` or `revoked`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "granted" => Some(Self::Granted),
            "none" => Some(Self::None),
            "revoked" => Some(Self::Revoked),
            _ => None,
        }
    }

    /// The form value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::None => "none",
            Self::Revoked => "revoked",
        }
    }
}

/// How the user answers a call permission request (free-form or template).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConsentReply {
    /// "Temporarily allow calls": a temporary permission (the default).
    #[default]
    Accept,
    /// "Allow calls": a permanent permission.
    AcceptPermanent,
    /// "Don't allow".
    Reject,
    /// Reads the request and never answers.
    Ignore,
}

impl ConsentReply {
    /// Parses `accept`, `accept-permanent`, `reject` or `ignore`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "accept" => Some(Self::Accept),
            "accept-permanent" => Some(Self::AcceptPermanent),
            "reject" => Some(Self::Reject),
            "ignore" => Some(Self::Ignore),
            _ => None,
        }
    }

    /// The form value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::AcceptPermanent => "accept-permanent",
            Self::Reject => "reject",
            Self::Ignore => "ignore",
        }
    }
}

/// How the user's phone reacts to a business-initiated call. For a WhatsApp user: `answer`
/// rings, then answers after `answer_after`; `busy` (on another call) is refused at once without
/// ringing; `reject` rings, then declines after `answer_after`; `no-answer` rings until Meta's
/// ring timeout; `unreachable` (phone offline) never rings and the call fails.
pub type Behavior = dialtone_types::SimulatedBehavior;

/// A user to create or replace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// The user's WhatsApp number.
    pub number: E164,
    /// Consent towards the account's business numbers.
    pub permission: Permission,
    /// Reaction to business calls.
    pub behavior: Behavior,
    /// Ring time before answering (or declining), from the moment the phone rings.
    pub answer_after: Duration,
    /// Talk time before the user hangs up; `None`: the user waits for the business.
    pub hangup_after: Option<Duration>,
    /// DTMF the user presses (RFC 4733) shortly after the call is answered.
    pub digits: Option<String>,
    /// What the user sends once a call's media is connected (either direction).
    pub audio: SimulatedAudio,
    /// How the user answers call permission requests.
    pub consent_reply: ConsentReply,
    /// From reading a call permission request to answering it.
    pub reply_after: Duration,
}

impl NewUser {
    /// A user with the defaults: no permission, answers calls after 1 s, no hang-up, no
    /// digits, silence; accepts permission requests (temporarily) 1 s after reading them.
    pub fn new(number: E164) -> Self {
        Self {
            number,
            permission: Permission::default(),
            behavior: Behavior::default(),
            answer_after: Duration::from_secs(1),
            hangup_after: None,
            digits: None,
            audio: SimulatedAudio::Silence,
            consent_reply: ConsentReply::default(),
            reply_after: Duration::from_secs(1),
        }
    }

    /// Refuses values the simulator cannot play (never panics on them later).
    pub fn validate(&self) -> Result<(), SimError> {
        for (name, value) in [
            ("AnswerAfter", Some(self.answer_after)),
            ("HangupAfter", self.hangup_after),
            ("ReplyAfter", Some(self.reply_after)),
        ] {
            if value.is_some_and(|d| d.as_secs_f64() > MAX_SECONDS) {
                return Err(SimError::Invalid(format!(
                    "{name} must be at most {MAX_SECONDS} seconds"
                )));
            }
        }
        if let Some(digits) = self.digits.as_ref().filter(|d| !valid_digits(d)) {
            return Err(SimError::Invalid(format!(
                "Digits is not valid: {digits:?} (0-9, *, #, A-D, w and W; at most {MAX_DIGITS})"
            )));
        }
        Ok(())
    }
}

/// True for a DTMF string a user can press: 0-9, `*`, `#`, A-D, and `w`/`W` pauses.
pub fn valid_digits(digits: &str) -> bool {
    digits.len() <= MAX_DIGITS
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'*' | b'#' | b'w' | b'W' | b'A'..=b'D'))
}

/// A user as the simulator holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's WhatsApp number.
    pub number: E164,
    /// Current consent (four unanswered business calls in a row turn `granted` into `revoked`).
    pub permission: Permission,
    /// Reaction to business calls.
    pub behavior: Behavior,
    /// Ring time before answering or declining.
    pub answer_after: Duration,
    /// Talk time before hanging up.
    pub hangup_after: Option<Duration>,
    /// DTMF pressed after the answer.
    pub digits: Option<String>,
    /// What the user sends once a call's media is connected.
    pub audio: SimulatedAudio,
    /// How the user answers call permission requests.
    pub consent_reply: ConsentReply,
    /// From reading a call permission request to answering it.
    pub reply_after: Duration,
    /// Business-initiated calls left unanswered in a row since the last answered one.
    pub unanswered_in_a_row: u32,
}

impl User {
    pub(crate) fn from_new(user: NewUser) -> Self {
        Self {
            number: user.number,
            permission: user.permission,
            behavior: user.behavior,
            answer_after: user.answer_after,
            hangup_after: user.hangup_after,
            digits: user.digits,
            audio: user.audio,
            consent_reply: user.consent_reply,
            reply_after: user.reply_after,
            unanswered_in_a_row: 0,
        }
    }
}
