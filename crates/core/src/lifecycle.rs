//! How calls start, get answered and end, and how leg events are routed.
//!
//! Terminal statuses (see `docs/call-states.md`):
//! - the far end hangs up: `completed` if answered; else `canceled` (inbound: the caller gave
//!   up while the TwiML had not answered) or `no-answer` (a REST-created call);
//! - the engine hangs up (`<Hangup>`, end of document, time limit): `completed`;
//! - REST `Status=completed` on an unanswered call, or `Status=canceled`: `canceled`.

use std::sync::Arc;

use dialtone_twiml::{Context, Document};
use dialtone_types::{Address, CallStatus, Direction, Level, Sid, TwilioCode};

use crate::call::{Call, Program, Wait};
use crate::config::{CallSetup, TwimlSource};
use crate::engine::{Engine, Handled};
use crate::error::EngineError;
use crate::input::LegEvent;
use crate::output::{FetchPurpose, MediaCommand, MediaRequest, Output, StartLeg};
use crate::pacing::Pace;
use crate::status_callback::CallbackSubscription;
use crate::timer::Timer;

/// Which leg command ends a call the engine ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegEnd {
    /// The far end already hung up: nothing to send.
    Gone,
    /// `HangupLeg`.
    Hangup,
    /// `CancelLeg` (not answered yet).
    Cancel,
}

/// `addr` in Twilio's text form, built without the formatting machinery (hot path).
pub(crate) fn address_text(addr: &Address) -> Arc<str> {
    let (prefix, rest) = match addr {
        Address::Phone(n) => ("", n.as_str()),
        Address::Client(id) => ("client:", id.as_str()),
        Address::WhatsApp(n) => ("whatsapp:", n.as_str()),
        Address::Sip(uri) | Address::Text(uri) => ("", uri.as_str()),
    };
    prefixed(prefix, rest)
}

/// `prefix` + `rest` as shared text.
pub(crate) fn prefixed(prefix: &str, rest: &str) -> Arc<str> {
    let mut s = String::with_capacity(prefix.len() + rest.len());
    s.push_str(prefix);
    s.push_str(rest);
    Arc::from(s)
}

impl Engine {
    /// Creates a call from an inbound arrival or a REST create.
    pub(crate) fn start_call(&mut self, setup: CallSetup) -> Result<Sid, EngineError> {
        match setup.direction {
            Direction::OutboundDial => {
                return Err(EngineError::Unsupported(
                    "outbound-dial calls are created by <Dial>",
                ));
            }
            Direction::OutboundApi => match &setup.to {
                Address::Phone(_) => return Err(EngineError::PstnNotSupported),
                Address::Sip(_) => return Err(EngineError::Unsupported("SIP legs")),
                Address::WhatsApp(_) => {
                    if !self.is_voice_sender(setup.account, &setup.from) {
                        return Err(EngineError::InvalidWhatsAppFrom);
                    }
                }
                Address::Client(_) => {}
                Address::Text(_) => {
                    return Err(EngineError::Unsupported("a To that is not an address"));
                }
            },
            Direction::Inbound => {}
        }
        let inline = match &setup.app.twiml {
            TwimlSource::Inline(text) => Some(Self::parse_inline(text)?),
            TwimlSource::Url { .. } => None,
        };
        // Inbound calls are already there; only REST creates are paced.
        let pace = if setup.direction == Direction::OutboundApi {
            self.pacer.admit(setup.account, self.io.now)
        } else {
            Pace::Now
        };
        if let Pace::Full { retry_at } = pace {
            return Err(EngineError::QueueFull {
                queue: self.config.cps.map_or(0, |c| c.queue),
                retry_at,
            });
        }

        let sid = self.io.new_call_sid();
        let mut call = Call::new(
            sid,
            setup.account,
            setup.direction,
            address_text(&setup.from),
            address_text(&setup.to),
            self.io.now,
        );
        call.pstn = match setup.direction {
            Direction::Inbound => setup.from.is_pstn(),
            _ => setup.to.is_pstn(),
        };
        call.time_limit_secs = setup.time_limit_secs;
        call.application = setup.application_sid;
        if setup.direction == Direction::OutboundApi {
            call.record = setup.record.clone().map(Box::new);
        }
        call.called_and_caller = crate::sends_called_and_caller(
            setup.direction,
            &call.from,
            setup.application_sid.is_some(),
        );
        call.callbacks = setup
            .app
            .status_callback
            .as_ref()
            .map(|c| Box::new(CallbackSubscription::new(c.url.clone(), c.method, c.events)));
        call.app = Some(Arc::new(setup.app));
        let warnings = inline.map(|(doc, warnings)| {
            call.program = Program {
                doc: Some(doc),
                url: None,
                pc: 0,
            };
            warnings
        });
        tracing::debug!(%sid, direction = %setup.direction, "call started");
        self.calls.insert(sid, call);
        for d in warnings.unwrap_or_default() {
            self.io.notify(sid, d.code, d.level, d.message, None, None);
        }

        let Some(call) = self.calls.get_mut(&sid) else {
            return Ok(sid);
        };
        if setup.direction == Direction::Inbound {
            // The limit bounds the whole call, ringing included: TwiML that never answers
            // (pauses and redirects) still ends.
            call.arm_in(&mut self.io, Timer::TimeLimit, setup.time_limit_secs);
            call.set_status(&mut self.io, CallStatus::Ringing);
            self.begin_twiml(sid);
        } else {
            call.ring_secs = setup.timeout_secs;
            self.io.push(Output::CallUpdated(call.snapshot()));
            if pace == Pace::Wait {
                self.pacer.enqueue(setup.account, sid);
                tracing::debug!(%sid, "call queued for its account's CPS turn");
            } else {
                self.place(sid);
            }
        }
        Ok(sid)
    }

