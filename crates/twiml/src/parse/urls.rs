//! Twilio's host rule for every URL a document names.
//!
//! "Non-relative URLs must contain a valid hostname. Underscores aren't permitted." The REST API
//! refuses such a URL with 21205; a document gets the same code, as an error at the URL's
//! line:column, and the engine never requests it. The rule is checked here once for every URL
//! attribute and URL-valued element text, whatever the verb, so no verb can forget it; relative
//! URLs have no host of their own and pass.

use std::borrow::Cow;

use dialtone_types::{TwilioCode, UrlError, authority_host, check_host, has_scheme};

use super::Cx;
use super::tree::Tree;

/// Attributes whose value is a URL, on whichever element they appear.
const URL_ATTRIBUTES: &[&str] = &[
    "action",
    "url",
    "statusCallback",
    "recordingStatusCallback",
    "transcribeCallback",
    "amdStatusCallback",
    "waitUrl",
    "eventCallbackUrl",
    "referUrl",
    "partialResultCallback",
];

/// Elements whose text is a URL.
const URL_TEXT: &[&str] = &["Play", "Redirect"];

/// Reports every URL of the document that breaks the host rule.
pub(crate) fn check(cx: &mut Cx<'_, '_>) {
    let tree: &Tree<'_> = cx.tree;
    for id in 0..tree.len() {
        let node = tree.node(id);
        for a in tree.attrs(id) {
            if URL_ATTRIBUTES.contains(&a.name) && breaks_host_rule(&a.value) {
                report(cx, a.pos, &format!("{}: {}", node.name, a.name), &a.value);
            }
        }
        if URL_TEXT.contains(&node.name) && breaks_host_rule(&node.text) {
            report(cx, node.text_pos, node.name, &node.text);
        }
    }
}

/// True for an absolute (`scheme://host`) or network-path (`//host`) reference whose host is
/// missing or has an underscore.
fn breaks_host_rule(value: &str) -> bool {
    let value = value.trim();
    let absolute: Cow<'_, str> = if value.starts_with("//") {
        // A network-path reference has the host an absolute URL made of it would have.
        Cow::Owned(format!("x:{value}"))
    } else if has_scheme(value) && value.contains("://") {
        Cow::Borrowed(value)
    } else {
        return false;
    };
    check_host(authority_host(&absolute)) == Err(UrlError::Hostname)
}

fn report(cx: &mut Cx<'_, '_>, pos: usize, what: &str, value: &str) {
    cx.error(
        TwilioCode::INVALID_URL_PARAMETER,
        pos,
        format!("{what} {value:?}: {}", UrlError::Hostname),
    );
}

#[cfg(test)]
mod tests {
    use super::breaks_host_rule;
    use crate::test_util::codes;

    #[test]
    fn every_url_of_a_document_is_checked_at_its_position() {
        let xml = r#"<Response>
<Gather action="https://a_b.test/g"><Play>https://c_d.test/x.wav</Play></Gather>
<Dial callerId="whatsapp:+14155550000"><WhatsApp url="//w_x.test/whisper" statusCallback="https://ok.test/cb">+14155550100</WhatsApp></Dial>
<Record recordingStatusCallback="http://r_s.test/r" action="/relative_ok"/>
<Connect><Stream url="wss://s_t.test/s"/></Connect>
<Play>https://fine-host.test/a_b.wav</Play>
</Response>"#;
        assert_eq!(
            codes(xml),
            [
                (21205, 2, 9),
                (21205, 2, 43),
                (21205, 3, 50),
                (21205, 4, 9),
                (21205, 5, 18),
            ]
        );
    }

    #[test]
    fn host_rule() {
        for bad in [
            "https://my_app.example.com/cb",
            "http://a_b/x",
            "wss://stream_host.test/s",
            "//my_app.test/x",
            "https://",
        ] {
            assert!(breaks_host_rule(bad), "{bad}");
        }
        for good in [
            "https://my-app.example.com/cb",
            "/relative_path/cb_1?a_b=c",
            "next_step",
            "https://u_ser:p@h.test/x",
            "sip:alice_1@example.com",
            "",
        ] {
            assert!(!breaks_host_rule(good), "{good}");
        }
    }
}
