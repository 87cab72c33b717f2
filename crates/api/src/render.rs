//! Small formatting rules shared by every representation: RFC 2822 dates, Twilio's display
//! form of phone numbers, and resource URIs.

use dialtone_types::{Sid, UnixMillis};

/// The REST API version every path and representation carries.
pub const API_VERSION: &str = "2010-04-01";

/// A date as Twilio prints it: `Tue, 31 Aug 2010 20:36:28 +0000`.
pub fn date(t: UnixMillis) -> String {
    t.rfc2822().to_string()
}

/// An optional date; `None` stays null.
pub fn date_opt(t: Option<UnixMillis>) -> Option<String> {
    t.map(date)
}

/// The path of account `account`'s resources, without a trailing slash.
pub fn account_base(account: Sid) -> String {
    format!("/{API_VERSION}/Accounts/{account}")
}

/// Twilio's `to_formatted`/`from_formatted`: North American numbers as `(415) 867-5309`,
/// everything else unchanged.
pub fn formatted(address: &str) -> String {
    let nanp = address
        .strip_prefix("+1")
        .filter(|d| d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit()));
    match nanp {
        Some(d) => format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..]),
        None => address.to_owned(),
    }
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub fn path_segment(segment: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_like_twilio() {
        assert_eq!(formatted("+14158675309"), "(415) 867-5309");
        assert_eq!(formatted("+447700900123"), "+447700900123");
        assert_eq!(formatted("client:alice"), "client:alice");
        assert_eq!(formatted("+1415867530"), "+1415867530");
    }

    #[test]
    fn encodes_segments() {
        assert_eq!(path_segment("alice"), "alice");
        assert_eq!(path_segment("a b/c+é"), "a%20b%2Fc%2B%C3%A9");
    }
}
