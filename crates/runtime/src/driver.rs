//! The engine's driver: the one task that owns the sans-IO [`Engine`].
//!
//! Shaped after quinn's `ConnectionDriver`: take one input (a command from a [`Handle`], a
//! fetch result, a leg event), feed it with the current wall-clock time, drain every output
//! and hand each to the IO that performs it, then sleep until the next engine timer or
//! simulated-media end, whichever comes first. Media commands go to playback (legs with
//! audio) or, for calls without a media leg, to the simulated media clock. This is the only place that reads the clock
//! for the engine. Outputs are dispatched without waiting for the network: fetches run as
//! their own tasks, store writes queue behind their call's earlier writes, legs are started by
//! their connector; only a full store queue makes the driver wait (backpressure).
//!
//! The driver also keeps what the engine forgets: each live call's account (outputs name only
//! the call), the REST fields of its first store row, the softphone parameters of its voice
//! request and which connector carries its leg.
//!
//! [`Handle`]: crate::Handle

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use dialtone_core::{
    CallSetup, CallSnapshot, Engine, EngineError, Handled, Input, LegEvent, Method, Output,
    RecordingCommand, RestCommand, StatusCallback,
};
use dialtone_store::{Call, CallUpdate, NewCall, NewNotification, NewOutboxItem};
use dialtone_types::{CallStatus, Sid, SidKind, UnixMillis};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::clock;
use crate::config::MediaTiming;
use crate::error::RuntimeError;
use crate::fetch;
use crate::legs::{LegConnector, LegEnd, LegEvents, LegStart};
use crate::media::MediaClock;
use crate::persist::Write;
use crate::playback::Report;
use crate::shared::Shared;
use crate::softphone::Softphones;
use crate::telemetry;

/// Inputs and commands the driver reads.
#[derive(Debug)]
pub(crate) enum Command {
    /// Start a call and answer with its stored record. Once the engine started the call the
    /// answer is always the call (the record it was created from if it cannot be read back):
    /// an error means the engine refused it and nothing was stored.
    Create {
        setup: Box<CallSetup>,
        record: Box<NewCall>,
        /// Voice SDK parameters for the voice URL.
        extra: Vec<(String, String)>,
        /// Who places the call (inbound calls), if a leg connector carries it.
        caller: Option<Caller>,
        reply: oneshot::Sender<Result<Call, RuntimeError>>,
    },
    /// A REST update of a live call; answered once its effects are stored: the call as it
    /// now is, `None` if the engine took the command but the call could not be read back.
    Rest {
        account: Sid,
        call: Sid,
        command: RestCommand,
        reply: oneshot::Sender<Result<Option<Call>, RuntimeError>>,
    },
    /// A REST recording command on a live call; answered once the engine applied it, with the
    /// recording and a receiver told when the store shows the effect (the row of a new
    /// recording, or its new status; closed without a word if nothing had to be stored).
    Recording {
        account: Sid,
        call: Sid,
        command: RecordingCommand,
        reply: oneshot::Sender<Result<(Sid, RecordingStored), RuntimeError>>,
    },
    /// A fetch result or leg event.
    Input(Input),
    /// End every live call, store it all, and stop.
    Shutdown { done: oneshot::Sender<()> },
}

/// Told the recording row once the store shows a REST recording command's effect.
pub(crate) type RecordingStored = oneshot::Receiver<Option<dialtone_store::Recording>>;

/// The far end of an inbound call.
pub(crate) enum Caller {
    /// The simulated softphone with this identity.
    Softphone(String),
    /// A call a connector received (a WhatsApp user's): `attach` learns the call's leg
    /// events before any output about the call is dispatched.
    Connector {
        connector: Arc<dyn LegConnector>,
        attach: Box<dyn FnOnce(LegEvents) + Send>,
    },
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Softphone(identity) => f.debug_tuple("Softphone").field(identity).finish(),
            Self::Connector { connector, .. } => f
                .debug_struct("Connector")
                .field("connector", connector)
                .finish_non_exhaustive(),
        }
    }
}

