//! Describing one webhook request: method, final URL, headers and body.
//!
//! The runtime sends these with an HTTP client; everything that decides what goes on the wire
//! is here so it can be tested without sockets. POST requests carry the parameters as an
//! `application/x-www-form-urlencoded` body and sign URL + sorted parameters; GET requests
//! append the parameters to the query string (after any query the URL already has) and sign
//! that final URL alone, as Twilio does. Twilio's `X-Home-Region` header is not sent: Dialtone
//! has no regions.
//!
//! The URL requested and signed is the configured one (without its `#` fragment) in the form
//! the HTTP client actually puts on the wire, because that is the URL the application rebuilds
//! from the request it receives and hands to its validator: scheme and host lowercased, a
//! default port dropped, an empty path written as `/`, non-ASCII percent-encoded (the WHATWG URL
//! rules of the `url` crate, which reqwest also applies). An empty query's `?` is dropped as
//! well, since twilio-python's validator drops it. A URL already in that form, as nearly every
//! configured URL is, is signed byte for byte as configured.

use std::fmt;
use std::str::FromStr;

use dialtone_types::TwilioCode;

use crate::overrides::{ConnectionOverrides, OverrideError, split_configured_url};
use crate::signature::{SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER, SigningKey};
use crate::url_text;

/// Header carrying the caller-chosen token that is the same on every retry of one webhook.
pub const IDEMPOTENCY_TOKEN_HEADER: &str = "I-Twilio-Idempotency-Token";
/// `User-Agent` Twilio sends on webhooks.
pub const USER_AGENT: &str = "TwilioProxy/1.1";
/// Content type of POST bodies.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// The HTTP methods Twilio uses for webhooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Method {
    /// Parameters in the query string.
    Get,
    /// Parameters in a form body; Twilio's default.
    #[default]
    Post,
}

impl Method {
    /// The method as written on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A method other than GET or POST.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("webhook method must be GET or POST, got {0:?}")]
pub struct InvalidMethod(pub String);

impl FromStr for Method {
    type Err = InvalidMethod;

    /// `GET` or `POST`, any ASCII case (Twilio's API accepts `get`/`post`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("GET") {
            Ok(Self::Get)
        } else if s.eq_ignore_ascii_case("POST") {
            Ok(Self::Post)
        } else {
            Err(InvalidMethod(s.to_owned()))
        }
    }
}

