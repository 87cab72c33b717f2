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
        matches!(self, Self::RecordFromAnswerDual | Self::RecordFromRingingDual)
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
        self.nouns.iter().any(|n| matches!(n, DialNoun::WhatsApp(_)))
    }
}
