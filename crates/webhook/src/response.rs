//! Judging a TwiML response: what the engine runs, or which Twilio error it records.
//!
//! Rules (Twilio's "what is accepted as a TwiML response"), checked in this order:
//! 1. a status outside 2xx is 11200 ("HTTP retrieval failure": the code Twilio's Debugger shows
//!    for application 4xx/5xx responses; 11217 is reserved by Twilio but rarely reported), and
//!    an unfollowed 3xx is 11216 (invalid redirect: the client follows valid ones);
//! 2. an empty body, or one of only whitespace, is 11770;
//! 3. the media type (parameters such as `charset` ignored, any case): `text/xml`,
//!    `application/xml` and `text/html` are TwiML; `text/plain` is run if it is valid TwiML and
//!    otherwise read aloud then hung up (the engine decides, having the parser); `audio/*` is
//!    played then hung up; a missing type or any other type is 12300;
//! 4. a TwiML or text body over 64 kB (65536 bytes) is 11750. The client reads at most
//!    [`BODY_READ_LIMIT`] bytes, so a 10 MB body costs no more than that.
//!
//! Status-callback responses are ignored by Twilio except that non-2xx ones are reported.

use dialtone_types::TwilioCode;

use crate::overrides::RetryTrigger;
use crate::transport::TransportFailure;

/// Largest TwiML body accepted: 64 kB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How many body bytes the client should read: one more than the cap, to detect an excess.
pub const BODY_READ_LIMIT: usize = MAX_BODY_BYTES + 1;

/// What the HTTP client received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedResponse<'a> {
    /// HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The body, or its first [`BODY_READ_LIMIT`] bytes.
    pub body: &'a [u8],
}

/// A usable response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched<'a> {
    /// Parse and run as TwiML.
    Twiml(&'a [u8]),
    /// `text/plain`: run if it is valid TwiML, otherwise say the text and hang up.
    PlainText(&'a [u8]),
    /// An audio file: play the URL to the caller, then hang up.
    Audio {
        /// The media type, lowercase, e.g. `audio/mpeg`.
        media_type: String,
    },
}

/// Why a fetch produced nothing to run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchFailure {
    /// The request got no response.
    #[error(transparent)]
    Transport(#[from] TransportFailure),
    /// A 1xx, 4xx or 5xx status.
    #[error("the application answered HTTP {status}")]
    ErrorStatus {
        /// The status code.
        status: u16,
    },
    /// A 3xx that the client did not follow.
    #[error("the application answered HTTP {status} without a redirect that could be followed")]
    UnfollowedRedirect {
        /// The status code.
        status: u16,
    },
    /// Empty or whitespace-only body.
    #[error("the response body is empty")]
    EmptyBody,
    /// No `Content-Type` header.
    #[error("the response has no Content-Type")]
    MissingContentType,
    /// A `Content-Type` Twilio does not run.
    #[error("Content-Type {media_type:?} is not TwiML, text or audio")]
    UnsupportedContentType {
        /// The media type, lowercase.
        media_type: String,
    },
    /// Body over 64 kB.
    #[error("the response body is over 64 kB ({len} bytes read)")]
    TooLarge {
        /// Bytes read (at most [`BODY_READ_LIMIT`]).
        len: usize,
    },
}

impl FetchFailure {
    /// The Twilio code recorded for this failure (and sent as `ErrorCode` to a fallback URL).
    pub const fn code(&self) -> TwilioCode {
        match self {
            Self::Transport(failure) => failure.code(),
            Self::ErrorStatus { .. } => TwilioCode::HTTP_RETRIEVAL_FAILURE,
            Self::UnfollowedRedirect { .. } => TwilioCode::HTTP_INVALID_REDIRECT,
            Self::EmptyBody => TwilioCode::EMPTY_RESPONSE,
            Self::MissingContentType | Self::UnsupportedContentType { .. } => {
                TwilioCode::INVALID_CONTENT_TYPE
            }
            Self::TooLarge { .. } => TwilioCode::DOCUMENT_TOO_LARGE,
        }
    }

    /// The retry-policy entry that may retry this failure, if any.
    pub const fn retry_trigger(&self) -> Option<RetryTrigger> {
        match self {
            Self::Transport(failure) => failure.retry_trigger(),
            Self::ErrorStatus { status: 400..=499 } => Some(RetryTrigger::Status4xx),
            Self::ErrorStatus { status: 500..=599 } => Some(RetryTrigger::Status5xx),
            _ => None,
        }
    }
}

/// Classifies the response to a TwiML fetch (voice URL, action, redirect, fallback, whisper).
pub fn classify_response<'a>(response: &ReceivedResponse<'a>) -> Result<Fetched<'a>, FetchFailure> {
    check_status(response.status)?;
    let body = response.body;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(FetchFailure::EmptyBody);
    }
    let media_type = media_type(response.content_type).ok_or(FetchFailure::MissingContentType)?;
    let fetched = match media_type.as_str() {
        "text/xml" | "application/xml" | "text/html" => Fetched::Twiml(body),
        "text/plain" => Fetched::PlainText(body),
        audio if audio.starts_with("audio/") && audio.len() > "audio/".len() => {
            return Ok(Fetched::Audio { media_type });
        }
        _ => return Err(FetchFailure::UnsupportedContentType { media_type }),
    };
    if body.len() > MAX_BODY_BYTES {
        return Err(FetchFailure::TooLarge { len: body.len() });
    }
    Ok(fetched)
}

