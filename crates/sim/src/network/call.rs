//! One WhatsApp call as Meta's side sees it, and the snapshot the test API shows of it.

use std::time::Duration;

use dialtone_media::MediaStats;
use dialtone_types::{E164, Sid, SimulatedAudio, UnixMillis};

use super::user::{Behavior, User};

/// A business number as Meta knows it: which account owns it and its Graph id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSender {
    /// The Dialtone account owning the sender.
    pub account: Sid,
    /// The business number.
    pub number: E164,
    /// Meta's phone number id (the `{phone_number_id}` of Graph paths).
    pub phone_number_id: String,
    /// The WhatsApp Business Account id (`entry[].id` of webhooks).
    pub waba_id: Option<String>,
}

/// Who started the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The business called the user (Graph `connect`).
    BusinessInitiated,
    /// The user called the business (`connect` webhook with the user's offer).
    UserInitiated,
}

impl Direction {
    /// `BUSINESS_INITIATED` or `USER_INITIATED`, as in Meta's webhooks.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BusinessInitiated => "BUSINESS_INITIATED",
            Self::UserInitiated => "USER_INITIATED",
        }
    }
}

/// Where a call stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallStatus {
    /// Placed; the phone does not ring yet (or never will: busy, unreachable).
    Calling,
    /// The user's phone rings (business-initiated), or the business is offered the call
    /// (user-initiated).
    Ringing,
    /// User-initiated: the business sent `pre_accept`.
    PreAccepted,
    /// Answered; media flows.
    InProgress,
    /// Ended after an answer.
    Completed,
    /// The business ended it before anyone answered.
    Canceled,
    /// The user was on another call.
    Busy,
    /// Declined (by the user, or by the business with `reject`).
    Rejected,
    /// Nobody answered in time.
    NoAnswer,
    /// Could not be set up (unreachable phone, media failure).
    Failed,
}

impl CallStatus {
    /// The lower-case name shown by the test API.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Calling => "calling",
            Self::Ringing => "ringing",
            Self::PreAccepted => "pre-accepted",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Canceled => "canceled",
            Self::Busy => "busy",
            Self::Rejected => "rejected",
            Self::NoAnswer => "no-answer",
            Self::Failed => "failed",
        }
    }

    /// True once the call has ended.
    pub const fn is_final(self) -> bool {
        !matches!(
            self,
            Self::Calling | Self::Ringing | Self::PreAccepted | Self::InProgress
        )
    }
}

/// A call as the test API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCall {
    /// Meta's call id, `wacid.…`.
    pub call_id: String,
    /// Who started it.
    pub direction: Direction,
    /// Where it stands.
    pub status: CallStatus,
    /// The caller: `whatsapp:+…`.
    pub from: String,
    /// The callee: `whatsapp:+…`.
    pub to: String,
    /// When it was placed.
    pub created_at: UnixMillis,
    /// When it was answered.
    pub answered_at: Option<UnixMillis>,
    /// When it ended.
    pub ended_at: Option<UnixMillis>,
    /// Whole seconds between answer and end, for answered calls that ended.
    pub duration_secs: Option<u64>,
    /// The user's media counters, once the call's media leg has stopped (`None` before, or
    /// for a call that never had media).
    pub media: Option<MediaStats>,
}

/// The user's script, copied when the call starts so that editing the user does not change a
/// call in progress.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    pub behavior: Behavior,
    pub answer_after: Duration,
    pub hangup_after: Option<Duration>,
    pub digits: Option<String>,
    pub audio: SimulatedAudio,
}

impl Script {
    pub(crate) fn of(user: &User) -> Self {
        Self {
            behavior: user.behavior,
            answer_after: user.answer_after,
            hangup_after: user.hangup_after,
            digits: user.digits.clone().filter(|d| !d.is_empty()),
            audio: user.audio.clone(),
        }
    }
}

/// A call in the simulator.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub id: String,
    pub sender: SimSender,
    pub user: E164,
    pub direction: Direction,
    pub status: CallStatus,
    pub script: Script,
    pub created_at: UnixMillis,
    pub answered_at: Option<UnixMillis>,
    pub ended_at: Option<UnixMillis>,
    /// Business-initiated: the business's offer, until the user answers it.
    pub offer: Option<String>,
    /// The answer: the user's (business-initiated) or the business's `pre_accept`/`accept`.
    pub answer: Option<String>,
    /// Business-initiated: the shell was asked for the user's answer and has not given it.
    pub awaiting_answer: bool,
    /// `biz_opaque_callback_data`, echoed in webhooks.
    pub opaque: Option<String>,
    /// The user's media counters when the media leg stopped.
    pub media: Option<MediaStats>,
}

impl Call {
    pub(crate) fn view(&self) -> UserCall {
        let user = format!("whatsapp:{}", self.user);
        let business = format!("whatsapp:{}", self.sender.number);
        let (from, to) = match self.direction {
            Direction::BusinessInitiated => (business, user),
            Direction::UserInitiated => (user, business),
        };
        UserCall {
            call_id: self.id.clone(),
            direction: self.direction,
            status: self.status,
            from,
            to,
            created_at: self.created_at,
            answered_at: self.answered_at,
            ended_at: self.ended_at,
            duration_secs: self.duration_secs(),
            media: self.media,
        }
    }

    pub(crate) fn duration_secs(&self) -> Option<u64> {
        Some(self.ended_at?.whole_seconds_since(self.answered_at?))
    }

    pub(crate) fn is_active(&self) -> bool {
        !self.status.is_final()
    }
}
