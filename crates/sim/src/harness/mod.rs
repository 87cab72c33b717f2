//! The virtual-time world: an engine, scripted applications and legs, and a record of
//! everything that happened.
//!
//! Time only moves when the world runs: [`World::run_until_idle`] feeds the earliest
//! scheduled event (a scripted leg event, a fetch answer, a media completion) or fires the
//! engine's earliest timer, drains the outputs, reacts to them, and repeats until nothing is
//! left. Events for legs the engine already ended (canceled, hung up) and completions of
//! stopped media are dropped, as a real network would. Inputs given directly with
//! [`World::input`] bypass scripting, to test out-of-order or duplicate events.

mod app;
mod leg;
mod record;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Duration;

use dialtone_core::{
    AppConfig, CallSetup, CallSnapshot, Engine, EngineConfig, EngineError, Handled, Input,
    LegEvent, MediaCommand, MediaId, Notification, Output, PauseBehavior, RecordingEnd,
    RestCommand, SequentialSids,
};
use dialtone_types::WebUrl;
use dialtone_types::{Address, CallStatus, Direction, E164, Sid, SidKind, TwilioCode, UnixMillis};

pub use app::AppResponse;
pub use leg::{LegScript, Outcome};
pub use record::{Webhook, WebhookKind};

/// FNV-1a: the harness looks URLs and addresses up on every fetch and leg; SipHash's
/// flooding resistance is not needed for test scripts.
#[derive(Debug, Default, Clone, Copy)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A map keyed by URL or address text.
type StrMap<V> = HashMap<String, V, BuildHasherDefault<Fnv>>;

/// 2026-01-01T00:00:00Z: where virtual time starts.
pub const EPOCH: UnixMillis = UnixMillis(1_767_225_600_000);

/// Scheduled inputs: a min-heap of small `(time, sequence, slot)` keys over a slab of inputs,
/// so the heap never moves the inputs themselves.
#[derive(Debug, Default)]
struct Schedule {
    heap: BinaryHeap<Reverse<(UnixMillis, u64, usize)>>,
    slots: Vec<Option<Input>>,
    free: Vec<usize>,
    seq: u64,
}

impl Schedule {
    fn push(&mut self, at: UnixMillis, input: Input) {
        let slot = if let Some(slot) = self.free.pop() {
            self.slots[slot] = Some(input);
            slot
        } else {
            self.slots.push(Some(input));
            self.slots.len() - 1
        };
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, slot)));
    }

    fn next_at(&self) -> Option<UnixMillis> {
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    fn pop(&mut self) -> Option<Input> {
        let Reverse((_, _, slot)) = self.heap.pop()?;
        self.free.push(slot);
        self.slots.get_mut(slot).and_then(Option::take)
    }

    fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

/// How much the world keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    /// Every output, webhook, notification and call snapshot (tests).
    Full,
    /// Counters only (benchmarks).
    Counters,
}

/// Counts of what happened, kept in every recording mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Outputs drained.
    pub outputs: u64,
    /// Document fetches.
    pub fetches: u64,
    /// Status callbacks.
    pub status_callbacks: u64,
    /// Bridges.
    pub bridges: u64,
    /// Calls that reached a terminal status.
    pub ended_calls: u64,
    /// Inputs the engine handled.
    pub inputs: u64,
}

/// See the module docs.
#[derive(Debug)]
pub struct World {
    engine: Engine,
    now: UnixMillis,
    account: Sid,
    queue: Schedule,
    apps: StrMap<AppResponse>,
    legs: StrMap<LegScript>,
    fetch_latency: Duration,
    media_duration: Duration,
    /// The from-address of inbound parents that have a script.
    inbound_from: HashMap<Sid, String>,
    stopped_media: HashSet<MediaId>,
    /// Media whose `<Say>` text or `<Play>` URL contains the key fails with this code.
    media_failures: Vec<(String, TwilioCode, String)>,
    recording: Recording,
    outputs: Vec<(UnixMillis, Output)>,
    webhooks: Vec<Webhook>,
    notifications: Vec<Notification>,
    calls: BTreeMap<Sid, CallSnapshot>,
    counters: Counters,
    /// Recordings being made.
    recorders: BTreeMap<Sid, Recorder>,
    /// Recordings capture nothing (a silent caller): they end with 0 s.
    silent_recordings: bool,
    /// The `<Record>` caller speaks this long, then stays silent: the recording ends by
    /// silence `timeout` seconds later, with this duration (trimmed).
    speaks_for: Option<Duration>,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

/// A simulated recorder: finishes at once when asked, with the whole seconds recorded.
#[derive(Debug, Clone, Copy)]
struct Recorder {
    started: UnixMillis,
    /// Paused with `skip` since then.
    skip_since: Option<UnixMillis>,
    skipped_ms: u64,
}

impl Recorder {
    fn resume(&mut self, now: UnixMillis) {
        if let Some(since) = self.skip_since.take() {
            self.skipped_ms += now.0.saturating_sub(since.0);
        }
    }