/// What the driver remembers about a live call.
#[derive(Debug)]
struct CallEntry {
    account: Sid,
    parent: Option<Sid>,
    /// The row exists (or its insert is queued).
    stored: bool,
    /// The REST fields of the row to insert (API and softphone calls).
    record: Option<Box<NewCall>>,
    extra: Arc<[(String, String)]>,
    connector: Option<Arc<dyn LegConnector>>,
    ended: bool,
    /// Writes about the call that must wait for its row (see `Output::Notification`).
    deferred: Vec<Write>,
    /// What the last snapshot stored.
    persisted: Option<CallUpdate>,
    /// When the driver learnt of it, for the set-up latency.
    created: std::time::Instant,
    /// It rang or was answered already (its set-up latency is recorded).
    set_up: bool,
}

impl CallEntry {
    fn new(account: Sid, parent: Option<Sid>) -> Self {
        Self {
            account,
            parent,
            stored: false,
            record: None,
            extra: Arc::new([]),
            connector: None,
            ended: false,
            deferred: Vec::new(),
            persisted: None,
            created: std::time::Instant::now(),
            set_up: false,
        }
    }
}

/// See the module docs.
pub(crate) struct Driver {
    engine: Engine,
    rx: mpsc::Receiver<Command>,
    /// What playback reports (prompts finished or failed, commands to simulate).
    played: mpsc::UnboundedReceiver<Report>,
    tx: mpsc::Sender<Command>,
    shared: Arc<Shared>,
    calls: HashMap<Sid, CallEntry>,
    media: MediaClock,
    timing: MediaTiming,
    softphones: Softphones,
    whatsapp: Arc<dyn LegConnector>,
    /// Inputs produced while dispatching (a leg refused at once), fed before sleeping.
    local: VecDeque<Input>,
    recordings: crate::recording::Recordings,
    streams: crate::stream::Streams,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("engine", &self.engine)
            .field("calls", &self.calls.len())
            .finish_non_exhaustive()
    }
}

/// Inputs read per wake-up before outputs are dispatched again.
const BATCH: usize = 64;

