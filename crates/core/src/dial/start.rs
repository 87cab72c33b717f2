//! Starting a `<Dial>`: noun checks, answering the parent, creating the children.

use std::sync::Arc;

use dialtone_twiml::{Dial, DialNoun, Document, Verb};
use dialtone_types::{Address, CallStatus, Direction, Level, Sid, TwilioCode};

use super::{DialOutcome, DialState, MAX_NOUNS};
use crate::call::{Call, Wait};
use crate::engine::Engine;
use crate::exec::Flow;
use crate::lifecycle::prefixed;
use crate::output::{Output, StartLeg};
use crate::status_callback::CallbackSubscription;
use crate::timer::Timer;

/// Twilio's bounds for `<Dial timeout>`.
const TIMEOUT_RANGE: (u32, u32) = (5, 600);

impl Engine {
    pub(crate) fn exec_dial(
        &mut self,
        sid: Sid,
        doc: &Arc<Document>,
        index: usize,
        dial: &Dial,
    ) -> Flow {
        // Without answerOnBridge, Twilio answers the parent before anything is dialed.
        if !dial.answer_on_bridge {
            self.ensure_answered(sid);
        }
        let Some(call) = self.calls.get_mut(&sid) else {
            return Flow::Wait;
        };
        let caller_id: Arc<str> = dial
            .caller_id
            .as_deref()
            .map_or_else(|| Arc::clone(&call.from), Arc::from);
        let (account, pstn, base) = (call.account, call.pstn, call.program.url.clone());

        let mut candidates = Vec::new();
        for (i, noun) in dial.nouns.iter().enumerate() {
            let Ok(i) = u16::try_from(i) else { break };
            if let Err((code, message)) = self.check_noun(account, pstn, &caller_id, noun) {
                self.io
                    .notify(sid, code, Level::Error, message, base.clone(), None);
                continue;
            }
            if candidates.len() == MAX_NOUNS {
                self.io.notify(
                    sid,
                    TwilioCode::DIAL_INVALID_NESTED_ELEMENT,
                    Level::Warning,
                    format!("<Dial> rings at most {MAX_NOUNS} nouns; the others are ignored"),
                    base.clone(),
                    None,
                );
                break;
            }
            candidates.push(i);
        }

        if candidates.is_empty() {
            // Nothing rings, so nothing waits: the `action` request (or a later <Redirect>)
            // counts toward the loop guard, as a failing <Dial> may lead back to itself.
            let state = DialState {
                doc: Arc::clone(doc),
                verb: index,
                base,
                caller_id,
                candidates,
                next: 0,
                children: Vec::new(),
                winner: None,
                bridged: false,
                last: None,
                recording: None,
            };
            return self.dial_finished(sid, &state, &DialOutcome::failed_without_child());
        }

        let Some(call) = self.calls.get_mut(&sid) else {
            return Flow::Wait;
        };
        let first_wave = if dial.sequential { 1 } else { candidates.len() };
        call.dial = Some(Box::new(DialState {
            doc: Arc::clone(doc),
            verb: index,
            base,
            caller_id,
            candidates,
            next: 0,
            children: Vec::new(),
            winner: None,
            bridged: false,
            last: None,
            recording: None,
        }));
        call.wait = Wait::Dial;
        call.waited = true;
        call.arm_in(&mut self.io, Timer::Dial, dial_timeout(dial));
        let tone: Arc<str> = Arc::from(dial.ring_tone.as_deref().unwrap_or(DEFAULT_RING_TONE));
        self.io.push(Output::Ringback { call: sid, tone });
        self.start_dial_recording(sid, None);
        for _ in 0..first_wave {
            self.start_next_child(sid);
        }
        Flow::Wait
    }

