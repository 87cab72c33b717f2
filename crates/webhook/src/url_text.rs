//! String-level URL surgery.
//!
//! A webhook signature covers the URL byte for byte, so these helpers never send a URL through a
//! parser and back: `url::Url` would add a trailing `/` to a bare host, re-encode characters and
//! lowercase the host, and the application's validator would then compute a different signature.
//! They also never panic: every index comes from a `find` on the same string.

pub(crate) use dialtone_types::split_fragment;

/// The query string of a fragment-free URL (after the first `?`), if the URL has a `?`.
pub(crate) fn query(url: &str) -> Option<&str> {
    url.split_once('?').map(|(_, query)| query)
}

/// Appends an encoded query to a fragment-free URL, respecting a query it already has.
pub(crate) fn append_query(url: &str, query: &str) -> String {
    if query.is_empty() {
        return url.to_owned();
    }
    let separator = match url.split_once('?') {
        None => "?",
        Some((_, existing)) if existing.is_empty() || existing.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{url}{separator}{query}")
}

/// Byte range of the authority (`user@host:port`) of `scheme://authority/...`.
fn authority_range(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let rest = url.get(start..)?;
    let len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((start, start + len))
}

/// Byte offset of the `:` that introduces the port inside `authority`, if there is one.
fn port_colon(authority: &str) -> Option<usize> {
    let host_start = authority.rfind('@').map_or(0, |at| at + 1);
    let host = authority.get(host_start..)?;
    // An IPv6 literal has colons of its own: the port can only follow the closing bracket.
    let search_from = if host.starts_with('[') {
        host.find(']')?
    } else {
        0
    };
    let colon = host.get(search_from..)?.rfind(':')? + search_from;
    Some(host_start + colon)
}

/// The port written in the URL, when it is a valid number.
pub(crate) fn explicit_port(url: &str) -> Option<u16> {
    let (start, end) = authority_range(url)?;
    let authority = url.get(start..end)?;
    let colon = port_colon(authority)?;
    authority.get(colon + 1..)?.parse().ok()
}

/// The URL without its explicit port (`https://h:8443/x` → `https://h/x`).
///
/// Unlike twilio-python's `remove_port`, user info before the host is kept; a URL without a
/// valid numeric port is returned unchanged.
pub(crate) fn without_port(url: &str) -> String {
    let Some((start, end)) = authority_range(url) else {
        return url.to_owned();
    };
    let Some(authority) = url.get(start..end) else {
        return url.to_owned();
    };
    match port_colon(authority) {
        Some(colon) if explicit_port(url).is_some() => {
            format!("{}{}", &url[..start + colon], &url[end..])
        }
        _ => url.to_owned(),
    }
}

/// The URL with the scheme's default port written out when it has none (`:443` for https,
/// `:80` otherwise), as twilio-python's `add_port` does.
pub(crate) fn with_default_port(url: &str) -> String {
    if explicit_port(url).is_some() {
        return url.to_owned();
    }
    let Some((start, end)) = authority_range(url) else {
        return url.to_owned();
    };
    let scheme = &url[..start - 3];
    let port = if scheme.eq_ignore_ascii_case("https") {
        "443"
    } else {
        "80"
    };
    format!("{}:{port}{}", &url[..end], &url[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_is_split_at_the_first_hash() {
        assert_eq!(
            split_fragment("https://a.test/x?y=1#ct=1#z"),
            ("https://a.test/x?y=1", Some("ct=1#z"))
        );
        assert_eq!(
            split_fragment("https://a.test/x"),
            ("https://a.test/x", None)
        );
    }

    #[test]
    fn query_is_appended_with_the_right_separator() {
        assert_eq!(
            append_query("https://a.test/x", "b=2"),
            "https://a.test/x?b=2"
        );
        assert_eq!(
            append_query("https://a.test/x?a=1", "b=2"),
            "https://a.test/x?a=1&b=2"
        );
        assert_eq!(
            append_query("https://a.test/x?", "b=2"),
            "https://a.test/x?b=2"
        );
        assert_eq!(
            append_query("https://a.test/x?a=1&", "b=2"),
            "https://a.test/x?a=1&b=2"
        );
        assert_eq!(
            append_query("https://a.test/x?a=1", ""),
            "https://a.test/x?a=1"
        );
    }

    #[test]
    fn ports_are_found_after_user_info_and_ipv6_literals() {
        assert_eq!(explicit_port("https://u:p@h.test:8443/x"), Some(8443));
        assert_eq!(explicit_port("https://u:p@h.test/x"), None);
        assert_eq!(explicit_port("http://[::1]:8080/x"), Some(8080));
        assert_eq!(explicit_port("http://[::1]/x"), None);
        assert_eq!(explicit_port("http://h.test:abc/x"), None);
        assert_eq!(explicit_port("h.test:80"), None);
    }

    #[test]
    fn port_is_removed_and_added() {
        assert_eq!(
            without_port("https://h.test:443/x?a=1"),
            "https://h.test/x?a=1"
        );
        assert_eq!(
            without_port("https://u:p@h.test:8443/x"),
            "https://u:p@h.test/x"
        );
        assert_eq!(without_port("http://[::1]:8080"), "http://[::1]");
        assert_eq!(without_port("https://h.test/x"), "https://h.test/x");
        assert_eq!(
            with_default_port("https://h.test/x?a=1"),
            "https://h.test:443/x?a=1"
        );
        assert_eq!(
            with_default_port("http://h.test?a=1"),
            "http://h.test:80?a=1"
        );
        assert_eq!(with_default_port("HTTPS://h.test"), "HTTPS://h.test:443");
        assert_eq!(
            with_default_port("http://h.test:1234/x"),
            "http://h.test:1234/x"
        );
        assert_eq!(with_default_port("not a url"), "not a url");
    }
}
