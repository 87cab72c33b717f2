//! Recordings (`<Record>`, `<Dial record>`): the engine's `StartRecording` / `StopRecording`
//! become a task per recording that taps the calls' legs, decodes what they receive and feeds
//! a [`Recorder`] on a 20 ms cadence, then answers `Input::RecordingEnded`.
//!
//! - Channel 1 is the parent (`call`), channel 2 the child (added at the `Bridge`) or, for a
//!   whole-call recording (REST, `Record=true`), what the call's leg sends; a mono recording
//!   mixes the two. `RecordingTrack` `inbound`/`outbound` record one track, mono (see
//!   [`plan`]). A leg with nothing received that tick gives silence,
//!   so a call without media (a simulated softphone) records silence until it is stopped.
//! - The store row is inserted at the start (`in-progress`) and finished at the end
//!   (`completed` with the duration, or `absent`).
//! - An I/O error (disk full) ends the capture: what was written is finished and
//!   `RecordingEnded` is sent all the same, so the engine never waits forever.
//! - A leg has one tap slot for what it receives and one for what it sends: the recording
//!   takes them and gives them back (`None`) at the end.
//! - A call that ends while its recording is being finished keeps its driver entry until
//!   `RecordingEnded`: the recording callbacks and `<Record>`'s `action` still go out.
//! - REST control (`PauseRecording`, `ResumeRecording`, `StopRecording` with `Stopped`): the
//!   task pauses its [`Recorder`] (skip or silence) and stores `paused`, `in-progress` or
//!   `stopped`; the driver can ask to hear when the store write for a command landed
//!   ([`Recordings::expect`]), so the REST answer shows the new status.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use dialtone_core::{Input, PauseBehavior, RecordingEnd, RecordingRequest, RecordingSource};
use dialtone_media::audio::{
    Frame, OpusDecoder, PauseMode, Recorder, RecorderConfig, RecorderEvent, beep,
};
use dialtone_media::{Encoded, LegControl, PayloadSink};
use dialtone_store::{
    NewRecording, Recording as StoredRecording, RecordingFinish, RecordingStatus, RecordingStore,
};
use dialtone_twiml::{RecordingTrack, Trim};
use dialtone_types::Sid;
use tokio::sync::{mpsc, oneshot};

use crate::driver::Command;
use crate::ids::Ids;
use crate::shared::Shared;

/// Payloads a tap keeps for the recording task before dropping the oldest.
const TAP_DEPTH: usize = 16;

/// The received payloads of one leg, filled on the leg's tick, read by the recording task.
#[derive(Debug, Clone, Default)]
struct TapQueue(Arc<Mutex<VecDeque<Vec<u8>>>>);

impl TapQueue {
    fn pop(&self) -> Option<Vec<u8>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }
}

impl PayloadSink for TapQueue {
    fn payload(&mut self, payload: &[u8]) {
        let mut q = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if q.len() >= TAP_DEPTH {
            q.pop_front();
        }
        q.push_back(payload.to_vec());
    }
}

/// Told once the store shows a command's effect: the row as then stored (`None` if the write
/// failed).
type Ack = Option<oneshot::Sender<Option<StoredRecording>>>;

/// What the driver tells a recording task.
#[derive(Debug)]
enum Control {
    Stop(RecordingEnd, Ack),
    Pause(PauseMode, Ack),
    Resume(Ack),
    /// The child's leg (`<Dial record>`), or the parent's when it attaches late.
    Leg(usize, LegControl),
}

/// The recordings in progress, owned by the driver.
#[derive(Debug)]
pub(crate) struct Recordings {
    shared: Arc<Shared>,
    store: Option<Arc<dyn RecordingStore>>,
    tx: mpsc::Sender<Command>,
    runs: HashMap<Sid, Run>,
    /// Every recording started and not yet answered by `RecordingEnded`, and its call: the
    /// driver keeps an ended call's entry until its recordings are finished.
    unfinished: HashMap<Sid, Sid>,
    /// Acknowledgements for the next command about a recording (see [`Recordings::expect`]).
    acks: HashMap<Sid, oneshot::Sender<Option<StoredRecording>>>,
}

#[derive(Debug)]
struct Run {
    call: Sid,
    child: Option<Sid>,
    control: mpsc::UnboundedSender<Control>,
}

impl Recordings {
    pub(crate) fn new(
        shared: Arc<Shared>,
        store: Option<Arc<dyn RecordingStore>>,
        tx: mpsc::Sender<Command>,
    ) -> Self {
        Self {
            shared,
            store,
            tx,
            runs: HashMap::new(),
            unfinished: HashMap::new(),
            acks: HashMap::new(),
        }
    }

