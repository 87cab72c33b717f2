//! The sans-IO call engine of Dialtone.
//!
//! It turns TwiML documents and call events into the exact sequence of legs, webhooks and
//! status changes Twilio produces, with `<Dial><WhatsApp>` as the headline. It performs no IO,
//! reads no clock and draws no randomness (a crate-level `clippy.toml` and
//! `.ci/check-sans-io` enforce it): time comes in with every input, SIDs come from an injected
//! [`SidSource`], and everything the engine wants done comes out as plain data. So the whole
//! behaviour runs deterministically in virtual time (see `dialtone-sim`).
//!
//! # Drive loop
//!
//! Shaped after quinn-proto and str0m:
//!
//! 1. Give the engine one input with [`Engine::handle_input`] (a call starting, a fetch
//!    result, a leg event, a REST update), or fire due timers with
//!    [`Engine::handle_timeout`]. Time must not go backwards (an earlier time is clamped).
//! 2. Drain [`Engine::poll_output`] until `None`: fetch documents, send status callbacks,
//!    start/answer/cancel/hang up legs, bridge, play media, persist snapshots, store
//!    notifications. Answers come back as inputs, tagged with the request or media id.
//! 3. Sleep until [`Engine::poll_timeout`] (or the next input), then go to 1.
//!
//! Inputs that arrive late, twice or out of order (a fetch result for a call that moved on,
//! a second answer, an event for an ended call) are absorbed ([`Handled::Stale`]); no input
//! panics, and a terminal status is final. Only caller mistakes are refused
//! ([`EngineError`], e.g. 21220 for a REST update the call's state does not allow).
//!
//! States, timers and deliberate deviations from Twilio: `docs/call-states.md`.
#![warn(missing_docs)]

mod call;
mod config;
mod dial;
mod engine;
mod error;
mod exec;
mod fetch;
mod hash;
mod input;
mod io;
mod lifecycle;
mod output;
mod pacing;
mod params;
mod recording;
mod rest;
mod rest_recording;
mod sid;
mod status_callback;
mod stream;
mod timer;
mod urls;

pub use config::{AppConfig, CallSetup, EngineConfig, StatusCallbackConfig, TwimlSource};
pub use engine::{Engine, Handled};
pub use error::EngineError;
pub use input::{
    CallSettings, FetchResult, Input, LegEvent, RecordingChange, RecordingCommand,
    RecordingOptions, RecordingTarget, RestCommand,
};
pub use output::{
    CallSnapshot, FetchPurpose, FetchRequest, MediaCommand, MediaId, MediaRequest, Notification,
    Output, PauseBehavior, RecordingCallback, RecordingEnd, RecordingRequest, RecordingSource,
    RequestId, StartLeg, StatusCallback,
};
pub use pacing::{CpsLimit, TokenBucket};
pub use params::{API_VERSION, Params, Value, sends_called_and_caller};
pub use recording::{RECORDING_TOO_SHORT, RecordingFacts, recording_status_params};
pub use sid::{SeededSids, SequentialSids, SidSource};
pub use status_callback::CallbackSubscription;
pub use stream::{
    StreamClosed, StreamCommand, StreamEvent, StreamOptions, StreamRequest, stream_status_params,
};
pub use timer::Timer;

/// Re-exported so users of the engine need not depend on `dialtone-twiml` for these.
pub use dialtone_twiml::{
    Method, RecordingEvents, RecordingTrack, RejectReason, StatusCallbackEvents, StreamTrack, Trim,
};
