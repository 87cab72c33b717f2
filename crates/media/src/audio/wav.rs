//! 16-bit PCM WAV files in and out, through the `hound` crate.
//!
//! What Twilio serves as a recording (`.wav`: 8 kHz 16-bit PCM, mono or dual-channel) and
//! the commonest `<Play>` input. Reading is defensive: the input comes from the Internet, so
//! every failure is a [`WavError`] (never a panic), and a header's claimed length is never
//! trusted for an allocation.

use std::io::Cursor;
use std::time::Duration;

/// Why a WAV file could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WavError {
    /// Not a WAV file, or its header or chunks do not parse (hound's reason).
    #[error("malformed WAV: {0}")]
    Malformed(String),
    /// A WAV file, but not one we play: only 16-bit integer PCM is supported (8-bit, 24-bit,
    /// float and μ-law WAVs are refused).
    #[error("unsupported WAV: {0}")]
    Unsupported(String),
    /// The data chunk claims more samples than the file holds (a lying header, or a
    /// download cut short); `got` whole samples were there.
    #[error("truncated WAV: header promises {expected} samples, file has {got}")]
    Truncated {
        /// Samples the header promises (all channels).
        expected: u64,
        /// Whole samples actually present.
        got: u64,
    },
    /// A [`Wav`] that cannot be written (no channels, rate 0, or samples that do not fill
    /// the last frame).
    #[error("cannot write WAV: {0}")]
    Invalid(String),
}

/// Decoded audio: 16-bit samples, interleaved when there are several channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wav {
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// Channels (1 mono, 2 stereo / Twilio's dual-channel recordings).
    pub channels: u16,
    /// Interleaved samples: `channels` per sample frame.
    pub samples: Vec<i16>,
}

impl Wav {
    /// Mono audio at `sample_rate`.
    pub fn mono(sample_rate: u32, samples: Vec<i16>) -> Wav {
        Wav {
            sample_rate,
            channels: 1,
            samples,
        }
    }

    /// Parses a WAV file.
    pub fn read(bytes: &[u8]) -> Result<Wav, WavError> {
        let reader = hound::WavReader::new(Cursor::new(bytes)).map_err(open_error)?;
        let spec = reader.spec();
        if spec.sample_format != hound::SampleFormat::Int || spec.bits_per_sample != 16 {
            let kind = match spec.sample_format {
                hound::SampleFormat::Int => "integer",
                hound::SampleFormat::Float => "float",
            };
            return Err(WavError::Unsupported(format!(
                "{}-bit {kind} samples (only 16-bit integer PCM)",
                spec.bits_per_sample
            )));
        }
        if spec.channels == 0 {
            return Err(WavError::Malformed("no channels".to_owned()));
        }
        if spec.sample_rate == 0 {
            return Err(WavError::Malformed("sample rate 0".to_owned()));
        }
        let expected = u64::from(reader.len());
        // Never allocate on the header's word: at most what the bytes can hold.
        let capacity = usize::try_from(expected)
            .unwrap_or(usize::MAX)
            .min(bytes.len() / 2);
        let mut samples = Vec::with_capacity(capacity);
        for sample in reader.into_samples::<i16>() {
            match sample {
                Ok(s) => samples.push(s),
                Err(hound::Error::IoError(_) | hound::Error::UnfinishedSample) => {
                    return Err(WavError::Truncated {
                        expected,
                        got: samples.len() as u64,
                    });
                }
                Err(e) => return Err(WavError::Malformed(e.to_string())),
            }
        }
        if samples.len() as u64 != expected {
            return Err(WavError::Truncated {
                expected,
                got: samples.len() as u64,
            });
        }
        if !samples.len().is_multiple_of(usize::from(spec.channels)) {
            return Err(WavError::Malformed(format!(
                "{} samples do not fill {}-channel frames",
                samples.len(),
                spec.channels
            )));
        }
        Ok(Wav {
            sample_rate: spec.sample_rate,
            channels: spec.channels,
            samples,
        })
    }

