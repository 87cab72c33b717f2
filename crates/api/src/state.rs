//! What every handler shares: the store, the call engine, and the two inputs the API must not
//! take from the machine directly (the clock and randomness), so tests fix them and assert
//! exact SIDs and dates.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use dialtone_store::Store;
use dialtone_types::{Sid, SidKind, UnixMillis};

use crate::admission::Admission;
use crate::control::CallControl;

/// Wall-clock time for `date_created`/`date_updated`.
pub trait Clock: Send + Sync + 'static {
    /// Now, in milliseconds since the Unix epoch.
    fn now(&self) -> UnixMillis;
}

/// Unpredictable 128-bit values for new SIDs and API key secrets.
pub trait Entropy: Send + Sync + 'static {
    /// A fresh random value. Secrets are made from it, so it must come from a CSPRNG.
    fn next_u128(&self) -> u128;
}

/// Limits the HTTP layer enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body accepted, in bytes (413 above).
    pub max_body_bytes: usize,
    /// Longest a request may take before it is answered 503, counted until the engine takes
    /// it: a call create or update the engine has taken is answered however long it takes.
    pub request_timeout: Duration,
    /// Call creates and updates (REST `Calls`, simulated softphone calls) worked on at once;
    /// one more is answered 429 (20429) at once, before anything of it is stored.
    pub max_call_requests: usize,
    /// The `Retry-After` of that 429.
    pub retry_after: Duration,
}

/// Default of [`Limits::max_call_requests`]. Sized on a 2-core machine, where a debug build
/// on SQLite answers a burst of 2,000 creates (all admitted) in under 2 s: 1,024 in flight
/// keep a create's wait around a second there, and well under the 30 s request timeout on a
/// store ten times slower, while a burst of 1,000 is taken whole.
pub const DEFAULT_MAX_CALL_REQUESTS: usize = 1024;

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_call_requests: DEFAULT_MAX_CALL_REQUESTS,
            retry_after: Duration::from_secs(1),
        }
    }
}

/// The state behind [`router`](crate::router). Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub(crate) store: Store,
    pub(crate) control: Arc<dyn CallControl>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) entropy: Arc<dyn Entropy>,
    pub(crate) limits: Limits,
    /// The slots of call creates and updates in flight, per [`Limits::max_call_requests`].
    pub(crate) admission: Admission,
    /// Meta's webhook receiver's connector (`/webhooks/whatsapp`), when configured.
    pub(crate) whatsapp: Option<Arc<dyn crate::WhatsAppWebhooks>>,
    /// The WhatsApp simulator behind `/sim/v1/WhatsAppUsers`, when it runs.
    pub(crate) whatsapp_simulator: Option<Arc<dyn crate::SimulatedWhatsApp>>,
    /// What simulated parties heard (`Heard.wav`), when any are simulated.
    pub(crate) heard: Option<Arc<dyn crate::SimulatedParties>>,
    /// Recording media (`/Recordings/{RE}.wav|.mp3`); without it every media request is 404.
    pub(crate) recordings: Option<Arc<dyn dialtone_store::RecordingStore>>,
    /// The server's public URL (scheme and host, no trailing slash), the base of a recording's
    /// `media_url`. Default `https://api.twilio.com`.
    pub(crate) public_url: Arc<str>,
    /// Who decides Content resources' WhatsApp approval requests (default: the simulator,
    /// approving at once).
    pub(crate) content_approvals: crate::ContentApprovals,
    /// Sends WhatsApp messages (`/Messages.json`); without it a send answers 503.
    pub(crate) messaging: Option<Arc<dyn crate::WhatsAppMessaging>>,
    /// Readiness and metrics (`/readyz`, `/metrics`); without it the server is always ready
    /// and serves no metrics.
    pub(crate) operations: Option<Arc<dyn crate::Operations>>,
    /// Voice SDK Devices (`/signal`); without it the socket answers 31000 and closes.
    pub(crate) devices: Option<Arc<dyn crate::voice_sdk::DevicePort>>,
    /// The web console's sign-in sessions and failed-attempt counts (`/console`).
    pub(crate) console: Arc<crate::console::Sessions>,
}

