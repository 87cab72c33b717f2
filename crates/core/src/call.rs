//! One call's state: identity, status, timers, the document it runs and what it waits for.
//!
//! Status changes go through [`Call::set_status`], the single place that stamps times, emits
//! the persistence snapshot and the status callback, and makes terminal states final.

use std::sync::Arc;

use dialtone_twiml::Document;
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Direction, Sid, UnixMillis};

use crate::config::AppConfig;
use crate::dial::{DialRecording, DialState};
use crate::exec::gather::GatherRun;
use crate::io::Io;
use crate::output::{CallSnapshot, FetchPurpose, MediaId, Output, RequestId};
use crate::params::{API_VERSION, Params, Value};
use crate::status_callback::CallbackSubscription;
use crate::timer::{Timer, TimerTable};

/// Twilio's default `TimeLimit`: 4 hours.
pub(crate) const DEFAULT_TIME_LIMIT_SECS: u32 = 14_400;

/// The document a call runs and where it is in it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Program {
    /// The parsed document, shared with every call that received the same body.
    pub(crate) doc: Option<Arc<Document>>,
    /// Its URL, against which relative URLs resolve (none for inline TwiML).
    pub(crate) url: Option<WebUrl>,
    /// Index of the next verb.
    pub(crate) pc: usize,
}

/// What a call is waiting for.
#[derive(Debug, Default)]
pub(crate) enum Wait {
    /// Nothing runs: not answered yet (REST call), or between steps.
    #[default]
    Idle,
    /// A document fetch (see `Call::fetch`).
    Fetch,
    /// A `<Say>`/`<Play>` to finish.
    Media(MediaId),
    /// The `<Pause>` timer.
    Pause,
    /// A `<Gather>`.
    Gather(Box<GatherRun>),
    /// A `<Record>`: its recording (`RE...`) to finish.
    Record(Sid),
    /// `<Connect><Stream>`: until this stream ends.
    Stream(Sid),
    /// The parent's `<Dial>` (see `Call::dial`).
    Dial,
    /// A child in the bridge, after its whisper.
    Bridged,
    /// The application-error message, then hang-up.
    AppError(MediaId),
    /// Terminal.
    Done,
}

/// A fetch in flight.
#[derive(Debug)]
pub(crate) struct PendingFetch {
    pub(crate) id: RequestId,
    pub(crate) purpose: FetchPurpose,
    pub(crate) url: WebUrl,
    pub(crate) method: dialtone_twiml::Method,
}

/// A call: a parent running TwiML, or a `<Dial>` child (which may run a whisper).
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) sid: Sid,
    pub(crate) account: Sid,
    /// The TwiML App handling the call (`ApplicationSid` on its webhooks).
    pub(crate) application: Option<Sid>,
    /// A Voice SDK call into a TwiML App: `Called` and `Caller` on its webhooks
    /// ([`crate::sends_called_and_caller`]).
    pub(crate) called_and_caller: bool,
    pub(crate) parent: Option<Sid>,
    pub(crate) direction: Direction,
    pub(crate) from: Arc<str>,
    pub(crate) to: Arc<str>,
    /// The far party is on the phone network (never bridged to WhatsApp).
    pub(crate) pstn: bool,
    pub(crate) status: CallStatus,
    pub(crate) created: UnixMillis,
    pub(crate) answered: Option<UnixMillis>,
    pub(crate) ended: Option<UnixMillis>,
    pub(crate) timers: TimerTable,
    pub(crate) callbacks: Option<Box<CallbackSubscription>>,
    /// Next `SequenceNumber`.
    pub(crate) sequence: u32,
    pub(crate) program: Program,
    pub(crate) wait: Wait,
    pub(crate) fetch: Option<PendingFetch>,
    /// Documents requested in a row without the call waiting for anything (loop guard).
    pub(crate) loop_steps: u8,
    /// A verb waited (media, pause, gather, ringing) since the last document request.
    pub(crate) waited: bool,
    /// When the last document was requested.
    pub(crate) last_step: UnixMillis,
    /// The application (parents only).
    pub(crate) app: Option<Arc<AppConfig>>,
    /// REST `TimeLimit` (parents) or `<Dial timeLimit>` (children), seconds.
    pub(crate) time_limit_secs: u32,
    /// The `<Dial>` in progress (parents only).
    pub(crate) dial: Option<Box<DialState>>,
    /// Index of the `<Dial>` noun this child dials.
    pub(crate) noun: u16,
    /// A `<Dial>` child that a REST redirect took out of its dial: it keeps its identity
    /// (`ParentCallSid`, `outbound-dial`) but runs its own TwiML like a parent.
    pub(crate) detached: bool,
    /// A bridged `<Dial>` child whose dial records: reported in its `completed` callback.
    pub(crate) recording: Option<DialRecording>,
    /// REST `Record=true`: recorded from the answer with these options (taken then).
    pub(crate) record: Option<Box<crate::input::RecordingOptions>>,
    /// REST `Timeout`: how long a REST-created call rings once placed (it may wait for its
    /// CPS turn first).
    pub(crate) ring_secs: u32,
}

