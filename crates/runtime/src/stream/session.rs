//! One stream's task: open the socket, send `connected` and `start`, then every 20 ms a
//! `media` message per track (silence included, as Twilio does), the marks that played, and
//! `dtmf` as digits come; apply what the application sends; end with `stop` when the engine
//! stops the stream, or report how the socket ended.
//!
//! The task taps the call's leg once the leg exists (a call answered a moment ago may not
//! have its media yet): what it receives for `inbound`, what it sends for `outbound`; a
//! bidirectional stream also plays its [`Player`](super::audio::Player) on it. Everything is
//! given back when the stream ends. A stream's failure is its own: it reports to the engine
//! and touches no other call.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use dialtone_core::{Input, StreamClosed, StreamEvent, StreamRequest, StreamTrack};
use dialtone_media::{LegControl, PayloadSink};
use dialtone_types::TwilioCode;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use super::Control;
use super::audio::{Downlink, Uplink};
use super::connect::{Socket, connect};
use super::protocol::{AppMessage, Outgoing, Track, parse};
use crate::driver::Command;
use crate::shared::Shared;

/// The media cadence.
const TICK: Duration = Duration::from_millis(20);
/// How long the close handshake may take once the stream is over.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// How the loop ended.
enum Outcome {
    /// The engine stopped the stream (or the driver is gone).
    Stopped,
    /// The application closed the socket.
    Closed,
    /// The socket failed.
    Failed(TwilioCode, String),
}

/// The leg the stream taps, once attached.
struct Attached {
    leg: LegControl,
    taps: Vec<Track>,
    playing: Option<u64>,
}

impl Attached {
    fn release(self) {
        for track in self.taps {
            match track {
                Track::Inbound => self.leg.tap(None),
                Track::Outbound => self.leg.sent_tap(None),
            }
        }
        if let Some(id) = self.playing {
            self.leg.stop(id);
        }
    }
}

struct Session {
    shared: Arc<Shared>,
    request: StreamRequest,
    out: Outgoing,
    uplinks: Vec<(Track, Uplink, u64)>,
    downlink: Option<Downlink>,
    attached: Option<Attached>,
    warned: HashSet<u32>,
    tx: mpsc::Sender<Command>,
}

fn tracks(track: StreamTrack) -> Vec<Track> {
    match track {
        StreamTrack::Inbound => vec![Track::Inbound],
        StreamTrack::Outbound => vec![Track::Outbound],
        StreamTrack::Both => vec![Track::Inbound, Track::Outbound],
    }
}

async fn report(tx: &mpsc::Sender<Command>, request: &StreamRequest, event: StreamEvent) {
    let _ = tx
        .send(Command::Input(Input::Stream {
            stream: request.stream,
            event,
        }))
        .await;
}

/// Waits for the engine's `Stop` (digits before the socket is open are dropped).
async fn stopped(control: &mut mpsc::UnboundedReceiver<Control>) {
    while let Some(c) = control.recv().await {
        if matches!(c, Control::Stop) {
            return;
        }
    }
}

/// See the module docs.
pub(crate) async fn run(
    shared: Arc<Shared>,
    tx: mpsc::Sender<Command>,
    request: StreamRequest,
    mut control: mpsc::UnboundedReceiver<Control>,
) {
    let stream = request.stream;
    let signature = match shared.signing_key(request.account).await {
        Ok(key) => key.sign(&request.url, std::iter::empty::<(&str, &str)>()),
        Err(e) => {
            tracing::error!(%stream, error = %e, "no signing key for the stream");
            let failed = StreamClosed::Failed {
                code: TwilioCode::STREAM_HANDSHAKE_ERROR,
                message: "the account's Auth Token could not be read to sign the upgrade".into(),
            };
            report(&tx, &request, StreamEvent::Ended(failed)).await;
            return;
        }
    };
    let socket = tokio::select! {
        socket = connect(&request.url, &signature) => socket,
        () = stopped(&mut control) => {
            tracing::debug!(%stream, "stream stopped before its socket opened");
            return;
        }
    };
    let socket = match socket {
        Ok(s) => s,
        Err(e) => {
            tracing::info!(%stream, code = e.code.0, message = %e.message, "stream did not open");
            let failed = StreamClosed::Failed {
                code: e.code,
                message: e.message,
            };
            report(&tx, &request, StreamEvent::Ended(failed)).await;
            return;
        }
    };
    let tracks = tracks(request.track);
    let mut session = Session {
        shared,
        out: Outgoing::new(stream),
        uplinks: tracks.iter().map(|t| (*t, Uplink::new(), 0)).collect(),
        downlink: request.bidirectional.then(Downlink::new),
        attached: None,
        warned: HashSet::new(),
        tx,
        request,
    };
    session.run(socket, &tracks, control).await;
}

