//! `<Connect>`, `<Start>` and `<Stop>` with `<Stream>` (twilio-streams-sdk.md §A1).
//!
//! - `<Connect><Stream>` answers the call and opens a bidirectional stream; the call waits
//!   in it until the stream ends (see `crate::stream`). Only the first `<Stream>` is used
//!   (one bidirectional stream per call); other `<Connect>` nouns (`<Room>`,
//!   `<ConversationRelay>`...) are not supported (13750) and the verb is skipped.
//! - `<Start><Stream>` opens unidirectional streams and goes on at once.
//! - `<Stop><Stream name>` stops the call's unidirectional stream of that name; an unknown
//!   name stops nothing.
//!
//! A stream that cannot start (31922 scheme, 31923 URL, 31941 track, a name in use) is an
//! error notification; `<Connect>` then goes on as if the stream had ended at once.

use dialtone_twiml::{Connect, Start, Stop, Stream, StreamNoun};
use dialtone_types::{Level, Sid, TwilioCode};

use super::Flow;
use crate::call::Wait;
use crate::engine::Engine;
use crate::stream::StreamSpec;

impl Engine {
    fn stream_spec<'a>(
        &mut self,
        sid: Sid,
        stream: &'a Stream,
        bidirectional: bool,
    ) -> Option<StreamSpec<'a>> {
        let base = self.doc_url(sid);
        let callback = match stream.status_callback.as_deref() {
            Some(raw) => Some((
                self.resolve_url(sid, base.as_ref(), raw, "Stream statusCallback URL")?,
                stream.status_callback_method,
            )),
            None => None,
        };
        Some(StreamSpec {
            url: stream.url.as_deref().unwrap_or(""),
            name: stream.name.as_deref(),
            track: stream.track,
            parameters: stream.parameters.clone(),
            callback,
            bidirectional,
        })
    }

    /// Starts `stream`, notifying why when it cannot.
    fn open_stream(&mut self, sid: Sid, stream: &Stream, bidirectional: bool) -> Option<Sid> {
        let spec = self.stream_spec(sid, stream, bidirectional)?;
        match self.start_stream(sid, spec) {
            Ok(stream) => Some(stream),
            Err(refusal) => {
                let url = self.doc_url(sid);
                let code = if refusal.code == TwilioCode(20001) {
                    TwilioCode::SCHEMA_WARNING
                } else {
                    refusal.code
                };
                self.io
                    .notify(sid, code, Level::Error, refusal.message, url, None);
                None
            }
        }
    }

    fn unsupported_nouns(&mut self, sid: Sid, verb: &str, nouns: &[StreamNoun]) {
        for noun in nouns {
            if let StreamNoun::Other(e) = noun {
                let url = self.doc_url(sid);
                self.io.notify(
                    sid,
                    TwilioCode::VERB_NOT_SUPPORTED,
                    Level::Error,
                    format!("<{verb}><{}> is not supported by Dialtone; skipped", e.name),
                    url,
                    None,
                );
            }
        }
    }

    pub(crate) fn exec_connect(&mut self, sid: Sid, connect: &Connect) -> Flow {
        self.unsupported_nouns(sid, "Connect", &connect.nouns);
        let Some(stream) = connect.nouns.iter().find_map(|n| match n {
            StreamNoun::Stream(s) => Some(s),
            StreamNoun::Other(_) => None,
        }) else {
            return Flow::Next;
        };
        self.ensure_answered(sid);
        if !self.calls.get(&sid).is_some_and(crate::call::Call::is_live) {
            return Flow::Wait;
        }
        let Some(stream) = self.open_stream(sid, stream, true) else {
            return Flow::Next;
        };
        let Some(call) = self.calls.get_mut(&sid) else {
            return Flow::Wait;
        };
        call.wait = Wait::Stream(stream);
        call.waited = true;
        Flow::Wait
    }

    pub(crate) fn exec_start(&mut self, sid: Sid, start: &Start) -> Flow {
        self.unsupported_nouns(sid, "Start", &start.nouns);
        for noun in &start.nouns {
            if let StreamNoun::Stream(stream) = noun {
                self.ensure_answered(sid);
                self.open_stream(sid, stream, false);
            }
        }
        Flow::Next
    }

    pub(crate) fn exec_stop(&mut self, sid: Sid, stop: &Stop) -> Flow {
        self.unsupported_nouns(sid, "Stop", &stop.nouns);
        for noun in &stop.nouns {
            let StreamNoun::Stream(Stream {
                name: Some(name), ..
            }) = noun
            else {
                continue;
            };
            let found = self
                .streams
                .iter()
                .find(|(_, r)| r.call == sid && !r.bidirectional && r.name.as_deref() == Some(name))
                .map(|(s, _)| *s);
            if let Some(stream) = found {
                self.stop_stream(stream);
            } else {
                tracing::debug!(%sid, %name, "<Stop><Stream> names no running stream");
            }
        }
        Flow::Next
    }
}
