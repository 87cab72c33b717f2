//! `<Play>` fetches: a plain `GET` (Twilio sends no request parameters), the body streamed
//! and cut at the size limit, redirects capped, the whole request under one timeout, and the
//! response's caching headers kept so the cache can honour them (reference §2.4):
//!
//! - `Cache-Control: no-store` → the clip is not kept (the next `<Play>` fetches again);
//! - `no-cache` → kept, but revalidated every time (`If-None-Match` / `If-Modified-Since`
//!   when the origin sent validators; `304 Not Modified` reuses the decoded clip);
//! - `max-age=N` (or `s-maxage`) → reused for N seconds, then revalidated;
//! - no caching header → reused for the configured default (Twilio "caches by default"; its
//!   exact behaviour without headers is UNCONFIRMED).
//!
//! The `Content-Type` decides the format (reference §2.3): `audio/mpeg` (and `audio/mp3`),
//! `audio/wav` / `audio/wave` / `audio/x-wav`, `audio/ulaw` (raw 8 kHz μ-law). AIFF and GSM,
//! which Twilio accepts, are refused with 13420 and a message saying so. A missing type or
//! `application/octet-stream` (common on object stores) is sniffed from the first bytes;
//! any other type is 13420 "Play: Invalid Content-Type".

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use dialtone_types::TwilioCode;

use crate::error::PromptError;

/// How a fetched clip may be reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Freshness {
    /// Reused without asking the origin until then (`None`: never, revalidate each time).
    pub fresh_until: Option<Instant>,
    /// The lifetime the origin gave (`None`: `no-cache`), renewed by a `304` that repeats
    /// no `Cache-Control` of its own.
    pub ttl: Option<Duration>,
    /// `ETag` for `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified` for `If-Modified-Since`.
    pub last_modified: Option<String>,
}

impl Freshness {
    pub fn is_fresh(&self, now: Instant) -> bool {
        self.fresh_until.is_some_and(|t| now < t)
    }

    /// The same rule, renewed from now (after a `304`).
    pub fn renewed(&self) -> Freshness {
        Freshness {
            fresh_until: self.ttl.map(|t| Instant::now() + t),
            ..self.clone()
        }
    }

    pub fn has_validator(&self) -> bool {
        self.etag.is_some() || self.last_modified.is_some()
    }
}

/// What the response's headers allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Do not keep.
    NoStore,
    /// Keep with this freshness.
    Store(Freshness),
}

/// Reads `Cache-Control`, `ETag` and `Last-Modified`.
pub(crate) fn policy(headers: &reqwest::header::HeaderMap, default_ttl: Duration) -> Policy {
    let now = Instant::now();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut no_cache = false;
    let mut max_age: Option<u64> = None;
    for value in headers.get_all("cache-control") {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            let (name, arg) = directive
                .split_once('=')
                .map_or((directive.as_str(), None), |(n, a)| {
                    (n.trim(), Some(a.trim().trim_matches('"')))
                });
            match name {
                // Twilio is a shared cache: `private` responses are not kept either.
                "no-store" | "private" => return Policy::NoStore,
                "no-cache" => no_cache = true,
                "max-age" | "s-maxage" => {
                    if let Some(n) = arg.and_then(|a| a.parse::<u64>().ok()) {
                        max_age = Some(max_age.map_or(n, |m| m.min(n)));
                    }
                }
                _ => {}
            }
        }
    }
    let ttl = if no_cache {
        None
    } else {
        // No lifetime given (no header, or only e.g. `public`): the default.
        Some(max_age.map_or(default_ttl, Duration::from_secs))
    };
    let ttl = ttl.filter(|t| !t.is_zero());
    Policy::Store(Freshness {
        fresh_until: ttl.map(|t| now + t),
        ttl,
        etag: header("etag"),
        last_modified: header("last-modified"),
    })
}

/// The response's media type, lower case without parameters (`""` when absent).
pub(crate) fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// What a body is, by `Content-Type` (then sniffing for a missing or generic type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Wav,
    Mp3,
    Ulaw,
}

/// The format a type names, or the 13420 error.
pub(crate) fn kind(content_type: &str) -> Result<Option<Kind>, PromptError> {
    match content_type {
        "audio/wav" | "audio/wave" | "audio/x-wav" | "audio/vnd.wave" => Ok(Some(Kind::Wav)),
        "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg-3" => Ok(Some(Kind::Mp3)),
        "audio/ulaw" | "audio/x-ulaw" => Ok(Some(Kind::Ulaw)),
        "" | "application/octet-stream" | "binary/octet-stream" => Ok(None),
        "audio/aiff" | "audio/x-aifc" | "audio/x-aiff" | "audio/x-gsm" | "audio/gsm" => {
            Err(PromptError::unsupported(format!(
                "Play: {content_type} is not decoded by Dialtone (WAV, MP3 and audio/ulaw are)"
            )))
        }
        other => Err(PromptError::unsupported(format!(
            "Play: Invalid Content-Type {other:?}: Play requires an audio Content-Type"
        ))),
    }
}

