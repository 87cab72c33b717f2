//! Fetching documents: the request, the checks on the response, the fallback URL.
//!
//! Rules (Twilio's, see `twilio-voice.md` §4.3–4.4):
//! - a transport failure arrives already mapped to its code (11200, 11205, 11210, 11215...);
//! - a non-2xx status is 11200; a body over 64 kB is 11750; no `Content-Type` is 12300;
//! - `text/xml`, `application/xml`, `text/html` are parsed as TwiML; `text/plain` is parsed,
//!   and read aloud then hung up if it is not TwiML; `audio/*` is played then hung up; any
//!   other type is 12300;
//! - every parser diagnostic becomes a notification; an unusable document (12100, 12102,
//!   11770, 13201...) fails the fetch.
//!
//! A failed voice-URL fetch goes to the fallback URL with `ErrorCode` and `ErrorUrl`; any
//! other failure (or a failed fallback) plays the application-error message and hangs up.
//!
//! Loop guard: `<Redirect>` and `action` requests count as steps. The count restarts only when
//! a verb waited for something (media, pause, gather, ringing) *and* time went by since the
//! previous step; more than `redirect_limit` steps in a row is a TwiML loop (11215, then the
//! application error). So a `<Redirect>` loop is caught even with real network latency, and a
//! loop through verbs that take no time (a failing `<Dial action>` pointing at itself, a
//! `<Gather timeout="0">`) is caught too.

use std::sync::Arc;

use dialtone_twiml::{Context, Diagnostic, Document, Hangup, Method, Play, Say, Verb};
use dialtone_types::WebUrl;
use dialtone_types::{Level, Sid, TwilioCode};

use crate::call::{PendingFetch, Program, Wait};
use crate::engine::{Engine, Handled};
use crate::hash::FastMap;
use crate::input::FetchResult;
use crate::output::{FetchPurpose, FetchRequest, Output, RequestId};
use crate::params::{Params, Value};

/// Largest body kept in the document cache.
const CACHE_MAX_BODY: usize = 4096;

/// A parse result shared by every call that received the same body.
#[derive(Debug)]
pub(crate) struct ParsedDoc {
    doc: Option<Arc<Document>>,
    diagnostics: Vec<Diagnostic>,
}

/// Parsed documents by body, one map per parsing context (call, whisper); cleared when full.
#[derive(Debug)]
pub(crate) struct DocCache {
    capacity: usize,
    maps: [FastMap<Box<[u8]>, Arc<ParsedDoc>>; 2],
}

impl DocCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            maps: [FastMap::default(), FastMap::default()],
        }
    }

    fn parse(&mut self, body: &[u8], context: Context) -> Arc<ParsedDoc> {
        let slot = usize::from(context == Context::Whisper);
        let cacheable = self.capacity > 0 && body.len() <= CACHE_MAX_BODY;
        if cacheable && let Some(hit) = self.maps[slot].get(body) {
            return Arc::clone(hit);
        }
        let parsed = dialtone_twiml::parse(body, context);
        let entry = Arc::new(ParsedDoc {
            doc: parsed.document.map(Arc::new),
            diagnostics: parsed.diagnostics,
        });
        if cacheable {
            let map = &mut self.maps[slot];
            if map.len() >= self.capacity {
                map.clear();
            }
            map.insert(body.into(), Arc::clone(&entry));
        }
        entry
    }
}

/// Why a fetched document cannot run.
struct Failure {
    code: TwilioCode,
    message: String,
    /// Already reported through the parser's diagnostics.
    notified: bool,
}

impl Failure {
    fn new(code: TwilioCode, message: String) -> Self {
        Self {
            code,
            message,
            notified: false,
        }
    }
}

impl Engine {
    /// Emits a fetch for `sid` with its standard parameters plus those `extra` adds, and
    /// makes the call wait for it (unless the call already ended: then the result will be
    /// ignored, as for a `<Dial action>` after the caller hung up).
    pub(crate) fn request(
        &mut self,
        sid: Sid,
        purpose: FetchPurpose,
        url: WebUrl,
        method: Method,
        extra: impl FnOnce(&mut Params),
    ) {
        if matches!(purpose, FetchPurpose::Redirect | FetchPurpose::Action)
            && self.loop_detected(sid, &url, method)
        {
            return;
        }
        let Some(call) = self.calls.get_mut(&sid) else {
            return;
        };
        let request = self.io.next_request();
        let mut params = call.standard_params(call.status, 4);
        extra(&mut params);
        self.io.push(Output::Fetch(FetchRequest {
            request,
            call: sid,
            purpose,
            url: url.clone(),
            method,
            params,
        }));
        if call.is_live() {
            call.fetch = Some(PendingFetch {
                id: request,
                purpose,
                url,
                method,
            });
            call.wait = Wait::Fetch;
        }
    }

    /// Counts one document step of a live call; true (and the loop is reported and broken
    /// with the application error) when there were too many in a row.
    fn loop_detected(&mut self, sid: Sid, url: &WebUrl, method: Method) -> bool {
        let limit = self.config.redirect_limit;
        let now = self.io.now;
        let Some(call) = self.calls.get_mut(&sid) else {
            return false;
        };
        if !call.is_live() {
            return false;
        }
        if call.waited && now > call.last_step {
            call.loop_steps = 0;
        }
        call.waited = false;
        call.last_step = now;
        call.loop_steps = call.loop_steps.saturating_add(1);
        if call.loop_steps <= limit {
            return false;
        }
        self.io.notify(
            sid,
            TwilioCode::HTTP_TOO_MANY_REDIRECTS,
            Level::Error,
            format!(
                "TwiML loop: more than {limit} <Redirect>/action requests in a row without the call waiting for anything"
            ),
            Some(url.clone()),
            Some(method),
        );
        self.app_error(sid);
        true
    }