impl Call {
    /// A call in the engine's internal pre-state (`queued`), before its first status.
    pub(crate) fn new(
        sid: Sid,
        account: Sid,
        direction: Direction,
        from: Arc<str>,
        to: Arc<str>,
        now: UnixMillis,
    ) -> Self {
        Self {
            sid,
            account,
            application: None,
            called_and_caller: false,
            parent: None,
            direction,
            from,
            to,
            pstn: false,
            status: CallStatus::Queued,
            created: now,
            answered: None,
            ended: None,
            timers: TimerTable::default(),
            callbacks: None,
            sequence: 0,
            program: Program::default(),
            wait: Wait::Idle,
            fetch: None,
            loop_steps: 0,
            waited: false,
            last_step: UnixMillis(0),
            app: None,
            time_limit_secs: DEFAULT_TIME_LIMIT_SECS,
            dial: None,
            noun: 0,
            detached: false,
            recording: None,
            record: None,
            ring_secs: 0,
        }
    }

    /// The parent whose `<Dial>` this call belongs to: a child not detached by a redirect.
    pub(crate) fn dialed_by(&self) -> Option<Sid> {
        self.parent.filter(|_| !self.detached)
    }

    /// A `<Dial>` child still in its dial (runs whispers, ends through its parent's dial).
    pub(crate) fn in_dial(&self) -> bool {
        self.dialed_by().is_some()
    }

    /// True until a terminal status.
    pub(crate) fn is_live(&self) -> bool {
        !self.status.is_terminal()
    }

    /// True once answered.
    pub(crate) fn is_answered(&self) -> bool {
        self.answered.is_some()
    }

    /// Whole seconds between answer and end (or `now` while live); 0 if never answered.
    pub(crate) fn duration(&self, now: UnixMillis) -> u64 {
        self.answered
            .map_or(0, |a| self.ended.unwrap_or(now).whole_seconds_since(a))
    }

    /// The persistence snapshot.
    pub(crate) fn snapshot(&self) -> CallSnapshot {
        CallSnapshot {
            sid: self.sid,
            account: self.account,
            parent: self.parent,
            direction: self.direction,
            from: Arc::clone(&self.from),
            to: Arc::clone(&self.to),
            status: self.status,
            created: self.created,
            start_time: self.answered,
            end_time: self.ended,
            duration: self
                .ended
                .map(|e| self.answered.map_or(0, |a| e.whole_seconds_since(a))),
            status_callback: self.callbacks.as_deref().cloned(),
            sequence: self.sequence,
        }
    }

    /// Twilio's standard voice parameters, with room for `extra` more.
    ///
    /// Order: `AccountSid, ApiVersion, ApplicationSid (calls handled by a TwiML App only),
    /// CallSid, CallStatus, Called, Caller (Voice SDK calls into a TwiML App only),
    /// Direction, From, ParentCallSid (children only), To`.
    pub(crate) fn standard_params(&self, status: CallStatus, extra: usize) -> Params {
        let legacy = if self.called_and_caller { 2 } else { 0 };
        let mut p = Params::with_capacity(9 + legacy + extra);
        p.push("AccountSid", self.account);
        p.push("ApiVersion", API_VERSION);
        if let Some(application) = self.application {
            p.push("ApplicationSid", application);
        }
        p.push("CallSid", self.sid);
        p.push("CallStatus", status.as_str());
        if self.called_and_caller {
            p.push("Called", Value::Text(Arc::clone(&self.to)));
            p.push("Caller", Value::Text(Arc::clone(&self.from)));
        }
        p.push("Direction", self.direction.as_str());
        p.push("From", Value::Text(Arc::clone(&self.from)));
        if let Some(parent) = self.parent {
            p.push("ParentCallSid", parent);
        }
        p.push("To", Value::Text(Arc::clone(&self.to)));
        p
    }

    /// Arms `timer` at `at`.
    pub(crate) fn arm(&mut self, io: &mut Io, timer: Timer, at: UnixMillis) {
        self.timers.set(timer, at);
        io.timers.push(at, self.sid, timer);
    }

    /// Arms `timer` `secs` seconds from now.
    pub(crate) fn arm_in(&mut self, io: &mut Io, timer: Timer, secs: u32) {
        let at = io.now.plus_millis(u64::from(secs) * 1000);
        self.arm(io, timer, at);
    }

    /// Moves to `status`, unless the call already ended (terminal states are final) or is
    /// already there. Returns whether anything changed.
    pub(crate) fn set_status(&mut self, io: &mut Io, status: CallStatus) -> bool {
        if self.status.is_terminal() || self.status == status {
            return false;
        }
        if status == CallStatus::InProgress && self.answered.is_none() {
            self.answered = Some(io.now);
        }
        if status.is_terminal() {
            self.ended = Some(io.now);
            self.timers.clear();
            self.wait = Wait::Done;
            self.fetch = None;
            io.dead.push(self.sid);
        }
        self.status = status;
        // The snapshot already counts the callback it owes, which follows it.
        let callback = self.status_callback(io, status);
        io.push(Output::CallUpdated(self.snapshot()));
        if let Some(callback) = callback {
            io.push(Output::StatusCallback(callback));
        }
        true
    }
}
