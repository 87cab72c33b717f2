//! `<Dial>`: connect the current call to another party, and its nouns.

mod application;
mod client;
mod conference;
mod number;
mod queue;
mod sim;
mod sip;
mod whatsapp;

pub use application::ApplicationNoun;
pub use client::ClientNoun;
pub use conference::{ConferenceBeep, ConferenceNoun};
pub use number::NumberNoun;
pub use queue::QueueNoun;
pub use sim::SimNoun;
pub use sip::SipNoun;
pub use whatsapp::WhatsAppNoun;

use dialtone_types::{E164, TwilioCode};

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;
use crate::{Method, Trim};

/// `record` of `<Dial>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DialRecord {
    /// `do-not-record` (default; legacy `false`).
    #[default]
    DoNotRecord,
    /// `record-from-answer` (legacy `true`).
    RecordFromAnswer,
    /// `record-from-ringing`
    RecordFromRinging,
    /// `record-from-answer-dual`: parent in channel 1, child in channel 2.
    RecordFromAnswerDual,
    /// `record-from-ringing-dual`
    RecordFromRingingDual,
}

impl DialRecord {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DoNotRecord => "do-not-record",
            Self::RecordFromAnswer => "record-from-answer",
            Self::RecordFromRinging => "record-from-ringing",
            Self::RecordFromAnswerDual => "record-from-answer-dual",
            Self::RecordFromRingingDual => "record-from-ringing-dual",
        }
    }

    /// Parses the attribute value, including the legacy `true`/`false`.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "do-not-record" | "false" => Self::DoNotRecord,
            "record-from-answer" | "true" => Self::RecordFromAnswer,
            "record-from-ringing" => Self::RecordFromRinging,
            "record-from-answer-dual" => Self::RecordFromAnswerDual,
            "record-from-ringing-dual" => Self::RecordFromRingingDual,
            _ => return None,
        })
    }

    /// True when the dial is recorded at all.
    pub const fn is_recording(self) -> bool {
        !matches!(self, Self::DoNotRecord)
    }

    /// True for the two-channel modes.
    pub const fn is_dual(self) -> bool {
        matches!(
            self,
            Self::RecordFromAnswerDual | Self::RecordFromRingingDual
        )
    }
}

/// `recordingTrack` of `<Dial>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RecordingTrack {
    /// `both` (default).
    #[default]
    Both,
    /// `inbound`: audio received by the engine.
    Inbound,
    /// `outbound`: audio the engine generates.
    Outbound,
}

impl RecordingTrack {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Both => "both",
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
}

/// The `recordingStatusCallbackEvent` set: `in-progress`, `completed`, `absent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecordingEvents {
    /// `in-progress`
    pub in_progress: bool,
    /// `completed` (the default)
    pub completed: bool,
    /// `absent`
    pub absent: bool,
}

impl Default for RecordingEvents {
    fn default() -> Self {
        Self {
            in_progress: false,
            completed: true,
            absent: false,
        }
    }
}

impl RecordingEvents {
    /// The attribute value, space separated.
    pub fn to_attribute(self) -> String {
        let mut out = Vec::with_capacity(3);
        for (on, name) in [
            (self.in_progress, "in-progress"),
            (self.completed, "completed"),
            (self.absent, "absent"),
        ] {
            if on {
                out.push(name);
            }
        }
        out.join(" ")
    }
}

/// A party (or place) `<Dial>` connects to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialNoun {
    /// `<Number>` or plain-text content of `<Dial>`.
    Number(NumberNoun),
    /// `<Client>`: a Voice SDK identity.
    Client(ClientNoun),
    /// `<Sip>`: a SIP URI.
    Sip(SipNoun),
    /// `<WhatsApp>`: a WhatsApp user.
    WhatsApp(WhatsAppNoun),
    /// `<Conference>`: join a conference room.
    Conference(ConferenceNoun),
    /// `<Queue>`: connect to the call at the front of a queue.
    Queue(QueueNoun),
    /// `<Application>`: another TwiML application.
    Application(ApplicationNoun),
    /// `<Sim>`: a Programmable Wireless SIM.
    Sim(SimNoun),
}

