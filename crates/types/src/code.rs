//! Twilio's numeric error and warning codes.

use std::fmt;

/// How serious a diagnostic or notification is; Twilio's Notification `log` is 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The document or request could not be used.
    Error,
    /// Tolerated, but probably not what was meant.
    Warning,
}

impl Level {
    /// Twilio's Notification `log` value: 0 error, 1 warning.
    pub const fn log_value(self) -> u8 {
        match self {
            Self::Error => 0,
            Self::Warning => 1,
        }
    }
}

/// A Twilio error or warning code, e.g. `12100` or `37000`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct TwilioCode(pub u32);

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal;)*) => {
        impl TwilioCode {
            $($(#[$doc])* pub const $name: Self = Self($value);)*
        }
    };
}

codes! {
    /// Authentication required or failed.
    AUTHENTICATE = 20003;
    /// The requested resource was not found.
    NOT_FOUND = 20404;
    /// Invalid URL format.
    INVALID_URL = 11100;
    /// Invalid URL: the REST API's code for a URL parameter (and a TwiML URL attribute that
    /// breaks the same rule, such as an underscore in the host).
    INVALID_URL_PARAMETER = 21205;
    /// HTTP retrieval failure.
    HTTP_RETRIEVAL_FAILURE = 11200;
    /// HTTP connection failure (connect or total timeout).
    HTTP_CONNECTION_FAILURE = 11205;
    /// HTTP protocol violation.
    HTTP_PROTOCOL_VIOLATION = 11206;
    /// HTTP bad host name.
    HTTP_BAD_HOST_NAME = 11210;
    /// Too many HTTP redirects.
    HTTP_TOO_MANY_REDIRECTS = 11215;
    /// Invalid HTTP redirect.
    HTTP_INVALID_REDIRECT = 11216;
    /// HTTP error response code.
    HTTP_ERROR_RESPONSE = 11217;
    /// TLS handshake error.
    HTTP_TLS_HANDSHAKE = 11220;
    /// Invalid connection-override retry policy.
    INVALID_RETRY_POLICY = 11243;
    /// TwiML response body too large (over 64 kB).
    DOCUMENT_TOO_LARGE = 11750;
    /// Empty response body.
    EMPTY_RESPONSE = 11770;
    /// Document parse failure.
    PARSE_FAILURE = 12100;
    /// The root element must be Response.
    ROOT_NOT_RESPONSE = 12102;
    /// Schema validation warning.
    SCHEMA_WARNING = 12200;
    /// Invalid Content-Type.
    INVALID_CONTENT_TYPE = 12300;
    /// Internal failure.
    INTERNAL_FAILURE = 12400;
    /// Conference noun mixed with Number nouns.
    CONFERENCE_WITH_NUMBER = 13000;
    /// Dial: cannot dial out from a Dial call segment.
    DIAL_IN_DIAL_SEGMENT = 13201;
    /// Dial: invalid method value.
    DIAL_INVALID_METHOD = 13210;
    /// Dial: invalid timeout value.
    DIAL_INVALID_TIMEOUT = 13212;
    /// Dial: invalid hangupOnStar value.
    DIAL_INVALID_HANGUP_ON_STAR = 13213;
    /// Dial: invalid callerId value.
    DIAL_INVALID_CALLER_ID = 13214;
    /// Dial: invalid nested element.
    DIAL_INVALID_NESTED_ELEMENT = 13215;
    /// Dial: invalid timeLimit value.
    DIAL_INVALID_TIME_LIMIT = 13216;
    /// Dial: invalid record value.
    DIAL_INVALID_RECORD = 13217;
    /// Dial: invalid sequential value.
    DIAL_INVALID_SEQUENTIAL = 13218;
    /// Dial: invalid answerOnBridge value.
    DIAL_INVALID_ANSWER_ON_BRIDGE = 13219;
    /// Dial: invalid ringTone value.
    DIAL_INVALID_RING_TONE = 13220;
    /// Dial->Number: invalid method value.
    DIAL_NUMBER_INVALID_METHOD = 13221;
    /// Dial->Number: invalid sendDigits value.
    DIAL_NUMBER_INVALID_SEND_DIGITS = 13222;
    /// Dial: invalid phone number format.
    DIAL_INVALID_PHONE_NUMBER = 13223;
    /// Dial: the number is not supported or invalid (Dialtone: no PSTN legs).
    DIAL_NUMBER_NOT_SUPPORTED = 13224;
    /// Dial: call blocked (Dialtone: a WhatsApp call may not be bridged to the phone network).
    DIAL_CALL_BLOCKED = 13225;
    /// Dial->SIP: invalid SIP URI.
    DIAL_SIP_INVALID_URI = 13243;
    /// Dial: invalid callerId, too long.
    DIAL_CALLER_ID_TOO_LONG = 13248;
    /// Dial: invalid recordingStatusCallbackEvent.
    DIAL_INVALID_RECORDING_EVENT = 13621;
    /// TwiML verb not supported.
    VERB_NOT_SUPPORTED = 13750;
    /// Stream: WebSocket connection timeout (no answer to TCP, TLS or the upgrade).
    STREAM_CONNECT_TIMEOUT = 31901;
    /// Stream: WebSocket connection refused.
    STREAM_CONNECTION_REFUSED = 31902;
    /// Stream: WebSocket broken pipe (the socket died mid-stream).
    STREAM_BROKEN_PIPE = 31903;
    /// Stream: WebSocket host unreachable (DNS or route failure).
    STREAM_HOST_UNREACHABLE = 31904;
    /// Stream: WebSocket TLS error.
    STREAM_TLS_ERROR = 31910;
    /// Stream: WebSocket handshake error (the server did not answer 101).
    STREAM_HANDSHAKE_ERROR = 31920;
    /// Stream: the application closed the WebSocket.
    STREAM_CLOSE_ERROR = 31921;
    /// Stream: URL scheme not supported (not `wss`).
    STREAM_URL_SCHEME = 31922;
    /// Stream: malformed URL.
    STREAM_MALFORMED_URL = 31923;
    /// Stream: WebSocket protocol error.
    STREAM_PROTOCOL_ERROR = 31924;
    /// Stream: buffer overflow (audio discarded).
    STREAM_BUFFER_OVERFLOW = 31930;
    /// Stream: invalid track configuration.
    STREAM_INVALID_TRACK = 31941;
    /// Stream: malformed message (a binary frame, an undecodable payload).
    STREAM_MALFORMED_MESSAGE = 31950;
    /// Stream: invalid message (not JSON, unknown event, wrong `streamSid`...).
    STREAM_INVALID_MESSAGE = 31951;
    /// Service unavailable (Dialtone: the WhatsApp side answered 5xx or did not answer in time).
    SERVICE_UNAVAILABLE = 20503;
    /// Invalid call state for the requested update.
    INVALID_CALL_STATE = 21220;
    /// Twiml parameter over 4000 characters.
    TWIML_TOO_LONG = 32018;
    /// WhatsApp: call permission not granted by the consumer.
    WHATSAPP_NO_PERMISSION = 37000;
    /// WhatsApp: outbound calls not supported in this region.
    WHATSAPP_REGION_NOT_SUPPORTED = 37001;
    /// WhatsApp: duplicated call to the same consumer.
    WHATSAPP_DUPLICATED_CALL = 37003;
    /// WhatsApp: call rate limit exceeded.
    WHATSAPP_RATE_LIMIT = 37004;
    /// WhatsApp: more than five connected business-initiated calls in 24 hours.
    WHATSAPP_DAILY_LIMIT = 37006;
    /// WhatsApp: business-initiated calling not available in the sender's country.
    WHATSAPP_COUNTRY_NOT_AVAILABLE = 37007;
    /// WhatsApp: invalid from number (not a voice-enabled sender of the account).
    WHATSAPP_INVALID_FROM = 37008;
    /// WhatsApp: no voice application configured on the sender.
    WHATSAPP_NO_VOICE_APPLICATION = 37009;
}

impl TwilioCode {
    /// The documentation URL Twilio puts in `more_info`.
    pub fn more_info(self) -> String {
        format!("https://www.twilio.com/docs/errors/{}", self.0)
    }
}

impl fmt::Display for TwilioCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for TwilioCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TwilioCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_info_points_at_twilio_docs() {
        assert_eq!(
            TwilioCode::WHATSAPP_NO_PERMISSION.more_info(),
            "https://www.twilio.com/docs/errors/37000"
        );
        assert_eq!(Level::Warning.log_value(), 1);
    }
}
