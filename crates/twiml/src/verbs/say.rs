//! `<Say>`: text-to-speech.

/// `<Say voice language loop>text</Say>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Say {
    /// The text to speak (trimmed).
    pub text: String,
    /// `voice`, e.g. `alice`, `Polly.Joanna`; none means Twilio's default voice.
    pub voice: Option<String>,
    /// `language`, e.g. `en-US`.
    pub language: Option<String>,
    /// `loop`: how many times to speak; `0` means repeat until the call ends. Default 1.
    pub loop_count: u32,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Say {
    fn default() -> Self {
        Self {
            text: String::new(),
            voice: None,
            language: None,
            loop_count: 1,
            extra: Vec::new(),
        }
    }
}
