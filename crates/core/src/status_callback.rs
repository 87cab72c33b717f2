//! Call-progress status callbacks (`statusCallback`/`statusCallbackEvent`).
//!
//! One subscription per call (the noun's for a `<Dial>` child, the application's for a
//! parent). Events map from statuses: `initiated`, `ringing`, `answered` (sent with
//! `CallStatus=in-progress`) and `completed` (sent for every terminal status, with
//! `CallDuration`). With a URL and no events, only `completed` is sent. `SequenceNumber`
//! counts the callbacks actually sent for the call, from 0 with no gaps.

use dialtone_twiml::{Method, StatusCallbackEvents};
use dialtone_types::CallStatus;
use dialtone_types::WebUrl;

use crate::call::Call;
use crate::io::Io;
use crate::output::StatusCallback;
use crate::params::Value;

/// A call's status callback subscription: where and what to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackSubscription {
    /// Where the callbacks go.
    pub url: WebUrl,
    /// GET or POST.
    pub method: Method,
    /// The events sent (never empty: a URL with no events means `completed` only).
    pub events: StatusCallbackEvents,
}

impl CallbackSubscription {
    /// Applies Twilio's default: a URL with no events means `completed` only.
    pub(crate) fn new(url: WebUrl, method: Method, events: StatusCallbackEvents) -> Self {
        let events = if events.is_empty() {
            StatusCallbackEvents::COMPLETED
        } else {
            events
        };
        Self {
            url,
            method,
            events,
        }
    }

    fn wants(&self, status: CallStatus) -> bool {
        match status {
            CallStatus::Queued => false,
            CallStatus::Initiated => self.events.initiated,
            CallStatus::Ringing => self.events.ringing,
            CallStatus::InProgress => self.events.answered,
            CallStatus::Completed
            | CallStatus::Busy
            | CallStatus::NoAnswer
            | CallStatus::Failed
            | CallStatus::Canceled => self.events.completed,
        }
    }
}

impl Call {
    /// The callback owed for the move to `status`, if subscribed; counts it in
    /// `SequenceNumber`.
    ///
    /// Parameters: the standard set, then `CallDuration` (terminal only; then `RecordingUrl`,
    /// `RecordingDuration`, `RecordingSid` for a recorded `<Dial>` child), `CallbackSource`,
    /// `SequenceNumber`, `Timestamp`.
    pub(crate) fn status_callback(
        &mut self,
        io: &Io,
        status: CallStatus,
    ) -> Option<StatusCallback> {
        let sub = self.callbacks.as_deref()?;
        if !sub.wants(status) {
            return None;
        }
        let url = sub.url.clone();
        let method = sub.method;
        let mut params = self.standard_params(status, 4);
        if status.is_terminal() {
            params.push("CallDuration", self.duration(io.now));
            if let Some(rec) = &self.recording {
                rec.push_params(&mut params, io.now);
            }
        }
        params.push("CallbackSource", "call-progress-events");
        params.push("SequenceNumber", u64::from(self.sequence));
        params.push("Timestamp", Value::Time(io.now));
        self.sequence += 1;
        Some(StatusCallback {
            call: self.sid,
            url,
            method,
            params,
        })
    }
}
