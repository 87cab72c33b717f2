//! The state of one business-initiated WhatsApp call, from the `connect` request to the end.
//!
//! Order is decided by the call's phase: events can only move a call forward, so a `RINGING`
//! after the answer, or a `connect` retried after `terminate`, is stale. Timestamps tell a
//! duplicate (same event, same timestamp) from a stale event, and give the duration when Meta
//! omits `duration`. An answer is never dropped on timestamps alone: Meta's webhook senders are
//! separate machines with one-second timestamps.

use std::collections::VecDeque;

use dialtone_types::{TwilioCode, UnixMillis};

use super::Command;
use crate::error::{Failure, FailureReason};
use crate::graph::SdpType;
use crate::outcome::LegOutcome;
use crate::sdp;
use crate::webhook::{
    CallStatusKind, ConnectEvent, EventKind, StatusEvent, TerminateEvent, TerminateStatus,
};

/// How long an ended-by-us call waits for Meta's `terminate` webhook before it is dropped
/// (duplicates arriving meanwhile are absorbed).
pub const LINGER_MS: u64 = 60_000;

/// A `terminate` that failed transiently is sent again, up to this many attempts in all.
pub(super) const MAX_TERMINATE_ATTEMPTS: u8 = 3;

/// What became of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// The call moved (an outcome or a command may be waiting).
    Applied,
    /// Valid but informational (`ACCEPTED`, an unknown status): nothing to do.
    Ignored,
    /// The same event was already applied.
    Duplicate,
    /// The event came too late to matter (the call is past it).
    Stale,
    /// The event is about another call (or a user-initiated one).
    OtherCall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `connect` sent, no answer from Meta yet.
    Connecting,
    /// The engine ended the call while `connect` was in flight: terminate once the id is known.
    CancelPending,
    /// Meta created the call.
    Placed,
    /// `RINGING` received.
    Ringing,
    /// Meta's SDP answer applied.
    Answered,
    /// Reported to the engine as ended; waiting for Meta's `terminate` webhook.
    Closing,
    /// Done; everything else is stale.
    Ended,
}

/// One business-initiated call's tracker. See the module docs.
#[derive(Debug, Clone)]
pub struct CallTracker {
    phase: Phase,
    call_id: Option<String>,
    answer_deadline: UnixMillis,
    linger_until: Option<UnixMillis>,
    answered_at: Option<UnixMillis>,
    answered_ts: Option<u64>,
    applied: Vec<(EventTag, Option<u64>)>,
    terminate_attempts: u8,
    outcomes: VecDeque<LegOutcome>,
    commands: VecDeque<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventTag {
    Ringing,
    Rejected,
    Connect,
    Terminate,
}

impl CallTracker {
    /// A tracker for a `connect` sent at `now`; unanswered after `answer_timeout_ms` (the
    /// `<Dial timeout>`), the call is reported as no-answer and terminated.
    pub fn new(now: UnixMillis, answer_timeout_ms: u64) -> Self {
        Self {
            phase: Phase::Connecting,
            call_id: None,
            answer_deadline: now.plus_millis(answer_timeout_ms),
            linger_until: None,
            answered_at: None,
            answered_ts: None,
            applied: Vec::new(),
            terminate_attempts: 0,
            outcomes: VecDeque::new(),
            commands: VecDeque::new(),
        }
    }

    /// Meta's call id, once known.
    pub fn call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }

