//! `<Refer>`: transfer a SIP call with a SIP REFER.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

use crate::Method;

/// `<Refer action method><Sip>uri</Sip></Refer>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refer {
    /// `action`.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// The `<Sip>` target URI.
    pub sip: Option<String>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Refer {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Refer";
        let tree = cx.tree;
        let mut r = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "action" => r.action = Some(a.value.to_string()),
                "method" => r.method = cx.method(N, a, TwilioCode::SCHEMA_WARNING, Method::Post),
                _ => cx.unknown_attr(N, a, &mut r.extra),
            }
        }
        cx.no_text(N, id);
        for child in tree.children(id) {
            if tree.node(child).name == "Sip" {
                r.sip = Some(cx.text(child));
                cx.no_children("Sip", child);
            } else {
                cx.unexpected_child(TwilioCode::SCHEMA_WARNING, N, child);
            }
        }
        r
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Refer");
        w.attr_opt("action", self.action.as_deref());
        w.method("method", self.method);
        w.extra(&self.extra);
        match &self.sip {
            None => w.end_empty(),
            Some(uri) => {
                w.end_start();
                w.open("Sip");
                w.text_content("Sip", uri);
                w.close("Refer");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::only_verb;
    use crate::{Refer, Verb};

    #[test]
    fn sip_target() {
        assert_eq!(
            only_verb(
                r#"<Response><Refer action="/r"><Sip>sip:bob@example.com</Sip></Refer></Response>"#
            ),
            Verb::Refer(Refer {
                action: Some("/r".into()),
                sip: Some("sip:bob@example.com".into()),
                ..Refer::default()
            })
        );
    }
}
