//! `<Gather>`: collect DTMF digits and/or speech, optionally while prompting.

use crate::{Method, Pause, Play, Say};

/// The `input` set of `<Gather>`: `dtmf`, `speech` or `dtmf speech`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GatherInput {
    /// Collect key presses.
    pub dtmf: bool,
    /// Collect speech.
    pub speech: bool,
}

impl Default for GatherInput {
    fn default() -> Self {
        Self {
            dtmf: true,
            speech: false,
        }
    }
}

/// `speechTimeout`: seconds of silence, or `auto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpeechTimeout {
    /// `auto`: Twilio decides when the speaker stopped.
    Auto,
    /// A number of seconds.
    Seconds(u32),
}

/// A prompt nested in `<Gather>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatherChild {
    /// `<Say>`
    Say(Say),
    /// `<Play>`
    Play(Play),
    /// `<Pause>`
    Pause(Pause),
}

/// `<Gather>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gather {
    /// `action`: URL requested with the result; none means the current document URL.
    pub action: Option<String>,
    /// `method`. Default POST.
    pub method: Method,
    /// `timeout` in seconds between digits. Default 5.
    pub timeout: u32,
    /// `finishOnKey`: `#` by default; empty disables it.
    pub finish_on_key: String,
    /// `numDigits`: stop after that many digits.
    pub num_digits: Option<u32>,
    /// `actionOnEmptyResult`. Default false.
    pub action_on_empty_result: bool,
    /// `input`. Default `dtmf`.
    pub input: GatherInput,
    /// `hints`: speech recognition hints.
    pub hints: Option<String>,
    /// `language` for speech recognition (Twilio's default is `en-US`).
    pub language: Option<String>,
    /// `partialResultCallback`.
    pub partial_result_callback: Option<String>,
    /// `partialResultCallbackMethod`. Default POST.
    pub partial_result_callback_method: Method,
    /// `speechTimeout`; none means "use `timeout`".
    pub speech_timeout: Option<SpeechTimeout>,
    /// `speechModel`.
    pub speech_model: Option<String>,
    /// `enhanced`. Default false.
    pub enhanced: bool,
    /// `profanityFilter`. Default true.
    pub profanity_filter: bool,
    /// `maxSpeechTime` in seconds. Default 60.
    pub max_speech_time: u32,
    /// Nested `<Say>`, `<Play>`, `<Pause>`.
    pub children: Vec<GatherChild>,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Gather {
    fn default() -> Self {
        Self {
            action: None,
            method: Method::Post,
            timeout: 5,
            finish_on_key: "#".to_owned(),
            num_digits: None,
            action_on_empty_result: false,
            input: GatherInput::default(),
            hints: None,
            language: None,
            partial_result_callback: None,
            partial_result_callback_method: Method::Post,
            speech_timeout: None,
            speech_model: None,
            enhanced: false,
            profanity_filter: true,
            max_speech_time: 60,
            children: Vec::new(),
            extra: Vec::new(),
        }
    }
}