impl Driver {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        engine: Engine,
        rx: mpsc::Receiver<Command>,
        played: mpsc::UnboundedReceiver<Report>,
        tx: mpsc::Sender<Command>,
        shared: Arc<Shared>,
        timing: MediaTiming,
        softphones: Softphones,
        whatsapp: Arc<dyn LegConnector>,
        recordings: crate::recording::Recordings,
    ) -> Self {
        let streams = crate::stream::Streams::new(Arc::clone(&shared), tx.clone());
        Self {
            engine,
            rx,
            played,
            tx,
            shared,
            streams,
            calls: HashMap::new(),
            media: MediaClock::default(),
            timing,
            softphones,
            whatsapp,
            local: VecDeque::new(),
            recordings,
        }
    }

    /// Runs until shut down (or every handle is gone).
    pub(crate) async fn run(mut self) {
        loop {
            self.drain().await;
            let wake = self.next_wake();
            let command = tokio::select! {
                command = self.rx.recv() => command,
                Some(report) = self.played.recv() => {
                    self.report(report);
                    continue;
                }
                () = sleep_until(wake) => {
                    self.fire_timers().await;
                    continue;
                }
            };
            let Some(command) = command else {
                return;
            };
            if let Some(done) = self.handle(command).await {
                self.stop(done).await;
                return;
            }
            // Take what else is waiting, so a burst costs one drain per batch.
            for _ in 1..BATCH {
                let Ok(command) = self.rx.try_recv() else {
                    break;
                };
                if let Some(done) = self.handle(command).await {
                    self.stop(done).await;
                    return;
                }
            }
        }
    }

    /// The earlier of the next engine timer and the next media end.
    fn next_wake(&mut self) -> Option<UnixMillis> {
        match (self.engine.poll_timeout(), self.media.next_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A playback report: an input for the engine, or a command no leg came for.
    fn report(&mut self, report: Report) {
        match report {
            Report::Leg(call, event) => self.input(Input::Leg { call, event }),
            Report::Simulate(media) => {
                let length = self.timing.duration(&media.command);
                self.media.start(clock::now(), media.call, media.id, length);
            }
        }
    }

    async fn fire_timers(&mut self) {
        let now = clock::now();
        self.engine.handle_timeout(now);
        for (call, id) in self.media.finished(now) {
            self.local.push_back(Input::Leg {
                call,
                event: LegEvent::MediaFinished(id),
            });
        }
        self.drain().await;
    }

    /// Applies one command; returns the shutdown acknowledgement when asked to stop.
    async fn handle(&mut self, command: Command) -> Option<oneshot::Sender<()>> {
        match command {
            Command::Create {
                setup,
                record,
                extra,
                caller,
                reply,
            } => self.create(setup, record, extra, caller, reply).await,
            Command::Rest {
                account,
                call,
                command,
                reply,
            } => self.rest(account, call, command, reply).await,
            Command::Input(input) => {
                if let Input::RecordingEnded { recording, .. } = &input {
                    self.recordings.ended(*recording);
                }
                if let Input::Stream {
                    stream,
                    event: dialtone_core::StreamEvent::Ended(_),
                } = &input
                {
                    self.streams.ended(*stream);
                }
                self.input(input);
            }
            Command::Recording {
                account,
                call,
                command,
                reply,
            } => self.recording(account, call, command, reply).await,
            Command::Shutdown { done } => return Some(done),
        }
        None
    }

    fn input(&mut self, input: Input) {
        let now = clock::now();
        match self.engine.handle_input(now, input) {
            Ok(Handled::Stale) => tracing::trace!("stale input absorbed"),
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "input refused"),
        }
    }

    async fn create(
        &mut self,
        setup: Box<CallSetup>,
        mut record: Box<NewCall>,
        extra: Vec<(String, String)>,
        caller: Option<Caller>,
        reply: oneshot::Sender<Result<Call, RuntimeError>>,
    ) {
        let account = setup.account;
        let sid = match self
            .engine
            .handle_input(clock::now(), Input::StartCall(setup))
        {
            Ok(Handled::Started(sid)) => sid,
            Ok(other) => {
                tracing::error!(?other, "the engine did not start the call");
                let _ = reply.send(Err(RuntimeError::internal("the call could not start")));
                return;
            }
            Err(EngineError::QueueFull { queue, retry_at }) => {
                telemetry::cps_rejection();
                let wait = clock::until(clock::now(), retry_at);
                let _ = reply.send(Err(RuntimeError::queue_full(
                    format!(
                        "Too Many Requests: the account's {queue} queued calls wait for their calls-per-second turn"
                    ),
                    wait,
                )));
                return;
            }
            Err(e) => {
                let _ = reply.send(Err(e.into()));
                return;
            }
        };
        record.sid = sid;
        // From here on the call exists and rings: whatever happens to its row, the caller is
        // answered with the call, never an error it would retry.
        let fallback = record.as_inserted(account, clock::now());
        let mut entry = CallEntry::new(account, None);
        entry.record = Some(record);
        entry.extra = extra.into();
        match caller {
            Some(Caller::Softphone(identity)) => {
                let phones: Arc<dyn LegConnector> = Arc::new(self.softphones.clone());
                self.softphones.attach_caller(
                    account,
                    &identity,
                    LegEvents::new(sid, self.tx.clone()),
                );
                entry.connector = Some(phones);
            }
            Some(Caller::Connector { connector, attach }) => {
                attach(LegEvents::new(sid, self.tx.clone()));
                entry.connector = Some(connector);
            }
            None => {}
        }
        self.calls.insert(sid, entry);
        self.drain().await;
        let stored = self.after_writes(account, sid).await;
        tokio::spawn(async move {
            let call = match stored.await {
                Ok(Ok(call)) => call,
                Ok(Err(e)) => {
                    tracing::error!(call = %sid, error = %e, "a started call cannot be read back; answering with its record");
                    fallback
                }
                Err(_) => {
                    tracing::warn!(call = %sid, "store writer stopped; answering a started call with its record");
                    fallback
                }
            };
            let _ = reply.send(Ok(call));
        });
    }

    async fn rest(
        &mut self,
        account: Sid,
        call: Sid,
        command: RestCommand,
        reply: oneshot::Sender<Result<Option<Call>, RuntimeError>>,
    ) {
        let known = self.calls.get(&call).is_some_and(|c| c.account == account);
        let result = if known {
            self.engine
                .handle_input(clock::now(), Input::Rest { call, command })
        } else {
            Err(EngineError::UnknownCall(call))
        };
        match result {
            Ok(_) => {
                self.drain().await;
                let stored = self.after_writes(account, call).await;
                tokio::spawn(async move {
                    let call = match stored.await {
                        Ok(Ok(stored)) => Some(stored),
                        Ok(Err(e)) => {
                            tracing::error!(%call, error = %e, "an updated call cannot be read back");
                            None
                        }
                        Err(_) => None,
                    };
                    let _ = reply.send(Ok(call));
                });
            }
            Err(EngineError::UnknownCall(_)) => {
                let _ = reply.send(Err(RuntimeError::invalid_state(format!(
                    "Call {call} is not in progress: it cannot be modified"
                ))));
            }
            Err(e) => {
                let _ = reply.send(Err(e.into()));
            }
        }
    }

    async fn recording(
        &mut self,
        account: Sid,
        call: Sid,
        command: RecordingCommand,
        reply: oneshot::Sender<Result<(Sid, RecordingStored), RuntimeError>>,
    ) {
        let known = self.calls.get(&call).is_some_and(|c| c.account == account);
        let result = if known {
            self.engine
                .handle_input(clock::now(), Input::Recording { call, command })
        } else {
            Err(EngineError::UnknownCall(call))
        };
        match result {
            Ok(Handled::Recording(recording)) => {
                let (ack, stored) = oneshot::channel();
                self.recordings.expect(recording, ack);
                self.drain().await;
                self.recordings.forget_ack(recording);
                let _ = reply.send(Ok((recording, stored)));
            }
            Ok(other) => {
                tracing::error!(?other, "the engine did not apply the recording command");
                self.drain().await;
                let _ = reply.send(Err(RuntimeError::internal(
                    "the recording command was not applied",
                )));
            }
            Err(EngineError::UnknownCall(_)) => {
                let _ = reply.send(Err(RuntimeError::invalid_state(format!(
                    "Call {call} is not in-progress: it cannot be recorded"
                ))));
            }
            Err(e) => {
                let _ = reply.send(Err(e.into()));
            }
        }
    }

    /// The stored call, read once every write queued so far for it landed.
    async fn after_writes(
        &mut self,
        account: Sid,
        call: Sid,
    ) -> oneshot::Receiver<Result<Call, dialtone_store::StoreError>> {
        let (tx, rx) = oneshot::channel();
        self.shared
            .persister
            .send(Write::Fetch {
                account,
                call,
                reply: tx,
            })
            .await;
        rx
    }

    /// Feeds local inputs and dispatches outputs until the engine has nothing more to say.
    async fn drain(&mut self) {
        loop {
            let mut outputs = Vec::new();
            while let Some(output) = self.engine.poll_output() {
                outputs.push(output);
            }
            if outputs.is_empty() {
                match self.local.pop_front() {
                    Some(input) => {
                        self.input(input);
                        continue;
                    }
                    None => break,
                }
            }
            self.dispatch(outputs).await;
        }
        // An ended call's entry stays while one of its recordings is being finished: the
        // recording's callbacks and a `<Record>`'s `action` still go out for it.
        let recordings = &self.recordings;
        self.calls
            .retain(|sid, c| !c.ended || recordings.finishing(*sid));
        telemetry::calls_now(self.engine.live_calls(), self.engine.queued_calls());
    }

    async fn dispatch(&mut self, outputs: Vec<Output>) {
        let now = clock::now();
        let mut outputs = outputs.into_iter().peekable();
        while let Some(output) = outputs.next() {
            match output {
                Output::CallUpdated(snapshot) => {
                    // The callbacks this status change owes are stored with it.
                    let mut callbacks = Vec::new();
                    while let Some(Output::StatusCallback(cb)) = outputs.peek() {
                        if cb.call != snapshot.sid {
                            break;
                        }
                        if let Some(Output::StatusCallback(cb)) = outputs.next() {
                            callbacks.push(self.outbox_item(&cb));
                        }
                    }
                    self.persist_snapshot(&snapshot, callbacks, now).await;
                }
                Output::StatusCallback(cb) => {
                    // A recording's callbacks may come after its call ended and was
                    // forgotten here: their `AccountSid` names the account.
                    let account = self.calls.get(&cb.call).map(|c| c.account).or_else(|| {
                        cb.params
                            .text("AccountSid")
                            .and_then(|a| Sid::parse_kind(&a, SidKind::Account).ok())
                    });
                    let Some(account) = account else {
                        tracing::debug!(call = %cb.call, "callback for an unknown call dropped");
                        continue;
                    };
                    let item = self.outbox_item(&cb);
                    self.shared
                        .persister
                        .send(Write::Enqueue {
                            account,
                            callbacks: vec![item],
                            now,
                        })
                        .await;
                }
                Output::Notification(n) => {
                    let Some(account) = self.account(n.call) else {
                        continue;
                    };
                    let notification = NewNotification {
                        sid: self.shared.ids.sid(SidKind::Notification),
                        error_code: n.code,
                        level: n.level,
                        message_text: n.message,
                        request_url: n.url.map(|u| u.as_str().to_owned()),
                        request_method: n.method.map(|m| m.as_str().to_owned()),
                        response_body: None,
                    };
                    let write = Write::Notify {
                        account,
                        call: n.call,
                        notification: Box::new(notification),
                        now,
                    };
                    match self.calls.get_mut(&n.call) {
                        // A warning about inline TwiML comes before the call's first
                        // snapshot: it is stored right after the call's row.
                        Some(entry) if !entry.stored => entry.deferred.push(write),
                        _ => self.shared.persister.send(write).await,
                    }
                }
                Output::Fetch(request) => {
                    let Some(entry) = self.calls.get_mut(&request.call) else {
                        tracing::debug!(call = %request.call, "fetch for an unknown call dropped");
                        continue;
                    };
                    // The request waits until the call's row (and every change before this
                    // webhook) is stored: applications read the call back while handling it.
                    let (ack, landed) = oneshot::channel();
                    let write = Write::Landed {
                        call: request.call,
                        ack,
                    };
                    let (account, extra) = (entry.account, Arc::clone(&entry.extra));
                    if entry.stored {
                        self.shared.persister.send(write).await;
                    } else {
                        entry.deferred.push(write);
                    }
                    fetch::spawn(
                        Arc::clone(&self.shared),
                        account,
                        request,
                        extra,
                        landed,
                        self.tx.clone(),
                    );
                }
                Output::StartLeg(leg) => self.start_leg(leg),
                Output::AnswerLeg { call } => {
                    if let Some(c) = self.connector(call) {
                        c.answer_leg(call);
                    }
                }
                Output::RejectLeg { call, reason } => {
                    if let Some(c) = self.connector(call) {
                        c.end_leg(call, LegEnd::Reject(reason));
                    }
                }
                Output::CancelLeg { call } => {
                    if let Some(c) = self.connector(call) {
                        c.end_leg(call, LegEnd::Cancel);
                    }
                }
                Output::HangupLeg { call } => {
                    if let Some(c) = self.connector(call) {
                        c.end_leg(call, LegEnd::Hangup);
                    }
                }
                Output::Bridge { parent, child } => {
                    // The parent hears the child, never ringback over it.
                    self.shared.playback.stop_ringback(parent);
                    self.shared.audio.bridge(parent, child);
                    self.recordings.bridged(parent, child);
                    if let Some(c) = self.connector(child) {
                        c.bridge(parent, child);
                    }
                }
                Output::Unbridge { parent, child } => {
                    self.shared.audio.unbridge(parent, child);
                    if let Some(c) = self.connector(child) {
                        c.unbridge(parent, child);
                    }
                }
                Output::StartRecording(request) => self.recordings.start(request),
                Output::StopRecording {
                    recording, reason, ..
                } => self.recordings.stop(recording, reason),
                Output::PauseRecording {
                    recording,
                    behavior,
                    ..
                } => self.recordings.pause(recording, behavior),
                Output::ResumeRecording { recording, .. } => self.recordings.resume(recording),
                Output::StartStream(request) => self.streams.start(request),
                Output::StopStream { stream, .. } => self.streams.stop(stream),
                Output::StreamDtmf { stream, digits, .. } => self.streams.dtmf(stream, digits),
                // Only a call that has (or will have) a media leg hears it.
                Output::Ringback { call, tone } => {
                    if self.carries_media(call) {
                        self.shared.playback.ringback(call, tone);
                    }
                }
                Output::StopRingback { call } => self.shared.playback.stop_ringback(call),
                Output::Media(media) => {
                    let carries = self.carries_media(media.call);
                    if let Some(media) = self.shared.playback.media(media, carries) {
                        let length = self.timing.duration(&media.command);
                        self.media.start(now, media.call, media.id, length);
                    }
                }
                Output::StopMedia { call, id } => {
                    self.shared.playback.stop(call, id);
                    self.media.stop(call, id);
                }
            }
        }
    }

    fn account(&self, call: Sid) -> Option<Sid> {
        let account = self.calls.get(&call).map(|c| c.account);
        if account.is_none() {
            tracing::debug!(%call, "output for an unknown call dropped");
        }
        account
    }

    fn carries_media(&self, call: Sid) -> bool {
        self.calls
            .get(&call)
            .and_then(|c| c.connector.as_ref())
            .is_some_and(|c| c.carries_media())
    }

    fn connector(&self, call: Sid) -> Option<Arc<dyn LegConnector>> {
        self.calls.get(&call).and_then(|c| c.connector.clone())
    }

    fn start_leg(&mut self, leg: dialtone_core::StartLeg) {
        let Some(entry) = self.calls.get_mut(&leg.call) else {
            tracing::debug!(call = %leg.call, "leg for an unknown call dropped");
            return;
        };
        let connector: Arc<dyn LegConnector> = if leg.to.starts_with("whatsapp:") {
            Arc::clone(&self.whatsapp)
        } else {
            Arc::new(self.softphones.clone())
        };
        entry.connector = Some(Arc::clone(&connector));
        let start = LegStart {
            call: leg.call,
            account: entry.account,
            parent: leg.parent,
            from: leg.from,
            to: leg.to,
            parameters: leg.parameters,
        };
        connector.start_leg(start, LegEvents::new(leg.call, self.tx.clone()));
    }

    fn outbox_item(&self, cb: &StatusCallback) -> NewOutboxItem {
        NewOutboxItem {
            call_sid: cb.call,
            url: cb.url.as_str().to_owned(),
            method: cb.method.as_str().to_owned(),
            params: cb.params.to_pairs(),
            idempotency_token: self.shared.ids.token(),
        }
    }

    async fn persist_snapshot(
        &mut self,
        snapshot: &CallSnapshot,
        callbacks: Vec<NewOutboxItem>,
        now: UnixMillis,
    ) {
        let entry = self
            .calls
            .entry(snapshot.sid)
            .or_insert_with(|| CallEntry::new(snapshot.account, snapshot.parent));
        let status = stored_status(snapshot.status);
        let update = CallUpdate {
            status: Some(status),
            start_time: snapshot.start_time,
            end_time: snapshot.end_time,
            duration: snapshot
                .duration
                .map(|d| u32::try_from(d).unwrap_or(u32::MAX)),
            ..CallUpdate::default()
        };
        let account = entry.account;
        // `initiated` is stored as `queued`: a snapshot that changes nothing stored and owes
        // no callback costs no write.
        if entry.stored && callbacks.is_empty() && entry.persisted.as_ref() == Some(&update) {
            return;
        }
        entry.persisted = Some(update.clone());
        let write = if entry.stored {
            Write::Update {
                account,
                call: snapshot.sid,
                update,
                callbacks,
                now,
            }
        } else {
            entry.stored = true;
            let mut record = entry
                .record
                .take()
                .unwrap_or_else(|| child_record(snapshot));
            record.status = status;
            let extra = CallUpdate {
                status: None,
                ..update
            };
            Write::Insert {
                account,
                call: record,
                update: (extra != CallUpdate::default()).then_some(extra),
                callbacks,
                now,
            }
        };
        if !entry.set_up
            && matches!(
                snapshot.status,
                CallStatus::Ringing | CallStatus::InProgress
            )
        {
            entry.set_up = true;
            telemetry::call_set_up(snapshot.direction, entry.created.elapsed());
        }
        if snapshot.status.is_terminal() && !entry.ended {
            telemetry::call_ended(snapshot.status, snapshot.direction);
        }
        if snapshot.status.is_terminal() {
            entry.ended = true;
            self.media.forget(snapshot.sid);
            self.shared.playback.forget(snapshot.sid);
            if let Some(connector) = entry.connector.take() {
                connector.release(snapshot.sid);
            }
        }
        let deferred = std::mem::take(&mut entry.deferred);
        self.shared.persister.send(write).await;
        for write in deferred {
            self.shared.persister.send(write).await;
        }
    }

    /// Ends every live call (parents first; their children follow), stores the results,
    /// then acknowledges.
    async fn stop(&mut self, done: oneshot::Sender<()>) {
        let mut live: Vec<(bool, Sid)> = self
            .calls
            .iter()
            .filter(|(_, c)| !c.ended)
            .map(|(sid, c)| (c.parent.is_some(), *sid))
            .collect();
        live.sort();
        tracing::info!(calls = live.len(), "ending live calls for shutdown");
        for (_, call) in live {
            let now = clock::now();
            if let Err(e) = self.engine.handle_input(
                now,
                Input::Rest {
                    call,
                    command: RestCommand::Complete,
                },
            ) {
                tracing::trace!(%call, error = %e, "already ended");
            }
            self.drain().await;
        }
        let _ = done.send(());
    }
}