/// The format of a body with no usable type, from its first bytes.
pub(crate) fn sniff(body: &[u8]) -> Result<Kind, PromptError> {
    if body.starts_with(b"RIFF") {
        Ok(Kind::Wav)
    } else if body.starts_with(b"ID3") || (body.len() > 1 && body[0] == 0xFF && body[1] >= 0xE0) {
        Ok(Kind::Mp3)
    } else {
        Err(PromptError::unsupported(
            "Play: Invalid Content-Type: no audio Content-Type and the body is neither WAV nor MP3",
        ))
    }
}

/// Why a request failed, in words, with the underlying causes.
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The Twilio code of a failed request (the webhook client's mapping: refusals and timeouts
/// 11205, name resolution 11210, redirects 11215, TLS 11220, the rest 11200).
pub(crate) fn fetch_error(url: &str, e: &reqwest::Error, timeout: Duration) -> PromptError {
    let detail = describe(e);
    let lower = detail.to_ascii_lowercase();
    let code = if e.is_timeout() {
        return PromptError::fetch(
            TwilioCode::HTTP_CONNECTION_FAILURE,
            format!(
                "HTTP connection failure: GET {url} timed out after {} ms",
                timeout.as_millis()
            ),
        );
    } else if e.is_redirect() {
        TwilioCode::HTTP_TOO_MANY_REDIRECTS
    } else if e.is_builder() {
        TwilioCode::INVALID_URL
    } else if lower.contains("dns error")
        || lower.contains("failed to lookup")
        || lower.contains("name or service not known")
    {
        TwilioCode::HTTP_BAD_HOST_NAME
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        TwilioCode::HTTP_TLS_HANDSHAKE
    } else if e.is_connect() {
        TwilioCode::HTTP_CONNECTION_FAILURE
    } else {
        TwilioCode::HTTP_RETRIEVAL_FAILURE
    };
    PromptError::fetch(code, format!("GET {url} failed: {detail}"))
}

/// The body, streamed, stopping with 11200 as soon as it passes `max` bytes.
pub(crate) async fn read_body(
    mut response: reqwest::Response,
    max: u64,
) -> Result<Bytes, PromptError> {
    let too_large = |n: u64| {
        PromptError::fetch(
            TwilioCode::HTTP_RETRIEVAL_FAILURE,
            format!(
                "HTTP retrieval failure: the body is larger than the {max}-byte limit ({n} bytes)"
            ),
        )
    };
    if let Some(n) = response.content_length()
        && n > max
    {
        return Err(too_large(n));
    }
    let initial = response.content_length().unwrap_or(64 * 1024).min(max);
    let mut body = BytesMut::with_capacity(usize::try_from(initial).unwrap_or(0));
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let n = body.len() as u64 + chunk.len() as u64;
                if n > max {
                    return Err(too_large(n));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.freeze()),
            Err(e) => {
                let code = if e.is_timeout() {
                    TwilioCode::HTTP_CONNECTION_FAILURE
                } else {
                    TwilioCode::HTTP_RETRIEVAL_FAILURE
                };
                return Err(PromptError::fetch(
                    code,
                    format!("reading the body failed: {}", describe(&e)),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cache_control_is_read() {
        let day = Duration::from_secs(86_400);
        assert_eq!(
            policy(&headers(&[("cache-control", "no-store")]), day),
            Policy::NoStore
        );
        let Policy::Store(f) = policy(
            &headers(&[("cache-control", "public, no-cache"), ("etag", "\"x\"")]),
            day,
        ) else {
            panic!()
        };
        assert!(!f.is_fresh(Instant::now()) && f.has_validator());
        let Policy::Store(f) = policy(&headers(&[("cache-control", "max-age=60")]), day) else {
            panic!()
        };
        let until = f.fresh_until.unwrap();
        assert!(until > Instant::now() + Duration::from_secs(50));
        assert!(until < Instant::now() + Duration::from_secs(61));
        let Policy::Store(f) = policy(&headers(&[("cache-control", "max-age=0")]), day) else {
            panic!()
        };
        assert!(!f.is_fresh(Instant::now()));
        let Policy::Store(f) = policy(&HeaderMap::new(), day) else {
            panic!()
        };
        assert!(f.is_fresh(Instant::now() + Duration::from_secs(3600)));
    }

    #[test]
    fn content_types() {
        assert_eq!(kind("audio/x-wav").unwrap(), Some(Kind::Wav));
        assert_eq!(kind("audio/mpeg").unwrap(), Some(Kind::Mp3));
        assert_eq!(kind("").unwrap(), None);
        assert_eq!(kind("text/html").unwrap_err().code().0, 13420);
        assert_eq!(kind("audio/x-aiff").unwrap_err().code().0, 13420);
        assert_eq!(sniff(b"RIFF....").unwrap(), Kind::Wav);
        assert_eq!(sniff(b"ID3\x04").unwrap(), Kind::Mp3);
        assert!(sniff(b"<html>").is_err());
    }
}
