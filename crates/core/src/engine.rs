//! The engine: every live call, and the four entry points of the drive loop.

use dialtone_types::{E164, Sid, UnixMillis};

use crate::call::Call;
use crate::config::EngineConfig;
use crate::error::EngineError;
use crate::fetch::DocCache;
use crate::hash::FastMap;
use crate::input::Input;
use crate::io::Io;
use crate::output::{CallSnapshot, Output};
use crate::sid::SidSource;
use crate::timer::Timer;
use crate::urls::UrlCache;

/// What became of an accepted input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// A call was created with this SID.
    Started(Sid),
    /// The input changed something.
    Applied,
    /// A REST recording command was applied to this recording (`RE...`).
    Recording(Sid),
    /// A REST stream command was applied to this stream (`MZ...`).
    Stream(Sid),
    /// The input was absorbed without effect: a late fetch result, an event for a call that
    /// already ended, a duplicate answer...
    Stale,
}

/// The sans-IO call engine. See the crate docs for the drive loop.
#[derive(Debug)]
pub struct Engine {
    pub(crate) calls: FastMap<Sid, Call>,
    pub(crate) io: Io,
    pub(crate) senders: FastMap<Sid, Vec<E164>>,
    pub(crate) docs: DocCache,
    pub(crate) urls: UrlCache,
    pub(crate) config: EngineConfig,
    /// Recordings not finished yet (until `Input::RecordingEnded`), by `RE` SID; they outlive
    /// their call.
    pub(crate) recordings: FastMap<Sid, crate::recording::RecordingRun>,
    /// REST-created calls waiting for their account's CPS turn.
    pub(crate) pacer: crate::pacing::Pacer,
    /// Media streams running, by `MZ` SID.
    pub(crate) streams: FastMap<Sid, crate::stream::StreamRun>,
}

impl Engine {
    /// An engine with no calls, minting SIDs from `sids`.
    pub fn new(config: EngineConfig, sids: impl SidSource + Send + 'static) -> Self {
        Self {
            calls: FastMap::default(),
            io: Io::new(Box::new(sids)),
            senders: FastMap::default(),
            docs: DocCache::new(config.document_cache_entries),
            urls: UrlCache::new(config.document_cache_entries * 4),
            pacer: crate::pacing::Pacer::new(config.cps),
            config,
            recordings: FastMap::default(),
            streams: FastMap::default(),
        }
    }

    /// Applies one input that happened at `now`. Afterwards, drain [`Self::poll_output`].
    ///
    /// Refused inputs ([`EngineError`]) change nothing. Time never goes backwards: an earlier
    /// `now` than already seen is taken as the latest time seen.
    pub fn handle_input(&mut self, now: UnixMillis, input: Input) -> Result<Handled, EngineError> {
        self.set_now(now);
        let result = match input {
            Input::StartCall(setup) => self.start_call(*setup).map(Handled::Started),
            Input::Fetched {
                call,
                request,
                result,
            } => Ok(self.on_fetched(call, request, result)),
            Input::Leg { call, event } => Ok(self.on_leg_event(call, event)),
            Input::Rest { call, command } => self.on_rest(call, command),
            Input::Recording { call, command } => self.on_recording(call, command),
            Input::Stream { stream, event } => Ok(self.on_stream_event(stream, event)),
            Input::StreamCommand { call, command } => self.on_stream_command(call, command),
            Input::SetSenders { account, senders } => {
                self.senders.insert(account, senders);
                Ok(Handled::Applied)
            }
            Input::RecordingEnded {
                recording,
                duration_secs,
                reason,
                failure,
            } => Ok(self.recording_ended(recording, duration_secs, reason, failure.as_deref())),
        };
        self.sweep();
        result
    }

    /// The next output, in the order the engine produced them; `None` when drained.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.io.out.pop_front()
    }

    /// When [`Self::handle_timeout`] should next be called; `None` when no timer is armed.
    pub fn poll_timeout(&mut self) -> Option<UnixMillis> {
        let paced = self.pacer.next_due(self.io.now);
        let mut timer_due = None;
        while let Some((at, sid, timer)) = self.io.timers.peek() {
            if self.is_armed(sid, timer, at) {
                timer_due = Some(at);
                break;
            }
            self.io.timers.pop();
        }
        match (timer_due, paced) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Fires every timer due at or before `now`. Afterwards, drain [`Self::poll_output`].
    pub fn handle_timeout(&mut self, now: UnixMillis) {
        self.set_now(now);
        while let Some((at, sid, timer)) = self.io.timers.peek() {
            if at > self.io.now {
                break;
            }
            self.io.timers.pop();
            if !self.is_armed(sid, timer, at) {
                continue;
            }
            if let Some(call) = self.calls.get_mut(&sid) {
                call.timers.stop(timer);
            }
            tracing::trace!(%sid, timer = timer.as_str(), "timer fired");
            self.fire(sid, timer);
        }
        for sid in self.pacer.release(self.io.now) {
            self.place(sid);
        }
        self.sweep();
    }

    /// A live call's snapshot.
    pub fn call(&self, sid: Sid) -> Option<CallSnapshot> {
        self.calls.get(&sid).map(Call::snapshot)
    }

    /// True while `sid` is live in the engine (ended calls are dropped at once).
    pub fn is_live(&self, sid: Sid) -> bool {
        self.calls.get(&sid).is_some_and(Call::is_live)
    }

    /// How many calls are live (the queued ones included).
    pub fn live_calls(&self) -> usize {
        self.calls.len()
    }

    /// How many REST-created calls wait for their account's CPS turn (status `queued`).
    pub fn queued_calls(&self) -> usize {
        self.pacer.waiting()
    }

    /// Every armed timer: `(call, timer, deadline)`. Each belongs to a live call.
    pub fn armed_timers(&self) -> Vec<(Sid, Timer, UnixMillis)> {
        let mut all: Vec<_> = self
            .calls
            .values()
            .flat_map(|c| c.timers.armed().map(move |(t, at)| (c.sid, t, at)))
            .collect();
        all.sort();
        all
    }

    /// The latest time the engine was given.
    pub fn now(&self) -> UnixMillis {
        self.io.now
    }

    fn set_now(&mut self, now: UnixMillis) {
        if now > self.io.now {
            self.io.now = now;
        }
    }

    fn is_armed(&self, sid: Sid, timer: Timer, at: UnixMillis) -> bool {
        self.calls
            .get(&sid)
            .is_some_and(|c| c.timers.get(timer) == Some(at))
    }

    fn fire(&mut self, sid: Sid, timer: Timer) {
        match timer {
            Timer::Ring => self.ring_timeout(sid),
            Timer::Dial => self.dial_timeout(sid),
            Timer::TimeLimit => self.time_limit_reached(sid),
            Timer::Pause => self.pause_elapsed(sid),
            Timer::Gather => self.gather_timeout(sid),
            Timer::Record => self.record_max_length(sid),
        }
    }

    /// Drops the calls that ended during this input.
    fn sweep(&mut self) {
        for sid in std::mem::take(&mut self.io.dead) {
            if self.calls.get(&sid).is_some_and(|c| !c.is_live()) {
                self.calls.remove(&sid);
                self.stop_call_recordings(sid);
            }
        }
    }
}
