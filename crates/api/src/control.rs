//! The port through which the API drives live calls and simulated softphones.
//!
//! The REST layer validates requests and reads records from the store itself, but creating a
//! call, changing a live one and ringing softphones belong to the runtime that owns the call
//! tasks. The API states what it needs as this trait, in its own terms, so it compiles and is
//! tested without a running engine (tests plug in a fake), and the binary plugs in the real
//! runtime through a small adapter.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::http::StatusCode;
use dialtone_store::{Application, Call, Recording};
use dialtone_twiml::{Method, RecordingEvents, RecordingTrack, Trim};
use dialtone_types::WebUrl;
use dialtone_types::{Address, E164, Sid, TwilioCode};

/// A boxed future, so the trait can be used as `Arc<dyn CallControl>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The rest of a request the engine has taken: the call once the request's effects are
/// stored.
///
/// Creating a call and changing a live one happen in two steps, so the API knows the point
/// of no return: the first future may be dropped (the request timed out) and then nothing
/// happened; once it resolved, the engine has the request, the call exists, and the API waits
/// for this one without a deadline. It fails only when the engine refused the request and
/// nothing of it was stored (e.g. 21220): never with a 5xx for a call that exists.
pub type Accepted<'a, T> = BoxFuture<'a, Result<T, ControlError>>;

/// Where a call's first TwiML document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallSource {
    /// Fetched from this URL (with the request's `Method`).
    Url(WebUrl),
    /// Given inline (the REST `Twiml` parameter), already checked to be usable.
    Twiml(String),
}

/// A validated `POST .../Calls.json`, with an `ApplicationSid` already resolved to the
/// application's URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCallRequest {
    /// The account placing the call.
    pub account: Sid,
    /// Who is called.
    pub to: Address,
    /// The caller ID presented.
    pub from: String,
    /// Where the TwiML comes from.
    pub source: CallSource,
    /// How `Url` is requested.
    pub method: Method,
    /// Requested when `Url` fails.
    pub fallback_url: Option<WebUrl>,
    /// How `fallback_url` is requested.
    pub fallback_method: Method,
    /// Where status callbacks go.
    pub status_callback: Option<WebUrl>,
    /// How status callbacks are requested.
    pub status_callback_method: Method,
    /// Subscribed events (`initiated`, `ringing`, `answered`, `completed`); `completed` when
    /// none were given.
    pub status_callback_events: Vec<String>,
    /// Seconds to let the callee ring.
    pub timeout: u32,
    /// Longest the call may last, in seconds.
    pub time_limit: Option<u32>,
    /// The application whose URLs are used, if any.
    pub application_sid: Option<Sid>,
    /// `Record=true`: the call is recorded from its answer with these options
    /// (`RecordingChannels`, `RecordingTrack`, `Trim` default `trim-silence`, the recording
    /// status callback).
    pub record: Option<RecordingStartRequest>,
}

/// The status a REST update asks a live call to move to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStatus {
    /// Hang up (an answered call) or cancel (an unanswered one).
    Completed,
    /// Cancel a call not answered yet.
    Canceled,
}

/// A validated `POST .../Calls/{Sid}.json`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallUpdateRequest {
    /// New TwiML to run now.
    pub redirect: Option<CallSource>,
    /// How a redirect URL is requested.
    pub method: Method,
    /// End the call.
    pub status: Option<TargetStatus>,
    /// New fallback URL.
    pub fallback_url: Option<WebUrl>,
    /// New fallback method.
    pub fallback_method: Option<Method>,
    /// New status callback URL.
    pub status_callback: Option<WebUrl>,
    /// New status callback method.
    pub status_callback_method: Option<Method>,
    /// New time limit in seconds.
    pub time_limit: Option<u32>,
}

impl CallUpdateRequest {
    /// True when the request changes nothing.
    pub fn is_empty(&self) -> bool {
        self.redirect.is_none()
            && self.status.is_none()
            && self.fallback_url.is_none()
            && self.fallback_method.is_none()
            && self.status_callback.is_none()
            && self.status_callback_method.is_none()
            && self.time_limit.is_none()
    }
}

/// A validated `POST .../Calls/{CA}/Recordings.json` (`CreateCallRecording`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingStartRequest {
    /// `RecordingStatusCallback`.
    pub callback: Option<WebUrl>,
    /// `RecordingStatusCallbackMethod` (default POST).
    pub callback_method: Method,
    /// `RecordingStatusCallbackEvent` (default `completed`).
    pub events: RecordingEvents,
    /// `Trim` (default `do-not-trim`).
    pub trim: Trim,
    /// `RecordingChannels`: 1 (`mono`, the default) or 2 (`dual`).
    pub channels: u8,
    /// `RecordingTrack` (default `both`).
    pub track: RecordingTrack,
}

/// The recording an update names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingRef {
    /// `RE...`.
    Sid(Sid),
    /// `Twilio.CURRENT`.
    Current,
}

