//! [`Recorder`]: writes a call recording as Twilio serves it, 16-bit PCM WAV at **8 kHz**
//! (128 kbps per channel, twilio-media.md §7.4/§9), incrementally and crash-safely.
//!
//! - Input: one 20 ms [`Frame`] (16 kHz, the internal rate) per channel per tick, 1 or 2
//!   channels (dual: channel 1 the parent, channel 2 the child; a leg with nothing to give
//!   passes [`Frame::SILENCE`]). Each channel is resampled to 8 kHz and interleaved.
//! - Crash safety: samples are appended as they come; the header (RIFF and `data` sizes) is
//!   rewritten every `header_every` (default 1 s) and on [`Recorder::finish`]. A file cut by
//!   a crash is repaired by [`repair`] (also done by [`Recorder::resume`]): the data length is
//!   recomputed from the file size, a partial sample frame at the end is dropped. So at most
//!   the audio since the last header rewrite is lost, and nothing at all once repaired.
//! - `trim-silence`: leading silence is never written, trailing silence is cut on finish
//!   (a tick is silent below `silence_dbfs` on every channel). A recording that never heard
//!   anything finishes with 0 samples: Twilio's `absent`.
//! - `<Record timeout>`: [`Recorder::push`] returns [`RecorderEvent::SilenceTimeout`] once
//!   `silence_timeout` of uninterrupted silence went by (from the start, or since the last
//!   sound); the caller then finishes the recording (`RecordingEnd::Silence`).
//! - Pause (REST `Status=paused`, twilio-media.md §7.3): [`Recorder::pause`] with
//!   [`PauseMode::Skip`] drops the ticks pushed until [`Recorder::unpause`] (the file, and its
//!   duration, do not contain the pause); [`PauseMode::Silence`] writes silence instead.
//!
//! Pure: a file and samples in, nothing else (no clock, no runtime).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::detect::SILENCE_DBFS;
use super::error::AudioError;
use super::frame::{FRAME_DURATION, Frame, PCM_RATE};
use super::resample::Resampler;

/// Twilio's recording rate.
pub const RECORDING_RATE: u32 = 8_000;

/// Size of the canonical WAV header this module writes.
pub const WAV_HEADER_BYTES: u64 = 44;

/// How a recording is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecorderConfig {
    /// 1 or 2.
    pub channels: u16,
    /// Cut leading and trailing silence (`trim-silence`).
    pub trim_silence: bool,
    /// Report [`RecorderEvent::SilenceTimeout`] after this much silence (`<Record timeout>`).
    pub silence_timeout: Option<Duration>,
    /// Rewrite the header at least this often.
    pub header_every: Duration,
    /// A tick is silent when every channel is below this level.
    pub silence_dbfs: f64,
}

impl RecorderConfig {
    /// `channels` channels, no trimming, no silence timeout, header every second.
    pub fn new(channels: u16) -> Self {
        Self {
            channels,
            trim_silence: false,
            silence_timeout: None,
            header_every: Duration::from_secs(1),
            silence_dbfs: SILENCE_DBFS,
        }
    }
}

/// What a paused [`Recorder`] does with the ticks it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseMode {
    /// Nothing is written: the pause is cut out.
    Skip,
    /// Silence is written in place of the audio.
    Silence,
}

/// What [`Recorder::push`] noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecorderEvent {
    /// `silence_timeout` of silence: end the recording.
    SilenceTimeout,
}

/// A finished (or repaired) recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// Channels.
    pub channels: u16,
    /// Sample frames (per channel) in the file.
    pub samples: u64,
    /// File size in bytes.
    pub bytes: u64,
}

impl Recorded {
    /// What a finished recording file of `bytes` bytes with `channels` channels holds.
    pub fn of_file_len(bytes: u64, channels: u16) -> Self {
        let frame = 2 * u64::from(channels.max(1));
        Recorded {
            channels,
            samples: bytes.saturating_sub(WAV_HEADER_BYTES) / frame,
            bytes,
        }
    }

    /// Whole seconds, rounded to the nearest (Twilio's `RecordingDuration`); 0 means empty.
    pub fn duration_secs(&self) -> u32 {
        let rate = u64::from(RECORDING_RATE);
        u32::try_from((self.samples + rate / 2) / rate).unwrap_or(u32::MAX)
    }

