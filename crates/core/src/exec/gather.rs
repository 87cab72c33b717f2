//! `<Gather>`: DTMF digits with optional prompts.
//!
//! The nested `<Say>`/`<Play>`/`<Pause>` play in order; the first digit interrupts them
//! (`StopMedia`). After the prompts, and after each digit, the caller has `timeout` seconds
//! for the next one. The gather ends on `finishOnKey` (not included in `Digits`, reported as
//! `FinishedOnKey`), on `numDigits`, or on timeout. A non-empty result (or any result with
//! `actionOnEmptyResult`) is sent to `action` (default: the current document URL) with
//! `Digits`; an empty one falls through to the next verb. Speech input is not supported:
//! a warning, and digits are still collected.

use std::sync::Arc;

use dialtone_twiml::{Document, Gather, GatherChild, Verb};
use dialtone_types::{Level, Sid, TwilioCode};

use super::Flow;
use super::say::say_command;
use crate::call::Wait;
use crate::engine::Engine;
use crate::output::{FetchPurpose, MediaId, MediaRequest, Output};
use crate::params::Value;
use crate::timer::Timer;

/// A `<Gather>` in progress.
#[derive(Debug)]
pub(crate) struct GatherRun {
    /// Index of the `<Gather>` in the call's document.
    verb: usize,
    /// Next prompt to play.
    prompt: usize,
    /// Still playing prompts (no digit yet).
    prompting: bool,
    /// The prompt media playing now.
    pub(crate) media: Option<MediaId>,
    /// Digits so far.
    digits: String,
}

fn gather_at(doc: &Document, index: usize) -> Option<&Gather> {
    match doc.verbs.get(index) {
        Some(Verb::Gather(g)) => Some(g),
        _ => None,
    }
}

fn is_dtmf(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D')
}

impl Engine {
    pub(crate) fn exec_gather(&mut self, sid: Sid, index: usize, gather: &Gather) -> Flow {
        self.ensure_answered(sid);
        if gather.input.speech {
            let url = self.doc_url(sid);
            self.io.notify(
                sid,
                TwilioCode::VERB_NOT_SUPPORTED,
                Level::Warning,
                "<Gather input=\"speech\"> is not supported; collecting DTMF digits only",
                url,
                None,
            );
        }
        let Some(call) = self.calls.get_mut(&sid) else {
            return Flow::Wait;
        };
        call.waited = true;
        call.wait = Wait::Gather(Box::new(GatherRun {
            verb: index,
            prompt: 0,
            prompting: true,
            media: None,
            digits: String::new(),
        }));
        self.gather_next_prompt(sid);
        Flow::Wait
    }

    /// Plays the next prompt, or starts waiting for digits after the last one.
    pub(crate) fn gather_next_prompt(&mut self, sid: Sid) {
        loop {
            let Some(call) = self.calls.get_mut(&sid) else {
                return;
            };
            let Some(doc) = call.program.doc.clone() else {
                return;
            };
            let Wait::Gather(run) = &mut call.wait else {
                return;
            };
            let Some(gather) = gather_at(&doc, run.verb) else {
                return;
            };
            if !run.prompting {
                return;
            }
            let Some(child) = gather.children.get(run.prompt) else {
                run.prompting = false;
                call.arm_in(&mut self.io, Timer::Gather, gather.timeout);
                return;
            };
            run.prompt += 1;
            let command = match child {
                GatherChild::Say(say) => say_command(say),
                GatherChild::Play(play) => match self.play_command(sid, play) {
                    Some(command) => command,
                    None => continue,
                },
                GatherChild::Pause(pause) => {
                    if pause.length > 0 {
                        call.arm_in(&mut self.io, Timer::Pause, pause.length);
                        return;
                    }
                    continue;
                }
            };
            let id = self.io.next_media();
            if let Some(call) = self.calls.get_mut(&sid)
                && let Wait::Gather(run) = &mut call.wait
            {
                run.media = Some(id);
            }
            self.io.push(Output::Media(MediaRequest {
                call: sid,
                id,
                command,
            }));
            return;
        }
    }

    /// Digits pressed during a `<Gather>`.
    pub(crate) fn gather_digits(&mut self, sid: Sid, digits: &str) {
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        let Some(doc) = call.program.doc.clone() else {
            return;
        };
        let Wait::Gather(run) = &mut call.wait else {
            return;
        };
        let Some(gather) = gather_at(&doc, run.verb) else {
            return;
        };
        let mut finished = None;
        for c in digits.chars().filter(|c| is_dtmf(*c)) {
            if gather.finish_on_key.contains(c) {
                finished = Some(Some(c));
                break;
            }
            run.digits.push(c);
            let max = gather.num_digits.map_or(usize::MAX, |n| n as usize);
            if run.digits.len() >= max {
                finished = Some(None);
                break;
            }
        }
        if (run.prompting && !run.digits.is_empty()) || finished.is_some() {
            // Barge-in: the first key stops the prompts.
            run.prompting = false;
            if let Some(id) = run.media.take() {
                self.io.push(Output::StopMedia { call: sid, id });
            }
            call.timers.stop(Timer::Pause);
        }
        match finished {
            Some(key) => self.gather_finish(sid, key),
            None if !run.prompting => call.arm_in(&mut self.io, Timer::Gather, gather.timeout),
            None => {}
        }
    }

    /// No digit in time.
    pub(crate) fn gather_timeout(&mut self, sid: Sid) {
        if self
            .calls
            .get(&sid)
            .is_some_and(|c| matches!(c.wait, Wait::Gather(_)))
        {
            self.gather_finish(sid, None);
        }
    }

    /// Ends the gather: submit to `action`, or fall through on an empty result.
    fn gather_finish(&mut self, sid: Sid, key: Option<char>) {
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        let Some(doc) = call.program.doc.clone() else {
            return;
        };
        let Wait::Gather(run) = std::mem::take(&mut call.wait) else {
            return;
        };
        call.timers.stop(Timer::Gather);
        call.timers.stop(Timer::Pause);
        let Some(gather) = gather_at(&doc, run.verb) else {
            return;
        };
        if run.digits.is_empty() && !gather.action_on_empty_result {
            self.run(sid);
            return;
        }
        let url = match gather.action.as_deref() {
            Some(raw) => self.resolve(sid, raw),
            None => self.calls.get(&sid).and_then(|c| c.program.url.clone()),
        };
        let Some(url) = url else {
            // Inline TwiML has no URL to post the digits to.
            self.io.notify(
                sid,
                TwilioCode::INVALID_URL,
                Level::Warning,
                "<Gather> has no action and the document has no URL; digits dropped",
                None,
                None,
            );
            self.run(sid);
            return;
        };
        let digits: Arc<str> = Arc::from(run.digits);
        self.request(sid, FetchPurpose::Action, url, gather.method, |p| {
            p.push("Digits", Value::Text(digits));
            if let Some(k) = key {
                p.push("FinishedOnKey", Value::Text(Arc::from(k.to_string())));
            }
        });
    }
}
