//! `<Leave>`: leave the queue the caller waits in.

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

/// `<Leave/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Leave {
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Leave {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        let tree = cx.tree;
        let mut verb = Self::default();
        for a in tree.attrs(id) {
            cx.unknown_attr("Leave", a, &mut verb.extra);
        }
        cx.no_text("Leave", id);
        cx.no_children("Leave", id);
        verb
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Leave");
        w.extra(&self.extra);
        w.end_empty();
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Leave, Verb};

    #[test]
    fn parses_and_warns() {
        assert_eq!(
            only_verb("<Response><Leave /></Response>"),
            Verb::Leave(Leave::default())
        );
        assert_eq!(
            codes(r#"<Response><Leave x="1"/></Response>"#),
            [(12200, 1, 18)]
        );
        assert_eq!(
            codes("<Response><Leave>t</Leave></Response>"),
            [(12200, 1, 18)]
        );
    }
}