    /// A fetch came back.
    pub(crate) fn on_fetched(
        &mut self,
        sid: Sid,
        request: RequestId,
        result: FetchResult,
    ) -> Handled {
        let Some(call) = self.calls.get_mut(&sid) else {
            return Handled::Stale;
        };
        let Some(pending) = call.fetch.take_if(|p| p.id == request) else {
            tracing::debug!(%sid, request = request.0, "stale fetch result");
            return Handled::Stale;
        };
        if !call.is_live() {
            return Handled::Stale;
        }
        let context = if call.in_dial() {
            Context::Whisper
        } else {
            Context::Call
        };
        match self.evaluate(sid, &pending, context, result) {
            Ok(doc) => {
                if let Some(call) = self.calls.get_mut(&sid) {
                    call.program = Program {
                        doc: Some(doc),
                        url: Some(pending.url.clone()),
                        pc: 0,
                    };
                    call.wait = Wait::Idle;
                }
                self.run(sid);
            }
            Err(failure) => self.fetch_failed(sid, &pending, failure),
        }
        Handled::Applied
    }

    fn evaluate(
        &mut self,
        sid: Sid,
        pending: &PendingFetch,
        context: Context,
        result: FetchResult,
    ) -> Result<Arc<Document>, Failure> {
        let (status, content_type, body) = match result {
            FetchResult::Failed { code, message } => return Err(Failure::new(code, message)),
            FetchResult::Response {
                status,
                content_type,
                body,
            } => (status, content_type, body),
        };
        if !(200..300).contains(&status) {
            return Err(Failure::new(
                TwilioCode::HTTP_RETRIEVAL_FAILURE,
                format!("HTTP retrieval failure: the server answered {status}"),
            ));
        }
        if body.len() > self.config.max_document_bytes {
            return Err(Failure::new(
                TwilioCode::DOCUMENT_TOO_LARGE,
                format!(
                    "response body of {} bytes is over the {} byte limit",
                    body.len(),
                    self.config.max_document_bytes
                ),
            ));
        }
        let Some(content_type) = content_type else {
            return Err(Failure::new(
                TwilioCode::INVALID_CONTENT_TYPE,
                "the response has no Content-Type".to_owned(),
            ));
        };
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "text/xml" | "application/xml" | "text/html" => {
                self.parse_body(sid, pending, context, &body)
            }
            "text/plain" => {
                let parsed = self.docs.parse(&body, context);
                if let Some(doc) = &parsed.doc {
                    self.report(sid, pending, &parsed.diagnostics);
                    return Ok(Arc::clone(doc));
                }
                // Not TwiML: read it aloud, then hang up.
                let text = String::from_utf8_lossy(&body).trim().to_owned();
                Ok(Arc::new(Document {
                    verbs: vec![
                        Verb::Say(Say {
                            text,
                            ..Say::default()
                        }),
                        Verb::Hangup(Hangup::default()),
                    ],
                }))
            }
            audio if audio.starts_with("audio/") => Ok(Arc::new(Document {
                verbs: vec![
                    Verb::Play(Play {
                        url: Some(pending.url.to_string()),
                        ..Play::default()
                    }),
                    Verb::Hangup(Hangup::default()),
                ],
            })),
            _ => Err(Failure::new(
                TwilioCode::INVALID_CONTENT_TYPE,
                format!("Content-Type {content_type:?} is not TwiML"),
            )),
        }
    }

    fn parse_body(
        &mut self,
        sid: Sid,
        pending: &PendingFetch,
        context: Context,
        body: &[u8],
    ) -> Result<Arc<Document>, Failure> {
        let parsed = self.docs.parse(body, context);
        self.report(sid, pending, &parsed.diagnostics);
        if let Some(doc) = &parsed.doc {
            return Ok(Arc::clone(doc));
        }
        let (code, message) = parsed
            .diagnostics
            .iter()
            .find(|d| d.level == Level::Error)
            .map_or_else(
                || {
                    (
                        TwilioCode::PARSE_FAILURE,
                        "the document cannot be used".to_owned(),
                    )
                },
                |d| (d.code, d.message.clone()),
            );
        Err(Failure {
            code,
            message,
            notified: true,
        })
    }

    fn report(&mut self, sid: Sid, pending: &PendingFetch, diagnostics: &[Diagnostic]) {
        for d in diagnostics {
            self.io.notify(
                sid,
                d.code,
                d.level,
                format!("{}:{}: {}", d.line, d.column, d.message),
                Some(pending.url.clone()),
                Some(pending.method),
            );
        }
    }

    fn fetch_failed(&mut self, sid: Sid, pending: &PendingFetch, failure: Failure) {
        if !failure.notified {
            self.io.notify(
                sid,
                failure.code,
                Level::Error,
                failure.message,
                Some(pending.url.clone()),
                Some(pending.method),
            );
        }
        let fallback = match pending.purpose {
            FetchPurpose::Twiml => self
                .calls
                .get(&sid)
                .and_then(|c| c.app.as_ref())
                .and_then(|a| a.fallback.clone()),
            _ => None,
        };
        match fallback {
            Some((url, method)) => {
                let error_url: Arc<str> = Arc::from(pending.url.as_str());
                self.request(sid, FetchPurpose::Fallback, url, method, |p| {
                    p.push("ErrorCode", u64::from(failure.code.0));
                    p.push("ErrorUrl", Value::Text(error_url));
                });
            }
            None => self.app_error(sid),
        }
    }
}