    /// `ack` is told once the store shows the next command about `recording` (its row, or
    /// its new status); dropped by [`Recordings::forget_ack`] when no command came.
    pub(crate) fn expect(&mut self, recording: Sid, ack: oneshot::Sender<Option<StoredRecording>>) {
        self.acks.insert(recording, ack);
    }

    /// Drops an acknowledgement no command took.
    pub(crate) fn forget_ack(&mut self, recording: Sid) {
        self.acks.remove(&recording);
    }

    /// `PauseRecording`.
    pub(crate) fn pause(&mut self, recording: Sid, behavior: PauseBehavior) {
        let mode = match behavior {
            PauseBehavior::Skip => PauseMode::Skip,
            PauseBehavior::Silence => PauseMode::Silence,
        };
        let ack = self.acks.remove(&recording);
        if let Some(run) = self.runs.get(&recording) {
            let _ = run.control.send(Control::Pause(mode, ack));
        }
    }

    /// `ResumeRecording`.
    pub(crate) fn resume(&mut self, recording: Sid) {
        let ack = self.acks.remove(&recording);
        if let Some(run) = self.runs.get(&recording) {
            let _ = run.control.send(Control::Resume(ack));
        }
    }

    /// `StartRecording`.
    pub(crate) fn start(&mut self, request: RecordingRequest) {
        let (control, rx) = mpsc::unbounded_channel();
        self.unfinished.insert(request.recording, request.call);
        let legs = plan(&request).map(|slot| slot.leg(&self.shared, &request).map(|l| (slot, l)));
        self.runs.insert(
            request.recording,
            Run {
                call: request.call,
                child: request.child,
                control,
            },
        );
        let path = self.store.as_ref().and_then(|s| {
            let name = s.name_for(request.account, request.recording);
            s.local_path(&name).map(|p| (name, p))
        });
        let ack = self.acks.remove(&request.recording);
        tokio::spawn(capture(
            Arc::clone(&self.shared),
            self.tx.clone(),
            request,
            self.store.clone(),
            path,
            legs,
            (rx, ack),
        ));
    }

    /// `StopRecording`.
    pub(crate) fn stop(&mut self, recording: Sid, reason: RecordingEnd) {
        let ack = self.acks.remove(&recording);
        if let Some(run) = self.runs.remove(&recording) {
            let _ = run.control.send(Control::Stop(reason, ack));
        } else {
            // Already ended on its own (silence, error): its RecordingEnded was sent.
            tracing::debug!(%recording, "stop of a recording not running");
        }
    }

    /// `RecordingEnded` of `recording` reached the driver.
    pub(crate) fn ended(&mut self, recording: Sid) {
        self.unfinished.remove(&recording);
    }

    /// Whether a recording of `call` is not finished yet.
    pub(crate) fn finishing(&self, call: Sid) -> bool {
        self.unfinished.values().any(|c| *c == call)
    }

    /// `Bridge`: a dial recording started at ringing gets its child now.
    pub(crate) fn bridged(&mut self, parent: Sid, child: Sid) {
        let Some(leg) = self.shared.audio.leg(child) else {
            return;
        };
        for run in self.runs.values_mut() {
            if run.call == parent && run.child.is_none_or(|c| c == child) {
                run.child = Some(child);
                let _ = run.control.send(Control::Leg(1, leg.clone()));
            }
        }
    }
}

/// What feeds one of a recording's two slots (channel 1 and 2, mixed when mono).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// What the call's party sends (its inbound track).
    CallIn,
    /// What the call's leg sends to its party (its outbound track).
    CallOut,
    /// What the party bridged to the call sends (`child` of the request).
    ChildIn,
    /// Silence.
    Nothing,
}

impl Slot {
    /// The leg this slot taps, once it is attached.
    fn leg(self, shared: &Shared, request: &RecordingRequest) -> Option<LegControl> {
        match self {
            Self::CallIn | Self::CallOut => shared.audio.leg(request.call),
            Self::ChildIn => request.child.and_then(|c| shared.audio.leg(c)),
            Self::Nothing => None,
        }
    }
}

