//! Why a prompt could not be made, with the Twilio code its Notification carries.

use dialtone_types::TwilioCode;

/// A prompt that cannot be played; the call goes on with its next verb.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    /// The text-to-speech engine failed (missing, hung, refused the text).
    #[error("text to speech failed: {0}")]
    Speech(String),
    /// The text is empty or cannot be spoken (13520).
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
    /// The resource is not audio Dialtone can decode.
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
            Self::Speech(_) | Self::InvalidText(_) => TwilioCode(13520),
            Self::Fetch { code, .. } | Self::Unsupported { code, .. } => *code,
        }
    }
}
