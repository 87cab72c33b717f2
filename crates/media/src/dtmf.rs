//! RFC 4733 telephone events: the 4-byte payload, the packet schedule of one digit, and
//! once-per-digit detection on the receive side.
//!
//! A digit is sent in the audio's RTP timestamp and sequence space (as Meta expects): the
//! event packets replace the audio packets for their ticks, all carry the timestamp of the
//! event's start, the first has the marker bit, the last is repeated three times with the end
//! bit, and a short gap of audio separates two digits.

use std::collections::VecDeque;

/// Ticks (of ptime) an event lasts before its end packet: 5 × 20 ms = 100 ms.
const EVENT_TICKS: u32 = 5;
/// Extra copies of the end packet (RFC 4733 §2.5.1.4 recommends three end packets in all).
const END_REPEATS: u32 = 2;
/// Ticks of audio between two digits.
const GAP_TICKS: u32 = 3;
/// Volume field: -10 dBm0, as browsers send.
const VOLUME: u8 = 10;

/// The RFC 4733 event code of a DTMF key.
pub(crate) fn event_code(key: char) -> Option<u8> {
    match key.to_ascii_uppercase() {
        // A digit is below 10, so the narrowing is exact.
        d @ '0'..='9' => d.to_digit(10).and_then(|d| u8::try_from(d).ok()),
        '*' => Some(10),
        '#' => Some(11),
        l @ 'A'..='D' => Some(12 + (l as u8 - b'A')),
        _ => None,
    }
}

/// The DTMF key of an RFC 4733 event code.
pub(crate) fn event_key(code: u8) -> Option<char> {
    match code {
        0..=9 => Some(char::from(b'0' + code)),
        10 => Some('*'),
        11 => Some('#'),
        12..=15 => Some(char::from(b'A' + code - 12)),
        _ => None,
    }
}

/// The 4-byte payload: event, end bit and volume, duration in telephone-event clock units.
pub(crate) fn encode(event: u8, end: bool, duration: u16) -> [u8; 4] {
    let [hi, lo] = duration.to_be_bytes();
    [event, (u8::from(end) << 7) | VOLUME, hi, lo]
}

/// One packet of an event to send now instead of this tick's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TonePacket {
    pub(crate) payload: [u8; 4],
    pub(crate) timestamp: u32,
    pub(crate) marker: bool,
}

#[derive(Debug)]
struct Current {
    event: u8,
    timestamp: u32,
    tick: u32,
}

/// Queued digits and the one being sent.
#[derive(Debug, Default)]
pub(crate) struct DigitSender {
    queue: VecDeque<u8>,
    current: Option<Current>,
    gap_left: u32,
}

impl DigitSender {
    /// Queues the valid keys of `digits`, ignoring the others.
    pub(crate) fn push(&mut self, digits: &str) {
        self.queue.extend(digits.chars().filter_map(event_code));
    }

    /// Called once per tick with the audio timestamp of this tick and the event duration of
    /// one tick in telephone-event clock units; `Some` replaces this tick's audio packet.
    pub(crate) fn tick(&mut self, audio_timestamp: u32, units_per_tick: u32) -> Option<TonePacket> {
        if self.current.is_none() {
            if self.gap_left > 0 {
                self.gap_left -= 1;
                return None;
            }
            let event = self.queue.pop_front()?;
            self.current = Some(Current {
                event,
                timestamp: audio_timestamp,
                tick: 0,
            });
        }
        let current = self.current.as_mut()?;
        current.tick += 1;
        let duration = current.tick.min(EVENT_TICKS).saturating_mul(units_per_tick);
        let packet = TonePacket {
            payload: encode(
                current.event,
                current.tick >= EVENT_TICKS,
                u16::try_from(duration).unwrap_or(u16::MAX),
            ),
            timestamp: current.timestamp,
            marker: current.tick == 1,
        };
        if current.tick >= EVENT_TICKS + END_REPEATS {
            self.current = None;
            self.gap_left = GAP_TICKS;
        }
        Some(packet)
    }
}

/// Reports each received event once, however many of its packets arrive.
#[derive(Debug, Default)]
pub(crate) struct DigitReceiver {
    /// Timestamp and code of the latest event, and whether it was reported.
    last: Option<(u32, u8, bool)>,
}