/// Why a webhook request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// The URL is not an absolute `http`/`https` URL with a host.
    #[error("invalid webhook URL {url:?}: {reason}")]
    InvalidUrl {
        /// The configured URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The connection-override fragment is invalid.
    #[error(transparent)]
    Overrides(#[from] OverrideError),
    /// The idempotency token is empty or not visible ASCII, so it cannot be a header value.
    #[error("idempotency token must be non-empty visible ASCII")]
    InvalidIdempotencyToken,
}

impl RequestError {
    /// The Twilio code for the notification: 11100 for a bad URL, 11243 for a bad retry
    /// policy, 12400 (internal failure) for a bad token, which only a Dialtone bug produces.
    pub const fn code(&self) -> TwilioCode {
        match self {
            Self::InvalidUrl { .. } => TwilioCode::INVALID_URL,
            Self::Overrides(error) => error.code(),
            Self::InvalidIdempotencyToken => TwilioCode::INTERNAL_FAILURE,
        }
    }
}

/// One webhook request, ready for an HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    /// GET or POST.
    pub method: Method,
    /// The URL to request: no fragment; for GET, with the parameters appended.
    pub url: String,
    /// Headers in the order to send them.
    pub headers: Vec<(&'static str, String)>,
    /// The form body of a POST (empty when there are no parameters); `None` for GET.
    pub body: Option<String>,
    /// Timeouts and retries from the URL's fragment.
    pub overrides: ConnectionOverrides,
}

impl WebhookRequest {
    /// The value of header `name` (ASCII case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Builds the request for `params` sent with `method` to `configured_url` (which may end with a
/// connection-override fragment), signed with `key`. `idempotency_token` is the same for every
/// attempt of one webhook.
pub fn build_request<I, K, V>(
    method: Method,
    configured_url: &str,
    params: I,
    key: &SigningKey,
    idempotency_token: &str,
) -> Result<WebhookRequest, RequestError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let (url, overrides) = split_configured_url(configured_url)?;
    let url = wire_url(url)?;
    let url = url.as_str();
    if idempotency_token.is_empty() || !idempotency_token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(RequestError::InvalidIdempotencyToken);
    }
    let params: Vec<(K, V)> = params.into_iter().collect();
    let encoded = {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &params {
            form.append_pair(name.as_ref(), value.as_ref());
        }
        form.finish()
    };
    let (url, body, signature) = match method {
        Method::Get => {
            let url = url_text::append_query(url, &encoded);
            let signature = key.sign(&url, std::iter::empty::<(&str, &str)>());
            (url, None, signature)
        }
        Method::Post => {
            let signature = key.sign(url, params.iter().map(|(n, v)| (n.as_ref(), v.as_ref())));
            (url.to_owned(), Some(encoded), signature)
        }
    };
    let mut headers = vec![
        (SIGNATURE_HEADER, signature),
        (IDEMPOTENCY_TOKEN_HEADER, idempotency_token.to_owned()),
        ("User-Agent", USER_AGENT.to_owned()),
    ];
    if let Some(settings) = key.settings_header() {
        headers.push((SIGNATURE_SETTINGS_HEADER, settings));
    }
    if body.is_some() {
        headers.push(("Content-Type", FORM_CONTENT_TYPE.to_owned()));
    }
    Ok(WebhookRequest {
        method,
        url,
        headers,
        body,
        overrides,
    })
}

