//! The one door every failed request leaves through.
//!
//! Handlers return `Result<_, ApiError>`; [`ApiError`]'s `IntoResponse` renders Twilio's
//! error body `{code, message, more_info, status}`. twilio-python turns that body into a
//! `TwilioRestException`, but only if it does not also carry `type` and `title` (it would then
//! raise its RFC 9457 exception instead), so the body never has those keys. Internal failures
//! are logged here, once, and the client sees a generic message: no database error text, no
//! SQL, no stack trace.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dialtone_types::TwilioCode;
use serde::Serialize;

/// Twilio codes the API uses that `dialtone-types` does not name.
pub mod codes {
    use dialtone_types::TwilioCode;

    /// A parameter has a value the resource does not accept (generic).
    pub const INVALID_PARAMETER: TwilioCode = TwilioCode(20001);
    /// The HTTP method is not allowed on this resource.
    pub const METHOD_NOT_ALLOWED: TwilioCode = TwilioCode(20004);
    /// `PageSize`, `Page` or `PageToken` is invalid.
    pub const INVALID_PAGING: TwilioCode = TwilioCode(20007);
    /// The resource cannot be deleted before it is complete (a live call).
    pub const DELETE_BEFORE_COMPLETE: TwilioCode = TwilioCode(20009);
    /// Internal server error.
    pub const INTERNAL: TwilioCode = TwilioCode(20500);
    /// Too many requests: the server is at its limit of call requests in flight.
    pub const TOO_MANY_REQUESTS: TwilioCode = TwilioCode(20429);
    /// The server could not answer in time.
    pub const UNAVAILABLE: TwilioCode = TwilioCode(20503);
    /// `To` missing.
    pub const TO_REQUIRED: TwilioCode = TwilioCode(21201);
    /// Invalid URL (`Url`, `FallbackUrl`, `StatusCallback`, application URLs), or none given.
    pub const INVALID_URL: TwilioCode = TwilioCode::INVALID_URL_PARAMETER;
    /// Invalid `Timeout`.
    pub const INVALID_TIMEOUT: TwilioCode = TwilioCode(21208);
    /// Invalid HTTP method parameter.
    pub const INVALID_METHOD: TwilioCode = TwilioCode(21209);
    /// Invalid `To`.
    pub const INVALID_TO: TwilioCode = TwilioCode(21211);
    /// Invalid `From`.
    pub const INVALID_FROM: TwilioCode = TwilioCode(21212);
    /// `From` missing.
    pub const FROM_REQUIRED: TwilioCode = TwilioCode(21213);
    /// Invalid `ApplicationSid`.
    pub const INVALID_APPLICATION: TwilioCode = TwilioCode(21218);
    /// The account already has this WhatsApp sender (409; Twilio's "Sender id already exists
    /// for account").
    pub const SENDER_EXISTS: TwilioCode = TwilioCode(60231);
    /// Invalid `StatusCallbackEvent`.
    pub const INVALID_STATUS_CALLBACK_EVENT: TwilioCode = TwilioCode(21626);
}

/// Where Twilio documents errors that have no code of their own.
const GENERIC_MORE_INFO: &str = "https://www.twilio.com/docs/usage/twilios-response";

