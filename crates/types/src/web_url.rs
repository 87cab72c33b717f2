//! Webhook URLs exactly as their owner wrote them.
//!
//! Twilio signs "the URL set in Twilio" and requests that same URL, so an application's
//! `RequestValidator`, given the URL it configured, computes the same signature. A parser that
//! serializes URLs back (the `url` crate follows WHATWG rules: `'` in a query becomes `%27`, a
//! bare host gains a `/`, the host is lowercased) would break that, so [`WebUrl`] keeps the text
//! as given and only checks it; relative references are resolved on the text (RFC 3986 §5.2),
//! and [`WebUrl::wire`] escapes only what cannot go on the wire.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;

/// Longest URL accepted (Twilio documents no limit; this keeps stored rows bounded).
pub const MAX_URL_LEN: usize = 4096;

/// An absolute `http`/`https` URL with a valid host name, kept byte for byte as given
/// (connection-override `#fragment` included).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebUrl(Arc<str>);

/// Why a text is not a usable webhook URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Longer than [`MAX_URL_LEN`].
    #[error("the URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    /// Whitespace or control characters: almost always a configuration mistake.
    #[error("the URL contains whitespace or control characters")]
    Whitespace,
    /// Not a URL at all, or a relative one where an absolute one is needed.
    #[error("{0}")]
    Malformed(String),
    /// A scheme other than `http`/`https`.
    #[error("the scheme must be http or https")]
    Scheme,
    /// Twilio's rule for non-relative URLs.
    #[error("Non-relative URLs must contain a valid hostname. Underscores aren't permitted.")]
    Hostname,
}

impl WebUrl {
    /// Checks `text` and keeps it as given.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        check(text)?;
        Ok(Self(text.into()))
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL before its `#fragment`: what is signed.
    pub fn without_fragment(&self) -> &str {
        split_fragment(&self.0).0
    }

    /// The fragment after the first `#` (Twilio's connection overrides), if any.
    pub fn fragment(&self) -> Option<&str> {
        split_fragment(&self.0).1
    }

    /// `reference` (a TwiML attribute: absolute, or relative to this document URL) resolved
    /// on the text, so that what the application wrote is what is requested.
    pub fn join(&self, reference: &str) -> Result<Self, UrlError> {
        if has_scheme(reference) {
            return Self::parse(reference);
        }
        Self::parse(&resolve(self.without_fragment(), reference))
    }

    /// The form that goes on the wire: the URL without its fragment, with only the characters
    /// that HTTP cannot carry percent-encoded (space, `"`, `<`, `>`, `\`, `^`, `` ` ``, `{`,
    /// `|`, `}`, non-ASCII) and a non-ASCII host in its IDNA (punycode) form.
    pub fn wire(&self) -> Cow<'_, str> {
        wire_form(self.without_fragment())
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebUrl({:?})", &*self.0)
    }
}

impl std::str::FromStr for WebUrl {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The one place Twilio's URL rules are checked: length, characters, scheme, host.
fn check(text: &str) -> Result<(), UrlError> {
    if text.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlError::Whitespace);
    }
    if !has_scheme(text) {
        return Err(UrlError::Malformed(
            "relative URL without a base (an absolute http or https URL is needed)".to_owned(),
        ));
    }
    let parsed = url::Url::parse(text).map_err(|e| UrlError::Malformed(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(UrlError::Scheme);
    }
    check_host(authority_host(text))
}

/// Twilio's host rule for an absolute URL (`http`, `https`, `wss`...): a host is present and
/// has no underscore.
pub fn check_host(host: &str) -> Result<(), UrlError> {
    if host.is_empty() || host.contains('_') {
        Err(UrlError::Hostname)
    } else {
        Ok(())
    }
}

/// The host of `scheme://[userinfo@]host[:port]/...`, as written ("" when there is none).
pub fn authority_host(text: &str) -> &str {
    let Some((_, rest)) = text.split_once("://") else {
        return "";
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return host_port.find(']').map_or(host_port, |i| &host_port[..=i]);
    }
    host_port.split_once(':').map_or(host_port, |(h, _)| h)
}