    /// A REST-created call's turn: `initiated`, its leg placed, the ring timeout armed.
    pub(crate) fn place(&mut self, sid: Sid) {
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        if call.status != CallStatus::Queued {
            return;
        }
        let ring = call.ring_secs;
        call.set_status(&mut self.io, CallStatus::Initiated);
        call.arm_in(&mut self.io, Timer::Ring, ring);
        self.io.push(Output::StartLeg(StartLeg {
            call: sid,
            parent: None,
            from: Arc::clone(&call.from),
            to: Arc::clone(&call.to),
            parameters: Vec::new(),
        }));
    }

    /// Parses inline TwiML (REST `Twiml`, 4000 characters at most).
    pub(crate) fn parse_inline(
        text: &str,
    ) -> Result<(Arc<Document>, Vec<dialtone_twiml::Diagnostic>), EngineError> {
        let parsed = dialtone_twiml::parse(text.as_bytes(), Context::Rest);
        if let Some(doc) = parsed.document {
            return Ok((Arc::new(doc), parsed.diagnostics));
        }
        let (code, message) = parsed.first_error().map_or_else(
            || (TwilioCode::PARSE_FAILURE, "unusable TwiML".to_owned()),
            |d| (d.code, d.message.clone()),
        );
        Err(EngineError::InvalidTwiml { code, message })
    }

    /// True when `from` is `whatsapp:` + a voice-enabled sender of `account`.
    pub(crate) fn is_voice_sender(&self, account: Sid, from: &Address) -> bool {
        let Address::WhatsApp(number) = from else {
            return false;
        };
        self.senders
            .get(&account)
            .is_some_and(|list| list.contains(number))
    }

    /// Starts the call's TwiML: the inline document, or a fetch of the voice URL.
    pub(crate) fn begin_twiml(&mut self, sid: Sid) {
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        if call.program.doc.is_some() {
            self.run(sid);
            return;
        }
        let Some(app) = call.app.clone() else {
            return;
        };
        match &app.twiml {
            TwimlSource::Url { url, method } => {
                self.request(sid, FetchPurpose::Twiml, url.clone(), *method, |_| {});
            }
            TwimlSource::Inline(text) => match Self::parse_inline(text) {
                Ok((doc, _)) => {
                    if let Some(call) = self.calls.get_mut(&sid) {
                        call.program = Program {
                            doc: Some(doc),
                            url: None,
                            pc: 0,
                        };
                    }
                    self.run(sid);
                }
                Err(e) => {
                    self.io
                        .notify(sid, e.code(), Level::Error, e.to_string(), None, None);
                    self.app_error(sid);
                }
            },
        }
    }

    /// Routes a leg event.
    pub(crate) fn on_leg_event(&mut self, sid: Sid, event: LegEvent) -> Handled {
        let Some(call) = self.calls.get(&sid) else {
            return Handled::Stale;
        };
        if !call.is_live() {
            return Handled::Stale;
        }
        let child = call.in_dial();
        match event {
            LegEvent::MediaFinished(id) => self.media_finished(sid, id),
            LegEvent::MediaFailed { id, code, message } => {
                self.media_failed(sid, id, code, message)
            }
            LegEvent::Digits(digits) => self.on_digits(sid, &digits),
            other if child => self.child_leg_event(sid, other),
            other => self.parent_leg_event(sid, other),
        }
    }

