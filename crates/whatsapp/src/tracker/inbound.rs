//! The state of one user-initiated WhatsApp call: Meta's offer arrives in a `connect` webhook,
//! the business answers with `pre_accept` (so ICE/DTLS can start while TwiML runs), then
//! `accept` with the same SDP when the engine answers, or `reject`; the call ends with Meta's
//! `terminate` webhook or our `terminate`. Media may flow only once `accept` succeeded (earlier
//! media makes the WhatsApp client start the call timer), which is what
//! [`LegOutcome::Answered`] signals here.

use std::collections::VecDeque;

use dialtone_types::UnixMillis;

use super::Command;
use super::call::{Handled, LINGER_MS, MAX_TERMINATE_ATTEMPTS};
use crate::error::Failure;
use crate::graph::SdpType;
use crate::outcome::LegOutcome;
use crate::sdp::{self, SdpError};
use crate::webhook::{CallDirection, ConnectEvent, EventKind, TerminateEvent};

/// Why a `connect` webhook cannot start an inbound call (answer it with `reject`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// The event is a business-initiated call's answer, not a user's call.
    #[error("connect webhook is not user-initiated")]
    NotUserInitiated,
    /// No `session` with `sdp_type: offer`.
    #[error("connect webhook without an SDP offer")]
    NoOffer,
    /// Meta's offer does not fit the WebRTC profile.
    #[error(transparent)]
    Sdp(#[from] SdpError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Offer received; no answer SDP yet.
    Offered,
    /// `pre_accept` sent.
    PreAccepting,
    /// `pre_accept` succeeded.
    PreAccepted,
    /// `accept` sent.
    Accepting,
    /// `accept` succeeded: the call is up.
    Accepted,
    /// `reject`/`terminate` sent or a failure reported; waiting for Meta's `terminate`.
    Closing,
    /// Done.
    Ended,
}

/// One user-initiated call's tracker.
#[derive(Debug, Clone)]
pub struct InboundTracker {
    call_id: String,
    phase: Phase,
    sdp_answer: Option<String>,
    accept_wanted: bool,
    accepted_at: Option<UnixMillis>,
    linger_until: Option<UnixMillis>,
    terminate_attempts: u8,
    outcomes: VecDeque<LegOutcome>,
    commands: VecDeque<Command>,
}

impl InboundTracker {
    /// A tracker for a user's call announced by `connect`; Meta's offer is checked.
    pub fn from_connect(connect: &ConnectEvent) -> Result<Self, InboundError> {
        if connect.direction == CallDirection::BusinessInitiated {
            return Err(InboundError::NotUserInitiated);
        }
        let offer = connect
            .session
            .as_ref()
            .filter(|session| session.sdp_type == SdpType::Offer)
            .ok_or(InboundError::NoOffer)?;
        sdp::check(&offer.sdp, SdpType::Offer)?;
        Ok(Self {
            call_id: connect.call_id.clone(),
            phase: Phase::Offered,
            sdp_answer: None,
            accept_wanted: false,
            accepted_at: None,
            linger_until: None,
            terminate_attempts: 0,
            outcomes: VecDeque::new(),
            commands: VecDeque::new(),
        })
    }

