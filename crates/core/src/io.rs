//! The engine's side effects, gathered in one place: the output queue, the timer queue, the
//! SID generator, the current time and the calls that just ended.
//!
//! Kept apart from the call map so a call can be borrowed mutably while it emits outputs.

use std::collections::VecDeque;

use dialtone_types::{Level, Sid, SidKind, TwilioCode, UnixMillis};

use crate::output::{MediaId, Notification, Output, RequestId};
use crate::sid::SidSource;
use crate::timer::TimerQueue;

/// See the module docs.
pub(crate) struct Io {
    pub(crate) now: UnixMillis,
    pub(crate) out: VecDeque<Output>,
    pub(crate) timers: TimerQueue,
    pub(crate) sids: Box<dyn SidSource + Send>,
    next_id: u64,
    /// Calls that reached a terminal status; dropped at the end of the current input.
    pub(crate) dead: Vec<Sid>,
}

impl std::fmt::Debug for Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io")
            .field("now", &self.now)
            .field("pending_outputs", &self.out.len())
            .field("timer_entries", &self.timers.len())
            .finish_non_exhaustive()
    }
}

impl Io {
    pub(crate) fn new(sids: Box<dyn SidSource + Send>) -> Self {
        Self {
            now: UnixMillis(0),
            out: VecDeque::new(),
            timers: TimerQueue::default(),
            sids,
            next_id: 0,
            dead: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, output: Output) {
        self.out.push_back(output);
    }

    pub(crate) fn next_request(&mut self) -> RequestId {
        self.next_id += 1;
        RequestId(self.next_id)
    }

    pub(crate) fn next_media(&mut self) -> MediaId {
        self.next_id += 1;
        MediaId(self.next_id)
    }

    pub(crate) fn new_call_sid(&mut self) -> Sid {
        self.sids.next_sid(SidKind::Call)
    }

    /// Emits a notification.
    pub(crate) fn notify(
        &mut self,
        call: Sid,
        code: TwilioCode,
        level: Level,
        message: impl Into<String>,
        url: Option<dialtone_types::WebUrl>,
        method: Option<dialtone_twiml::Method>,
    ) {
        let message = message.into();
        tracing::debug!(%call, code = code.0, ?level, %message, "notification");
        self.push(Output::Notification(Notification {
            call,
            code,
            level,
            message,
            url,
            method,
        }));
    }
}
