//! `<Number>`: a phone number, also what plain-text `<Dial>` content becomes.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId, party_attr};
use crate::write::XmlWriter;

use crate::{Method, StatusCallbackEvents};

/// `<Number>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberNoun {
    /// The number as written (E.164 preferred; unformatted US numbers are accepted).
    pub number: String,
    /// `sendDigits`: DTMF sent once the call connects (`0-9 A-D # * w W`).
    pub send_digits: Option<String>,
    /// `url`: whisper TwiML run on the callee after answer.
    pub url: Option<String>,
    /// `method` for `url`. Default POST.
    pub method: Method,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `statusCallbackEvent`. Default `completed`.
    pub status_callback_events: StatusCallbackEvents,
    /// `byoc`: BYOC trunk SID.
    pub byoc: Option<String>,
    /// `machineDetection`: `Enable` or `DetectMessageEnd`.
    pub machine_detection: Option<String>,
    /// `amdStatusCallback`.
    pub amd_status_callback: Option<String>,
    /// Unknown attributes (and the other AMD tuning attributes), kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for NumberNoun {
    fn default() -> Self {
        Self {
            number: String::new(),
            send_digits: None,
            url: None,
            method: Method::Post,
            status_callback: None,
            status_callback_method: Method::Post,
            status_callback_events: StatusCallbackEvents::COMPLETED,
            byoc: None,
            machine_detection: None,
            amd_status_callback: None,
            extra: Vec::new(),
        }
    }
}

/// True for what Twilio accepts as a phone number: an optional `+`, then 1–15 digits possibly
/// separated by spaces, dashes, dots or parentheses (`(415) 555-1212`).
pub(crate) fn is_phone_number(s: &str) -> bool {
    let body = s.strip_prefix('+').unwrap_or(s);
    let mut digits = 0;
    for c in body.chars() {
        match c {
            '0'..='9' => digits += 1,
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return false,
        }
    }
    (1..=15).contains(&digits)
}

fn is_send_digits(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_digit() || matches!(c, 'A'..='D' | 'a'..='d' | '#' | '*' | 'w' | 'W'))
}

impl NumberNoun {
    /// Warns 13223 when `number` does not look like a phone number.
    fn check_number(&self, cx: &mut Cx<'_, '_>, pos: usize) {
        if !is_phone_number(&self.number) {
            cx.warn(
                TwilioCode::DIAL_INVALID_PHONE_NUMBER,
                pos,
                format!(
                    "Dial: invalid phone number format '{}' (E.164 such as +14155550100, at most 15 digits)",
                    self.number
                ),
            );
        }
    }

    /// Plain-text `<Dial>` content.
    pub(crate) fn from_text(cx: &mut Cx<'_, '_>, text: String, pos: usize) -> Self {
        let noun = Self {
            number: text,
            ..Self::default()
        };
        noun.check_number(cx, pos);
        noun
    }

    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Number";
        let tree = cx.tree;
        let mut n = Self::default();
        for a in tree.attrs(id) {
            if party_attr!(cx, N, a, n, TwilioCode::DIAL_NUMBER_INVALID_METHOD) {
                continue;
            }
            match a.name {
                "sendDigits" => {
                    if !is_send_digits(&a.value) {
                        cx.warn(
                            TwilioCode::DIAL_NUMBER_INVALID_SEND_DIGITS,
                            a.pos,
                            format!("Dial->Number: invalid sendDigits value '{}' (0-9, A-D, #, *, w, W)", a.value),
                        );
                    }
                    n.send_digits = Some(a.value.to_string());
                }
                "byoc" => n.byoc = Some(a.value.to_string()),
                "machineDetection" => n.machine_detection = Some(a.value.to_string()),
                "amdStatusCallback" => n.amd_status_callback = Some(a.value.to_string()),
                "amdStatusCallbackMethod"
                | "machineDetectionTimeout"
                | "machineDetectionSpeechThreshold"
                | "machineDetectionSpeechEndThreshold"
                | "machineDetectionSilenceTimeout" => {
                    n.extra.push((a.name.to_owned(), a.value.to_string()));
                }
                _ => cx.unknown_attr(N, a, &mut n.extra),
            }
        }
        n.number = cx.text(id);
        let node = tree.node(id);
        let pos = if n.number.is_empty() {
            node.pos
        } else {
            node.text_pos
        };
        n.check_number(cx, pos);
        cx.no_children(N, id);
        n
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Number");
        w.attr_opt("sendDigits", self.send_digits.as_deref());
        w.party(
            self.url.as_deref(),
            self.method,
            self.status_callback.as_deref(),
            self.status_callback_method,
            self.status_callback_events,
            StatusCallbackEvents::COMPLETED,
        );
        w.attr_opt("byoc", self.byoc.as_deref());
        w.attr_opt("machineDetection", self.machine_detection.as_deref());
        w.attr_opt("amdStatusCallback", self.amd_status_callback.as_deref());
        w.extra(&self.extra);
        w.text_content("Number", &self.number);
    }
}

