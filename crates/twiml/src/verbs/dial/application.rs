//! `<Application>`: dial another TwiML application, keeping the parent context.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId, party_attr};
use crate::write::XmlWriter;

use crate::{Method, StatusCallbackEvents};

/// `<Application>AP…</Application>` or with `<ApplicationSid>`/`<Parameter>` children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApplicationNoun {
    /// The application SID (`AP…`).
    pub sid: String,
    /// `<Parameter name value/>` children.
    pub parameters: Vec<(String, String)>,
    /// `url`: whisper TwiML run on the callee after answer.
    pub url: Option<String>,
    /// `method` for `url`. Default POST.
    pub method: Method,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `statusCallbackEvent`. Default none.
    pub status_callback_events: StatusCallbackEvents,
    /// `customerId`.
    pub customer_id: Option<String>,
    /// `copyParentTo`. Default false.
    pub copy_parent_to: bool,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl ApplicationNoun {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Application";
        let tree = cx.tree;
        let mut app = Self::default();
        for a in tree.attrs(id) {
            if party_attr!(cx, N, a, app, TwilioCode::SCHEMA_WARNING) {
                continue;
            }
            match a.name {
                "customerId" => app.customer_id = Some(a.value.to_string()),
                "copyParentTo" => {
                    app.copy_parent_to = cx.boolean(N, a, TwilioCode::SCHEMA_WARNING, false);
                }
                _ => cx.unknown_attr(N, a, &mut app.extra),
            }
        }
        app.sid = cx.text(id);
        for child in tree.children(id) {
            match tree.node(child).name {
                "ApplicationSid" => {
                    app.sid = cx.text(child);
                    cx.no_children("ApplicationSid", child);
                }
                "Parameter" => {
                    let p = cx.parameter(child);
                    app.parameters.push(p);
                }
                _ => cx.unexpected_child(TwilioCode::SCHEMA_WARNING, N, child),
            }
        }
        app
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Application");
        w.party(
            self.url.as_deref(),
            self.method,
            self.status_callback.as_deref(),
            self.status_callback_method,
            self.status_callback_events,
            StatusCallbackEvents::NONE,
        );
        w.attr_opt("customerId", self.customer_id.as_deref());
        w.boolean("copyParentTo", self.copy_parent_to, false);
        w.extra(&self.extra);
        if self.parameters.is_empty() {
            w.text_content("Application", &self.sid);
        } else {
            w.end_start();
            w.open("ApplicationSid");
            w.text_content("ApplicationSid", &self.sid);
            w.parameters(&self.parameters);
            w.close("Application");
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::only_verb;
    use crate::{DialNoun, Verb};

    #[test]
    fn sid_child_and_parameters() {
        let Verb::Dial(mut d) = only_verb(
            r#"<Response><Dial><Application copyParentTo="true"><ApplicationSid>AP123</ApplicationSid><Parameter name="a" value="b"/></Application></Dial></Response>"#,
        ) else {
            panic!("not a Dial")
        };
        let Some(DialNoun::Application(app)) = d.nouns.pop() else {
            panic!("not an Application")
        };
        assert_eq!(app.sid, "AP123");
        assert!(app.copy_parent_to);
        assert_eq!(app.parameters, [("a".to_owned(), "b".to_owned())]);
    }
}
