//! Recordings the engine started (`<Record>`, `<Dial record>`) until the media side reports
//! them finished, and their `recordingStatusCallback` (twilio-media.md §6).
//!
//! - `StartRecording` is emitted with a fresh `RE` SID; an `in-progress` callback follows
//!   when subscribed (no `RecordingDuration`).
//! - The engine ends a recording with `StopRecording` (key, `maxLength`, hang-up, end of the
//!   dial); the media side may end one itself (silence). Either way `Input::RecordingEnded`
//!   closes it: `completed` (with `RecordingDuration`) when it holds audio, else `absent`
//!   (`ErrorCode=16101`).
//! - Callback parameters, in order: `AccountSid`, `CallSid` (the parent leg for a dial),
//!   `RecordingSid`, `RecordingUrl` (no extension), `RecordingStatus`, `RecordingDuration`
//!   (`completed` only), `RecordingChannels`, `RecordingStartTime` (RFC 2822),
//!   `RecordingSource`, `ErrorCode` (`absent` only). No standard call parameters and no
//!   `SequenceNumber`: the recording callback has its own small set.
//! - A recording outlives its call: a `<Record>` whose caller hung up still requests
//!   `action` (with `CallStatus=completed`, `Digits=hangup`) once the file is finished.

use std::sync::Arc;

use dialtone_twiml::{Method, RecordingEvents, RecordingTrack, Trim};
use dialtone_types::{Level, Sid, SidKind, TwilioCode, UnixMillis, WebUrl};

use crate::engine::{Engine, Handled};
use crate::output::{
    FetchPurpose, FetchRequest, Output, RecordingEnd, RecordingRequest, RecordingSource,
    StatusCallback,
};
use crate::params::{Params, Value};

/// Twilio's `ErrorCode` of an `absent` recording that is too short.
pub(crate) const RECORDING_TOO_SHORT: u64 = 16101;

/// Where a recording's status callbacks go.
#[derive(Debug, Clone)]
pub(crate) struct RecordingCallback {
    pub(crate) url: WebUrl,
    pub(crate) method: Method,
    pub(crate) events: RecordingEvents,
}

/// What a `<Record>` requests when its recording is finished.
#[derive(Debug, Clone)]
pub(crate) struct RecordAction {
    /// `action` (default: the document URL); `None` for inline TwiML without one.
    pub(crate) url: Option<WebUrl>,
    pub(crate) method: Method,
    /// The call's standard parameters when it ended before the file was finished
    /// (`CallStatus=completed`): the request is sent from these, its TwiML ignored.
    pub(crate) ended: Option<Params>,
}

/// A recording not finished yet.
#[derive(Debug, Clone)]
pub(crate) struct RecordingRun {
    pub(crate) call: Sid,
    pub(crate) account: Sid,
    pub(crate) source: RecordingSource,
    pub(crate) channels: u8,
    pub(crate) started: UnixMillis,
    pub(crate) url: Arc<str>,
    pub(crate) callback: Option<RecordingCallback>,
    /// Set once the engine asked the media side to stop.
    pub(crate) stop: Option<RecordingEnd>,
    /// `<Record>` only.
    pub(crate) action: Option<RecordAction>,
    /// Paused over REST, and how.
    pub(crate) paused: Option<crate::output::PauseBehavior>,
}

/// What a new recording is.
#[derive(Debug, Clone)]
pub(crate) struct RecordingSpec {
    pub(crate) source: RecordingSource,
    pub(crate) child: Option<Sid>,
    pub(crate) channels: u8,
    pub(crate) track: RecordingTrack,
    pub(crate) beep: bool,
    pub(crate) trim: Trim,
    pub(crate) silence_timeout_secs: Option<u32>,
    pub(crate) max_length_secs: Option<u32>,
    pub(crate) callback: Option<RecordingCallback>,
    pub(crate) action: Option<RecordAction>,
}

