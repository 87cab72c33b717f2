//! `<Redirect>`: continue with the TwiML at another URL.

use dialtone_types::TwilioCode;

use crate::Method;
use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

/// `<Redirect method>url</Redirect>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Redirect {
    /// The URL (element text), relative or absolute.
    pub url: String,
    /// `method`. Default POST.
    pub method: Method,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Redirect {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        let tree = cx.tree;
        let mut redirect = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "method" => {
                    redirect.method =
                        cx.method("Redirect", a, TwilioCode::SCHEMA_WARNING, Method::Post);
                }
                _ => cx.unknown_attr("Redirect", a, &mut redirect.extra),
            }
        }
        redirect.url = cx.text(id);
        if redirect.url.is_empty() {
            let pos = tree.node(id).pos;
            cx.warn(
                TwilioCode::SCHEMA_WARNING,
                pos,
                "Redirect: no URL; the current document URL is requested again".to_owned(),
            );
        }
        cx.no_children("Redirect", id);
        redirect
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Redirect");
        w.method("method", self.method);
        w.extra(&self.extra);
        w.text_content("Redirect", &self.url);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Method, Redirect, Verb};

    #[test]
    fn defaults_and_method() {
        assert_eq!(
            only_verb("<Response><Redirect>/next</Redirect></Response>"),
            Verb::Redirect(Redirect {
                url: "/next".into(),
                ..Redirect::default()
            })
        );
        let Verb::Redirect(r) =
            only_verb(r#"<Response><Redirect method="GET">/n?a=1&amp;b=2</Redirect></Response>"#)
        else {
            panic!("not a Redirect")
        };
        assert_eq!((r.method, r.url.as_str()), (Method::Get, "/n?a=1&b=2"));
    }

    #[test]
    fn diagnostics() {
        assert_eq!(
            codes(r#"<Response><Redirect method="PUT">/n</Redirect></Response>"#),
            [(12200, 1, 21)]
        );
        assert_eq!(codes("<Response><Redirect/></Response>"), [(12200, 1, 11)]);
    }
}
