//! `<Conference>`: join a named conference room.

use dialtone_types::TwilioCode;

use crate::parse::{Cx, NodeId};
use crate::write::XmlWriter;

use crate::{Method, Trim};

/// `beep` of `<Conference>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConferenceBeep {
    /// `true` (default): beep on enter and exit.
    #[default]
    True,
    /// `false`: never beep.
    False,
    /// `onEnter`
    OnEnter,
    /// `onExit`
    OnExit,
}

impl ConferenceBeep {
    /// The attribute value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::True => "true",
            Self::False => "false",
            Self::OnEnter => "onEnter",
            Self::OnExit => "onExit",
        }
    }
}

/// `<Conference>room name</Conference>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceNoun {
    /// The room name (element text).
    pub name: String,
    /// `muted`. Default false.
    pub muted: bool,
    /// `beep`. Default `true`.
    pub beep: ConferenceBeep,
    /// `startConferenceOnEnter`. Default true.
    pub start_conference_on_enter: bool,
    /// `endConferenceOnExit`. Default false.
    pub end_conference_on_exit: bool,
    /// `waitUrl`; an empty string means silence, none means Twilio's default hold music.
    pub wait_url: Option<String>,
    /// `waitMethod`. Default POST.
    pub wait_method: Method,
    /// `maxParticipants`, 2–250. Default 250.
    pub max_participants: u32,
    /// `record`: `do-not-record` or `record-from-start`, as written.
    pub record: Option<String>,
    /// `region`.
    pub region: Option<String>,
    /// `coach`: SID of the call to coach.
    pub coach: Option<String>,
    /// `trim`. Default `trim-silence`.
    pub trim: Trim,
    /// `statusCallbackEvent`, as written (conference events differ from call events).
    pub status_callback_event: Option<String>,
    /// `statusCallback`.
    pub status_callback: Option<String>,
    /// `statusCallbackMethod`. Default POST.
    pub status_callback_method: Method,
    /// `recordingStatusCallback`.
    pub recording_status_callback: Option<String>,
    /// `recordingStatusCallbackMethod`. Default POST.
    pub recording_status_callback_method: Method,
    /// `recordingStatusCallbackEvent`, as written.
    pub recording_status_callback_event: Option<String>,
    /// `eventCallbackUrl`.
    pub event_callback_url: Option<String>,
    /// `jitterBufferSize`, as written.
    pub jitter_buffer_size: Option<String>,
    /// `participantLabel`.
    pub participant_label: Option<String>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for ConferenceNoun {
    fn default() -> Self {
        Self {
            name: String::new(),
            muted: false,
            beep: ConferenceBeep::True,
            start_conference_on_enter: true,
            end_conference_on_exit: false,
            wait_url: None,
            wait_method: Method::Post,
            max_participants: 250,
            record: None,
            region: None,
            coach: None,
            trim: Trim::TrimSilence,
            status_callback_event: None,
            status_callback: None,
            status_callback_method: Method::Post,
            recording_status_callback: None,
            recording_status_callback_method: Method::Post,
            recording_status_callback_event: None,
            event_callback_url: None,
            jitter_buffer_size: None,
            participant_label: None,
            extra: Vec::new(),
        }
    }
}