    /// Why `noun` cannot be dialed from this parent, if it cannot.
    fn check_noun(
        &self,
        account: Sid,
        pstn: bool,
        caller_id: &str,
        noun: &DialNoun,
    ) -> Result<(), (TwilioCode, String)> {
        match noun {
            DialNoun::WhatsApp(_) => {
                if pstn {
                    return Err((
                        TwilioCode::DIAL_CALL_BLOCKED,
                        "<WhatsApp> cannot be dialed from a phone-network call: WhatsApp calls may not be bridged to the PSTN".to_owned(),
                    ));
                }
                let sender = caller_id.parse::<Address>().ok();
                if !sender.is_some_and(|a| self.is_voice_sender(account, &a)) {
                    return Err((
                        TwilioCode::WHATSAPP_INVALID_FROM,
                        "<Dial callerId> must be whatsapp: followed by a voice-enabled WhatsApp sender of the account".to_owned(),
                    ));
                }
                Ok(())
            }
            DialNoun::Client(c) if c.identity.is_empty() => Err((
                TwilioCode::DIAL_INVALID_NESTED_ELEMENT,
                "<Client> without an identity".to_owned(),
            )),
            DialNoun::Client(_) => Ok(()),
            DialNoun::Number(_) => Err((
                TwilioCode::DIAL_NUMBER_NOT_SUPPORTED,
                "<Number> is not supported: Dialtone has no phone-network legs".to_owned(),
            )),
            other => Err((
                TwilioCode::VERB_NOT_SUPPORTED,
                format!("<Dial><{}> is not supported by Dialtone", other.name()),
            )),
        }
    }

    /// Creates the child for the next candidate noun (`initiated`, `StartLeg`).
    pub(crate) fn start_next_child(&mut self, parent_sid: Sid) {
        let Some(parent) = self.calls.get_mut(&parent_sid) else {
            return;
        };
        let account = parent.account;
        let Some(dial) = parent.dial.as_deref_mut() else {
            return;
        };
        let Some(&noun_index) = dial.candidates.get(dial.next) else {
            return;
        };
        dial.next += 1;
        // A local handle on the document, so the noun can be read while the dial changes.
        let doc = Arc::clone(&dial.doc);
        let Some(Verb::Dial(spec)) = doc.verbs.get(dial.verb) else {
            return;
        };
        let (to, callback, parameters) = match spec.nouns.get(usize::from(noun_index)) {
            Some(DialNoun::WhatsApp(n)) => (
                prefixed("whatsapp:", n.number.as_str()),
                n.status_callback
                    .as_deref()
                    .map(|raw| (raw, n.status_callback_method, n.status_callback_events)),
                Vec::new(),
            ),
            Some(DialNoun::Client(c)) => (
                prefixed("client:", &c.identity),
                c.status_callback
                    .as_deref()
                    .map(|raw| (raw, c.status_callback_method, c.status_callback_events)),
                c.parameters.clone(),
            ),
            _ => return,
        };
        let sid = self.io.new_call_sid();
        dial.children.push(sid);
        let base = dial.base.clone();
        let mut child = Call::new(
            sid,
            account,
            Direction::OutboundDial,
            Arc::clone(&dial.caller_id),
            to,
            self.io.now,
        );
        child.parent = Some(parent_sid);
        child.noun = noun_index;
        child.time_limit_secs = spec.time_limit;
        if let Some((raw, method, events)) = callback
            && let Some(url) = self.resolve_url(sid, base.as_ref(), raw, "statusCallback URL")
        {
            child.callbacks = Some(Box::new(CallbackSubscription::new(url, method, events)));
        }
        child.set_status(&mut self.io, CallStatus::Initiated);
        self.io.push(Output::StartLeg(StartLeg {
            call: sid,
            parent: Some(parent_sid),
            from: Arc::clone(&child.from),
            to: Arc::clone(&child.to),
            parameters,
        }));
        tracing::debug!(parent = %parent_sid, child = %sid, "dial child started");
        self.calls.insert(sid, child);
    }
}

/// `timeout` clamped to Twilio's 5–600 s.
/// The ringback of a `<Dial>` without `ringTone` (UNCONFIRMED: Twilio may pick the dialed
/// country's tone; `us` is what its docs list first).
const DEFAULT_RING_TONE: &str = "us";

pub(crate) fn dial_timeout(dial: &Dial) -> u32 {
    dial.timeout.clamp(TIMEOUT_RANGE.0, TIMEOUT_RANGE.1)
}
