//! How a call is configured when it starts, and engine-wide settings.
//!
//! This is what a phone number, a TwiML App or a REST `Calls` create request says about a
//! call: where its TwiML comes from, its fallback, its status callback, its limits.

use std::sync::Arc;

use dialtone_twiml::{Method, StatusCallbackEvents};
use dialtone_types::WebUrl;
use dialtone_types::{Address, Direction, Sid};

/// Where a call's first document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwimlSource {
    /// Fetch it: the voice `Url` and its `Method`.
    Url {
        /// The voice URL.
        url: WebUrl,
        /// GET or POST (default POST).
        method: Method,
    },
    /// Inline TwiML (REST `Twiml` parameter; at most 4000 characters).
    Inline(Arc<str>),
}

/// A status callback subscription: URL, method and the events wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallbackConfig {
    /// Where to send the events.
    pub url: WebUrl,
    /// GET or POST (default POST).
    pub method: Method,
    /// The events; an empty set means only `completed`, as Twilio does.
    pub events: StatusCallbackEvents,
}

/// The application side of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    /// The first document.
    pub twiml: TwimlSource,
    /// `FallbackUrl`/`VoiceFallbackUrl` and its method: fetched with `ErrorCode` and
    /// `ErrorUrl` when the first document cannot be fetched or run.
    pub fallback: Option<(WebUrl, Method)>,
    /// `StatusCallback` of the call itself.
    pub status_callback: Option<StatusCallbackConfig>,
}

impl AppConfig {
    /// An application that serves TwiML at `url` (POST), with no fallback or callback.
    pub fn url(url: WebUrl) -> Self {
        Self {
            twiml: TwimlSource::Url {
                url,
                method: Method::Post,
            },
            fallback: None,
            status_callback: None,
        }
    }
}

/// A call to start: an inbound call arriving, or a REST `Calls` create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSetup {
    /// The account (`AC...`).
    pub account: Sid,
    /// `Inbound` (a softphone or WhatsApp user called) or `OutboundApi` (REST-created).
    pub direction: Direction,
    /// `From`: the caller.
    pub from: Address,
    /// `To`: the called party.
    pub to: Address,
    /// The application.
    pub app: AppConfig,
    /// REST `Timeout`: seconds an outbound call may ring (default 60).
    pub timeout_secs: u32,
    /// REST `TimeLimit`: maximum seconds once answered (default 14400).
    pub time_limit_secs: u32,
    /// The TwiML App handling the call (REST create with `ApplicationSid`, a softphone calling
    /// into an application): sent as `ApplicationSid` on the call's webhooks, as Twilio does.
    pub application_sid: Option<Sid>,
    /// REST `Record=true` (`OutboundApi` only): the call is recorded from its answer to its
    /// end with these options (`RecordingSource=OutboundAPI`).
    pub record: Option<crate::input::RecordingOptions>,
}

impl CallSetup {
    /// Defaults Twilio applies: 60 s ring timeout, 4 h time limit; no application.
    pub fn new(
        account: Sid,
        direction: Direction,
        from: Address,
        to: Address,
        app: AppConfig,
    ) -> Self {
        Self {
            account,
            direction,
            from,
            to,
            app,
            timeout_secs: 60,
            time_limit_secs: 14_400,
            application_sid: None,
            record: None,
        }
    }
}

/// Engine-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// `<Redirect>` verbs a call may run in a row without any verb that waits for the caller;
    /// beyond that the loop is broken with an application error.
    pub redirect_limit: u8,
    /// Largest TwiML body accepted (Twilio: 64 kB, else 11750).
    pub max_document_bytes: usize,
    /// Parsed documents kept, keyed by body, so identical responses are parsed once.
    pub document_cache_entries: usize,
    /// Base of `RecordingUrl` (`{base}/2010-04-01/Accounts/{AC}/Recordings/{RE}`): the
    /// server's public API URL, without a trailing slash. Default `https://api.twilio.com`.
    pub api_base_url: std::sync::Arc<str>,
    /// Per-account pacing of REST-created calls (Twilio's CPS); `None` starts every call at
    /// once.
    pub cps: Option<crate::CpsLimit>,
    /// Refuse `ws://` stream URLs with 31922, as Twilio does (Dialtone connects to them by
    /// default, for local development).
    pub streams_require_wss: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            redirect_limit: 20,
            max_document_bytes: 64 * 1024,
            document_cache_entries: 256,
            api_base_url: std::sync::Arc::from("https://api.twilio.com"),
            cps: None,
            streams_require_wss: false,
        }
    }
}
