//! The first child to answer: cancel the others, run the whisper `url` on the child (the
//! parent keeps ringing when `answerOnBridge` is set), then bridge.
//!
//! The whisper is fetched with the child's standard parameters (`CallSid` = child,
//! `ParentCallSid`, `Direction=outbound-dial`, `CallStatus=in-progress`). Reaching its end
//! accepts the call; `<Hangup>` declines it (the child ends `completed`, the parent is not
//! bridged); a whisper that cannot be fetched or run plays the application error to the
//! child and hangs it up.

use dialtone_types::{CallStatus, Sid};

use crate::call::{Call, Wait};
use crate::engine::Engine;
use crate::output::{FetchPurpose, Output};
use crate::timer::Timer;

impl Engine {
    /// `sid` answered (already `in-progress`).
    pub(crate) fn child_answered(&mut self, sid: Sid) {
        let Some((parent_sid, noun)) = self
            .calls
            .get(&sid)
            .and_then(|c| c.dialed_by().map(|p| (p, usize::from(c.noun))))
        else {
            return;
        };
        let Some(parent) = self.calls.get_mut(&parent_sid) else {
            self.hangup_call(sid);
            return;
        };
        let Some(dial) = parent.dial.as_deref_mut() else {
            // The dial is over (redirected, ended): this late answer is hung up.
            self.hangup_call(sid);
            return;
        };
        if dial.winner.is_some() {
            self.hangup_call(sid);
            return;
        }
        dial.winner = Some(sid);
        parent.timers.stop(Timer::Dial);
        // Usually the only child: no list to build then.
        let losers: Vec<Sid> = if dial.children.len() > 1 {
            dial.children
                .iter()
                .copied()
                .filter(|c| *c != sid)
                .collect()
        } else {
            Vec::new()
        };
        let whisper = dial.spec().and_then(|spec| {
            let (raw, method) = match spec.nouns.get(noun)? {
                dialtone_twiml::DialNoun::WhatsApp(n) => (n.url.as_deref()?, n.method),
                dialtone_twiml::DialNoun::Client(c) => (c.url.as_deref()?, c.method),
                _ => return None,
            };
            Some((raw.to_owned(), dial.base.clone(), method))
        });
        for loser in losers {
            if let Some(call) = self.calls.get_mut(&loser)
                && call.is_live()
            {
                self.io.push(Output::CancelLeg { call: loser });
                call.set_status(&mut self.io, CallStatus::Canceled);
            }
        }
        match whisper {
            Some((raw, base, method)) => {
                match self.resolve_url(sid, base.as_ref(), &raw, "whisper URL") {
                    Some(url) => self.request(sid, FetchPurpose::Whisper, url, method, |_| {}),
                    None => self.app_error(sid),
                }
            }
            None => self.whisper_accepted(sid),
        }
    }

    /// The whisper ran to its end (or there was none): bridge the child to its parent.
    pub(crate) fn whisper_accepted(&mut self, sid: Sid) {
        let Some(parent_sid) = self.calls.get(&sid).and_then(Call::dialed_by) else {
            return;
        };
        let parent_dialing = self
            .calls
            .get(&parent_sid)
            .and_then(|p| p.dial.as_deref())
            .is_some_and(|d| d.winner == Some(sid));
        if !parent_dialing {
            self.hangup_call(sid);
            return;
        }
        // answerOnBridge: the parent is answered only now.
        self.ensure_answered(parent_sid);
        if let Some(dial) = self
            .calls
            .get_mut(&parent_sid)
            .and_then(|p| p.dial.as_deref_mut())
        {
            dial.bridged = true;
        }
        self.io.push(Output::StopRingback { call: parent_sid });
        self.io.push(Output::Bridge {
            parent: parent_sid,
            child: sid,
        });
        self.start_dial_recording(parent_sid, Some(sid));
        if let Some(child) = self.calls.get_mut(&sid) {
            child.wait = Wait::Bridged;
        }
    }
}
