//! What each simulated user heard: the user's leg is tapped once connected, every Opus
//! payload Dialtone sends is decoded (one decoder per leg, a payload that does not decode is
//! concealed) and appended as 16 kHz PCM, so a test can download it (`Heard.wav`) and check
//! what the far end of a Dialtone call really received.
//!
//! Bounded twice: a leg keeps at most [`MAX_HEARD`] of audio (what comes later is dropped),
//! and once legs end only the last [`KEEP_LEGS`] are kept (the oldest ended leg goes first).
//! Legs still running are always kept: they are bounded by the calls in progress.
//!
//! Legs are found by what Dialtone knows of a call: a business-initiated call by its
//! `biz_opaque_callback_data` (Dialtone's CallSid of the `<Dial>` child), a user-initiated one
//! by its user, business number and a moment when it was live (Meta allows one call per pair
//! at a time, so that names at most one leg).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use dialtone_media::PayloadSink;
use dialtone_media::audio::{FRAME_SAMPLES, OpusDecoder, PCM_RATE};
use dialtone_types::{E164, Redacted, Sid, UnixMillis};

use crate::network::Direction;

/// Ended legs kept (oldest dropped first).
pub const KEEP_LEGS: usize = 1000;
/// Most audio one leg keeps: ten minutes.
pub const MAX_HEARD: Duration = Duration::from_mins(10);
/// The rate of heard audio, Hz (the audio core's).
pub const HEARD_RATE: u32 = PCM_RATE;

const MAX_SAMPLES: usize = 600 * PCM_RATE as usize;

/// Who is on a leg, as Dialtone's side of the call knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LegInfo {
    pub call_id: String,
    pub account: Sid,
    pub direction: Direction,
    pub user: E164,
    pub business: E164,
    /// `biz_opaque_callback_data` of a business-initiated call.
    pub opaque: Option<String>,
    /// When the simulator's call was placed.
    pub created_at: UnixMillis,
}

/// What a user heard on one call, from the leg's connection to now (or to its end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    /// Meta's call id, `wacid.…`.
    pub call_id: String,
    /// Samples per second ([`HEARD_RATE`]).
    pub rate: u32,
    /// Mono 16-bit samples.
    pub samples: Vec<i16>,
    /// True once the leg has ended.
    pub ended: bool,
}

#[derive(Debug, Default)]
struct Audio {
    samples: Vec<i16>,
    ended_at: Option<UnixMillis>,
}

#[derive(Debug)]
struct Leg {
    info: LegInfo,
    audio: Mutex<Audio>,
}

impl Leg {
    fn audio(&self) -> MutexGuard<'_, Audio> {
        self.audio.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn heard(&self) -> Heard {
        let audio = self.audio();
        Heard {
            call_id: self.info.call_id.clone(),
            rate: HEARD_RATE,
            samples: audio.samples.clone(),
            ended: audio.ended_at.is_some(),
        }
    }
}

/// The legs' heard audio, running and recently ended.
#[derive(Debug)]
pub(crate) struct HeardLog {
    legs: HashMap<String, Arc<Leg>>,
    ended: VecDeque<String>,
    keep: usize,
}

impl Default for HeardLog {
    fn default() -> Self {
        Self::keeping(KEEP_LEGS)
    }
}

impl HeardLog {
    /// A log keeping `keep` ended legs.
    pub(crate) fn keeping(keep: usize) -> Self {
        Self {
            legs: HashMap::new(),
            ended: VecDeque::new(),
            keep,
        }
    }

    /// A leg connected: the sink to tap it with, or `None` if no decoder could be made (the
    /// leg is then not recorded; logged).
    pub(crate) fn start(&mut self, info: LegInfo) -> Option<Box<dyn PayloadSink>> {
        let decoder = match OpusDecoder::new() {
            Ok(decoder) => decoder,
            Err(error) => {
                tracing::warn!(call_id = %info.call_id, %error, "WhatsApp simulator: no Opus decoder, what the user hears is not kept");
                return None;
            }
        };
        let leg = Arc::new(Leg {
            info,
            audio: Mutex::new(Audio::default()),
        });
        if let Some(old) = self.legs.insert(leg.info.call_id.clone(), Arc::clone(&leg)) {
            // A call has one user leg; a second start replaces the first (never expected).
            self.ended.retain(|id| *id != old.info.call_id);
        }
        Some(Box::new(HeardSink { leg, decoder }))
    }

    /// The leg of `call_id` ended at `now`; the oldest ended legs beyond the bound go.
    pub(crate) fn end(&mut self, call_id: &str, now: UnixMillis) {
        let Some(leg) = self.legs.get(call_id) else {
            return;
        };
        let mut audio = leg.audio();
        if audio.ended_at.is_some() {
            return;
        }
        audio.ended_at = Some(now);
        drop(audio);
        self.ended.push_back(call_id.to_owned());
        while self.ended.len() > self.keep {
            if let Some(id) = self.ended.pop_front() {
                self.legs.remove(&id);
            }
        }
    }

    /// The business-initiated call of `account` whose `biz_opaque_callback_data` is `opaque`.
    pub(crate) fn by_opaque(&self, account: Sid, opaque: &str) -> Option<Heard> {
        self.legs
            .values()
            .filter(|leg| {
                let i = &leg.info;
                i.account == account
                    && i.direction == Direction::BusinessInitiated
                    && i.opaque.as_deref() == Some(opaque)
            })
            .max_by_key(|leg| leg.info.created_at)
            .map(|leg| leg.heard())
    }

