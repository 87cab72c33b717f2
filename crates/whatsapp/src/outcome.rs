//! What the connector reports to the call engine about a WhatsApp leg.
//!
//! The shape follows `dialtone_core::LegEvent` (`Ringing`, `Answered`, `Rejected`, `NoAnswer`,
//! `Failed`, `HungUp`) without depending on the engine: the runtime converts one into the other,
//! and applies the SDP answer to the media leg before reporting `Answered`.

use dialtone_types::TwilioCode;

/// One step of a WhatsApp leg, in engine terms. A tracker reports each call's steps in an order
/// the engine accepts, and at most one terminal step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegOutcome {
    /// The user's phone rings (`statuses` `RINGING`).
    Ringing,
    /// The user answered; Meta's SDP answer must be applied to the media leg.
    Answered {
        /// Meta's SDP answer, already checked by [`crate::sdp::check`].
        sdp_answer: String,
    },
    /// The user declined (`statuses` `REJECTED`); Twilio reports it as `busy`.
    Rejected,
    /// Nobody answered: the tracker's answer deadline passed, or Meta ended an unanswered call.
    NoAnswer,
    /// The leg could not be placed or failed before it was answered.
    Failed {
        /// The Twilio code for the child call's notification.
        code: TwilioCode,
        /// What went wrong, for the notification text.
        message: String,
    },
    /// The answered call ended from the WhatsApp side.
    HungUp {
        /// Seconds the call lasted: Meta's `duration`, else measured from the answer.
        duration_secs: u64,
    },
}

impl LegOutcome {
    /// Whether this step ends the leg.
    pub const fn is_terminal(&self) -> bool {
        !matches!(self, Self::Ringing | Self::Answered { .. })
    }
}
