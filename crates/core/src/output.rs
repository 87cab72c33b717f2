//! The work the engine asks its runtime to do. Every output is plain data.

use std::fmt;
use std::sync::Arc;

use dialtone_twiml::{Method, RejectReason};
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Direction, Level, Sid, TwilioCode, UnixMillis};

use crate::params::Params;
use crate::status_callback::CallbackSubscription;

/// Correlates a [`Output::Fetch`] with its [`Input::Fetched`](crate::Input::Fetched).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Correlates an [`Output::Media`] with its [`LegEvent::MediaFinished`](crate::LegEvent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MediaId(pub u64);

/// One output, drained with [`Engine::poll_output`](crate::Engine::poll_output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Fetch a TwiML document; answer with `Input::Fetched`.
    Fetch(FetchRequest),
    /// Send a status callback (fire and forget; the response is ignored).
    StatusCallback(StatusCallback),
    /// Place a new outgoing leg for `call` (REST-created call or `<Dial>` child).
    StartLeg(StartLeg),
    /// Answer the incoming leg of `call`.
    AnswerLeg {
        /// The call.
        call: Sid,
    },
    /// Refuse the incoming, unanswered leg of `call` (`<Reject>`).
    RejectLeg {
        /// The call.
        call: Sid,
        /// `busy` or `rejected`.
        reason: RejectReason,
    },
    /// Stop placing the outgoing leg of `call` (not answered yet).
    CancelLeg {
        /// The call.
        call: Sid,
    },
    /// Hang up the leg of `call`.
    HangupLeg {
        /// The call.
        call: Sid,
    },
    /// Connect the audio of two calls.
    Bridge {
        /// The parent call.
        parent: Sid,
        /// The dialed child.
        child: Sid,
    },
    /// Disconnect two bridged calls.
    Unbridge {
        /// The parent call.
        parent: Sid,
        /// The dialed child.
        child: Sid,
    },
    /// The caller of a ringing `<Dial>` hears ringback (`ringTone`, default `us`) until
    /// [`Output::StopRingback`]; nothing comes back.
    Ringback {
        /// The parent call.
        call: Sid,
        /// Twilio's `ringTone` country code (`us`, `uk`, ...).
        tone: Arc<str>,
    },
    /// The `<Dial>` bridged or ended: the caller's ringback stops.
    StopRingback {
        /// The parent call.
        call: Sid,
    },
    /// Play something on a call; its end comes back as `LegEvent::MediaFinished`.
    Media(MediaRequest),
    /// Stop a media command early (a digit interrupted a `<Gather>` prompt).
    StopMedia {
        /// The call.
        call: Sid,
        /// The media command to stop.
        id: MediaId,
    },
    /// The call changed: persist this snapshot (idempotent; later snapshots supersede).
    CallUpdated(CallSnapshot),
    /// An error or warning to store and show (Twilio's Notifications / Debugger).
    Notification(Notification),
}

/// Why a document is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchPurpose {
    /// The call's voice URL.
    Twiml,
    /// A verb's `action` (`<Dial>`, `<Gather>`).
    Action,
    /// A `<Dial>` noun's whisper `url`, run on the child.
    Whisper,
    /// The fallback URL after the voice URL failed.
    Fallback,
    /// A `<Redirect>` verb or a REST redirect.
    Redirect,
}

/// A TwiML request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// Echo this in `Input::Fetched`.
    pub request: RequestId,
    /// The call the document is for.
    pub call: Sid,
    /// Why.
    pub purpose: FetchPurpose,
    /// The absolute URL (may carry a connection-override fragment); shared, not copied.
    pub url: WebUrl,
    /// GET (parameters in the query) or POST (form body).
    pub method: Method,
    /// The parameters, in order.
    pub params: Params,
}

/// A status callback request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    /// The call the event is about.
    pub call: Sid,
    /// Where to send it; shared with the subscription.
    pub url: WebUrl,
    /// GET or POST.
    pub method: Method,
    /// The parameters, in order (`SequenceNumber`, `Timestamp`, `CallbackSource`...).
    pub params: Params,
}

/// A new outgoing leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartLeg {
    /// The call this leg carries.
    pub call: Sid,
    /// The parent call, for a `<Dial>` child.
    pub parent: Option<Sid>,
    /// Caller ID shown to the far end (`whatsapp:+S` for WhatsApp: the sender).
    pub from: Arc<str>,
    /// Who to call (`whatsapp:+U`, `client:alice`).
    pub to: Arc<str>,
    /// `<Client>` custom parameters (`<Parameter name value/>`), for the softphone.
    pub parameters: Vec<(String, String)>,
}

/// A media command and the call it plays on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRequest {
    /// The call.
    pub call: Sid,
    /// Echoed by `LegEvent::MediaFinished`.
    pub id: MediaId,
    /// What to play.
    pub command: MediaCommand,
}

/// What to play. Durations are the media layer's business: the engine waits for
/// `MediaFinished`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCommand {
    /// Text to speech (`<Say>`).
    Say {
        /// The text.
        text: String,
        /// The voice, if given.
        voice: Option<String>,
        /// The language, if given.
        language: Option<String>,
        /// Repetitions; 0 repeats until stopped.
        loop_count: u32,
    },
    /// An audio file (`<Play>`).
    Play {
        /// The absolute audio URL.
        url: WebUrl,
        /// Repetitions; 0 repeats until stopped.
        loop_count: u32,
    },
    /// DTMF tones (`<Play digits>`).
    Digits {
        /// `0-9 * # w W`.
        digits: String,
    },
    /// Twilio's recorded "an application error has occurred" message, before hanging up.
    ApplicationError,
}

/// A call's state, for persistence.
#[derive(Clone, PartialEq, Eq)]
pub struct CallSnapshot {
    /// The call.
    pub sid: Sid,
    /// Its account.
    pub account: Sid,
    /// The call whose `<Dial>` created it.
    pub parent: Option<Sid>,
    /// Direction.
    pub direction: Direction,
    /// `From`.
    pub from: Arc<str>,
    /// `To`.
    pub to: Arc<str>,
    /// Status (`initiated` is a callback-only status; stores show it as `queued`).
    pub status: CallStatus,
    /// When the engine created it.
    pub created: UnixMillis,
    /// When it was answered.
    pub start_time: Option<UnixMillis>,
    /// When it ended.
    pub end_time: Option<UnixMillis>,
    /// Whole seconds from answer to end (0 if never answered); set once ended.
    pub duration: Option<u64>,
    /// The status callback subscription (the application's for a parent, the noun's for a
    /// `<Dial>` child), so that callbacks still owed can be sent without the engine (after a
    /// crash).
    pub status_callback: Option<CallbackSubscription>,
    /// The `SequenceNumber` of the call's next status callback: the callbacks owed so far,
    /// counting the one that follows this snapshot.
    pub sequence: u32,
}

impl fmt::Debug for CallSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallSnapshot")
            .field("sid", &self.sid)
            .field("parent", &self.parent)
            .field("direction", &self.direction)
            .field("status", &self.status)
            .field("start_time", &self.start_time)
            .field("end_time", &self.end_time)
            .field("duration", &self.duration)
            .field("sequence", &self.sequence)
            .finish_non_exhaustive()
    }
}

/// An error or warning about a call, as Twilio's Notification resource records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The call.
    pub call: Sid,
    /// Twilio's code.
    pub code: TwilioCode,
    /// Error (0) or warning (1).
    pub level: Level,
    /// For a human.
    pub message: String,
    /// The request URL involved, if any.
    pub url: Option<WebUrl>,
    /// Its method.
    pub method: Option<Method>,
}
