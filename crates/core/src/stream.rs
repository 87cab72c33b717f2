//! Media Streams (twilio-streams-sdk.md part A): the engine's side of `<Connect><Stream>`,
//! `<Start><Stream>`, `<Stop><Stream>` and REST `…/Calls/{CA}/Streams.json`.
//!
//! The engine decides *which* streams exist and when they end; the runtime runs the WebSocket
//! and the audio. A stream starts with [`Output::StartStream`]; the runtime answers
//! [`Input::Stream`](crate::Input::Stream) with [`StreamEvent::Connected`] once the socket
//! is open (the `stream-started` callback), warnings as they happen (31950, 31951...), and
//! [`StreamEvent::Ended`] when the socket closed on its own: the application closed it
//! (31921, `stream-stopped`) or it failed (319xx, `stream-error`). A stream the engine stops
//! (`<Stop>`, REST `Status=stopped`, a REST redirect out of `<Connect>`, the call's end) gets
//! [`Output::StopStream`] and its `stream-stopped` callback at once; a later `Ended` for it
//! is stale.
//!
//! A bidirectional stream (`<Connect>`) holds the call: when it ends for any reason but the
//! call's own end, `<Connect action>` is requested (standard parameters only: Twilio documents
//! no stream-specific ones) or the next verb runs. Digits pressed during it go to the stream
//! ([`Output::StreamDtmf`]); unidirectional streams get none, as at Twilio.

use std::sync::Arc;

use dialtone_twiml::{Method, StreamTrack, stream_scheme};
use dialtone_types::{Level, Sid, SidKind, TwilioCode, UnixMillis, WebUrl, has_scheme};

use crate::call::Wait;
use crate::engine::{Engine, Handled};
use crate::error::EngineError;
use crate::output::{Output, StatusCallback};
use crate::params::{Params, Value};

/// A stream to open: the runtime connects to `url` and speaks Twilio's protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRequest {
    /// The call streamed.
    pub call: Sid,
    /// Its account (signs the upgrade request).
    pub account: Sid,
    /// `MZ...`, the `streamSid`.
    pub stream: Sid,
    /// `name`, if given.
    pub name: Option<Arc<str>>,
    /// The absolute `ws://` or `wss://` URL, as the signature covers it.
    pub url: Arc<str>,
    /// Which audio goes to the application (`<Connect>`: inbound only).
    pub track: StreamTrack,
    /// `<Parameter>`s: `start.customParameters`.
    pub parameters: Vec<(String, String)>,
    /// `<Connect>`: the application's audio, marks and clears come back and play.
    pub bidirectional: bool,
}

/// What the runtime reports about a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The WebSocket is open and `start` was sent.
    Connected,
    /// A warning to notify (31950, 31951, 31930), once per stream and code.
    Warning {
        /// Twilio's code.
        code: TwilioCode,
        /// For a human.
        message: String,
    },
    /// The socket is gone without the engine asking.
    Ended(StreamClosed),
}

/// Why a stream ended on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamClosed {
    /// The application closed the WebSocket (Twilio logs 31921 even then).
    ByApplication,
    /// The stream failed: 31901, 31902, 31903, 31904, 31910, 31920, 31924...
    Failed {
        /// Twilio's code.
        code: TwilioCode,
        /// What went wrong (`StreamError` of the callback).
        message: String,
    },
}

/// A REST stream command (`Streams.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamCommand {
    /// `CreateStream`: start a unidirectional stream now.
    Start(Box<StreamOptions>),
    /// `UpdateStream Status=stopped`: stop a stream by SID or name.
    Stop(String),
}

/// The options of a stream started over REST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    /// `Url` (relative URLs resolve against the call's document URL).
    pub url: String,
    /// `Name`.
    pub name: Option<String>,
    /// `Track`.
    pub track: StreamTrack,
    /// `StatusCallback` (absolute).
    pub callback: Option<WebUrl>,
    /// `StatusCallbackMethod`.
    pub callback_method: Method,
    /// `ParameterN.Name` / `ParameterN.Value`, in order.
    pub parameters: Vec<(String, String)>,
}

