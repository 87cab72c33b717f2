//! `<Sim>`: a Programmable Wireless / Super SIM.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId, party_attr};
use crate::write::XmlWriter;

use crate::{Method, StatusCallbackEvents};

/// `<Sim>DE…</Sim>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimNoun {
    /// The SIM SID (element text).
    pub sid: String,
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
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl SimNoun {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Sim";
        let tree = cx.tree;
        let mut sim = Self::default();
        for a in tree.attrs(id) {
            if !party_attr!(cx, N, a, sim, TwilioCode::SCHEMA_WARNING) {
                cx.unknown_attr(N, a, &mut sim.extra);
            }
        }
        sim.sid = cx.text(id);
        cx.no_children(N, id);
        sim
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Sim");
        w.party(
            self.url.as_deref(),
            self.method,
            self.status_callback.as_deref(),
            self.status_callback_method,
            self.status_callback_events,
            StatusCallbackEvents::NONE,
        );
        w.extra(&self.extra);
        w.text_content("Sim", &self.sid);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::only_verb;
    use crate::{DialNoun, SimNoun, Verb};

    #[test]
    fn sid() {
        let Verb::Dial(mut d) = only_verb("<Response><Dial><Sim>DE123</Sim></Dial></Response>")
        else {
            panic!("not a Dial")
        };
        assert_eq!(
            d.nouns.pop(),
            Some(DialNoun::Sim(SimNoun {
                sid: "DE123".into(),
                ..SimNoun::default()
            }))
        );
    }
}
