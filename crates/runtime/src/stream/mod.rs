//! Media Streams in the runtime: the engine's `StartStream`, `StopStream` and `StreamDtmf`
//! become one task per stream speaking Twilio's WebSocket protocol (twilio-streams-sdk.md
//! part A) as the client, and its `Input::Stream` reports.
//!
//! - [`connect`]: TCP, TLS (`wss`, platform roots), the signed upgrade, failure codes.
//! - [`protocol`]: the JSON messages both ways.
//! - [`audio`]: Opus ↔ μ-law 8 kHz, the playback queue with marks and `clear`.
//! - [`session`]: the task.

mod audio;
mod connect;
mod protocol;
mod session;

use std::collections::HashMap;
use std::sync::Arc;

use dialtone_core::StreamRequest;
use dialtone_types::Sid;
use tokio::sync::mpsc;

use crate::driver::Command;
use crate::shared::Shared;

/// What the driver tells a stream task.
#[derive(Debug)]
pub(crate) enum Control {
    /// Send `stop` and close.
    Stop,
    /// Digits pressed (bidirectional streams send one `dtmf` per digit).
    Dtmf(String),
}

/// The streams running, owned by the driver.
#[derive(Debug)]
pub(crate) struct Streams {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Command>,
    runs: HashMap<Sid, mpsc::UnboundedSender<Control>>,
}

impl Streams {
    pub(crate) fn new(shared: Arc<Shared>, tx: mpsc::Sender<Command>) -> Self {
        Self {
            shared,
            tx,
            runs: HashMap::new(),
        }
    }

    /// `StartStream`.
    pub(crate) fn start(&mut self, request: StreamRequest) {
        let (control, rx) = mpsc::unbounded_channel();
        self.runs.insert(request.stream, control);
        tokio::spawn(session::run(
            Arc::clone(&self.shared),
            self.tx.clone(),
            request,
            rx,
        ));
    }

    /// `StopStream`.
    pub(crate) fn stop(&mut self, stream: Sid) {
        if let Some(run) = self.runs.remove(&stream) {
            let _ = run.send(Control::Stop);
        }
    }

    /// `StreamDtmf`.
    pub(crate) fn dtmf(&mut self, stream: Sid, digits: String) {
        if let Some(run) = self.runs.get(&stream) {
            let _ = run.send(Control::Dtmf(digits));
        }
    }

    /// The stream ended on its own (its task is finishing).
    pub(crate) fn ended(&mut self, stream: Sid) {
        self.runs.remove(&stream);
    }
}
