//! A jitter buffer for one incoming RTP audio stream (one SSRC).
//!
//! Packets go in as they arrive ([`JitterBuffer::push`]); once per 20 ms tick the caller
//! takes one [`Playout`] ([`JitterBuffer::pop`]): the packet due now, [`Playout::Lost`] when
//! it is missing (the caller conceals with [`OpusDecoder::conceal`], or with
//! [`OpusDecoder::decode_fec`] on [`JitterBuffer::peek_next`] when the following packet is
//! already here), or [`Playout::Empty`] when there is nothing to play (not started yet, or
//! the sender has stopped).
//!
//! Playout follows sequence numbers, one packet per tick: the media profile is one 20 ms Opus
//! frame per packet (`ptime` 20, what Meta sends and what our SDP asks for). The timestamp is
//! kept with each packet for the caller but does not steer playout.
//!
//! Behaviour, all with fixed bounds:
//!
//! - **Start**: playout begins once the buffered packets span [`JitterConfig::target_depth`]
//!   sequence numbers, or the first has waited that many ticks' worth of time (so one lone
//!   packet still plays). Until then [`Playout::Empty`].
//! - **Reordering** within the buffered span is undone; **duplicates** are dropped (a window
//!   of the last 128 sequence numbers remembers what arrived); a packet whose turn has passed
//!   is **late** and dropped; sequence numbers **wrap** at 65 535 (extended to 64 bits).
//! - **A sender that stops**: after [`JitterConfig::max_concealed_run`] `Lost` ticks with
//!   nothing buffered the buffer reports `Empty` (not endless `Lost`) and re-buffers; it
//!   resumes at the first sequence number it did not play, so a sender that merely paused
//!   loses nothing.
//! - **Memory**: the buffered span never exceeds [`JitterConfig::max_depth`] packets (a burst
//!   beyond it drops the oldest), and a buffer that stays deeper than the target for a
//!   second drops one packet to bring the delay back: both counted as `dropped`.
//! - **A sequence jump** beyond ±3 000 (a sender that restarted its numbering) is believed
//!   only when the next packet follows it; then the buffer starts over (`resyncs`).
//!
//! [`OpusDecoder::conceal`]: super::OpusDecoder::conceal
//! [`OpusDecoder::decode_fec`]: super::OpusDecoder::decode_fec

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::frame::FRAME_DURATION;

/// Sequence distance beyond which a packet is taken for a restart of the numbering
/// (RFC 3550 A.1's `MAX_DROPOUT`; 60 s of 20 ms packets).
const MAX_JUMP: i64 = 3000;
/// Sequence numbers remembered for duplicate detection.
const SEEN_WINDOW: u64 = 128;
/// Largest `max_depth` accepted (must stay inside the duplicate window).
const MAX_DEPTH_LIMIT: usize = 100;
/// Ticks the buffer may stay deeper than `target_depth + TRIM_SLACK` before one packet is
/// dropped (one second).
const TRIM_AFTER: u32 = 50;
/// Extra depth tolerated before trimming.
const TRIM_SLACK: usize = 2;
/// Extended sequence numbers start here so that packets just before the first still fit.
const EXT_BASE: u64 = 1 << 32;

/// Jitter buffer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// Packets (20 ms each) buffered before playout starts: the added delay. Default 3
    /// (60 ms), enough for the usual Internet jitter and a reordered pair.
    pub target_depth: usize,
    /// Hard bound on the buffered span, packets. Default 25 (500 ms); at most 100.
    pub max_depth: usize,
    /// Consecutive `Lost` ticks with nothing buffered before the buffer says `Empty`.
    /// Default 5 (100 ms of concealment, about what PLC can hide).
    pub max_concealed_run: u32,
}

impl Default for JitterConfig {
    fn default() -> Self {
        JitterConfig {
            target_depth: 3,
            max_depth: 25,
            max_concealed_run: 5,
        }
    }
}

/// What to play this tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout {
    /// The payload of the packet due now.
    Packet(Vec<u8>),
    /// The packet due now is missing: conceal one frame.
    Lost,
    /// Nothing to play: before the first packet, while (re-)buffering, or after the sender
    /// stopped. Play silence (or comfort noise); do not conceal.
    Empty,
}