    /// The exact length.
    pub fn duration(&self) -> Duration {
        Duration::from_micros(self.samples * 1_000_000 / u64::from(RECORDING_RATE))
    }
}

fn io_err(e: &io::Error) -> AudioError {
    AudioError::Recording(e.to_string())
}

/// A recording being written. See the module docs.
#[derive(Debug)]
pub struct Recorder {
    file: File,
    path: PathBuf,
    config: RecorderConfig,
    resamplers: Vec<Resampler>,
    /// Bytes of sample data in the file.
    data_bytes: u64,
    /// Data bytes up to the end of the last sound (plus the resampler's delay).
    sound_end: u64,
    /// Ticks left during which output still belongs to the last sound.
    sound_tail: u32,
    heard: bool,
    silent_ticks: u64,
    ticks_since_header: u64,
    timed_out: bool,
    paused: Option<PauseMode>,
}

/// Ticks of output after a sound kept with it (the resampler's delay is about 10 ms).
const SOUND_TAIL_TICKS: u32 = 2;

fn ticks(d: Duration) -> u64 {
    let tick = FRAME_DURATION.as_micros().max(1);
    u64::try_from(d.as_micros().div_ceil(tick)).unwrap_or(u64::MAX)
}

fn header(channels: u16, data_bytes: u64) -> [u8; 44] {
    let data = u32::try_from(data_bytes).unwrap_or(u32::MAX);
    let mut h = [0u8; 44];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&data.saturating_add(36).to_le_bytes());
    h[8..16].copy_from_slice(b"WAVEfmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes());
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&RECORDING_RATE.to_le_bytes());
    h[28..32].copy_from_slice(&(RECORDING_RATE * u32::from(channels) * 2).to_le_bytes());
    h[32..34].copy_from_slice(&(channels * 2).to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data.to_le_bytes());
    h
}

fn check_channels(channels: u16) -> Result<(), AudioError> {
    if matches!(channels, 1 | 2) {
        Ok(())
    } else {
        Err(AudioError::Recording(format!(
            "a recording has 1 or 2 channels, not {channels}"
        )))
    }
}

/// Repairs a recording cut by a crash: the `data` length is recomputed from the file size
/// (a partial sample frame at the end is cut off) and the header rewritten.
pub fn repair(path: &Path) -> Result<Recorded, AudioError> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| io_err(&e))?;
    let mut h = [0u8; 44];
    file.read_exact(&mut h).map_err(|e| io_err(&e))?;
    if &h[0..4] != b"RIFF" || &h[8..12] != b"WAVE" || &h[36..40] != b"data" {
        return Err(AudioError::Recording(format!(
            "{}: not a recording written by Recorder",
            path.display()
        )));
    }
    let channels = u16::from_le_bytes([h[22], h[23]]);
    check_channels(channels)?;
    let len = file.metadata().map_err(|e| io_err(&e))?.len();
    let align = u64::from(channels) * 2;
    let data = (len.saturating_sub(WAV_HEADER_BYTES) / align) * align;
    file.set_len(WAV_HEADER_BYTES + data)
        .map_err(|e| io_err(&e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| io_err(&e))?;
    file.write_all(&header(channels, data))
        .map_err(|e| io_err(&e))?;
    file.sync_data().map_err(|e| io_err(&e))?;
    Ok(Recorded {
        channels,
        samples: data / align,
        bytes: WAV_HEADER_BYTES + data,
    })
}

impl Recorder {
    /// Creates (or truncates) the file at `path` and starts recording.
    pub fn create(path: impl Into<PathBuf>, config: RecorderConfig) -> Result<Self, AudioError> {
        check_channels(config.channels)?;
        let path = path.into();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_err(&e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| io_err(&e))?;
        file.write_all(&header(config.channels, 0))
            .map_err(|e| io_err(&e))?;
        Self::with_file(file, path, config, 0)
    }