/// A stream the engine knows, until it ends.
#[derive(Debug, Clone)]
pub(crate) struct StreamRun {
    pub(crate) call: Sid,
    pub(crate) account: Sid,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) bidirectional: bool,
    pub(crate) callback: Option<(WebUrl, Method)>,
}

/// Where a stream was asked for, for its checks and callbacks.
pub(crate) struct StreamSpec<'a> {
    pub(crate) url: &'a str,
    pub(crate) name: Option<&'a str>,
    pub(crate) track: StreamTrack,
    pub(crate) parameters: Vec<(String, String)>,
    pub(crate) callback: Option<(WebUrl, Method)>,
    pub(crate) bidirectional: bool,
}

/// Why a stream could not start (notified, or refused over REST).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamRefusal {
    pub(crate) code: TwilioCode,
    pub(crate) message: String,
}

/// The `ws`/`wss` URL of a stream: absolute `ws(s)` as given, or relative resolved against
/// `base` with `https`→`wss`, `http`→`ws`.
pub(crate) fn stream_url(
    base: Option<&WebUrl>,
    raw: &str,
    require_wss: bool,
) -> Result<Arc<str>, StreamRefusal> {
    let malformed = || StreamRefusal {
        code: TwilioCode::STREAM_MALFORMED_URL,
        message: format!("Stream url {raw:?} is malformed"),
    };
    let scheme = stream_scheme(raw).map_err(|_| malformed())?;
    let url = match scheme.map(str::to_ascii_lowercase) {
        Some(s) if s == "wss" || (s == "ws" && !require_wss) => raw.to_owned(),
        Some(s) => {
            return Err(StreamRefusal {
                code: TwilioCode::STREAM_URL_SCHEME,
                message: format!("Stream url {raw:?}: scheme {s:?} is not supported (wss)"),
            });
        }
        None => {
            let base = base.ok_or_else(malformed)?;
            let joined = base.join(raw).map_err(|_| malformed())?;
            let text = joined.without_fragment();
            if let Some(rest) = text.strip_prefix("https:") {
                format!("wss:{rest}")
            } else if let Some(rest) = text.strip_prefix("http:") {
                if require_wss {
                    return Err(StreamRefusal {
                        code: TwilioCode::STREAM_URL_SCHEME,
                        message: format!("Stream url {raw:?} resolves to ws:// (wss required)"),
                    });
                }
                format!("ws:{rest}")
            } else {
                return Err(malformed());
            }
        }
    };
    debug_assert!(has_scheme(&url));
    Ok(Arc::from(url))
}

/// The parameters of a stream status callback (twilio-streams-sdk.md §A4.4): `StreamName`
/// is the SID when no name was given (UNCONFIRMED at Twilio), `Timestamp` ISO 8601.
pub fn stream_status_params(
    account: Sid,
    call: Sid,
    stream: Sid,
    name: Option<&str>,
    event: &'static str,
    error: Option<&str>,
    now: UnixMillis,
) -> Params {
    let mut p = Params::with_capacity(7);
    p.push("AccountSid", account);
    p.push("CallSid", call);
    p.push("StreamSid", stream);
    p.push(
        "StreamName",
        Value::Text(Arc::from(
            name.map_or_else(|| stream.to_string(), str::to_owned),
        )),
    );
    p.push("StreamEvent", event);
    if let Some(error) = error {
        p.push("StreamError", Value::Text(Arc::from(error)));
    }
    p.push(
        "Timestamp",
        Value::Text(Arc::from(now.iso8601().to_string())),
    );
    p
}

