//! Errors of the audio core.

/// Why a codec or resampler operation failed.
///
/// WAV input has its own [`WavError`](super::WavError) because its failures (a lying header,
/// truncated data) are about a file, not about the audio pipeline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AudioError {
    /// libopus refused: a corrupt packet on decode, a bad argument on encode, or an encoder or
    /// decoder it could not create. The string is libopus's own function and reason.
    #[error("opus: {0}")]
    Opus(String),
    /// An Opus packet that decodes, but not to one 20 ms frame (e.g. a 10 ms or 60 ms packet
    /// given to [`OpusDecoder::decode`](super::OpusDecoder::decode)); `samples` is its length
    /// at 16 kHz.
    #[error("opus packet of {samples} samples at 16 kHz, expected {expected}")]
    PacketDuration {
        /// Samples the packet holds at 16 kHz.
        samples: usize,
        /// Samples the call needed (one frame, or a multiple of one).
        expected: usize,
    },
    /// A sample rate the resampler cannot work with (zero, or a ratio rubato refuses).
    #[error("cannot resample {from} Hz to {to} Hz: {reason}")]
    Resampler {
        /// Input rate.
        from: u32,
        /// Output rate.
        to: u32,
        /// rubato's reason.
        reason: String,
    },
    /// A recording file could not be written, read or repaired (an I/O error, a file that is
    /// not a recording, a wrong channel count).
    #[error("recording: {0}")]
    Recording(String),
}

impl From<::opus::Error> for AudioError {
    fn from(e: ::opus::Error) -> Self {
        AudioError::Opus(format!("{}: {}", e.function(), e.description()))
    }
}