impl DialNoun {
    /// The element name (`Number`, `Client`, ...).
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Number(_) => "Number",
            Self::Client(_) => "Client",
            Self::Sip(_) => "Sip",
            Self::WhatsApp(_) => "WhatsApp",
            Self::Conference(_) => "Conference",
            Self::Queue(_) => "Queue",
            Self::Application(_) => "Application",
            Self::Sim(_) => "Sim",
        }
    }
}

/// `<Dial>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dial {
    /// `action`: requested when the dial ends; without it execution continues with the next verb.
    pub action: Option<String>,
    /// `method` for `action`. Default POST.
    pub method: Method,
    /// `timeout`: ring seconds before `no-answer`, 5–600. Default 30.
    pub timeout: u32,
    /// `timeLimit`: maximum seconds of the dialed call. Default 14400.
    pub time_limit: u32,
    /// `callerId`; none means the parent call's `From`.
    pub caller_id: Option<String>,
    /// `answerOnBridge`. Default false.
    pub answer_on_bridge: bool,
    /// `hangupOnStar`. Default false.
    pub hangup_on_star: bool,
    /// `sequential`: dial nouns one after the other instead of at once. Default false.
    pub sequential: bool,
    /// `record`. Default `do-not-record`.
    pub record: DialRecord,
    /// `recordingStatusCallback`.
    pub recording_status_callback: Option<String>,
    /// `recordingStatusCallbackMethod`. Default POST.
    pub recording_status_callback_method: Method,
    /// `recordingStatusCallbackEvent`. Default `completed`.
    pub recording_status_callback_events: RecordingEvents,
    /// `recordingTrack`. Default `both`.
    pub recording_track: RecordingTrack,
    /// `trim`. Default `do-not-trim`.
    pub trim: Trim,
    /// `ringTone`, a country code such as `us` or `uk`; none means the carrier ringback.
    pub ring_tone: Option<String>,
    /// `referUrl`.
    pub refer_url: Option<String>,
    /// `referMethod`. Default POST.
    pub refer_method: Method,
    /// `callReason` (Branded Calls).
    pub call_reason: Option<String>,
    /// `recordingConfigurationId`.
    pub recording_configuration_id: Option<String>,
    /// `events` (library-only attribute, semantics unconfirmed).
    pub events: Option<String>,
    /// `passports` (library-only attribute).
    pub passports: Option<String>,
    /// The parties to dial, in document order. Plain-text content becomes a `Number`.
    pub nouns: Vec<DialNoun>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Dial {
    fn default() -> Self {
        Self {
            action: None,
            method: Method::Post,
            timeout: 30,
            time_limit: 14400,
            caller_id: None,
            answer_on_bridge: false,
            hangup_on_star: false,
            sequential: false,
            record: DialRecord::DoNotRecord,
            recording_status_callback: None,
            recording_status_callback_method: Method::Post,
            recording_status_callback_events: RecordingEvents::default(),
            recording_track: RecordingTrack::Both,
            trim: Trim::DoNotTrim,
            ring_tone: None,
            refer_url: None,
            refer_method: Method::Post,
            call_reason: None,
            recording_configuration_id: None,
            events: None,
            passports: None,
            nouns: Vec::new(),
            extra: Vec::new(),
        }
    }
}

impl Dial {
    /// True when one of the nouns is `<WhatsApp>`.
    pub fn has_whatsapp(&self) -> bool {
        self.nouns
            .iter()
            .any(|n| matches!(n, DialNoun::WhatsApp(_)))
    }
}

/// `ringTone` values Twilio documents.
const RING_TONES: &[&str] = &[
    "at", "au", "bg", "br", "be", "ch", "cl", "cn", "cz", "de", "dk", "ee", "es", "fi", "fr", "gr",
    "hu", "il", "in", "it", "lt", "jp", "mx", "my", "nl", "no", "nz", "ph", "pl", "pt", "ru", "se",
    "sg", "th", "uk", "us", "us-old", "tw", "ve", "za",
];

/// Where things were in the document, for the document-level rules.
#[derive(Debug, Default)]
struct Spots {
    dial: usize,
    caller_id: Option<usize>,
    first_number: Option<usize>,
    first_conference: Option<usize>,
    /// Set even when the `<WhatsApp>` noun was dropped for an invalid number.
    whatsapp: bool,
}

