//! A stream's audio: the call's Opus (16 kHz PCM inside) to 8 kHz μ-law for the application,
//! and the application's μ-law back to Opus for the caller.
//!
//! - [`Uplink`]: one per track. The leg's tap (what it receives, or what it sends) queues
//!   Opus payloads; each 20 ms tick decodes one (silence when none came), resamples
//!   16 kHz → 8 kHz with the media crate's [`Resampler`] and encodes 160 μ-law bytes.
//! - [`Player`]: the [`PayloadSource`] a bidirectional stream plays on the call's leg. The
//!   session appends the application's audio (μ-law → 8 kHz → 16 kHz frames) and marks to a
//!   shared [`PlayQueue`]; the leg's tick takes one frame per 20 ms (silence when empty) and
//!   a mark becomes *played* once every frame queued before it has been sent. `clear` drops
//!   the queued frames at once and plays every pending mark, in order.
//!
//! Added latency: one 20 ms frame each way plus the resampler's block (about 20 ms, its
//! delay trimmed), and for the uplink the leg's tap (no jitter buffer: the tap is fed in
//! arrival order, the decoder conceals nothing). The queue holds at most [`MAX_QUEUED`]
//! frames; more is dropped with one 31930 warning.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use dialtone_media::audio::g711::{decode_ulaw, encode_ulaw};
use dialtone_media::audio::{FRAME_SAMPLES, Frame, OpusDecoder, OpusEncoder, PCM_RATE, Resampler};
use dialtone_media::{PayloadSink, PayloadSource};

/// 8 kHz samples in one 20 ms chunk.
pub(crate) const CHUNK: usize = 160;
/// The stream's rate.
const STREAM_RATE: u32 = 8_000;
/// Opus payloads a tap keeps before dropping the oldest (the session reads it every tick).
const TAP_DEPTH: usize = 16;
/// Frames the playback queue holds at most: five minutes.
pub(crate) const MAX_QUEUED: usize = 5 * 60 * 50;

/// The payloads one leg's tap collects for a stream.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tap(Arc<Mutex<VecDeque<Vec<u8>>>>);

impl Tap {
    fn pop(&self) -> Option<Vec<u8>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }
}

impl PayloadSink for Tap {
    fn payload(&mut self, payload: &[u8]) {
        let mut q = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if q.len() >= TAP_DEPTH {
            q.pop_front();
        }
        q.push_back(payload.to_vec());
    }
}

/// One track to the application: see the module docs.
pub(crate) struct Uplink {
    pub(crate) tap: Tap,
    decoder: Option<OpusDecoder>,
    resampler: Option<Resampler>,
    pending: VecDeque<i16>,
}

impl std::fmt::Debug for Uplink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uplink").finish_non_exhaustive()
    }
}

impl Uplink {
    pub(crate) fn new() -> Self {
        Self {
            tap: Tap::default(),
            decoder: OpusDecoder::new().ok(),
            resampler: Resampler::new(PCM_RATE, STREAM_RATE).ok(),
            pending: VecDeque::new(),
        }
    }

    /// This tick's 160 μ-law bytes.
    pub(crate) fn chunk(&mut self) -> Vec<u8> {
        let frame = match (self.tap.pop(), self.decoder.as_mut()) {
            (Some(p), Some(d)) => d.decode(&p).unwrap_or_else(|_| d.conceal()),
            _ => Frame::SILENCE,
        };
        self.push_pcm(frame.samples());
        self.take()
    }

    /// 16 kHz samples in.
    pub(crate) fn push_pcm(&mut self, samples: &[i16]) {
        if let Some(r) = self.resampler.as_mut() {
            self.pending.extend(r.process(samples));
        }
    }

    /// 160 μ-law bytes out (silence-padded while the resampler fills up).
    fn take(&mut self) -> Vec<u8> {
        let n = self.pending.len().min(CHUNK);
        let mut pcm: Vec<i16> = self.pending.drain(..n).collect();
        pcm.resize(CHUNK, 0);
        encode_ulaw(&pcm)
    }
}

