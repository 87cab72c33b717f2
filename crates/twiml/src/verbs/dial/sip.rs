//! `<Sip>`: a SIP endpoint.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId, party_attr};
use crate::write::XmlWriter;

use crate::{Method, StatusCallbackEvents};

/// `<Sip username password>sip:uri</Sip>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SipNoun {
    /// The SIP URI (element text).
    pub uri: String,
    /// `username` for digest authentication.
    pub username: Option<String>,
    /// `password` for digest authentication.
    pub password: Option<String>,
    /// `url`: whisper TwiML run on the callee after answer.
    pub url: Option<String>,
    /// `method` for `url`. Default POST.
    pub method: Method,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `statusCallbackEvent`. Default none.
    pub status_callback_events: StatusCallbackEvents,
    /// Unknown attributes (and AMD attributes), kept as written.
    pub extra: Vec<(String, String)>,
}

impl SipNoun {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Sip";
        let tree = cx.tree;
        let mut s = Self::default();
        for a in tree.attrs(id) {
            if party_attr!(cx, N, a, s, TwilioCode::SCHEMA_WARNING) {
                continue;
            }
            match a.name {
                "username" => s.username = Some(a.value.to_string()),
                "password" => s.password = Some(a.value.to_string()),
                "machineDetection"
                | "amdStatusCallback"
                | "amdStatusCallbackMethod"
                | "machineDetectionTimeout"
                | "machineDetectionSpeechThreshold"
                | "machineDetectionSpeechEndThreshold"
                | "machineDetectionSilenceTimeout" => {
                    s.extra.push((a.name.to_owned(), a.value.to_string()));
                }
                _ => cx.unknown_attr(N, a, &mut s.extra),
            }
        }
        s.uri = cx.text(id);
        cx.no_children(N, id);
        let uri = s.uri.to_ascii_lowercase();
        if !(uri.starts_with("sip:") || uri.starts_with("sips:"))
            || s.uri.chars().any(char::is_whitespace)
        {
            let node = tree.node(id);
            let pos = if s.uri.is_empty() {
                node.pos
            } else {
                node.text_pos
            };
            cx.warn(
                TwilioCode::DIAL_SIP_INVALID_URI,
                pos,
                format!(
                    "Dial->Sip: invalid SIP URI '{}' (expected sip:user@host)",
                    s.uri
                ),
            );
        }
        s
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Sip");
        w.attr_opt("username", self.username.as_deref());
        w.attr_opt("password", self.password.as_deref());
        w.party(
            self.url.as_deref(),
            self.method,
            self.status_callback.as_deref(),
            self.status_callback_method,
            self.status_callback_events,
            StatusCallbackEvents::NONE,
        );
        w.extra(&self.extra);
        w.text_content("Sip", &self.uri);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{DialNoun, SipNoun, Verb};

    #[test]
    fn attributes() {
        let Verb::Dial(mut d) = only_verb(
            r#"<Response><Dial><Sip password="p" username="u">sip:alice@example.com;transport=tls</Sip></Dial></Response>"#,
        ) else {
            panic!("not a Dial")
        };
        assert_eq!(
            d.nouns.pop(),
            Some(DialNoun::Sip(SipNoun {
                uri: "sip:alice@example.com;transport=tls".into(),
                username: Some("u".into()),
                password: Some("p".into()),
                ..SipNoun::default()
            }))
        );
    }

    #[test]
    fn diagnostics() {
        assert_eq!(
            codes("<Response><Dial><Sip>alice@example.com</Sip></Dial></Response>"),
            [(13243, 1, 22)]
        );
    }
}
