//! Tone and activity detection, for tests, the simulator's scripted parties and checks such
//! as "the caller heard ringback".
//!
//! Tones are measured with the Goertzel algorithm at the exact frequency asked (not the
//! nearest DFT bin) over a Hann-windowed block, and compared with the block's total power:
//! a codec that changes the level (Opus, G.711) or adds a little noise changes both alike,
//! so the ratio survives coding. Close tones (440 and 480 Hz) need about 100 ms of audio to
//! be told apart; a 20 ms frame resolves about 100 Hz.

use std::time::Duration;

use super::frame::{FRAME_DURATION, Frame};

/// Share of a block's power a tone must have for [`tone_present`]; a dual tone gives each of
/// its components about half.
pub const TONE_SHARE: f64 = 0.25;

/// Share the best candidate must have for [`dominant_tone`] to name it.
pub const DOMINANT_SHARE: f64 = 0.3;

/// Blocks quieter than this (RMS, dBFS) hold no tone: about −55 dBFS, the level of a
/// quiet line; Opus's comfort noise and PLC tails are below it.
pub const SILENCE_DBFS: f64 = -55.0;

/// A frame counts towards [`speech_like_energy`] above this RMS level (dBFS): about −45 dBFS,
/// well above silence and comfort noise, below soft speech (−30 to −20 dBFS).
pub const SPEECH_DBFS: f64 = -45.0;

