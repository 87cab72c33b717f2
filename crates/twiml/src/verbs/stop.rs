//! `<Stop>`: stop a stream, SIPREC session or transcription started with `<Start>`.

use crate::parse::{Cx, NodeId};
use crate::verbs::stream::{parse_nouns, write_nouns};
use crate::write::XmlWriter;

use crate::StreamNoun;

/// `<Stop>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stop {
    /// Nested nouns naming what to stop.
    pub nouns: Vec<StreamNoun>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Stop {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Stop";
        let tree = cx.tree;
        let mut v = Self::default();
        for a in tree.attrs(id) {
            cx.unknown_attr(N, a, &mut v.extra);
        }
        cx.no_text(N, id);
        v.nouns = parse_nouns(cx, N, id);
        v
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Stop");
        w.extra(&self.extra);
        write_nouns(w, "Stop", &self.nouns);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{StreamNoun, Verb};

    #[test]
    fn stream_noun() {
        let Verb::Stop(v) =
            only_verb(r#"<Response><Stop><Stream name="fork" url="wss://m/f"/></Stop></Response>"#)
        else {
            panic!("not a Stop")
        };
        let StreamNoun::Stream(s) = &v.nouns[0] else {
            panic!("not a Stream")
        };
        assert_eq!(s.name.as_deref(), Some("fork"));
        assert_eq!(
            codes("<Response><Stop>x</Stop></Response>"),
            [(12200, 1, 17)]
        );
    }
}
