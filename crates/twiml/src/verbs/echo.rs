//! `<Echo>`: loop the caller's audio back (a test verb).

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

/// `<Echo/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Echo {
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Echo {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        let tree = cx.tree;
        let mut verb = Self::default();
        for a in tree.attrs(id) {
            cx.unknown_attr("Echo", a, &mut verb.extra);
        }
        cx.no_text("Echo", id);
        cx.no_children("Echo", id);
        verb
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Echo");
        w.extra(&self.extra);
        w.end_empty();
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Echo, Verb};

    #[test]
    fn parses_and_warns() {
        assert_eq!(
            only_verb("<Response><Echo /></Response>"),
            Verb::Echo(Echo::default())
        );
        assert_eq!(
            codes(r#"<Response><Echo x="1"/></Response>"#),
            [(12200, 1, 17)]
        );
        assert_eq!(
            codes("<Response><Echo>t</Echo></Response>"),
            [(12200, 1, 17)]
        );
    }
}
