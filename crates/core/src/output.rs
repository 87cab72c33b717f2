//! The work the engine asks its runtime to do. Every output is plain data.

use std::fmt;
use std::sync::Arc;

use dialtone_twiml::{Method, RecordingEvents, RecordingTrack, RejectReason, Trim};
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
    /// Start recording (`<Record>`, `<Dial record>`): tap the legs, write the file, and
    /// answer with [`Input::RecordingEnded`](crate::Input::RecordingEnded) once it is
    /// finished — after [`Output::StopRecording`], or unprompted when the media side ends it
    /// (`<Record timeout>` silence, the leg's audio ending). See [`RecordingRequest`].
    StartRecording(RecordingRequest),
    /// Stop a recording the engine decided to end (`finishOnKey`, `maxLength`, hang-up, the
    /// `<Dial>` ended): finish the file (trim it if asked), then answer with
    /// [`Input::RecordingEnded`](crate::Input::RecordingEnded) echoing `reason`.
    StopRecording {
        /// The call the recording belongs to (the parent for `<Dial record>`).
        call: Sid,
        /// The recording (`RE...`).
        recording: Sid,
        /// Why it ends.
        reason: RecordingEnd,
    },
    /// Pause a recording (REST `Status=paused`): with `Skip` nothing is written until
    /// [`Output::ResumeRecording`] (the duration does not count the pause); with `Silence`
    /// silence is written instead of the audio.
    PauseRecording {
        /// The call the recording belongs to.
        call: Sid,
        /// The recording (`RE...`).
        recording: Sid,
        /// Skip or silence.
        behavior: PauseBehavior,
    },
    /// Open a media stream (`<Connect><Stream>`, `<Start><Stream>`, REST); the runtime
    /// reports with [`Input::Stream`](crate::Input::Stream).
    StartStream(crate::stream::StreamRequest),
    /// Close a stream the engine ended (send `stop`, close the socket); nothing comes back.
    StopStream {
        /// The call.
        call: Sid,
        /// The stream (`MZ...`).
        stream: Sid,
    },
    /// Digits pressed during `<Connect><Stream>`: one `dtmf` message per digit.
    StreamDtmf {
        /// The call.
        call: Sid,
        /// The stream.
        stream: Sid,
        /// The digits, in order.
        digits: String,
    },
    /// Resume a paused recording (REST `Status=in-progress`).
    ResumeRecording {
        /// The call the recording belongs to.
        call: Sid,
        /// The recording (`RE...`).
        recording: Sid,
    },
}

/// `PauseBehavior` of a REST pause (twilio-media.md §7.3; Twilio's default is `silence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PauseBehavior {
    /// `skip`: the paused audio is cut out.
    Skip,
    /// `silence`: the paused audio is replaced by silence.
    #[default]
    Silence,
}

impl PauseBehavior {
    /// Twilio's value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::Silence => "silence",
        }
    }
}

/// How a recording was started (`source` / `RecordingSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingSource {
    /// `<Record>`.
    RecordVerb,
    /// `<Dial record>`.
    DialVerb,
    /// REST `POST /Calls/{CA}/Recordings.json`.
    StartCallRecordingApi,
    /// REST `POST /Calls.json` with `Record=true`: from the answer to the end of the call.
    OutboundApi,
}

impl RecordingSource {
    /// Twilio's value (`RecordVerb`, `DialVerb`, `StartCallRecordingAPI`, `OutboundAPI`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RecordVerb => "RecordVerb",
            Self::DialVerb => "DialVerb",
            Self::StartCallRecordingApi => "StartCallRecordingAPI",
            Self::OutboundApi => "OutboundAPI",
        }
    }

    /// Parses Twilio's value (as stored).
    pub fn parse(v: &str) -> Option<Self> {
        Some(match v {
            "RecordVerb" => Self::RecordVerb,
            "DialVerb" => Self::DialVerb,
            "StartCallRecordingAPI" => Self::StartCallRecordingApi,
            "OutboundAPI" => Self::OutboundApi,
            _ => return None,
        })
    }
}

/// Where a recording's status callbacks go (`recordingStatusCallback`, its method and events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingCallback {
    /// The resolved URL.
    pub url: WebUrl,
    /// `recordingStatusCallbackMethod`.
    pub method: Method,
    /// `recordingStatusCallbackEvent`.
    pub events: RecordingEvents,
}

/// Why a recording ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingEnd {
    /// `<Record timeout>` seconds of silence (detected by the media side).
    Silence,
    /// A `<Record finishOnKey>` key.
    Key(char),
    /// `<Record maxLength>` reached (the engine's timer).
    MaxLength,
    /// The call ended (caller hang-up, REST `Status=completed`, time limit).
    Hangup,
    /// The `<Dial>` ended (child hung up, dial torn down).
    DialEnded,
    /// A REST redirect took the call elsewhere (no `action` request).
    Interrupted,
    /// The media side could not write the file (disk full...): it stopped early, with
    /// `Input::RecordingEnded::failure` saying why.
    Failed,
    /// REST `Status=stopped`.
    Stopped,
}

/// A recording to start. Audio is 8 kHz 16-bit PCM (Twilio's format, 128 kbps per channel).
///
/// - `<Record>`: mono, the `call`'s inbound track (`track = Inbound`, `child = None`); a beep
///   first when `beep`; end it unprompted with `RecordingEnd::Silence` after
///   `silence_timeout_secs` of silence (`None`: never). `finishOnKey` and `maxLength` are
///   the engine's (it sends `StopRecording`).
/// - `<Dial record-from-answer[-dual]>`: sent at the `Bridge`; `child` is the bridged child.
/// - `<Dial record-from-ringing[-dual]>`: sent when the dial starts ringing, `child = None`:
///   record the parent leg (what the caller hears, ringback included) and add the child that
///   a later `Output::Bridge` names.
/// - Dual (`channels == 2`): channel 1 is the parent (`call`), channel 2 the child. Mono mixes
///   both legs. `track`: `Inbound` = audio received from the legs, `Outbound` = audio sent to
///   them, `Both` = both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingRequest {
    /// The call the recording belongs to (the parent leg for `<Dial>`).
    pub call: Sid,
    /// Its account.
    pub account: Sid,
    /// The recording (`RE...`), echoed in `StopRecording` and `RecordingEnded`.
    pub recording: Sid,
    /// Who started it.
    pub source: RecordingSource,
    /// The bridged child (`<Dial record-from-answer*>`).
    pub child: Option<Sid>,
    /// 1 or 2.
    pub channels: u8,
    /// Which direction of audio.
    pub track: RecordingTrack,
    /// Play a beep before recording (`<Record playBeep>`).
    pub beep: bool,
    /// Remove leading and trailing silence when finishing.
    pub trim: Trim,
    /// End the recording after this many seconds of silence (`<Record timeout>`).
    pub silence_timeout_secs: Option<u32>,
    /// `<Record maxLength>` (the engine stops it; informative for the media side).
    pub max_length_secs: Option<u32>,
    /// When it starts.
    pub started: UnixMillis,
    /// `RecordingUrl` (no extension) for the store's `media_url`.
    pub url: Arc<str>,
    /// Where its status callbacks go: stored with the recording, so that a restart that
    /// finishes it still sends the `completed` (or `absent`) one.
    pub callback: Option<RecordingCallback>,
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
