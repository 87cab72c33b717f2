//! What each simulated party heard (a WhatsApp user, a softphone), kept so a test can download
//! it (`Heard.wav`) and check what the far end of a Dialtone call really received.
//!
//! The party's leg is tapped once connected ([`HeardLog::start`]); the tap only appends the
//! Opus payloads as they arrive, in arrival order (a payload's place is its arrival index), so
//! a leg costs no codec work while the call runs. Decoding happens once the audio is asked
//! for ([`Heard::decode`]): one decoder per request, a payload that does not decode is
//! concealed, the result 16 kHz mono 16-bit.
//!
//! Bounded twice: a leg keeps at most [`MAX_HEARD`] of audio (what comes later is dropped),
//! and once legs end only the last [`KEEP_LEGS`] are kept (the oldest ended leg goes first).
//! Book still running are always kept: they are bounded by the calls in progress.
//!
//! One log serves every kind of simulated party: each leg says how a Dialtone call finds it
//! ([`HeardCall`]), by the CallSid it is the far end of or by who placed it and when.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dialtone_types::{Sid, UnixMillis};

use crate::audio::{AudioError, FRAME_SAMPLES, OpusDecoder, PCM_RATE};
use crate::port::PayloadSink;

/// Ended legs kept (oldest dropped first).
pub const KEEP_LEGS: usize = 1000;
/// Most audio one leg keeps: ten minutes.
pub const MAX_HEARD: Duration = Duration::from_secs(600);
/// The rate of heard audio, Hz (the audio core's).
pub const HEARD_RATE: u32 = PCM_RATE;

/// Payloads one leg keeps: one 20 ms frame each, ten minutes.
const MAX_PAYLOADS: usize = 600 * PCM_RATE as usize / FRAME_SAMPLES;

/// How a Dialtone call finds a party's leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeardCall {
    /// The party is the far end of this Dialtone call: its CallSid (a softphone's leg, or the
    /// `biz_opaque_callback_data` of a business-initiated WhatsApp call, which Dialtone sets to
    /// the CallSid).
    Sid(String),
    /// The party placed the call from `from` to `to` (a WhatsApp user calling a business
    /// number): found by the pair and a moment it was live.
    Placed {
        /// The caller's address as Dialtone sees it, e.g. `+5511…`.
        from: String,
        /// The callee's address.
        to: String,
    },
}

/// Who is on a leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeardLeg {
    /// The leg's own id, unique in the log (Meta's `wacid.…`, a softphone's CallSid).
    pub id: String,
    /// The account whose call it is.
    pub account: Sid,
    /// How a Dialtone call finds it.
    pub call: HeardCall,
    /// When the party's call was placed.
    pub placed_at: UnixMillis,
}

/// What a party heard on one leg, still encoded: [`Heard::decode`] makes the audio.
#[derive(Debug, Clone)]
pub struct Heard {
    /// The leg's id.
    pub id: String,
    /// True once the leg has ended.
    pub ended: bool,
    bytes: Vec<u8>,
    ends: Vec<u32>,
    decoded: Weak<AtomicU64>,
}

impl Heard {
    /// Payloads heard.
    pub fn payloads(&self) -> usize {
        self.ends.len()
    }

    /// The audio at [`HEARD_RATE`], mono 16-bit: one 20 ms frame per payload in arrival
    /// order, a payload that does not decode concealed.
    pub fn decode(&self) -> Result<Vec<i16>, AudioError> {
        let mut decoder = OpusDecoder::new()?;
        let mut samples = Vec::with_capacity(self.ends.len() * FRAME_SAMPLES);
        let mut start = 0;
        for &end in &self.ends {
            let payload = &self.bytes[start..end as usize];
            start = end as usize;
            let frame = decoder
                .decode(payload)
                .unwrap_or_else(|_| decoder.conceal());
            samples.extend_from_slice(frame.samples());
        }
        if let Some(counter) = self.decoded.upgrade() {
            counter.fetch_add(self.ends.len() as u64, Ordering::Relaxed);
        }
        Ok(samples)
    }
}

#[derive(Debug, Default)]
struct Audio {
    /// Every payload's bytes, back to back.
    bytes: Vec<u8>,
    /// Where each payload ends in `bytes`.
    ends: Vec<u32>,
    ended_at: Option<UnixMillis>,
}

