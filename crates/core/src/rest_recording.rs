//! Recordings controlled over REST (twilio-media.md §7.2, §7.3): `CreateCallRecording` and
//! `UpdateCallRecording` arrive as [`Input::Recording`](crate::Input::Recording).
//!
//! - Start: only on an answered, live call (else 21220). The recording is
//!   `StartCallRecordingAPI`, mono or dual (channel 1 the call, channel 2 the party bridged
//!   to it: a `<Dial>`'s answered child, or the parent of a child; a party bridged later
//!   joins at the `Bridge`), no beep, no silence timeout, as long as the call.
//! - Update: `Twilio.CURRENT` is the call's most recently started recording that is still
//!   going and not a `<Record>` verb's; a SID must be one of the call's recordings still held
//!   by the engine (else 20404). `<Record>` recordings and stopped ones are 21220.
//!   `paused` emits `PauseRecording` (again when the behaviour changes), `in-progress` emits
//!   `ResumeRecording` when paused, `stopped` emits `StopRecording` (`Stopped`); repeating
//!   the current status changes nothing. No callback is sent for pause or resume: the
//!   `in-progress`/`completed`/`absent` events are the only ones of a call recording.
//! - A call that ends stops its REST recordings (`Hangup`); `RecordingEnded` then sends
//!   `completed`/`absent` as for any recording (`RecordingSource=StartCallRecordingAPI`).
//! - `Record=true` on `POST Calls.json` ([`CallSetup::record`](crate::CallSetup)): the same
//!   recording, `OutboundAPI`, started when the call is answered (before its TwiML runs) and
//!   stopped when it ends; its `RecordingUrl`, `RecordingDuration` and `RecordingSid` follow
//!   `CallDuration` in the call's `completed` status callback, as for a recorded `<Dial>`
//!   child. It can be paused, resumed and stopped over REST like a REST-started one.
//! - `RecordingTrack`: `inbound` and `outbound` recordings are mono whatever
//!   `RecordingChannels` says; the runtime records the track asked for.

use std::sync::Arc;

use dialtone_twiml::RecordingTrack;
use dialtone_types::Sid;

use crate::RecordingCallback;
use crate::dial::DialRecording;
use crate::engine::{Engine, Handled};
use crate::error::EngineError;
use crate::input::{RecordingChange, RecordingCommand, RecordingOptions, RecordingTarget};
use crate::output::{Output, RecordingEnd, RecordingSource};
use crate::recording::RecordingSpec;

/// A recording's channel count: `channels` (1 or 2) for `both`; a single track (`inbound`,
/// `outbound`) is always mono, as Twilio documents for `<Dial recordingTrack>`.
pub(crate) fn track_channels(track: RecordingTrack, channels: u8) -> u8 {
    match track {
        RecordingTrack::Both => channels.clamp(1, 2),
        RecordingTrack::Inbound | RecordingTrack::Outbound => 1,
    }
}

impl Engine {
    pub(crate) fn on_recording(
        &mut self,
        sid: Sid,
        command: RecordingCommand,
    ) -> Result<Handled, EngineError> {
        if !self.calls.contains_key(&sid) {
            return Err(EngineError::UnknownCall(sid));
        }
        match command {
            RecordingCommand::Start(options) => self.start_rest_recording(sid, &options),
            RecordingCommand::Update { target, change } => {
                self.update_rest_recording(sid, target, change)
            }
        }
    }

    fn start_rest_recording(
        &mut self,
        sid: Sid,
        options: &RecordingOptions,
    ) -> Result<Handled, EngineError> {
        let Some(call) = self.calls.get(&sid) else {
            return Err(EngineError::UnknownCall(sid));
        };
        if !call.is_live() || !call.is_answered() {
            return Err(EngineError::InvalidState {
                sid,
                status: call.status,
                action: "recorded",
            });
        }
        self.start_call_recording(sid, options, RecordingSource::StartCallRecordingApi)
            .map(Handled::Recording)
            .ok_or(EngineError::UnknownCall(sid))
    }