/// One entry of the playback queue.
#[derive(Debug)]
enum Item {
    Frame(Box<Frame>),
    Mark(String),
}

/// What the application queued to play, shared by the session and the leg's tick.
#[derive(Debug, Default)]
pub(crate) struct PlayQueue {
    items: VecDeque<Item>,
    frames: usize,
    /// Marks reached (or cleared), to echo in order.
    played: VecDeque<String>,
    /// Frames sent to the caller so far.
    pub(crate) sent: u64,
    /// Frames dropped because the queue was full.
    pub(crate) dropped: u64,
}

impl PlayQueue {
    /// Appends a frame; false (dropped) when the queue is full.
    fn push_frame(&mut self, frame: &Frame) -> bool {
        if self.frames >= MAX_QUEUED {
            self.dropped += 1;
            return false;
        }
        self.frames += 1;
        self.items.push_back(Item::Frame(Box::new(*frame)));
        true
    }

    fn push_mark(&mut self, name: String) {
        self.items.push_back(Item::Mark(name));
        self.reach_marks();
    }

    /// Marks at the head have been reached: every frame before them was sent.
    fn reach_marks(&mut self) {
        while let Some(Item::Mark(_)) = self.items.front() {
            if let Some(Item::Mark(name)) = self.items.pop_front() {
                self.played.push_back(name);
            }
        }
    }

    /// The next frame to send, if any.
    fn pop_frame(&mut self) -> Option<Frame> {
        self.reach_marks();
        match self.items.pop_front() {
            Some(Item::Frame(f)) => {
                self.frames -= 1;
                self.sent += 1;
                Some(*f)
            }
            Some(Item::Mark(_)) | None => None,
        }
    }

    /// `clear`: drops every queued frame; pending marks are played, in order.
    fn clear(&mut self) {
        for item in self.items.drain(..) {
            if let Item::Mark(name) = item {
                self.played.push_back(name);
            }
        }
        self.frames = 0;
    }

    /// Frames waiting.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.frames
    }
}

/// The session's handle on the playback queue: appends audio and marks, reads played marks.
#[derive(Debug, Clone)]
pub(crate) struct Downlink {
    queue: Arc<Mutex<PlayQueue>>,
    /// 8 kHz → 16 kHz, fed in pieces of any size.
    resampler: Arc<Mutex<Option<Resampler>>>,
    /// 16 kHz samples not yet a whole frame.
    partial: Arc<Mutex<Vec<i16>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Downlink {
    pub(crate) fn new() -> Self {
        Self {
            queue: Arc::default(),
            resampler: Arc::new(Mutex::new(Resampler::new(STREAM_RATE, PCM_RATE).ok())),
            partial: Arc::default(),
        }
    }

    /// The source to play on the leg.
    pub(crate) fn player(&self) -> Player {
        Player {
            queue: Arc::clone(&self.queue),
            encoder: OpusEncoder::new().ok(),
        }
    }

    /// The application's μ-law; false when some of it was dropped (queue full).
    pub(crate) fn media(&self, ulaw: &[u8]) -> bool {
        let pcm8 = decode_ulaw(ulaw);
        let pcm16 = match lock(&self.resampler).as_mut() {
            Some(r) => r.process(&pcm8),
            None => return true,
        };
        self.append(pcm16, false)
    }

    /// 16 kHz samples to the queue; with `pad`, a partial frame is completed with silence.
    fn append(&self, pcm16: Vec<i16>, pad: bool) -> bool {
        let mut partial = lock(&self.partial);
        partial.extend(pcm16);
        let mut queue = lock(&self.queue);
        let mut kept = true;
        let whole = partial.len() / FRAME_SAMPLES * FRAME_SAMPLES;
        for samples in partial[..whole].chunks(FRAME_SAMPLES) {
            kept &= queue.push_frame(&Frame::from_slice(samples));
        }
        partial.drain(..whole);
        if pad && !partial.is_empty() {
            kept &= queue.push_frame(&Frame::from_slice(&partial));
            partial.clear();
        }
        kept
    }

    /// A mark: the audio before it is flushed out of the resampler first.
    pub(crate) fn mark(&self, name: String) {
        let tail = lock(&self.resampler)
            .as_mut()
            .map(Resampler::flush)
            .unwrap_or_default();
        self.append(tail, true);
        lock(&self.queue).push_mark(name);
    }

    /// `clear`.
    pub(crate) fn clear(&self) {
        if let Some(r) = lock(&self.resampler).as_mut() {
            r.flush();
        }
        lock(&self.partial).clear();
        lock(&self.queue).clear();
    }

    /// Marks played since the last call, in order.
    pub(crate) fn played_marks(&self) -> Vec<String> {
        lock(&self.queue).played.drain(..).collect()
    }

    /// Frames waiting to play.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        lock(&self.queue).queued()
    }
}

