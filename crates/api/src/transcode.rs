//! Transformations of a stored recording (16-bit PCM WAV) for download: a mono downmix of a
//! dual recording, and MP3.
//!
//! MP3 is encoded by libmp3lame through its command-line front end `lame` (Debian's `lame`
//! package, next to `libmp3lame-dev`), at 32 kbps like Twilio's. Not through a Rust binding:
//! `mp3lame-encoder`/`mp3lame-sys` are LGPL-3.0, which `.ci/check-deps.py` refuses, and an
//! in-tree FFI binding would need `unsafe`, which the workspace forbids. The encoder is set
//! by `DIALTONE_LAME` (default `lame` on the `PATH`).

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};

/// The `fmt ` and `data` of a 16-bit PCM WAV.
struct Pcm<'a> {
    channels: u16,
    rate: u32,
    data: &'a [u8],
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("recording WAV: {what}"))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn parse(wav: &[u8]) -> io::Result<Pcm<'_>> {
    if wav.get(0..4) != Some(b"RIFF") || wav.get(8..12) != Some(b"WAVE") {
        return Err(bad("not RIFF/WAVE"));
    }
    let mut at = 12;
    let mut fmt = None;
    while at + 8 <= wav.len() {
        let id = &wav[at..at + 4];
        let size = u32_at(wav, at + 4).ok_or_else(|| bad("chunk"))? as usize;
        let body = at + 8;
        if id == b"fmt " {
            let channels = u16_at(wav, body + 2).ok_or_else(|| bad("fmt"))?;
            let rate = u32_at(wav, body + 4).ok_or_else(|| bad("fmt"))?;
            let bits = u16_at(wav, body + 14).ok_or_else(|| bad("fmt"))?;
            if bits != 16 {
                return Err(bad("not 16-bit"));
            }
            fmt = Some((channels, rate));
        } else if id == b"data" {
            let (channels, rate) = fmt.ok_or_else(|| bad("data before fmt"))?;
            // A file cut short keeps what it has.
            let end = body.saturating_add(size).min(wav.len());
            return Ok(Pcm {
                channels,
                rate,
                data: &wav[body..end],
            });
        }
        at = body + size + (size & 1);
    }
    Err(bad("no data chunk"))
}

/// A 16-bit PCM WAV of `channels` at `rate` holding `data`.
pub(crate) fn wav_bytes(channels: u16, rate: u32, data: &[u8]) -> Vec<u8> {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36u32.saturating_add(len)).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(data);
    out
}

/// A dual (or more) WAV mixed down to mono (the channels averaged).
pub(crate) fn downmix(wav: &[u8]) -> io::Result<Vec<u8>> {
    let pcm = parse(wav)?;
    if pcm.channels <= 1 {
        return Ok(wav.to_vec());
    }
    let n = usize::from(pcm.channels);
    let mut mono = Vec::with_capacity(pcm.data.len() / n);
    for frame in pcm.data.chunks_exact(2 * n) {
        let sum: i32 = frame
            .chunks_exact(2)
            .map(|s| i32::from(i16::from_le_bytes([s[0], s[1]])))
            .sum();
        let avg = i16::try_from(sum / i32::from(pcm.channels)).unwrap_or(0);
        mono.extend_from_slice(&avg.to_le_bytes());
    }
    Ok(wav_bytes(1, pcm.rate, &mono))
}

/// The WAV encoded as MP3 at 32 kbps.
pub(crate) fn wav_to_mp3(wav: &[u8]) -> io::Result<Vec<u8>> {
    // Checked first, so a bad file is reported as such rather than as an encoder failure.
    parse(wav)?;
    let lame = std::env::var_os("DIALTONE_LAME").unwrap_or_else(|| "lame".into());
    let mut child = Command::new(lame)
        .args(["--quiet", "-b", "32", "-", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdin = child.stdin.take().ok_or_else(|| bad("encoder stdin"))?;
    let input = wav.to_vec();
    // Written from another thread so a full stdout pipe cannot deadlock the two.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut out = Vec::new();
    child
        .stdout
        .take()
        .ok_or_else(|| bad("encoder stdout"))?
        .read_to_end(&mut out)?;
    let status = child.wait()?;
    writer
        .join()
        .map_err(|_| io::Error::other("encoder writer panicked"))??;
    if !status.success() {
        return Err(io::Error::other(format!("lame failed: {status}")));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(channels: u16, samples: usize) -> Vec<u8> {
        let mut data = Vec::new();
        for i in 0..samples {
            for c in 0..channels {
                let v = if c == 0 { 1000i16 } else { -600 };
                let v = if i % 2 == 0 { v } else { -v };
                data.extend_from_slice(&v.to_le_bytes());
            }
        }
        wav_bytes(channels, 8000, &data)
    }

    #[test]
    fn downmix_averages_the_channels() {
        let mono = downmix(&tone(2, 4)).unwrap();
        let pcm = parse(&mono).unwrap();
        assert_eq!((pcm.channels, pcm.rate, pcm.data.len()), (1, 8000, 8));
        assert_eq!(i16::from_le_bytes([pcm.data[0], pcm.data[1]]), 200);
        assert_eq!(i16::from_le_bytes([pcm.data[2], pcm.data[3]]), -200);
        let already = tone(1, 4);
        assert_eq!(downmix(&already).unwrap(), already);
        assert!(downmix(b"not a wav").is_err());
    }

    #[test]
    fn mp3_has_frame_sync() {
        let mp3 = wav_to_mp3(&tone(1, 8000)).unwrap();
        assert!(mp3.len() > 100, "{}", mp3.len());
        // An ID3 tag or an MPEG frame sync (11 set bits).
        let id3 = mp3.starts_with(b"ID3");
        let sync = mp3.windows(2).any(|w| w[0] == 0xFF && w[1] & 0xE0 == 0xE0);
        assert!(id3 || sync);
    }
}