    /// The file: a RIFF/WAVE header (plain PCM format chunk for mono and stereo) and the
    /// samples. 8 kHz mono is 16 000 bytes per second plus 44 bytes of header, as Twilio's.
    pub fn write(&self) -> Result<Vec<u8>, WavError> {
        if self.channels == 0 || self.sample_rate == 0 {
            return Err(WavError::Invalid(format!(
                "{} channels at {} Hz",
                self.channels, self.sample_rate
            )));
        }
        if !self
            .samples
            .len()
            .is_multiple_of(usize::from(self.channels))
        {
            return Err(WavError::Invalid(format!(
                "{} samples do not fill {}-channel frames",
                self.samples.len(),
                self.channels
            )));
        }
        let spec = hound::WavSpec {
            channels: self.channels,
            sample_rate: self.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut cursor = Cursor::new(Vec::with_capacity(44 + self.samples.len() * 2));
        let write_error = |e: hound::Error| WavError::Invalid(e.to_string());
        let mut writer = hound::WavWriter::new(&mut cursor, spec).map_err(write_error)?;
        for &s in &self.samples {
            writer.write_sample(s).map_err(write_error)?;
        }
        writer.finalize().map_err(write_error)?;
        Ok(cursor.into_inner())
    }

    /// Sample frames (samples per channel).
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.channels.max(1))
    }

    /// How long it plays.
    pub fn duration(&self) -> Duration {
        if self.sample_rate == 0 {
            return Duration::ZERO;
        }
        let frames = self.frames() as u128;
        let nanos = frames * 1_000_000_000 / u128::from(self.sample_rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// The channels averaged into one (mono is returned as is).
    pub fn to_mono(&self) -> Vec<i16> {
        let channels = usize::from(self.channels.max(1));
        if channels == 1 {
            return self.samples.clone();
        }
        self.samples
            .chunks_exact(channels)
            .map(|frame| {
                let sum: i64 = frame.iter().map(|&s| i64::from(s)).sum();
                // The mean of i16 values is an i16.
                #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
                let mean = (sum / channels as i64) as i16;
                mean
            })
            .collect()
    }
}

fn open_error(e: hound::Error) -> WavError {
    match e {
        hound::Error::Unsupported => WavError::Unsupported("format hound does not read".to_owned()),
        hound::Error::TooWide | hound::Error::InvalidSampleFormat => {
            WavError::Unsupported(e.to_string())
        }
        hound::Error::IoError(_) => WavError::Malformed("file ends inside its header".to_owned()),
        other => WavError::Malformed(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample_wav() -> Wav {
        Wav::mono(
            8000,
            (0..8000)
                .map(|i| i16::try_from((i * 37) % 20_000 - 10_000).unwrap())
                .collect(),
        )
    }

    #[test]
    fn mono_round_trip_and_twilio_size() {
        let wav = sample_wav();
        let bytes = wav.write().unwrap();
        // 128 kbit/s: 16 000 bytes of samples per second, 44 bytes of header.
        assert_eq!(bytes.len(), 16_044);
        assert_eq!(&bytes[..4], b"RIFF");
        assert_eq!(&bytes[8..16], b"WAVEfmt ");
        assert_eq!(u16::from_le_bytes([bytes[20], bytes[21]]), 1, "PCM");
        let back = Wav::read(&bytes).unwrap();
        assert_eq!(back, wav);
        assert_eq!(back.frames(), 8000);
        assert_eq!(back.duration(), Duration::from_secs(1));
    }

    #[test]
    fn stereo_round_trip_and_downmix() {
        let wav = Wav {
            sample_rate: 44_100,
            channels: 2,
            samples: vec![100, 300, -100, -301, i16::MAX, i16::MAX, i16::MIN, i16::MIN],
        };
        let back = Wav::read(&wav.write().unwrap()).unwrap();
        assert_eq!(back, wav);
        assert_eq!(back.frames(), 4);
        assert_eq!(back.to_mono(), [200, -200, i16::MAX, i16::MIN]);
    }

    #[test]
    fn lying_and_cut_headers() {
        let bytes = sample_wav().write().unwrap();
        // Cut in the data: the header promises 8000 samples.
        assert_eq!(
            Wav::read(&bytes[..44 + 1001]),
            Err(WavError::Truncated {
                expected: 8000,
                got: 500
            })
        );
        // A data chunk claiming 1 GiB.
        let mut lying = bytes.clone();
        lying[40..44].copy_from_slice(&(1u32 << 30).to_le_bytes());
        assert_eq!(
            Wav::read(&lying),
            Err(WavError::Truncated {
                expected: 1 << 29,
                got: 8000
            })
        );
        // Cut inside the header.
        assert!(matches!(
            Wav::read(&bytes[..30]),
            Err(WavError::Malformed(_))
        ));
        assert!(matches!(Wav::read(b""), Err(WavError::Malformed(_))));
        assert!(matches!(
            Wav::read(b"ID3\x03 not a wav"),
            Err(WavError::Malformed(_))
        ));
    }

    #[test]
    fn other_formats_are_unsupported() {
        for (bits, format) in [
            (8, hound::SampleFormat::Int),
            (24, hound::SampleFormat::Int),
            (32, hound::SampleFormat::Float),
        ] {
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: 8000,
                bits_per_sample: bits,
                sample_format: format,
            };
            let mut cursor = Cursor::new(Vec::new());
            let mut w = hound::WavWriter::new(&mut cursor, spec).unwrap();
            for _ in 0..10 {
                if format == hound::SampleFormat::Float {
                    w.write_sample(0.5f32).unwrap();
                } else {
                    w.write_sample(1i32).unwrap();
                }
            }
            w.finalize().unwrap();
            assert!(
                matches!(Wav::read(cursor.get_ref()), Err(WavError::Unsupported(_))),
                "{bits}-bit {format:?}"
            );
        }
        // μ-law WAV (format tag 7): hound does not read it.
        let mut ulaw = sample_wav().write().unwrap();
        ulaw[20..22].copy_from_slice(&7u16.to_le_bytes());
        assert!(Wav::read(&ulaw).is_err());
    }

    #[test]
    fn invalid_wavs_are_not_written() {
        assert!(matches!(
            Wav::mono(0, vec![1]).write(),
            Err(WavError::Invalid(_))
        ));
        let odd = Wav {
            sample_rate: 8000,
            channels: 2,
            samples: vec![1, 2, 3],
        };
        assert!(matches!(odd.write(), Err(WavError::Invalid(_))));
        let none = Wav {
            sample_rate: 8000,
            channels: 0,
            samples: vec![],
        };
        assert!(none.write().is_err());
        assert_eq!(none.frames(), 0);
        assert_eq!(Wav::mono(8000, vec![]).write().unwrap().len(), 44);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Any bytes: an answer, never a panic.
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = Wav::read(&bytes);
        }

        /// A valid file with bytes changed in its header and a random cut: never a panic, and
        /// what parses is self-consistent.
        #[test]
        fn damaged_files_never_panic(
            edits in proptest::collection::vec((0usize..64, any::<u8>()), 0..8),
            cut in 0usize..400,
            riff in any::<bool>(),
        ) {
            let mut bytes = Wav::mono(8000, (0..150).map(|i| i * 100).collect())
                .write()
                .unwrap();
            for (at, value) in edits {
                bytes[at] = value;
            }
            if riff {
                bytes[..4].copy_from_slice(b"RIFF");
            }
            bytes.truncate(cut);
            if let Ok(wav) = Wav::read(&bytes) {
                prop_assert!(wav.channels > 0 && wav.sample_rate > 0);
                prop_assert_eq!(wav.samples.len() % usize::from(wav.channels), 0);
                prop_assert!(wav.samples.len() * 2 <= bytes.len());
            }
        }
    }
}
