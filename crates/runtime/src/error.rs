//! The one error type the runtime hands to its callers (the REST API renders it as Twilio's
//! error body), with the Twilio code and HTTP status already chosen.

use dialtone_core::EngineError;
use dialtone_store::StoreError;
use dialtone_types::{Sid, TwilioCode};

/// Twilio's code for an unexpected server-side failure.
pub const INTERNAL_ERROR: TwilioCode = TwilioCode(20500);
/// Twilio's code for "service unavailable" (the runtime is shutting down).
pub const SERVICE_UNAVAILABLE: TwilioCode = TwilioCode(20503);
/// Invalid `From`.
pub const INVALID_FROM: TwilioCode = TwilioCode(21212);
/// Invalid `ApplicationSid` (or an application without a voice URL).
pub const INVALID_APPLICATION: TwilioCode = TwilioCode(21218);
/// Invalid `StatusCallbackEvent`.
pub const INVALID_CALLBACK_EVENT: TwilioCode = TwilioCode(21626);

/// A refused or failed runtime operation, ready to be rendered as Twilio's error body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RuntimeError {
    /// Twilio's error code (`code` in the body).
    pub code: TwilioCode,
    /// The HTTP status to answer with (`status` in the body).
    pub http_status: u16,
    /// For people (`message` in the body); never contains secrets.
    pub message: String,
    /// When a refusal for load may be retried (`Retry-After`); `None` otherwise.
    pub retry_after: Option<std::time::Duration>,
}

impl RuntimeError {
    /// An error with `code`, `http_status` and `message`.
    pub fn new(code: TwilioCode, http_status: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            http_status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 429 (20429): the account's queue of calls waiting for their CPS turn is full; a place
    /// frees up in `retry_after`.
    pub fn queue_full(message: impl Into<String>, retry_after: std::time::Duration) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(TwilioCode(20429), 429, message)
        }
    }

    /// 400 with `code`.
    pub fn invalid(code: TwilioCode, message: impl Into<String>) -> Self {
        Self::new(code, 400, message)
    }

    /// 20404: the call does not exist for this account.
    pub fn call_not_found(account: Sid, call: Sid) -> Self {
        Self::new(
            TwilioCode::NOT_FOUND,
            404,
            format!(
                "The requested resource /2010-04-01/Accounts/{account}/Calls/{call}.json was not found"
            ),
        )
    }

    /// 21220: the call's state does not allow the update.
    pub fn invalid_state(message: impl Into<String>) -> Self {
        Self::new(TwilioCode::INVALID_CALL_STATE, 400, message)
    }

    /// 20503: the runtime no longer accepts work.
    pub fn shutting_down() -> Self {
        Self::new(
            SERVICE_UNAVAILABLE,
            503,
            "Dialtone is shutting down and accepts no new work",
        )
    }

    /// 20500: something failed inside Dialtone; the details go to the log only.
    pub fn internal(what: &str) -> Self {
        Self::new(INTERNAL_ERROR, 500, format!("internal error: {what}"))
    }

    /// The Twilio code.
    pub fn code(&self) -> TwilioCode {
        self.code
    }

    /// The HTTP status.
    pub fn http_status(&self) -> u16 {
        self.http_status
    }
}

impl From<EngineError> for RuntimeError {
    fn from(e: EngineError) -> Self {
        let status = match e {
            EngineError::UnknownCall(_) | EngineError::UnknownRecording { .. } => 404,
            EngineError::QueueFull { .. } => 429,
            _ => 400,
        };
        Self::new(e.code(), status, e.to_string())
    }
}

impl From<StoreError> for RuntimeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::new(
                TwilioCode::NOT_FOUND,
                404,
                format!("The requested {what} was not found"),
            ),
            e @ StoreError::InvalidText(_) => Self::new(TwilioCode(20001), 400, e.to_string()),
            other => {
                tracing::error!(error = %other, "store failure");
                Self::internal("the database failed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::CallStatus;

    #[test]
    fn engine_errors_keep_their_codes() {
        let sid = Sid::new(dialtone_types::SidKind::Call, 1);
        let e = RuntimeError::from(EngineError::InvalidState {
            sid,
            status: CallStatus::Completed,
            action: "redirected",
        });
        assert_eq!((e.code(), e.http_status()), (TwilioCode(21220), 400));
        let e = RuntimeError::from(EngineError::PstnNotSupported);
        assert_eq!(e.code(), TwilioCode(13224));
        let e = RuntimeError::from(StoreError::NotFound("call"));
        assert_eq!((e.code(), e.http_status()), (TwilioCode(20404), 404));
        let e = RuntimeError::from(StoreError::InvalidText("To"));
        assert_eq!((e.code(), e.http_status()), (TwilioCode(20001), 400));
        assert_eq!(e.message, "To contains a NUL character");
    }
}