    fn seconds(mut self, now: UnixMillis) -> u32 {
        self.resume(now);
        let ms = now
            .0
            .saturating_sub(self.started.0)
            .saturating_sub(self.skipped_ms);
        u32::try_from(ms / 1000).unwrap_or(u32::MAX)
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl World {
    /// A world at [`EPOCH`] with SIDs counting from 1, recording everything.
    pub fn new() -> Self {
        Self::with(EngineConfig::default(), Recording::Full)
    }

    /// A world with these engine settings and recording mode.
    pub fn with(config: EngineConfig, recording: Recording) -> Self {
        Self {
            engine: Engine::new(config, SequentialSids::default()),
            now: EPOCH,
            account: Sid::new(SidKind::Account, 0xACC),
            queue: Schedule::default(),
            apps: StrMap::default(),
            legs: StrMap::default(),
            fetch_latency: Duration::ZERO,
            media_duration: Duration::from_secs(2),
            inbound_from: HashMap::new(),
            stopped_media: HashSet::new(),
            media_failures: Vec::new(),
            recording,
            outputs: Vec::new(),
            webhooks: Vec::new(),
            notifications: Vec::new(),
            calls: BTreeMap::new(),
            counters: Counters::default(),
            recorders: BTreeMap::new(),
            silent_recordings: false,
            speaks_for: None,
        }
    }

    // ----- setup -----

    /// The account every call belongs to.
    pub fn account(&self) -> Sid {
        self.account
    }

    /// Current virtual time.
    pub fn now(&self) -> UnixMillis {
        self.now
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The engine, mutably (for property tests that inject raw inputs).
    pub fn engine_mut(&mut self) -> &mut Engine {
        &mut self.engine
    }

    /// Declares the account's voice-enabled WhatsApp senders (`+E164` each).
    pub fn senders(&mut self, senders: &[&str]) {
        let senders = senders.iter().filter_map(|s| E164::parse(s).ok()).collect();
        let account = self.account;
        let _ = self.input(Input::SetSenders { account, senders });
    }

    /// Serves `twiml` (200 `text/xml`) at `url`.
    pub fn serve(&mut self, url: &str, twiml: &str) {
        self.respond(url, AppResponse::twiml(twiml));
    }

    /// Scripts any response at `url`.
    pub fn respond(&mut self, url: &str, response: AppResponse) {
        self.apps.insert(url.to_owned(), response);
    }

    /// How long each fetch takes (default 0).
    pub fn set_fetch_latency(&mut self, latency: Duration) {
        self.fetch_latency = latency;
    }

    /// How long each `<Say>`/`<Play>` plays (default 2 s).
    pub fn set_media_duration(&mut self, duration: Duration) {
        self.media_duration = duration;
    }

    /// Media whose `<Say>` text or `<Play>` URL contains `matching` fails with `code` and
    /// `message` (`LegEvent::MediaFailed`) after the fetch latency, instead of playing.
    pub fn fail_media(&mut self, matching: &str, code: TwilioCode, message: &str) {
        self.media_failures
            .push((matching.to_owned(), code, message.to_owned()));
    }

    /// Scripts the far end at `address` (`whatsapp:+...`, `client:...`): outgoing legs to it,
    /// and inbound calls from it (after their answer).
    pub fn leg(&mut self, address: &str, script: LegScript) {
        self.legs.insert(address.to_owned(), script);
    }

    // ----- calls -----

    /// An inbound call `from` → `to`, whose voice URL is `url` (POST).
    ///
    /// # Panics
    /// On a relative URL or an address not in a Twilio form: a mistake in the test itself.
    pub fn inbound(&mut self, from: &str, to: &str, url: &str) -> Sid {
        let url = WebUrl::parse(url).unwrap_or_else(|e| panic!("voice URL {url:?}: {e}"));
        self.inbound_with(from, to, AppConfig::url(url))
            .unwrap_or_else(|e| panic!("inbound call refused: {e}"))
    }

    /// An inbound call with a full application config.
    pub fn inbound_with(
        &mut self,
        from: &str,
        to: &str,
        app: AppConfig,
    ) -> Result<Sid, EngineError> {
        let setup = self.setup(Direction::Inbound, from, to, app)?;
        self.start(setup)
    }

    /// A REST-created (`outbound-api`) call.
    pub fn outbound_api(
        &mut self,
        from: &str,
        to: &str,
        app: AppConfig,
    ) -> Result<Sid, EngineError> {
        let setup = self.setup(Direction::OutboundApi, from, to, app)?;
        self.start(setup)
    }

    /// The setup of a REST-created call, to adjust before [`World::start`].
    pub fn setup_outbound_api(
        &self,
        from: &str,
        to: &str,
        app: AppConfig,
    ) -> Result<CallSetup, EngineError> {
        self.setup(Direction::OutboundApi, from, to, app)
    }

    fn setup(
        &self,
        direction: Direction,
        from: &str,
        to: &str,
        app: AppConfig,
    ) -> Result<CallSetup, EngineError> {
        let bad = |_| EngineError::Unsupported("address not in a Twilio form");
        let from: Address = from.parse().map_err(bad)?;
        let to: Address = to.parse().map_err(bad)?;
        Ok(CallSetup::new(self.account, direction, from, to, app))
    }

    /// Starts a call from a full setup.
    pub fn start(&mut self, setup: CallSetup) -> Result<Sid, EngineError> {
        // Only inbound callers with a script need remembering (for their post-answer events).
        let scripted_from = (setup.direction == Direction::Inbound && !self.legs.is_empty())
            .then(|| setup.from.to_string())
            .filter(|from| self.legs.contains_key(from));
        match self.input(Input::StartCall(Box::new(setup)))? {
            Handled::Started(sid) => {
                if let Some(from) = scripted_from {
                    self.inbound_from.insert(sid, from);
                }
                self.drain();
                Ok(sid)
            }
            _ => Err(EngineError::Unsupported("the engine did not start a call")),
        }
    }

    /// Gives the engine `input` now and drains its outputs.
    pub fn input(&mut self, input: Input) -> Result<Handled, EngineError> {
        self.counters.inputs += 1;
        let result = self.engine.handle_input(self.now, input);
        self.drain();
        result
    }

    /// A REST update now.
    pub fn rest(&mut self, call: Sid, command: RestCommand) -> Result<Handled, EngineError> {
        self.input(Input::Rest { call, command })
    }

    /// Schedules `input` after `delay`.
    pub fn schedule(&mut self, delay: Duration, input: Input) {
        let at = self.now.plus_millis(duration_ms(delay));
        self.queue.push(at, input);
    }

    /// Recordings capture nothing from now on: they finish with 0 s (`absent`).
    pub fn set_silent_recordings(&mut self, silent: bool) {
        self.silent_recordings = silent;
    }

    /// A `<Record>` caller speaks for `speech`, then stays silent: the media side ends the
    /// recording by silence after its `timeout`, reporting `speech` (trimmed) as duration.
    pub fn set_speaks_for(&mut self, speech: Option<Duration>) {
        self.speaks_for = speech;
    }

    /// The far end of `call` hangs up after `delay`.
    pub fn hang_up_after(&mut self, call: Sid, delay: Duration) {
        self.schedule(
            delay,
            Input::Leg {
                call,
                event: LegEvent::HungUp,
            },
        );
    }

    /// `digits` pressed on `call` after `delay`.
    pub fn press_after(&mut self, call: Sid, delay: Duration, digits: &str) {
        self.schedule(
            delay,
            Input::Leg {
                call,
                event: LegEvent::Digits(digits.to_owned()),
            },
        );
    }

    // ----- running -----

    /// Runs until no event is scheduled and no timer is armed.
    pub fn run_until_idle(&mut self) {
        self.run_until(UnixMillis(u64::MAX));
    }

    /// Runs for `d` of virtual time.
    pub fn advance(&mut self, d: Duration) {
        let deadline = self.now.plus_millis(duration_ms(d));
        self.run_until(deadline);
        self.now = self.now.max(deadline);
    }

    /// Runs every event and timer due at or before `deadline`.
    pub fn run_until(&mut self, deadline: UnixMillis) {
        self.drain();
        loop {
            let event_at = self.queue.next_at();
            let timer_at = self.engine.poll_timeout();
            let next = match (event_at, timer_at) {
                (Some(e), Some(t)) => e.min(t),
                (Some(e), None) => e,
                (None, Some(t)) => t,
                (None, None) => return,
            };
            if next > deadline {
                return;
            }
            self.now = self.now.max(next);
            if event_at == Some(next) {
                if let Some(input) = self.queue.pop() {
                    self.feed(input);
                }
            } else {
                self.engine.handle_timeout(self.now);
            }
            self.drain();
        }
    }

    fn feed(&mut self, input: Input) {
        if let Input::Leg { call, event } = &input {
            if !self.engine.is_live(*call) {
                return;
            }
            if let LegEvent::MediaFinished(id) = event
                && self.stopped_media.remove(id)
            {
                return;
            }
        }
        self.counters.inputs += 1;
        // Scripted inputs are never refused; a refusal would show in the records anyway.
        let _ = self.engine.handle_input(self.now, input);
    }

    fn drain(&mut self) {
        while let Some(output) = self.engine.poll_output() {
            self.react(&output);
            self.counters.outputs += 1;
            if self.recording == Recording::Full {
                self.outputs.push((self.now, output));
            }
        }
    }

    fn react(&mut self, output: &Output) {
        match output {
            Output::Fetch(req) => {
                self.counters.fetches += 1;
                let result = self.apps.get(req.url.as_str()).map_or_else(
                    || AppResponse::not_found().to_result(),
                    AppResponse::to_result,
                );
                if self.recording == Recording::Full {
                    self.webhooks.push(Webhook {
                        at: self.now,
                        kind: WebhookKind::Fetch(req.purpose),
                        call: req.call,
                        method: req.method,
                        url: req.url.to_string(),
                        params: req.params.to_pairs(),
                    });
                }
                self.schedule(
                    self.fetch_latency,
                    Input::Fetched {
                        call: req.call,
                        request: req.request,
                        result,
                    },
                );
            }
            Output::StatusCallback(cb) => {
                self.counters.status_callbacks += 1;
                if self.recording == Recording::Full {
                    self.webhooks.push(Webhook {
                        at: self.now,
                        kind: WebhookKind::StatusCallback,
                        call: cb.call,
                        method: cb.method,
                        url: cb.url.to_string(),
                        params: cb.params.to_pairs(),
                    });
                }
            }
            Output::StartLeg(leg) => {
                let default = LegScript::default();
                let script = self.legs.get(&*leg.to).unwrap_or(&default);
                let (queue, now, call) = (&mut self.queue, self.now, leg.call);
                let mut push = |delay: Duration, event| {
                    queue.push(
                        now.plus_millis(duration_ms(delay)),
                        Input::Leg { call, event },
                    );
                };
                script.each_ringing_event(&mut push);
                if let Some(answer) = script.answer_delay() {
                    script.each_answered_event(|delay, event| push(answer + delay, event));
                }
            }
            Output::AnswerLeg { call } => {
                let script = self
                    .inbound_from
                    .get(call)
                    .and_then(|from| self.legs.get(from));
                if let Some(script) = script {
                    let (queue, now, call) = (&mut self.queue, self.now, *call);
                    script.each_answered_event(|delay, event| {
                        queue.push(
                            now.plus_millis(duration_ms(delay)),
                            Input::Leg { call, event },
                        );
                    });
                }
            }
            Output::Media(media) => {
                let subject = match &media.command {
                    MediaCommand::Say { text, .. } => text.as_str(),
                    MediaCommand::Play { url, .. } => url.as_str(),
                    _ => "",
                };
                let failure = self
                    .media_failures
                    .iter()
                    .find(|(key, _, _)| !subject.is_empty() && subject.contains(key.as_str()));
                if let Some((_, code, message)) = failure {
                    let event = LegEvent::MediaFailed {
                        id: media.id,
                        code: *code,
                        message: message.clone(),
                    };
                    let (call, latency) = (media.call, self.fetch_latency);
                    self.schedule(latency, Input::Leg { call, event });
                } else if !matches!(
                    media.command,
                    MediaCommand::Say { loop_count: 0, .. }
                        | MediaCommand::Play { loop_count: 0, .. }
                ) {
                    self.schedule(
                        self.media_duration,
                        Input::Leg {
                            call: media.call,
                            event: LegEvent::MediaFinished(media.id),
                        },
                    );
                }
            }
            Output::StopMedia { id, .. } => {
                self.stopped_media.insert(*id);
            }
            Output::Bridge { .. } => self.counters.bridges += 1,
            // A recorder: finishes at once when asked, with the whole seconds since its start
            // (0 when recordings are silent).
            Output::StartRecording(req) => {
                self.recorders.insert(
                    req.recording,
                    Recorder {
                        started: self.now,
                        skip_since: None,
                        skipped_ms: 0,
                    },
                );
                if let (Some(speech), Some(timeout)) = (self.speaks_for, req.silence_timeout_secs) {
                    let secs = u32::try_from(speech.as_secs()).unwrap_or(u32::MAX);
                    self.schedule(
                        speech + Duration::from_secs(u64::from(timeout)),
                        Input::RecordingEnded {
                            recording: req.recording,
                            duration_secs: secs,
                            reason: RecordingEnd::Silence,
                            failure: None,
                        },
                    );
                }
            }
            Output::StopRecording {
                recording, reason, ..
            } => {
                let secs = match self.recorders.remove(recording) {
                    _ if self.silent_recordings => 0,
                    Some(r) => r.seconds(self.now),
                    None => 0,
                };
                self.schedule(
                    Duration::ZERO,
                    Input::RecordingEnded {
                        recording: *recording,
                        duration_secs: secs,
                        reason: *reason,
                        failure: None,
                    },
                );
            }
            // A skipped pause is not recorded; a silent one is (as silence).
            Output::PauseRecording {
                recording,
                behavior,
                ..
            } => {
                let now = self.now;
                if let Some(r) = self.recorders.get_mut(recording) {
                    r.resume(now);
                    if *behavior == PauseBehavior::Skip {
                        r.skip_since = Some(now);
                    }
                }
            }
            Output::ResumeRecording { recording, .. } => {
                let now = self.now;
                if let Some(r) = self.recorders.get_mut(recording) {
                    r.resume(now);
                }
            }
            // The engine forgets ended calls; later events for them are dropped in `feed`.
            Output::RejectLeg { .. }
            | Output::CancelLeg { .. }
            | Output::HangupLeg { .. }
            | Output::Unbridge { .. }
            | Output::Ringback { .. }
            | Output::StopRingback { .. }
            // Streams are driven by the test (`Input::Stream`), as a WebSocket would.
            | Output::StartStream(_)
            | Output::StopStream { .. }
            | Output::StreamDtmf { .. } => {}
            Output::CallUpdated(snapshot) => {
                if snapshot.status.is_terminal() {
                    self.counters.ended_calls += 1;
                    self.inbound_from.remove(&snapshot.sid);
                }
                if self.recording == Recording::Full {
                    self.calls.insert(snapshot.sid, snapshot.clone());
                }
            }
            Output::Notification(n) => {
                if self.recording == Recording::Full {
                    self.notifications.push(n.clone());
                }
            }
        }
    }

    // ----- records -----

    /// Every webhook request (fetches and status callbacks), in order.
    pub fn webhooks(&self) -> &[Webhook] {
        &self.webhooks
    }

    /// Every output with the virtual time it was drained.
    pub fn outputs(&self) -> &[(UnixMillis, Output)] {
        &self.outputs
    }

    /// Every notification, in order.
    pub fn notifications(&self) -> &[Notification] {
        &self.notifications
    }

    /// The latest snapshot of every call seen, ended ones included.
    pub fn calls(&self) -> &BTreeMap<Sid, CallSnapshot> {
        &self.calls
    }

    /// The latest status of `call`.
    pub fn status(&self, call: Sid) -> Option<CallStatus> {
        self.calls.get(&call).map(|c| c.status)
    }

    /// The children `<Dial>` created for `parent`, in creation order.
    pub fn children_of(&self, parent: Sid) -> Vec<Sid> {
        self.calls
            .values()
            .filter(|c| c.parent == Some(parent))
            .map(|c| c.sid)
            .collect()
    }

    /// Counters.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Forgets the records (not the calls): for benchmarks and long runs.
    pub fn clear_records(&mut self) {
        self.outputs.clear();
        self.webhooks.clear();
        self.notifications.clear();
        self.calls.clear();
    }

    /// True when nothing is scheduled and no timer is armed.
    pub fn is_idle(&mut self) -> bool {
        self.queue.is_empty() && self.engine.poll_timeout().is_none()
    }
}