impl ConferenceNoun {
    pub(crate) fn parse(cx: &mut Cx<'_, '_>, id: NodeId) -> Self {
        const N: &str = "Conference";
        const W: TwilioCode = TwilioCode::SCHEMA_WARNING;
        let tree = cx.tree;
        let mut c = Self::default();
        for a in tree.attrs(id) {
            match a.name {
                "muted" => c.muted = cx.boolean(N, a, W, false),
                "beep" => match &*a.value {
                    "true" => c.beep = ConferenceBeep::True,
                    "false" => c.beep = ConferenceBeep::False,
                    "onEnter" => c.beep = ConferenceBeep::OnEnter,
                    "onExit" => c.beep = ConferenceBeep::OnExit,
                    other => cx.warn(W, a.pos, format!("Conference: invalid beep value '{other}' (true, false, onEnter, onExit)")),
                },
                "startConferenceOnEnter" => c.start_conference_on_enter = cx.boolean(N, a, W, true),
                "endConferenceOnExit" => c.end_conference_on_exit = cx.boolean(N, a, W, false),
                "waitUrl" => c.wait_url = Some(a.value.to_string()),
                "waitMethod" => c.wait_method = cx.method(N, a, W, Method::Post),
                "maxParticipants" => c.max_participants = cx.uint(N, a, W, (2, 250), 250),
                "record" => c.record = Some(a.value.to_string()),
                "region" => c.region = Some(a.value.to_string()),
                "coach" => c.coach = Some(a.value.to_string()),
                "trim" => match Trim::parse(&a.value) {
                    Some(t) => c.trim = t,
                    None => cx.warn(W, a.pos, format!("Conference: invalid trim value '{}'", a.value)),
                },
                "statusCallbackEvent" => c.status_callback_event = Some(a.value.to_string()),
                "statusCallback" => c.status_callback = Some(a.value.to_string()),
                "statusCallbackMethod" => c.status_callback_method = cx.method(N, a, W, Method::Post),
                "recordingStatusCallback" => c.recording_status_callback = Some(a.value.to_string()),
                "recordingStatusCallbackMethod" => {
                    c.recording_status_callback_method = cx.method(N, a, W, Method::Post);
                }
                "recordingStatusCallbackEvent" => c.recording_status_callback_event = Some(a.value.to_string()),
                "eventCallbackUrl" => c.event_callback_url = Some(a.value.to_string()),
                "jitterBufferSize" => c.jitter_buffer_size = Some(a.value.to_string()),
                "participantLabel" => c.participant_label = Some(a.value.to_string()),
                _ => cx.unknown_attr(N, a, &mut c.extra),
            }
        }
        c.name = cx.text(id);
        if c.name.is_empty() {
            let pos = tree.node(id).pos;
            cx.warn(W, pos, "Conference: no conference name".to_owned());
        }
        cx.no_children(N, id);
        c
    }

    pub(crate) fn write(&self, w: &mut XmlWriter) {
        w.open("Conference");
        w.boolean("muted", self.muted, false);
        if self.beep != ConferenceBeep::True {
            w.attr("beep", self.beep.as_str());
        }
        w.boolean(
            "startConferenceOnEnter",
            self.start_conference_on_enter,
            true,
        );
        w.boolean("endConferenceOnExit", self.end_conference_on_exit, false);
        w.attr_opt("waitUrl", self.wait_url.as_deref());
        w.method("waitMethod", self.wait_method);
        w.uint("maxParticipants", self.max_participants, 250);
        w.attr_opt("record", self.record.as_deref());
        w.attr_opt("region", self.region.as_deref());
        w.attr_opt("coach", self.coach.as_deref());
        if self.trim != Trim::TrimSilence {
            w.attr("trim", self.trim.as_str());
        }
        w.attr_opt("statusCallbackEvent", self.status_callback_event.as_deref());
        w.attr_opt("statusCallback", self.status_callback.as_deref());
        w.method("statusCallbackMethod", self.status_callback_method);
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
        w.attr_opt("eventCallbackUrl", self.event_callback_url.as_deref());
        w.attr_opt("jitterBufferSize", self.jitter_buffer_size.as_deref());
        w.attr_opt("participantLabel", self.participant_label.as_deref());
        w.extra(&self.extra);
        w.text_content("Conference", &self.name);
    }
}

#[cfg(test)]
mod tests {
    use crate::test_util::{codes, only_verb};
    use crate::{ConferenceBeep, ConferenceNoun, DialNoun, Verb};

    #[test]
    fn attributes() {
        let Verb::Dial(mut d) = only_verb(
            r#"<Response><Dial><Conference beep="false" endConferenceOnExit="true" startConferenceOnEnter="false" waitUrl="" maxParticipants="10">Room 1234</Conference></Dial></Response>"#,
        ) else {
            panic!("not a Dial")
        };
        let Some(DialNoun::Conference(c)) = d.nouns.pop() else {
            panic!("not a Conference")
        };
        assert_eq!(c.name, "Room 1234");
        assert_eq!(c.beep, ConferenceBeep::False);
        assert!(c.end_conference_on_exit && !c.start_conference_on_enter);
        assert_eq!(c.wait_url.as_deref(), Some(""));
        assert_eq!(c.max_participants, 10);
        assert_eq!(ConferenceNoun::default().max_participants, 250);
    }

    #[test]
    fn diagnostics() {
        assert_eq!(
            codes(r#"<Response><Dial><Conference beep="loud">r</Conference></Dial></Response>"#),
            [(12200, 1, 29)]
        );
        assert_eq!(
            codes(
                "<Response><Dial><Conference>r</Conference><Number>+14155550100</Number></Dial></Response>"
            ),
            [(13000, 1, 17)]
        );
    }
}
