//! Audio bodies to mono 16 kHz [`Clip`]s: WAV (parsed here), MP3 (symphonia), raw μ-law.
//!
//! WAV is parsed by hand rather than with the media crate's 16-bit-only reader because
//! `<Play>` files come in every PCM flavour Twilio accepts (8-bit unsigned, 16, 24 and 32-bit,
//! 32-bit float, μ-law and A-law, `WAVE_FORMAT_EXTENSIBLE`), and because the input comes from
//! the Internet: every length in a header is checked against the bytes actually present, so
//! a lying header is an error, never a panic or an allocation the body does not back.

use std::io::Cursor;
use std::time::Duration;

use bytes::Bytes;
use dialtone_media::audio::{Clip, g711, resample::MAX_RATE};

use crate::error::PromptError;

/// Channels a WAV may declare (anything above is treated as a lying header).
const MAX_CHANNELS: u16 = 16;
/// Lowest sample rate accepted (below this a header is not believable).
const MIN_RATE: u32 = 1000;

/// How strictly a WAV's data length is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DataLength {
    /// The header must not promise more than the body holds (`<Play>` files), except the
    /// streaming placeholders `0` and `0xFFFF_FFFF`.
    Strict,
    /// The data runs to the end of the body whatever the header says: espeak-ng writes
    /// `0x7FFF_F000` when it writes to a pipe.
    ToEnd,
}

/// Mono samples at a rate.
#[derive(Debug)]
pub(crate) struct Pcm {
    pub rate: u32,
    pub samples: Vec<i16>,
}

impl Pcm {
    /// Resampled to 16 kHz and cut into frames.
    pub fn into_clip(self, max: Duration) -> Result<Clip, PromptError> {
        let seconds = self.samples.len() as u64 / u64::from(self.rate.max(1));
        if seconds > max.as_secs() {
            return Err(PromptError::unsupported(format!(
                "audio of {seconds} s is longer than the {} s limit",
                max.as_secs()
            )));
        }
        Clip::from_pcm(self.rate, &self.samples)
            .map_err(|e| PromptError::unsupported(format!("cannot resample: {e}")))
    }
}

fn bad_wav(why: impl std::fmt::Display) -> PromptError {
    PromptError::unsupported(format!("invalid WAV: {why}"))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Pcm,
    Float,
    Alaw,
    Ulaw,
}

#[derive(Debug, Clone, Copy)]
struct Format {
    encoding: Encoding,
    channels: u16,
    rate: u32,
    bits: u16,
}

fn parse_fmt(chunk: &[u8]) -> Result<Format, PromptError> {
    let (Some(tag), Some(channels), Some(rate), Some(bits)) = (
        u16_at(chunk, 0),
        u16_at(chunk, 2),
        u32_at(chunk, 4),
        u16_at(chunk, 14),
    ) else {
        return Err(bad_wav("fmt chunk shorter than 16 bytes"));
    };
    let tag = if tag == 0xFFFE {
        // WAVE_FORMAT_EXTENSIBLE: the real tag opens the SubFormat GUID at offset 24.
        u16_at(chunk, 24).ok_or_else(|| bad_wav("extensible fmt chunk without SubFormat"))?
    } else {
        tag
    };
    let encoding = match tag {
        1 => Encoding::Pcm,
        3 => Encoding::Float,
        6 => Encoding::Alaw,
        7 => Encoding::Ulaw,
        other => {
            return Err(PromptError::unsupported(format!(
                "unsupported WAV: format tag {other:#06x} (PCM, float, μ-law and A-law are played)"
            )));
        }
    };
    if channels == 0 || channels > MAX_CHANNELS {
        return Err(bad_wav(format!("{channels} channels")));
    }
    if !(MIN_RATE..=MAX_RATE).contains(&rate) {
        return Err(bad_wav(format!("sample rate {rate} Hz")));
    }
    let ok_bits = match encoding {
        Encoding::Pcm => matches!(bits, 8 | 16 | 24 | 32),
        Encoding::Float => bits == 32,
        Encoding::Alaw | Encoding::Ulaw => bits == 8,
    };
    if !ok_bits {
        return Err(PromptError::unsupported(format!(
            "unsupported WAV: {bits}-bit {encoding:?} samples"
        )));
    }
    Ok(Format {
        encoding,
        channels,
        rate,
        bits,
    })
}

