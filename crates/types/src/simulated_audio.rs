//! What a simulated device sends into a call once its media is connected.
//!
//! The `/sim/v1` forms spell it `Audio`: `silence` (the default), `tone:HZ` (a sine, 50 to 4000
//! Hz) or an `http(s)` URL of a WAV file played in a loop. Parsed here, once, so the API
//! refuses bad values with one message and the simulator only ever sees valid ones.

use std::fmt;
use std::str::FromStr;

use crate::web_url::WebUrl;

/// Lowest tone a simulated device plays, Hz.
pub const MIN_TONE_HZ: u16 = 50;
/// Highest tone a simulated device plays, Hz (well below the 8 kHz Nyquist limit of the
/// 16 kHz audio core).
pub const MAX_TONE_HZ: u16 = 4000;

/// The audio a simulated device sends.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum SimulatedAudio {
    /// Opus silence (the default).
    #[default]
    Silence,
    /// A steady sine at this many Hz ([`MIN_TONE_HZ`] to [`MAX_TONE_HZ`]).
    Tone(u16),
    /// A 16-bit PCM WAV file at this `http`/`https` URL, played in a loop.
    Wav(WebUrl),
}

/// Why an `Audio` value was refused; the message names what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioParseError {
    /// `tone:` followed by something that is not a whole number in range.
    #[error(
        "Audio tone must be tone:HZ with HZ a whole number from {MIN_TONE_HZ} to {MAX_TONE_HZ}: {0:?}"
    )]
    Tone(String),
    /// An `http(s)` URL that is not usable.
    #[error("Audio URL is not valid ({reason}): {value:?}")]
    Url {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Anything else.
    #[error(
        "Audio is not valid: {0:?}. Use silence, tone:HZ ({MIN_TONE_HZ}-{MAX_TONE_HZ}) or the http(s) URL of a WAV file"
    )]
    Unknown(String),
}

impl SimulatedAudio {
    /// Parses the form spelling (see the module documentation).
    pub fn parse(value: &str) -> Result<Self, AudioParseError> {
        if value == "silence" {
            return Ok(Self::Silence);
        }
        if let Some(hz) = value.strip_prefix("tone:") {
            return hz
                .parse::<u16>()
                .ok()
                .filter(|hz| (MIN_TONE_HZ..=MAX_TONE_HZ).contains(hz))
                .map(Self::Tone)
                .ok_or_else(|| AudioParseError::Tone(value.to_owned()));
        }
        let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return WebUrl::parse(value)
                .map(Self::Wav)
                .map_err(|e| AudioParseError::Url {
                    value: value.to_owned(),
                    reason: e.to_string(),
                });
        }
        Err(AudioParseError::Unknown(value.to_owned()))
    }
}

impl fmt::Display for SimulatedAudio {
    /// The form spelling, which [`SimulatedAudio::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Silence => f.write_str("silence"),
            Self::Tone(hz) => write!(f, "tone:{hz}"),
            Self::Wav(url) => f.write_str(url.as_str()),
        }
    }
}

impl FromStr for SimulatedAudio {
    type Err = AudioParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_values_round_trip() {
        for text in [
            "silence",
            "tone:50",
            "tone:440",
            "tone:4000",
            "http://127.0.0.1:8000/a.wav",
            "https://example.com/loop.wav?x=1",
        ] {
            let audio = SimulatedAudio::parse(text).unwrap();
            assert_eq!(audio.to_string(), text);
        }
        assert_eq!(
            SimulatedAudio::parse("tone:440"),
            Ok(SimulatedAudio::Tone(440))
        );
        assert_eq!(SimulatedAudio::default(), SimulatedAudio::Silence);
    }

    #[test]
    fn bad_values_say_why() {
        for bad in [
            "tone:49",
            "tone:4001",
            "tone:",
            "tone:440.5",
            "tone:-1",
            "tone:1e3",
        ] {
            let e = SimulatedAudio::parse(bad).unwrap_err();
            assert!(matches!(e, AudioParseError::Tone(_)), "{bad}: {e}");
            assert!(e.to_string().contains("50 to 4000"), "{e}");
        }
        for bad in [
            "http://",
            "https://exa mple.com/a.wav",
            "http://under_score/a.wav",
        ] {
            let e = SimulatedAudio::parse(bad).unwrap_err();
            assert!(matches!(e, AudioParseError::Url { .. }), "{bad}: {e}");
        }
        for bad in [
            "",
            "Silence",
            "tone",
            "440",
            "ftp://host/a.wav",
            "file:///a.wav",
        ] {
            let e = SimulatedAudio::parse(bad).unwrap_err();
            assert!(matches!(e, AudioParseError::Unknown(_)), "{bad}: {e}");
            assert!(e.to_string().contains("silence, tone:HZ"), "{e}");
        }
    }
}
