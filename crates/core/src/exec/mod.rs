//! The TwiML executor: runs a call's document verb by verb until one has to wait.
//!
//! One file per verb. Each executor returns [`Flow::Next`] (go on with the next verb) or
//! [`Flow::Wait`] (a fetch, a media command, a timer or a `<Dial>` will resume the call).
//! Waiting verbs that involve the caller reset the `<Redirect>` loop counter.

pub(crate) mod gather;
mod hangup;
mod pause;
mod play;
mod record;
mod redirect;
mod reject;
mod say;
mod stream;
mod unsupported;

use dialtone_twiml::{Method, Verb};
use dialtone_types::{Level, Sid, TwilioCode, UrlError, WebUrl};

use crate::call::Wait;
use crate::engine::{Engine, Handled};
use crate::output::{MediaCommand, MediaId, MediaRequest, Output};

/// What the executor does after a verb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Run the next verb now.
    Next,
    /// Stop: something will resume the call.
    Wait,
}

/// Verbs a whisper document may use (`<Number url>`, `<WhatsApp url>`).
fn allowed_in_whisper(verb: &Verb) -> bool {
    matches!(
        verb,
        Verb::Say(_) | Verb::Play(_) | Verb::Gather(_) | Verb::Hangup(_)
    )
}

impl Engine {
    /// Runs `sid`'s document from its program counter.
    pub(crate) fn run(&mut self, sid: Sid) {
        loop {
            let Some(call) = self.calls.get_mut(&sid) else {
                return;
            };
            if !call.is_live() {
                return;
            }
            let Some(doc) = call.program.doc.clone() else {
                return;
            };
            let index = call.program.pc;
            let Some(verb) = doc.verbs.get(index) else {
                self.document_ended(sid);
                return;
            };
            call.program.pc += 1;
            if call.in_dial() && !allowed_in_whisper(verb) {
                let code = if matches!(verb, Verb::Dial(_)) {
                    TwilioCode::DIAL_IN_DIAL_SEGMENT
                } else {
                    TwilioCode::SCHEMA_WARNING
                };
                let message = format!(
                    "<{}> is not allowed in a whisper document; skipped",
                    verb.name()
                );
                let url = call.program.url.clone();
                self.io
                    .notify(sid, code, Level::Warning, message, url, None);
                continue;
            }
            let flow = match verb {
                Verb::Say(say) => self.exec_say(sid, say),
                Verb::Play(play) => self.exec_play(sid, play),
                Verb::Pause(pause) => self.exec_pause(sid, pause),
                Verb::Gather(gather) => self.exec_gather(sid, index, gather),
                Verb::Hangup(_) => self.exec_hangup(sid),
                Verb::Reject(reject) => self.exec_reject(sid, reject),
                Verb::Redirect(redirect) => self.exec_redirect(sid, redirect),
                Verb::Dial(dial) => self.exec_dial(sid, &doc, index, dial),
                Verb::Record(record) => self.exec_record(sid, record),
                Verb::Connect(connect) => self.exec_connect(sid, connect),
                Verb::Start(start) => self.exec_start(sid, start),
                Verb::Stop(stop) => self.exec_stop(sid, stop),
                other => self.exec_unsupported(sid, other),
            };
            if flow == Flow::Wait {
                return;
            }
        }
    }

    /// The URL of the document `sid` runs (for notifications), if fetched.
    pub(crate) fn doc_url(&self, sid: Sid) -> Option<WebUrl> {
        self.calls.get(&sid).and_then(|c| c.program.url.clone())
    }

    /// Resolves `raw` against the call's document URL; see [`Engine::resolve_url`].
    pub(crate) fn resolve(&mut self, sid: Sid, raw: &str) -> Option<WebUrl> {
        let base = self.calls.get(&sid).and_then(|c| c.program.url.clone());
        self.resolve_url(sid, base.as_ref(), raw, "URL")
    }

