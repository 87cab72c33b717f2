//! Prompts: what `<Say>` speaks and `<Play>` plays, as decoded [`Clip`]s.
//!
//! The runtime asks a [`PromptSource`] for a clip and plays it on a call's media leg; how the
//! clip is made (an espeak-ng process, an HTTP TTS endpoint, a fetched WAV or MP3) and cached
//! is this crate's business. A failure carries the Twilio code the call's Notification shows;
//! the call then goes on with its next verb.
//!
//! [`Prompts`] is the implementation: `<Say>` through espeak-ng run out of process (a bounded
//! pool, a timeout that kills a hung engine) or an HTTP TTS endpoint ([`SpeechEngine`]),
//! `<Play>` through an HTTP fetch honouring `Cache-Control` (module `play`); both
//! decoded to 16 kHz mono [`Clip`]s held in caches bounded by total frames, with single
//! flight so a prompt asked by many calls at once is made once. Why each piece is as it is:
//! the module docs of `speech`, `play`, `decode`, `cache`, [`voice`] (the voice table) and
//! `error` (which code for which fault).
//!
//! [`device`] is what a simulated device (a WhatsApp user, a softphone) sends into a call:
//! silence, a tone or a looped WAV fetched over HTTP.

mod cache;
mod config;
mod decode;
pub mod device;
mod error;
mod play;
mod prompts;
mod speech;
pub mod voice;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use config::{MAX_SAY_CHARS, PromptConfig, SpeechEngine};
pub use dialtone_media::audio::Clip;
pub use error::{PLAY_INVALID_CONTENT_TYPE, PromptError, SAY_INVALID_TEXT};
pub use prompts::Prompts;

use dialtone_types::WebUrl;

/// A boxed future, so that [`PromptSource`] can be used as `Arc<dyn PromptSource>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What `<Say>` asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SayRequest {
    /// The text (SSML children already flattened to text).
    pub text: String,
    /// Twilio's `voice` attribute, if given (`man`, `woman`, `alice`, `Polly.Joanna`, ...).
    pub voice: Option<String>,
    /// Twilio's `language` attribute, if given (`en-US`, `fr-FR`, ...).
    pub language: Option<String>,
}

/// Makes the clips calls play. Implementations cache, so asking twice is cheap.
pub trait PromptSource: Send + Sync + fmt::Debug {
    /// `<Say>`: the text spoken once.
    fn say<'a>(&'a self, request: &'a SayRequest) -> BoxFuture<'a, Result<Clip, PromptError>>;
    /// `<Play>`: the audio at `url`, decoded once.
    fn play<'a>(&'a self, url: &'a WebUrl) -> BoxFuture<'a, Result<Clip, PromptError>>;
    /// How often the source's clip caches answered (for metrics); `None` without a cache.
    fn cache_stats(&self) -> Option<CacheStats> {
        None
    }
}

/// Clip cache answers since start: a hit is an ask answered without making the clip (a
/// cached clip, or one being made for another call); a miss made it (synthesis, a fetch or
/// a revalidation).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// `<Say>` clips found.
    pub say_hits: u64,
    /// `<Say>` clips synthesised.
    pub say_misses: u64,
    /// `<Play>` clips found fresh.
    pub play_hits: u64,
    /// `<Play>` clips fetched or revalidated.
    pub play_misses: u64,
}
