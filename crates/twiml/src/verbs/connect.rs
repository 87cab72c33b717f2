//! `<Connect>`: connect the call to a stream, room, agent... (not executed by the engine yet).

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::verbs::stream::{parse_nouns, write_nouns};
use crate::write::XmlWriter;

use crate::{Method, StreamNoun};

/// `<Connect action method>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Connect {
    /// `action`: requested when the connection ends.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// Nested nouns.
    pub nouns: Vec<StreamNoun>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Connect {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Connect";
        let tree = cx.tree;
        let mut v = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "action" => v.action = Some(a.value.to_string()),
                "method" => v.method = cx.method(N, a, TwilioCode::SCHEMA_WARNING, Method::Post),
                _ => cx.unknown_attr(N, a, &mut v.extra),
            }
        }
        cx.no_text(N, id);
        v.nouns = parse_nouns(cx, N, id);
        v
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Connect");
        w.attr_opt("action", self.action.as_deref());
        w.method("method", self.method);
        w.extra(&self.extra);
        write_nouns(w, "Connect", &self.nouns);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Connect, Element, Method, Stream, StreamNoun, StreamTrack, Verb};

    #[test]
    fn stream_and_other_nouns() {
        let Verb::Connect(c) = only_verb(
            r#"<Response><Connect action="/after" method="GET"><Stream name="s1" url="wss://m/s"><Parameter name="a" value="1"/></Stream><Room participantIdentity="x">r1</Room></Connect></Response>"#,
        ) else {
            panic!("not a Connect")
        };
        assert_eq!(
            (c.action.as_deref(), c.method),
            (Some("/after"), Method::Get)
        );
        assert_eq!(
            c.nouns[0],
            StreamNoun::Stream(Stream {
                url: Some("wss://m/s".into()),
                name: Some("s1".into()),
                track: StreamTrack::Inbound,
                parameters: vec![("a".into(), "1".into())],
                ..Stream::default()
            })
        );
        assert_eq!(
            c.nouns[1],
            StreamNoun::Other(Element {
                name: "Room".into(),
                attributes: vec![("participantIdentity".into(), "x".into())],
                text: "r1".into(),
                children: vec![],
            })
        );
        assert_eq!(Connect::default().method, Method::Post);
        assert_eq!(
            codes("<Response><Connect><Foo/></Connect></Response>"),
            [(12200, 1, 20)]
        );
        assert_eq!(
            codes(r#"<Response><Connect><Stream url="wss://m/s" track="x"/></Connect></Response>"#),
            [(31941, 1, 44)]
        );
    }

    #[test]
    fn stream_checks() {
        // Connect streams the inbound track only; a url is required.
        assert_eq!(
            codes(
                r#"<Response><Connect><Stream url="wss://m/s" track="both_tracks"/></Connect></Response>"#
            ),
            [(31941, 1, 20)]
        );
        assert_eq!(
            codes("<Response><Connect><Stream/></Connect></Response>"),
            [(31923, 1, 20)]
        );
        assert_eq!(
            codes(
                r#"<Response><Start><Stream url="wss://m/s" track="both_tracks"/></Start></Response>"#
            ),
            []
        );
        // Schemes: wss; ws with a warning; anything else an error; malformed URLs.
        assert_eq!(
            codes(r#"<Response><Start><Stream url="ws://m/s"/></Start></Response>"#),
            [(31922, 1, 26)]
        );
        assert_eq!(
            codes(r#"<Response><Start><Stream url="https://m/s"/></Start></Response>"#),
            [(31922, 1, 26)]
        );
        assert_eq!(
            codes(r#"<Response><Start><Stream url="wss://"/></Start></Response>"#),
            [(31923, 1, 26), (21205, 1, 26)]
        );
        assert_eq!(
            codes(r#"<Response><Start><Stream url="/media?x=1"/></Start></Response>"#),
            [(31920, 1, 26)]
        );
        // A parameter of 500 characters or more.
        let long = "v".repeat(499);
        assert_eq!(
            codes(&format!(
                r#"<Response><Start><Stream url="/m"><Parameter name="k" value="{long}"/></Stream></Start></Response>"#
            )),
            [(12200, 1, 35)]
        );
        // <Stop> needs a name, not a url.
        assert_eq!(
            codes(r#"<Response><Stop><Stream name="n"/></Stop></Response>"#),
            []
        );
        assert_eq!(
            codes("<Response><Stop><Stream/></Stop></Response>"),
            [(12200, 1, 17)]
        );
    }
}
