//! Why a prompt could not be made, with the Twilio code its Notification carries.
//!
//! | Fault | Variant | Code |
//! |---|---|---|
//! | empty text, text over 4,096 characters | [`PromptError::InvalidText`] | 13520 "Say: Invalid text" |
//! | engine missing, hung (killed at the timeout), failed, bad output | [`PromptError::Speech`] | 12400 "Internal failure" (UNCONFIRMED: Twilio documents no code for its own TTS failing) |
//! | `<Play>` URL unusable | [`PromptError::Fetch`] | 11100 |
//! | status outside 2xx, connection broken, body over the size limit | [`PromptError::Fetch`] | 11200 |
//! | connection refused, connect or total timeout | [`PromptError::Fetch`] | 11205 |
//! | host name does not resolve | [`PromptError::Fetch`] | 11210 |
//! | too many redirects | [`PromptError::Fetch`] | 11215 |
//! | TLS handshake | [`PromptError::Fetch`] | 11220 |
//! | non-audio `Content-Type` (`text/html`, ...) | [`PromptError::Unsupported`] | 13420 "Play: Invalid Content-Type" |
//! | an audio type Dialtone does not decode (AIFF, GSM), or a body that does not decode as its type (lying WAV header, corrupt MP3), or longer than the clip limit | [`PromptError::Unsupported`] | 13420 (UNCONFIRMED: Twilio documents no code for a corrupt file) |

use dialtone_types::TwilioCode;

/// Twilio's "Say: Invalid text".
pub const SAY_INVALID_TEXT: TwilioCode = TwilioCode(13520);
/// Twilio's "Play: Invalid Content-Type".
pub const PLAY_INVALID_CONTENT_TYPE: TwilioCode = TwilioCode(13420);

/// A prompt that cannot be played; the call goes on with its next verb.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    /// The text-to-speech engine failed (missing, hung, refused the text) — 12400.
    #[error("text to speech failed: {0}")]
    Speech(String),
    /// The text is empty, too long, or cannot be spoken (13520).
    #[error("Say: invalid text: {0}")]
    InvalidText(String),
    /// Fetching the audio failed; the code is the fetch's (11200, 11205, 11210, ...).
    #[error("{message}")]
    Fetch {
        /// Twilio's code for the failure.
        code: TwilioCode,
        /// What happened, for the Notification.
        message: String,
    },
    /// The resource is not audio Dialtone can decode (13420).
    #[error("{message}")]
    Unsupported {
        /// Twilio's code for the failure.
        code: TwilioCode,
        /// What happened, for the Notification.
        message: String,
    },
}

impl PromptError {
    /// The Twilio error code for the call's Notification.
    pub fn code(&self) -> TwilioCode {
        match self {
            Self::Speech(_) => TwilioCode::INTERNAL_FAILURE,
            Self::InvalidText(_) => SAY_INVALID_TEXT,
            Self::Fetch { code, .. } | Self::Unsupported { code, .. } => *code,
        }
    }

    pub(crate) fn fetch(code: TwilioCode, message: impl Into<String>) -> Self {
        Self::Fetch {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn unsupported(message: impl Into<String>) -> Self {
        Self::Unsupported {
            code: PLAY_INVALID_CONTENT_TYPE,
            message: message.into(),
        }
    }
}
