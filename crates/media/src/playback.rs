//! PCM producers as leg payload sources: the one place frames become Opus for a leg to send.
//!
//! Verbs, ringback and the simulator's parties produce 16 kHz [`Frame`]s; a leg's port sends
//! Opus payloads ([`PayloadSource`]). [`Encoded`] turns any frame iterator into a source with its
//! own encoder, so codec work is spent only where audio is generated, never on a forwarded
//! bridge.

use std::fmt;
use std::sync::Arc;

use crate::audio::{AudioError, Frame, OpusEncoder, PCM_RATE, Tone};
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

/// Frames in one second: a whole number of periods of any whole-hertz tone.
const FRAMES_PER_SECOND: usize = (PCM_RATE as usize) / crate::audio::FRAME_SAMPLES;

/// Payloads encoded once and sent in a loop, shared by every leg that plays them: a steady
/// tone (a simulated party's `Audio=tone:HZ`) costs no codec work per tick.
#[derive(Debug, Clone)]
pub struct PayloadLoop {
    payloads: Arc<[Vec<u8>]>,
    next: usize,
}

impl PayloadLoop {
    /// A sine at `hz` (whole hertz): two seconds are encoded and the second one is kept, so
    /// the looped packets carry the encoder history of a continuous tone.
    pub fn tone(hz: u16, amplitude: f32) -> Result<PayloadLoop, AudioError> {
        let mut encoder = OpusEncoder::new()?;
        let mut payloads = Vec::with_capacity(FRAMES_PER_SECOND);
        for (i, frame) in Tone::new(&[f32::from(hz)], amplitude)
            .take(2 * FRAMES_PER_SECOND)
            .enumerate()
        {
            let payload = encoder.encode(&frame)?;
            if i >= FRAMES_PER_SECOND {
                payloads.push(payload);
            }
        }
        Ok(PayloadLoop {
            payloads: payloads.into(),
            next: 0,
        })
    }
}

impl PayloadSource for PayloadLoop {
    fn next_payload(&mut self) -> Option<Vec<u8>> {
        let payload = self.payloads.get(self.next)?.clone();
        self.next = (self.next + 1) % self.payloads.len();
        Some(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{Clip, OpusDecoder, Tone, detect};

    #[test]
    fn a_tone_loop_repeats_one_encoded_second() {
        let mut source = PayloadLoop::tone(440, 0.3).unwrap();
        let mut decoder = OpusDecoder::new().unwrap();
        let mut pcm = Vec::new();
        let first: Vec<Vec<u8>> = (0..50).map(|_| source.next_payload().unwrap()).collect();
        for payload in first.iter().chain(first.iter()) {
            pcm.extend_from_slice(decoder.decode(payload).unwrap().samples());
        }
        assert_eq!(source.next_payload().as_ref(), Some(&first[0]));
        assert_eq!(
            detect::dominant_tone(&pcm[14_000..18_000], 16_000, &[350.0, 440.0, 1000.0]),
            Some(440.0),
            "across the loop's seam"
        );
    }

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