    /// Resolves `raw` (the `what` of a TwiML element) against `base`; `None` when it cannot
    /// be requested. A malformed URL is notified (11100). A host that breaks Twilio's rule
    /// (an underscore) is not notified again: the document's own diagnostics already carry it
    /// (21205, at its line:column), and it is simply never requested.
    pub(crate) fn resolve_url(
        &mut self,
        sid: Sid,
        base: Option<&WebUrl>,
        raw: &str,
        what: &str,
    ) -> Option<WebUrl> {
        match self.urls.resolve(base, raw) {
            Ok(url) => Some(url),
            Err(UrlError::Hostname) => None,
            Err(e) => {
                self.io.notify(
                    sid,
                    TwilioCode::INVALID_URL,
                    Level::Error,
                    format!("invalid {what} {raw:?}: {e}"),
                    base.cloned(),
                    None::<Method>,
                );
                None
            }
        }
    }

    /// Sends a media command and waits for it.
    pub(crate) fn play_media(&mut self, sid: Sid, command: MediaCommand) -> Flow {
        let Some(call) = self.calls.get_mut(&sid) else {
            return Flow::Wait;
        };
        if !call.is_live() {
            return Flow::Wait;
        }
        let id = self.io.next_media();
        call.wait = Wait::Media(id);
        call.waited = true;
        self.io.push(Output::Media(MediaRequest {
            call: sid,
            id,
            command,
        }));
        Flow::Wait
    }

    /// A media command finished on `sid`.
    pub(crate) fn media_finished(&mut self, sid: Sid, id: MediaId) -> Handled {
        let Some(call) = self.calls.get_mut(&sid) else {
            return Handled::Stale;
        };
        match &mut call.wait {
            Wait::Media(m) if *m == id => {
                call.wait = Wait::Idle;
                self.run(sid);
            }
            Wait::AppError(m) if *m == id => self.hangup_call(sid),
            Wait::Gather(run) if run.media == Some(id) => {
                run.media = None;
                self.gather_next_prompt(sid);
            }
            _ => return Handled::Stale,
        }
        Handled::Applied
    }

    /// A media command failed on `sid`: notified, then the call goes on as if it finished.
    ///
    /// Whether Twilio skips a failed `<Play>` or ends the call is not documented; Dialtone
    /// continues with the next verb (`docs/twilio-compat.md`). `<Say>` text problems (135xx)
    /// are warnings at Twilio; fetch and format failures of `<Play>` are errors.
    pub(crate) fn media_failed(
        &mut self,
        sid: Sid,
        id: MediaId,
        code: TwilioCode,
        message: String,
    ) -> Handled {
        let Some(call) = self.calls.get(&sid) else {
            return Handled::Stale;
        };
        let current = match &call.wait {
            Wait::Media(m) | Wait::AppError(m) => *m == id,
            Wait::Gather(run) => run.media == Some(id),
            _ => false,
        };
        if !current {
            return Handled::Stale;
        }
        let level = if (13500..13600).contains(&code.0) {
            Level::Warning
        } else {
            Level::Error
        };
        let url = self.doc_url(sid);
        self.io.notify(sid, code, level, message, url, None);
        self.media_finished(sid, id)
    }

    /// DTMF digits on `sid`: for a `<Gather>`, or `*` for `<Dial hangupOnStar>`.
    pub(crate) fn on_digits(&mut self, sid: Sid, digits: &str) -> Handled {
        let Some(call) = self.calls.get(&sid) else {
            return Handled::Stale;
        };
        if matches!(call.wait, Wait::Gather(_)) {
            self.gather_digits(sid, digits);
            return Handled::Applied;
        }
        if self.stream_digits(sid, digits) {
            return Handled::Applied;
        }
        if self.record_digits(sid, digits) {
            return Handled::Applied;
        }
        if digits.contains('*') && self.hangup_on_star(sid) {
            return Handled::Applied;
        }
        Handled::Stale
    }
}
