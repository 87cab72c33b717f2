//! `<Conference>`: join a named conference room.

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