    /// Starts a whole-call recording of `sid` (REST create, or `Record=true` at the answer):
    /// channel 2 is the party bridged to the call; a single track is always mono.
    pub(crate) fn start_call_recording(
        &mut self,
        sid: Sid,
        options: &RecordingOptions,
        source: RecordingSource,
    ) -> Option<Sid> {
        let call = self.calls.get(&sid)?;
        let other = match (&call.dial, call.parent) {
            (Some(dial), _) if dial.bridged => dial.winner,
            (None, Some(parent)) if call.in_dial() => Some(parent),
            _ => None,
        };
        let spec = RecordingSpec {
            source,
            child: other,
            channels: track_channels(options.track, options.channels),
            track: options.track,
            beep: false,
            trim: options.trim,
            silence_timeout_secs: None,
            max_length_secs: None,
            callback: options.callback.clone().map(|url| RecordingCallback {
                url,
                method: options.callback_method,
                events: options.events,
            }),
            action: None,
        };
        self.start_recording(sid, spec)
    }

    /// `Record=true` on a REST-created call: its recording starts now, at the answer
    /// (`OutboundAPI`), and the call's `completed` status callback reports it.
    pub(crate) fn start_outbound_recording(&mut self, sid: Sid) {
        let Some(options) = self.calls.get_mut(&sid).and_then(|c| c.record.take()) else {
            return;
        };
        let Some(recording) =
            self.start_call_recording(sid, &options, RecordingSource::OutboundApi)
        else {
            return;
        };
        let Some(url) = self.recordings.get(&recording).map(|r| Arc::clone(&r.url)) else {
            return;
        };
        let now = self.io.now;
        if let Some(call) = self.calls.get_mut(&sid) {
            call.recording = Some(DialRecording {
                sid: recording,
                started: now,
                url,
                stopped: None,
            });
        }
    }

    fn update_rest_recording(
        &mut self,
        sid: Sid,
        target: RecordingTarget,
        change: RecordingChange,
    ) -> Result<Handled, EngineError> {
        let action = match change {
            RecordingChange::Pause(_) => "paused",
            RecordingChange::Resume => "resumed",
            RecordingChange::Stop => "stopped",
        };
        let recording = match target {
            RecordingTarget::Sid(recording) => recording,
            RecordingTarget::Current => self
                .recordings
                .iter()
                .filter(|(_, r)| {
                    r.call == sid && r.stop.is_none() && r.source != RecordingSource::RecordVerb
                })
                .max_by_key(|(s, r)| (r.started, **s))
                .map(|(s, _)| *s)
                .ok_or_else(|| EngineError::UnknownRecording {
                    call: sid,
                    recording: "Twilio.CURRENT".to_owned(),
                })?,
        };
        let Some(run) = self
            .recordings
            .get_mut(&recording)
            .filter(|r| r.call == sid)
        else {
            return Err(EngineError::UnknownRecording {
                call: sid,
                recording: recording.to_string(),
            });
        };
        if run.source == RecordingSource::RecordVerb {
            return Err(EngineError::RecordingState {
                recording,
                state: "a <Record> verb's recording",
                action,
            });
        }
        if run.stop.is_some() {
            return Err(EngineError::RecordingState {
                recording,
                state: "stopped",
                action,
            });
        }
        match change {
            RecordingChange::Pause(behavior) => {
                if run.paused != Some(behavior) {
                    run.paused = Some(behavior);
                    self.io.push(Output::PauseRecording {
                        call: sid,
                        recording,
                        behavior,
                    });
                }
            }
            RecordingChange::Resume => {
                if run.paused.take().is_some() {
                    self.io.push(Output::ResumeRecording {
                        call: sid,
                        recording,
                    });
                }
            }
            RecordingChange::Stop => {
                self.stop_recording(recording, RecordingEnd::Stopped);
                let now = self.io.now;
                if let Some(rec) = self
                    .calls
                    .get_mut(&sid)
                    .and_then(|c| c.recording.as_mut())
                    .filter(|r| r.sid == recording)
                {
                    rec.stopped = Some(now);
                }
            }
        }
        tracing::debug!(call = %sid, %recording, action, "recording updated over REST");
        Ok(Handled::Recording(recording))
    }

    /// `call` ended: its REST and `Record=true` recordings stop (the verbs' ones are stopped by their verbs).
    pub(crate) fn stop_call_recordings(&mut self, call: Sid) {
        let mut going: Vec<Sid> = self
            .recordings
            .iter()
            .filter(|(_, r)| {
                r.call == call
                    && r.stop.is_none()
                    && matches!(
                        r.source,
                        RecordingSource::StartCallRecordingApi | RecordingSource::OutboundApi
                    )
            })
            .map(|(s, _)| *s)
            .collect();
        going.sort();
        for recording in going {
            self.stop_recording(recording, RecordingEnd::Hangup);
        }
    }
}
