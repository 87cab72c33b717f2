//! Parameter checks shared by resources, each failing with the Twilio code of its parameter.

use dialtone_twiml::Method;
use dialtone_types::{UrlError, WebUrl};

use crate::error::{ApiError, codes};
use crate::params::Params;

/// An absolute `http`/`https` URL with a host name Twilio would accept (no underscores),
/// kept exactly as given: it is stored, returned, requested and signed in that form. A
/// `#fragment` is kept: it carries Twilio's connection overrides.
pub fn http_url(value: &str) -> Option<WebUrl> {
    WebUrl::parse(value).ok()
}

/// Parameter `name` as a URL; absent or empty is `None`; invalid is 21205.
pub fn url_param(params: &Params, name: &str) -> Result<Option<WebUrl>, ApiError> {
    params
        .get(name)
        .map(|v| {
            WebUrl::parse(v).map_err(|e| {
                let message = match e {
                    UrlError::Hostname => format!("{name} is not a valid URL: {v}. {e}"),
                    _ => format!("{name} is not a valid URL: {v}"),
                };
                ApiError::invalid(codes::INVALID_URL, message)
            })
        })
        .transpose()
}

/// Parameter `name` as `GET`/`POST` (any case); absent is `None`; anything else is 21209.
pub fn method_param(params: &Params, name: &str) -> Result<Option<Method>, ApiError> {
    params
        .get(name)
        .map(|v| {
            Method::parse(v).ok_or_else(|| {
                ApiError::invalid(
                    codes::INVALID_METHOD,
                    format!("{name} is not valid: {v:?}. Use GET or POST"),
                )
            })
        })
        .transpose()
}

/// Parameter `name` as a whole number of seconds in `range`; `code` when it is not.
pub fn seconds_param(
    params: &Params,
    name: &str,
    range: std::ops::RangeInclusive<u32>,
    code: dialtone_types::TwilioCode,
) -> Result<Option<u32>, ApiError> {
    params
        .get(name)
        .map(|v| {
            v.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(
                        code,
                        format!(
                            "{name} must be a whole number of seconds between {} and {}: {v:?}",
                            range.start(),
                            range.end()
                        ),
                    )
                })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(http_url("https://app.example.com/voice?x=1#rc=2").is_some());
        assert!(http_url("http://127.0.0.1:9000/v").is_some());
        for bad in [
            "",
            "/relative",
            "ftp://x/y",
            "https://bad_host.example.com/",
            "not a url",
            "http://",
        ] {
            assert!(http_url(bad).is_none(), "{bad}");
        }
        assert!(http_url(&format!("https://x.test/{}", "a".repeat(5000))).is_none());
    }

    #[test]
    fn methods_and_seconds() {
        let p = Params::parse(b"Method=get&Bad=PUT&Timeout=30&T2=0&T3=x");
        assert_eq!(method_param(&p, "Method").unwrap(), Some(Method::Get));
        assert_eq!(
            method_param(&p, "Bad").unwrap_err().status_and_code().1,
            Some(codes::INVALID_METHOD)
        );
        let code = codes::INVALID_TIMEOUT;
        assert_eq!(
            seconds_param(&p, "Timeout", 1..=600, code).unwrap(),
            Some(30)
        );
        assert!(seconds_param(&p, "T2", 1..=600, code).is_err());
        assert!(seconds_param(&p, "T3", 1..=600, code).is_err());
        assert_eq!(seconds_param(&p, "None", 1..=600, code).unwrap(), None);
    }
}