/// See the module docs.
pub(crate) struct Player {
    queue: Arc<Mutex<PlayQueue>>,
    encoder: Option<OpusEncoder>,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamPlayer").finish_non_exhaustive()
    }
}

impl PayloadSource for Player {
    /// Never ends: silence while nothing is queued (the stream owns the caller's ear).
    fn next_payload(&mut self) -> Option<Vec<u8>> {
        let frame = lock(&self.queue).pop_frame().unwrap_or(Frame::SILENCE);
        let encoder = self.encoder.as_mut()?;
        encoder.encode(&frame).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_media::audio::Tone;
    use dialtone_media::audio::detect::{dominant_tone, tone_present};

    #[test]
    fn marks_play_after_their_audio_and_clear_plays_them_at_once() {
        let down = Downlink::new();
        let mut player = down.player();
        down.mark("empty".into());
        assert_eq!(
            down.played_marks(),
            ["empty"],
            "an empty queue echoes at once"
        );
        down.media(&[0xff; 800]); // 100 ms
        down.mark("a".into());
        down.media(&[0xff; 160]);
        down.mark("b".into());
        let frames = down.queued();
        assert!((6..=8).contains(&frames), "{frames} frames queued");
        let mut ticks = 0;
        while down.played_marks().is_empty() {
            player.next_payload().unwrap();
            ticks += 1;
        }
        assert!((5..=7).contains(&ticks), "mark a after {ticks} ticks");
        down.media(&[0xff; 8000]);
        down.mark("c".into());
        down.clear();
        assert_eq!(down.played_marks(), ["b", "c"]);
        assert_eq!(down.queued(), 0);
        assert!(player.next_payload().is_some(), "silence once cleared");
    }

    #[test]
    fn a_tone_survives_both_directions() {
        // 16 kHz → μ-law 8 kHz.
        let mut up = Uplink::new();
        let mut tone = Tone::new(&[440.0], 0.3);
        let mut ulaw = Vec::new();
        for _ in 0..50 {
            up.push_pcm(tone.next_frame().samples());
            ulaw.extend(up.take());
        }
        let pcm8 = decode_ulaw(&ulaw[1600..]);
        assert_eq!(dominant_tone(&pcm8, 8000, &[440.0, 1000.0]), Some(440.0));
        // μ-law 8 kHz → 16 kHz frames.
        let mut tone8 = Vec::new();
        let mut t = Tone::new(&[1000.0], 0.3);
        for _ in 0..50 {
            tone8.extend(t.next_frame().samples().iter().step_by(2));
        }
        let down = Downlink::new();
        down.media(&encode_ulaw(&tone8));
        let mut queue = lock(&down.queue);
        let mut pcm16 = Vec::new();
        while let Some(f) = queue.pop_frame() {
            pcm16.extend_from_slice(f.samples());
        }
        assert!(pcm16.len() >= 45 * FRAME_SAMPLES);
        assert!(tone_present(&pcm16[3200..], PCM_RATE, 1000.0));
    }
}