    /// The user-initiated call of `account` from `user` to `business` that was live at `at`
    /// (placed at or before it, its leg not ended before it).
    pub(crate) fn user_call(
        &self,
        account: Sid,
        user: &E164,
        business: &E164,
        at: UnixMillis,
    ) -> Option<Heard> {
        let found = self
            .legs
            .values()
            .filter(|leg| {
                let i = &leg.info;
                i.account == account
                    && i.direction == Direction::UserInitiated
                    && i.user == *user
                    && i.business == *business
                    && i.created_at <= at
                    && leg.audio().ended_at.is_none_or(|end| end >= at)
            })
            .max_by_key(|leg| leg.info.created_at);
        if found.is_none() {
            tracing::debug!(user = %Redacted(user.as_str()), "WhatsApp simulator: no heard audio for this user call");
        }
        found.map(|leg| leg.heard())
    }

    /// Legs kept (running and ended).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.legs.len()
    }
}

/// The tap on a user's leg: decodes what Dialtone sends into the leg's buffer. Runs on the
/// leg's tick: one decode and a short lock per payload.
struct HeardSink {
    leg: Arc<Leg>,
    decoder: OpusDecoder,
}

impl std::fmt::Debug for HeardSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeardSink")
            .field("call_id", &self.leg.info.call_id)
            .finish_non_exhaustive()
    }
}

impl PayloadSink for HeardSink {
    fn payload(&mut self, payload: &[u8]) {
        let frame = self
            .decoder
            .decode(payload)
            .unwrap_or_else(|_| self.decoder.conceal());
        let mut audio = self.leg.audio();
        if audio.samples.len() + FRAME_SAMPLES <= MAX_SAMPLES {
            audio.samples.extend_from_slice(frame.samples());
        }
    }
}

#[cfg(test)]
mod tests {
    use dialtone_media::audio::{OpusEncoder, Tone, detect};

    use super::*;

    fn info(n: usize, direction: Direction) -> LegInfo {
        LegInfo {
            call_id: format!("wacid.{n}"),
            account: "AC00000000000000000000000000000001".parse::<Sid>().unwrap(),
            direction,
            user: E164::parse("+5511900000001").unwrap(),
            business: E164::parse("+447700000001").unwrap(),
            opaque: Some(format!("CA{n:032}")),
            created_at: UnixMillis(u64::try_from(n).unwrap() * 10),
        }
    }

    #[test]
    fn keeps_the_last_thousand_ended_legs() {
        let mut log = HeardLog::default();
        let account = info(0, Direction::BusinessInitiated).account;
        for n in 0..=KEEP_LEGS {
            assert!(log.start(info(n, Direction::BusinessInitiated)).is_some());
        }
        // A running leg is never dropped.
        assert_eq!(log.len(), KEEP_LEGS + 1);
        for n in 0..=KEEP_LEGS {
            log.end(&format!("wacid.{n}"), UnixMillis(100_000));
        }
        assert_eq!(log.len(), KEEP_LEGS);
        assert_eq!(log.by_opaque(account, &format!("CA{:032}", 0)), None);
        let last = log
            .by_opaque(account, &format!("CA{KEEP_LEGS:032}"))
            .unwrap();
        assert!(last.ended);
        assert!(log.by_opaque(account, &format!("CA{:032}", 1)).is_some());
        // Ending twice counts once.
        log.end("wacid.1", UnixMillis(100_001));
        assert_eq!(log.len(), KEEP_LEGS);
    }

    #[test]
    fn decodes_what_the_leg_receives() {
        let mut log = HeardLog::keeping(2);
        let leg = info(1, Direction::BusinessInitiated);
        let (account, opaque) = (leg.account, leg.opaque.clone().unwrap());
        let mut sink = log.start(leg).unwrap();
        let mut encoder = OpusEncoder::new().unwrap();
        for frame in Tone::new(&[1000.0], 0.3).take(50) {
            sink.payload(&encoder.encode(&frame).unwrap());
        }
        sink.payload(b"not opus");
        let heard = log.by_opaque(account, &opaque).unwrap();
        assert_eq!(heard.samples.len(), 51 * FRAME_SAMPLES);
        assert!(!heard.ended);
        assert!(detect::tone_present(
            &heard.samples[3200..16_000],
            HEARD_RATE,
            1000.0
        ));
        // Another account does not see it.
        let other = "AC00000000000000000000000000000002".parse::<Sid>().unwrap();
        assert_eq!(log.by_opaque(other, &opaque), None);
    }

    #[test]
    fn finds_the_user_call_live_at_a_moment() {
        let mut log = HeardLog::default();
        let first = info(1, Direction::UserInitiated); // placed at 10
        let second = info(5, Direction::UserInitiated); // placed at 50
        let (account, user, business) = (first.account, first.user.clone(), first.business.clone());
        log.start(first);
        log.end("wacid.1", UnixMillis(40));
        log.start(second);
        let at = |ms| {
            log.user_call(account, &user, &business, UnixMillis(ms))
                .map(|h| h.call_id)
        };
        assert_eq!(at(5), None);
        assert_eq!(at(20).as_deref(), Some("wacid.1"));
        assert_eq!(
            at(45),
            None,
            "the first leg had ended, the second not begun"
        );
        assert_eq!(at(60).as_deref(), Some("wacid.5"));
        let other = E164::parse("+447700000002").unwrap();
        assert_eq!(log.user_call(account, &user, &other, UnixMillis(60)), None);
        // A business-initiated leg is not found as a user call.
        assert_eq!(log.by_opaque(account, &format!("CA{:032}", 5)), None);
    }
}
