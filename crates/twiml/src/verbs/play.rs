//! `<Play>`: play an audio file or send DTMF digits.

/// `<Play loop digits>url</Play>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Play {
    /// The audio URL (element text); none when only `digits` are played.
    pub url: Option<String>,
    /// `digits`: DTMF tones to send (`0-9`, `*`, `#`, `w` for a half-second pause).
    pub digits: Option<String>,
    /// `loop`: `0` repeats until the call ends. Default 1.
    pub loop_count: u32,
    /// Unknown attributes, kept as written.
    pub extra: Vec<(String, String)>,
}

impl Default for Play {
    fn default() -> Self {
        Self {
            url: None,
            digits: None,
            loop_count: 1,
            extra: Vec::new(),
        }
    }
}
