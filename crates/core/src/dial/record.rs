//! `<Dial record>` (twilio-media.md §5): when the recording starts and stops, and the
//! recording parameters of the `action` request and of the child's `completed` callback.
//!
//! - `record-from-ringing[-dual]`: `StartRecording` right after `Ringback`, when the dial
//!   starts (no child yet: the runtime adds the one a later `Bridge` names).
//! - `record-from-answer[-dual]`: `StartRecording` right after `Bridge`, with the child.
//! - Dual: 2 channels (parent, child); otherwise 1, and always 1 for a single
//!   `recordingTrack` (`inbound`, `outbound`). `recordingTrack` and `trim` are passed on.
//! - The recording stops (`StopRecording`, `dial-ended`) when the dial ends, whatever ends it.
//! - `RecordingUrl`, `RecordingDuration` (seconds from the start to the end of the dial) and
//!   `RecordingSid` follow `DialBridged` in the `action` request, and `CallDuration` in the
//!   bridged child's `completed` status callback. `do-not-record`, or a dial that never
//!   reached the start point: none of them.
//! - The recording's own callbacks go to `recordingStatusCallback` (see `recording.rs`);
//!   its `CallSid` is the parent.

use std::sync::Arc;

use dialtone_types::{Sid, UnixMillis};

use super::DialState;
use crate::engine::Engine;
use crate::output::{RecordingEnd, RecordingSource};
use crate::params::Params;
use crate::recording::{RecordingSpec, elapsed_secs};

/// A dial's recording, as the dial and its bridged child know it.
#[derive(Debug, Clone)]
pub(crate) struct DialRecording {
    pub(crate) sid: Sid,
    pub(crate) started: UnixMillis,
    pub(crate) url: Arc<str>,
    /// When it was stopped before the call ended (a `Record=true` recording stopped over
    /// REST): its duration is counted to then.
    pub(crate) stopped: Option<UnixMillis>,
}

impl DialRecording {
    /// `RecordingUrl`, `RecordingDuration`, `RecordingSid` as of `now`.
    pub(crate) fn push_params(&self, p: &mut Params, now: UnixMillis) {
        p.push("RecordingUrl", Arc::clone(&self.url));
        let end = self.stopped.map_or(now, |s| s.min(now));
        p.push("RecordingDuration", elapsed_secs(self.started, end));
        p.push("RecordingSid", self.sid);
    }
}

impl Engine {
    /// Starts the dial's recording if its mode starts now: `ringing` at the dial's start,
    /// else at the bridge with `child`.
    pub(crate) fn start_dial_recording(&mut self, parent: Sid, child: Option<Sid>) {
        let Some(dial) = self.calls.get(&parent).and_then(|p| p.dial.as_deref()) else {
            return;
        };
        if dial.recording.is_some() {
            if let Some(child) = child {
                let rec = dial.recording.clone();
                if let Some(c) = self.calls.get_mut(&child) {
                    c.recording = rec;
                }
            }
            return;
        }
        let Some(spec) = dial.spec() else {
            return;
        };
        let mode = spec.record;
        let ringing = matches!(
            mode,
            dialtone_twiml::DialRecord::RecordFromRinging
                | dialtone_twiml::DialRecord::RecordFromRingingDual
        );
        if !mode.is_recording() || ringing == child.is_some() {
            return;
        }
        let base = dial.base.clone();
        let raw = spec.recording_status_callback.clone();
        let (method, events) = (
            spec.recording_status_callback_method,
            spec.recording_status_callback_events,
        );
        let (track, trim) = (spec.recording_track, spec.trim);
        let channels =
            crate::rest_recording::track_channels(track, if mode.is_dual() { 2 } else { 1 });
        let callback =
            self.recording_callback(parent, base.as_ref(), raw.as_deref(), method, events);
        let spec = RecordingSpec {
            source: RecordingSource::DialVerb,
            child,
            channels,
            track,
            beep: false,
            trim,
            silence_timeout_secs: None,
            max_length_secs: None,
            callback,
            action: None,
        };
        let Some(sid) = self.start_recording(parent, spec) else {
            return;
        };
        let Some(url) = self.recordings.get(&sid).map(|r| Arc::clone(&r.url)) else {
            return;
        };
        let rec = DialRecording {
            sid,
            started: self.io.now,
            url,
            stopped: None,
        };
        if let Some(child) = child
            && let Some(c) = self.calls.get_mut(&child)
        {
            c.recording = Some(rec.clone());
        }
        if let Some(dial) = self
            .calls
            .get_mut(&parent)
            .and_then(|p| p.dial.as_deref_mut())
        {
            dial.recording = Some(rec);
        }
    }

    /// The dial is over: its recording stops.
    pub(crate) fn stop_dial_recording(&mut self, dial: &DialState) {
        if let Some(rec) = &dial.recording {
            self.stop_recording(rec.sid, RecordingEnd::DialEnded);
        }
    }
}
