//! PCM producers as leg payload sources: the one place frames become Opus for a leg to send.
//!
//! Verbs, ringback and the simulator's parties produce 16 kHz [`Frame`]s; a leg's port sends
//! Opus payloads ([`PayloadSource`]). [`Encoded`] turns any frame iterator into a source with its
//! own encoder, so codec work is spent only where audio is generated, never on a forwarded
//! bridge.

use std::fmt;

use crate::audio::{AudioError, Frame, OpusEncoder};
use crate::port::PayloadSource;

/// A frame iterator encoded to Opus, one payload per tick; ends when the iterator does.
pub struct Encoded<I> {
    frames: I,
    encoder: OpusEncoder,
}

impl<I> fmt::Debug for Encoded<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoded").finish_non_exhaustive()
    }
}

impl<I: Iterator<Item = Frame>> Encoded<I> {
    /// Encodes `frames` with a new encoder.
    pub fn new(frames: I) -> Result<Encoded<I>, AudioError> {
        Ok(Encoded {
            frames,
            encoder: OpusEncoder::new()?,
        })
    }
}

impl<I: Iterator<Item = Frame> + Send> PayloadSource for Encoded<I> {
    fn next_payload(&mut self) -> Option<Vec<u8>> {
        let frame = self.frames.next()?;
        match self.encoder.encode(&frame) {
            Ok(payload) => Some(payload),
            Err(error) => {
                // libopus refuses only invalid state; end the source rather than send garbage.
                tracing::warn!(%error, "Opus encoding failed; source ended");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{Clip, OpusDecoder, Tone, detect};

    #[test]
    fn encodes_each_frame_and_ends() {
        let tone: Vec<Frame> = Tone::new(&[440.0], 0.3).take(10).collect();
        let clip = Clip::from_frames(tone);
        let mut source = Encoded::new(clip.player(Some(1))).unwrap();
        let mut decoder = OpusDecoder::new().unwrap();
        let mut pcm = Vec::new();
        while let Some(payload) = source.next_payload() {
            pcm.extend_from_slice(decoder.decode(&payload).unwrap().samples());
        }
        assert_eq!(pcm.len(), 10 * 320);
        assert_eq!(
            detect::dominant_tone(&pcm[1600..], 16_000, &[350.0, 440.0, 1000.0]),
            Some(440.0)
        );
    }
}