    /// Whether the tracker is done and can be dropped.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Ended && self.outcomes.is_empty() && self.commands.is_empty()
    }

    /// `connect` succeeded with `call_id`.
    pub fn handle_connect_response(&mut self, now: UnixMillis, call_id: &str) -> Handled {
        match self.phase {
            Phase::Connecting => {
                self.call_id = Some(call_id.to_owned());
                self.phase = Phase::Placed;
                Handled::Applied
            }
            Phase::CancelPending => {
                self.call_id = Some(call_id.to_owned());
                self.close(now);
                Handled::Applied
            }
            // A webhook (routed by opaque data) already told us the id.
            _ if self.call_id.as_deref() == Some(call_id) => Handled::Duplicate,
            _ => Handled::Stale,
        }
    }

    /// `connect` failed: the leg fails with the failure's code (unless the engine already
    /// ended it).
    pub fn handle_connect_failure(&mut self, failure: &Failure) -> Handled {
        match self.phase {
            Phase::Connecting => {
                self.outcomes.push_back(failure.leg_outcome());
                self.phase = Phase::Ended;
                Handled::Applied
            }
            Phase::CancelPending => {
                self.phase = Phase::Ended;
                Handled::Applied
            }
            _ => Handled::Stale,
        }
    }

    /// A `terminate` this tracker asked for was answered: `Ok` or the failure. Transient
    /// failures are retried; others are dropped (Meta refuses to terminate an ended call).
    pub fn handle_terminate_result(&mut self, result: Result<(), &Failure>) -> Handled {
        match (result, &self.call_id) {
            (Err(failure), Some(call_id))
                if failure.retriable()
                    && self.terminate_attempts < MAX_TERMINATE_ATTEMPTS
                    && self.phase == Phase::Closing =>
            {
                self.terminate_attempts += 1;
                self.commands.push_back(Command::Terminate {
                    call_id: call_id.clone(),
                });
                Handled::Applied
            }
            _ => Handled::Ignored,
        }
    }

    /// The engine ended the leg (parent hung up, canceled, `<Dial timeout>`, whisper
    /// `<Hangup>`...): terminate the WhatsApp call; no outcome is reported back.
    pub fn handle_hangup(&mut self, now: UnixMillis) -> Handled {
        match self.phase {
            Phase::Connecting => {
                self.phase = Phase::CancelPending;
                Handled::Applied
            }
            Phase::Placed | Phase::Ringing | Phase::Answered => {
                self.close(now);
                Handled::Applied
            }
            Phase::CancelPending | Phase::Closing | Phase::Ended => Handled::Stale,
        }
    }

    /// A webhook event (connect, terminate or status) that may be about this call.
    pub fn handle_event(&mut self, now: UnixMillis, event: &EventKind) -> Handled {
        let (call_id, tag, timestamp) = match event {
            EventKind::Connect(e) => (&e.call_id, EventTag::Connect, e.timestamp),
            EventKind::Terminate(e) => (&e.call_id, EventTag::Terminate, e.timestamp),
            EventKind::Status(e) => match e.status {
                CallStatusKind::Ringing => (&e.call_id, EventTag::Ringing, e.timestamp),
                CallStatusKind::Rejected => (&e.call_id, EventTag::Rejected, e.timestamp),
                CallStatusKind::Accepted | CallStatusKind::Other(_) => {
                    return self.informational(e);
                }
            },
            EventKind::PermissionReply(_)
            | EventKind::MessageStatus(_)
            | EventKind::Text(_)
            | EventKind::Errors(_) => return Handled::OtherCall,
        };
        if let EventKind::Connect(connect) = event
            && connect.direction == crate::webhook::CallDirection::UserInitiated
        {
            return Handled::OtherCall;
        }
        if !self.adopt(call_id) {
            return Handled::OtherCall;
        }
        if self.phase == Phase::CancelPending && tag != EventTag::Terminate {
            // The engine ended the call before Meta's id was known: end it now.
            self.close(now);
        }
        if self.phase == Phase::Ended && tag != EventTag::Terminate {
            return Handled::Stale;
        }
        if self.applied.contains(&(tag, timestamp)) {
            return Handled::Duplicate;
        }
        let handled = match event {
            EventKind::Connect(connect) => self.on_connect(now, connect),
            EventKind::Terminate(terminate) => self.on_terminate(now, terminate),
            _ if tag == EventTag::Ringing => self.on_ringing(),
            _ => self.on_rejected(now),
        };
        if handled == Handled::Applied {
            self.applied.push((tag, timestamp));
        }
        handled
    }

    /// Fires the answer deadline and the linger deadline when due.
    pub fn handle_timeout(&mut self, now: UnixMillis) {
        let unanswered = matches!(
            self.phase,
            Phase::Connecting | Phase::Placed | Phase::Ringing
        );
        if unanswered && now >= self.answer_deadline {
            self.outcomes.push_back(LegOutcome::NoAnswer);
            if self.phase == Phase::Connecting {
                self.phase = Phase::CancelPending;
            } else {
                self.close(now);
            }
        }
        if let Some(until) = self.linger_until
            && now >= until
            && self.phase == Phase::Closing
        {
            self.phase = Phase::Ended;
            self.linger_until = None;
        }
    }

    /// The next outcome for the engine.
    pub fn poll_outcome(&mut self) -> Option<LegOutcome> {
        self.outcomes.pop_front()
    }

    /// The next request to send to Meta.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.commands.pop_front()
    }

    /// When [`Self::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<UnixMillis> {
        match self.phase {
            Phase::Connecting | Phase::Placed | Phase::Ringing => Some(self.answer_deadline),
            Phase::Closing => self.linger_until,
            Phase::CancelPending | Phase::Answered | Phase::Ended => None,
        }
    }

    /// Takes the event's call id while ours is unknown (webhooks routed by
    /// `biz_opaque_callback_data` may beat the `connect` response); false for another call.
    fn adopt(&mut self, call_id: &str) -> bool {
        if let Some(ours) = &self.call_id {
            return ours == call_id;
        }
        self.call_id = Some(call_id.to_owned());
        if self.phase == Phase::Connecting {
            self.phase = Phase::Placed;
        }
        true
    }

    fn informational(&self, status: &StatusEvent) -> Handled {
        match &self.call_id {
            Some(ours) if *ours != status.call_id => Handled::OtherCall,
            _ => Handled::Ignored,
        }
    }

    fn on_ringing(&mut self) -> Handled {
        match self.phase {
            Phase::Placed => {
                self.phase = Phase::Ringing;
                self.outcomes.push_back(LegOutcome::Ringing);
                Handled::Applied
            }
            Phase::Ringing => Handled::Duplicate,
            _ => Handled::Stale,
        }
    }

    fn on_rejected(&mut self, now: UnixMillis) -> Handled {
        match self.phase {
            Phase::Placed | Phase::Ringing => {
                self.outcomes.push_back(LegOutcome::Rejected);
                self.phase = Phase::Closing;
                self.linger_until = Some(now.plus_millis(LINGER_MS));
                Handled::Applied
            }
            _ => Handled::Stale,
        }
    }

    fn on_connect(&mut self, now: UnixMillis, connect: &ConnectEvent) -> Handled {
        if !matches!(self.phase, Phase::Placed | Phase::Ringing) {
            return match self.phase {
                Phase::Answered => Handled::Duplicate,
                _ => Handled::Stale,
            };
        }
        let checked = match &connect.session {
            Some(session) if session.sdp_type == SdpType::Answer => {
                sdp::check(&session.sdp, SdpType::Answer)
                    .map(|_| session.sdp.clone())
                    .map_err(|error| error.to_string())
            }
            Some(_) => Err("WhatsApp sent an SDP offer where an answer was expected".to_owned()),
            None => Err("WhatsApp connect webhook without an SDP answer".to_owned()),
        };
        match checked {
            Ok(sdp_answer) => {
                self.phase = Phase::Answered;
                self.answered_at = Some(now);
                self.answered_ts = connect.timestamp;
                self.outcomes.push_back(LegOutcome::Answered { sdp_answer });
            }
            Err(message) => {
                self.outcomes.push_back(LegOutcome::Failed {
                    code: TwilioCode::INTERNAL_FAILURE,
                    message,
                });
                self.close(now);
            }
        }
        Handled::Applied
    }

    fn on_terminate(&mut self, now: UnixMillis, terminate: &TerminateEvent) -> Handled {
        let outcome = match self.phase {
            Phase::Ended => return Handled::Duplicate,
            Phase::Closing | Phase::CancelPending => None,
            Phase::Answered => Some(LegOutcome::HungUp {
                duration_secs: self.duration(now, terminate),
            }),
            Phase::Connecting | Phase::Placed | Phase::Ringing => Some(unanswered_end(terminate)),
        };
        self.outcomes.extend(outcome);
        self.phase = Phase::Ended;
        self.linger_until = None;
        Handled::Applied
    }

    /// Meta's `duration`, else `end_time − start_time`, else the time since the answer.
    fn duration(&self, now: UnixMillis, terminate: &TerminateEvent) -> u64 {
        terminate
            .duration
            .or_else(|| Some(terminate.end_time?.saturating_sub(terminate.start_time?)))
            .or_else(|| Some(terminate.timestamp?.saturating_sub(self.answered_ts?)))
            .unwrap_or_else(|| {
                self.answered_at
                    .map_or(0, |answered| now.whole_seconds_since(answered))
            })
    }

    /// Ends the call from our side: terminate at Meta, then wait for its webhook a while.
    fn close(&mut self, now: UnixMillis) {
        if let Some(call_id) = &self.call_id {
            self.terminate_attempts = 1;
            self.commands.push_back(Command::Terminate {
                call_id: call_id.clone(),
            });
        }
        self.phase = Phase::Closing;
        self.linger_until = Some(now.plus_millis(LINGER_MS));
    }
}

/// How a call Meta ended before we saw its answer is reported.
fn unanswered_end(terminate: &TerminateEvent) -> LegOutcome {
    if let Some(error) = terminate.errors.first() {
        return Failure::from_graph(0, error).leg_outcome();
    }
    match terminate.status {
        TerminateStatus::Failed => Failure::new(
            FailureReason::Unknown,
            "WhatsApp reported the call as failed".to_owned(),
            None,
        )
        .leg_outcome(),
        // Picked up, but the connect webhook with the answer never arrived before the end.
        _ if terminate.was_answered() => Failure::new(
            FailureReason::ConnectTimeout,
            "WhatsApp call ended before its SDP answer arrived".to_owned(),
            None,
        )
        .leg_outcome(),
        // Meta reports unanswered calls as completed without start_time/duration.
        _ => LegOutcome::NoAnswer,
    }
}
