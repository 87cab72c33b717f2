//! Dialtone's WebRTC audio leg, shaped for WhatsApp's media profile.
//!
//! Meta's calling media is plain WebRTC: one audio m-line, ICE (Meta is ICE-lite, the business
//! is full ICE and controlling), DTLS-SRTP, Opus 48000/2 and RFC 4733 `telephone-event`, and it
//! drops calls that carry no media within 20 s. This crate runs such a leg on `str0m` (sans-IO)
//! with one UDP socket per leg: a leg has its own tokio task while ICE and DTLS run, then joins a
//! shard, a task that serves up to 64 connected legs on one shared audio tick (see `shard`), so
//! that thousands of legs fit on two cores:
//!
//! - [`MediaEngine`] makes offers ([`MediaEngine::offer`]) or answers ([`MediaEngine::answer`]).
//! - [`MediaOffer::accept`] applies the remote answer and starts the leg.
//! - [`MediaLeg`] reports [`MediaEvent`]s (connected, digits, failure), sends digits, counts
//!   packets ([`MediaStats`]); dropping it stops the leg and frees the socket (within one ptime
//!   once connected).
//!
//! [`IceMode::Full`] is Dialtone's side; [`IceMode::Lite`] plays Meta's side in the simulator.
//! Once connected a leg sends an Opus silence frame every ptime so that the far end sees media
//! at once, and str0m adds RTCP sender/receiver reports.
//!
//! [`heard`] keeps what simulated parties heard (encoded; decoded when asked for).
//!
//! [`audio`] is the pure audio core the legs will carry (16 kHz frames, Opus through libopus,
//! G.711, resampling, jitter buffer, tones, detection, WAV); it does no IO.
#![warn(missing_docs)]

pub mod audio;
mod config;
mod counters;
mod driver;
mod dtmf;
mod engine;
mod error;
pub mod heard;
mod leg;
mod playback;
mod port;
mod sdp;
mod shard;
mod totals;
mod transcode;

pub use config::{IceMode, MediaConfig};
pub use engine::{MediaEngine, MediaOffer};
pub use error::MediaError;
pub use leg::{LegControl, MediaEvent, MediaLeg, MediaStats};
pub use playback::{Encoded, PayloadLoop};
pub use port::{AudioLink, Background, PayloadSink, PayloadSource};
pub use totals::{MediaTotals, totals};
pub use transcode::PcmSink;
