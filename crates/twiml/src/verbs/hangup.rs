//! `<Hangup>`: end the call.

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

/// `<Hangup/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hangup {
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Hangup {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        let tree = cx.tree;
        let mut verb = Self::default();
        for a in tree.attrs(id) {
            cx.unknown_attr("Hangup", a, &mut verb.extra);
        }
        cx.no_text("Hangup", id);
        cx.no_children("Hangup", id);
        verb
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Hangup");
        w.extra(&self.extra);
        w.end_empty();
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Hangup, Verb};

    #[test]
    fn parses_and_warns() {
        assert_eq!(
            only_verb("<Response><Hangup /></Response>"),
            Verb::Hangup(Hangup::default())
        );
        assert_eq!(
            codes(r#"<Response><Hangup x="1"/></Response>"#),
            [(12200, 1, 19)]
        );
        assert_eq!(
            codes("<Response><Hangup>t</Hangup></Response>"),
            [(12200, 1, 19)]
        );
    }
}
