//! `<Client>`: a Voice SDK identity.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId, party_attr};
use crate::write::XmlWriter;

use crate::{Method, StatusCallbackEvents};

/// `<Client>identity</Client>` or `<Client><Identity>..</Identity><Parameter/>..</Client>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientNoun {
    /// The identity (≤ 256 characters).
    pub identity: String,
    /// `<Parameter name value/>` children, passed to the SDK.
    pub parameters: Vec<(String, String)>,
    /// `url`: whisper TwiML run on the callee after answer.
    pub url: Option<String>,
    /// `method` for `url`. Default POST.
    pub method: Method,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `statusCallbackEvent`. Default none (`completed` when `statusCallback` is set).
    pub status_callback_events: StatusCallbackEvents,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

/// A Voice SDK identity: 1–256 characters, no whitespace or control characters.
fn is_identity(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 256
        && !s.chars().any(|c| c.is_control() || c.is_whitespace())
}

impl ClientNoun {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Client";
        let tree = cx.tree;
        let mut c = Self::default();
        for a in tree.attrs(id) {
            if !party_attr!(cx, N, a, c, TwilioCode::SCHEMA_WARNING) {
                cx.unknown_attr(N, a, &mut c.extra);
            }
        }
        c.identity = cx.text(id);
        let mut identity_pos = tree.node(id).text_pos;
        for child in tree.children(id) {
            match tree.node(child).name {
                "Identity" => {
                    c.identity = cx.text(child);
                    identity_pos = tree.node(child).text_pos;
                    cx.no_children("Identity", child);
                }
                "Parameter" => {
                    let p = cx.parameter(child);
                    c.parameters.push(p);
                }
                _ => cx.unexpected_child(TwilioCode::SCHEMA_WARNING, N, child),
            }
        }
        if !is_identity(&c.identity) {
            let pos = if c.identity.is_empty() {
                tree.node(id).pos
            } else {
                identity_pos
            };
            cx.warn(
                TwilioCode::SCHEMA_WARNING,
                pos,
                format!(
                    "Dial->Client: invalid identity '{}' (1 to 256 characters, no whitespace)",
                    c.identity
                ),
            );
        }
        c
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Client");
        w.party(
            self.url.as_deref(),
            self.method,
            self.status_callback.as_deref(),
            self.status_callback_method,
            self.status_callback_events,
            StatusCallbackEvents::NONE,
        );
        w.extra(&self.extra);
        if self.parameters.is_empty() {
            w.text_content("Client", &self.identity);
        } else {
            w.end_start();
            w.open("Identity");
            w.text_content("Identity", &self.identity);
            w.parameters(&self.parameters);
            w.close("Client");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{ClientNoun, DialNoun, StatusCallbackEvents, Verb};

    #[test]
    fn text_and_children_forms() {
        let Verb::Dial(d) = only_verb(
            r#"<Response><Dial><Client>alice</Client><Client statusCallback="/s"><Identity>bob</Identity><Parameter name="k" value="v"/></Client></Dial></Response>"#,
        ) else {
            panic!("not a Dial")
        };
        assert_eq!(
            d.nouns[0],
            DialNoun::Client(ClientNoun {
                identity: "alice".into(),
                ..ClientNoun::default()
            })
        );
        let DialNoun::Client(bob) = &d.nouns[1] else {
            panic!("not a Client")
        };
        assert_eq!(bob.identity, "bob");
        assert_eq!(bob.parameters, [("k".to_owned(), "v".to_owned())]);
        assert_eq!(bob.status_callback.as_deref(), Some("/s"));
        assert_eq!(bob.status_callback_events, StatusCallbackEvents::NONE);
    }

    #[test]
    fn diagnostics() {
        assert_eq!(
            codes("<Response><Dial><Client>a b</Client></Dial></Response>"),
            [(12200, 1, 25)]
        );
        assert_eq!(
            codes("<Response><Dial><Client>a<Say/></Client></Dial></Response>"),
            [(12200, 1, 26)]
        );
    }
}