    /// Reopens a recording after a restart: repairs it, then appends to what was captured.
    pub fn resume(path: impl Into<PathBuf>, config: RecorderConfig) -> Result<Self, AudioError> {
        let path = path.into();
        let recorded = repair(&path)?;
        if recorded.channels != config.channels {
            return Err(AudioError::Recording(format!(
                "{} has {} channels, not {}",
                path.display(),
                recorded.channels,
                config.channels
            )));
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&e))?;
        file.seek(SeekFrom::End(0)).map_err(|e| io_err(&e))?;
        let data = recorded.bytes - WAV_HEADER_BYTES;
        let mut r = Self::with_file(file, path, config, data)?;
        // What was kept counts as heard: trimming does not cut into it.
        r.heard = data > 0;
        r.sound_end = data;
        Ok(r)
    }

    fn with_file(
        file: File,
        path: PathBuf,
        config: RecorderConfig,
        data_bytes: u64,
    ) -> Result<Self, AudioError> {
        let resamplers = (0..config.channels)
            .map(|_| Resampler::new(PCM_RATE, RECORDING_RATE))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            file,
            path,
            config,
            resamplers,
            data_bytes,
            sound_end: data_bytes,
            sound_tail: 0,
            heard: false,
            silent_ticks: 0,
            ticks_since_header: 0,
            timed_out: false,
            paused: None,
        })
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sample frames written so far.
    pub fn samples(&self) -> u64 {
        self.data_bytes / (u64::from(self.config.channels) * 2)
    }

    /// Pauses (or changes how a pause behaves) until [`Recorder::unpause`].
    pub fn pause(&mut self, mode: PauseMode) {
        self.paused = Some(mode);
    }

    /// Records the audio pushed again.
    pub fn unpause(&mut self) {
        self.paused = None;
    }

    /// How the recorder is paused, if it is.
    pub fn paused(&self) -> Option<PauseMode> {
        self.paused
    }

    /// Adds one 20 ms tick: `frames[c]` for channel `c` (exactly `channels` frames).
    pub fn push(&mut self, frames: &[Frame]) -> Result<Option<RecorderEvent>, AudioError> {
        if frames.len() != usize::from(self.config.channels) {
            return Err(AudioError::Recording(format!(
                "{} frames for a {}-channel recording",
                frames.len(),
                self.config.channels
            )));
        }
        let silence = [Frame::SILENCE; 2];
        let frames = match self.paused {
            None => frames,
            Some(PauseMode::Skip) => return Ok(None),
            Some(PauseMode::Silence) => &silence[..frames.len()],
        };
        let sound = frames
            .iter()
            .any(|f| f.level_dbfs() > self.config.silence_dbfs);
        if sound {
            self.heard = true;
            self.silent_ticks = 0;
            self.sound_tail = SOUND_TAIL_TICKS;
        } else {
            self.silent_ticks += 1;
        }
        let outputs: Vec<Vec<i16>> = self
            .resamplers
            .iter_mut()
            .zip(frames)
            .map(|(r, f)| r.process(f.samples()))
            .collect();
        // Leading silence is never written when trimming.
        if self.heard || !self.config.trim_silence {
            self.write_interleaved(&outputs)?;
        }
        if self.sound_tail > 0 {
            self.sound_end = self.data_bytes;
            if !sound {
                self.sound_tail -= 1;
            }
        }
        self.ticks_since_header += 1;
        if self.ticks_since_header >= ticks(self.config.header_every) {
            self.write_header()?;
        }
        if let Some(timeout) = self.config.silence_timeout
            && !self.timed_out
            && self.silent_ticks >= ticks(timeout)
        {
            self.timed_out = true;
            return Ok(Some(RecorderEvent::SilenceTimeout));
        }
        Ok(None)
    }

    fn write_interleaved(&mut self, outputs: &[Vec<i16>]) -> Result<(), AudioError> {
        let n = outputs.iter().map(Vec::len).max().unwrap_or(0);
        if n == 0 {
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(n * outputs.len() * 2);
        for i in 0..n {
            for channel in outputs {
                let s = channel.get(i).copied().unwrap_or(0);
                bytes.extend_from_slice(&s.to_le_bytes());
            }
        }
        self.file.write_all(&bytes).map_err(|e| io_err(&e))?;
        self.data_bytes += bytes.len() as u64;
        Ok(())
    }

    fn write_header(&mut self) -> Result<(), AudioError> {
        self.file.seek(SeekFrom::Start(0)).map_err(|e| io_err(&e))?;
        self.file
            .write_all(&header(self.config.channels, self.data_bytes))
            .map_err(|e| io_err(&e))?;
        self.file.seek(SeekFrom::End(0)).map_err(|e| io_err(&e))?;
        self.file.sync_data().map_err(|e| io_err(&e))?;
        self.ticks_since_header = 0;
        Ok(())
    }

    /// Ends the recording: the resamplers' tails, trailing silence cut (when trimming), the
    /// final header, synced to disk.
    pub fn finish(mut self) -> Result<Recorded, AudioError> {
        let tails: Vec<Vec<i16>> = self.resamplers.iter_mut().map(Resampler::flush).collect();
        if self.heard || !self.config.trim_silence {
            self.write_interleaved(&tails)?;
            if self.sound_tail > 0 {
                self.sound_end = self.data_bytes;
            }
        }
        if self.config.trim_silence {
            let keep = self.sound_end.min(self.data_bytes);
            let keep = if self.heard { keep } else { 0 };
            self.file
                .set_len(WAV_HEADER_BYTES + keep)
                .map_err(|e| io_err(&e))?;
            self.data_bytes = keep;
        }
        self.write_header()?;
        let align = u64::from(self.config.channels) * 2;
        Ok(Recorded {
            channels: self.config.channels,
            samples: self.data_bytes / align,
            bytes: WAV_HEADER_BYTES + self.data_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::detect::tone_present;
    use crate::audio::tone::Tone;
    use crate::audio::wav::Wav;

    fn dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("dialtone-recorder-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn channel(wav: &Wav, c: usize) -> Vec<i16> {
        wav.samples
            .iter()
            .skip(c)
            .step_by(usize::from(wav.channels))
            .copied()
            .collect()
    }

    #[test]
    fn dual_tones_land_in_their_channels_at_8_khz() {
        let d = dir("dual");
        let path = d.join("AC/RE.wav");
        let mut rec = Recorder::create(&path, RecorderConfig::new(2)).unwrap();
        let (mut a, mut b) = (Tone::new(&[1000.0], 0.3), Tone::new(&[400.0], 0.3));
        for _ in 0..50 {
            assert_eq!(rec.push(&[a.next_frame(), b.next_frame()]).unwrap(), None);
        }
        let done = rec.finish().unwrap();
        assert_eq!(done.channels, 2);
        assert_eq!(done.samples, 8000);
        assert_eq!(done.duration_secs(), 1);
        let wav = Wav::read(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(
            (wav.sample_rate, wav.channels, wav.samples.len()),
            (8000, 2, 16_000)
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 44 + 32_000);
        let (left, right) = (channel(&wav, 0), channel(&wav, 1));
        let mid = 2000..6000;
        assert!(tone_present(&left[mid.clone()], 8000, 1000.0));
        assert!(!tone_present(&left[mid.clone()], 8000, 400.0));
        assert!(tone_present(&right[mid.clone()], 8000, 400.0));
        assert!(!tone_present(&right[mid], 8000, 1000.0));
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn trim_silence_cuts_both_ends_and_an_empty_recording_is_empty() {
        let d = dir("trim");
        let path = d.join("r.wav");
        let mut config = RecorderConfig::new(1);
        config.trim_silence = true;
        let mut rec = Recorder::create(&path, config).unwrap();
        let mut tone = Tone::new(&[1000.0], 0.3);
        for i in 0..100 {
            let frame = if (25..75).contains(&i) {
                tone.next_frame()
            } else {
                Frame::SILENCE
            };
            rec.push(&[frame]).unwrap();
        }
        let done = rec.finish().unwrap();
        // 1 s of tone, give or take the resampler's delay.
        assert!((7800..=8400).contains(&done.samples), "{}", done.samples);
        assert_eq!(done.duration_secs(), 1);
        let wav = Wav::read(&std::fs::read(&path).unwrap()).unwrap();
        assert!(tone_present(&wav.samples[..800], 8000, 1000.0));

        let silent = d.join("silent.wav");
        let mut rec = Recorder::create(&silent, config).unwrap();
        for _ in 0..100 {
            rec.push(&[Frame::SILENCE]).unwrap();
        }
        let done = rec.finish().unwrap();
        assert_eq!((done.samples, done.bytes, done.duration_secs()), (0, 44, 0));
        assert_eq!(
            Wav::read(&std::fs::read(&silent).unwrap())
                .unwrap()
                .samples
                .len(),
            0
        );

        // Without trimming, the silence stays.
        let plain = d.join("plain.wav");
        let mut rec = Recorder::create(&plain, RecorderConfig::new(1)).unwrap();
        for _ in 0..100 {
            rec.push(&[Frame::SILENCE]).unwrap();
        }
        assert_eq!(rec.finish().unwrap().samples, 16_000);
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn silence_timeout_fires_once_after_the_last_sound() {
        let d = dir("timeout");
        let mut config = RecorderConfig::new(1);
        config.silence_timeout = Some(Duration::from_secs(2));
        let mut rec = Recorder::create(d.join("t.wav"), config).unwrap();
        let mut tone = Tone::new(&[700.0], 0.3);
        let mut fired = Vec::new();
        for i in 0..300 {
            let frame = if i < 50 {
                tone.next_frame()
            } else {
                Frame::SILENCE
            };
            if rec.push(&[frame]).unwrap() == Some(RecorderEvent::SilenceTimeout) {
                fired.push(i);
            }
        }
        // 1 s of sound, then 2 s (100 ticks) of silence.
        assert_eq!(fired, [149]);
        rec.finish().unwrap();
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn a_skipped_pause_is_cut_out_and_a_silent_one_is_silence() {
        let d = dir("pause");
        for (mode, seconds) in [(PauseMode::Skip, 2), (PauseMode::Silence, 3)] {
            let path = d.join(format!("{mode:?}.wav"));
            let mut rec = Recorder::create(&path, RecorderConfig::new(1)).unwrap();
            let mut tone = Tone::new(&[1000.0], 0.3);
            for i in 0..150 {
                match i {
                    50 => rec.pause(mode),
                    100 => rec.unpause(),
                    _ => {}
                }
                assert_eq!(rec.paused(), (50..100).contains(&i).then_some(mode));
                rec.push(&[tone.next_frame()]).unwrap();
            }
            let done = rec.finish().unwrap();
            assert_eq!(done.duration_secs(), seconds, "{mode:?}");
            let wav = Wav::read(&std::fs::read(&path).unwrap()).unwrap();
            // Tone on both sides of the pause; with silence, nothing in the middle second.
            assert!(tone_present(&wav.samples[1000..7000], 8000, 1000.0));
            let last = wav.samples.len();
            assert!(tone_present(
                &wav.samples[last - 7000..last - 1000],
                8000,
                1000.0
            ));
            if mode == PauseMode::Silence {
                let middle = &wav.samples[9000..15_000];
                assert!(middle.iter().all(|s| *s == 0), "{mode:?}");
            }
        }
        let _ = std::fs::remove_dir_all(d);
    }

    #[test]
    fn a_crash_cut_file_is_repaired_and_resumed() {
        let d = dir("crash");
        let path = d.join("c.wav");
        let mut rec = Recorder::create(&path, RecorderConfig::new(2)).unwrap();
        let mut tone = Tone::new(&[500.0], 0.3);
        for _ in 0..75 {
            let f = tone.next_frame();
            rec.push(&[f, f]).unwrap();
        }
        let written = rec.samples();
        // A crash: no finish; the header still says what it said at the 1 s rewrite.
        drop(rec);
        let bytes = std::fs::read(&path).unwrap();
        let stale = u32::from_le_bytes(bytes[40..44].try_into().unwrap());
        assert!(u64::from(stale) < written * 4);
        // And the last write was cut mid-sample.
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.set_len(bytes.len() as u64 - 3).unwrap();
        drop(f);
        let repaired = repair(&path).unwrap();
        assert_eq!(repaired.samples, written - 1);
        let wav = Wav::read(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(wav.samples.len() as u64, (written - 1) * 2);

        // Restart: keep what was captured and go on.
        let mut rec = Recorder::resume(&path, RecorderConfig::new(2)).unwrap();
        for _ in 0..25 {
            let f = tone.next_frame();
            rec.push(&[f, f]).unwrap();
        }
        let done = rec.finish().unwrap();
        assert!(
            done.samples > written + 3900,
            "{} vs {written}",
            done.samples
        );
        assert!(Recorder::resume(&path, RecorderConfig::new(1)).is_err());
        assert!(Recorder::create(d.join("x.wav"), RecorderConfig::new(3)).is_err());
        let _ = std::fs::remove_dir_all(d);
    }
}