/// What the buffer has seen, cumulative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterCounters {
    /// Packets pushed, all of them (duplicates, late and stray ones included).
    pub received: u64,
    /// Packets already received once (dropped).
    pub duplicates: u64,
    /// Packets that arrived after their turn (dropped; they are not `lost`).
    pub late: u64,
    /// Sequence numbers never received, between the lowest and highest received (a late
    /// arrival still counts as received): RTCP's cumulative loss, less duplicates.
    pub lost: u64,
    /// `Lost` ticks: frames the caller concealed (missing and late packets, and a stopped
    /// sender's first `max_concealed_run` ticks).
    pub concealed: u64,
    /// `Packet` ticks.
    pub played: u64,
    /// Packets discarded unplayed: to keep the delay bounded (a burst past `max_depth`, a
    /// second spent deeper than the target) or left over from before a resync.
    pub dropped: u64,
    /// Packets ignored because their sequence number jumped and the next did not confirm it.
    pub stray: u64,
    /// Restarts after a confirmed sequence jump.
    pub resyncs: u64,
    /// Times the buffer went back to buffering after the sender stopped.
    pub rebuffers: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for `target_depth`; `since` is when the oldest buffered packet arrived.
    Buffering { since: Option<Instant> },
    /// Playing `next`; `lost_run` consecutive `Lost` ticks so far.
    Playing { next: u64, lost_run: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Buffered {
    timestamp: u32,
    payload: Vec<u8>,
}

/// The jitter buffer of one RTP stream. See the module documentation.
#[derive(Debug, Clone)]
pub struct JitterBuffer {
    config: JitterConfig,
    buffer: BTreeMap<u64, Buffered>,
    state: State,
    /// Highest extended sequence number received.
    highest: Option<u64>,
    /// Lowest extended sequence number received (for `lost`).
    lowest: u64,
    /// Bit `i`: `highest - i` was received.
    seen: u128,
    /// First sequence number not yet played or skipped: older packets are late.
    floor: Option<u64>,
    /// A packet whose sequence number jumped, kept until the next one confirms or denies it.
    jump: Option<(u16, u32, Vec<u8>)>,
    /// Consecutive ticks deeper than the target.
    deep_ticks: u32,
    counters: JitterCounters,
}

impl Default for JitterBuffer {
    fn default() -> Self {
        JitterBuffer::new(JitterConfig::default())
    }
}

impl JitterBuffer {
    /// A buffer with `config` (a `target_depth` of 0 counts as 1; `max_depth` is raised to
    /// `target_depth + 1` and capped at 100).
    pub fn new(mut config: JitterConfig) -> JitterBuffer {
        config.target_depth = config.target_depth.clamp(1, MAX_DEPTH_LIMIT - 1);
        config.max_depth = config
            .max_depth
            .clamp(config.target_depth + 1, MAX_DEPTH_LIMIT);
        JitterBuffer {
            config,
            buffer: BTreeMap::new(),
            state: State::Buffering { since: None },
            highest: None,
            lowest: 0,
            seen: 0,
            floor: None,
            jump: None,
            deep_ticks: 0,
            counters: JitterCounters::default(),
        }
    }

    /// The settings in force (after clamping).
    pub fn config(&self) -> JitterConfig {
        self.config
    }

    /// The counters so far.
    pub fn counters(&self) -> JitterCounters {
        self.counters
    }

    /// Packets buffered now.
    pub fn depth(&self) -> usize {
        self.buffer.len()
    }

    /// Whether playout has started (and not gone back to buffering).
    pub fn is_playing(&self) -> bool {
        matches!(self.state, State::Playing { .. })
    }

    /// The payload and RTP timestamp of the packet the next [`pop`](Self::pop) will play, if
    /// it is here: after a `Lost` tick, the packet right after the lost one, whose in-band
    /// FEC can rebuild it.
    pub fn peek_next(&self) -> Option<(&[u8], u32)> {
        let State::Playing { next, .. } = self.state else {
            return None;
        };
        self.buffer
            .get(&next)
            .map(|b| (b.payload.as_slice(), b.timestamp))
    }

    /// A packet arrived (RTP sequence number, RTP timestamp, payload) at `now`.
    pub fn push(&mut self, seq: u16, timestamp: u32, payload: Vec<u8>, now: Instant) {
        self.counters.received += 1;
        let Some(highest) = self.highest else {
            self.start_stream(seq, timestamp, payload, now);
            return;
        };
        let ext = unwrap_seq(highest, seq);
        let distance = ext.cast_signed() - highest.cast_signed();
        if distance.abs() > MAX_JUMP {
            match self.jump.take() {
                Some((prev, ts, p)) if prev.wrapping_add(1) == seq => {
                    // Two in a row: the sender renumbered. Start over from the first.
                    self.counters.resyncs += 1;
                    self.counters.stray -= 1;
                    self.counters.dropped += self.buffer.len() as u64;
                    self.buffer.clear();
                    self.state = State::Buffering { since: None };
                    self.floor = None;
                    self.deep_ticks = 0;
                    self.start_stream(prev, ts, p, now);
                    self.push_known(
                        unwrap_seq(EXT_BASE + u64::from(prev), seq),
                        timestamp,
                        payload,
                        now,
                    );
                }
                _ => {
                    self.counters.stray += 1;
                    self.jump = Some((seq, timestamp, payload));
                }
            }
            return;
        }
        self.jump = None;
        self.push_known(ext, timestamp, payload, now);
    }

    fn start_stream(&mut self, seq: u16, timestamp: u32, payload: Vec<u8>, now: Instant) {
        let ext = EXT_BASE + u64::from(seq);
        self.highest = Some(ext);
        self.lowest = ext;
        self.seen = 1;
        self.insert(ext, timestamp, payload, now);
    }

    /// A packet within reach of the stream's numbering.
    fn push_known(&mut self, ext: u64, timestamp: u32, payload: Vec<u8>, now: Instant) {
        let highest = self.highest.unwrap_or(ext);
        if ext > highest {
            let shift = ext - highest;
            self.counters.lost += shift - 1;
            self.seen = if shift >= SEEN_WINDOW {
                0
            } else {
                self.seen << shift
            };
            self.seen |= 1;
            self.highest = Some(ext);
        } else {
            let back = highest - ext;
            if back >= SEEN_WINDOW {
                // Older than anything we remember: long past its turn.
                self.counters.late += 1;
                return;
            }
            if self.seen & (1 << back) != 0 {
                self.counters.duplicates += 1;
                return;
            }
            self.seen |= 1 << back;
            if ext > self.lowest {
                // It filled a gap that was counted as lost.
                self.counters.lost -= 1;
            } else {
                self.counters.lost += self.lowest - ext - 1;
                self.lowest = ext;
            }
        }
        if self.floor.is_some_and(|floor| ext < floor) {
            self.counters.late += 1;
            return;
        }
        self.insert(ext, timestamp, payload, now);
    }

    fn insert(&mut self, ext: u64, timestamp: u32, payload: Vec<u8>, now: Instant) {
        self.buffer.insert(ext, Buffered { timestamp, payload });
        if let State::Buffering {
            since: since @ None,
        } = &mut self.state
        {
            *since = Some(now);
        }
        // Keep the span from the oldest packet still wanted to the newest within max_depth.
        let highest = self.highest.unwrap_or(ext);
        let keep_from = (highest + 1).saturating_sub(self.config.max_depth as u64);
        if let State::Playing { next, .. } = &mut self.state
            && *next < keep_from
        {
            *next = keep_from;
            self.floor = Some(keep_from);
        }
        while let Some((&oldest, _)) = self.buffer.first_key_value() {
            if oldest >= keep_from {
                break;
            }
            self.buffer.remove(&oldest);
            self.counters.dropped += 1;
            self.floor = Some(self.floor.map_or(oldest + 1, |f| f.max(oldest + 1)));
        }
    }

    /// What to play for the tick at `now` (call once per 20 ms).
    pub fn pop(&mut self, now: Instant) -> Playout {
        if let State::Buffering { since } = self.state {
            let Some((&first, _)) = self.buffer.first_key_value() else {
                return Playout::Empty;
            };
            let span = self.highest.map_or(0, |h| h + 1 - first);
            let waited = since.is_some_and(|t| {
                now.saturating_duration_since(t) >= wait_for(self.config.target_depth)
            });
            if span < self.config.target_depth as u64 && !waited {
                return Playout::Empty;
            }
            self.state = State::Playing {
                next: first,
                lost_run: 0,
            };
            self.deep_ticks = 0;
        }
        let State::Playing { next, lost_run } = &mut self.state else {
            return Playout::Empty;
        };
        // Delay control: a buffer that stays deeper than the target drops one packet.
        if self.buffer.len() > self.config.target_depth + TRIM_SLACK {
            self.deep_ticks += 1;
            if self.deep_ticks >= TRIM_AFTER {
                self.deep_ticks = 0;
                if self.buffer.remove(next).is_some() {
                    self.counters.dropped += 1;
                }
                *next += 1;
            }
        } else {
            self.deep_ticks = 0;
        }
        if let Some(b) = self.buffer.remove(next) {
            *next += 1;
            *lost_run = 0;
            self.floor = Some(*next);
            self.counters.played += 1;
            return Playout::Packet(b.payload);
        }
        if self.buffer.is_empty() && *lost_run >= self.config.max_concealed_run {
            // The sender has stopped (or paused): resume where playout stopped being real.
            let resume = *next - u64::from(*lost_run);
            self.floor = Some(resume);
            self.state = State::Buffering { since: None };
            self.counters.rebuffers += 1;
            return Playout::Empty;
        }
        *next += 1;
        *lost_run += 1;
        self.floor = Some(*next);
        self.counters.concealed += 1;
        Playout::Lost
    }
}

/// How long the first packet may wait before playout starts without a full target depth.
fn wait_for(target_depth: usize) -> Duration {
    FRAME_DURATION * u32::try_from(target_depth).unwrap_or(u32::MAX)
}

/// The extended sequence number of `seq` closest to `highest`.
fn unwrap_seq(highest: u64, seq: u16) -> u64 {
    let candidate = (highest & !0xFFFF) | u64::from(seq);
    if candidate + 0x8000 < highest {
        candidate + 0x1_0000
    } else if candidate > highest + 0x8000 && candidate >= 0x1_0000 {
        candidate - 0x1_0000
    } else {
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a buffer tick by tick: `arrivals[t]` are the sequence numbers pushed just
    /// before the pop of tick `t`; returns what each pop gave (`P<seq>`, `L`, `E`). Payloads
    /// are the sequence number's two bytes so that playout order can be read back.
    struct Run {
        jb: JitterBuffer,
        start: Instant,
        tick: u32,
    }

    impl Run {
        fn new(config: JitterConfig) -> Run {
            Run {
                jb: JitterBuffer::new(config),
                start: Instant::now(),
                tick: 0,
            }
        }

        fn now(&self) -> Instant {
            self.start + FRAME_DURATION * self.tick
        }

        fn push(&mut self, seq: u16) {
            let now = self.now();
            self.jb.push(
                seq,
                u32::from(seq).wrapping_mul(960),
                seq.to_be_bytes().to_vec(),
                now,
            );
        }

        fn tick(&mut self, arrivals: &[u16]) -> String {
            for &seq in arrivals {
                self.push(seq);
            }
            let out = match self.jb.pop(self.now()) {
                Playout::Packet(p) => format!("P{}", u16::from_be_bytes([p[0], p[1]])),
                Playout::Lost => "L".to_owned(),
                Playout::Empty => "E".to_owned(),
            };
            self.tick += 1;
            out
        }

        fn ticks(&mut self, schedule: &[&[u16]]) -> Vec<String> {
            schedule.iter().map(|a| self.tick(a)).collect()
        }
    }

    fn default_run() -> Run {
        Run::new(JitterConfig::default())
    }

    #[test]
    fn in_order_stream_plays_after_target_depth() {
        let mut r = default_run();
        let got = r.ticks(&[&[10], &[11], &[12], &[13], &[], &[], &[]]);
        assert_eq!(got, ["E", "E", "P10", "P11", "P12", "P13", "L"]);
        let c = r.jb.counters();
        assert_eq!((c.received, c.played, c.concealed, c.lost), (4, 4, 1, 0));
    }

    #[test]
    fn nothing_pushed_is_empty() {
        let mut r = default_run();
        assert_eq!(r.ticks(&[&[], &[], &[]]), ["E", "E", "E"]);
        assert_eq!(r.jb.counters(), JitterCounters::default());
        assert!(r.jb.peek_next().is_none());
    }

    #[test]
    fn a_lone_packet_plays_after_the_target_delay() {
        let mut r = default_run();
        // Target 3 ticks = 60 ms: the packet from tick 0 plays at tick 3.
        let got = r.ticks(&[&[7], &[], &[], &[]]);
        assert_eq!(got, ["E", "E", "E", "P7"]);
    }

    #[test]
    fn reordering_is_undone() {
        let mut r = default_run();
        let got = r.ticks(&[&[1], &[0], &[3, 2], &[5], &[4], &[6], &[], &[], &[]]);
        assert_eq!(got, ["E", "E", "P0", "P1", "P2", "P3", "P4", "P5", "P6"]);
        let c = r.jb.counters();
        assert_eq!((c.received, c.lost, c.late, c.concealed), (7, 0, 0, 0));
    }

    #[test]
    fn duplicates_are_dropped_and_counted() {
        let mut r = default_run();
        let got = r.ticks(&[&[0, 0], &[1], &[2, 1], &[3, 0], &[], &[]]);
        assert_eq!(got, ["E", "E", "P0", "P1", "P2", "P3"]);
        let c = r.jb.counters();
        assert_eq!((c.received, c.duplicates, c.late, c.played), (7, 3, 0, 4));
    }

    #[test]
    fn late_packets_are_dropped_not_lost() {
        let mut r = default_run();
        // Playout starts at tick 3 (span 3 reached with 3's arrival); 2 is missing at its
        // turn (tick 5) and arrives at tick 6.
        let got = r.ticks(&[&[0], &[1], &[], &[3], &[4], &[], &[2, 5], &[6], &[]]);
        assert_eq!(got, ["E", "E", "E", "P0", "P1", "L", "P3", "P4", "P5"]);
        let c = r.jb.counters();
        assert_eq!(c.late, 1);
        assert_eq!(c.lost, 0, "2 arrived, late");
        assert_eq!(c.concealed, 1);
        assert_eq!(c.received, 7);
    }

    #[test]
    fn missing_packets_are_lost_and_concealed() {
        let mut r = default_run();
        let got = r.ticks(&[&[0], &[1], &[2], &[5], &[6], &[7], &[8], &[]]);
        assert_eq!(got, ["E", "E", "P0", "P1", "P2", "L", "L", "P5"]);
        let c = r.jb.counters();
        assert_eq!((c.lost, c.concealed, c.late, c.played), (2, 2, 0, 4));
    }

    #[test]
    fn sequence_wrap() {
        let mut r = default_run();
        let got = r.ticks(&[&[65_534], &[65_535], &[0], &[1], &[3], &[2], &[], &[]]);
        assert_eq!(got, ["E", "E", "P65534", "P65535", "P0", "P1", "P2", "P3"]);
        let c = r.jb.counters();
        assert_eq!((c.lost, c.late, c.duplicates, c.resyncs), (0, 0, 0, 0));
        // A duplicate across the wrap is still a duplicate.
        r.push(65_535);
        assert_eq!(r.jb.counters().duplicates, 1);
    }

    #[test]
    fn a_stopped_sender_ends_in_empty_then_resumes_without_loss() {
        let mut r = default_run();
        let mut schedule: Vec<&[u16]> = vec![&[0], &[1], &[2], &[3]];
        schedule.extend([&[][..]; 10]);
        let got = r.ticks(&schedule);
        // 0..3 play, 5 ticks of concealment, then Empty for good.
        assert_eq!(
            got,
            [
                "E", "E", "P0", "P1", "P2", "P3", "L", "L", "L", "L", "L", "E", "E", "E"
            ]
        );
        let c = r.jb.counters();
        assert_eq!((c.concealed, c.rebuffers, c.lost), (5, 1, 0));
        assert!(!r.jb.is_playing());
        // It resumes with the next sequence number (it paused, nothing was lost): re-buffers.
        let got = r.ticks(&[&[4], &[5], &[6], &[7], &[]]);
        assert_eq!(got, ["E", "E", "P4", "P5", "P6"]);
        let c = r.jb.counters();
        assert_eq!((c.late, c.lost, c.played), (0, 0, 7));
    }

    #[test]
    fn depth_is_bounded() {
        let mut r = default_run();
        // 1 000 packets arrive in one burst before any tick.
        for seq in 0..1000u16 {
            r.push(seq);
        }
        assert_eq!(r.jb.depth(), 25);
        assert_eq!(r.jb.counters().dropped, 975);
        assert_eq!(r.tick(&[]), "P975");
        // A burst while playing: the oldest go, playout jumps ahead.
        for seq in 1000..1100u16 {
            r.push(seq);
        }
        assert_eq!(r.jb.depth(), 25);
        assert_eq!(r.tick(&[]), "P1075");
        assert_eq!(r.jb.counters().lost, 0);
    }

    #[test]
    fn persistent_extra_depth_is_trimmed() {
        let mut r = default_run();
        // Start with 8 packets buffered (3 over target + slack), then one per tick.
        for seq in 0..8u16 {
            r.push(seq);
        }
        let played: Vec<String> = (8..128u16).map(|seq| r.tick(&[seq])).collect();
        let c = r.jb.counters();
        // Depth 8 > 5 for 50 ticks: one packet dropped; 7 > 5 for 50 more: another.
        assert_eq!(c.dropped, 2);
        assert_eq!(r.jb.depth(), 6);
        assert_eq!(c.concealed, 0);
        assert_eq!(played[49], "P50");
    }

    #[test]
    fn renumbered_sender_is_followed_after_two_packets() {
        let mut r = default_run();
        assert_eq!(r.ticks(&[&[100], &[101], &[102]]), ["E", "E", "P100"]);
        // One stray packet far away: ignored.
        r.push(40_000);
        assert_eq!(r.jb.counters().stray, 1);
        assert_eq!(r.tick(&[103]), "P101");
        // Two consecutive: the stream restarts there.
        let got = r.ticks(&[&[20_000], &[20_001], &[20_002], &[20_003]]);
        assert_eq!(got, ["P102", "E", "P20000", "P20001"]);
        let c = r.jb.counters();
        // 20 000 was believed after all; 103, still buffered, went with the old numbering.
        assert_eq!((c.stray, c.resyncs, c.dropped), (1, 1, 1));
    }

    #[test]
    fn peek_next_offers_the_packet_after_a_loss() {
        let mut r = default_run();
        assert_eq!(r.ticks(&[&[0], &[1], &[3]]), ["E", "E", "P0"]);
        assert_eq!(r.tick(&[4]), "P1");
        assert_eq!(r.tick(&[5]), "L");
        let (payload, ts) = r.jb.peek_next().unwrap();
        assert_eq!(payload, [0, 3]);
        assert_eq!(ts, 3 * 960);
        assert_eq!(r.tick(&[]), "P3");
    }

    #[test]
    fn config_is_clamped() {
        let jb = JitterBuffer::new(JitterConfig {
            target_depth: 0,
            max_depth: 1000,
            max_concealed_run: 0,
        });
        assert_eq!(jb.config().target_depth, 1);
        assert_eq!(jb.config().max_depth, 100);
        let jb = JitterBuffer::new(JitterConfig {
            target_depth: 10,
            max_depth: 2,
            max_concealed_run: 1,
        });
        assert_eq!(jb.config().max_depth, 11);
    }

    #[test]
    fn unwrap_picks_the_closest() {
        let h = EXT_BASE + 65_535;
        assert_eq!(unwrap_seq(h, 0), EXT_BASE + 65_536);
        assert_eq!(unwrap_seq(h, 65_000), EXT_BASE + 65_000);
        assert_eq!(unwrap_seq(EXT_BASE + 65_536, 65_535), EXT_BASE + 65_535);
        assert_eq!(unwrap_seq(EXT_BASE + 5, 10), EXT_BASE + 10);
    }
}
