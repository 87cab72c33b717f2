//! Graph calling error codes → Twilio codes and leg outcomes.
//!
//! Direct correspondences come from the reference (whatsapp-calling.md §5 and §11.1 item 5):
//! 138006 → 37000, 138003 → 37003, 138005 → 37004, 138012 → 37006, 138013 → 37007. Everything
//! else is an inference, marked on each [`FailureReason`] and listed in docs/twilio-compat.md.

use dialtone_types::TwilioCode;

use super::GraphError;
use crate::outcome::LegOutcome;

/// What kind of refusal or fault a failure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// 138006: the user has not granted call permission → 37000.
    NoPermission,
    /// 138003: a call with this user is already ongoing → 37003.
    DuplicateCall,
    /// 138005 (call initiations per number) → 37004; also 138002 (1000 concurrent calls) and
    /// 613 (call_permissions rate), which Twilio has no own code for (inference).
    RateLimited,
    /// 138012: connected business-initiated calls per user per 24 h reached → 37006.
    PairDailyLimit,
    /// 138013: business-initiated calling not available for the number's country → 37007.
    CountryNotAvailable,
    /// The sender cannot place calls: 138000 calling not enabled, 138014 temporarily disabled,
    /// 138015 cannot be enabled, 138018 prerequisites not met, 131055 number uses SIP, 131044
    /// no payment method → 37008, Twilio's "not a voice-enabled sender" (inference).
    SenderNotEnabled,
    /// The callee cannot be called: 138001 uncallable, 131030 not in a test number's allowed
    /// list → 13224, Twilio's "cannot call this number" (inference).
    Uncallable,
    /// 100: a bad parameter, SDP validation included; Dialtone built a request Meta refused →
    /// 12400 internal failure (inference).
    InvalidRequest,
    /// 138007: Dialtone did not apply Meta's SDP in time → 12400 (inference).
    ConnectTimeout,
    /// 138019–138023 (terminate webhook): setup, relay or media failures → 12400 (inference).
    MediaFailed,
    /// 138009, 138017: refusals of permission *requests* (messages API), never of calls →
    /// 12400 if one ever reaches a call (inference).
    PermissionRequestRefused,
    /// The access token or app permissions were refused (190, 10, 200, or HTTP 401/403 with an
    /// unknown code): an operator configuration error → 12400 (inference).
    Configuration,
    /// Meta is unavailable: HTTP 5xx, 138004 connection error, Graph codes 1/2, timeouts,
    /// unreachable → 20503 service unavailable (Dialtone's choice), retriable.
    Transient,
    /// Anything else → 12400.
    Unknown,
}

impl FailureReason {
    /// The Twilio code reported on the child call.
    pub const fn twilio_code(self) -> TwilioCode {
        match self {
            Self::NoPermission => TwilioCode::WHATSAPP_NO_PERMISSION,
            Self::DuplicateCall => TwilioCode::WHATSAPP_DUPLICATED_CALL,
            Self::RateLimited => TwilioCode::WHATSAPP_RATE_LIMIT,
            Self::PairDailyLimit => TwilioCode::WHATSAPP_DAILY_LIMIT,
            Self::CountryNotAvailable => TwilioCode::WHATSAPP_COUNTRY_NOT_AVAILABLE,
            Self::SenderNotEnabled => TwilioCode::WHATSAPP_INVALID_FROM,
            Self::Uncallable => TwilioCode::DIAL_NUMBER_NOT_SUPPORTED,
            Self::Transient => TwilioCode::SERVICE_UNAVAILABLE,
            Self::InvalidRequest
            | Self::ConnectTimeout
            | Self::MediaFailed
            | Self::PermissionRequestRefused
            | Self::Configuration
            | Self::Unknown => TwilioCode::INTERNAL_FAILURE,
        }
    }

    /// Whether the same request may succeed if sent again later. Safe for idempotent requests
    /// (`call_permissions`, `terminate`); a `connect` that timed out may have created a call,
    /// so the IO layer must not resend it blindly (Meta would answer 138003 or ring twice).
    pub const fn retriable(self) -> bool {
        matches!(self, Self::Transient)
    }
}

