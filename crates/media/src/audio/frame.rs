//! The internal PCM unit: 20 ms of 16 kHz mono `i16`.

use std::time::Duration;

/// The internal sample rate, Hz: wideband speech, what libopus codes WhatsApp's audio at.
pub const PCM_RATE: u32 = 16_000;
/// Samples in one frame: 20 ms at [`PCM_RATE`].
pub const FRAME_SAMPLES: usize = 320;
/// The length of one frame, the media tick.
pub const FRAME_DURATION: Duration = Duration::from_millis(20);

/// 20 ms of 16 kHz mono audio.
///
/// A plain array (640 bytes, `Copy`) so that frames move through queues and mixers without
/// allocating.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Frame(pub [i16; FRAME_SAMPLES]);

impl Frame {
    /// All zeros.
    pub const SILENCE: Frame = Frame([0; FRAME_SAMPLES]);

    /// The first [`FRAME_SAMPLES`] of `samples`; a shorter slice (the tail of a file or of a
    /// resampled stream) is zero-padded to a whole frame.
    pub fn from_slice(samples: &[i16]) -> Frame {
        let mut frame = Frame::SILENCE;
        let n = samples.len().min(FRAME_SAMPLES);
        frame.0[..n].copy_from_slice(&samples[..n]);
        frame
    }

    /// Cuts `samples` into frames, zero-padding the last one; an empty slice gives no frame.
    pub fn split(samples: &[i16]) -> Vec<Frame> {
        samples
            .chunks(FRAME_SAMPLES)
            .map(Frame::from_slice)
            .collect()
    }

    /// The samples.
    pub fn samples(&self) -> &[i16; FRAME_SAMPLES] {
        &self.0
    }

    /// The samples, mutable.
    pub fn samples_mut(&mut self) -> &mut [i16; FRAME_SAMPLES] {
        &mut self.0
    }

    /// Adds `other` sample by sample, saturating at the `i16` limits (a conference or a
    /// whisper over the caller's audio; clipping beats wrapping around).
    pub fn mix(&mut self, other: &Frame) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a = a.saturating_add(*b);
        }
    }

    /// Multiplies every sample by `factor` (rounded, saturating at the `i16` limits).
    pub fn gain(&mut self, factor: f32) {
        for s in &mut self.0 {
            // `as` from f32 to i16 saturates (and maps NaN to 0), which is what we want.
            #[allow(clippy::cast_possible_truncation)]
            let scaled = (f32::from(*s) * factor).round() as i16;
            *s = scaled;
        }
    }

    /// Multiplies every sample by `db` decibels (`-6.0` halves the amplitude, roughly).
    pub fn gain_db(&mut self, db: f32) {
        self.gain(10f32.powf(db / 20.0));
    }

    /// The sum of the squared samples (exact: at most 320 × 2³⁰, well inside `u64`).
    pub fn energy(&self) -> u64 {
        self.0
            .iter()
            .map(|&s| {
                let s = i64::from(s);
                s.unsigned_abs() * s.unsigned_abs()
            })
            .sum()
    }

    /// Root mean square of the samples, in `i16` units (a full-scale sine is about 23 170).
    pub fn rms(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let mean = self.energy() as f64 / FRAME_SAMPLES as f64;
        mean.sqrt()
    }

    /// RMS relative to full scale (32 768) in dB; silence is `f64::NEG_INFINITY`.
    pub fn level_dbfs(&self) -> f64 {
        20.0 * (self.rms() / 32_768.0).log10()
    }

    /// Whether every sample is zero.
    pub fn is_silent(&self) -> bool {
        self.0.iter().all(|&s| s == 0)
    }
}

impl Default for Frame {
    fn default() -> Self {
        Frame::SILENCE
    }
}

impl std::fmt::Debug for Frame {
    /// A summary (RMS and peak), not 320 numbers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let peak = self.0.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        write!(f, "Frame {{ rms: {:.1}, peak: {peak} }}", self.rms())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_agree() {
        assert_eq!(
            FRAME_SAMPLES as u128,
            u128::from(PCM_RATE) * FRAME_DURATION.as_millis() / 1000
        );
        assert!(Frame::SILENCE.is_silent());
        assert_eq!(Frame::default(), Frame::SILENCE);
        assert_eq!(std::mem::size_of::<Frame>(), 640);
    }

    #[test]
    fn from_slice_pads_and_truncates() {
        let f = Frame::from_slice(&[1, 2, 3]);
        assert_eq!(&f.samples()[..4], &[1, 2, 3, 0]);
        assert!(f.samples()[3..].iter().all(|&s| s == 0));
        let long: Vec<i16> = (0..400).map(|i| i16::try_from(i).unwrap()).collect();
        let f = Frame::from_slice(&long);
        assert_eq!(f.samples()[319], 319);
        assert_eq!(Frame::from_slice(&[]), Frame::SILENCE);
    }

    #[test]
    fn split_counts_frames() {
        assert!(Frame::split(&[]).is_empty());
        assert_eq!(Frame::split(&[1; 320]).len(), 1);
        let frames = Frame::split(&[7; 641]);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[2].samples()[0], 7);
        assert_eq!(frames[2].samples()[1], 0);
    }

    #[test]
    fn mix_saturates() {
        let mut a = Frame::from_slice(&[30_000, -30_000, 100, -5]);
        let b = Frame::from_slice(&[10_000, -10_000, 23, 5]);
        a.mix(&b);
        assert_eq!(&a.samples()[..4], &[i16::MAX, i16::MIN, 123, 0]);
    }

    #[test]
    fn gain_scales_and_saturates() {
        let mut f = Frame::from_slice(&[1000, -1000, 20_000, 3]);
        f.gain(0.5);
        assert_eq!(&f.samples()[..4], &[500, -500, 10_000, 2]);
        f.gain(4.0);
        assert_eq!(&f.samples()[..4], &[2000, -2000, i16::MAX, 8]);
        let mut f = Frame::from_slice(&[10_000]);
        f.gain_db(-20.0);
        assert_eq!(f.samples()[0], 1000);
        f.gain(f32::NAN);
        assert_eq!(f.samples()[0], 0);
    }

    #[test]
    fn energy_and_rms() {
        assert_eq!(Frame::SILENCE.energy(), 0);
        assert!(Frame::SILENCE.level_dbfs().is_infinite());
        let f = Frame([100; FRAME_SAMPLES]);
        assert_eq!(f.energy(), 320 * 10_000);
        assert!((f.rms() - 100.0).abs() < 1e-9);
        let full = Frame([i16::MIN; FRAME_SAMPLES]);
        assert_eq!(full.energy(), 320 * (1 << 30));
        assert!(full.level_dbfs().abs() < 1e-9);
        assert_eq!(format!("{f:?}"), "Frame { rms: 100.0, peak: 100 }");
    }
}
