//! `<Pause>`: silence.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

/// `<Pause length/>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pause {
    /// `length` in seconds. Default 1.
    pub length: u32,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Pause {
    fn default() -> Self {
        Self {
            length: 1,
            extra: Vec::new(),
        }
    }
}

impl Pause {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        let tree = cx.tree;
        let mut pause = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "length" => {
                    pause.length = cx.uint("Pause", a, TwilioCode::SCHEMA_WARNING, (0, 600), 1);
                }
                _ => cx.unknown_attr("Pause", a, &mut pause.extra),
            }
        }
        cx.no_text("Pause", id);
        cx.no_children("Pause", id);
        pause
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Pause");
        w.uint("length", self.length, 1);
        w.extra(&self.extra);
        w.end_empty();
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Pause, Verb};

    #[test]
    fn defaults_and_length() {
        assert_eq!(
            only_verb("<Response><Pause/></Response>"),
            Verb::Pause(Pause::default())
        );
        assert_eq!(
            only_verb(r#"<Response><Pause length="5" /></Response>"#),
            Verb::Pause(Pause {
                length: 5,
                ..Pause::default()
            })
        );
    }

    #[test]
    fn diagnostics() {
        assert_eq!(
            codes(r#"<Response><Pause length="-1"/></Response>"#),
            [(12200, 1, 18)]
        );
        assert_eq!(
            codes("<Response><Pause>3</Pause></Response>"),
            [(12200, 1, 18)]
        );
    }
}