/// The slots of a recording, by `RecordingTrack`: `inbound` records the call's party only,
/// `outbound` only what is sent to it (the bridged party, prompts, ringback), both mono. For
/// `both`, `<Record>` and `<Dial record>` record the call and the bridged party's legs
/// (channel 2 the child, as Twilio lays out a dial); a recording of the whole call (REST,
/// `Record=true`) records its inbound and outbound tracks, so channel 2 carries its prompts
/// as well as the party bridged to it.
fn plan(request: &RecordingRequest) -> [Slot; 2] {
    match (request.track, request.source) {
        (RecordingTrack::Inbound, _) => [Slot::CallIn, Slot::Nothing],
        (RecordingTrack::Outbound, _) => [Slot::CallOut, Slot::Nothing],
        (
            RecordingTrack::Both,
            RecordingSource::StartCallRecordingApi | RecordingSource::OutboundApi,
        ) => [Slot::CallIn, Slot::CallOut],
        (RecordingTrack::Both, RecordingSource::RecordVerb | RecordingSource::DialVerb) => {
            [Slot::CallIn, Slot::ChildIn]
        }
    }
}

/// One leg feeding a recording: what it receives, or what it sends (`sent`).
struct Source {
    leg: LegControl,
    sent: bool,
    queue: TapQueue,
    decoder: Option<OpusDecoder>,
}

impl Source {
    fn new(leg: LegControl, sent: bool) -> Self {
        let queue = TapQueue::default();
        let sink: Box<dyn PayloadSink> = Box::new(queue.clone());
        if sent {
            leg.sent_tap(Some(sink));
        } else {
            leg.tap(Some(sink));
        }
        Self {
            leg,
            sent,
            queue,
            decoder: OpusDecoder::new().ok(),
        }
    }

    /// This tick's frame: the oldest payload decoded (concealed on error), or silence.
    fn frame(&mut self) -> Frame {
        let Some(payload) = self.queue.pop() else {
            return Frame::SILENCE;
        };
        let Some(decoder) = self.decoder.as_mut() else {
            return Frame::SILENCE;
        };
        decoder
            .decode(&payload)
            .unwrap_or_else(|_| decoder.conceal())
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        if self.sent {
            self.leg.sent_tap(None);
        } else {
            self.leg.tap(None);
        }
    }
}

async fn capture(
    shared: Arc<Shared>,
    tx: mpsc::Sender<Command>,
    request: RecordingRequest,
    store: Option<Arc<dyn RecordingStore>>,
    path: Option<(String, PathBuf)>,
    legs: [Option<(Slot, LegControl)>; 2],
    (mut control, started): (mpsc::UnboundedReceiver<Control>, Ack),
) {
    let recording = request.recording;
    let channels = u16::from(request.channels.clamp(1, 2));
    let new = NewRecording {
        sid: recording,
        call_sid: request.call,
        source: request.source.as_str().to_owned(),
        channels: request.channels,
        track: request.track.as_str().to_owned(),
        start_time: request.started,
        callback: request
            .callback
            .as_ref()
            .map(|c| dialtone_store::RecordingCallbackTarget {
                url: c.url.as_str().to_owned(),
                method: c.method.as_str().to_owned(),
                events: c.events.to_attribute(),
            }),
    };
    let row = shared
        .store
        .insert_recording(request.account, &new, crate::clock::now())
        .await
        .map_err(|e| tracing::warn!(%recording, error = %e, "recording row not stored"))
        .ok();
    if let Some(ack) = started {
        let _ = ack.send(row);
    }
    let mut config = RecorderConfig::new(channels);
    config.trim_silence = request.trim == Trim::TrimSilence;
    config.silence_timeout = request
        .silence_timeout_secs
        .map(|s| Duration::from_secs(u64::from(s)));
    // Why the file could not be written (disk full...), once it could not.
    let mut failure: Option<String> = None;
    let mut recorder = match path.as_ref() {
        Some((_, p)) => match Recorder::create(p, config) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::error!(%recording, error = %e, "recording file not created");
                failure = Some(e.to_string());
                None
            }
        },
        None => None,
    };
    let (ticks, reason) = if failure.is_some() {
        // Nothing can be recorded: end at once, the call goes on.
        (0, RecordingEnd::Failed)
    } else {
        let legs = legs.map(|l| l.map(|(slot, leg)| Source::new(leg, slot == Slot::CallOut)));
        record(
            &shared,
            &request,
            legs,
            recorder.as_mut(),
            &mut control,
            &mut failure,
        )
        .await
    };
    let duration_secs = match recorder.map(Recorder::finish) {
        Some(Ok(done)) => done.duration_secs(),
        Some(Err(e)) => {
            tracing::error!(%recording, error = %e, "recording not finished cleanly");
            failure.get_or_insert_with(|| e.to_string());
            path.as_ref()
                .and_then(|(_, p)| dialtone_media::audio::repair(p).ok())
                .map_or(0, |d| d.duration_secs())
        }
        // The file could not be created: nothing recorded.
        None if path.is_some() => 0,
        // No file store: the length of what was captured.
        None => u32::try_from((ticks + 25) / 50).unwrap_or(u32::MAX),
    };
    // The file is complete: the store makes it durable (an object store uploads it) before
    // the recording is reported completed.
    if duration_secs > 0
        && let (Some(files), Some((name, _))) = (store.as_deref(), path.as_ref())
        && let Err(e) = files.finished(name).await
    {
        tracing::error!(%recording, error = %e, "recording media not stored");
    }
    let finish = if duration_secs > 0 {
        RecordingFinish {
            status: RecordingStatus::Completed,
            duration: Some(duration_secs),
            error_code: None,
            media: path.map(|(name, _)| name),
        }
    } else {
        RecordingFinish {
            status: RecordingStatus::Absent,
            duration: Some(0),
            error_code: Some(if failure.is_some() { 12400 } else { 16101 }),
            media: None,
        }
    };
    if let Err(e) = shared
        .store
        .finish_recording(request.account, recording, &finish, crate::clock::now())
        .await
    {
        tracing::warn!(%recording, error = %e, "recording row not finished");
    }
    let _ = tx
        .send(Command::Input(Input::RecordingEnded {
            recording,
            duration_secs,
            reason,
            failure,
        }))
        .await;
}

