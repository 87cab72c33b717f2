//! The audio core end to end, pure (no sockets, no clock): a 440 Hz tone is Opus-encoded,
//! sent as a packet stream with loss, reordering, duplicates, jitter, one late packet and a
//! sequence-number wrap, played out by the jitter buffer one pop per 20 ms tick, decoded
//! with PLC and in-band FEC for the gaps, and the detector still hears 440 Hz (and not
//! 1 kHz) everywhere, while the jitter buffer's counters match the injected faults exactly.

use std::collections::BTreeMap;
use std::time::Instant;

use dialtone_media::audio::detect::{dominant_tone, tone_present, tone_share};
use dialtone_media::audio::{
    FRAME_DURATION, Frame, JitterBuffer, JitterConfig, JitterCounters, OpusDecoder, OpusEncoder,
    PCM_RATE, Playout, Tone,
};

const PACKETS: usize = 250;
/// First RTP sequence number: the numbering wraps at packet 35.
const FIRST_SEQ: u16 = 65_500;
/// First RTP timestamp (48 kHz clock, 960 per 20 ms), wrapping too.
const FIRST_TS: u32 = u32::MAX - 960 * 20;

/// Packets never delivered.
const LOST: [usize; 4] = [50, 51, 120, 200];
/// Packets delivered one tick late (still in time for their turn).
const JITTERED: [usize; 3] = [30, 90, 210];
/// Packet delivered ten ticks late: after its turn.
const LATE: usize = 170;

fn pcm(frames: &[Frame]) -> Vec<i16> {
    frames
        .iter()
        .flat_map(|f| f.samples().iter().copied())
        .collect()
}

#[test]
fn tone_survives_a_faulty_network() {
    // Sender: the tone, one Opus packet per 20 ms.
    let mut tone = Tone::new(&[440.0], 0.3);
    let mut encoder = OpusEncoder::new().unwrap();
    let packets: Vec<(u16, u32, Vec<u8>)> = (0..PACKETS)
        .map(|i| {
            let n = u16::try_from(i).unwrap();
            let seq = FIRST_SEQ.wrapping_add(n);
            let ts = FIRST_TS.wrapping_add(960 * u32::from(n));
            (seq, ts, encoder.encode(&tone.next_frame()).unwrap())
        })
        .collect();

    // The network: which packets arrive just before the pop of each tick.
    let mut arrivals: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..PACKETS {
        let tick = match i {
            _ if LOST.contains(&i) => continue,
            _ if JITTERED.contains(&i) => i + 1,
            LATE => i + 10,
            // 80 and 81 swapped.
            80 => 81,
            81 => 80,
            _ => i,
        };
        arrivals.entry(tick).or_default().push(i);
    }
    // Duplicates: 100 once more a tick later, 150 twice more.
    arrivals.entry(101).or_default().push(100);
    arrivals.entry(152).or_default().push(150);
    arrivals.entry(153).or_default().push(150);

    // Receiver: jitter buffer, decoder, PLC/FEC.
    let mut jitter = JitterBuffer::new(JitterConfig::default());
    let mut decoder = OpusDecoder::new().unwrap();
    let start = Instant::now();
    let mut out: Vec<(usize, Playout, Frame)> = Vec::new();
    // Gaps with the next packet at hand (FEC tried) and without (PLC).
    let (mut by_fec, mut by_plc) = (0, 0);
    for tick in 0..270 {
        let now = start + FRAME_DURATION * u32::try_from(tick).unwrap();
        for &i in arrivals.get(&tick).map_or(&[][..], Vec::as_slice) {
            let (seq, ts, payload) = &packets[i];
            jitter.push(*seq, *ts, payload.clone(), now);
        }
        let playout = jitter.pop(now);
        let frame = match &playout {
            Playout::Packet(p) => decoder.decode(p).unwrap(),
            Playout::Lost => {
                if let Some((next, _)) = jitter.peek_next() {
                    by_fec += 1;
                    decoder.decode_fec(next)
                } else {
                    by_plc += 1;
                    decoder.conceal()
                }
            }
            Playout::Empty => Frame::SILENCE,
        };
        out.push((tick, playout, frame));
    }

    // Playout: starts at tick 2 (three packets buffered), packet i at tick i + 2; the gaps
    // are concealed; after the last packet (tick 251) five Lost ticks, then Empty for good.
    let kind = |p: &Playout| match p {
        Playout::Packet(_) => 'P',
        Playout::Lost => 'L',
        Playout::Empty => 'E',
    };
    let expected: String = (0..270)
        .map(|tick| match tick {
            0 | 1 => 'E',
            t if t <= PACKETS + 1 => {
                let i = t - 2;
                if LOST.contains(&i) || i == LATE {
                    'L'
                } else {
                    'P'
                }
            }
            t if t <= PACKETS + 6 => 'L',
            _ => 'E',
        })
        .collect();
    let got: String = out.iter().map(|(_, p, _)| kind(p)).collect();
    assert_eq!(got, expected);
    // Each packet plays in order, in its own slot.
    for (tick, playout, _) in &out {
        if let Playout::Packet(p) = playout {
            assert_eq!(p, &packets[tick - 2].2, "tick {tick}");
        }
    }

    assert_eq!(
        jitter.counters(),
        JitterCounters {
            received: 249, // 250 − 4 lost + 3 duplicates
            duplicates: 3,
            late: 1,
            lost: 4,
            concealed: 10, // 4 lost + 1 late + 5 after the sender stopped
            played: 245,
            dropped: 0,
            stray: 0,
            resyncs: 0,
            rebuffers: 1,
        }
    );
    // 51, 120, 170 and 200 had their successor buffered (FEC tried; libopus conceals when
    // the packet carries no LBRR, as SILK often decides for a steady tone); 50 did not (51
    // was lost too), nor did the five ticks after the end.
    assert_eq!((by_fec, by_plc), (4, 6));

    // The listener: 440 Hz throughout, including the concealed and FEC-rebuilt frames.
    let played: Vec<Frame> = out[7..=PACKETS + 1].iter().map(|(_, _, f)| *f).collect();
    let all = pcm(&played);
    assert!(tone_present(&all, PCM_RATE, 440.0));
    assert!(!tone_present(&all, PCM_RATE, 1000.0));
    assert!(tone_share(&all, PCM_RATE, 440.0).unwrap() > 0.8);
    for (n, window) in played.chunks(5).enumerate() {
        assert_eq!(
            dominant_tone(&pcm(window), PCM_RATE, &[440.0, 1000.0]),
            Some(440.0),
            "100 ms window {n}"
        );
    }
    // What fills a gap is the tone fading, never another sound: the first frame of each
    // run is clearly 440 Hz, a second one (after 50 came 51) at least 100 times more 440 Hz
    // than 1 kHz.
    for (tick, playout, frame) in &out[..=PACKETS + 1] {
        if *playout == Playout::Lost {
            let s440 = tone_share(frame.samples(), PCM_RATE, 440.0).unwrap();
            let s1000 = tone_share(frame.samples(), PCM_RATE, 1000.0).unwrap();
            assert!(s440 > 100.0 * s1000, "tick {tick}: {s440} vs {s1000}");
            if out[tick - 1].1 != Playout::Lost {
                assert!(
                    tone_present(frame.samples(), PCM_RATE, 440.0),
                    "tick {tick}"
                );
            }
        }
    }
    // Silence once the sender stopped and the buffer said Empty.
    assert!(out[PACKETS + 7..].iter().all(|(_, _, f)| f.is_silent()));
}
