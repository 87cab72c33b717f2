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

#[cfg(test)]
mod tests {
    use super::*;

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
