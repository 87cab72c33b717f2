//! Streaming sample-rate conversion at the edges of the pipeline.
//!
//! Built on rubato's synchronous FFT resampler (`rubato::Fft`): for a fixed ratio it is both
//! the fastest and the cleanest of rubato's resamplers (anti-aliasing by construction, no
//! interpolation error). The FFT works on fixed blocks, about 20 ms of input; this wrapper
//! keeps the partial block between calls, so a stream can be fed in pieces of any size and
//! the output is the same as converting it in one go: no clicks at piece boundaries.
//!
//! The resampler's own delay (half an FFT block, about 10 ms) is trimmed from the front and
//! [`Resampler::flush`] pushes the tail out, so the output lines up with the input sample for
//! sample and has exactly `round(input × to / from)` samples.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler as _};

use super::error::AudioError;

/// Highest rate accepted, Hz (a WAV header can claim anything; 384 kHz is the top of real
/// audio). It bounds the FFT block, which is at most one second of input.
pub const MAX_RATE: u32 = 384_000;

/// A streaming converter from one fixed rate to another, mono `i16`.
pub struct Resampler {
    from: u32,
    to: u32,
    /// `None` when `from == to`: samples pass through unchanged, with no delay.
    fft: Option<Fft<f32>>,
    /// Input not yet making a whole block.
    pending: Vec<f32>,
    /// One block of output.
    block_out: Vec<f32>,
    /// Output samples of the resampler's start-up delay still to drop.
    delay_left: usize,
    input_total: u64,
    output_total: u64,
}

impl std::fmt::Debug for Resampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resampler")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Resampler {
    /// A converter from `from_hz` to `to_hz` (each 1 to [`MAX_RATE`]).
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Resampler, AudioError> {
        let refuse = |reason: String| AudioError::Resampler {
            from: from_hz,
            to: to_hz,
            reason,
        };
        for rate in [from_hz, to_hz] {
            if rate == 0 || rate > MAX_RATE {
                return Err(refuse(format!("rates must be 1 to {MAX_RATE} Hz")));
            }
        }
        let mut resampler = Resampler {
            from: from_hz,
            to: to_hz,
            fft: None,
            pending: Vec::new(),
            block_out: Vec::new(),
            delay_left: 0,
            input_total: 0,
            output_total: 0,
        };
        if from_hz != to_hz {
            let chunk = block_len(from_hz, to_hz);
            let fft = Fft::<f32>::new(from_hz as usize, to_hz as usize, chunk, 1, FixedSync::Both)
                .map_err(|e| refuse(e.to_string()))?;
            resampler.delay_left = fft.output_delay();
            resampler.block_out = vec![0.0; fft.output_frames_max()];
            resampler.pending.reserve(fft.input_frames_max());
            resampler.fft = Some(fft);
        }
        Ok(resampler)
    }

    /// Converts a whole clip in one call (`new`, `process`, `flush`).
    pub fn convert(from_hz: u32, to_hz: u32, samples: &[i16]) -> Result<Vec<i16>, AudioError> {
        let mut r = Resampler::new(from_hz, to_hz)?;
        let mut out = r.process(samples);
        out.extend(r.flush());
        Ok(out)
    }

    /// The input rate.
    pub fn from_hz(&self) -> u32 {
        self.from
    }

    /// The output rate.
    pub fn to_hz(&self) -> u32 {
        self.to
    }

    /// Feeds `input`; returns the output that is ready (possibly none: a block is about
    /// 20 ms of input, and the first ~10 ms of output are the trimmed delay).
    pub fn process(&mut self, input: &[i16]) -> Vec<i16> {
        self.input_total += input.len() as u64;
        let capacity = self.ratio_len(self.pending.len() + input.len()) + 1;
        let Some(fft) = self.fft.as_mut() else {
            self.output_total += input.len() as u64;
            return input.to_vec();
        };
        self.pending
            .extend(input.iter().map(|&s| f32::from(s) / 32_768.0));
        let block = fft.input_frames_next();
        let mut out = Vec::with_capacity(capacity);
        let mut start = 0;
        while self.pending.len() - start >= block {
            let end = start + block;
            run_block(
                fft,
                &self.pending[start..end],
                &mut self.block_out,
                &mut self.delay_left,
                &mut self.output_total,
                &mut out,
            );
            start = end;
        }
        self.pending.drain(..start);
        out
    }

    /// Ends the stream: returns the rest of the output, so that everything returned since
    /// the start is `round(input × to / from)` samples. The resampler is then ready for a
    /// new stream.
    pub fn flush(&mut self) -> Vec<i16> {
        let expected = (self.input_total * u64::from(self.to) + u64::from(self.from) / 2)
            / u64::from(self.from);
        let mut out = Vec::new();
        if let Some(fft) = self.fft.as_mut() {
            let block = fft.input_frames_next();
            while self.output_total < expected {
                // The partial block, then silence, until the delayed tail is out.
                self.pending.resize(block, 0.0);
                run_block(
                    fft,
                    &self.pending,
                    &mut self.block_out,
                    &mut self.delay_left,
                    &mut self.output_total,
                    &mut out,
                );
                self.pending.clear();
            }
            let extra = usize::try_from(self.output_total - expected).unwrap_or(usize::MAX);
            out.truncate(out.len().saturating_sub(extra));
            fft.reset();
            self.delay_left = fft.output_delay();
        }
        self.pending.clear();
        self.input_total = 0;
        self.output_total = 0;
        out
    }

    #[allow(clippy::cast_possible_truncation)]
    fn ratio_len(&self, n: usize) -> usize {
        (n as u64 * u64::from(self.to) / u64::from(self.from)) as usize
    }
}

