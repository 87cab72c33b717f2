//! The pure audio core: PCM frames, codecs, resampling, jitter buffering, tones and detection.
//!
//! Nothing here touches a socket, a runtime or a clock: packets, samples and instants are
//! inputs, so every piece runs the same in a media shard, in the simulator and in tests.
//!
//! Internally audio is **16 kHz mono `i16` in 20 ms frames** ([`frame::Frame`], 320 samples):
//! libopus encodes and decodes at 16 kHz directly (WhatsApp's `opus/48000/2` is wideband
//! speech, so nothing is lost and the WebRTC path needs no resampler), while the edges convert:
//! G.711 legs, Media Streams and Twilio recordings are 8 kHz ([`g711`], [`resample`]), espeak-ng
//! speaks at 22 050 Hz and `<Play>` files come at any rate ([`wav`], [`resample`]).
//!
//! | Module | What |
//! |---|---|
//! | [`frame`] | [`Frame`]: 320 samples, silence, mixing, gain, energy |
//! | [`g711`] | ITU-T G.711 μ-law and A-law |
//! | [`resample`] | [`Resampler`]: streaming fixed-ratio conversion (rubato's FFT resampler) |
//! | [`wav`] | 16-bit PCM WAV in and out (hound), never panicking on bad input |

pub mod error;
pub mod frame;
pub mod g711;
pub mod resample;
pub mod wav;

pub use error::AudioError;
pub use frame::{FRAME_DURATION, FRAME_SAMPLES, Frame, PCM_RATE};
pub use resample::Resampler;
pub use wav::{Wav, WavError};
