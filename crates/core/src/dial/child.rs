//! Leg events of a `<Dial>` child, and what its end means for the parent's dial.
//!
//! A child that ends before answering without saying why (`HungUp`) is `no-answer`; a
//! refusal by the far end (`Rejected`, a WhatsApp user declining) is `busy`; a failure with
//! a code (37000 no permission...) is `failed` and the code becomes a notification.

use dialtone_types::{CallStatus, Level, Sid};

use super::ChildOutcome;
use crate::call::DEFAULT_TIME_LIMIT_SECS;
use crate::engine::{Engine, Handled};
use crate::input::LegEvent;
use crate::output::Output;
use crate::timer::Timer;

impl Engine {
    pub(crate) fn child_leg_event(&mut self, sid: Sid, event: LegEvent) -> Handled {
        let Some(call) = self.calls.get_mut(&sid) else {
            return Handled::Stale;
        };
        let answered = call.is_answered();
        let status = match event {
            LegEvent::Ringing if call.status == CallStatus::Initiated => {
                call.set_status(&mut self.io, CallStatus::Ringing);
                return Handled::Applied;
            }
            LegEvent::Answered if !answered => {
                call.set_status(&mut self.io, CallStatus::InProgress);
                // `<Dial timeLimit>` counts from the answer, so a whisper cannot run forever.
                let limit = call.time_limit_secs;
                call.arm_in(&mut self.io, Timer::TimeLimit, limit);
                self.child_answered(sid);
                return Handled::Applied;
            }
            LegEvent::Busy | LegEvent::Rejected if !answered => CallStatus::Busy,
            LegEvent::NoAnswer if !answered => CallStatus::NoAnswer,
            LegEvent::Failed { code, message } if !answered => {
                self.io.notify(sid, code, Level::Error, message, None, None);
                CallStatus::Failed
            }
            LegEvent::HungUp | LegEvent::Failed { .. } if answered => CallStatus::Completed,
            LegEvent::HungUp => CallStatus::NoAnswer,
            _ => return Handled::Stale,
        };
        if let Some(call) = self.calls.get_mut(&sid) {
            call.set_status(&mut self.io, status);
        }
        self.child_ended(sid);
        Handled::Applied
    }

    /// A child reached a terminal status: record it, and end the dial when nothing is left
    /// to wait for (or start the next noun of a sequential dial).
    pub(crate) fn child_ended(&mut self, sid: Sid) {
        let Some(child) = self.calls.get(&sid) else {
            return;
        };
        let Some(parent_sid) = child.dialed_by() else {
            return;
        };
        let outcome = ChildOutcome {
            sid,
            status: child.status,
            duration: Some(child.duration(self.io.now)),
        };
        let Some(dial) = self.calls.get(&parent_sid).and_then(|p| p.dial.as_deref()) else {
            return;
        };
        if !dial.children.contains(&sid) {
            return;
        }
        match dial.winner {
            // A loser canceled when the winner answered: nothing to do.
            Some(winner) if winner != sid => return,
            Some(_) => {
                let bridged = dial.bridged;
                if bridged {
                    self.io.push(Output::Unbridge {
                        parent: parent_sid,
                        child: sid,
                    });
                }
                self.set_last(parent_sid, outcome);
                self.end_dial(parent_sid);
                return;
            }
            None => {}
        }
        let others_live = dial
            .children
            .iter()
            .any(|c| *c != sid && self.calls.get(c).is_some_and(crate::call::Call::is_live));
        let more = dial.next < dial.candidates.len();
        self.set_last(parent_sid, outcome);
        if others_live {
            return;
        }
        if more {
            // Sequential: the next noun gets a full timeout of its own.
            let timeout = self
                .calls
                .get(&parent_sid)
                .and_then(|p| p.dial.as_deref())
                .and_then(|d| d.spec())
                .map(super::start::dial_timeout);
            if let (Some(parent), Some(secs)) = (self.calls.get_mut(&parent_sid), timeout) {
                parent.arm_in(&mut self.io, Timer::Dial, secs);
            }
            self.start_next_child(parent_sid);
            return;
        }
        self.end_dial(parent_sid);
    }

    /// A REST redirect takes `sid`, an answered child, out of its dial: it is unbridged and
    /// runs its own TwiML from now on, under the default 4 h time limit counted from its
    /// answer (`<Dial timeLimit>` bounded the dial, which it left). The parent's dial ends as
    /// this child decided it: `completed`, without `DialCallDuration`.
    pub(crate) fn detach_child(&mut self, sid: Sid) {
        let Some(child) = self.calls.get_mut(&sid) else {
            return;
        };
        let Some(parent_sid) = child.dialed_by() else {
            return;
        };
        child.detached = true;
        child.time_limit_secs = DEFAULT_TIME_LIMIT_SECS;
        if let Some(answered) = child.answered {
            let at = answered.plus_millis(u64::from(DEFAULT_TIME_LIMIT_SECS) * 1000);
            child.arm(&mut self.io, Timer::TimeLimit, at);
        }
        let Some(dial) = self
            .calls
            .get(&parent_sid)
            .and_then(|p| p.dial.as_deref())
            .filter(|d| d.winner == Some(sid))
        else {
            return;
        };
        if dial.bridged {
            self.io.push(Output::Unbridge {
                parent: parent_sid,
                child: sid,
            });
        }
        let outcome = ChildOutcome {
            sid,
            status: CallStatus::Completed,
            duration: None,
        };
        self.set_last(parent_sid, outcome);
        self.end_dial(parent_sid);
    }

    fn set_last(&mut self, parent: Sid, outcome: ChildOutcome) {
        if let Some(dial) = self
            .calls
            .get_mut(&parent)
            .and_then(|p| p.dial.as_deref_mut())
        {
            dial.last = Some(outcome);
        }
    }

    /// `<Dial timeout>` elapsed: the ringing children end `no-answer`.
    pub(crate) fn dial_timeout(&mut self, parent_sid: Sid) {
        let ringing: Vec<Sid> = match self.calls.get(&parent_sid).and_then(|p| p.dial.as_deref()) {
            Some(dial) if dial.winner.is_none() => dial
                .children
                .iter()
                .copied()
                .filter(|c| {
                    self.calls
                        .get(c)
                        .is_some_and(|c| c.is_live() && !c.is_answered())
                })
                .collect(),
            _ => return,
        };
        for child in ringing {
            if let Some(call) = self.calls.get_mut(&child) {
                self.io.push(Output::CancelLeg { call: child });
                call.set_status(&mut self.io, CallStatus::NoAnswer);
            }
            self.child_ended(child);
        }
    }
}
