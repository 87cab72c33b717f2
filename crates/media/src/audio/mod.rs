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
//! | [`clip`] | [`Clip`]: a decoded prompt shared by every call that plays it; [`ClipPlayer`] |
//! | [`frame`] | [`Frame`]: 320 samples, silence, mixing, gain, energy |
//! | [`opus`] | [`OpusEncoder`] / [`OpusDecoder`] over libopus (PLC and in-band FEC) |
//! | [`g711`] | ITU-T G.711 μ-law and A-law |
//! | [`resample`] | [`Resampler`]: streaming fixed-ratio conversion (rubato's FFT resampler) |
//! | [`jitter`] | [`JitterBuffer`]: one incoming RTP stream to one [`Playout`] per 20 ms tick |
//! | [`tone`] | [`Tone`], [`Ringback`] (the `ringTone` countries) and the `<Record>` [`beep`] |
//! | [`detect`] | Goertzel tone detection and speech-like energy, for tests and the simulator |
//! | [`recorder`] | [`Recorder`]: call recordings as 8 kHz WAV, crash-safe, trim and silence timeout |
//! | [`wav`] | 16-bit PCM WAV in and out (hound), never panicking on bad input |

pub mod clip;
pub mod detect;
pub mod error;
pub mod frame;
pub mod g711;
pub mod jitter;
pub mod opus;
pub mod recorder;
pub mod resample;
pub mod tone;
pub mod wav;

pub use clip::{Clip, ClipPlayer};
pub use error::AudioError;
pub use frame::{FRAME_DURATION, FRAME_SAMPLES, Frame, PCM_RATE};
pub use jitter::{JitterBuffer, JitterConfig, JitterCounters, Playout};
pub use opus::{OpusDecoder, OpusEncoder};
pub use recorder::{
    PauseMode, RECORDING_RATE, Recorded, Recorder, RecorderConfig, RecorderEvent, repair,
};
pub use resample::Resampler;
pub use tone::{Beep, Ringback, Tone, beep};
pub use wav::{Wav, WavError};