/// The URL as sent: an absolute `http`/`https` URL with a host, in the `url` crate's
/// serialization, without an empty query's `?`. Whitespace and control characters are refused
/// rather than silently encoded: they are almost always a configuration mistake.
fn wire_url(url: &str) -> Result<String, RequestError> {
    let invalid = |reason: &str| RequestError::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("contains whitespace or control characters"));
    }
    let parsed = url::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("scheme must be http or https"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("missing host"));
    }
    let empty_query = parsed.query() == Some("");
    let mut wire = String::from(parsed);
    if empty_query {
        wire.pop();
    }
    Ok(wire)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::SignatureAlgorithm;
    use crate::signature::Secret;
    use crate::validate::RequestValidator;

    const TOKEN: &str = "12345";

    fn params() -> Vec<(&'static str, &'static str)> {
        vec![
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
    }

    #[test]
    fn post_request_has_form_body_and_reference_signature() {
        let request = build_request(
            Method::Post,
            "https://mycompany.com/myapp.php?foo=1&bar=2#ct=1000",
            params(),
            &SigningKey::auth_token(TOKEN),
            "idem-1",
        )
        .unwrap();
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.url, "https://mycompany.com/myapp.php?foo=1&bar=2");
        assert_eq!(
            request.body.as_deref(),
            Some(
                "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"
            )
        );
        assert_eq!(
            request.headers,
            [
                (
                    "X-Twilio-Signature",
                    "RSOYDt4T1cUTdK1PDd93/VVr8B8=".to_owned()
                ),
                ("I-Twilio-Idempotency-Token", "idem-1".to_owned()),
                ("User-Agent", "TwilioProxy/1.1".to_owned()),
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded".to_owned()
                ),
            ]
        );
        assert_eq!(request.overrides.connect_timeout, Duration::from_secs(1));
    }

    #[test]
    fn get_request_appends_query_and_signs_final_url() {
        let request = build_request(
            Method::Get,
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            [("CallSid", "CA1"), ("From", "+1 415")],
            &SigningKey::auth_token(TOKEN),
            "idem-2",
        )
        .unwrap();
        assert_eq!(
            request.url,
            "https://mycompany.com/myapp.php?foo=1&bar=2&CallSid=CA1&From=%2B1+415"
        );
        assert_eq!(request.body, None);
        assert_eq!(request.header("content-type"), None);
        let signature = request.header("x-twilio-signature").unwrap();
        assert_eq!(
            signature,
            crate::compute_signature(
                SignatureAlgorithm::HmacSha1,
                TOKEN.as_bytes(),
                &request.url,
                [("", ""); 0]
            )
        );
        let validator = RequestValidator::new(TOKEN);
        assert_eq!(
            validator.validate(
                SignatureAlgorithm::HmacSha1,
                &request.url,
                [("", ""); 0],
                signature
            ),
            Ok(())
        );
    }

    #[test]
    fn get_without_params_keeps_the_url() {
        let request = build_request(
            Method::Get,
            "http://app.test/voice",
            [("", ""); 0],
            &SigningKey::auth_token(TOKEN),
            "t",
        )
        .unwrap();
        assert_eq!(request.url, "http://app.test/voice");
        let request = build_request(
            Method::Post,
            "http://app.test/voice",
            [("", ""); 0],
            &SigningKey::auth_token(TOKEN),
            "t",
        )
        .unwrap();
        assert_eq!(request.body.as_deref(), Some(""));
    }

    #[test]
    fn shared_key_signs_with_sha256_and_announces_it() {
        let key = SigningKey::SharedKey {
            key_id: "webhooks_sharedkey_9".to_owned(),
            secret: Secret::new(TOKEN),
        };
        let request = build_request(
            Method::Post,
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            params(),
            &key,
            "t",
        )
        .unwrap();
        assert_eq!(
            request.header("X-Twilio-Signature"),
            Some("033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s=")
        );
        assert_eq!(
            request.header("X-Twilio-Webhooks-Signature-Settings"),
            Some("key=webhooks_sharedkey_9,algorithm=HMAC_SHA256")
        );
    }

    #[test]
    fn bad_inputs_are_refused_with_codes() {
        let key = SigningKey::auth_token(TOKEN);
        for url in [
            "ftp://app.test/x",
            "/relative",
            "https://",
            "https://app.test/a b",
            "not a url",
        ] {
            let err = build_request(Method::Post, url, params(), &key, "t").unwrap_err();
            assert_eq!(err.code(), TwilioCode(11100), "{url}");
        }
        let err = build_request(
            Method::Post,
            "https://app.test/#rp=never",
            params(),
            &key,
            "t",
        )
        .unwrap_err();
        assert_eq!(err.code(), TwilioCode(11243));
        for token in ["", "a b", "x\r\ny"] {
            let err = build_request(Method::Post, "https://app.test/", params(), &key, token)
                .unwrap_err();
            assert_eq!(err, RequestError::InvalidIdempotencyToken);
        }
    }

    #[test]
    fn url_is_signed_in_its_wire_form() {
        let key = SigningKey::auth_token(TOKEN);
        let cases = [
            (
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
            ),
            ("HTTPS://App.Test:443/Voice?", "https://app.test/Voice"),
            ("http://app.test", "http://app.test/"),
            (
                "http://app.test:8080/a/../b?x=%41",
                "http://app.test:8080/b?x=%41",
            ),
            ("https://app.test/caf\u{e9}", "https://app.test/caf%C3%A9"),
        ];
        for (configured, wire) in cases {
            let request = build_request(Method::Post, configured, params(), &key, "t").unwrap();
            assert_eq!(request.url, wire);
            assert_eq!(
                request.header("X-Twilio-Signature"),
                Some(key.sign(wire, params()).as_str())
            );
        }
    }

    #[test]
    fn methods_parse_like_twilio() {
        assert_eq!("get".parse(), Ok(Method::Get));
        assert_eq!("POST".parse(), Ok(Method::Post));
        assert_eq!(
            "PUT".parse::<Method>(),
            Err(InvalidMethod("PUT".to_owned()))
        );
        assert_eq!(Method::default(), Method::Post);
    }
}
