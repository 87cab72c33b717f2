//! Why the engine refused an input.
//!
//! Only commands that a caller can get wrong are refused (REST updates, call creation). Network
//! events that arrive late, twice or out of order are never errors: they are absorbed and
//! reported as [`Handled::Stale`](crate::Handled::Stale).

use dialtone_types::{CallStatus, Sid, TwilioCode};

/// An input the engine refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The call is not live in this engine (never existed, or already ended and dropped).
    #[error("call {0} is not live in this engine")]
    UnknownCall(Sid),
    /// A REST update the call's state does not allow (Twilio 21220).
    #[error("call {sid} is {status}: it cannot be {action}")]
    InvalidState {
        /// The call.
        sid: Sid,
        /// Its status when the command arrived.
        status: CallStatus,
        /// What was asked: `redirected`, `canceled`, `completed`.
        action: &'static str,
    },
    /// A REST recording update names no recording of the call (unknown SID, another call's,
    /// or `Twilio.CURRENT` with none going): Twilio 20404.
    #[error("call {call} has no recording {recording}")]
    UnknownRecording {
        /// The call.
        call: Sid,
        /// The SID given, or `Twilio.CURRENT`.
        recording: String,
    },
    /// A REST recording update of a recording that is finished or cannot be controlled
    /// (a `<Record>` verb's): Twilio 21220.
    #[error("recording {recording} is {state}: it cannot be {action}")]
    RecordingState {
        /// The recording.
        recording: Sid,
        /// `stopped`, or `a <Record> recording`.
        state: &'static str,
        /// What was asked.
        action: &'static str,
    },
    /// A REST stream update names no running stream of the call (SID or name): 20404.
    #[error("call {call} has no running stream {stream}")]
    UnknownStream {
        /// The call.
        call: Sid,
        /// The SID or name given.
        stream: String,
    },
    /// A stream that cannot start (bad URL 31922/31923, bad track 31941, name in use 20001).
    #[error("{message}")]
    StreamRefused {
        /// Twilio's code.
        code: TwilioCode,
        /// Why.
        message: String,
    },
    /// A WhatsApp call whose `From` is not a voice-enabled sender of the account (Twilio 37008).
    #[error("from must be whatsapp: followed by a voice-enabled WhatsApp sender of the account")]
    InvalidWhatsAppFrom,
    /// Dialtone has no phone-network legs; WhatsApp calls may never reach the PSTN (13224).
    #[error("calls to the phone network are not supported: Dialtone has no PSTN legs")]
    PstnNotSupported,
    /// A feature Dialtone does not implement (13750).
    #[error("not supported: {0}")]
    Unsupported(&'static str),
    /// The account's queue of calls waiting for their CPS turn is full (Twilio 20429); a
    /// place frees up at `retry_at`.
    #[error("too many calls queued for this account: the queue holds {queue}; retry later")]
    QueueFull {
        /// The account's queue size.
        queue: usize,
        /// When the queue's head starts (and a place frees up).
        retry_at: dialtone_types::UnixMillis,
    },
    /// Inline TwiML that cannot run (its diagnostic code, e.g. 12100 or 32018).
    #[error("invalid TwiML ({code}): {message}")]
    InvalidTwiml {
        /// The parser's error code.
        code: TwilioCode,
        /// The parser's message.
        message: String,
    },
}

impl EngineError {
    /// The Twilio code a REST API should answer with.
    pub fn code(&self) -> TwilioCode {
        match self {
            Self::UnknownCall(_) | Self::UnknownRecording { .. } | Self::UnknownStream { .. } => {
                TwilioCode::NOT_FOUND
            }
            Self::InvalidState { .. } | Self::RecordingState { .. } => {
                TwilioCode::INVALID_CALL_STATE
            }
            Self::InvalidWhatsAppFrom => TwilioCode::WHATSAPP_INVALID_FROM,
            Self::PstnNotSupported => TwilioCode::DIAL_NUMBER_NOT_SUPPORTED,
            Self::Unsupported(_) => TwilioCode::VERB_NOT_SUPPORTED,
            Self::InvalidTwiml { code, .. } | Self::StreamRefused { code, .. } => *code,
            Self::QueueFull { .. } => TwilioCode(20429),
        }
    }
}