/// True when `text` starts with `scheme:` (RFC 3986: a letter, then letters, digits, `+-.`).
pub fn has_scheme(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// The URL text before the first `#`, and the fragment after it (without the `#`), if any.
pub fn split_fragment(text: &str) -> (&str, Option<&str>) {
    match text.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (text, None),
    }
}

/// `base` split into scheme+authority (`https://h:1`), path, and `?query` (with its `?`).
fn parts(base: &str) -> (&str, &str, &str) {
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[after_scheme..]
        .find(['/', '?'])
        .map_or(base.len(), |i| after_scheme + i);
    let query_start = base[path_start..]
        .find('?')
        .map_or(base.len(), |i| path_start + i);
    (
        &base[..path_start],
        &base[path_start..query_start],
        &base[query_start..],
    )
}

/// RFC 3986 §5.2.2 on text: `reference` (no scheme) against the absolute, fragment-free `base`.
fn resolve(base: &str, reference: &str) -> String {
    let (origin, base_path, base_query) = parts(base);
    if let Some(network) = reference.strip_prefix("//") {
        let scheme = &base[..base.find(':').unwrap_or(0)];
        return format!("{scheme}://{network}");
    }
    let (reference, fragment) = match reference.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (reference, None),
    };
    let (ref_path, ref_query) = match reference.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (reference, None),
    };
    let mut out = String::with_capacity(base.len() + reference.len());
    out.push_str(origin);
    if ref_path.is_empty() {
        out.push_str(base_path);
        match ref_query {
            Some(q) => {
                out.push('?');
                out.push_str(q);
            }
            None => out.push_str(base_query),
        }
    } else {
        let merged = if ref_path.starts_with('/') {
            ref_path.to_owned()
        } else {
            let dir = base_path.rfind('/').map_or("/", |i| &base_path[..=i]);
            format!("{dir}{ref_path}")
        };
        out.push_str(&remove_dot_segments(&merged));
        if let Some(q) = ref_query {
            out.push('?');
            out.push_str(q);
        }
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// RFC 3986 §5.2.4 for an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let mut pieces = path.split('/').skip(1).peekable();
    while let Some(piece) = pieces.next() {
        let last = pieces.peek().is_none();
        match piece {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len());
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Bytes HTTP can carry in a request target as they are (RFC 3986 unreserved, sub-delims,
/// `:@/?%`, and `[]` which only appear around IPv6 hosts).
fn wire_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
                | b'?'
                | b'%'
                | b'['
                | b']'
        )
}

fn wire_form(url: &str) -> Cow<'_, str> {
    if url.bytes().all(wire_safe) {
        return Cow::Borrowed(url);
    }
    let (origin, _, _) = parts(url);
    let host = authority_host(url);
    let mut out = String::with_capacity(url.len() + 16);
    if host.is_ascii() {
        out.push_str(origin);
    } else {
        // Hosts go on the wire in their IDNA form; `check` already parsed this URL.
        let ascii = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| host.to_owned());
        out.push_str(&origin.replacen(host, &ascii, 1));
    }
    for b in url[origin.len()..].bytes() {
        if wire_safe(b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_text_as_given() {
        for text in [
            "https://h.test/cb?name=William+O'hara",
            "HTTPS://App.Test:443/Voice?",
            "http://app.test",
            "https://h.test/a%20b~c?x=%41#rc=2",
            "http://[::1]:8080/x",
            "https://u:p@h.test/x",
        ] {
            let url = WebUrl::parse(text).unwrap();
            assert_eq!(url.as_str(), text);
        }
        let url = WebUrl::parse("https://h.test/cb?a='b'#ct=1000&rc=2").unwrap();
        assert_eq!(url.without_fragment(), "https://h.test/cb?a='b'");
        assert_eq!(url.fragment(), Some("ct=1000&rc=2"));
        assert_eq!(url.wire(), "https://h.test/cb?a='b'");
    }

    #[test]
    fn refuses_with_reasons() {
        assert_eq!(
            WebUrl::parse("https://my_app.example.com/cb"),
            Err(UrlError::Hostname)
        );
        assert_eq!(
            WebUrl::parse("https://u_1:p@h.test/x").map(|u| u.to_string()),
            Ok("https://u_1:p@h.test/x".to_owned()),
            "an underscore in user info is not in the host"
        );
        assert!(WebUrl::parse("https://my-app.example.com/cb_x?a_b=c_d").is_ok());
        assert_eq!(WebUrl::parse("ftp://h.test/x"), Err(UrlError::Scheme));
        assert_eq!(
            WebUrl::parse("https://h.test/a b"),
            Err(UrlError::Whitespace)
        );
        assert_eq!(WebUrl::parse(" https://h.test/"), Err(UrlError::Whitespace));
        assert!(matches!(WebUrl::parse("/cb"), Err(UrlError::Malformed(_))));
        assert!(matches!(
            WebUrl::parse("https://"),
            Err(UrlError::Malformed(_))
        ));
        assert!(matches!(
            WebUrl::parse("http://[::1"),
            Err(UrlError::Malformed(_))
        ));
        let long = format!("https://h.test/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(WebUrl::parse(&long), Err(UrlError::TooLong));
        assert_eq!(
            UrlError::Hostname.to_string(),
            "Non-relative URLs must contain a valid hostname. Underscores aren't permitted."
        );
    }

    #[test]
    fn joins_on_the_text() {
        let base = WebUrl::parse("https://app.test/ivr/voice?x=1#rc=2").unwrap();
        let cases = [
            ("next", "https://app.test/ivr/next"),
            ("next?name=O'hara", "https://app.test/ivr/next?name=O'hara"),
            ("/root?q=2", "https://app.test/root?q=2"),
            ("../up", "https://app.test/up"),
            ("./a/./b/../c", "https://app.test/ivr/a/c"),
            ("..", "https://app.test/"),
            ("?y=2", "https://app.test/ivr/voice?y=2"),
            ("", "https://app.test/ivr/voice?x=1"),
            ("#ct=500", "https://app.test/ivr/voice?x=1#ct=500"),
            ("//other.test/x", "https://other.test/x"),
            ("http://Other.Test/x?a='", "http://Other.Test/x?a='"),
        ];
        for (reference, expected) in cases {
            assert_eq!(
                base.join(reference).unwrap().as_str(),
                expected,
                "{reference}"
            );
        }
        let bare = WebUrl::parse("http://app.test").unwrap();
        assert_eq!(bare.join("a").unwrap().as_str(), "http://app.test/a");
        assert_eq!(base.join("//my_host/x"), Err(UrlError::Hostname));
        assert_eq!(base.join("a b"), Err(UrlError::Whitespace));
    }

    #[test]
    fn wire_escapes_only_what_http_cannot_carry() {
        let cases = [
            (
                "https://h.test/cb?name=William+O'hara&s=%20&t=~#rc=1",
                "https://h.test/cb?name=William+O'hara&s=%20&t=~",
            ),
            (
                "https://h.test/caf\u{e9}?q={x}|\"",
                "https://h.test/caf%C3%A9?q=%7Bx%7D%7C%22",
            ),
            ("https://b\u{fc}cher.test/x", "https://xn--bcher-kva.test/x"),
        ];
        for (given, wire) in cases {
            assert_eq!(WebUrl::parse(given).unwrap().wire(), wire, "{given}");
        }
    }

    #[test]
    fn scheme_detection() {
        assert!(has_scheme("https://x"));
        assert!(has_scheme("wss://x"));
        assert!(!has_scheme("/a:b"));
        assert!(!has_scheme("a/b:c"));
        assert!(!has_scheme("1http://x"));
        assert!(!has_scheme("next"));
        assert_eq!(authority_host("https://u:p@H.test:8/x"), "H.test");
        assert_eq!(authority_host("http://[::1]:8/x"), "[::1]");
        assert_eq!(authority_host("https://h.test?x"), "h.test");
    }
}
