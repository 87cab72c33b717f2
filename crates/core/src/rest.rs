//! REST updates of a live call (`POST /Calls/{Sid}.json`).
//!
//! - `Url`/`Twiml` redirect a parent: whatever it was doing stops (media, gather, pause; a
//!   `<Dial>` is left without `action`, its children `canceled`/`completed`) and the new
//!   document runs. A REST-created call not answered yet keeps ringing and will run the new
//!   document once answered.
//! - `Url`/`Twiml` on an answered `<Dial>` child take it out of the dial: it is unbridged (or
//!   its whisper stops) and runs the new document on its own leg, as an independent call that
//!   keeps its `ParentCallSid`; the parent's dial ends, `completed` without
//!   `DialCallDuration` (its `action`, or its next verb). A child not answered yet is 21220.
//! - `Status=completed` hangs up (an unanswered call ends `canceled`).
//! - `Status=canceled` cancels an unanswered call; on an answered one it is 21220.
//! - `FallbackUrl`, `StatusCallback`, `TimeLimit` (and their methods) apply from then on (see
//!   [`CallSettings`]); the runtime sends them before a redirect or status in the same update,
//!   so a `StatusCallback` given with `Status=completed` receives the `completed` event.
//! - Any update of a call that already ended is 21220 while the engine still holds it; calls
//!   the engine dropped are `UnknownCall` (the API layer answers 21220 if its store knows it).

use std::sync::Arc;

use dialtone_twiml::StatusCallbackEvents;
use dialtone_types::{CallStatus, Direction, Sid};

use crate::call::{Program, Wait};
use crate::config::TwimlSource;
use crate::engine::{Engine, Handled};
use crate::error::EngineError;
use crate::input::{CallSettings, RestCommand};
use crate::lifecycle::LegEnd;
use crate::output::{FetchPurpose, Output};
use crate::status_callback::CallbackSubscription;
use crate::timer::Timer;

impl Engine {
    pub(crate) fn on_rest(
        &mut self,
        sid: Sid,
        command: RestCommand,
    ) -> Result<Handled, EngineError> {
        let Some(call) = self.calls.get(&sid) else {
            return Err(EngineError::UnknownCall(sid));
        };
        let action = match command {
            RestCommand::RedirectUrl { .. } | RestCommand::RedirectTwiml(_) => "redirected",
            RestCommand::Complete => "completed",
            RestCommand::Cancel => "canceled",
            RestCommand::Settings(_) => "updated",
        };
        let invalid = EngineError::InvalidState {
            sid,
            status: call.status,
            action,
        };
        if !call.is_live() {
            return Err(invalid);
        }
        let answered = call.is_answered();
        let child = call.in_dial();
        match command {
            RestCommand::Settings(settings) => {
                self.apply_settings(sid, &settings);
                Ok(Handled::Applied)
            }
            RestCommand::Cancel if answered => Err(invalid),
            RestCommand::Cancel | RestCommand::Complete => {
                if self.pacer.remove(call.account, sid) {
                    // Canceled before its CPS turn: no leg was placed.
                    self.end_parent(sid, CallStatus::Canceled, LegEnd::Gone);
                } else if child {
                    self.hangup_call(sid);
                } else if answered {
                    self.end_parent(sid, CallStatus::Completed, LegEnd::Hangup);
                } else {
                    let leg = if call.direction == Direction::OutboundApi {
                        LegEnd::Cancel
                    } else {
                        LegEnd::Hangup
                    };
                    self.end_parent(sid, CallStatus::Canceled, leg);
                }
                Ok(Handled::Applied)
            }
            RestCommand::RedirectUrl { .. } | RestCommand::RedirectTwiml(_)
                if child && !answered =>
            {
                Err(invalid)
            }
            RestCommand::RedirectUrl { url, method } => {
                if self.placing(sid) {
                    self.replace_app_twiml(sid, TwimlSource::Url { url, method });
                } else {
                    self.interrupt(sid);
                    self.request(sid, FetchPurpose::Redirect, url, method, |_| {});
                }
                Ok(Handled::Applied)
            }
            RestCommand::RedirectTwiml(text) => {
                let (doc, warnings) = Self::parse_inline(&text)?;
                for d in warnings {
                    self.io.notify(sid, d.code, d.level, d.message, None, None);
                }
                if self.placing(sid) {
                    self.replace_app_twiml(sid, TwimlSource::Inline(Arc::from(text)));
                    if let Some(call) = self.calls.get_mut(&sid) {
                        call.program = Program {
                            doc: Some(doc),
                            url: None,
                            pc: 0,
                        };
                    }
                } else {
                    self.interrupt(sid);
                    if let Some(call) = self.calls.get_mut(&sid) {
                        call.program = Program {
                            doc: Some(doc),
                            url: None,
                            pc: 0,
                        };
                    }
                    self.run(sid);
                }
                Ok(Handled::Applied)
            }
        }
    }