impl Engine {
    /// Starts a stream on `call`; its SID, or why not.
    pub(crate) fn start_stream(
        &mut self,
        call: Sid,
        spec: StreamSpec<'_>,
    ) -> Result<Sid, StreamRefusal> {
        let Some(c) = self.calls.get(&call) else {
            return Err(StreamRefusal {
                code: TwilioCode::NOT_FOUND,
                message: format!("call {call} is not live"),
            });
        };
        let account = c.account;
        let base = c.program.url.clone();
        let url = stream_url(base.as_ref(), spec.url, self.config.streams_require_wss)?;
        if spec.bidirectional && spec.track != StreamTrack::Inbound {
            return Err(StreamRefusal {
                code: TwilioCode::STREAM_INVALID_TRACK,
                message: format!(
                    "<Connect><Stream> streams the inbound track only (track {})",
                    spec.track.as_str()
                ),
            });
        }
        if let Some(name) = spec.name
            && self
                .streams
                .values()
                .any(|r| r.call == call && r.name.as_deref() == Some(name))
        {
            return Err(StreamRefusal {
                code: TwilioCode(20001),
                message: format!("a stream named {name:?} is already running on this call"),
            });
        }
        let stream = self.io.sids.next_sid(SidKind::Stream);
        let name: Option<Arc<str>> = spec.name.map(Arc::from);
        tracing::debug!(%call, %stream, bidirectional = spec.bidirectional, "stream started");
        self.io.push(Output::StartStream(StreamRequest {
            call,
            account,
            stream,
            name: name.clone(),
            url,
            track: spec.track,
            parameters: spec.parameters,
            bidirectional: spec.bidirectional,
        }));
        self.streams.insert(
            stream,
            StreamRun {
                call,
                account,
                name,
                bidirectional: spec.bidirectional,
                callback: spec.callback,
            },
        );
        Ok(stream)
    }

    /// The stream's status callback for `event`, if it has a `statusCallback`.
    fn stream_callback(
        &mut self,
        stream: Sid,
        run: &StreamRun,
        event: &'static str,
        error: Option<&str>,
    ) {
        let Some((url, method)) = run.callback.clone() else {
            return;
        };
        let params = stream_status_params(
            run.account,
            run.call,
            stream,
            run.name.as_deref(),
            event,
            error,
            self.io.now,
        );
        self.io.push(Output::StatusCallback(StatusCallback {
            call: run.call,
            url,
            method,
            params,
        }));
    }

    /// The engine ends `stream`: `StopStream`, `stream-stopped`. Returns its run.
    pub(crate) fn stop_stream(&mut self, stream: Sid) -> Option<StreamRun> {
        let run = self.streams.remove(&stream)?;
        self.io.push(Output::StopStream {
            call: run.call,
            stream,
        });
        self.stream_callback(stream, &run, "stream-stopped", None);
        Some(run)
    }

    /// The call is ending: every stream of it stops (no `<Connect action>`).
    pub(crate) fn stop_call_streams(&mut self, call: Sid) {
        let mut mine: Vec<Sid> = self
            .streams
            .iter()
            .filter(|(_, r)| r.call == call)
            .map(|(s, _)| *s)
            .collect();
        mine.sort();
        for stream in mine {
            self.stop_stream(stream);
        }
    }

    /// The `<Connect>` stream `call` waits in, if any.
    pub(crate) fn connect_stream(&self, call: Sid) -> Option<Sid> {
        match self.calls.get(&call).map(|c| &c.wait) {
            Some(Wait::Stream(s)) => Some(*s),
            _ => None,
        }
    }

    /// Digits during `<Connect><Stream>` go to the application. False when not streaming.
    pub(crate) fn stream_digits(&mut self, call: Sid, digits: &str) -> bool {
        let Some(stream) = self.connect_stream(call) else {
            return false;
        };
        self.io.push(Output::StreamDtmf {
            call,
            stream,
            digits: digits.to_owned(),
        });
        true
    }

    /// What the runtime reports about `stream`.
    pub(crate) fn on_stream_event(&mut self, stream: Sid, event: StreamEvent) -> Handled {
        let Some(run) = self.streams.get(&stream).cloned() else {
            return Handled::Stale;
        };
        match event {
            StreamEvent::Connected => self.stream_callback(stream, &run, "stream-started", None),
            StreamEvent::Warning { code, message } => {
                self.io
                    .notify(run.call, code, Level::Warning, message, None, None);
            }
            StreamEvent::Ended(closed) => {
                self.streams.remove(&stream);
                match closed {
                    StreamClosed::ByApplication => {
                        self.io.notify(
                            run.call,
                            TwilioCode::STREAM_CLOSE_ERROR,
                            Level::Error,
                            "Stream: the application closed the WebSocket",
                            None,
                            None,
                        );
                        self.stream_callback(stream, &run, "stream-stopped", None);
                    }
                    StreamClosed::Failed { code, message } => {
                        self.io.notify(
                            run.call,
                            code,
                            Level::Error,
                            format!("Stream: {message}"),
                            None,
                            None,
                        );
                        self.stream_callback(stream, &run, "stream-error", Some(&message));
                    }
                }
                if run.bidirectional {
                    self.leave_connect(run.call, stream);
                }
            }
        }
        Handled::Applied
    }