/// Parses `recordingStatusCallbackEvent` of `<Record>` (space or comma separated); unknown
/// tokens are returned for a 13621 notification. Nothing valid given: `completed`.
pub(crate) fn parse_events(raw: Option<&str>) -> (RecordingEvents, Vec<String>) {
    let Some(raw) = raw else {
        return (RecordingEvents::default(), Vec::new());
    };
    let mut events = RecordingEvents {
        in_progress: false,
        completed: false,
        absent: false,
    };
    let mut bad = Vec::new();
    for token in raw
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
    {
        match token {
            "in-progress" => events.in_progress = true,
            "completed" => events.completed = true,
            "absent" => events.absent = true,
            other => bad.push(other.to_owned()),
        }
    }
    if !(events.in_progress || events.completed || events.absent) {
        events = RecordingEvents::default();
    }
    (events, bad)
}

/// Seconds between `started` and `now`, for the `<Dial>` action and the child callback (the
/// final duration comes with `RecordingEnded`).
pub(crate) fn elapsed_secs(started: UnixMillis, now: UnixMillis) -> u64 {
    now.whole_seconds_since(started)
}

/// The callback for `status` (`in-progress`, `completed`, `absent`).
fn recording_status(
    recording: Sid,
    run: &RecordingRun,
    status: &'static str,
    duration: Option<u64>,
) -> Option<StatusCallback> {
    let (url, method) = run.callback.as_ref().map(|c| (c.url.clone(), c.method))?;
    let mut p = Params::with_capacity(10);
    p.push("AccountSid", run.account);
    p.push("CallSid", run.call);
    p.push("RecordingSid", recording);
    p.push("RecordingUrl", Arc::clone(&run.url));
    p.push("RecordingStatus", status);
    if let Some(d) = duration {
        p.push("RecordingDuration", d);
    }
    p.push("RecordingChannels", u64::from(run.channels));
    p.push("RecordingStartTime", Value::Time(run.started));
    p.push("RecordingSource", run.source.as_str());
    if status == "absent" {
        p.push("ErrorCode", RECORDING_TOO_SHORT);
    }
    Some(StatusCallback {
        call: run.call,
        url,
        method,
        params: p,
    })
}

impl Engine {
    /// `{base}/2010-04-01/Accounts/{AC}/Recordings/{RE}`.
    pub(crate) fn recording_url(&self, account: Sid, recording: Sid) -> Arc<str> {
        Arc::from(format!(
            "{}/2010-04-01/Accounts/{account}/Recordings/{recording}",
            self.config.api_base_url
        ))
    }

    /// Resolves a `recordingStatusCallback` against `base` (`None` when absent or invalid).
    pub(crate) fn recording_callback(
        &mut self,
        sid: Sid,
        base: Option<&WebUrl>,
        raw: Option<&str>,
        method: Method,
        events: RecordingEvents,
    ) -> Option<RecordingCallback> {
        let url = self.resolve_url(sid, base, raw?, "recordingStatusCallback URL")?;
        Some(RecordingCallback {
            url,
            method,
            events,
        })
    }

    /// Starts a recording of `call`: `StartRecording`, then the `in-progress` callback.
    pub(crate) fn start_recording(&mut self, call: Sid, spec: RecordingSpec) -> Option<Sid> {
        let account = self.calls.get(&call)?.account;
        let recording = self.io.sids.next_sid(SidKind::Recording);
        let url = self.recording_url(account, recording);
        let run = RecordingRun {
            call,
            account,
            source: spec.source,
            channels: spec.channels,
            started: self.io.now,
            url: Arc::clone(&url),
            callback: spec.callback,
            stop: None,
            action: spec.action,
            paused: None,
        };
        tracing::debug!(%call, %recording, source = spec.source.as_str(), "recording started");
        self.io.push(Output::StartRecording(RecordingRequest {
            call,
            account,
            recording,
            source: spec.source,
            child: spec.child,
            channels: spec.channels,
            track: spec.track,
            beep: spec.beep,
            trim: spec.trim,
            silence_timeout_secs: spec.silence_timeout_secs,
            max_length_secs: spec.max_length_secs,
            started: self.io.now,
            url,
        }));
        if run.callback.as_ref().is_some_and(|c| c.events.in_progress)
            && let Some(cb) = recording_status(recording, &run, "in-progress", None)
        {
            self.io.push(Output::StatusCallback(cb));
        }
        self.recordings.insert(recording, run);
        Some(recording)
    }

