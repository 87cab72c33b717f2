//! The transcoding half of a leg's port: received Opus to PCM, and PCM back to Opus.
//!
//! Forwarding payloads ([`Background::Forwarded`](crate::Background::Forwarded)) costs no
//! codec work, and is what a bridge does by default. Something that needs PCM (a recording, a
//! mixer, two legs whose codecs differ) makes the leg **decode** instead: what it receives goes
//! through a [`JitterBuffer`] (reordering, duplicates, late packets) into an [`OpusDecoder`]
//! (PLC, or in-band FEC when the next packet is already here), one 20 ms [`Frame`] per tick.
//! Each frame goes to the PCM sink, if any, and to the partner's [`AudioLink`], whose leg
//! **encodes** it with its own [`OpusEncoder`]
//! ([`Background::Transcoded`](crate::Background::Transcoded)).
//!
//! A [`PcmSink`] on a leg sees what that leg received, decoded; a recorder of a bridge puts one
//! on each leg and so hears both directions. All of it runs on the leg's tick.

use std::fmt;
use std::time::Instant;

use crate::audio::{Frame, JitterBuffer, JitterConfig, OpusDecoder, OpusEncoder, Playout};
use crate::port::AudioLink;

/// A consumer of the PCM a decoding leg receives (a recorder, a mixer), called on the leg's
/// tick, one 20 ms frame per tick while the remote sends: it must not block.
pub trait PcmSink: Send + fmt::Debug {
    /// One decoded (or concealed) frame of what the leg received.
    fn frame(&mut self, frame: &Frame);
}

/// Received payloads to frames: a jitter buffer and a decoder.
#[derive(Debug)]
pub(crate) struct Decoding {
    jitter: JitterBuffer,
    decoder: OpusDecoder,
    /// Frames decoded or concealed so far.
    pub(crate) frames: u64,
}

impl Decoding {
    /// `None` only if libopus cannot allocate a decoder.
    pub(crate) fn new() -> Option<Self> {
        Some(Self {
            jitter: JitterBuffer::new(JitterConfig::default()),
            decoder: OpusDecoder::new().ok()?,
            frames: 0,
        })
    }

    /// A received packet.
    pub(crate) fn push(&mut self, seq: u16, timestamp: u32, payload: &[u8], now: Instant) {
        self.jitter.push(seq, timestamp, payload.to_vec(), now);
    }

    /// This tick's frame; `None` while there is nothing to play.
    pub(crate) fn pop(&mut self, now: Instant) -> Option<Frame> {
        let frame = match self.jitter.pop(now) {
            Playout::Packet(p) => self
                .decoder
                .decode(&p)
                .unwrap_or_else(|_| self.decoder.conceal()),
            Playout::Lost => match self.jitter.peek_next() {
                Some((next, _)) => {
                    let next = next.to_vec();
                    self.decoder.decode_fec(&next)
                }
                None => self.decoder.conceal(),
            },
            Playout::Empty => return None,
        };
        self.frames += 1;
        Some(frame)
    }
}

/// Frames from a partner to payloads: a leg's encoder, made when it first transcodes.
#[derive(Debug, Default)]
pub(crate) struct Encoding {
    encoder: Option<OpusEncoder>,
}