    /// Meta's call id.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// Whether the tracker is done and can be dropped.
    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Ended && self.outcomes.is_empty() && self.commands.is_empty()
    }

    /// The media leg produced our SDP answer: `pre_accept` it (or `accept` at once when the
    /// engine already answered).
    pub fn handle_local_answer(&mut self, sdp_answer: &str) -> Result<Handled, SdpError> {
        if self.phase != Phase::Offered {
            return Ok(Handled::Stale);
        }
        let sdp_answer = sdp::to_crlf(sdp_answer);
        sdp::check(&sdp_answer, SdpType::Answer)?;
        self.sdp_answer = Some(sdp_answer.clone());
        let call_id = self.call_id.clone();
        if self.accept_wanted {
            self.phase = Phase::Accepting;
            self.commands.push_back(Command::Accept {
                call_id,
                sdp_answer,
            });
        } else {
            self.phase = Phase::PreAccepting;
            self.commands.push_back(Command::PreAccept {
                call_id,
                sdp_answer,
            });
        }
        Ok(Handled::Applied)
    }

    /// The answer to `pre_accept`.
    pub fn handle_pre_accept_result(
        &mut self,
        now: UnixMillis,
        result: Result<(), &Failure>,
    ) -> Handled {
        if self.phase != Phase::PreAccepting {
            return Handled::Stale;
        }
        match result {
            Ok(()) => {
                self.phase = Phase::PreAccepted;
                if self.accept_wanted {
                    self.send_accept();
                }
            }
            Err(failure) => self.fail(now, failure, false),
        }
        Handled::Applied
    }

    /// The engine answers the call (TwiML started): `accept` as soon as the answer is ready.
    pub fn handle_accept(&mut self) -> Handled {
        match self.phase {
            Phase::Offered | Phase::PreAccepting if !self.accept_wanted => {
                self.accept_wanted = true;
                Handled::Applied
            }
            Phase::PreAccepted => {
                self.accept_wanted = true;
                self.send_accept();
                Handled::Applied
            }
            _ => Handled::Stale,
        }
    }

    /// The answer to `accept`: on success the call is up and media may flow.
    pub fn handle_accept_result(
        &mut self,
        now: UnixMillis,
        result: Result<(), &Failure>,
    ) -> Handled {
        if self.phase != Phase::Accepting {
            return Handled::Stale;
        }
        match result {
            Ok(()) => {
                self.phase = Phase::Accepted;
                self.accepted_at = Some(now);
                self.outcomes.push_back(LegOutcome::Answered {
                    sdp_answer: self.sdp_answer.clone().unwrap_or_default(),
                });
            }
            Err(failure) => self.fail(now, failure, true),
        }
        Handled::Applied
    }

    /// The engine ends the call (`<Reject>`, `<Hangup>`, REST, parent logic): `reject` before
    /// it was accepted, `terminate` after. No outcome is reported back.
    pub fn handle_hangup(&mut self, now: UnixMillis) -> Handled {
        let command = match self.phase {
            Phase::Offered | Phase::PreAccepting | Phase::PreAccepted => Command::Reject {
                call_id: self.call_id.clone(),
            },
            Phase::Accepting | Phase::Accepted => {
                self.terminate_attempts = 1;
                Command::Terminate {
                    call_id: self.call_id.clone(),
                }
            }
            Phase::Closing | Phase::Ended => return Handled::Stale,
        };
        self.commands.push_back(command);
        self.close(now);
        Handled::Applied
    }

    /// The answer to a `terminate` this tracker asked for; transient failures are retried.
    pub fn handle_terminate_result(&mut self, result: Result<(), &Failure>) -> Handled {
        match result {
            Err(failure)
                if failure.retriable()
                    && self.terminate_attempts > 0
                    && self.terminate_attempts < MAX_TERMINATE_ATTEMPTS
                    && self.phase == Phase::Closing =>
            {
                self.terminate_attempts += 1;
                self.commands.push_back(Command::Terminate {
                    call_id: self.call_id.clone(),
                });
                Handled::Applied
            }
            _ => Handled::Ignored,
        }
    }

    /// A webhook event: Meta's `terminate` ends the call; a repeated `connect` is a duplicate.
    pub fn handle_event(&mut self, now: UnixMillis, event: &EventKind) -> Handled {
        match event {
            EventKind::Connect(connect) if connect.call_id == self.call_id => Handled::Duplicate,
            EventKind::Terminate(terminate) if terminate.call_id == self.call_id => {
                self.on_terminate(now, terminate)
            }
            EventKind::Status(status) if status.call_id == self.call_id => Handled::Ignored,
            _ => Handled::OtherCall,
        }
    }

    /// Ends the linger period when due.
    pub fn handle_timeout(&mut self, now: UnixMillis) {
        if self.phase == Phase::Closing && self.linger_until.is_some_and(|until| now >= until) {
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

    /// When [`Self::handle_timeout`] should next be called (Meta enforces the accept window
    /// itself and reports it with a `terminate` webhook).
    pub fn poll_timeout(&self) -> Option<UnixMillis> {
        self.linger_until.filter(|_| self.phase == Phase::Closing)
    }

    fn send_accept(&mut self) {
        if let Some(sdp_answer) = self.sdp_answer.clone() {
            self.phase = Phase::Accepting;
            self.commands.push_back(Command::Accept {
                call_id: self.call_id.clone(),
                sdp_answer,
            });
        }
    }

    /// `pre_accept`/`accept` refused: report it and let go of the call at Meta.
    fn fail(&mut self, now: UnixMillis, failure: &Failure, accepting: bool) {
        self.outcomes.push_back(failure.leg_outcome());
        let call_id = self.call_id.clone();
        self.commands.push_back(if accepting {
            self.terminate_attempts = 1;
            Command::Terminate { call_id }
        } else {
            Command::Reject { call_id }
        });
        self.close(now);
    }

    fn close(&mut self, now: UnixMillis) {
        self.phase = Phase::Closing;
        self.linger_until = Some(now.plus_millis(LINGER_MS));
    }

    fn on_terminate(&mut self, now: UnixMillis, terminate: &TerminateEvent) -> Handled {
        match self.phase {
            Phase::Ended => return Handled::Duplicate,
            Phase::Closing => {}
            Phase::Accepted => {
                let measured = self
                    .accepted_at
                    .map_or(0, |accepted| now.whole_seconds_since(accepted));
                self.outcomes.push_back(LegOutcome::HungUp {
                    duration_secs: terminate.duration.unwrap_or(measured),
                });
            }
            // The user gave up (or Meta's accept window passed) before the call was accepted.
            Phase::Offered | Phase::PreAccepting | Phase::PreAccepted | Phase::Accepting => {
                self.outcomes
                    .push_back(LegOutcome::HungUp { duration_secs: 0 });
            }
        }
        self.phase = Phase::Ended;
        self.linger_until = None;
        Handled::Applied
    }
}