/// `PauseBehavior`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PauseBehavior {
    /// `skip`: the pause is cut out.
    Skip,
    /// `silence` (Twilio's default): the pause is silence.
    #[default]
    Silence,
}

/// A validated `POST .../Calls/{CA}/Recordings/{RE}.json` (`UpdateCallRecording`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingUpdate {
    /// `Status=paused`.
    Pause(PauseBehavior),
    /// `Status=in-progress`.
    Resume,
    /// `Status=stopped`.
    Stop,
}

/// How a simulated softphone or WhatsApp user reacts when it is called (the `Behavior` form
/// value of `/sim/v1`).
pub type Behavior = dialtone_types::SimulatedBehavior;

/// A simulated softphone registered under an identity (`client:{identity}`).
#[derive(Debug, Clone, PartialEq)]
pub struct Softphone {
    /// The client identity.
    pub identity: String,
    /// How it reacts to a call.
    pub behavior: Behavior,
    /// Ringing time before it answers.
    pub answer_after: Duration,
    /// Time after answering before it hangs up; `None` stays until the other side hangs up.
    pub hangup_after: Option<Duration>,
    /// DTMF digits pressed after answering.
    pub digits: Option<String>,
    /// What its microphone sends once its media connects (`Audio`: `silence`, `tone:HZ`, a WAV
    /// URL).
    pub audio: dialtone_types::SimulatedAudio,
}

/// A softphone placing a call into an application, as the Voice SDK does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoftphoneCallRequest {
    /// The account of the softphone and the application.
    pub account: Sid,
    /// The calling softphone's identity (`From=client:{identity}`).
    pub identity: String,
    /// The application whose `VoiceUrl` handles the call.
    pub application: Application,
    /// The `To` parameter, if given.
    pub to: Option<String>,
    /// Every other form parameter, passed to the `VoiceUrl` as the SDK does.
    pub params: Vec<(String, String)>,
}

/// The engine refused a request; it says how the client should be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ControlError {
    /// HTTP status.
    pub status: StatusCode,
    /// Twilio's code, e.g. 21220 (invalid call state) or 20404 (unknown call).
    pub code: TwilioCode,
    /// What went wrong, for the client.
    pub message: String,
    /// Set when the request may be retried later (429 with `Retry-After`): the account's
    /// queue of calls waiting for their CPS turn is full.
    pub retry_after: Option<Duration>,
}

/// What the API needs from the call engine.
pub trait CallControl: Send + Sync + 'static {
    /// Places a call: resolves once the engine has taken it, then (the [`Accepted`]) to the
    /// call as stored (status `queued`).
    fn create_call(
        &self,
        request: NewCallRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Call>, ControlError>>;

    /// Changes live call `call` of `account`: resolves once the engine has taken the change
    /// (it is then applied to the end), then to the call as it now is.
    fn update_call(
        &self,
        account: Sid,
        call: Sid,
        request: CallUpdateRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Call>, ControlError>>;

    /// Starts recording live call `call` of `account`: resolves once the engine has taken
    /// it, then to the recording as stored (`in-progress`). 21220 when the call is not in
    /// progress.
    fn start_recording(
        &self,
        account: Sid,
        call: Sid,
        request: RecordingStartRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Recording>, ControlError>>;

    /// Pauses, resumes or stops a recording of live call `call`, in two steps as
    /// [`start_recording`](Self::start_recording): 20404 for a recording the call does not
    /// have, 21220 for one already finished.
    fn update_recording(
        &self,
        account: Sid,
        call: Sid,
        recording: RecordingRef,
        update: RecordingUpdate,
    ) -> BoxFuture<'_, Result<Accepted<'_, Recording>, ControlError>>;

    /// Registers (or replaces) a simulated softphone of `account`.
    fn register_softphone(
        &self,
        account: Sid,
        softphone: Softphone,
    ) -> BoxFuture<'_, Result<Softphone, ControlError>>;

    /// The softphones of `account`, by identity.
    fn list_softphones(&self, account: Sid) -> BoxFuture<'_, Vec<Softphone>>;

    /// Unregisters a softphone; `false` if there was none with that identity.
    fn remove_softphone(&self, account: Sid, identity: String) -> BoxFuture<'_, bool>;

    /// A call from a registered softphone into an application, in two steps as
    /// [`create_call`](Self::create_call).
    fn start_softphone_call(
        &self,
        request: SoftphoneCallRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Call>, ControlError>>;

    /// Replaces the voice-enabled WhatsApp senders of `account` (the numbers a
    /// `<Dial><WhatsApp>` may use as its `callerId`).
    fn set_whatsapp_senders(
        &self,
        account: Sid,
        senders: Vec<E164>,
    ) -> BoxFuture<'_, Result<(), ControlError>>;
}

impl From<ControlError> for crate::error::ApiError {
    fn from(e: ControlError) -> Self {
        if let Some(retry_after) = e.retry_after {
            return Self::Throttled {
                message: e.message,
                retry_after,
            };
        }
        Self::Refused {
            status: e.status,
            code: e.code,
            message: e.message,
        }
    }
}