impl DigitReceiver {
    /// Handles one telephone-event packet; returns the keys to report (the previous event's
    /// key first when its end packets were all lost).
    pub(crate) fn on_packet(&mut self, timestamp: u32, payload: &[u8]) -> Vec<char> {
        let mut keys = Vec::new();
        let [event, flags, ..] = *payload else {
            return keys;
        };
        if payload.len() < 4 {
            return keys;
        }
        let end = flags & 0x80 != 0;
        match self.last {
            Some((ts, _, reported)) if ts == timestamp => {
                if end && !reported {
                    keys.extend(event_key(event));
                    self.last = Some((ts, event, true));
                }
            }
            Some((ts, _, _)) if timestamp.wrapping_sub(ts) >= 1 << 31 => {
                // A late packet of an older event: already handled.
            }
            previous => {
                if let Some((_, code, false)) = previous {
                    keys.extend(event_key(code));
                }
                if end {
                    keys.extend(event_key(event));
                }
                self.last = Some((timestamp, event, end));
            }
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_rfc4733_codes_and_back() {
        let keys = "0123456789*#ABCD";
        let codes: Vec<u8> = keys.chars().filter_map(event_code).collect();
        assert_eq!(codes, (0..=15).collect::<Vec<u8>>());
        let back: String = codes.iter().filter_map(|c| event_key(*c)).collect();
        assert_eq!(back, keys);
        assert_eq!(event_code('a'), Some(12));
        assert_eq!(event_code('x'), None);
        assert_eq!(event_code('E'), None);
        assert_eq!(event_key(16), None);
    }

    #[test]
    fn payload_layout() {
        assert_eq!(encode(11, true, 800), [11, 0x80 | 0x0A, 0x03, 0x20]);
        assert_eq!(encode(1, false, 160), [1, 10, 0x00, 0xA0]);
    }

    #[test]
    fn one_digit_is_seven_packets_then_a_gap() {
        let mut sender = DigitSender::default();
        sender.push("5x");
        let packets: Vec<Option<TonePacket>> = (0..12u32)
            .map(|tick| sender.tick(1000 + tick * 960, 160))
            .collect();
        let tones: Vec<TonePacket> = packets.iter().take(7).map(|p| p.unwrap()).collect();
        assert!(packets[7..].iter().all(Option::is_none));
        assert!(tones.iter().all(|t| t.timestamp == 1000));
        assert_eq!(
            tones.iter().map(|t| t.marker).collect::<Vec<_>>(),
            [true, false, false, false, false, false, false]
        );
        let durations: Vec<u16> = tones
            .iter()
            .map(|t| u16::from_be_bytes([t.payload[2], t.payload[3]]))
            .collect();
        assert_eq!(durations, [160, 320, 480, 640, 800, 800, 800]);
        let ends: Vec<bool> = tones.iter().map(|t| t.payload[1] & 0x80 != 0).collect();
        assert_eq!(ends, [false, false, false, false, true, true, true]);
        assert!(tones.iter().all(|t| t.payload[0] == 5));
    }

    #[test]
    fn second_digit_starts_after_the_gap_with_a_new_timestamp() {
        let mut sender = DigitSender::default();
        sender.push("1#");
        let ticks: Vec<Option<TonePacket>> =
            (0..20u32).map(|t| sender.tick(t * 960, 160)).collect();
        assert!(ticks[7..10].iter().all(Option::is_none));
        let second = ticks[10].unwrap();
        assert_eq!(second.payload[0], 11);
        assert_eq!(second.timestamp, 10 * 960);
        assert!(second.marker);
    }

    #[test]
    fn receiver_reports_each_event_once() {
        let mut sender = DigitSender::default();
        sender.push("1#");
        let mut receiver = DigitReceiver::default();
        let mut keys = Vec::new();
        for tick in 0..20u32 {
            if let Some(p) = sender.tick(tick * 960, 160) {
                keys.extend(receiver.on_packet(p.timestamp, &p.payload));
            }
        }
        assert_eq!(keys, ['1', '#']);
    }

    #[test]
    fn receiver_reports_an_event_whose_end_packets_were_lost() {
        let mut receiver = DigitReceiver::default();
        assert!(receiver.on_packet(100, &encode(7, false, 160)).is_empty());
        assert_eq!(receiver.on_packet(5000, &encode(8, true, 800)), ['7', '8']);
        assert!(receiver.on_packet(5000, &encode(8, true, 800)).is_empty());
        // A late packet of the first event changes nothing.
        assert!(receiver.on_packet(100, &encode(7, true, 800)).is_empty());
        assert!(receiver.on_packet(5000, &[8]).is_empty());
    }
}
