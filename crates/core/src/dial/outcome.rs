//! The end of a `<Dial>`: `DialCallStatus` and friends, `action`, or the next verb.
//!
//! `action` gets the parent's standard parameters, then `DialCallStatus`, `DialCallSid`
//! and `DialCallDuration` (when a child was created; not for a child redirected out of the
//! dial), and `DialBridged`. `DialCallStatus` is the terminal status of the child that decided
//! the dial (the winner, else the last child to end), so a whisper decline reports
//! `completed` with `DialBridged=false`; a winner redirected out of the dial by REST is
//! reported `completed` too. If the parent is gone, `action` is still requested and its TwiML
//! ignored.

use dialtone_types::{CallStatus, Sid};

use super::{ChildOutcome, DialState};
use crate::call::Wait;
use crate::engine::Engine;
use crate::exec::Flow;
use crate::output::{FetchPurpose, Output};
use crate::timer::Timer;

/// What `action` is told.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DialOutcome {
    pub(crate) status: CallStatus,
    pub(crate) child: Option<ChildOutcome>,
    pub(crate) bridged: bool,
}

impl DialOutcome {
    /// Nothing could be dialed.
    pub(crate) fn failed_without_child() -> Self {
        Self {
            status: CallStatus::Failed,
            child: None,
            bridged: false,
        }
    }

    fn of(dial: &DialState) -> Self {
        Self {
            status: dial.last.map_or(CallStatus::Failed, |c| c.status),
            child: dial.last,
            bridged: dial.bridged,
        }
    }
}

impl Engine {
    /// The dial decided: request `action`, or run the next verb.
    pub(crate) fn end_dial(&mut self, parent_sid: Sid) {
        let Some(parent) = self.calls.get_mut(&parent_sid) else {
            return;
        };
        let Some(dial) = parent.dial.take() else {
            return;
        };
        parent.timers.stop(Timer::Dial);
        parent.wait = Wait::Idle;
        if !dial.bridged {
            self.io.push(Output::StopRingback { call: parent_sid });
        }
        self.stop_dial_recording(&dial);
        let outcome = DialOutcome::of(&dial);
        if self.dial_finished(parent_sid, &dial, &outcome) == Flow::Next {
            self.run(parent_sid);
        }
    }

    /// Requests `action` (then the call waits) or lets the document go on.
    pub(crate) fn dial_finished(
        &mut self,
        sid: Sid,
        dial: &DialState,
        outcome: &DialOutcome,
    ) -> Flow {
        if self.request_dial_action(sid, dial, outcome) {
            Flow::Wait
        } else {
            Flow::Next
        }
    }

    /// Requests the `<Dial action>`, if there is one. True when requested.
    pub(crate) fn request_dial_action(
        &mut self,
        sid: Sid,
        dial: &DialState,
        outcome: &DialOutcome,
    ) -> bool {
        let Some((raw, method)) = dial
            .spec()
            .and_then(|s| s.action.as_deref().map(|a| (a, s.method)))
        else {
            return false;
        };
        let Some(url) = self.resolve_url(sid, dial.base.as_ref(), raw, "<Dial action> URL") else {
            return false;
        };
        let outcome = *outcome;
        let recording = dial.recording.clone();
        let now = self.io.now;
        self.request(sid, FetchPurpose::Action, url, method, |p| {
            p.push("DialCallStatus", outcome.status.as_str());
            if let Some(child) = outcome.child {
                p.push("DialCallSid", child.sid);
                if let Some(duration) = child.duration {
                    p.push("DialCallDuration", duration);
                }
            }
            p.push("DialBridged", outcome.bridged);
            if let Some(rec) = &recording {
                rec.push_params(p, now);
            }
        });
        true
    }

    /// Ends every live child of a dial the parent leaves (hang-up, REST redirect or
    /// completion): ringing children `canceled`, an answered one `completed`.
    pub(crate) fn tear_down_dial(&mut self, parent_sid: Sid, dial: &DialState) -> DialOutcome {
        let mut outcome = DialOutcome::of(dial);
        if !dial.bridged {
            self.io.push(Output::StopRingback { call: parent_sid });
        }
        self.stop_dial_recording(dial);
        if let (true, Some(winner)) = (dial.bridged, dial.winner)
            && self
                .calls
                .get(&winner)
                .is_some_and(crate::call::Call::is_live)
        {
            self.io.push(Output::Unbridge {
                parent: parent_sid,
                child: winner,
            });
        }
        for &child in &dial.children {
            let Some(call) = self.calls.get_mut(&child) else {
                continue;
            };
            if !call.is_live() {
                continue;
            }
            let status = if call.is_answered() {
                self.io.push(Output::HangupLeg { call: child });
                CallStatus::Completed
            } else {
                self.io.push(Output::CancelLeg { call: child });
                CallStatus::Canceled
            };
            call.set_status(&mut self.io, status);
            let decided = ChildOutcome {
                sid: child,
                status,
                duration: Some(call.duration(self.io.now)),
            };
            if dial.winner.is_none_or(|w| w == child) {
                outcome.status = status;
                outcome.child = Some(decided);
            }
        }
        outcome
    }

    /// `hangupOnStar`: the caller pressed `*` while bridged; the child is hung up and the
    /// dial ends `completed`. False when it does not apply.
    pub(crate) fn hangup_on_star(&mut self, parent_sid: Sid) -> bool {
        let winner = self
            .calls
            .get(&parent_sid)
            .and_then(|p| p.dial.as_deref())
            .filter(|d| d.bridged && d.spec().is_some_and(|s| s.hangup_on_star))
            .and_then(|d| d.winner);
        match winner {
            Some(child) => {
                self.hangup_call(child);
                true
            }
            None => false,
        }
    }

    /// Leaves the dial without `action` (REST redirect of the parent).
    pub(crate) fn abort_dial(&mut self, parent_sid: Sid) {
        let Some(dial) = self.calls.get_mut(&parent_sid).and_then(|p| p.dial.take()) else {
            return;
        };
        self.tear_down_dial(parent_sid, &dial);
        if let Some(parent) = self.calls.get_mut(&parent_sid) {
            parent.timers.stop(Timer::Dial);
        }
    }
}