impl fmt::Debug for ApiState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiState")
            .field("store", &self.store)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl ApiState {
    /// State over `store` and `control`, with the given clock and entropy and default limits.
    pub fn new(
        store: Store,
        control: Arc<dyn CallControl>,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
    ) -> Self {
        let limits = Limits::default();
        Self {
            store,
            control,
            clock,
            entropy,
            admission: Admission::new(limits.max_call_requests, limits.retry_after),
            limits,
            whatsapp: None,
            whatsapp_simulator: None,
            heard: None,
            recordings: None,
            public_url: Arc::from("https://api.twilio.com"),
            content_approvals: crate::ContentApprovals::default(),
            messaging: None,
            operations: None,
            devices: None,
            console: Arc::new(crate::console::Sessions::default()),
        }
    }

    /// Replaces the limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self.admission = Admission::new(limits.max_call_requests, limits.retry_after);
        self
    }

    /// Serves Meta's WhatsApp webhooks (`/webhooks/whatsapp`) through `webhooks`.
    #[must_use]
    pub fn with_whatsapp_webhooks(mut self, webhooks: Arc<dyn crate::WhatsAppWebhooks>) -> Self {
        self.whatsapp = Some(webhooks);
        self
    }

    /// Serves `/sim/v1/WhatsAppUsers` through the WhatsApp simulator `simulator`.
    #[must_use]
    pub fn with_whatsapp_simulator(mut self, simulator: Arc<dyn crate::SimulatedWhatsApp>) -> Self {
        self.whatsapp_simulator = Some(simulator);
        self
    }

    /// Serves `Heard.wav` from what the simulated parties of `parties` heard.
    #[must_use]
    pub fn with_simulated_parties(mut self, parties: Arc<dyn crate::SimulatedParties>) -> Self {
        self.heard = Some(parties);
        self
    }

    /// Serves recording media from `store`.
    #[must_use]
    pub fn with_recordings(mut self, store: Arc<dyn dialtone_store::RecordingStore>) -> Self {
        self.recordings = Some(store);
        self
    }

    /// The public URL recordings' `media_url` starts with (no trailing slash).
    #[must_use]
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    /// Who decides Content resources' WhatsApp approval requests.
    #[must_use]
    pub fn with_content_approvals(mut self, approvals: crate::ContentApprovals) -> Self {
        self.content_approvals = approvals;
        self
    }

    /// Serves the Voice SDK's `/signal` WebSocket, ringing and calling through `devices`.
    #[must_use]
    pub fn with_devices(mut self, devices: Arc<dyn crate::voice_sdk::DevicePort>) -> Self {
        self.devices = Some(devices);
        self
    }

    /// Sends the Messages API's WhatsApp messages through `messaging`.
    #[must_use]
    pub fn with_whatsapp_messaging(mut self, messaging: Arc<dyn crate::WhatsAppMessaging>) -> Self {
        self.messaging = Some(messaging);
        self
    }

    /// Answers `/readyz` and `/metrics` through `operations`.
    #[must_use]
    pub fn with_operations(mut self, operations: Arc<dyn crate::Operations>) -> Self {
        self.operations = Some(operations);
        self
    }

    pub(crate) fn now(&self) -> UnixMillis {
        self.clock.now()
    }

    pub(crate) fn new_sid(&self, kind: SidKind) -> Sid {
        Sid::new(kind, self.entropy.next_u128())
    }

    /// A 32-character secret (128 random bits in hex), as long as Twilio's key secrets.
    pub(crate) fn new_secret(&self) -> String {
        format!("{:032x}", self.entropy.next_u128())
    }
}