/// Power of the `hz` component of `samples` (taken at `rate`), as the mean square of that
/// sinusoid in units of full scale: a full-scale sine gives 0.5, one of amplitude A gives
/// A²/2. Empty input, or a frequency at or above Nyquist, gives 0.
pub fn goertzel_power(samples: &[i16], rate: u32, hz: f32) -> f64 {
    let n = samples.len();
    if n < 2 || rate == 0 || f64::from(hz) * 2.0 >= f64::from(rate) || hz <= 0.0 {
        return 0.0;
    }
    let omega = std::f64::consts::TAU * f64::from(hz) / f64::from(rate);
    let coeff = 2.0 * omega.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut window_sum = 0.0;
    for (i, &x) in samples.iter().enumerate() {
        let w = hann(i, n);
        window_sum += w;
        let s0 = w * f64::from(x) / 32_768.0 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    // |X(ω)|² of the windowed block, for a non-integer bin (exact frequency).
    let re = s1 - s2 * omega.cos();
    let im = s2 * omega.sin();
    let magnitude2 = re * re + im * im;
    // A sine of amplitude A gives |X| = A·Σw/2, so A²/2 = 2|X|²/(Σw)².
    2.0 * magnitude2 / (window_sum * window_sum)
}

/// Mean square of the whole block with the same window, in units of full scale (what
/// [`goertzel_power`] is compared with).
fn total_power(samples: &[i16]) -> f64 {
    let n = samples.len();
    if n < 2 {
        return 0.0;
    }
    let (mut energy, mut window2) = (0.0, 0.0);
    for (i, &x) in samples.iter().enumerate() {
        let w = hann(i, n);
        let v = w * f64::from(x) / 32_768.0;
        energy += v * v;
        window2 += w * w;
    }
    energy / window2
}

#[allow(clippy::cast_precision_loss)]
fn hann(i: usize, n: usize) -> f64 {
    let x = std::f64::consts::TAU * i as f64 / (n - 1) as f64;
    0.5 - 0.5 * x.cos()
}

/// The share of the block's power at `hz` (0 to about 1), or `None` for a silent block.
pub fn tone_share(samples: &[i16], rate: u32, hz: f32) -> Option<f64> {
    let total = total_power(samples);
    // Mean square (in full-scale units) of a signal whose RMS is SILENCE_DBFS.
    if total <= 10f64.powf(SILENCE_DBFS / 10.0) {
        return None;
    }
    Some(goertzel_power(samples, rate, hz) / total)
}

/// Whether `hz` carries at least [`TONE_SHARE`] of the block's power (and the block is not
/// silent).
pub fn tone_present(samples: &[i16], rate: u32, hz: f32) -> bool {
    tone_share(samples, rate, hz).is_some_and(|share| share >= TONE_SHARE)
}

/// The candidate with the largest share of the block's power, if that share is at least
/// [`DOMINANT_SHARE`] and the block is not silent.
pub fn dominant_tone(samples: &[i16], rate: u32, candidates: &[f32]) -> Option<f32> {
    let mut best: Option<(f32, f64)> = None;
    for &hz in candidates {
        let share = tone_share(samples, rate, hz)?;
        if best.is_none_or(|(_, s)| share > s) {
            best = Some((hz, share));
        }
    }
    best.filter(|&(_, share)| share >= DOMINANT_SHARE)
        .map(|(hz, _)| hz)
}

/// How long the frames are above [`SPEECH_DBFS`]: frames × 20 ms, whether or not they are
/// consecutive. A cheap stand-in for voice activity (`<Record>`'s silence timeout, "did the
/// callee say something") that tests can predict exactly.
pub fn speech_like_energy(frames: &[Frame]) -> Duration {
    let loud = frames
        .iter()
        .filter(|f| f.level_dbfs() > SPEECH_DBFS)
        .count();
    FRAME_DURATION * u32::try_from(loud).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::frame::PCM_RATE;
    use crate::audio::opus::{OpusDecoder, OpusEncoder};
    use crate::audio::tone::Tone;

    fn tone(hz: &[f32], amplitude: f32, frames: usize) -> Vec<Frame> {
        let mut t = Tone::new(hz, amplitude);
        (0..frames).map(|_| t.next_frame()).collect()
    }

    fn pcm(frames: &[Frame]) -> Vec<i16> {
        frames
            .iter()
            .flat_map(|f| f.samples().iter().copied())
            .collect()
    }

    #[test]
    fn goertzel_measures_a_sine() {
        let p = pcm(&tone(&[440.0], 0.5, 5));
        let power = goertzel_power(&p, PCM_RATE, 440.0);
        assert!((power - 0.125).abs() < 0.002, "{power}");
        assert!(goertzel_power(&p, PCM_RATE, 1000.0) < 1e-6);
        assert!(goertzel_power(&[], PCM_RATE, 440.0).abs() < f64::EPSILON);
        assert!(goertzel_power(&p, PCM_RATE, 8000.0).abs() < f64::EPSILON);
        assert!(goertzel_power(&p, 0, 440.0).abs() < f64::EPSILON);
        let share = tone_share(&p, PCM_RATE, 440.0).unwrap();
        assert!((share - 1.0).abs() < 0.02, "{share}");
    }

    #[test]
    fn one_frame_detects_a_tone() {
        let p = pcm(&tone(&[1000.0], 0.1, 1));
        assert!(tone_present(&p, PCM_RATE, 1000.0));
        assert!(!tone_present(&p, PCM_RATE, 440.0));
        assert_eq!(
            dominant_tone(&p, PCM_RATE, &[440.0, 1000.0, 2000.0]),
            Some(1000.0)
        );
    }

    #[test]
    fn dual_tones_split_the_power() {
        let p = pcm(&tone(&[440.0, 480.0], 0.1, 10));
        for hz in [440.0, 480.0] {
            let share = tone_share(&p, PCM_RATE, hz).unwrap();
            assert!((share - 0.5).abs() < 0.05, "{hz}: {share}");
            assert!(tone_present(&p, PCM_RATE, hz));
        }
        assert!(!tone_present(&p, PCM_RATE, 350.0));
        assert!(!tone_present(&p, PCM_RATE, 620.0));
    }

    #[test]
    fn silence_and_noise_hold_no_tone() {
        let silent = vec![0i16; 1600];
        assert_eq!(tone_share(&silent, PCM_RATE, 440.0), None);
        assert!(!tone_present(&silent, PCM_RATE, 440.0));
        assert_eq!(dominant_tone(&silent, PCM_RATE, &[440.0]), None);
        // Deterministic white-ish noise: power spread thin, no candidate dominates.
        let mut x = 12_345u32;
        let noise: Vec<i16> = (0..1600)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let [_, _, lo, hi] = x.to_le_bytes();
                i16::from_le_bytes([lo, hi]) / 4
            })
            .collect();
        assert_eq!(dominant_tone(&noise, PCM_RATE, &[440.0, 1000.0]), None);
        assert!(!tone_present(&noise, PCM_RATE, 440.0));
    }

    #[test]
    fn survives_opus() {
        let mut enc = OpusEncoder::new().unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        let decoded: Vec<Frame> = tone(&[440.0], 0.3, 50)
            .iter()
            .map(|f| dec.decode(&enc.encode(f).unwrap()).unwrap())
            .collect();
        // Skip the codec's start-up (look-ahead and the first frames).
        let p = pcm(&decoded[5..]);
        assert!(tone_present(&p, PCM_RATE, 440.0));
        assert!(!tone_present(&p, PCM_RATE, 1000.0));
        assert_eq!(dominant_tone(&p, PCM_RATE, &[440.0, 1000.0]), Some(440.0));
        let share = tone_share(&p, PCM_RATE, 440.0).unwrap();
        assert!(share > 0.9, "{share}");
        // And per 20 ms frame.
        for f in &decoded[5..] {
            assert_eq!(
                dominant_tone(f.samples(), PCM_RATE, &[440.0, 1000.0]),
                Some(440.0)
            );
        }
    }

    #[test]
    fn speech_like_energy_counts_loud_frames() {
        let mut frames = tone(&[300.0], 0.05, 7);
        frames.extend([Frame::SILENCE; 5]);
        // −60 dBFS: not speech.
        frames.extend(tone(&[300.0], 0.0014, 3));
        frames.extend(tone(&[300.0], 0.05, 2));
        assert_eq!(speech_like_energy(&frames), Duration::from_millis(180));
        assert_eq!(speech_like_energy(&[]), Duration::ZERO);
    }
}