/// Classifies the response to a status callback: its body is ignored, only the status counts.
pub fn classify_callback_response(status: u16) -> Result<(), FetchFailure> {
    check_status(status)
}

fn check_status(status: u16) -> Result<(), FetchFailure> {
    match status {
        200..=299 => Ok(()),
        300..=399 => Err(FetchFailure::UnfollowedRedirect { status }),
        _ => Err(FetchFailure::ErrorStatus { status }),
    }
}

/// The media type of a `Content-Type` value, lowercase and without parameters; `None` when
/// absent or blank.
fn media_type(content_type: Option<&str>) -> Option<String> {
    let essence = content_type?.split(';').next().unwrap_or("").trim();
    (!essence.is_empty()).then(|| essence.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &[u8] = b"<Response><Say>hi</Say></Response>";

    fn response(
        status: u16,
        content_type: Option<&'static str>,
        body: &'static [u8],
    ) -> ReceivedResponse<'static> {
        ReceivedResponse {
            status,
            content_type,
            body,
        }
    }

    fn code_of(status: u16, content_type: Option<&'static str>, body: &'static [u8]) -> u32 {
        classify_response(&response(status, content_type, body))
            .unwrap_err()
            .code()
            .0
    }

    #[test]
    fn twiml_types_are_accepted() {
        for ct in [
            "text/xml",
            "application/xml",
            "text/html",
            "TEXT/XML; charset=utf-8",
            " application/xml ;q=1",
        ] {
            assert_eq!(
                classify_response(&response(200, Some(ct), DOC)),
                Ok(Fetched::Twiml(DOC)),
                "{ct}"
            );
        }
        assert_eq!(
            classify_response(&response(201, Some("text/xml"), DOC)),
            Ok(Fetched::Twiml(DOC))
        );
    }

    #[test]
    fn plain_text_and_audio() {
        assert_eq!(
            classify_response(&response(
                200,
                Some("text/plain; charset=utf-8"),
                b"Hello there"
            )),
            Ok(Fetched::PlainText(b"Hello there"))
        );
        assert_eq!(
            classify_response(&response(200, Some("Audio/MPEG"), b"ID3")),
            Ok(Fetched::Audio {
                media_type: "audio/mpeg".to_owned()
            })
        );
        // Audio is played from its URL, so its size is not capped.
        let big = vec![1_u8; BODY_READ_LIMIT];
        assert_eq!(
            classify_response(&ReceivedResponse {
                status: 200,
                content_type: Some("audio/wav"),
                body: &big
            }),
            Ok(Fetched::Audio {
                media_type: "audio/wav".to_owned()
            })
        );
    }

    #[test]
    fn failures_carry_twilio_codes() {
        assert_eq!(code_of(404, Some("text/xml"), DOC), 11200);
        assert_eq!(code_of(500, Some("text/html"), b"oops"), 11200);
        assert_eq!(code_of(101, None, b""), 11200);
        assert_eq!(code_of(302, None, b""), 11216);
        assert_eq!(code_of(200, Some("text/xml"), b""), 11770);
        assert_eq!(code_of(200, Some("text/xml"), b" \r\n\t"), 11770);
        assert_eq!(code_of(200, None, DOC), 12300);
        assert_eq!(code_of(200, Some("  "), DOC), 12300);
        assert_eq!(code_of(200, Some("application/json"), b"{}"), 12300);
        assert_eq!(code_of(200, Some("audio/"), b"x"), 12300);
        assert_eq!(
            classify_response(&response(200, Some("image/png"), b"x")),
            Err(FetchFailure::UnsupportedContentType {
                media_type: "image/png".to_owned()
            })
        );
    }

    #[test]
    fn body_cap_is_64_kb() {
        let at_cap = vec![b'a'; MAX_BODY_BYTES];
        let over = vec![b'a'; BODY_READ_LIMIT];
        let ok = ReceivedResponse {
            status: 200,
            content_type: Some("text/xml"),
            body: &at_cap,
        };
        assert_eq!(classify_response(&ok), Ok(Fetched::Twiml(&at_cap)));
        let too_big = ReceivedResponse {
            status: 200,
            content_type: Some("text/plain"),
            body: &over,
        };
        let err = classify_response(&too_big).unwrap_err();
        assert_eq!(err, FetchFailure::TooLarge { len: 65537 });
        assert_eq!(err.code(), TwilioCode(11750));
    }

    #[test]
    fn retry_triggers_follow_status_classes() {
        assert_eq!(
            FetchFailure::ErrorStatus { status: 404 }.retry_trigger(),
            Some(RetryTrigger::Status4xx)
        );
        assert_eq!(
            FetchFailure::ErrorStatus { status: 503 }.retry_trigger(),
            Some(RetryTrigger::Status5xx)
        );
        assert_eq!(
            FetchFailure::ErrorStatus { status: 101 }.retry_trigger(),
            None
        );
        assert_eq!(FetchFailure::EmptyBody.retry_trigger(), None);
        assert_eq!(
            FetchFailure::from(TransportFailure::ConnectionRefused).retry_trigger(),
            Some(RetryTrigger::Connect)
        );
        assert_eq!(
            FetchFailure::from(TransportFailure::BadHost).code(),
            TwilioCode(11210)
        );
    }

    #[test]
    fn callbacks_only_check_the_status() {
        assert_eq!(classify_callback_response(204), Ok(()));
        assert_eq!(classify_callback_response(200), Ok(()));
        assert_eq!(
            classify_callback_response(500).unwrap_err().code(),
            TwilioCode(11200)
        );
    }
}