    /// Asks the media side to finish `recording` (once).
    pub(crate) fn stop_recording(&mut self, recording: Sid, reason: RecordingEnd) {
        let Some(run) = self.recordings.get_mut(&recording) else {
            return;
        };
        if run.stop.is_some() {
            return;
        }
        run.stop = Some(reason);
        self.io.push(Output::StopRecording {
            call: run.call,
            recording,
            reason,
        });
    }

    /// The media side finished `recording`.
    pub(crate) fn recording_ended(
        &mut self,
        recording: Sid,
        duration_secs: u32,
        reason: RecordingEnd,
    ) -> Handled {
        let Some(run) = self.recordings.remove(&recording) else {
            return Handled::Stale;
        };
        let reason = run.stop.unwrap_or(reason);
        let duration = u64::from(duration_secs);
        tracing::debug!(%recording, duration, ?reason, "recording ended");
        if let Some(cb) = &run.callback {
            let status = if duration > 0 { "completed" } else { "absent" };
            let wanted = if duration > 0 {
                cb.events.completed
            } else {
                cb.events.absent
            };
            if wanted
                && let Some(cb) =
                    recording_status(recording, &run, status, (duration > 0).then_some(duration))
            {
                self.io.push(Output::StatusCallback(cb));
            }
        }
        if let Some(action) = run.action {
            self.record_finished(&run.call, recording, &run.url, duration, reason, action);
        }
        Handled::Applied
    }

    /// `<Record>`'s end: `action` with the recording, or the next verb when it is empty.
    fn record_finished(
        &mut self,
        sid: &Sid,
        recording: Sid,
        url: &Arc<str>,
        duration: u64,
        reason: RecordingEnd,
        action: RecordAction,
    ) {
        let sid = *sid;
        let add = |p: &mut Params| {
            p.push("RecordingUrl", Arc::clone(url));
            p.push("RecordingDuration", duration);
            p.push("RecordingSid", recording);
            match reason {
                RecordingEnd::Key(k) => p.push("Digits", Value::Text(Arc::from(k.to_string()))),
                RecordingEnd::Hangup => p.push("Digits", "hangup"),
                _ => {}
            }
        };
        if let Some(mut params) = action.ended {
            // The call is over: the request is still sent, its TwiML ignored.
            if duration == 0 || reason == RecordingEnd::Interrupted {
                return;
            }
            let Some(url) = action.url else {
                return;
            };
            add(&mut params);
            let request = self.io.next_request();
            self.io.push(Output::Fetch(FetchRequest {
                request,
                call: sid,
                purpose: FetchPurpose::Action,
                url,
                method: action.method,
                params,
            }));
            return;
        }
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        if !matches!(call.wait, crate::call::Wait::Record(r) if r == recording) {
            return;
        }
        call.wait = crate::call::Wait::Idle;
        call.timers.stop(crate::timer::Timer::Record);
        if duration == 0 {
            self.run(sid);
            return;
        }
        let Some(url) = action.url else {
            self.io.notify(
                sid,
                TwilioCode::INVALID_URL,
                Level::Warning,
                "<Record> has no action and the document has no URL; recording not reported",
                None,
                None,
            );
            self.run(sid);
            return;
        };
        self.request(sid, FetchPurpose::Action, url, action.method, add);
    }
}