/// Stores a REST command's new status and answers its acknowledgement with the row.
async fn set_status(
    shared: &Shared,
    account: Sid,
    recording: Sid,
    status: RecordingStatus,
    ack: Ack,
) {
    let row = shared
        .store
        .set_recording_status(account, recording, status, crate::clock::now())
        .await
        .map_err(|e| tracing::warn!(%recording, error = %e, "recording status not stored"))
        .ok();
    if let Some(ack) = ack {
        let _ = ack.send(row);
    }
}

/// Feeds `recorder` from the legs every 20 ms until the engine stops the recording, silence
/// times it out or a write fails (`failure`); returns the ticks run and why it ended.
async fn record(
    shared: &Shared,
    request: &RecordingRequest,
    mut sources: [Option<Source>; 2],
    mut recorder: Option<&mut Recorder>,
    control: &mut mpsc::UnboundedReceiver<Control>,
    failure: &mut Option<String>,
) -> (u64, RecordingEnd) {
    let recording = request.recording;
    let channels = u16::from(request.channels.clamp(1, 2));
    let plan = plan(request);
    if request.beep
        && let Some(source) = &sources[0]
        && let Ok(clip) = Encoded::new(beep())
    {
        source.leg.play(Box::new(clip));
    }
    let mut ticks: u64 = 0;
    let mut paused: Option<PauseMode> = None;
    let mut interval = tokio::time::interval(Duration::from_millis(20));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let reason = loop {
        tokio::select! {
            c = control.recv() => match c {
                Some(Control::Stop(reason, ack)) => {
                    if reason == RecordingEnd::Stopped {
                        set_status(shared, request.account, recording, RecordingStatus::Stopped, ack).await;
                    }
                    break reason;
                }
                Some(Control::Pause(mode, ack)) => {
                    paused = Some(mode);
                    if let Some(r) = recorder.as_mut() {
                        r.pause(mode);
                    }
                    set_status(shared, request.account, recording, RecordingStatus::Paused, ack).await;
                }
                Some(Control::Resume(ack)) => {
                    paused = None;
                    if let Some(r) = recorder.as_mut() {
                        r.unpause();
                    }
                    set_status(shared, request.account, recording, RecordingStatus::InProgress, ack).await;
                }
                Some(Control::Leg(i, leg)) => {
                    // Only a slot that records the bridged party takes the child's leg.
                    if plan.get(i) == Some(&Slot::ChildIn)
                        && let Some(slot) = sources.get_mut(i)
                    {
                        *slot = Some(Source::new(leg, false));
                    }
                }
                None => break RecordingEnd::Hangup,
            },
            _ = interval.tick() => {
                if paused != Some(PauseMode::Skip) {
                    ticks += 1;
                }
                // A leg that connects after the start (a user's call is answered before
                // its media is up) joins when it is attached.
                for (source, slot) in sources.iter_mut().zip(plan) {
                    if source.is_none()
                        && let Some(leg) = slot.leg(shared, request)
                    {
                        *source = Some(Source::new(leg, slot == Slot::CallOut));
                    }
                }
                let a = sources[0].as_mut().map_or(Frame::SILENCE, Source::frame);
                let b = sources[1].as_mut().map_or(Frame::SILENCE, Source::frame);
                let frames = if channels == 2 {
                    vec![a, b]
                } else {
                    let mut m = a;
                    m.mix(&b);
                    vec![m]
                };
                if let Some(r) = recorder.as_deref_mut() {
                    match r.push(&frames) {
                        Ok(Some(RecorderEvent::SilenceTimeout)) => break RecordingEnd::Silence,
                        Ok(None) => {}
                        Err(e) => {
                            tracing::error!(%recording, error = %e, "recording stopped: write failed");
                            *failure = Some(e.to_string());
                            break RecordingEnd::Failed;
                        }
                    }
                }
            }
        }
    };
    drop(sources);
    (ticks, reason)
}

