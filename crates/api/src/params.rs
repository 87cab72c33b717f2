//! Request parameters, as Twilio's clients send them.
//!
//! Helper libraries send `application/x-www-form-urlencoded` bodies (and query strings for
//! lists), repeat a key for array parameters (`StatusCallbackEvent=initiated&
//! StatusCallbackEvent=ringing`), and may send parameters this server does not know. So
//! parameters are kept as an ordered multimap, not deserialized into a struct: repeated keys
//! survive, unknown keys are ignored as Twilio ignores them, and a value that does not fit is
//! reported with the Twilio code of the parameter rather than a generic deserializer error.
//! Decoding is lenient like a browser's (invalid percent-escapes and UTF-8 are kept or
//! replaced), so no body can make extraction fail other than by being too large.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::ApiState;

/// Decoded parameters in the order they were sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes an urlencoded string.
    pub fn parse(input: &[u8]) -> Self {
        Self {
            pairs: form_urlencoded::parse(input).into_owned().collect(),
        }
    }

    /// The first value of `name`, even if empty.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`; an empty value counts as absent, as it does for Twilio's
    /// optional parameters.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).filter(|v| !v.is_empty())
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// Parameters from an urlencoded request body.
#[derive(Debug, Clone, Default)]
pub struct Form(pub Params);

impl FromRequest<ApiState> for Form {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &ApiState) -> Result<Self, Self::Rejection> {
        let limit = state.limits.max_body_bytes;
        match Bytes::from_request(req, state).await {
            Ok(body) => Ok(Self(Params::parse(&body))),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::BodyTooLarge(limit))
            }
            Err(rejection) => Err(ApiError::invalid(
                crate::error::codes::INVALID_PARAMETER,
                format!("Could not read the request body: {}", rejection.body_text()),
            )),
        }
    }
}

/// Parameters from the query string (list filters and paging).
#[derive(Debug, Clone, Default)]
pub struct Query(pub Params);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(Params::parse(
            parts.uri.query().unwrap_or_default().as_bytes(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_repeats_and_order() {
        let p = Params::parse(
            b"To=%2B15551112222&StatusCallbackEvent=initiated&StatusCallbackEvent=ringing&Url=",
        );
        assert_eq!(p.get("To"), Some("+15551112222"));
        assert_eq!(
            p.all("StatusCallbackEvent").collect::<Vec<_>>(),
            ["initiated", "ringing"]
        );
        assert_eq!(p.get("Url"), None);
        assert_eq!(p.raw("Url"), Some(""));
        assert_eq!(p.get("Missing"), None);
    }

    #[test]
    fn garbage_decodes_leniently() {
        let p = Params::parse(b"%zz=%&a=%FF%FE&&=x&b");
        assert_eq!(p.get("%zz"), Some("%"));
        assert_eq!(p.get("a"), Some("\u{fffd}\u{fffd}"));
        assert_eq!(p.raw("b"), Some(""));
    }
}
