//! `<Queue>`: connect to the call waiting at the front of a queue.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

use crate::Method;

/// `<Queue url method>queue name</Queue>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueNoun {
    /// The queue name (element text).
    pub name: String,
    /// `url`: TwiML played to the dequeued caller before bridging.
    pub url: Option<String>,
    /// `method` for `url`. Default POST.
    pub method: Method,
    /// `reservationSid` (TaskRouter).
    pub reservation_sid: Option<String>,
    /// `postWorkActivitySid` (TaskRouter).
    pub post_work_activity_sid: Option<String>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl QueueNoun {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Queue";
        let tree = cx.tree;
        let mut q = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "url" => q.url = Some(a.value.to_string()),
                "method" => q.method = cx.method(N, a, TwilioCode::SCHEMA_WARNING, Method::Post),
                "reservationSid" => q.reservation_sid = Some(a.value.to_string()),
                "postWorkActivitySid" => q.post_work_activity_sid = Some(a.value.to_string()),
                _ => cx.unknown_attr(N, a, &mut q.extra),
            }
        }
        q.name = cx.text(id);
        cx.no_children(N, id);
        q
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Queue");
        w.attr_opt("url", self.url.as_deref());
        w.method("method", self.method);
        w.attr_opt("reservationSid", self.reservation_sid.as_deref());
        w.attr_opt(
            "postWorkActivitySid",
            self.post_work_activity_sid.as_deref(),
        );
        w.extra(&self.extra);
        w.text_content("Queue", &self.name);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{DialNoun, QueueNoun, Verb};

    #[test]
    fn attributes() {
        let Verb::Dial(mut d) =
            only_verb(r#"<Response><Dial><Queue url="/about">support</Queue></Dial></Response>"#)
        else {
            panic!("not a Dial")
        };
        assert_eq!(
            d.nouns.pop(),
            Some(DialNoun::Queue(QueueNoun {
                name: "support".into(),
                url: Some("/about".into()),
                ..QueueNoun::default()
            }))
        );
        assert_eq!(
            codes(r#"<Response><Dial><Queue method="X">q</Queue></Dial></Response>"#),
            [(12200, 1, 24)]
        );
    }
}
