//! Everything that moves the engine forward. Each input comes with the time it happened.

use dialtone_twiml::{Method, RecordingEvents, RecordingTrack, Trim};
use dialtone_types::WebUrl;
use dialtone_types::{E164, Sid, TwilioCode};

use crate::config::CallSetup;
use crate::output::{MediaId, PauseBehavior, RecordingEnd, RequestId};

/// One input to [`Engine::handle_input`](crate::Engine::handle_input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A call arrives or is created through REST.
    StartCall(Box<CallSetup>),
    /// The answer to an [`Output::Fetch`](crate::Output::Fetch).
    Fetched {
        /// The call the request was made for.
        call: Sid,
        /// The request id of the fetch.
        request: RequestId,
        /// What came back.
        result: FetchResult,
    },
    /// Something happened on a call's leg.
    Leg {
        /// The call.
        call: Sid,
        /// What happened.
        event: LegEvent,
    },
    /// A REST update of a live call.
    Rest {
        /// The call.
        call: Sid,
        /// The update.
        command: RestCommand,
    },
    /// A REST recording command on a live call (`POST /Calls/{CA}/Recordings.json`, `POST
    /// /Calls/{CA}/Recordings/{RE|Twilio.CURRENT}.json`). Accepted: `Handled::Recording`
    /// with the recording concerned.
    Recording {
        /// The call.
        call: Sid,
        /// What to do.
        command: RecordingCommand,
    },
    /// What the runtime reports about a media stream (`MZ...`).
    Stream {
        /// The stream.
        stream: Sid,
        /// What happened.
        event: crate::stream::StreamEvent,
    },
    /// A REST stream command on a live call (`POST /Calls/{CA}/Streams.json`, `POST
    /// /Calls/{CA}/Streams/{MZ|name}.json`). Accepted: `Handled::Stream`.
    StreamCommand {
        /// The call.
        call: Sid,
        /// What to do.
        command: crate::stream::StreamCommand,
    },
    /// The account's voice-enabled WhatsApp senders (replaces the previous set); a `<Dial>`
    /// `callerId` for `<WhatsApp>` must be one of them (else 37008).
    SetSenders {
        /// The account.
        account: Sid,
        /// Its voice-enabled senders.
        senders: Vec<E164>,
    },
    /// A recording is finished (the file is complete, trimmed if asked): the answer to
    /// [`Output::StopRecording`](crate::Output::StopRecording) (echoing its reason), or
    /// unprompted (`RecordingEnd::Silence`, or `Hangup` when the media side saw the leg go
    /// first). `duration_secs == 0` means nothing was recorded: `absent` (16101), and a
    /// `<Record>` falls through to the next verb without requesting `action`. Valid after the
    /// call ended (the engine keeps the recording until this arrives).
    RecordingEnded {
        /// The recording (`RE...`).
        recording: Sid,
        /// Whole seconds of audio in the finished file.
        duration_secs: u32,
        /// Why it ended.
        reason: RecordingEnd,
        /// Why the file could not be written (`No space left on device`...), if it could
        /// not: what was written before is kept (`duration_secs`), and the call goes on.
        failure: Option<String>,
    },
}

/// The outcome of fetching a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchResult {
    /// An HTTP response (after following redirects).
    Response {
        /// The status code.
        status: u16,
        /// The `Content-Type` header, if any.
        content_type: Option<String>,
        /// The body.
        body: Vec<u8>,
    },
    /// No usable response; the runtime already mapped the failure to a Twilio code
    /// (11200, 11205, 11210, 11215, 1122x...).
    Failed {
        /// The code.
        code: TwilioCode,
        /// What went wrong.
        message: String,
    },
}

impl FetchResult {
    /// A `200 text/xml` response with `body`.
    pub fn xml(body: impl Into<Vec<u8>>) -> Self {
        Self::Response {
            status: 200,
            content_type: Some("text/xml".to_owned()),
            body: body.into(),
        }
    }
}

