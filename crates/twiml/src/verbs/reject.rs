//! `<Reject>`: refuse an incoming call without answering it (no billing).

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

/// `reason` of `<Reject>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RejectReason {
    /// `rejected` (default): the caller hears "not in service".
    #[default]
    Rejected,
    /// `busy`: the caller hears a busy signal.
    Busy,
}

impl RejectReason {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Rejected => "rejected",
            Self::Busy => "busy",
        }
    }
}

/// `<Reject reason/>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reject {
    /// `reason`. Default `rejected`.
    pub reason: RejectReason,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Reject {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        let tree = cx.tree;
        let mut reject = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "reason" => match &*a.value {
                    "rejected" => reject.reason = RejectReason::Rejected,
                    "busy" => reject.reason = RejectReason::Busy,
                    other => cx.warn(
                        TwilioCode::SCHEMA_WARNING,
                        a.pos,
                        format!(
                            "Reject: invalid reason value '{other}' (expected rejected or busy)"
                        ),
                    ),
                },
                _ => cx.unknown_attr("Reject", a, &mut reject.extra),
            }
        }
        cx.no_text("Reject", id);
        cx.no_children("Reject", id);
        reject
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Reject");
        if self.reason != RejectReason::Rejected {
            w.attr("reason", self.reason.as_str());
        }
        w.extra(&self.extra);
        w.end_empty();
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Reject, RejectReason, Verb};

    #[test]
    fn reasons() {
        assert_eq!(
            only_verb("<Response><Reject/></Response>"),
            Verb::Reject(Reject::default())
        );
        assert_eq!(
            only_verb(r#"<Response><Reject reason="busy"/></Response>"#),
            Verb::Reject(Reject {
                reason: RejectReason::Busy,
                ..Reject::default()
            })
        );
        assert_eq!(
            codes(r#"<Response><Reject reason="Busy"/></Response>"#),
            [(12200, 1, 19)]
        );
    }
}