    /// `FallbackUrl`, `StatusCallback`, `TimeLimit` (and their methods) from now on.
    fn apply_settings(&mut self, sid: Sid, settings: &CallSettings) {
        let callback_url = settings.status_callback.clone();
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        if let Some(app) = call.app.as_mut() {
            let current = app.fallback.as_ref().map(|(_, m)| *m);
            let fallback = match (
                &settings.fallback_url,
                settings.fallback_method,
                &app.fallback,
            ) {
                (Some(url), method, _) => {
                    Some((url.clone(), method.or(current).unwrap_or_default()))
                }
                (None, Some(method), Some((url, _))) => Some((url.clone(), method)),
                (None, _, _) => None,
            };
            if let Some(fallback) = fallback {
                Arc::make_mut(app).fallback = Some(fallback);
            }
        }
        match (callback_url, call.callbacks.as_deref_mut()) {
            (Some(url), Some(sub)) => {
                sub.url = url;
                sub.method = settings.status_callback_method.unwrap_or(sub.method);
            }
            (Some(url), None) => {
                let method = settings.status_callback_method.unwrap_or_default();
                call.callbacks = Some(Box::new(CallbackSubscription::new(
                    url,
                    method,
                    StatusCallbackEvents::NONE,
                )));
            }
            (None, Some(sub)) => {
                sub.method = settings.status_callback_method.unwrap_or(sub.method);
            }
            (None, None) => {}
        }
        if let Some(limit) = settings.time_limit_secs {
            call.time_limit_secs = limit;
            // Inbound parents count from their arrival; the others from their answer.
            let start = if call.direction == Direction::Inbound {
                Some(call.created)
            } else {
                call.answered
            };
            if let Some(start) = start {
                let at = start.plus_millis(u64::from(limit) * 1000).max(self.io.now);
                call.arm(&mut self.io, Timer::TimeLimit, at);
            }
        }
    }

    /// A REST-created call still being placed (not answered).
    fn placing(&self, sid: Sid) -> bool {
        self.calls
            .get(&sid)
            .is_some_and(|c| c.direction == Direction::OutboundApi && !c.is_answered())
    }

    fn replace_app_twiml(&mut self, sid: Sid, twiml: TwimlSource) {
        if let Some(call) = self.calls.get_mut(&sid)
            && let Some(app) = call.app.as_mut()
        {
            Arc::make_mut(app).twiml = twiml;
            call.program = Program::default();
        }
    }

    /// Stops whatever the call is doing, before a redirect; a `<Dial>` child leaves its dial.
    fn interrupt(&mut self, sid: Sid) {
        self.abort_dial(sid);
        self.record_interrupted(sid);
        if let Some(stream) = self.connect_stream(sid) {
            self.stop_stream(stream);
        }
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        let playing = match &call.wait {
            Wait::Media(id) | Wait::AppError(id) => Some(*id),
            Wait::Gather(run) => run.media,
            _ => None,
        };
        if let Some(id) = playing {
            self.io.push(Output::StopMedia { call: sid, id });
        }
        call.timers.stop(Timer::Pause);
        call.timers.stop(Timer::Gather);
        call.timers.stop(Timer::Record);
        call.fetch = None;
        call.loop_steps = 0;
        call.wait = Wait::Idle;
        self.detach_child(sid);
    }
}