/// Parses a RIFF/WAVE body into mono samples (channels averaged).
pub(crate) fn wav(body: &[u8], length: DataLength) -> Result<Pcm, PromptError> {
    if body.len() < 12 || &body[0..4] != b"RIFF" || &body[8..12] != b"WAVE" {
        return Err(bad_wav("no RIFF/WAVE header"));
    }
    let mut at = 12usize;
    let mut format = None;
    loop {
        let (Some(id), Some(size)) = (body.get(at..at + 4), u32_at(body, at + 4)) else {
            return Err(bad_wav("no data chunk"));
        };
        let start = at + 8;
        let left = body.len() - start.min(body.len());
        if id == b"data" {
            let format = format.ok_or_else(|| bad_wav("data chunk before the fmt chunk"))?;
            let size = size as usize;
            let len = if size <= left {
                if size == 0 && length == DataLength::Strict {
                    left
                } else {
                    size
                }
            } else if length == DataLength::ToEnd || size == 0xFFFF_FFFF {
                left
            } else {
                return Err(bad_wav(format!(
                    "data chunk claims {size} bytes, the file holds {left}"
                )));
            };
            return Ok(samples(format, &body[start..start + len]));
        }
        let size = size as usize;
        if size > left {
            return Err(bad_wav(format!(
                "chunk {:?} claims {size} bytes, the file holds {left}",
                String::from_utf8_lossy(id)
            )));
        }
        if id == b"fmt " {
            format = Some(parse_fmt(&body[start..start + size])?);
        }
        // Chunks are padded to an even length.
        at = start + size + (size & 1);
    }
}

fn samples(format: Format, data: &[u8]) -> Pcm {
    let width = usize::from(format.bits / 8);
    let channels = usize::from(format.channels);
    let frame = width * channels;
    let mut out = Vec::with_capacity(data.len() / frame);
    for block in data.chunks_exact(frame) {
        let mut sum = 0i64;
        for s in block.chunks_exact(width) {
            sum += i64::from(sample(format.encoding, s));
        }
        // The mean of i16 values is an i16.
        #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
        out.push((sum / channels as i64) as i16);
    }
    Pcm {
        rate: format.rate,
        samples: out,
    }
}

#[allow(clippy::cast_possible_truncation, clippy::many_single_char_names)]
fn sample(encoding: Encoding, s: &[u8]) -> i16 {
    match (encoding, s) {
        (Encoding::Pcm, [b]) => (i16::from(*b) - 128) << 8,
        (Encoding::Pcm, [a, b]) => i16::from_le_bytes([*a, *b]),
        (Encoding::Pcm, [_, b, c]) => i16::from_le_bytes([*b, *c]),
        (Encoding::Pcm, [_, _, c, d]) => i16::from_le_bytes([*c, *d]),
        (Encoding::Float, [a, b, c, d]) => {
            let f = f32::from_le_bytes([*a, *b, *c, *d]);
            let f = if f.is_finite() {
                f.clamp(-1.0, 1.0)
            } else {
                0.0
            };
            (f * 32_767.0) as i16
        }
        (Encoding::Ulaw, [b]) => g711::ulaw_to_linear(*b),
        (Encoding::Alaw, [b]) => g711::alaw_to_linear(*b),
        _ => 0,
    }
}

/// Raw 8 kHz μ-law (`audio/ulaw`).
pub(crate) fn ulaw(body: &[u8]) -> Pcm {
    Pcm {
        rate: 8000,
        samples: g711::decode_ulaw(body),
    }
}