/// At start: recordings a stopped process left `in-progress` keep what their file holds
/// (repaired) and are completed with that duration, or `absent` when empty; the `completed`
/// (or `absent`) callback each owes is enqueued with the finished row's facts (`RecordingUrl`
/// under `api_base_url`).
pub(crate) async fn recover(
    store: &dialtone_store::Store,
    ids: &Ids,
    files: Option<&dyn RecordingStore>,
    api_base_url: &str,
) {
    let left = match store.recordings_in_progress().await {
        Ok(left) => left,
        Err(e) => {
            tracing::warn!(error = %e, "recordings in progress not read");
            return;
        }
    };
    if !left.is_empty() {
        tracing::info!(
            recordings = left.len(),
            "finishing recordings left in progress by the previous process"
        );
    }
    for rec in left {
        let name = files.map(|f| f.name_for(rec.account_sid, rec.sid));
        let repaired = name
            .as_deref()
            .and_then(|n| files.and_then(|f| f.local_path(n)))
            .and_then(|p| dialtone_media::audio::repair(&p).ok());
        let mut secs = repaired
            .as_ref()
            .map_or(0, dialtone_media::audio::Recorded::duration_secs);
        if let (Some(f), Some(n)) = (files, name.as_deref()) {
            if secs > 0 {
                // Repaired: stored like any finished recording (an object store uploads it).
                if let Err(e) = f.finished(n).await {
                    tracing::warn!(recording = %rec.sid, error = %e, "repaired recording not stored");
                }
            } else if repaired.is_none()
                && let Ok(bytes) = f.len(n).await
            {
                // No local file but stored media: the process stopped after the upload,
                // before the row was finished.
                secs = dialtone_media::audio::Recorded::of_file_len(bytes, u16::from(rec.channels))
                    .duration_secs();
            }
        }
        let finish = if secs > 0 {
            RecordingFinish {
                status: RecordingStatus::Completed,
                duration: Some(secs),
                error_code: None,
                media: name,
            }
        } else {
            RecordingFinish {
                status: RecordingStatus::Absent,
                duration: Some(0),
                error_code: Some(16101),
                media: None,
            }
        };
        let now = crate::clock::now();
        match store
            .finish_recording(rec.account_sid, rec.sid, &finish, now)
            .await
        {
            Ok(done) => owed_callback(store, ids, &done, api_base_url, now).await,
            Err(e) => tracing::warn!(recording = %rec.sid, error = %e, "recording not repaired"),
        }
    }
}

/// Enqueues the callback a recovered recording owes (`completed` or `absent`), if subscribed.
async fn owed_callback(
    store: &dialtone_store::Store,
    ids: &Ids,
    rec: &dialtone_store::Recording,
    api_base_url: &str,
    now: dialtone_types::UnixMillis,
) {
    let Some(target) = rec.callback.as_ref() else {
        return;
    };
    let status = rec.status.as_str();
    if !target.wants(status) {
        return;
    }
    let Some(source) = dialtone_core::RecordingSource::parse(&rec.source) else {
        tracing::warn!(recording = %rec.sid, source = %rec.source, "unknown recording source");
        return;
    };
    let facts = dialtone_core::RecordingFacts {
        account: rec.account_sid,
        call: rec.call_sid,
        recording: rec.sid,
        url: Arc::from(format!(
            "{api_base_url}/2010-04-01/Accounts/{}/Recordings/{}",
            rec.account_sid, rec.sid
        )),
        channels: rec.channels,
        started: rec.start_time,
        source,
    };
    let status = if rec.status == RecordingStatus::Completed {
        "completed"
    } else {
        "absent"
    };
    let params = dialtone_core::recording_status_params(
        &facts,
        status,
        rec.duration.map(u64::from),
        rec.error_code.map(u64::from),
    );
    let item = dialtone_store::NewOutboxItem {
        call_sid: rec.call_sid,
        url: target.url.clone(),
        method: target.method.clone(),
        params: params.to_pairs(),
        idempotency_token: ids.token(),
    };
    if let Err(e) = store.outbox_enqueue(rec.account_sid, &item, now).await {
        tracing::warn!(recording = %rec.sid, error = %e, "recording callback not enqueued");
    }
}