/// A request that failed, as the client will see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing or wrong credentials, or credentials of another account (20003, 401).
    #[error("Authenticate")]
    Unauthenticated,
    /// Valid credentials that may not use this resource: an API key managing keys or reading
    /// the account (20003, 403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such resource for this account (20404); carries the request path, as Twilio's
    /// message does.
    #[error("The requested resource {0} was not found")]
    NotFound(String),
    /// A parameter failed validation (400 with a Twilio code).
    #[error("{message}")]
    Invalid {
        /// Twilio's code, e.g. 21201.
        code: TwilioCode,
        /// What is wrong, for a human.
        message: String,
    },
    /// The call engine refused the request; it chose the status and code.
    #[error("{message}")]
    Refused {
        /// HTTP status.
        status: StatusCode,
        /// Twilio's code, e.g. 21220.
        code: TwilioCode,
        /// What is wrong, for a human.
        message: String,
    },
    /// The method is not allowed on this path (20004, 405).
    #[error("Method not allowed")]
    MethodNotAllowed,
    /// The body is larger than the limit (413, no Twilio code).
    #[error("Request body too large: the limit is {0} bytes")]
    BodyTooLarge(usize),
    /// The request took longer than the server allows (20503, 503); only ever before the
    /// request was taken by the engine, so nothing of it was stored.
    #[error("The request took too long; try again")]
    Timeout,
    /// Every admission slot is taken (20429, 429, with `Retry-After`); refused before anything
    /// of the request was looked up or stored.
    #[error("Too Many Requests")]
    TooManyRequests {
        /// When to try again (sent in whole seconds, at least 1).
        retry_after: std::time::Duration,
    },
    /// The engine refused a call create for load (20429, 429, with `Retry-After`): the
    /// account's queue of calls waiting for their CPS turn is full. Nothing was stored.
    #[error("{message}")]
    Throttled {
        /// Why, for the client.
        message: String,
        /// When to try again (sent in whole seconds, at least 1).
        retry_after: std::time::Duration,
    },
    /// Something broke on our side (20500, 500); the cause is logged, never shown.
    #[error("Internal Server Error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A 400 with `code` and `message`.
    pub fn invalid(code: TwilioCode, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    /// A store failure: text the database cannot hold (a NUL character) is the client's fault
    /// (400/20001); anything else is a 500. Missing records are mapped by the caller, who knows
    /// the request path.
    pub fn store(err: dialtone_store::StoreError) -> Self {
        match err {
            e @ dialtone_store::StoreError::InvalidText(_) => {
                Self::invalid(codes::INVALID_PARAMETER, e.to_string())
            }
            other => Self::internal(other),
        }
    }

    /// A 500 caused by `err`.
    pub fn internal(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(err))
    }

    /// The HTTP status and Twilio code of this error.
    pub fn status_and_code(&self) -> (StatusCode, Option<TwilioCode>) {
        match self {
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, Some(TwilioCode::AUTHENTICATE)),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, Some(TwilioCode::AUTHENTICATE)),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, Some(TwilioCode::NOT_FOUND)),
            Self::Invalid { code, .. } => (StatusCode::BAD_REQUEST, Some(*code)),
            Self::Refused { status, code, .. } => (*status, Some(*code)),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                Some(codes::METHOD_NOT_ALLOWED),
            ),
            Self::BodyTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, None),
            Self::Timeout => (StatusCode::SERVICE_UNAVAILABLE, Some(codes::UNAVAILABLE)),
            Self::TooManyRequests { .. } | Self::Throttled { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                Some(codes::TOO_MANY_REQUESTS),
            ),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, Some(codes::INTERNAL)),
        }
    }
}

/// Twilio's error body. `code` and `more_info` are always present: errors without a Twilio
/// code of their own repeat the HTTP status as the code, which is what twilio-python falls
/// back to anyway.
#[derive(Debug, Serialize)]
struct RestException {
    code: u32,
    message: String,
    more_info: String,
    status: u16,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %cause, "internal error answering a request");
        }
        let body = RestException {
            code: code.map_or(u32::from(status.as_u16()), |c| c.0),
            message: self.to_string(),
            more_info: code.map_or_else(|| GENERIC_MORE_INFO.to_owned(), TwilioCode::more_info),
            status: status.as_u16(),
        };
        let mut response = (status, Json(body)).into_response();
        match self {
            Self::Unauthenticated => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"Twilio API\""),
                );
            }
            Self::TooManyRequests { retry_after } | Self::Throttled { retry_after, .. } => {
                // `Retry-After` is whole seconds; rounded up so a client never retries early.
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses() {
        assert_eq!(
            ApiError::Unauthenticated.status_and_code(),
            (StatusCode::UNAUTHORIZED, Some(TwilioCode(20003)))
        );
        assert_eq!(
            ApiError::BodyTooLarge(10).status_and_code(),
            (StatusCode::PAYLOAD_TOO_LARGE, None)
        );
        assert_eq!(
            ApiError::NotFound("/x".into()).to_string(),
            "The requested resource /x was not found"
        );
    }

    #[tokio::test]
    async fn too_many_requests_is_twilios_20429_with_retry_after() {
        use axum::body::to_bytes;
        let response = ApiError::TooManyRequests {
            retry_after: std::time::Duration::from_millis(1500),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let body = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "code": 20429,
                "message": "Too Many Requests",
                "more_info": "https://www.twilio.com/docs/errors/20429",
                "status": 429,
            })
        );
        let response = ApiError::TooManyRequests {
            retry_after: std::time::Duration::ZERO,
        }
        .into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
    }
}
