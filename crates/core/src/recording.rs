//! Recordings the engine started (`<Record>`, `<Dial record>`) until the media side reports
//! them finished, and their `recordingStatusCallback` (twilio-media.md §6).
//!
//! - `StartRecording` is emitted with a fresh `RE` SID; an `in-progress` callback follows
//!   when subscribed (no `RecordingDuration`).
//! - The engine ends a recording with `StopRecording` (key, `maxLength`, hang-up, end of the
//!   dial); the media side may end one itself (silence). Either way `Input::RecordingEnded`
//!   closes it: `completed` (with `RecordingDuration`) when it holds audio, else `absent`
//!   (`ErrorCode=16101`).
//! - A file the media side could not write (disk full) ends early with a `failure`: a 12400
//!   error notification; what reached the disk is `completed` as usual, nothing is `absent`
//!   with `ErrorCode=12400`; a `<Record>` goes on as after any recording (`action`, or the
//!   next verb when empty), so the call is never stuck on a broken disk.
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
    FetchPurpose, FetchRequest, Output, RecordingCallback, RecordingEnd, RecordingRequest,
    RecordingSource, StatusCallback,
};
use crate::params::{Params, Value};

/// Twilio's `ErrorCode` of an `absent` recording that is too short.
pub const RECORDING_TOO_SHORT: u64 = 16101;

/// The `ErrorCode` of a recording whose file could not be written (Twilio's 12400, "internal
/// failure": Twilio documents no recording-storage code; see `docs/twilio-compat.md`).
pub const RECORDING_WRITE_FAILED: u64 = 12400;

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

/// Seconds between `started` and `now`, rounded to the nearest as the recorder rounds the
/// file's length, for the `<Dial>` action and the child callback (the final duration comes
/// with `RecordingEnded`; the two agree unless the length is within a tick of a half second).
pub(crate) fn elapsed_secs(started: UnixMillis, now: UnixMillis) -> u64 {
    now.0.saturating_sub(started.0).saturating_add(500) / 1000
}

/// What a recording's status callbacks say about it, whatever its status.
#[derive(Debug, Clone)]
pub struct RecordingFacts {
    /// Its account.
    pub account: Sid,
    /// Its call (the parent leg of a dial).
    pub call: Sid,
    /// `RE...`
    pub recording: Sid,
    /// `RecordingUrl` (no extension).
    pub url: Arc<str>,
    /// 1 or 2.
    pub channels: u8,
    /// `RecordingStartTime`.
    pub started: UnixMillis,
    /// `RecordingSource`.
    pub source: RecordingSource,
}

/// The parameters of a `recordingStatusCallback` for `status` (`in-progress`, `completed`,
/// `absent`, `failed`), in Twilio's documented set and Dialtone's order (see the module
/// docs); `duration` is sent for `completed` only, `error_code` for `absent` and `failed`.
/// The engine and the runtime's restart recovery both build them here.
pub fn recording_status_params(
    facts: &RecordingFacts,
    status: &'static str,
    duration: Option<u64>,
    error_code: Option<u64>,
) -> Params {
    let mut p = Params::with_capacity(10);
    p.push("AccountSid", facts.account);
    p.push("CallSid", facts.call);
    p.push("RecordingSid", facts.recording);
    p.push("RecordingUrl", Arc::clone(&facts.url));
    p.push("RecordingStatus", status);
    if let Some(d) = duration.filter(|_| status == "completed") {
        p.push("RecordingDuration", d);
    }
    p.push("RecordingChannels", u64::from(facts.channels));
    p.push("RecordingStartTime", Value::Time(facts.started));
    p.push("RecordingSource", facts.source.as_str());
    if let Some(code) = error_code.filter(|_| status != "completed" && status != "in-progress") {
        p.push("ErrorCode", code);
    }
    p
}

/// The callback for `status` (`in-progress`, `completed`, `absent`).
fn recording_status(
    recording: Sid,
    run: &RecordingRun,
    status: &'static str,
    duration: Option<u64>,
    error: Option<u64>,
) -> Option<StatusCallback> {
    let (url, method) = run.callback.as_ref().map(|c| (c.url.clone(), c.method))?;
    let facts = RecordingFacts {
        account: run.account,
        call: run.call,
        recording,
        url: Arc::clone(&run.url),
        channels: run.channels,
        started: run.started,
        source: run.source,
    };
    Some(StatusCallback {
        call: run.call,
        url,
        method,
        params: recording_status_params(&facts, status, duration, error),
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
            callback: spec.callback.clone(),
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
            callback: spec.callback,
        }));
        if run.callback.as_ref().is_some_and(|c| c.events.in_progress)
            && let Some(cb) = recording_status(recording, &run, "in-progress", None, None)
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

    /// The media side finished `recording`. A `failure` (the file could not be written) is
    /// a 12400 error notification on the call; what was written is kept (`completed`), and
    /// nothing written is `absent` with `ErrorCode=12400` instead of 16101.
    pub(crate) fn recording_ended(
        &mut self,
        recording: Sid,
        duration_secs: u32,
        reason: RecordingEnd,
        failure: Option<&str>,
    ) -> Handled {
        let Some(run) = self.recordings.remove(&recording) else {
            return Handled::Stale;
        };
        let reason = run.stop.unwrap_or(reason);
        let duration = u64::from(duration_secs);
        tracing::debug!(%recording, duration, ?reason, "recording ended");
        if let Some(why) = &failure {
            let kept = if duration > 0 {
                format!("the {duration} s written before are kept")
            } else {
                "nothing was kept".to_owned()
            };
            self.io.notify(
                run.call,
                TwilioCode::INTERNAL_FAILURE,
                Level::Error,
                format!("Recording {recording} could not be written ({why}); {kept}"),
                None,
                None,
            );
        }
        if let Some(cb) = &run.callback {
            let status = if duration > 0 { "completed" } else { "absent" };
            let wanted = if duration > 0 {
                cb.events.completed
            } else {
                cb.events.absent
            };
            let error = (duration == 0).then_some(if failure.is_some() {
                RECORDING_WRITE_FAILED
            } else {
                RECORDING_TOO_SHORT
            });
            if wanted
                && let Some(cb) = recording_status(
                    recording,
                    &run,
                    status,
                    (duration > 0).then_some(duration),
                    error,
                )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_durations_round_like_the_recorder() {
        let at = |ms: u64| UnixMillis(1_000_000 + ms);
        assert_eq!(elapsed_secs(at(0), at(0)), 0);
        assert_eq!(elapsed_secs(at(0), at(499)), 0);
        assert_eq!(elapsed_secs(at(0), at(500)), 1);
        assert_eq!(elapsed_secs(at(0), at(3_980)), 4);
        assert_eq!(elapsed_secs(at(0), at(4_020)), 4);
        // A clock that went backwards gives 0, never a wrap.
        assert_eq!(elapsed_secs(at(10), at(0)), 0);
    }
}
