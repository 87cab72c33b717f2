//! `<Record>`: record the caller's voice.

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