/// Every Graph error code this crate knows, with its reason (reference §5.1).
pub const GRAPH_CODES: &[(u32, FailureReason)] = &[
    (100, FailureReason::InvalidRequest),
    (613, FailureReason::RateLimited),
    (131_030, FailureReason::Uncallable),
    (131_044, FailureReason::SenderNotEnabled),
    (131_055, FailureReason::SenderNotEnabled),
    (138_000, FailureReason::SenderNotEnabled),
    (138_001, FailureReason::Uncallable),
    (138_002, FailureReason::RateLimited),
    (138_003, FailureReason::DuplicateCall),
    (138_004, FailureReason::Transient),
    (138_005, FailureReason::RateLimited),
    (138_006, FailureReason::NoPermission),
    (138_007, FailureReason::ConnectTimeout),
    (138_009, FailureReason::PermissionRequestRefused),
    (138_012, FailureReason::PairDailyLimit),
    (138_013, FailureReason::CountryNotAvailable),
    (138_014, FailureReason::SenderNotEnabled),
    (138_015, FailureReason::SenderNotEnabled),
    (138_017, FailureReason::PermissionRequestRefused),
    (138_018, FailureReason::SenderNotEnabled),
    (138_019, FailureReason::MediaFailed),
    (138_020, FailureReason::MediaFailed),
    (138_021, FailureReason::MediaFailed),
    (138_022, FailureReason::MediaFailed),
    (138_023, FailureReason::MediaFailed),
    // Generic Graph codes: 1 unknown / 2 service (temporary), 190 bad token, 10/200 permissions.
    (1, FailureReason::Transient),
    (2, FailureReason::Transient),
    (10, FailureReason::Configuration),
    (190, FailureReason::Configuration),
    (200, FailureReason::Configuration),
];

/// The reason for a Graph error code, if the code is known.
pub fn map_graph_code(code: u32) -> Option<FailureReason> {
    GRAPH_CODES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, reason)| *reason)
}

/// The HTTP status Meta answers a Graph calling error with (reference §5.1; 400 when the
/// table gives none); for the simulator.
pub const fn http_status(code: u32) -> u16 {
    match code {
        613 | 138_002 | 138_005 => 429,
        138_000 | 138_006 | 190 => 401,
        10 | 200 => 403,
        138_004 | 138_007 | 1 | 2 => 500,
        _ => 400,
    }
}

/// A classified failure: what the engine reports and what the connector does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The kind of failure.
    pub reason: FailureReason,
    /// The Twilio code (from the reason).
    pub code: TwilioCode,
    /// Notification text: Meta's code, message and details when there were any.
    pub message: String,
    /// Meta's code, when Meta sent one.
    pub graph_code: Option<u32>,
}

impl Failure {
    pub(crate) fn new(reason: FailureReason, message: String, graph_code: Option<u32>) -> Self {
        Self {
            reason,
            code: reason.twilio_code(),
            message,
            graph_code,
        }
    }

    /// Classifies a Graph error answered with HTTP `status` (0 when there was no HTTP status,
    /// as for `errors[]` in webhooks).
    pub fn from_graph(status: u16, error: &GraphError) -> Self {
        let reason = error
            .code
            .and_then(map_graph_code)
            .unwrap_or_else(|| reason_for_status(status));
        let mut message = match error.code {
            Some(code) => format!("WhatsApp error {code}"),
            None => "WhatsApp error".to_owned(),
        };
        if !error.message.is_empty() {
            message.push_str(": ");
            message.push_str(&error.message);
        }
        if let Some(details) = error.details().filter(|d| *d != error.message) {
            message.push_str(" (");
            message.push_str(details);
            message.push(')');
        }
        Self::new(reason, message, error.code)
    }

    /// Classifies a non-2xx answer without an error body.
    pub fn from_status(status: u16) -> Self {
        Self::new(
            reason_for_status(status),
            format!("WhatsApp Graph API answered HTTP {status}"),
            None,
        )
    }

    /// Whether a retry may help (see [`FailureReason::retriable`]).
    pub const fn retriable(&self) -> bool {
        self.reason.retriable()
    }

    /// The engine step for a leg this failure ended.
    pub fn leg_outcome(&self) -> LegOutcome {
        LegOutcome::Failed {
            code: self.code,
            message: self.message.clone(),
        }
    }
}