    fn parent_leg_event(&mut self, sid: Sid, event: LegEvent) -> Handled {
        let Some(call) = self.calls.get_mut(&sid) else {
            return Handled::Stale;
        };
        let placing = call.direction == Direction::OutboundApi && !call.is_answered();
        match event {
            LegEvent::Ringing if call.status == CallStatus::Initiated => {
                call.set_status(&mut self.io, CallStatus::Ringing);
                Handled::Applied
            }
            LegEvent::Answered if placing => {
                call.timers.stop(Timer::Ring);
                call.set_status(&mut self.io, CallStatus::InProgress);
                let limit = call.time_limit_secs;
                call.arm_in(&mut self.io, Timer::TimeLimit, limit);
                self.start_outbound_recording(sid);
                self.begin_twiml(sid);
                Handled::Applied
            }
            LegEvent::Busy | LegEvent::Rejected if placing => {
                call.set_status(&mut self.io, CallStatus::Busy);
                Handled::Applied
            }
            LegEvent::NoAnswer if placing => {
                call.set_status(&mut self.io, CallStatus::NoAnswer);
                Handled::Applied
            }
            LegEvent::Failed { code, message } if placing => {
                self.io.notify(sid, code, Level::Error, message, None, None);
                call.set_status(&mut self.io, CallStatus::Failed);
                Handled::Applied
            }
            LegEvent::Failed { .. } | LegEvent::HungUp => {
                let status = if call.is_answered() {
                    CallStatus::Completed
                } else if call.direction == Direction::Inbound {
                    CallStatus::Canceled
                } else {
                    CallStatus::NoAnswer
                };
                self.end_parent(sid, status, LegEnd::Gone);
                Handled::Applied
            }
            _ => Handled::Stale,
        }
    }

    /// Answers an inbound parent that is not answered yet (`AnswerLeg`, `in-progress`).
    pub(crate) fn ensure_answered(&mut self, sid: Sid) {
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        if call.is_answered() || call.in_dial() || !call.is_live() {
            return;
        }
        self.io.push(Output::AnswerLeg { call: sid });
        call.set_status(&mut self.io, CallStatus::InProgress);
    }

    /// Ends a parent call: tears down its `<Dial>` (requesting `action`, whose TwiML will be
    /// ignored), sends the leg command, and sets the terminal status.
    pub(crate) fn end_parent(&mut self, sid: Sid, status: CallStatus, leg: LegEnd) {
        let dial = self.calls.get_mut(&sid).and_then(|c| c.dial.take());
        let outcome = dial.map(|d| {
            let outcome = self.tear_down_dial(sid, &d);
            (d, outcome)
        });
        let recording = self.record_hung_up(sid);
        self.stop_call_streams(sid);
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        match leg {
            LegEnd::Gone => {}
            LegEnd::Hangup => self.io.push(Output::HangupLeg { call: sid }),
            LegEnd::Cancel => self.io.push(Output::CancelLeg { call: sid }),
        }
        call.set_status(&mut self.io, status);
        if let Some(recording) = recording {
            self.record_call_ended(sid, recording);
        }
        if let Some((dial, outcome)) = outcome {
            self.request_dial_action(sid, &dial, &outcome);
        }
    }

    /// The engine hangs up a call: a parent ends `completed`; a child ends (`completed` if
    /// answered) and its parent's `<Dial>` carries on.
    pub(crate) fn hangup_call(&mut self, sid: Sid) {
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        if !call.is_live() {
            return;
        }
        if call.in_dial() {
            let answered = call.is_answered();
            self.io.push(if answered {
                Output::HangupLeg { call: sid }
            } else {
                Output::CancelLeg { call: sid }
            });
            call.set_status(
                &mut self.io,
                if answered {
                    CallStatus::Completed
                } else {
                    CallStatus::Canceled
                },
            );
            self.child_ended(sid);
        } else {
            self.end_parent(sid, CallStatus::Completed, LegEnd::Hangup);
        }
    }

    /// A REST-created call rang for its whole `Timeout`.
    pub(crate) fn ring_timeout(&mut self, sid: Sid) {
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        if call.is_answered() {
            return;
        }
        self.io.push(Output::CancelLeg { call: sid });
        call.set_status(&mut self.io, CallStatus::NoAnswer);
    }

    /// `TimeLimit` (parent) or `<Dial timeLimit>` (child) reached.
    pub(crate) fn time_limit_reached(&mut self, sid: Sid) {
        tracing::debug!(%sid, "time limit reached");
        self.hangup_call(sid);
    }

    /// Twilio's "application error" message, then hang-up. A child (whisper) is hung up and
    /// not bridged.
    pub(crate) fn app_error(&mut self, sid: Sid) {
        self.ensure_answered(sid);
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        if !call.is_live() {
            return;
        }
        let id = self.io.next_media();
        call.wait = Wait::AppError(id);
        self.io.push(Output::Media(MediaRequest {
            call: sid,
            id,
            command: MediaCommand::ApplicationError,
        }));
    }

    /// The document ran out of verbs: a parent hangs up; a child's whisper accepted the call.
    pub(crate) fn document_ended(&mut self, sid: Sid) {
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        call.wait = Wait::Idle;
        if call.in_dial() {
            self.whisper_accepted(sid);
        } else {
            self.end_parent(sid, CallStatus::Completed, LegEnd::Hangup);
        }
    }
}
