//! `<Sms>`: the legacy verb that sends a text message during a call.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

use crate::Method;

/// `<Sms to from action method statusCallback>body</Sms>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sms {
    /// The message body (element text).
    pub body: String,
    /// `to`; none means the caller.
    pub to: Option<String>,
    /// `from`; none means the called number.
    pub from: Option<String>,
    /// `action`.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Sms {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Sms";
        let tree = cx.tree;
        let mut s = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "to" => s.to = Some(a.value.to_string()),
                "from" => s.from = Some(a.value.to_string()),
                "action" => s.action = Some(a.value.to_string()),
                "method" => s.method = cx.method(N, a, TwilioCode::SCHEMA_WARNING, Method::Post),
                "statusCallback" => s.status_callback = Some(a.value.to_string()),
                _ => cx.unknown_attr(N, a, &mut s.extra),
            }
        }
        s.body = cx.text(id);
        cx.no_children(N, id);
        s
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Sms");
        w.attr_opt("to", self.to.as_deref());
        w.attr_opt("from", self.from.as_deref());
        w.attr_opt("action", self.action.as_deref());
        w.method("method", self.method);
        w.attr_opt("statusCallback", self.status_callback.as_deref());
        w.extra(&self.extra);
        w.text_content("Sms", &self.body);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Sms, Verb};

    #[test]
    fn attributes() {
        assert_eq!(
            only_verb(
                r#"<Response><Sms from="+14155550100" to="+14155550111">Code 1234</Sms></Response>"#
            ),
            Verb::Sms(Sms {
                body: "Code 1234".into(),
                to: Some("+14155550111".into()),
                from: Some("+14155550100".into()),
                ..Sms::default()
            })
        );
        assert_eq!(
            codes(r#"<Response><Sms method="x">b</Sms></Response>"#),
            [(12200, 1, 16)]
        );
    }
}