impl Session {
    async fn run(
        &mut self,
        socket: Socket,
        tracks: &[Track],
        mut control: mpsc::UnboundedReceiver<Control>,
    ) {
        let (mut sink, mut source) = socket.split();
        let (account, call) = (self.request.account, self.request.call);
        let first = [
            Outgoing::connected(),
            self.out
                .start(account, call, tracks, &self.request.parameters),
        ];
        let mut outcome = None;
        for text in first {
            if let Err(e) = sink.send(Message::text(text)).await {
                outcome = Some(Outcome::Failed(
                    TwilioCode::STREAM_BROKEN_PIPE,
                    format!("the socket failed before start was sent: {e}"),
                ));
                break;
            }
        }
        if outcome.is_none() {
            report(&self.tx, &self.request, StreamEvent::Connected).await;
        }
        let mut ticker = tokio::time::interval(TICK);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let outcome = match outcome {
            Some(o) => o,
            None => loop {
                let sent = tokio::select! {
                    _ = ticker.tick() => self.tick(),
                    message = source.next() => match message {
                        Some(Ok(Message::Text(text))) => self.app_text(&text).await,
                        Some(Ok(Message::Binary(_))) => {
                            self.warn(TwilioCode::STREAM_MALFORMED_MESSAGE, "a binary frame (messages are JSON text)").await;
                            Vec::new()
                        }
                        Some(Ok(Message::Close(_))) | None => break Outcome::Closed,
                        Some(Ok(_)) => Vec::new(),
                        Some(Err(e)) => break failure(&e),
                    },
                    command = control.recv() => match command {
                        Some(Control::Dtmf(digits)) if self.request.bidirectional => {
                            digits.chars().map(|d| self.out.dtmf(d)).collect()
                        }
                        Some(Control::Dtmf(_)) => Vec::new(),
                        Some(Control::Stop) | None => break Outcome::Stopped,
                    },
                };
                let mut broken = None;
                for text in sent {
                    if let Err(e) = sink.feed(Message::text(text)).await {
                        broken = Some(failure(&e));
                        break;
                    }
                }
                if broken.is_none()
                    && let Err(e) = sink.flush().await
                {
                    broken = Some(failure(&e));
                }
                if let Some(b) = broken {
                    break b;
                }
            },
        };
        if let Some(attached) = self.attached.take() {
            attached.release();
        }
        let stream = self.request.stream;
        match outcome {
            Outcome::Stopped => {
                let stop = self.out.stop(account, call);
                let close = async {
                    sink.send(Message::text(stop)).await?;
                    sink.send(Message::Close(Some(CloseFrame {
                        code: CloseCode::Normal,
                        reason: "".into(),
                    })))
                    .await
                };
                let _ = tokio::time::timeout(CLOSE_GRACE, close).await;
                tracing::debug!(%stream, "stream stopped");
            }
            Outcome::Closed => {
                let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
                tracing::debug!(%stream, "the application closed the stream");
                report(
                    &self.tx,
                    &self.request,
                    StreamEvent::Ended(StreamClosed::ByApplication),
                )
                .await;
            }
            Outcome::Failed(code, message) => {
                let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
                tracing::info!(%stream, code = code.0, %message, "stream failed");
                report(
                    &self.tx,
                    &self.request,
                    StreamEvent::Ended(StreamClosed::Failed { code, message }),
                )
                .await;
            }
        }
    }

