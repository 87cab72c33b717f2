//! A decoded prompt held in memory: what `<Say>` spoke or `<Play>` fetched, at 16 kHz.
//!
//! A clip is decoded once and shared ([`Arc`]) by every call that plays it: a file played to a
//! thousand calls is one allocation, and each call only holds a cursor ([`ClipPlayer`]).

use std::sync::Arc;
use std::time::Duration;

use super::error::AudioError;
use super::frame::{FRAME_DURATION, Frame, PCM_RATE};
use super::resample::Resampler;

/// Immutable 20 ms frames of one prompt.
#[derive(Clone, PartialEq, Eq)]
pub struct Clip {
    frames: Arc<[Frame]>,
}

impl std::fmt::Debug for Clip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clip")
            .field("frames", &self.frames.len())
            .finish()
    }
}

impl Clip {
    /// A clip of these frames.
    pub fn from_frames(frames: Vec<Frame>) -> Clip {
        Clip {
            frames: frames.into(),
        }
    }

    /// Mono samples at `rate` Hz, resampled to [`PCM_RATE`] and cut into frames (the last one
    /// zero-padded).
    pub fn from_pcm(rate: u32, samples: &[i16]) -> Result<Clip, AudioError> {
        let pcm = if rate == PCM_RATE {
            samples.to_vec()
        } else {
            Resampler::convert(rate, PCM_RATE, samples)?
        };
        Ok(Clip::from_frames(Frame::split(&pcm)))
    }

    /// The frames.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// True for a clip without a frame.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// How long one pass plays.
    pub fn duration(&self) -> Duration {
        FRAME_DURATION.saturating_mul(u32::try_from(self.frames.len()).unwrap_or(u32::MAX))
    }

    /// A cursor playing the clip `passes` times (`None`: until stopped).
    pub fn player(&self, passes: Option<u32>) -> ClipPlayer {
        ClipPlayer {
            clip: self.clone(),
            passes,
            pos: 0,
        }
    }
}

/// One call's position in a [`Clip`]: an iterator of frames that ends after its passes.
#[derive(Debug, Clone)]
pub struct ClipPlayer {
    clip: Clip,
    /// Passes left, counting the current one; `None` repeats forever.
    passes: Option<u32>,
    pos: usize,
}

impl Iterator for ClipPlayer {
    type Item = Frame;

    fn next(&mut self) -> Option<Frame> {
        if self.clip.is_empty() || self.passes == Some(0) {
            return None;
        }
        let frame = self.clip.frames[self.pos];
        self.pos += 1;
        if self.pos == self.clip.len() {
            self.pos = 0;
            if let Some(left) = &mut self.passes {
                *left -= 1;
            }
        }
        Some(frame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_its_passes_then_ends() {
        let mut a = Frame::SILENCE;
        a.0[0] = 1;
        let clip = Clip::from_frames(vec![a, Frame::SILENCE]);
        assert_eq!(clip.duration(), Duration::from_millis(40));
        assert_eq!(clip.player(Some(2)).count(), 4);
        assert_eq!(clip.player(Some(0)).count(), 0);
        assert_eq!(clip.player(None).take(7).count(), 7);
        assert_eq!(Clip::from_frames(vec![]).player(None).next(), None);
    }

    #[test]
    fn resamples_to_16k() {
        let clip = Clip::from_pcm(8000, &[0; 8000]).unwrap();
        assert!((49..=51).contains(&clip.len()), "{}", clip.len());
        assert_eq!(Clip::from_pcm(16_000, &[0; 640]).unwrap().len(), 2);
    }
}
