//! `<WhatsApp>`: a WhatsApp user, called through WhatsApp Business Calling.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId, Party, party_attr};
use crate::write::XmlWriter;

use dialtone_types::E164;

use crate::{Method, StatusCallbackEvents};

/// `<WhatsApp>+E164</WhatsApp>`; a `whatsapp:` prefix in the text is accepted and removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppNoun {
    /// The consumer's number.
    pub number: E164,
    /// `url`: whisper TwiML run on the callee after answer.
    pub url: Option<String>,
    /// `method` for `url`. Default POST.
    pub method: Method,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `statusCallbackEvent`. Default none (`completed` when `statusCallback` is set).
    pub status_callback_events: StatusCallbackEvents,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl WhatsAppNoun {
    /// A noun with default attributes.
    pub fn new(number: E164) -> Self {
        Self {
            number,
            url: None,
            method: Method::Post,
            status_callback: None,
            status_callback_method: Method::Post,
            status_callback_events: StatusCallbackEvents::NONE,
            extra: Vec::new(),
        }
    }
}

impl WhatsAppNoun {
    /// Parses the noun; an invalid number is an error (13223) and drops the noun.
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Option<Self> {
        const N: &str = "WhatsApp";
        let tree = cx.tree;
        let mut party = Party::default();
        let mut extra = Vec::new();
        for a in tree.attrs(id) {
            if !party_attr!(cx, N, a, party, TwilioCode::SCHEMA_WARNING) {
                cx.unknown_attr(N, a, &mut extra);
            }
        }
        cx.no_children(N, id);
        let node = tree.node(id);
        let text = &*node.text;
        let bare = text.strip_prefix("whatsapp:").unwrap_or(text);
        if let Ok(number) = E164::parse(bare) {
            Some(Self {
                number,
                url: party.url,
                method: party.method,
                status_callback: party.status_callback,
                status_callback_method: party.status_callback_method,
                status_callback_events: party.status_callback_events,
                extra,
            })
        } else {
            let pos = if text.is_empty() {
                node.pos
            } else {
                node.text_pos
            };
            cx.error(
                    TwilioCode::DIAL_INVALID_PHONE_NUMBER,
                    pos,
                    format!("Dial->WhatsApp: '{text}' is not an E.164 number (+ and up to 15 digits, e.g. +14155550100)"),
                );
            None
        }
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("WhatsApp");
        w.party(
            self.url.as_deref(),
            self.method,
            self.status_callback.as_deref(),
            self.status_callback_method,
            self.status_callback_events,
            StatusCallbackEvents::NONE,
        );
        w.extra(&self.extra);
        w.text_content("WhatsApp", self.number.as_str());
    }
}
