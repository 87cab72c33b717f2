//! `<Start>`: start an asynchronous stream, SIPREC session or transcription.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::verbs::stream::{parse_nouns, write_nouns};
use crate::write::XmlWriter;

use crate::{Method, StreamNoun};

/// `<Start action method>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Start {
    /// `action`.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// Nested nouns.
    pub nouns: Vec<StreamNoun>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Start {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Start";
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
        w.open("Start");
        w.attr_opt("action", self.action.as_deref());
        w.method("method", self.method);
        w.extra(&self.extra);
        write_nouns(w, "Start", &self.nouns);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{StreamNoun, Verb};

    #[test]
    fn stream_noun() {
        let Verb::Start(v) = only_verb(
            r#"<Response><Start><Stream name="fork" url="wss://m/f"/></Start></Response>"#,
        ) else {
            panic!("not a Start")
        };
        let StreamNoun::Stream(s) = &v.nouns[0] else {
            panic!("not a Stream")
        };
        assert_eq!(s.name.as_deref(), Some("fork"));
        assert_eq!(
            codes("<Response><Start>x</Start></Response>"),
            [(12200, 1, 18)]
        );
    }
}