    /// Attaches to the call's leg once it exists.
    fn attach(&mut self) {
        if self.attached.is_some() {
            return;
        }
        let Some(leg) = self.shared.audio.leg(self.request.call) else {
            return;
        };
        let mut taps = Vec::new();
        for (track, uplink, _) in &self.uplinks {
            let sink: Box<dyn PayloadSink> = Box::new(uplink.tap.clone());
            match track {
                Track::Inbound => leg.tap(Some(sink)),
                Track::Outbound => leg.sent_tap(Some(sink)),
            }
            taps.push(*track);
        }
        let playing = self
            .downlink
            .as_ref()
            .map(|d| leg.play(Box::new(d.player())));
        self.attached = Some(Attached { leg, taps, playing });
    }

    /// One 20 ms tick: a `media` per track, then the marks that played.
    fn tick(&mut self) -> Vec<String> {
        self.attach();
        let mut sent = Vec::with_capacity(self.uplinks.len() + 1);
        for (track, uplink, chunks) in &mut self.uplinks {
            let ulaw = uplink.chunk();
            let timestamp = *chunks * 20;
            *chunks += 1;
            sent.push(self.out.media(*track, *chunks, timestamp, &ulaw));
        }
        if let Some(down) = &self.downlink {
            for name in down.played_marks() {
                sent.push(self.out.mark(&name));
            }
        }
        sent
    }

    /// A text frame from the application; what to send back at once (`clear`'s echoes).
    async fn app_text(&mut self, text: &str) -> Vec<String> {
        let Some(down) = self.downlink.clone() else {
            self.warn(
                TwilioCode::STREAM_INVALID_MESSAGE,
                "a message on a unidirectional stream (only <Connect><Stream> takes messages)",
            )
            .await;
            return Vec::new();
        };
        let stream = self.request.stream.to_string();
        match parse(text, &stream) {
            Ok(AppMessage::Media(ulaw)) => {
                if !down.media(&ulaw) {
                    self.warn(
                        TwilioCode::STREAM_BUFFER_OVERFLOW,
                        "more than five minutes of audio queued; the excess is dropped",
                    )
                    .await;
                }
                Vec::new()
            }
            Ok(AppMessage::Mark(name)) => {
                down.mark(name);
                // An empty queue plays it at once.
                down.played_marks()
                    .into_iter()
                    .map(|n| self.out.mark(&n))
                    .collect()
            }
            Ok(AppMessage::Clear) => {
                down.clear();
                down.played_marks()
                    .into_iter()
                    .map(|n| self.out.mark(&n))
                    .collect()
            }
            Err(invalid) => {
                let code = invalid.code;
                self.warn(code, &invalid.reason).await;
                Vec::new()
            }
        }
    }

    /// A warning, once per stream and code (as Twilio reports 31950/31951).
    async fn warn(&mut self, code: TwilioCode, message: &str) {
        tracing::debug!(stream = %self.request.stream, code = code.0, message, "stream warning");
        if self.warned.insert(code.0) {
            let event = StreamEvent::Warning {
                code,
                message: format!("Stream: {message}"),
            };
            report(&self.tx, &self.request, event).await;
        }
    }
}

/// The code of a socket error mid-stream: a protocol violation or an oversized message
/// 31924, anything else (reset, EOF without close) 31903.
fn failure(e: &tokio_tungstenite::tungstenite::Error) -> Outcome {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::Capacity(c) => Outcome::Failed(
            TwilioCode::STREAM_PROTOCOL_ERROR,
            format!("a message from the application is too large: {c}"),
        ),
        Error::Protocol(p) => Outcome::Failed(
            TwilioCode::STREAM_PROTOCOL_ERROR,
            format!("WebSocket protocol error: {p}"),
        ),
        Error::Utf8(_) => Outcome::Failed(
            TwilioCode::STREAM_PROTOCOL_ERROR,
            "a text frame that is not UTF-8".to_owned(),
        ),
        other => Outcome::Failed(
            TwilioCode::STREAM_BROKEN_PIPE,
            format!("the WebSocket broke: {other}"),
        ),
    }
}