/// Events on a leg (the transport under a call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegEvent {
    /// The far end is ringing.
    Ringing,
    /// The far end answered.
    Answered,
    /// The far end is busy.
    Busy,
    /// The far end declined (a WhatsApp user pressing decline): reported as `busy`.
    Rejected,
    /// The far end did not answer (the leg gave up by itself).
    NoAnswer,
    /// The leg could not be placed; the code says why (37000 no WhatsApp call permission,
    /// 37003, 37004, 37006, 37007...).
    Failed {
        /// The Twilio code.
        code: TwilioCode,
        /// What went wrong.
        message: String,
    },
    /// The far end hung up.
    HungUp,
    /// DTMF digits pressed on this leg.
    Digits(String),
    /// A media command finished playing.
    MediaFinished(MediaId),
    /// A media command could not play (the `<Say>` engine failed, the `<Play>` file could not
    /// be fetched or decoded). The engine stores a Notification with `code` and goes on
    /// exactly as after [`LegEvent::MediaFinished`].
    MediaFailed {
        /// The media command.
        id: MediaId,
        /// Twilio's code (13520 for `<Say>`, 11200/11205/13420... for `<Play>`).
        code: TwilioCode,
        /// What went wrong, for the Notification.
        message: String,
    },
}

/// REST updates of a live call (`POST /Calls/{Sid}.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestCommand {
    /// `Url`/`Method`: continue with the document at this URL.
    RedirectUrl {
        /// The new URL.
        url: WebUrl,
        /// GET or POST.
        method: Method,
    },
    /// `Twiml`: continue with this document.
    RedirectTwiml(String),
    /// `Status=completed`: hang up (or cancel, if not answered yet).
    Complete,
    /// `Status=canceled`: cancel a call that is not answered yet (else 21220).
    Cancel,
    /// `FallbackUrl`, `FallbackMethod`, `StatusCallback`, `StatusCallbackMethod`, `TimeLimit`:
    /// the call uses them from now on.
    Settings(Box<CallSettings>),
}

/// New settings of a live call (REST update); `None` keeps the current one.
///
/// - `FallbackUrl` is used if the voice URL is fetched from now on and fails (a REST call not
///   answered yet, an inbound call whose voice request is in flight); a method alone changes
///   the current fallback's method. A `<Dial>` child has no voice URL: ignored.
/// - `StatusCallback` receives the call's later status callbacks, for the events it already
///   subscribed (`completed` only if it had no subscription); `SequenceNumber` goes on counting.
///   A method alone changes the current subscription's method.
/// - `TimeLimit` is counted again from the call's start (inbound: its arrival; REST-created
///   and `<Dial>` children: their answer, or once they answer); a limit already exceeded ends
///   the call at the next timer check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallSettings {
    /// `FallbackUrl`.
    pub fallback_url: Option<WebUrl>,
    /// `FallbackMethod`.
    pub fallback_method: Option<Method>,
    /// `StatusCallback`.
    pub status_callback: Option<WebUrl>,
    /// `StatusCallbackMethod`.
    pub status_callback_method: Option<Method>,
    /// `TimeLimit`, seconds.
    pub time_limit_secs: Option<u32>,
}

impl CallSettings {
    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A REST recording command (twilio-media.md §7.2, §7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordingCommand {
    /// `CreateCallRecording`: start recording the call now (`StartCallRecordingAPI`).
    Start(Box<RecordingOptions>),
    /// `UpdateCallRecording`: pause, resume or stop a recording of the call.
    Update {
        /// Which recording.
        target: RecordingTarget,
        /// The new status.
        change: RecordingChange,
    },
}

/// The options of a recording started over REST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordingOptions {
    /// `RecordingStatusCallback` (absolute).
    pub callback: Option<WebUrl>,
    /// `RecordingStatusCallbackMethod`.
    pub callback_method: Method,
    /// `RecordingStatusCallbackEvent` (default `completed`).
    pub events: RecordingEvents,
    /// `Trim` (REST default `do-not-trim`).
    pub trim: Trim,
    /// `RecordingChannels`: 1 (`mono`) or 2 (`dual`).
    pub channels: u8,
    /// `RecordingTrack`.
    pub track: RecordingTrack,
}

/// The recording a REST update names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingTarget {
    /// `RE...`.
    Sid(Sid),
    /// `Twilio.CURRENT`: the call's most recently started recording still going.
    Current,
}

/// `Status` of a REST recording update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingChange {
    /// `paused`, with `PauseBehavior`.
    Pause(PauseBehavior),
    /// `in-progress`: resume.
    Resume,
    /// `stopped`: finish the recording.
    Stop,
}
