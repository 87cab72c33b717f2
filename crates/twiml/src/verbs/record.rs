//! `<Record>`: record the caller's voice.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

use crate::Method;

/// `trim` of `<Record>` and `<Dial>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trim {
    /// `trim-silence`
    TrimSilence,
    /// `do-not-trim`
    DoNotTrim,
}

impl Trim {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TrimSilence => "trim-silence",
            Self::DoNotTrim => "do-not-trim",
        }
    }

    /// Parses the attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "trim-silence" => Some(Self::TrimSilence),
            "do-not-trim" => Some(Self::DoNotTrim),
            _ => None,
        }
    }
}

/// `<Record>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// `action`: URL requested when the recording ends.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// `timeout`: seconds of silence that end the recording. Default 5.
    pub timeout: u32,
    /// `finishOnKey`. Default `1234567890*#`.
    pub finish_on_key: String,
    /// `maxLength` in seconds. Default 3600.
    pub max_length: u32,
    /// `playBeep`. Default true.
    pub play_beep: bool,
    /// `trim`. Default `trim-silence`.
    pub trim: Trim,
    /// `recordingStatusCallback`.
    pub recording_status_callback: Option<String>,
    /// `recordingStatusCallbackMethod`. Default POST.
    pub recording_status_callback_method: Method,
    /// `recordingStatusCallbackEvent`, as written (space separated).
    pub recording_status_callback_event: Option<String>,
    /// `transcribe`. Default false.
    pub transcribe: bool,
    /// `transcribeCallback`.
    pub transcribe_callback: Option<String>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Record {
    fn default() -> Self {
        Self {
            action: None,
            method: Method::Post,
            timeout: 5,
            finish_on_key: "1234567890*#".to_owned(),
            max_length: 3600,
            play_beep: true,
            trim: Trim::TrimSilence,
            recording_status_callback: None,
            recording_status_callback_method: Method::Post,
            recording_status_callback_event: None,
            transcribe: false,
            transcribe_callback: None,
            extra: Vec::new(),
        }
    }
}

impl Record {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const R: &str = "Record";
        const W: TwilioCode = TwilioCode::SCHEMA_WARNING;
        let tree = cx.tree;
        let mut r = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "action" => r.action = Some(a.value.to_string()),
                "method" => r.method = cx.method(R, a, W, Method::Post),
                "timeout" => r.timeout = cx.uint(R, a, W, (0, 3600), 5),
                "finishOnKey" => r.finish_on_key = a.value.to_string(),
                "maxLength" => r.max_length = cx.uint(R, a, W, (1, 14_400), 3600),
                "playBeep" => r.play_beep = cx.boolean(R, a, W, true),
                "trim" => match Trim::parse(&a.value) {
                    Some(t) => r.trim = t,
                    None => cx.warn(W, a.pos, format!("Record: invalid trim value '{}' (expected trim-silence or do-not-trim)", a.value)),
                },
                "recordingStatusCallback" => r.recording_status_callback = Some(a.value.to_string()),
                "recordingStatusCallbackMethod" => {
                    r.recording_status_callback_method = cx.method(R, a, W, Method::Post);
                }
                "recordingStatusCallbackEvent" => {
                    r.recording_status_callback_event = Some(a.value.to_string());
                }
                "transcribe" => r.transcribe = cx.boolean(R, a, W, false),
                "transcribeCallback" => r.transcribe_callback = Some(a.value.to_string()),
                _ => cx.unknown_attr(R, a, &mut r.extra),
            }
        }
        cx.no_text(R, id);
        cx.no_children(R, id);
        r
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Record");
        w.attr_opt("action", self.action.as_deref());
        w.method("method", self.method);
        w.uint("timeout", self.timeout, 5);
        if self.finish_on_key != "1234567890*#" {
            w.attr("finishOnKey", &self.finish_on_key);
        }
        w.uint("maxLength", self.max_length, 3600);
        w.boolean("playBeep", self.play_beep, true);
        if self.trim != Trim::TrimSilence {
            w.attr("trim", self.trim.as_str());
        }
        w.attr_opt(
            "recordingStatusCallback",
            self.recording_status_callback.as_deref(),
        );
        w.method(
            "recordingStatusCallbackMethod",
            self.recording_status_callback_method,
        );
        w.attr_opt(
            "recordingStatusCallbackEvent",
            self.recording_status_callback_event.as_deref(),
        );
        w.boolean("transcribe", self.transcribe, false);
        w.attr_opt("transcribeCallback", self.transcribe_callback.as_deref());
        w.extra(&self.extra);
        w.end_empty();
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Method, Record, Trim, Verb};

    #[test]
    fn defaults_and_attributes() {
        assert_eq!(
            only_verb("<Response><Record/></Response>"),
            Verb::Record(Record::default())
        );
        let Verb::Record(r) = only_verb(
            r#"<Response><Record action="/r" method="GET" timeout="10" finishOnKey="*" maxLength="120" playBeep="false" trim="do-not-trim" recordingStatusCallback="/s" transcribe="true"/></Response>"#,
        ) else {
            panic!("not a Record")
        };
        assert_eq!((r.method, r.timeout, r.max_length), (Method::Get, 10, 120));
        assert_eq!(
            (r.finish_on_key.as_str(), r.play_beep, r.trim),
            ("*", false, Trim::DoNotTrim)
        );
        assert_eq!(r.recording_status_callback.as_deref(), Some("/s"));
        assert!(r.transcribe);
    }

    #[test]
    fn diagnostics() {
        assert_eq!(
            codes(r#"<Response><Record trim="yes"/></Response>"#),
            [(12200, 1, 19)]
        );
        assert_eq!(
            codes(r#"<Response><Record playBeep="TRUE"/></Response>"#),
            [(12200, 1, 19)]
        );
    }
}
