//! `<Pause length>`: the one media-like verb whose duration the engine owns (a timer).
//! It does not answer the call: a `<Pause>` first delays the answer, as at Twilio.

use dialtone_twiml::Pause;
use dialtone_types::Sid;

use super::Flow;
use crate::call::Wait;
use crate::engine::Engine;
use crate::timer::Timer;

impl Engine {
    pub(crate) fn exec_pause(&mut self, sid: Sid, pause: &Pause) -> Flow {
        if pause.length == 0 {
            return Flow::Next;
        }
        let Some(call) = self.calls.get_mut(&sid) else {
            return Flow::Wait;
        };
        call.waited = true;
        call.wait = Wait::Pause;
        call.arm_in(&mut self.io, Timer::Pause, pause.length);
        Flow::Wait
    }

    /// The pause timer fired: resume the document, or the `<Gather>` prompts.
    pub(crate) fn pause_elapsed(&mut self, sid: Sid) {
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        match call.wait {
            Wait::Pause => {
                call.wait = Wait::Idle;
                self.run(sid);
            }
            Wait::Gather(_) => self.gather_next_prompt(sid),
            _ => {}
        }
    }
}
