//! Packet counting: RTP vs RTCP on the wire (RFC 5761 demultiplexing) and RTP loss from the
//! remote's sequence numbers.

/// What a datagram is, judged from its first two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    Rtp,
    Rtcp,
    /// STUN, DTLS or anything else.
    Other,
}

/// RFC 7983 / RFC 5761: first byte 128–191 is RTP or RTCP; RTCP packet types are 192–223.
pub(crate) fn classify(datagram: &[u8]) -> Wire {
    match datagram {
        [first, second, ..] if (128..=191).contains(first) => {
            if (192..=223).contains(second) {
                Wire::Rtcp
            } else {
                Wire::Rtp
            }
        }
        _ => Wire::Other,
    }
}

/// The SSRC of an RTP packet (bytes 8–11), unencrypted in SRTP.
pub(crate) fn rtp_ssrc(datagram: &[u8]) -> Option<u32> {
    let bytes: [u8; 4] = datagram.get(8..12)?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

#[derive(Debug)]
struct Stream {
    ssrc: u32,
    first: u64,
    highest: u64,
    received: u64,
}

/// Received vs expected packets per remote SSRC, from extended sequence numbers.
#[derive(Debug, Default)]
pub(crate) struct LossCounter {
    streams: Vec<Stream>,
}

impl LossCounter {
    /// Records one (deduplicated) packet.
    pub(crate) fn record(&mut self, ssrc: u32, seq: u64) {
        if let Some(stream) = self.streams.iter_mut().find(|s| s.ssrc == ssrc) {
            stream.first = stream.first.min(seq);
            stream.highest = stream.highest.max(seq);
            stream.received += 1;
        } else {
            self.streams.push(Stream {
                ssrc,
                first: seq,
                highest: seq,
                received: 1,
            });
        }
    }

    /// Packets expected but not received, over all streams.
    pub(crate) fn lost(&self) -> u64 {
        self.streams
            .iter()
            .map(|s| (s.highest - s.first + 1).saturating_sub(s.received))
            .sum()
    }
}

/// Audio frames missing between received Opus packets, by RTP timestamp: the frame length is
/// the smallest forward step seen; a packet of another payload type (a telephone-event sent
/// in a frame's place) fills one missing frame. Lost packets count here too, and so do frames
/// a sender that fell behind never sent (its timestamps jump over them, its sequence numbers
/// do not).
#[derive(Debug, Default)]
pub(crate) struct GapCounter {
    last: Option<u32>,
    step: Option<u32>,
    others: u64,
    missing: u64,
}

impl GapCounter {
    /// An Opus packet with this RTP timestamp.
    pub(crate) fn audio(&mut self, timestamp: u32) {
        if let Some(last) = self.last {
            let delta = timestamp.wrapping_sub(last);
            // Reordered or repeated packets (a step backwards or none) change nothing.
            if delta == 0 || delta >= 0x8000_0000 {
                return;
            }
            let step = self.step.map_or(delta, |s| s.min(delta));
            self.step = Some(step);
            let frames = u64::from(delta / step);
            self.missing += frames.saturating_sub(1).saturating_sub(self.others);
        }
        self.last = Some(timestamp);
        self.others = 0;
    }

    /// A packet of another payload type.
    pub(crate) fn other(&mut self) {
        self.others += 1;
    }

    /// Frames missing so far.
    pub(crate) fn missing(&self) -> u64 {
        self.missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_frames_missing_by_timestamp() {
        let mut gaps = GapCounter::default();
        for ts in [1000, 1960, 2920, 5800] {
            gaps.audio(ts);
        }
        // 2920 → 5800 is three frames: two missing.
        assert_eq!(gaps.missing(), 2);
        // A reordered packet changes nothing; wrapping timestamps work.
        gaps.audio(4840);
        assert_eq!(gaps.missing(), 2);
        let mut gaps = GapCounter::default();
        gaps.audio(u32::MAX - 959);
        gaps.audio(0);
        gaps.audio(1920);
        assert_eq!(gaps.missing(), 1);
        // Two telephone-event packets stood in for two frames.
        gaps.other();
        gaps.other();
        gaps.audio(1920 + 3 * 960);
        assert_eq!(gaps.missing(), 1);
    }

    #[test]
    fn demultiplexes_rtp_rtcp_and_the_rest() {
        assert_eq!(classify(&[0x80, 111, 0, 1]), Wire::Rtp);
        assert_eq!(classify(&[0x80, 0x80 | 0x7E, 0, 1]), Wire::Rtp);
        assert_eq!(classify(&[0x80, 200, 0, 6]), Wire::Rtcp);
        assert_eq!(classify(&[0x81, 201, 0, 7]), Wire::Rtcp);
        assert_eq!(classify(&[0x00, 0x01, 0, 0]), Wire::Other);
        assert_eq!(classify(&[22, 254, 253]), Wire::Other);
        assert_eq!(classify(&[0x80]), Wire::Other);
    }

    #[test]
    fn ssrc_is_bytes_8_to_11() {
        let packet = [0x80, 111, 0, 1, 0, 0, 0, 9, 0xDE, 0xAD, 0xBE, 0xEF, 1];
        assert_eq!(rtp_ssrc(&packet), Some(0xDEAD_BEEF));
        assert_eq!(rtp_ssrc(&packet[..11]), None);
    }

    #[test]
    fn counts_gaps_per_stream() {
        let mut loss = LossCounter::default();
        for seq in [10, 11, 13, 16] {
            loss.record(1, seq);
        }
        assert_eq!(loss.lost(), 3);
        loss.record(1, 12);
        assert_eq!(loss.lost(), 2);
        loss.record(2, 500);
        loss.record(2, 501);
        assert_eq!(loss.lost(), 2);
    }
}