impl Encoding {
    /// The payload for the next frame waiting in `link`; `None` (silence) when none waits.
    pub(crate) fn next(&mut self, link: &AudioLink) -> Option<Vec<u8>> {
        let frame = link.pop_frame()?;
        if self.encoder.is_none() {
            self.encoder = OpusEncoder::new().ok();
        }
        self.encoder.as_mut()?.encode(&frame).ok()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::audio::detect::{dominant_tone, tone_present};
    use crate::audio::{FRAME_DURATION, PCM_RATE, Tone};
    use crate::port::{Background, Port, PortCommand};

    /// `n` 20 ms Opus packets of a `hz` tone.
    fn tone_packets(hz: f32, n: usize) -> Vec<Vec<u8>> {
        let mut tone = Tone::new(&[hz], 0.3);
        let mut encoder = OpusEncoder::new().unwrap();
        (0..n)
            .map(|_| encoder.encode(&tone.next_frame()).unwrap())
            .collect()
    }

    /// Two ports bridged one way: `a` receives, `b` sends what `a` received.
    fn bridge(transcode: bool) -> (Port, Port) {
        let (a_link, b_link) = (AudioLink::default(), AudioLink::default());
        let mut a = Port::new(a_link);
        let mut b = Port::new(b_link.clone());
        if transcode {
            a.command(PortCommand::DecodeTo(Some(b_link)));
            b.command(PortCommand::Background(Background::Transcoded));
        } else {
            a.command(PortCommand::ForwardTo(Some(b_link)));
            b.command(PortCommand::Background(Background::Forwarded));
        }
        (a, b)
    }

    /// Feeds `arrivals` (one tick's packets each: seq and payload) to `a`, ticking both ports
    /// every 20 ms; what `b` sent.
    fn run(a: &mut Port, b: &mut Port, arrivals: &[Vec<(u16, &[u8])>]) -> Vec<Vec<u8>> {
        let start = Instant::now();
        let mut sent = Vec::new();
        for (t, packets) in arrivals.iter().chain(&vec![Vec::new(); 10]).enumerate() {
            let now = start + FRAME_DURATION * u32::try_from(t).unwrap();
            for &(seq, payload) in packets {
                a.received(seq, u32::from(seq) * 320, payload, now);
            }
            a.tick(now);
            sent.extend(b.tick(now + Duration::from_millis(7)).payload);
        }
        sent
    }

    fn decode_all(payloads: &[Vec<u8>]) -> Vec<i16> {
        let mut decoder = OpusDecoder::new().unwrap();
        payloads
            .iter()
            .flat_map(|p| decoder.decode(p).unwrap().0)
            .collect()
    }

    #[test]
    fn forwarding_decodes_nothing() {
        let packets = tone_packets(440.0, 50);
        let (mut a, mut b) = bridge(false);
        let arrivals: Vec<_> = packets
            .iter()
            .enumerate()
            .map(|(i, p)| vec![(u16::try_from(i).unwrap(), p.as_slice())])
            .collect();
        let sent = run(&mut a, &mut b, &arrivals);
        assert_eq!(sent, packets, "forwarded byte for byte");
        assert_eq!(a.decoded_frames(), 0);
        assert_eq!(b.decoded_frames(), 0);
    }

    #[test]
    fn transcoding_keeps_the_tone_through_loss_reorder_and_duplicates() {
        let packets = tone_packets(440.0, 150);
        let mut arrivals: Vec<Vec<(u16, &[u8])>> = vec![Vec::new(); packets.len()];
        for (i, p) in packets.iter().enumerate() {
            let seq = u16::try_from(i).unwrap().wrapping_add(65_500); // wraps mid-stream
            match i % 10 {
                3 => {}                                                   // lost
                5 => arrivals[i + 1].push((seq, p)),                      // one tick late
                7 => arrivals[i].extend([(seq, p.as_slice()), (seq, p)]), // duplicated
                _ => arrivals[i].push((seq, p)),
            }
        }
        let (mut a, mut b) = bridge(true);
        let sent = run(&mut a, &mut b, &arrivals);
        assert!(a.decoded_frames() >= 145, "{} frames", a.decoded_frames());
        assert!(sent.len() >= 140, "{} payloads", sent.len());
        assert_ne!(sent[20], packets[20], "re-encoded, not forwarded");
        let pcm = decode_all(&sent);
        // Skip the encoders' start; every 100 ms block after it is the tone.
        for block in pcm[3200..pcm.len() - 1600].chunks(1600) {
            assert!(tone_present(block, PCM_RATE, 440.0));
            assert_eq!(
                dominant_tone(block, PCM_RATE, &[440.0, 1000.0]),
                Some(440.0)
            );
        }
    }

    #[derive(Debug, Clone, Default)]
    struct Frames(Arc<Mutex<Vec<Frame>>>);

    impl PcmSink for Frames {
        fn frame(&mut self, frame: &Frame) {
            self.0.lock().unwrap().push(*frame);
        }
    }

    #[test]
    fn a_pcm_tap_hears_both_directions_and_decoding_stops_when_unwanted() {
        let (a_link, b_link) = (AudioLink::default(), AudioLink::default());
        let (mut a, mut b) = (Port::new(a_link.clone()), Port::new(b_link.clone()));
        a.command(PortCommand::DecodeTo(Some(b_link)));
        b.command(PortCommand::DecodeTo(Some(a_link)));
        let (heard_a, heard_b) = (Frames::default(), Frames::default());
        a.command(PortCommand::PcmTap(Some(Box::new(heard_a.clone()))));
        b.command(PortCommand::PcmTap(Some(Box::new(heard_b.clone()))));
        let (to_a, to_b) = (tone_packets(440.0, 50), tone_packets(1000.0, 50));
        let start = Instant::now();
        for t in 0..50 {
            let now = start + FRAME_DURATION * t;
            let seq = u16::try_from(t).unwrap();
            a.received(seq, 0, &to_a[t as usize], now);
            b.received(seq, 0, &to_b[t as usize], now);
            a.tick(now);
            b.tick(now);
        }
        let pcm = |f: &Frames| -> Vec<i16> {
            f.0.lock().unwrap()[10..].iter().flat_map(|f| f.0).collect()
        };
        assert_eq!(
            dominant_tone(&pcm(&heard_a), PCM_RATE, &[440.0, 1000.0]),
            Some(440.0)
        );
        assert_eq!(
            dominant_tone(&pcm(&heard_b), PCM_RATE, &[440.0, 1000.0]),
            Some(1000.0)
        );
        a.command(PortCommand::DecodeTo(None));
        assert!(a.wants_received(), "the tap still wants PCM");
        a.command(PortCommand::PcmTap(None));
        assert!(!a.wants_received());
        assert_eq!(a.decoded_frames(), 0, "no decoder left");
    }
}