    /// The `<Connect>` stream ended: `action`, or the next verb.
    pub(crate) fn leave_connect(&mut self, call: Sid, stream: Sid) {
        if self.connect_stream(call) != Some(stream) {
            return;
        }
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        c.wait = Wait::Idle;
        let connect = c
            .program
            .pc
            .checked_sub(1)
            .and_then(|i| c.program.doc.as_ref()?.verbs.get(i).cloned());
        let action = match connect {
            Some(dialtone_twiml::Verb::Connect(v)) => v.action.map(|a| (a, v.method)),
            _ => None,
        };
        match action {
            Some((raw, method)) => {
                if let Some(url) = self.resolve(call, &raw) {
                    self.request(
                        call,
                        crate::output::FetchPurpose::Action,
                        url,
                        method,
                        |_| {},
                    );
                } else {
                    self.run(call);
                }
            }
            None => self.run(call),
        }
    }

    /// `Streams.json` commands.
    pub(crate) fn on_stream_command(
        &mut self,
        call: Sid,
        command: StreamCommand,
    ) -> Result<Handled, EngineError> {
        let Some(c) = self.calls.get(&call) else {
            return Err(EngineError::UnknownCall(call));
        };
        match command {
            StreamCommand::Start(options) => {
                if !c.is_live() || !c.is_answered() {
                    return Err(EngineError::InvalidState {
                        sid: call,
                        status: c.status,
                        action: "streamed",
                    });
                }
                let spec = StreamSpec {
                    url: &options.url,
                    name: options.name.as_deref(),
                    track: options.track,
                    parameters: options.parameters.clone(),
                    callback: options
                        .callback
                        .clone()
                        .map(|u| (u, options.callback_method)),
                    bidirectional: false,
                };
                self.start_stream(call, spec)
                    .map(Handled::Stream)
                    .map_err(|r| EngineError::StreamRefused {
                        code: r.code,
                        message: r.message,
                    })
            }
            StreamCommand::Stop(target) => {
                let found = self
                    .streams
                    .iter()
                    .find(|(sid, r)| {
                        r.call == call
                            && (sid.to_string() == target || r.name.as_deref() == Some(&target))
                    })
                    .map(|(sid, _)| *sid);
                let Some(stream) = found else {
                    return Err(EngineError::UnknownStream {
                        call,
                        stream: target,
                    });
                };
                if let Some(run) = self.stop_stream(stream)
                    && run.bidirectional
                {
                    self.leave_connect(call, stream);
                }
                Ok(Handled::Stream(stream))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_to_websocket_schemes() {
        let base = WebUrl::parse("https://app.test/ivr/voice?x=1").unwrap();
        let http = WebUrl::parse("http://app.test/voice").unwrap();
        let ok = |b: Option<&WebUrl>, raw: &str| stream_url(b, raw, false).unwrap().to_string();
        assert_eq!(ok(Some(&base), "/ws"), "wss://app.test/ws");
        assert_eq!(ok(Some(&base), "media"), "wss://app.test/ivr/media");
        assert_eq!(ok(Some(&http), "/ws"), "ws://app.test/ws");
        assert_eq!(ok(None, "wss://m.test/s"), "wss://m.test/s");
        assert_eq!(ok(None, "ws://127.0.0.1:9/s"), "ws://127.0.0.1:9/s");
        let code = |b: Option<&WebUrl>, raw: &str, wss| stream_url(b, raw, wss).unwrap_err().code.0;
        assert_eq!(code(None, "ws://m.test/s", true), 31922);
        assert_eq!(code(Some(&http), "/ws", true), 31922);
        assert_eq!(code(None, "https://m.test/s", false), 31922);
        assert_eq!(code(None, "/ws", false), 31923);
        assert_eq!(code(None, "wss://", false), 31923);
        assert_eq!(code(None, "wss://a b", false), 31923);
    }
}
