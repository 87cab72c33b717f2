//! Runtime settings. Every default is what a newcomer should get; tests shrink the times.

use std::sync::Arc;
use std::time::Duration;

use dialtone_core::EngineConfig;
use dialtone_prompt::PromptSource;

/// Settings of [`start`](crate::start).
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The engine's own limits.
    pub engine: EngineConfig,
    /// How long simulated media plays (see `docs/call-states.md`, "Media (simulated)"), and
    /// how long a command waits for a call's media leg.
    pub media: MediaTiming,
    /// What `<Say>` speaks and `<Play>` plays on calls with a media leg (WhatsApp). The default,
    /// [`UnavailablePrompts`](crate::UnavailablePrompts), fails every prompt.
    pub prompts: Arc<dyn PromptSource>,
    /// When simulated softphones press their digits.
    pub softphone: SoftphoneTiming,
    /// Status-callback delivery.
    pub outbox: OutboxConfig,
    /// How long [`Handle::shutdown`](crate::Handle::shutdown) waits for in-flight status
    /// callbacks before leaving the rest to the next start.
    pub shutdown_grace: Duration,
    /// The WhatsApp connector; without it `whatsapp:` legs fail with 13224.
    pub whatsapp: Option<crate::WhatsAppConfig>,
    /// How bridged media legs hear each other.
    pub bridge: BridgeMode,
    /// Where recordings are written (`None`: the rows are kept, the audio is not).
    pub recordings: Option<Arc<dyn dialtone_store::RecordingStore>>,
}

/// How a bridge carries audio between two media legs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BridgeMode {
    /// Opus payloads forwarded undecoded both ways: no codec work (the default).
    #[default]
    Forward,
    /// Each leg decodes what it receives (jitter buffer, PLC) and its partner re-encodes it:
    /// the path for anything that needs PCM (a recording, a mixer, codecs that differ); here
    /// for every bridge, which is what `dialtone bench --whatsapp --audio --transcode` measures.
    Transcode,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            engine: EngineConfig::default(),
            media: MediaTiming::default(),
            prompts: Arc::new(crate::UnavailablePrompts),
            softphone: SoftphoneTiming::default(),
            outbox: OutboxConfig::default(),
            shutdown_grace: Duration::from_secs(10),
            whatsapp: None,
            bridge: BridgeMode::Forward,
            recordings: None,
        }
    }
}

/// The deterministic duration model of simulated media, for calls without a media leg
/// (simulated softphones), and how long a call that will have one waits for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaTiming {
    /// `<Say>`: time per word (150 words per minute: 400 ms); a text without words counts as
    /// one word.
    pub per_word: Duration,
    /// `<Play>`: time per loop; the file is not fetched, so its length is unknown.
    pub per_play: Duration,
    /// `<Play digits>`: time per DTMF tone (`w` is 500 ms and `W` 1 s, as at Twilio).
    pub per_digit: Duration,
    /// Twilio's "an application error has occurred" message.
    pub application_error: Duration,
    /// What `loop="0"` (repeat until stopped) means: Twilio caps it at 1000 repetitions.
    pub endless_loops: u32,
    /// How long a media command (or ringback) for a call whose connector carries media waits
    /// for the call's leg to connect before it is simulated instead.
    pub attach_grace: Duration,
}

impl Default for MediaTiming {
    fn default() -> Self {
        Self {
            per_word: Duration::from_millis(400),
            per_play: Duration::from_secs(5),
            per_digit: Duration::from_millis(200),
            application_error: Duration::from_secs(3),
            endless_loops: 1000,
            attach_grace: Duration::from_secs(2),
        }
    }
}

/// When simulated softphones act, beyond their own `AnswerAfter`/`HangupAfter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftphoneTiming {
    /// A softphone with `Digits` presses the first one this long after the call is answered
    /// (time for the application to fetch and start its `<Gather>`).
    pub digits_delay: Duration,
    /// Time between two digits.
    pub digit_interval: Duration,
}

impl Default for SoftphoneTiming {
    fn default() -> Self {
        Self {
            digits_delay: Duration::from_secs(1),
            digit_interval: Duration::from_millis(100),
        }
    }
}

/// Status-callback delivery from the durable outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxConfig {
    /// Callbacks in flight at once (each of a different call).
    pub concurrency: u32,
    /// How long a claimed callback is reserved for this node; longer than any delivery
    /// (15 s hard cap per attempt).
    pub lease: Duration,
    /// Deliveries of one callback before giving up; each delivery already includes the
    /// in-request retries of the URL's `#rc`/`#rp` policy. Only failures the policy covers
    /// (by default connection failures) are tried again.
    pub max_deliveries: u32,
    /// Wait before the second delivery; doubles for each further one.
    pub backoff: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            concurrency: 64,
            lease: Duration::from_mins(1),
            max_deliveries: 4,
            backoff: Duration::from_secs(1),
        }
    }
}
