//! `<Record>`: record the caller (twilio-media.md §4).
//!
//! The call is answered, then `StartRecording` (mono, inbound track, a beep first unless
//! `playBeep="false"`, `trim` as given, silence detection after `timeout` seconds unless 0).
//! It ends on a `finishOnKey` key (`StopRecording`, `Digits=<key>`), on `maxLength` (the
//! `record` timer, no `Digits`), on silence (the media side, no `Digits`) or when the call
//! ends (`Digits=hangup`, `CallStatus=completed`, the TwiML returned is ignored). Once the
//! media side reports the file finished (`RecordingEnded`), `action` (default: the document
//! URL) is requested with `RecordingUrl`, `RecordingDuration`, `RecordingSid` and `Digits`;
//! the verbs after `<Record>` are reached only when nothing was recorded (duration 0): then
//! no `action` request, the document goes on (or the call ends).
//!
//! `transcribe`/`transcribeCallback` are not supported: a 13750 warning, and the recording
//! is made without transcription (plus 13615 when `maxLength` exceeds 120 s, as Twilio warns).
//! An unknown `recordingStatusCallbackEvent` value is a 13621 warning and is ignored.

use dialtone_twiml::{Record, RecordingTrack};
use dialtone_types::{Level, Sid, TwilioCode};

use super::Flow;
use crate::call::Wait;
use crate::engine::Engine;
use crate::output::{RecordingEnd, RecordingSource};
use crate::recording::{RecordAction, RecordingSpec, parse_events};
use crate::timer::Timer;

/// Twilio's warning for `maxLength` over 120 s with transcription.
const MAX_LENGTH_TOO_HIGH_FOR_TRANSCRIPTION: TwilioCode = TwilioCode(13615);

impl Engine {
    pub(crate) fn exec_record(&mut self, sid: Sid, record: &Record) -> Flow {
        self.ensure_answered(sid);
        let base = self.doc_url(sid);
        if record.transcribe || record.transcribe_callback.is_some() {
            self.io.notify(
                sid,
                TwilioCode::VERB_NOT_SUPPORTED,
                Level::Warning,
                "<Record transcribe> is not supported by Dialtone; recording without transcription",
                base.clone(),
                None,
            );
            if record.max_length > 120 {
                self.io.notify(
                    sid,
                    MAX_LENGTH_TOO_HIGH_FOR_TRANSCRIPTION,
                    Level::Warning,
                    "Record: maxLength too high for transcription",
                    base.clone(),
                    None,
                );
            }
        }
        let (events, bad) = parse_events(record.recording_status_callback_event.as_deref());
        for token in bad {
            self.io.notify(
                sid,
                TwilioCode::DIAL_INVALID_RECORDING_EVENT,
                Level::Warning,
                format!(
                    "Record: invalid recordingStatusCallbackEvent '{token}' (in-progress, completed, absent)"
                ),
                base.clone(),
                None,
            );
        }
        let callback = self.recording_callback(
            sid,
            base.as_ref(),
            record.recording_status_callback.as_deref(),
            record.recording_status_callback_method,
            events,
        );
        let action_url = match record.action.as_deref() {
            Some(raw) => self.resolve(sid, raw),
            None => base,
        };
        let spec = RecordingSpec {
            source: RecordingSource::RecordVerb,
            child: None,
            channels: 1,
            track: RecordingTrack::Inbound,
            beep: record.play_beep,
            trim: record.trim,
            silence_timeout_secs: (record.timeout > 0).then_some(record.timeout),
            max_length_secs: Some(record.max_length),
            callback,
            action: Some(RecordAction {
                url: action_url,
                method: record.method,
                ended: None,
            }),
        };
        let Some(call) = self.calls.get(&sid) else {
            return Flow::Wait;
        };
        if !call.is_live() {
            return Flow::Wait;
        }
        let Some(recording) = self.start_recording(sid, spec) else {
            return Flow::Wait;
        };
        let Some(call) = self.calls.get_mut(&sid) else {
            return Flow::Wait;
        };
        call.wait = Wait::Record(recording);
        call.waited = true;
        call.arm_in(&mut self.io, Timer::Record, record.max_length);
        Flow::Wait
    }

    /// The `<Record>` this call runs: its recording and the verb.
    fn current_record(&self, sid: Sid) -> Option<(Sid, Record)> {
        let call = self.calls.get(&sid)?;
        let Wait::Record(recording) = call.wait else {
            return None;
        };
        let doc = call.program.doc.as_ref()?;
        // The program counter is already past the verb.
        match doc.verbs.get(call.program.pc.checked_sub(1)?) {
            Some(dialtone_twiml::Verb::Record(r)) => Some((recording, r.clone())),
            _ => None,
        }
    }

    /// Digits during a `<Record>`: the first `finishOnKey` key stops it; others are ignored.
    /// False when the call is not recording.
    pub(crate) fn record_digits(&mut self, sid: Sid, digits: &str) -> bool {
        let Some((recording, record)) = self.current_record(sid) else {
            return false;
        };
        if let Some(key) = digits.chars().find(|c| record.finish_on_key.contains(*c)) {
            if let Some(call) = self.calls.get_mut(&sid) {
                call.timers.stop(Timer::Record);
            }
            self.stop_recording(recording, RecordingEnd::Key(key));
        }
        true
    }

    /// `maxLength` reached.
    pub(crate) fn record_max_length(&mut self, sid: Sid) {
        if let Some(Wait::Record(recording)) = self.calls.get(&sid).map(|c| &c.wait) {
            let recording = *recording;
            self.stop_recording(recording, RecordingEnd::MaxLength);
        }
    }

    /// The call is ending while it records: stop with `hangup`. Returns the recording, so
    /// that the call's final parameters can be kept for `action` ([`Self::record_call_ended`]).
    pub(crate) fn record_hung_up(&mut self, sid: Sid) -> Option<Sid> {
        let Some(Wait::Record(recording)) = self.calls.get(&sid).map(|c| &c.wait) else {
            return None;
        };
        let recording = *recording;
        self.stop_recording(recording, RecordingEnd::Hangup);
        Some(recording)
    }

    /// After the call ended: keep its standard parameters (`CallStatus=completed`) for the
    /// `action` sent once the file is finished.
    pub(crate) fn record_call_ended(&mut self, sid: Sid, recording: Sid) {
        let Some(call) = self.calls.get(&sid) else {
            return;
        };
        let params = call.standard_params(call.status, 4);
        if let Some(action) = self
            .recordings
            .get_mut(&recording)
            .and_then(|r| r.action.as_mut())
        {
            action.ended = Some(params);
        }
    }

    /// A REST redirect leaves the `<Record>`: the file is finished, no `action` request.
    pub(crate) fn record_interrupted(&mut self, sid: Sid) {
        let Some(Wait::Record(recording)) = self.calls.get(&sid).map(|c| &c.wait) else {
            return;
        };
        let recording = *recording;
        if let Some(run) = self.recordings.get_mut(&recording) {
            run.action = None;
        }
        self.stop_recording(recording, RecordingEnd::Interrupted);
        if let Some(call) = self.calls.get_mut(&sid) {
            call.timers.stop(Timer::Record);
        }
    }
}