fn bad_mp3(why: impl std::fmt::Display) -> PromptError {
    PromptError::unsupported(format!("invalid MP3: {why}"))
}

/// MP3 through symphonia, channels averaged; decoding stops past `max`.
pub(crate) fn mp3(body: Bytes, max: Duration) -> Result<Pcm, PromptError> {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::errors::Error;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let stream = MediaSourceStream::new(
        Box::new(Cursor::new(body)),
        MediaSourceStreamOptions::default(),
    );
    let mut hint = Hint::new();
    hint.with_extension("mp3");
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(bad_mp3)?;
    let mut reader = probed.format;
    let track = reader
        .default_track()
        .ok_or_else(|| bad_mp3("no audio track"))?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(bad_mp3)?;
    let mut rate = track.codec_params.sample_rate.unwrap_or(0);
    let mut out: Vec<i16> = Vec::new();
    let mut buffer: Option<(symphonia::core::audio::SignalSpec, SampleBuffer<i16>)> = None;
    loop {
        let packet = match reader.next_packet() {
            Ok(p) => p,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(Error::ResetRequired) => break,
            Err(e) => return Err(bad_mp3(e)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            // A corrupt frame is skipped, as players do.
            Err(Error::DecodeError(_)) => continue,
            Err(e) => return Err(bad_mp3(e)),
        };
        let spec = *decoded.spec();
        if rate == 0 {
            rate = spec.rate;
        }
        let channels = spec.channels.count().max(1);
        // A new buffer whenever the stream's shape changes (MP3 frames may switch channels).
        let buf = match &mut buffer {
            Some((b_spec, b))
                if *b_spec == spec && b.capacity() >= decoded.capacity() * channels =>
            {
                b
            }
            _ => {
                let fresh = SampleBuffer::new(decoded.capacity() as u64, spec);
                &mut buffer.insert((spec, fresh)).1
            }
        };
        buf.copy_interleaved_ref(decoded);
        for block in buf.samples().chunks_exact(channels) {
            let sum: i64 = block.iter().map(|&s| i64::from(s)).sum();
            #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
            out.push((sum / channels as i64) as i16);
        }
        if rate > 0 && out.len() as u64 / u64::from(rate) > max.as_secs() {
            return Err(PromptError::unsupported(format!(
                "audio longer than the {} s limit",
                max.as_secs()
            )));
        }
    }
    if out.is_empty() || !(MIN_RATE..=MAX_RATE).contains(&rate) {
        return Err(bad_mp3("no decodable audio frames"));
    }
    Ok(Pcm { rate, samples: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(tag: u16, channels: u16, rate: u32, bits: u16, data_len: u32) -> Vec<u8> {
        let mut v = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        v.extend(16u32.to_le_bytes());
        v.extend(tag.to_le_bytes());
        v.extend(channels.to_le_bytes());
        v.extend(rate.to_le_bytes());
        v.extend((rate * u32::from(channels) * u32::from(bits / 8)).to_le_bytes());
        v.extend((channels * bits / 8).to_le_bytes());
        v.extend(bits.to_le_bytes());
        v.extend(b"data");
        v.extend(data_len.to_le_bytes());
        v
    }

    #[test]
    fn reads_every_pcm_width_and_g711() {
        let mut b = header(1, 1, 8000, 8, 2);
        b.extend([128, 255]);
        assert_eq!(wav(&b, DataLength::Strict).unwrap().samples, [0, 127 << 8]);
        let mut b = header(1, 2, 8000, 24, 6);
        b.extend([0, 0x00, 0x10, 0, 0x00, 0x30]);
        assert_eq!(wav(&b, DataLength::Strict).unwrap().samples, [0x2000]);
        let mut b = header(7, 1, 8000, 8, 1);
        b.push(g711::linear_to_ulaw(1000));
        let s = wav(&b, DataLength::Strict).unwrap().samples[0];
        assert!((s - 1000).abs() < 50, "{s}");
        let mut b = header(3, 1, 8000, 32, 4);
        b.extend(0.5f32.to_le_bytes());
        assert_eq!(wav(&b, DataLength::Strict).unwrap().samples, [16_383]);
    }

    #[test]
    fn lying_headers_are_errors() {
        let mut b = header(1, 1, 8000, 16, 1_000_000);
        b.extend([0; 100]);
        assert!(wav(&b, DataLength::Strict).is_err());
        assert_eq!(wav(&b, DataLength::ToEnd).unwrap().samples.len(), 50);
        for (ch, rate) in [(0, 8000), (200, 8000), (1, 0), (1, 10_000_000)] {
            let mut b = header(1, ch, rate, 16, 4);
            b.extend([0; 4]);
            assert!(wav(&b, DataLength::Strict).is_err(), "{ch} {rate}");
        }
        assert!(wav(b"RIFF", DataLength::Strict).is_err());
        assert!(wav(&header(1, 1, 8000, 12, 0)[..30], DataLength::Strict).is_err());
        assert!(
            mp3(
                Bytes::from_static(b"not an mp3 at all"),
                Duration::from_secs(1)
            )
            .is_err()
        );
    }

    #[test]
    fn stereo_24_bit_and_alaw_tones_downmix() {
        #[allow(clippy::cast_possible_truncation)]
        let tone: Vec<i16> = (0..8000)
            .map(|i| (f64::sin(f64::from(i) * std::f64::consts::TAU / 8.0) * 8000.0) as i16)
            .collect();
        let mut b = header(1, 2, 8000, 24, 8000 * 6);
        for &s in &tone {
            let [lo, hi] = s.to_le_bytes();
            b.extend([0, lo, hi, 0, lo, hi]);
        }
        let pcm = wav(&b, DataLength::Strict).unwrap();
        assert_eq!(pcm.samples, tone);
        let mut b = header(6, 1, 8000, 8, 8000);
        b.extend(g711::encode_alaw(&tone));
        let clip = wav(&b, DataLength::Strict)
            .unwrap()
            .into_clip(Duration::from_secs(5))
            .unwrap();
        let s: Vec<i16> = clip.frames().iter().flat_map(|f| f.0).collect();
        assert!(dialtone_media::audio::detect::tone_present(
            &s[1600..14_000],
            16_000,
            1000.0
        ));
        let long = header(6, 1, 8000, 8, 16_000);
        let mut long = long;
        long.extend(vec![0xD5; 16_000]);
        assert!(
            wav(&long, DataLength::Strict)
                .unwrap()
                .into_clip(Duration::from_secs(1))
                .is_err(),
            "over the clip limit"
        );
    }

    /// Cut and corrupted files are errors or short clips, never panics.
    #[test]
    fn damaged_files_never_panic() {
        let mp3_file: &[u8] = include_bytes!("../tests/fixtures/tone-1khz-1s.mp3");
        let mut wav_file = header(1, 1, 8000, 16, 400);
        wav_file.extend([7u8; 400]);
        let mut seed = 0x2545_f491_u32;
        for file in [mp3_file, &wav_file[..]] {
            for cut in (0..file.len()).step_by(37) {
                let _ = wav(&file[..cut], DataLength::Strict);
                let _ = wav(&file[..cut], DataLength::ToEnd);
                let _ = mp3(Bytes::copy_from_slice(&file[..cut]), Duration::from_secs(5));
            }
            for _ in 0..200 {
                let mut damaged = file.to_vec();
                for _ in 0..8 {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    let at = seed as usize % damaged.len();
                    #[allow(clippy::cast_possible_truncation)]
                    let byte = (seed >> 24) as u8;
                    damaged[at] = byte;
                }
                let _ = wav(&damaged, DataLength::Strict);
                let _ = mp3(Bytes::from(damaged), Duration::from_secs(5));
            }
        }
    }
}
