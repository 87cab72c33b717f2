//! Describing one webhook request: method, final URL, headers and body.
//!
//! The runtime sends these with an HTTP client; everything that decides what goes on the wire
//! is here so it can be tested without sockets. POST requests carry the parameters as an
//! `application/x-www-form-urlencoded` body and sign URL + sorted parameters; GET requests
//! append the parameters to the query string (after any query the URL already has) and sign
//! that final URL alone, as Twilio does. Twilio's `X-Home-Region` header is not sent: Dialtone
//! has no regions.
//!
//! The URL signed is the one the application configured, byte for byte (Twilio signs "the URL
//! set in Twilio"), without its `#fragment` of connection overrides, which is never sent nor
//! signed. Two normalizations twilio-python's `RequestValidator` also makes are applied, or it
//! could never match: the scheme is lowercased and an empty query's `?` is dropped. The URL
//! requested is that same text, with only the characters HTTP cannot carry percent-encoded
//! ([`WebUrl::wire`]); an application that rebuilds the URL from the request it receives gets
//! the URL it configured.

use std::fmt;
use std::str::FromStr;

use dialtone_types::{TwilioCode, WebUrl};

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
    /// The URL signed, as configured: no fragment; for GET, with the parameters appended.
    pub url: String,
    /// The same URL as it goes on the wire (only what HTTP cannot carry percent-encoded).
    pub wire_url: String,
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
    let checked = WebUrl::parse(url).map_err(|e| RequestError::InvalidUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    let url = signed_form(url);
    let url = url.as_str();
    let wire = signed_form(&checked.wire());
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
    let (url, wire_url, body, signature) = match method {
        Method::Get => {
            let url = url_text::append_query(url, &encoded);
            let wire_url = url_text::append_query(&wire, &encoded);
            let signature = key.sign(&url, std::iter::empty::<(&str, &str)>());
            (url, wire_url, None, signature)
        }
        Method::Post => {
            let signature = key.sign(url, params.iter().map(|(n, v)| (n.as_ref(), v.as_ref())));
            (url.to_owned(), wire, Some(encoded), signature)
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
        wire_url,
        headers,
        body,
        overrides,
    })
}

/// `url` (fragment-free) in the form twilio-python's validator rebuilds it: the scheme
/// lowercased and an empty query's `?` dropped; everything else as given.
fn signed_form(url: &str) -> String {
    let url = url.strip_suffix('?').unwrap_or(url);
    match url.split_once("://") {
        Some((scheme, rest)) if scheme.bytes().any(|b| b.is_ascii_uppercase()) => {
            format!("{}://{rest}", scheme.to_ascii_lowercase())
        }
        _ => url.to_owned(),
    }
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
    fn url_is_signed_as_configured_and_sent_as_http_allows() {
        let key = SigningKey::auth_token(TOKEN);
        // (configured, signed, on the wire)
        let cases = [
            (
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
            ),
            (
                "https://h.test/cb?name=William+O'hara&s=%20&t=~#rc=2",
                "https://h.test/cb?name=William+O'hara&s=%20&t=~",
                "https://h.test/cb?name=William+O'hara&s=%20&t=~",
            ),
            (
                "HTTPS://App.Test:443/Voice?",
                "https://App.Test:443/Voice",
                "https://App.Test:443/Voice",
            ),
            ("http://app.test", "http://app.test", "http://app.test"),
            (
                "http://app.test:8080/a/../b?x=%41",
                "http://app.test:8080/a/../b?x=%41",
                "http://app.test:8080/a/../b?x=%41",
            ),
            (
                "https://app.test/caf\u{e9}",
                "https://app.test/caf\u{e9}",
                "https://app.test/caf%C3%A9",
            ),
        ];
        for (configured, signed, wire) in cases {
            let request = build_request(Method::Post, configured, params(), &key, "t").unwrap();
            assert_eq!(request.url, signed, "{configured}");
            assert_eq!(request.wire_url, wire, "{configured}");
            assert_eq!(
                request.header("X-Twilio-Signature"),
                Some(key.sign(signed, params()).as_str())
            );
            let validator = RequestValidator::new(TOKEN);
            let signature = request.header("X-Twilio-Signature").unwrap();
            assert_eq!(
                validator.validate(SignatureAlgorithm::HmacSha1, signed, params(), signature),
                Ok(())
            );
        }
        let get = build_request(
            Method::Get,
            "https://h.test/cb?n=O'hara",
            [("To", "+1")],
            &key,
            "t",
        )
        .unwrap();
        assert_eq!(get.url, "https://h.test/cb?n=O'hara&To=%2B1");
        assert_eq!(get.wire_url, get.url);
    }

    #[test]
    fn underscore_hosts_are_refused() {
        let err = build_request(
            Method::Post,
            "https://my_app.example.com/cb",
            params(),
            &SigningKey::auth_token(TOKEN),
            "t",
        )
        .unwrap_err();
        assert_eq!(err.code(), TwilioCode(11100));
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
