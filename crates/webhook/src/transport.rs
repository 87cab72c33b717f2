//! Transport failures of a webhook request and the Twilio codes they become.
//!
//! The runtime's HTTP client reports why a request produced no response; the engine needs the
//! Twilio code for the call's Notifications, for `ErrorCode` on the fallback request, and to
//! know whether the connection-override retry policy applies. Twilio's Debugger reports
//! connection trouble and timeouts as 11205 ("HTTP connection failure": two 5-second TCP
//! attempts, 15 s total), so Dialtone uses 11205 for connect timeouts, refusals, read and total
//! timeouts rather than the less documented 11201–11203.

use dialtone_types::TwilioCode;

use crate::overrides::RetryTrigger;

/// How many redirects a webhook follows before failing with 11215.
pub const MAX_REDIRECTS: u8 = 10;

/// Why a webhook request got no usable HTTP response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TransportFailure {
    /// The URL could not be used at all.
    #[error("invalid URL")]
    InvalidUrl,
    /// The host name did not resolve.
    #[error("host name could not be resolved")]
    BadHost,
    /// The TCP connection was not established within `ct`.
    #[error("TCP connect timed out")]
    ConnectTimeout,
    /// The server refused the connection.
    #[error("connection refused")]
    ConnectionRefused,
    /// The TLS handshake or certificate check failed.
    #[error("TLS handshake failed")]
    Tls,
    /// Connected, but no response within `rt`.
    #[error("timed out waiting for the response")]
    ReadTimeout,
    /// The whole webhook, retries included, exceeded `tt` (at most 15 s).
    #[error("total timeout exceeded")]
    TotalTimeout,
    /// The connection broke while the response was being read.
    #[error("connection reset")]
    ConnectionReset,
    /// More than [`MAX_REDIRECTS`] redirects.
    #[error("too many redirects")]
    TooManyRedirects,
    /// A redirect without a usable `Location`.
    #[error("invalid redirect")]
    InvalidRedirect,
    /// The server spoke something other than valid HTTP.
    #[error("HTTP protocol violation")]
    ProtocolViolation,
}

impl TransportFailure {
    /// The Twilio code recorded for this failure.
    pub const fn code(self) -> TwilioCode {
        match self {
            Self::InvalidUrl => TwilioCode::INVALID_URL,
            Self::BadHost => TwilioCode::HTTP_BAD_HOST_NAME,
            Self::ConnectTimeout
            | Self::ConnectionRefused
            | Self::ReadTimeout
            | Self::TotalTimeout => TwilioCode::HTTP_CONNECTION_FAILURE,
            Self::Tls => TwilioCode::HTTP_TLS_HANDSHAKE,
            Self::ConnectionReset => TwilioCode::HTTP_RETRIEVAL_FAILURE,
            Self::TooManyRedirects => TwilioCode::HTTP_TOO_MANY_REDIRECTS,
            Self::InvalidRedirect => TwilioCode::HTTP_INVALID_REDIRECT,
            Self::ProtocolViolation => TwilioCode::HTTP_PROTOCOL_VIOLATION,
        }
    }

    /// Which retry-policy entry covers this failure: `ct` for connection and TLS failures,
    /// `rt` for read timeouts; the others are never retried.
    pub const fn retry_trigger(self) -> Option<RetryTrigger> {
        match self {
            Self::ConnectTimeout | Self::ConnectionRefused | Self::Tls => {
                Some(RetryTrigger::Connect)
            }
            Self::ReadTimeout => Some(RetryTrigger::ReadTimeout),
            Self::InvalidUrl
            | Self::BadHost
            | Self::TotalTimeout
            | Self::ConnectionReset
            | Self::TooManyRedirects
            | Self::InvalidRedirect
            | Self::ProtocolViolation => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_map_to_twilio_codes() {
        let table = [
            (TransportFailure::InvalidUrl, 11100, None),
            (TransportFailure::BadHost, 11210, None),
            (
                TransportFailure::ConnectTimeout,
                11205,
                Some(RetryTrigger::Connect),
            ),
            (
                TransportFailure::ConnectionRefused,
                11205,
                Some(RetryTrigger::Connect),
            ),
            (TransportFailure::Tls, 11220, Some(RetryTrigger::Connect)),
            (
                TransportFailure::ReadTimeout,
                11205,
                Some(RetryTrigger::ReadTimeout),
            ),
            (TransportFailure::TotalTimeout, 11205, None),
            (TransportFailure::ConnectionReset, 11200, None),
            (TransportFailure::TooManyRedirects, 11215, None),
            (TransportFailure::InvalidRedirect, 11216, None),
            (TransportFailure::ProtocolViolation, 11206, None),
        ];
        for (failure, code, trigger) in table {
            assert_eq!(failure.code(), TwilioCode(code), "{failure:?}");
            assert_eq!(failure.retry_trigger(), trigger, "{failure:?}");
        }
        assert_eq!(
            TransportFailure::ConnectTimeout.to_string(),
            "TCP connect timed out"
        );
    }
}