#[cfg(test)]
mod tests {
    use super::is_phone_number;
    use crate::test_util::{codes, only_verb};
    use crate::{DialNoun, Method, NumberNoun, StatusCallbackEvents, Verb};

    fn number(xml: &str) -> NumberNoun {
        let Verb::Dial(mut dial) = only_verb(xml) else {
            panic!("not a Dial")
        };
        let Some(DialNoun::Number(n)) = dial.nouns.pop() else {
            panic!("not a Number")
        };
        n
    }

    #[test]
    fn defaults() {
        let n = number("<Response><Dial><Number>+14155550100</Number></Dial></Response>");
        assert_eq!(
            n,
            NumberNoun {
                number: "+14155550100".into(),
                ..NumberNoun::default()
            }
        );
        assert_eq!(n.status_callback_events, StatusCallbackEvents::COMPLETED);
    }

    #[test]
    fn attributes() {
        let n = number(
            r#"<Response><Dial><Number sendDigits="ww1#" url="/w" method="GET" statusCallback="/s" statusCallbackMethod="GET" statusCallbackEvent="initiated, ringing answered" byoc="BYxx">(415) 555-1212</Number></Dial></Response>"#,
        );
        assert_eq!(n.number, "(415) 555-1212");
        assert_eq!(n.send_digits.as_deref(), Some("ww1#"));
        assert_eq!((n.url.as_deref(), n.method), (Some("/w"), Method::Get));
        assert_eq!(
            (n.status_callback.as_deref(), n.status_callback_method),
            (Some("/s"), Method::Get)
        );
        assert_eq!(
            n.status_callback_events,
            StatusCallbackEvents {
                initiated: true,
                ringing: true,
                answered: true,
                completed: false
            }
        );
        assert_eq!(n.byoc.as_deref(), Some("BYxx"));
    }

    #[test]
    fn phone_formats() {
        for ok in [
            "+14155550100",
            "415-123-4567",
            "(415) 555-1212",
            "4155551212",
        ] {
            assert!(is_phone_number(ok), "{ok}");
        }
        for bad in ["", "+", "abc", "+1234567890123456", "415x"] {
            assert!(!is_phone_number(bad), "{bad}");
        }
    }

    #[test]
    fn diagnostics() {
        assert_eq!(
            codes("<Response><Dial><Number>abc</Number></Dial></Response>"),
            [(13223, 1, 25)]
        );
        assert_eq!(
            codes(
                r#"<Response><Dial><Number method="PUT">+14155550100</Number></Dial></Response>"#
            ),
            [(13221, 1, 25)]
        );
        assert_eq!(
            codes(
                r#"<Response><Dial><Number sendDigits="x">+14155550100</Number></Dial></Response>"#
            ),
            [(13222, 1, 25)]
        );
        assert_eq!(
            codes(
                r#"<Response><Dial><Number statusCallbackEvent="done">+14155550100</Number></Dial></Response>"#
            ),
            [(12200, 1, 25)]
        );
    }
}