/// Input samples per FFT block: a whole multiple of the smallest block the ratio allows
/// (`from / gcd(from, to)`, e.g. 441 for 22 050 → 16 000), about 20 ms, and even: the
/// resampler's delay is half a block, and only an even block makes that a whole number of
/// input samples, so that trimming it leaves the output exactly aligned with the input (an
/// odd block leaves it half an input sample early).
fn block_len(from: u32, to: u32) -> usize {
    let (mut a, mut b) = (from, to);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let smallest = (from / a) as usize;
    let mut k = (from as usize / 50).div_ceil(smallest).max(1);
    if (k * smallest) % 2 == 1 {
        k += 1;
    }
    k * smallest
}

/// Resamples one block and appends it to `out` as `i16`, dropping the start-up delay.
fn run_block(
    fft: &mut Fft<f32>,
    input: &[f32],
    block_out: &mut [f32],
    delay_left: &mut usize,
    output_total: &mut u64,
    out: &mut Vec<i16>,
) {
    let frames_out = block_out.len();
    let (Ok(adapter_in), Ok(mut adapter_out)) = (
        InterleavedSlice::new(input, 1, input.len()),
        InterleavedSlice::new_mut(block_out, 1, frames_out),
    ) else {
        return;
    };
    // Sizes come from the resampler itself, so this cannot fail; were it to, the block is
    // dropped rather than the call panicking.
    let Ok((_, written)) = fft.process_into_buffer(&adapter_in, &mut adapter_out, None) else {
        return;
    };
    let skip = (*delay_left).min(written);
    *delay_left -= skip;
    for &s in &block_out[skip..written] {
        // `as` saturates, which is the clipping we want for an overshooting filter.
        #[allow(clippy::cast_possible_truncation)]
        out.push((s * 32_768.0).round() as i16);
    }
    *output_total += (written - skip) as u64;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    #[allow(clippy::cast_precision_loss)]
    fn sine(rate: u32, hz: f64, amplitude: f64, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                #[allow(clippy::cast_possible_truncation)]
                let s = (amplitude * (TAU * hz * i as f64 / f64::from(rate)).sin()).round() as i16;
                s
            })
            .collect()
    }

    #[test]
    fn refuses_bad_rates() {
        assert!(matches!(
            Resampler::new(0, 16_000),
            Err(AudioError::Resampler { from: 0, .. })
        ));
        assert!(Resampler::new(16_000, MAX_RATE + 1).is_err());
        assert!(Resampler::new(u32::MAX, 8_000).is_err());
    }

    #[test]
    fn blocks_are_even_and_about_20_ms() {
        assert_eq!(block_len(22_050, 16_000), 882);
        assert_eq!(block_len(8_000, 16_000), 160);
        assert_eq!(block_len(16_000, 8_000), 320);
        assert_eq!(block_len(44_100, 16_000), 882);
        assert_eq!(block_len(48_000, 16_000), 960);
        assert_eq!(block_len(11_025, 16_000), 882);
    }

    #[test]
    fn identity_passes_through() {
        let mut r = Resampler::new(16_000, 16_000).unwrap();
        assert_eq!(r.process(&[1, 2, 3]), [1, 2, 3]);
        assert!(r.flush().is_empty());
    }

    #[test]
    fn output_lengths_are_exact() {
        for (from, to, n) in [
            (22_050, 16_000, 22_050),
            (22_050, 16_000, 1_000),
            (8_000, 16_000, 8_000),
            (16_000, 8_000, 16_001),
            (44_100, 16_000, 44_100 * 2 + 17),
            (48_000, 16_000, 480),
            (8_000, 16_000, 1),
            (8_000, 16_000, 0),
        ] {
            let out = Resampler::convert(from, to, &vec![1000; n]).unwrap();
            let expected = (n as u64 * u64::from(to) + u64::from(from) / 2) / u64::from(from);
            assert_eq!(out.len() as u64, expected, "{from} → {to}, {n} samples");
        }
    }

    /// A sine resampled in odd-sized pieces equals the sine generated at the new rate: the
    /// delay is trimmed (no shift), the pieces join without clicks, the level is kept.
    #[test]
    fn streamed_sine_matches_ideal() {
        for (from, to) in [
            (8_000, 16_000),
            (22_050, 16_000),
            (48_000, 16_000),
            (16_000, 8_000),
        ] {
            let input = sine(from, 1000.0, 8000.0, from as usize);
            let mut r = Resampler::new(from, to).unwrap();
            let mut out = Vec::new();
            let mut rest = &input[..];
            let mut piece = 1;
            while !rest.is_empty() {
                let n = piece.min(rest.len());
                out.extend(r.process(&rest[..n]));
                rest = &rest[n..];
                piece = piece * 7 % 997 + 1;
            }
            out.extend(r.flush());
            let ideal = sine(to, 1000.0, 8000.0, out.len());
            assert_eq!(out.len(), to as usize);
            // Away from the ends (where the filter sees the clip's edges).
            let margin = to as usize / 20;
            let worst = out[margin..out.len() - margin]
                .iter()
                .zip(&ideal[margin..])
                .map(|(a, b)| (i32::from(*a) - i32::from(*b)).abs())
                .max()
                .unwrap();
            assert!(worst < 80, "{from} → {to}: worst error {worst} of 8000");
        }
    }

    #[test]
    fn pieces_equal_one_go() {
        let input = sine(22_050, 440.0, 10_000.0, 10_000);
        let whole = Resampler::convert(22_050, 16_000, &input).unwrap();
        let mut r = Resampler::new(22_050, 16_000).unwrap();
        let mut pieces = Vec::new();
        for chunk in input.chunks(123) {
            pieces.extend(r.process(chunk));
        }
        pieces.extend(r.flush());
        assert_eq!(whole, pieces);
        // Reusable after flush.
        let again: Vec<i16> = r.process(&input).into_iter().chain(r.flush()).collect();
        assert_eq!(whole, again);
    }

    #[test]
    fn downsampling_removes_what_cannot_be_kept() {
        // 6 kHz cannot exist at 8 kHz (Nyquist 4 kHz): it must not alias into the band.
        let input = sine(16_000, 6000.0, 10_000.0, 16_000);
        let out = Resampler::convert(16_000, 8_000, &input).unwrap();
        let mid = &out[800..7200];
        #[allow(clippy::cast_precision_loss)]
        let rms =
            (mid.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / mid.len() as f64).sqrt();
        assert!(rms < 100.0, "aliased rms {rms}");
    }
}
