//! What [`Prompts`](crate::Prompts) is made from: plain data the CLI fills from a `[tts]`
//! section or flags. Every field has a default ([`PromptConfig::default`]).

use std::path::PathBuf;
use std::time::Duration;

/// Twilio's `<Say>` text limit as Dialtone applies it: 4,096 characters (Twilio's older docs
/// say 4 KB, SignalWire's compatible docs 4,096 characters; the current limit is UNCONFIRMED).
pub const MAX_SAY_CHARS: usize = 4096;

/// Which engine speaks `<Say>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpeechEngine {
    /// espeak-ng, run out of process once per (text, voice, language) not in the cache.
    Espeak {
        /// The program (default `espeak-ng`, looked up on `PATH`).
        program: PathBuf,
    },
    /// An HTTP endpoint: `POST` of an `application/x-www-form-urlencoded` body with `text`,
    /// `voice` and `language` (Twilio's raw attribute values, absent ones omitted), answering
    /// `200` with `audio/wav` (or `audio/x-wav`, `audio/wave`) 16-bit PCM.
    Http {
        /// The endpoint's URL.
        url: String,
    },
}

impl Default for SpeechEngine {
    fn default() -> Self {
        SpeechEngine::Espeak {
            program: PathBuf::from("espeak-ng"),
        }
    }
}

/// The configuration of [`Prompts`](crate::Prompts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptConfig {
    /// The `<Say>` engine (default espeak-ng).
    pub engine: SpeechEngine,
    /// Syntheses running at once (espeak-ng processes or HTTP requests); default 2, one per
    /// core of a small box. Others wait their turn.
    pub synth_concurrency: usize,
    /// How long one synthesis may take before the process is killed (default 10 s).
    pub synth_timeout: Duration,
    /// Bound of the `<Say>` cache in 20 ms frames (default 45,000: 15 minutes, ~29 MB).
    pub say_cache_frames: usize,
    /// Bound of the `<Play>` cache in 20 ms frames (default 90,000: 30 minutes, ~58 MB).
    pub play_cache_frames: usize,
    /// Whole-request timeout of one `<Play>` fetch (default 10 s, as the webhook client).
    pub fetch_timeout: Duration,
    /// Largest `<Play>` body accepted (default 16 MiB; Twilio documents no limit, so this is
    /// Dialtone's). The body is streamed and the fetch stops at the limit.
    pub max_fetch_bytes: u64,
    /// Redirects followed by a `<Play>` fetch before 11215 (default 10, as webhooks).
    pub max_redirects: usize,
    /// Longest decoded `<Play>` clip (default 30 minutes); longer files are refused rather
    /// than held in memory.
    pub max_clip_duration: Duration,
    /// How long a `<Play>` file without any caching header is reused (default 5 minutes).
    /// Twilio "caches by default"; its behaviour without headers is UNCONFIRMED.
    pub default_play_ttl: Duration,
}

impl Default for PromptConfig {
    fn default() -> Self {
        PromptConfig {
            engine: SpeechEngine::default(),
            synth_concurrency: 2,
            synth_timeout: Duration::from_secs(10),
            say_cache_frames: 45_000,
            play_cache_frames: 90_000,
            fetch_timeout: Duration::from_secs(10),
            max_fetch_bytes: 16 * 1024 * 1024,
            max_redirects: 10,
            max_clip_duration: Duration::from_secs(30 * 60),
            default_play_ttl: Duration::from_secs(300),
        }
    }
}