/// The store shows `initiated` (a callback-only status) as `queued`.
fn stored_status(status: CallStatus) -> CallStatus {
    if status == CallStatus::Initiated {
        CallStatus::Queued
    } else {
        status
    }
}

/// The row of a `<Dial>` child, which has no REST fields of its own: only its noun's status
/// callback subscription, so that a restart can still send the `completed` callback it owes.
fn child_record(s: &CallSnapshot) -> Box<NewCall> {
    let callback = s.status_callback.as_ref();
    Box::new(NewCall {
        sid: s.sid,
        parent_call_sid: s.parent,
        to: s.to.to_string(),
        from: s.from.to_string(),
        status: stored_status(s.status),
        direction: s.direction,
        application_sid: None,
        url: None,
        method: "POST".to_owned(),
        twiml: None,
        fallback_url: None,
        fallback_method: "POST".to_owned(),
        status_callback: callback.map(|c| c.url.as_str().to_owned()),
        status_callback_method: callback
            .map_or(Method::Post, |c| c.method)
            .as_str()
            .to_owned(),
        status_callback_events: callback
            .map(|c| {
                c.events
                    .to_attribute()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        timeout: 0,
        time_limit: None,
        caller_name: None,
        forwarded_from: None,
    })
}

/// Sleeps until `at` on the wall clock (forever when `None`).
async fn sleep_until(at: Option<UnixMillis>) {
    match at {
        Some(at) => {
            let wait = clock::until(clock::now(), at);
            tokio::time::sleep_until(Instant::now() + wait).await;
        }
        None => std::future::pending().await,
    }
}
