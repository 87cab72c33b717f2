//! `<Reject reason>`: refuse an unanswered call without answering it. `busy` ends the call
//! `busy`, `rejected` ends it `no-answer` (Twilio's mapping). On an answered call (or in a
//! whisper) it acts as `<Hangup>`.

use dialtone_twiml::{Reject, RejectReason};
use dialtone_types::{CallStatus, Sid};

use super::Flow;
use crate::engine::Engine;
use crate::lifecycle::LegEnd;
use crate::output::Output;

impl Engine {
    pub(crate) fn exec_reject(&mut self, sid: Sid, reject: &Reject) -> Flow {
        let Some(call) = self.calls.get(&sid) else {
            return Flow::Wait;
        };
        if call.is_answered() || call.in_dial() {
            self.hangup_call(sid);
            return Flow::Wait;
        }
        self.io.push(Output::RejectLeg {
            call: sid,
            reason: reject.reason,
        });
        let status = match reject.reason {
            RejectReason::Busy => CallStatus::Busy,
            RejectReason::Rejected => CallStatus::NoAnswer,
        };
        self.end_parent(sid, status, LegEnd::Gone);
        Flow::Wait
    }
}