impl Dial {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const D: &str = "Dial";
        const W: TwilioCode = TwilioCode::SCHEMA_WARNING;
        let tree = cx.tree;
        let mut d = Self {
            nouns: Vec::with_capacity(
                tree.child_count(id) + usize::from(!tree.node(id).text.is_empty()),
            ),
            ..Self::default()
        };
        let mut spots = Spots {
            dial: tree.node(id).pos,
            ..Spots::default()
        };
        for a in tree.attrs(id) {
            match a.name {
                "action" => d.action = Some(a.value.to_string()),
                "method" => d.method = cx.method(D, a, TwilioCode::DIAL_INVALID_METHOD, Method::Post),
                "timeout" => d.timeout = cx.uint(D, a, TwilioCode::DIAL_INVALID_TIMEOUT, (5, 600), 30),
                "timeLimit" => {
                    d.time_limit = cx.uint(D, a, TwilioCode::DIAL_INVALID_TIME_LIMIT, (1, 86_400), 14_400);
                }
                "callerId" => {
                    d.caller_id = Some(a.value.to_string());
                    spots.caller_id = Some(a.pos);
                }
                "answerOnBridge" => {
                    d.answer_on_bridge = cx.boolean(D, a, TwilioCode::DIAL_INVALID_ANSWER_ON_BRIDGE, false);
                }
                "hangupOnStar" => {
                    d.hangup_on_star = cx.boolean(D, a, TwilioCode::DIAL_INVALID_HANGUP_ON_STAR, false);
                }
                "sequential" => d.sequential = cx.boolean(D, a, TwilioCode::DIAL_INVALID_SEQUENTIAL, false),
                "record" => match DialRecord::parse(&a.value) {
                    Some(r) => d.record = r,
                    None => cx.warn(
                        TwilioCode::DIAL_INVALID_RECORD,
                        a.pos,
                        format!("Dial: invalid record value '{}' (do-not-record, record-from-answer, record-from-ringing, record-from-answer-dual, record-from-ringing-dual)", a.value),
                    ),
                },
                "recordingStatusCallback" => d.recording_status_callback = Some(a.value.to_string()),
                "recordingStatusCallbackMethod" => {
                    d.recording_status_callback_method = cx.method(D, a, W, Method::Post);
                }
                "recordingStatusCallbackEvent" => {
                    let mut events = RecordingEvents { in_progress: false, completed: false, absent: false };
                    for token in a.value.split(|c: char| c == ',' || c.is_ascii_whitespace()).filter(|t| !t.is_empty()) {
                        match token {
                            "in-progress" => events.in_progress = true,
                            "completed" => events.completed = true,
                            "absent" => events.absent = true,
                            other => cx.error(
                                TwilioCode::DIAL_INVALID_RECORDING_EVENT,
                                a.pos,
                                format!("Dial: invalid recordingStatusCallbackEvent '{other}' (in-progress, completed, absent)"),
                            ),
                        }
                    }
                    d.recording_status_callback_events = events;
                }
                "recordingTrack" => match &*a.value {
                    "both" => d.recording_track = RecordingTrack::Both,
                    "inbound" => d.recording_track = RecordingTrack::Inbound,
                    "outbound" => d.recording_track = RecordingTrack::Outbound,
                    other => cx.warn(W, a.pos, format!("Dial: invalid recordingTrack value '{other}' (both, inbound, outbound)")),
                },
                "trim" => match Trim::parse(&a.value) {
                    Some(t) => d.trim = t,
                    None => cx.warn(W, a.pos, format!("Dial: invalid trim value '{}' (trim-silence, do-not-trim)", a.value)),
                },
                "ringTone" => {
                    if RING_TONES.contains(&&*a.value) {
                        d.ring_tone = Some(a.value.to_string());
                    } else {
                        cx.warn(
                            TwilioCode::DIAL_INVALID_RING_TONE,
                            a.pos,
                            format!("Dial: invalid ringTone value '{}' (a country code such as us, uk, de)", a.value),
                        );
                    }
                }
                "referUrl" => d.refer_url = Some(a.value.to_string()),
                "referMethod" => d.refer_method = cx.method(D, a, W, Method::Post),
                "callReason" => d.call_reason = Some(a.value.to_string()),
                "recordingConfigurationId" => d.recording_configuration_id = Some(a.value.to_string()),
                "events" => d.events = Some(a.value.to_string()),
                "passports" => d.passports = Some(a.value.to_string()),
                _ => cx.unknown_attr(D, a, &mut d.extra),
            }
        }
        let node = tree.node(id);
        if !node.text.is_empty() {
            spots.first_number = Some(node.text_pos);
            let number = NumberNoun::from_text(cx, cx.text(id), node.text_pos);
            d.nouns.push(DialNoun::Number(number));
        }
        for child in tree.children(id) {
            let pos = tree.node(child).pos;
            let noun = match tree.node(child).name {
                "Number" => {
                    spots.first_number.get_or_insert(pos);
                    DialNoun::Number(NumberNoun::parse(cx, child))
                }
                "Client" => DialNoun::Client(ClientNoun::parse(cx, child)),
                "Sip" => DialNoun::Sip(SipNoun::parse(cx, child)),
                "WhatsApp" => {
                    spots.whatsapp = true;
                    match WhatsAppNoun::parse(cx, child) {
                        Some(w) => DialNoun::WhatsApp(w),
                        None => continue,
                    }
                }
                "Conference" => {
                    spots.first_conference.get_or_insert(pos);
                    DialNoun::Conference(ConferenceNoun::parse(cx, child))
                }
                "Queue" => DialNoun::Queue(QueueNoun::parse(cx, child)),
                "Application" => DialNoun::Application(ApplicationNoun::parse(cx, child)),
                "Sim" => DialNoun::Sim(SimNoun::parse(cx, child)),
                _ => {
                    cx.unexpected_child(TwilioCode::DIAL_INVALID_NESTED_ELEMENT, D, child);
                    continue;
                }
            };
            d.nouns.push(noun);
        }
        d.check(cx, &spots);
        d
    }

    /// Rules that look at the whole `<Dial>`: something to dial, callerId, WhatsApp mixing.
    fn check(&self, cx: &mut Cx<'_, '_>, spots: &Spots) {
        if self.nouns.is_empty() && !spots.whatsapp {
            cx.warn(
                TwilioCode::DIAL_INVALID_PHONE_NUMBER,
                spots.dial,
                "Dial: nothing to dial (no number or noun)".to_owned(),
            );
        }
        if let (Some(conference), Some(_)) = (spots.first_conference, spots.first_number) {
            cx.warn(
                TwilioCode::CONFERENCE_WITH_NUMBER,
                conference,
                "Dial: <Conference> cannot be mixed with <Number> nouns".to_owned(),
            );
        }
        if spots.whatsapp {
            let valid = self
                .caller_id
                .as_deref()
                .and_then(|c| c.strip_prefix("whatsapp:"))
                .is_some_and(|n| E164::parse(n).is_ok());
            if !valid {
                let message = match &self.caller_id {
                    None => "Dial: callerId is required when dialing <WhatsApp> and must be whatsapp:+E164 (a voice-enabled WhatsApp sender)".to_owned(),
                    Some(c) => format!("Dial: invalid callerId '{c}' for <WhatsApp>; it must be whatsapp:+E164 (a voice-enabled WhatsApp sender)"),
                };
                cx.error(
                    TwilioCode::DIAL_INVALID_CALLER_ID,
                    spots.caller_id.unwrap_or(spots.dial),
                    message,
                );
            }
            if let Some(number) = spots.first_number {
                cx.error(
                    TwilioCode::DIAL_INVALID_NESTED_ELEMENT,
                    number,
                    "Dial: <WhatsApp> cannot be mixed with <Number> or a plain-text number; WhatsApp calls cannot be connected to the telephone network".to_owned(),
                );
            }
        } else if let (Some(c), Some(pos)) = (&self.caller_id, spots.caller_id) {
            if c.is_empty() || c.chars().any(char::is_whitespace) {
                cx.warn(
                    TwilioCode::DIAL_INVALID_CALLER_ID,
                    pos,
                    format!("Dial: invalid callerId value '{c}'"),
                );
            } else if c.chars().count() > 256 {
                cx.warn(
                    TwilioCode::DIAL_CALLER_ID_TOO_LONG,
                    pos,
                    "Dial: callerId is too long".to_owned(),
                );
            }
        }
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Dial");
        w.attr_opt("action", self.action.as_deref());
        w.method("method", self.method);
        w.uint("timeout", self.timeout, 30);
        w.uint("timeLimit", self.time_limit, 14_400);
        w.attr_opt("callerId", self.caller_id.as_deref());
        w.boolean("answerOnBridge", self.answer_on_bridge, false);
        w.boolean("hangupOnStar", self.hangup_on_star, false);
        w.boolean("sequential", self.sequential, false);
        if self.record != DialRecord::DoNotRecord {
            w.attr("record", self.record.as_str());
        }
        w.attr_opt(
            "recordingStatusCallback",
            self.recording_status_callback.as_deref(),
        );
        w.method(
            "recordingStatusCallbackMethod",
            self.recording_status_callback_method,
        );
        if self.recording_status_callback_events != RecordingEvents::default() {
            w.attr(
                "recordingStatusCallbackEvent",
                &self.recording_status_callback_events.to_attribute(),
            );
        }
        if self.recording_track != RecordingTrack::Both {
            w.attr("recordingTrack", self.recording_track.as_str());
        }
        if self.trim != Trim::DoNotTrim {
            w.attr("trim", self.trim.as_str());
        }
        w.attr_opt("ringTone", self.ring_tone.as_deref());
        w.attr_opt("referUrl", self.refer_url.as_deref());
        w.method("referMethod", self.refer_method);
        w.attr_opt("callReason", self.call_reason.as_deref());
        w.attr_opt(
            "recordingConfigurationId",
            self.recording_configuration_id.as_deref(),
        );
        w.attr_opt("events", self.events.as_deref());
        w.attr_opt("passports", self.passports.as_deref());
        w.extra(&self.extra);
        if self.nouns.is_empty() {
            w.end_empty();
            return;
        }
        w.end_start();
        for noun in &self.nouns {
            match noun {
                DialNoun::Number(n) => n.write(w),
                DialNoun::Client(n) => n.write(w),
                DialNoun::Sip(n) => n.write(w),
                DialNoun::WhatsApp(n) => n.write(w),
                DialNoun::Conference(n) => n.write(w),
                DialNoun::Queue(n) => n.write(w),
                DialNoun::Application(n) => n.write(w),
                DialNoun::Sim(n) => n.write(w),
            }
        }
        w.close("Dial");
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{Dial, DialNoun, DialRecord, Method, NumberNoun, RecordingEvents, Verb};

    fn dial(xml: &str) -> Dial {
        let Verb::Dial(d) = only_verb(xml) else {
            panic!("not a Dial")
        };
        d
    }

    #[test]
    fn defaults_and_plain_text() {
        let d = dial("<Response><Dial>415-123-4567</Dial></Response>");
        assert_eq!(
            d,
            Dial {
                nouns: vec![DialNoun::Number(NumberNoun {
                    number: "415-123-4567".into(),
                    ..NumberNoun::default()
                })],
                ..Dial::default()
            }
        );
        assert_eq!(
            (d.timeout, d.time_limit, d.method),
            (30, 14_400, Method::Post)
        );
        assert_eq!(d.record, DialRecord::DoNotRecord);
    }

    #[test]
    fn attributes() {
        let d = dial(
            r#"<Response><Dial action="/done" method="GET" timeout="20" timeLimit="600" callerId="+14155550100" answerOnBridge="true" hangupOnStar="true" sequential="true" record="true" recordingStatusCallback="/rec" recordingStatusCallbackEvent="in-progress completed absent" ringTone="uk" callReason="x">+14155550111</Dial></Response>"#,
        );
        assert_eq!(d.action.as_deref(), Some("/done"));
        assert_eq!((d.method, d.timeout, d.time_limit), (Method::Get, 20, 600));
        assert_eq!(d.caller_id.as_deref(), Some("+14155550100"));
        assert!(d.answer_on_bridge && d.hangup_on_star && d.sequential);
        assert_eq!(d.record, DialRecord::RecordFromAnswer);
        assert_eq!(
            d.recording_status_callback_events,
            RecordingEvents {
                in_progress: true,
                completed: true,
                absent: true
            }
        );
        assert_eq!(d.ring_tone.as_deref(), Some("uk"));
        assert_eq!(d.call_reason.as_deref(), Some("x"));
    }

    #[test]
    fn unknown_attribute_is_kept() {
        let parsed = crate::parse(
            br#"<Response><Dial statusCallbackEvent="x">+14155550100</Dial></Response>"#,
            crate::Context::Call,
        );
        let Some(Verb::Dial(d)) = parsed.document.unwrap().verbs.pop() else {
            panic!("not a Dial")
        };
        assert_eq!(
            d.extra,
            [("statusCallbackEvent".to_owned(), "x".to_owned())]
        );
        assert_eq!(
            parsed.diagnostics[0].message,
            "Attribute 'statusCallbackEvent' is not allowed to appear in element 'Dial'"
        );
    }

    #[test]
    fn attribute_diagnostics() {
        let one = |attr: &str| {
            codes(&format!(
                "<Response><Dial {attr}>+14155550100</Dial></Response>"
            ))
        };
        assert_eq!(one(r#"method="PUT""#), [(13210, 1, 17)]);
        assert_eq!(one(r#"timeout="4""#), [(13212, 1, 17)]);
        assert_eq!(one(r#"timeout="601""#), [(13212, 1, 17)]);
        assert_eq!(one(r#"hangupOnStar="yes""#), [(13213, 1, 17)]);
        assert_eq!(one(r#"callerId="a b""#), [(13214, 1, 17)]);
        assert_eq!(one(r#"timeLimit="0""#), [(13216, 1, 17)]);
        assert_eq!(one(r#"record="always""#), [(13217, 1, 17)]);
        assert_eq!(one(r#"sequential="1""#), [(13218, 1, 17)]);
        assert_eq!(one(r#"answerOnBridge="True""#), [(13219, 1, 17)]);
        assert_eq!(one(r#"ringTone="xx""#), [(13220, 1, 17)]);
        assert_eq!(
            one(r#"recordingStatusCallbackEvent="done""#),
            [(13621, 1, 17)]
        );
        assert_eq!(one(r#"recordingTrack="left""#), [(12200, 1, 17)]);
    }

    #[test]
    fn timeout_is_clamped() {
        assert_eq!(
            crate::parse(
                br#"<Response><Dial timeout="1000">+14155550100</Dial></Response>"#,
                crate::Context::Call
            )
            .document
            .map(|d| match &d.verbs[0] {
                Verb::Dial(d) => d.timeout,
                _ => 0,
            }),
            Some(600)
        );
    }

    #[test]
    fn nesting_diagnostics() {
        assert_eq!(
            codes("<Response><Dial><Say>x</Say></Dial></Response>"),
            [(13223, 1, 11), (13215, 1, 17)]
        );
    }

    #[test]
    fn whatsapp_rules() {
        let d = dial(
            r#"<Response><Dial callerId="whatsapp:+14155550100"><WhatsApp>whatsapp:+447700900123</WhatsApp></Dial></Response>"#,
        );
        let DialNoun::WhatsApp(w) = &d.nouns[0] else {
            panic!("not WhatsApp")
        };
        assert_eq!(w.number.as_str(), "+447700900123");
        assert!(d.has_whatsapp());
        assert_eq!(
            codes(
                r#"<Response><Dial callerId="+14155550100"><WhatsApp>+447700900123</WhatsApp></Dial></Response>"#
            ),
            [(13214, 1, 17)]
        );
        assert_eq!(
            codes("<Response><Dial><WhatsApp>+447700900123</WhatsApp></Dial></Response>"),
            [(13214, 1, 11)]
        );
        assert_eq!(
            codes(
                r#"<Response><Dial callerId="whatsapp:+14155550100"><WhatsApp>447700900123</WhatsApp></Dial></Response>"#
            ),
            [(13223, 1, 60)]
        );
        assert_eq!(
            codes(
                r#"<Response><Dial callerId="whatsapp:+14155550100"><WhatsApp>+447700900123</WhatsApp><Number>+14155550111</Number></Dial></Response>"#
            ),
            [(13215, 1, 84)]
        );
        assert_eq!(
            codes(
                r#"<Response><Dial callerId="whatsapp:+14155550100">+14155550111<WhatsApp>+447700900123</WhatsApp></Dial></Response>"#
            ),
            [(13215, 1, 50)]
        );
    }
}