#[derive(Debug)]
struct Leg {
    info: HeardLeg,
    audio: Mutex<Audio>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the data consistent, so a panic elsewhere spoils nothing.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Leg {
    fn heard(&self, decoded: &Arc<AtomicU64>) -> Heard {
        let audio = lock(&self.audio);
        Heard {
            id: self.info.id.clone(),
            ended: audio.ended_at.is_some(),
            bytes: audio.bytes.clone(),
            ends: audio.ends.clone(),
            decoded: Arc::downgrade(decoded),
        }
    }
}

#[derive(Debug)]
struct Book {
    legs: HashMap<String, Arc<Leg>>,
    ended: VecDeque<String>,
    keep: usize,
}

impl Book {
    fn end(&mut self, id: &str, at: UnixMillis) {
        let Some(leg) = self.legs.get(id) else {
            return;
        };
        let mut audio = lock(&leg.audio);
        if audio.ended_at.is_some() {
            return;
        }
        audio.ended_at = Some(at);
        drop(audio);
        self.ended.push_back(id.to_owned());
        while self.ended.len() > self.keep {
            if let Some(old) = self.ended.pop_front() {
                self.legs.remove(&old);
            }
        }
    }
}

/// The legs' heard audio, running and recently ended; cheap to clone (clones share it).
#[derive(Debug, Clone)]
pub struct HeardLog {
    legs: Arc<Mutex<Book>>,
    /// Frames decoded so far (by [`Heard::decode`]).
    decoded: Arc<AtomicU64>,
}

impl Default for HeardLog {
    fn default() -> Self {
        Self::keeping(KEEP_LEGS)
    }
}

fn now() -> UnixMillis {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    UnixMillis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

impl HeardLog {
    /// A log keeping `keep` ended legs.
    pub fn keeping(keep: usize) -> Self {
        Self {
            legs: Arc::new(Mutex::new(Book {
                legs: HashMap::new(),
                ended: VecDeque::new(),
                keep,
            })),
            decoded: Arc::default(),
        }
    }

    /// A leg connected: the sink to tap it with. Dropping the sink ends the leg (now), unless
    /// [`HeardLog::end`] ended it first.
    pub fn start(&self, info: HeardLeg) -> HeardSink {
        let id = info.id.clone();
        let leg = Arc::new(Leg {
            info,
            audio: Mutex::new(Audio::default()),
        });
        let mut legs = lock(&self.legs);
        if legs.legs.insert(id.clone(), Arc::clone(&leg)).is_some() {
            // A leg id is started once; a second start replaces the first (never expected).
            legs.ended.retain(|old| *old != id);
        }
        HeardSink {
            leg,
            log: Arc::downgrade(&self.legs),
        }
    }

    /// The leg `id` ended at `at`; the oldest ended legs beyond the bound go.
    pub fn end(&self, id: &str, at: UnixMillis) {
        lock(&self.legs).end(id, at);
    }

    /// The party of `account` at the far end of the Dialtone call `sid` (the latest placed,
    /// should there be several).
    pub fn by_call(&self, account: Sid, sid: &str) -> Option<Heard> {
        let legs = lock(&self.legs);
        legs.legs
            .values()
            .filter(|leg| {
                leg.info.account == account
                    && matches!(&leg.info.call, HeardCall::Sid(s) if s == sid)
            })
            .max_by_key(|leg| leg.info.placed_at)
            .map(|leg| leg.heard(&self.decoded))
    }

    /// The party of `account` that placed a call from `from` to `to` live at `at` (placed at
    /// or before it, its leg not ended before it).
    pub fn placed(&self, account: Sid, from: &str, to: &str, at: UnixMillis) -> Option<Heard> {
        let legs = lock(&self.legs);
        legs.legs
            .values()
            .filter(|leg| {
                let i = &leg.info;
                i.account == account
                    && matches!(&i.call, HeardCall::Placed { from: f, to: t } if f == from && t == to)
                    && i.placed_at <= at
                    && lock(&leg.audio).ended_at.is_none_or(|end| end >= at)
            })
            .max_by_key(|leg| leg.info.placed_at)
            .map(|leg| leg.heard(&self.decoded))
    }

    /// Frames decoded so far, over every [`Heard::decode`] of this log's audio.
    pub fn decoded_frames(&self) -> u64 {
        self.decoded.load(Ordering::Relaxed)
    }

    /// Book kept (running and ended).
    pub fn len(&self) -> usize {
        lock(&self.legs).legs.len()
    }

    /// True when no leg is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The tap on a party's leg: appends what it receives to the leg's buffer (a short lock and a
/// copy per payload, on the leg's tick).
pub struct HeardSink {
    leg: Arc<Leg>,
    log: Weak<Mutex<Book>>,
}

impl std::fmt::Debug for HeardSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeardSink")
            .field("id", &self.leg.info.id)
            .finish_non_exhaustive()
    }
}

impl PayloadSink for HeardSink {
    fn payload(&mut self, payload: &[u8]) {
        let mut audio = lock(&self.leg.audio);
        if audio.ended_at.is_some() || audio.ends.len() >= MAX_PAYLOADS {
            return;
        }
        let Ok(end) = u32::try_from(audio.bytes.len() + payload.len()) else {
            return;
        };
        audio.bytes.extend_from_slice(payload);
        audio.ends.push(end);
    }
}

impl Drop for HeardSink {
    fn drop(&mut self) {
        if let Some(log) = self.log.upgrade() {
            lock(&log).end(&self.leg.info.id, now());
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::audio::{OpusEncoder, Tone, detect};

    use super::*;

    fn account(n: u128) -> Sid {
        Sid::new(dialtone_types::SidKind::Account, n)
    }

    fn leg(n: u64) -> HeardLeg {
        HeardLeg {
            id: format!("wacid.{n}"),
            account: account(1),
            call: HeardCall::Sid(format!("CA{n:032}")),
            placed_at: UnixMillis(n * 10),
        }
    }

    fn placed(n: u64) -> HeardLeg {
        HeardLeg {
            call: HeardCall::Placed {
                from: "+5511900000001".to_owned(),
                to: "+447700000001".to_owned(),
            },
            ..leg(n)
        }
    }

    #[test]
    fn keeps_the_last_thousand_ended_legs() {
        let log = HeardLog::default();
        let sinks: Vec<_> = (0..=KEEP_LEGS as u64).map(|n| log.start(leg(n))).collect();
        // A running leg is never dropped.
        assert_eq!(log.len(), KEEP_LEGS + 1);
        for n in 0..=KEEP_LEGS {
            log.end(&format!("wacid.{n}"), UnixMillis(100_000));
        }
        assert_eq!(log.len(), KEEP_LEGS);
        assert!(log.by_call(account(1), &format!("CA{:032}", 0)).is_none());
        let last = log
            .by_call(account(1), &format!("CA{KEEP_LEGS:032}"))
            .unwrap();
        assert!(last.ended);
        assert!(log.by_call(account(1), &format!("CA{:032}", 1)).is_some());
        // Ending twice (and dropping the ended legs' sinks) counts once.
        log.end("wacid.1", UnixMillis(100_001));
        drop(sinks);
        assert_eq!(log.len(), KEEP_LEGS);
    }

    #[test]
    fn decodes_nothing_until_asked_then_the_tone_it_received() {
        let log = HeardLog::keeping(2);
        let mut sink = log.start(leg(1));
        let mut encoder = OpusEncoder::new().unwrap();
        let sent: Vec<Vec<u8>> = Tone::new(&[1000.0], 0.3)
            .take(50)
            .map(|frame| encoder.encode(&frame).unwrap())
            .collect();
        for payload in &sent {
            sink.payload(payload);
        }
        sink.payload(b"not opus");
        let heard = log.by_call(account(1), &format!("CA{:032}", 1)).unwrap();
        assert_eq!(heard.payloads(), 51);
        assert!(!heard.ended);
        assert_eq!(log.decoded_frames(), 0, "nothing is decoded until asked");
        let samples = heard.decode().unwrap();
        assert_eq!(log.decoded_frames(), 51);
        // Exactly what one decoder over the payloads in arrival order gives, the bad one
        // concealed.
        let mut decoder = OpusDecoder::new().unwrap();
        let mut want: Vec<i16> = Vec::new();
        for payload in &sent {
            want.extend_from_slice(decoder.decode(payload).unwrap().samples());
        }
        want.extend_from_slice(decoder.conceal().samples());
        assert_eq!(samples, want);
        assert_eq!(samples.len(), 51 * FRAME_SAMPLES);
        assert!(detect::tone_present(
            &samples[3200..16_000],
            HEARD_RATE,
            1000.0
        ));
        assert!(!detect::tone_present(
            &samples[3200..16_000],
            HEARD_RATE,
            440.0
        ));
        // Another account does not see it; dropping the sink ends the leg.
        assert!(log.by_call(account(2), &format!("CA{:032}", 1)).is_none());
        drop(sink);
        assert!(
            log.by_call(account(1), &format!("CA{:032}", 1))
                .unwrap()
                .ended
        );
    }

    #[test]
    fn keeps_at_most_ten_minutes() {
        let log = HeardLog::default();
        let mut sink = log.start(leg(1));
        for _ in 0..MAX_PAYLOADS + 5 {
            sink.payload(&[0xf8]);
        }
        let heard = log.by_call(account(1), &format!("CA{:032}", 1)).unwrap();
        assert_eq!(heard.payloads(), MAX_PAYLOADS);
        assert_eq!(
            u64::try_from(MAX_PAYLOADS * FRAME_SAMPLES).unwrap(),
            MAX_HEARD.as_secs() * u64::from(HEARD_RATE)
        );
    }

    #[test]
    fn finds_the_placed_call_live_at_a_moment() {
        let log = HeardLog::default();
        let first = log.start(placed(1)); // placed at 10
        log.end("wacid.1", UnixMillis(40));
        let second = log.start(placed(5)); // placed at 50
        let at = |ms| {
            log.placed(
                account(1),
                "+5511900000001",
                "+447700000001",
                UnixMillis(ms),
            )
            .map(|h| h.id)
        };
        assert_eq!(at(5), None);
        assert_eq!(at(20).as_deref(), Some("wacid.1"));
        assert_eq!(
            at(45),
            None,
            "the first leg had ended, the second not begun"
        );
        assert_eq!(at(60).as_deref(), Some("wacid.5"));
        assert!(
            log.placed(
                account(1),
                "+5511900000001",
                "+447700000002",
                UnixMillis(60)
            )
            .is_none()
        );
        // A placed leg is not found by CallSid.
        assert!(log.by_call(account(1), &format!("CA{:032}", 5)).is_none());
        drop((first, second));
    }
}