fn reason_for_status(status: u16) -> FailureReason {
    match status {
        500..=599 => FailureReason::Transient,
        429 => FailureReason::RateLimited,
        401 | 403 => FailureReason::Configuration,
        _ => FailureReason::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::GraphFailure;

    fn graph(status: u16, code: u32) -> Failure {
        Failure::from_graph(
            status,
            &GraphError {
                code: Some(code),
                message: "m".to_owned(),
                ..GraphError::default()
            },
        )
    }

    #[test]
    fn every_documented_code_maps_to_its_twilio_code() {
        let expected: &[(u32, u32, bool)] = &[
            (100, 12400, false),
            (613, 37004, false),
            (131_030, 13224, false),
            (131_044, 37008, false),
            (131_055, 37008, false),
            (138_000, 37008, false),
            (138_001, 13224, false),
            (138_002, 37004, false),
            (138_003, 37003, false),
            (138_004, 20503, true),
            (138_005, 37004, false),
            (138_006, 37000, false),
            (138_007, 12400, false),
            (138_009, 12400, false),
            (138_012, 37006, false),
            (138_013, 37007, false),
            (138_014, 37008, false),
            (138_015, 37008, false),
            (138_017, 12400, false),
            (138_018, 37008, false),
            (138_019, 12400, false),
            (138_020, 12400, false),
            (138_021, 12400, false),
            (138_022, 12400, false),
            (138_023, 12400, false),
            (1, 20503, true),
            (2, 20503, true),
            (10, 12400, false),
            (190, 12400, false),
            (200, 12400, false),
        ];
        assert_eq!(expected.len(), GRAPH_CODES.len());
        for &(code, twilio, retriable) in expected {
            let failure = graph(400, code);
            assert_eq!(failure.code, TwilioCode(twilio), "Graph code {code}");
            assert_eq!(failure.retriable(), retriable, "Graph code {code}");
            assert_eq!(failure.graph_code, Some(code));
        }
    }

    #[test]
    fn http_statuses_follow_the_reference() {
        let expected: &[(u32, u16)] = &[
            (100, 400),
            (613, 429),
            (131_030, 400),
            (131_055, 400),
            (138_000, 401),
            (138_001, 400),
            (138_002, 429),
            (138_003, 400),
            (138_004, 500),
            (138_005, 429),
            (138_006, 401),
            (138_007, 500),
            (138_009, 400),
            (138_012, 400),
            (138_013, 400),
            (138_014, 400),
        ];
        for &(code, status) in expected {
            assert_eq!(http_status(code), status, "Graph code {code}");
        }
    }

    #[test]
    fn headline_reasons_are_exact() {
        assert_eq!(graph(401, 138_006).reason, FailureReason::NoPermission);
        assert_eq!(graph(400, 138_003).reason, FailureReason::DuplicateCall);
        assert_eq!(graph(429, 138_002).reason, FailureReason::RateLimited);
        assert_eq!(graph(429, 138_005).reason, FailureReason::RateLimited);
        assert_eq!(graph(400, 138_012).reason, FailureReason::PairDailyLimit);
        assert_eq!(
            graph(400, 138_013).reason,
            FailureReason::CountryNotAvailable
        );
        assert_eq!(graph(500, 138_007).reason, FailureReason::ConnectTimeout);
    }

    #[test]
    fn unknown_codes_fall_back_on_the_http_status() {
        assert_eq!(graph(503, 999_999).reason, FailureReason::Transient);
        assert_eq!(graph(503, 999_999).code, TwilioCode::SERVICE_UNAVAILABLE);
        assert_eq!(graph(429, 999_999).reason, FailureReason::RateLimited);
        assert_eq!(graph(401, 999_999).reason, FailureReason::Configuration);
        assert_eq!(graph(400, 999_999).reason, FailureReason::Unknown);
        assert_eq!(graph(400, 999_999).code, TwilioCode::INTERNAL_FAILURE);
    }

    #[test]
    fn messages_name_the_code_and_details() {
        let error = GraphError::parse(
            br#"{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,
                "error_data":{"details":"SDP has no fingerprint"}}}"#,
        )
        .expect("error body");
        let failure = Failure::from_graph(400, &error);
        assert_eq!(
            failure.message,
            "WhatsApp error 100: Invalid parameter (SDP has no fingerprint)"
        );
        assert_eq!(
            failure.leg_outcome(),
            LegOutcome::Failed {
                code: TwilioCode::INTERNAL_FAILURE,
                message: "WhatsApp error 100: Invalid parameter (SDP has no fingerprint)"
                    .to_owned()
            }
        );
    }

    #[test]
    fn transport_failures_are_transient_20503() {
        for failure in [
            GraphFailure::Timeout,
            GraphFailure::Unreachable {
                reason: "connection refused".to_owned(),
            },
            GraphFailure::Http { status: 502 },
        ] {
            let classified = failure.classify();
            assert_eq!(classified.code, TwilioCode(20503), "{failure}");
            assert!(classified.retriable());
        }
        assert_eq!(
            GraphFailure::Timeout.classify().message,
            "WhatsApp Graph API did not answer in time"
        );
        let odd = GraphFailure::UnexpectedBody {
            status: 200,
            reason: "no call id".to_owned(),
        }
        .classify();
        assert_eq!(odd.code, TwilioCode::INTERNAL_FAILURE);
        assert!(!odd.retriable());
    }
}
