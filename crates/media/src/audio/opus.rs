//! Opus through libopus (the reference implementation), at 16 kHz mono.
//!
//! The binding is the `opus` crate 0.3 over `audiopus_sys`, which links the system libopus
//! found by pkg-config (Debian: `libopus-dev`). Opus decodes any packet at any of its output
//! rates and channel counts, so one 16 kHz mono decoder takes WhatsApp's `opus/48000/2`
//! packets (fullband or wideband, mono- or stereo-coded) as they are: libopus downmixes and
//! resamples inside the decoder.

use ::opus::{Application, Bitrate, Channels, Decoder, Encoder};

use super::error::AudioError;
use super::frame::{FRAME_SAMPLES, Frame, PCM_RATE};

/// The bitrate of [`OpusEncoder::new`]: 32 kbit/s, comfortable wideband speech with room for
/// in-band FEC (WebRTC's voice default).
pub const DEFAULT_BITRATE: i32 = 32_000;

/// The packet loss the encoder is told to expect, percent. libopus adds in-band FEC (a
/// low-bitrate copy of the previous frame) only when this is above zero.
pub const EXPECTED_LOSS_PERCENT: i32 = 10;

/// Largest packet libopus writes for one frame (RFC 6716 §3.2.1: 1275 bytes), rounded up.
const MAX_PACKET: usize = 1500;

/// Longest Opus packet (120 ms) at 16 kHz.
const MAX_PACKET_SAMPLES: usize = 1920;

/// An Opus encoder for 20 ms frames of 16 kHz mono: VOIP application, 32 kbit/s VBR, in-band
/// FEC on.
pub struct OpusEncoder {
    inner: Encoder,
    scratch: Vec<u8>,
}

impl std::fmt::Debug for OpusEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusEncoder").finish_non_exhaustive()
    }
}

impl OpusEncoder {
    /// An encoder at [`DEFAULT_BITRATE`].
    pub fn new() -> Result<OpusEncoder, AudioError> {
        OpusEncoder::with_bitrate(DEFAULT_BITRATE)
    }

    /// An encoder at `bits_per_second` (libopus clamps to 500–512 000).
    pub fn with_bitrate(bits_per_second: i32) -> Result<OpusEncoder, AudioError> {
        let mut inner = Encoder::new(PCM_RATE, Channels::Mono, Application::Voip)?;
        inner.set_bitrate(Bitrate::Bits(bits_per_second))?;
        inner.set_inband_fec(true)?;
        inner.set_packet_loss_perc(EXPECTED_LOSS_PERCENT)?;
        Ok(OpusEncoder {
            inner,
            scratch: vec![0; MAX_PACKET],
        })
    }

    /// One 20 ms frame to one Opus packet (an RTP payload).
    pub fn encode(&mut self, frame: &Frame) -> Result<Vec<u8>, AudioError> {
        let n = self.inner.encode(frame.samples(), &mut self.scratch)?;
        Ok(self.scratch[..n].to_vec())
    }

    /// As [`encode`](Self::encode), into `out` (at least 1275 bytes to be safe); returns the
    /// packet length. For callers that reuse one buffer per tick.
    pub fn encode_into(&mut self, frame: &Frame, out: &mut [u8]) -> Result<usize, AudioError> {
        Ok(self.inner.encode(frame.samples(), out)?)
    }

    /// Forgets the coding history (as a new encoder would), e.g. at a new talk spurt.
    pub fn reset(&mut self) -> Result<(), AudioError> {
        Ok(self.inner.reset_state()?)
    }
}

/// An Opus decoder to 16 kHz mono, with packet loss concealment and in-band FEC recovery.
pub struct OpusDecoder {
    inner: Decoder,
    scratch: Vec<i16>,
}

impl std::fmt::Debug for OpusDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpusDecoder").finish_non_exhaustive()
    }
}

impl OpusDecoder {
    /// A decoder (16 kHz, mono output).
    pub fn new() -> Result<OpusDecoder, AudioError> {
        Ok(OpusDecoder {
            inner: Decoder::new(PCM_RATE, Channels::Mono)?,
            scratch: vec![0; MAX_PACKET_SAMPLES],
        })
    }

    /// One Opus packet of 20 ms (any mode, bandwidth or channel count) to one frame.
    ///
    /// A packet of another duration is [`AudioError::PacketDuration`] (use
    /// [`decode_frames`](Self::decode_frames) or [`decode_pcm`](Self::decode_pcm) for those);
    /// a corrupt one is [`AudioError::Opus`]. Either way the decoder's state is still usable
    /// and the caller conceals the frame.
    pub fn decode(&mut self, packet: &[u8]) -> Result<Frame, AudioError> {
        let samples = ::opus::packet::get_nb_samples(packet, PCM_RATE)?;
        if samples != FRAME_SAMPLES {
            return Err(AudioError::PacketDuration {
                samples,
                expected: FRAME_SAMPLES,
            });
        }
        let n = self
            .inner
            .decode(packet, &mut self.scratch[..FRAME_SAMPLES], false)?;
        debug_assert_eq!(n, FRAME_SAMPLES);
        Ok(Frame::from_slice(&self.scratch[..n]))
    }

    /// A packet whose duration is a whole number of frames (20, 40, 60, … 120 ms, as a
    /// `ptime` above 20 gives) to its frames.
    pub fn decode_frames(&mut self, packet: &[u8]) -> Result<Vec<Frame>, AudioError> {
        let samples = ::opus::packet::get_nb_samples(packet, PCM_RATE)?;
        if samples == 0 || samples % FRAME_SAMPLES != 0 {
            return Err(AudioError::PacketDuration {
                samples,
                expected: FRAME_SAMPLES,
            });
        }
        let n = self.inner.decode(packet, &mut self.scratch, false)?;
        Ok(Frame::split(&self.scratch[..n]))
    }

    /// Any packet (2.5 to 120 ms) appended to `out` as samples; returns how many.
    pub fn decode_pcm(&mut self, packet: &[u8], out: &mut Vec<i16>) -> Result<usize, AudioError> {
        let n = self.inner.decode(packet, &mut self.scratch, false)?;
        out.extend_from_slice(&self.scratch[..n]);
        Ok(n)
    }

    /// A frame for a lost packet: libopus's packet loss concealment, which continues the
    /// last decoded signal and fades it out over consecutive losses.
    pub fn conceal(&mut self) -> Frame {
        match self
            .inner
            .decode(&[], &mut self.scratch[..FRAME_SAMPLES], false)
        {
            Ok(n) => Frame::from_slice(&self.scratch[..n]),
            // PLC with a valid frame size cannot fail; silence is the safe answer if it does.
            Err(_) => Frame::SILENCE,
        }
    }

    /// The lost frame just before `next_packet`, rebuilt from the in-band FEC data that
    /// packet carries (the encoder's low-bitrate copy of the previous frame). If the packet
    /// carries none, libopus conceals instead, so this is never worse than
    /// [`conceal`](Self::conceal). `next_packet` itself must still be decoded normally next.
    pub fn decode_fec(&mut self, next_packet: &[u8]) -> Frame {
        match self
            .inner
            .decode(next_packet, &mut self.scratch[..FRAME_SAMPLES], true)
        {
            Ok(n) => Frame::from_slice(&self.scratch[..n]),
            Err(_) => self.conceal(),
        }
    }

    /// Forgets the decoding history (a new stream, e.g. a new SSRC).
    pub fn reset(&mut self) -> Result<(), AudioError> {
        Ok(self.inner.reset_state()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::tone::Tone;

    fn tone_frames(hz: f32, n: usize) -> Vec<Frame> {
        let mut tone = Tone::new(&[hz], 0.3);
        (0..n).map(|_| tone.next_frame()).collect()
    }

    /// Correlation-free quality check: the RMS of decoded speech-band audio is close to the
    /// input's once the codec has settled.
    #[test]
    fn round_trip_keeps_level_and_size() {
        let mut enc = OpusEncoder::new().unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        let frames = tone_frames(440.0, 50);
        let mut bytes = 0;
        let mut out = Vec::new();
        for f in &frames {
            let p = enc.encode(f).unwrap();
            assert!(!p.is_empty() && p.len() < 400, "{}", p.len());
            // TOC: 20 ms mono frame (config bits give 20 ms, stereo bit clear).
            assert_eq!(p[0] & 0x04, 0, "mono");
            bytes += p.len();
            out.push(dec.decode(&p).unwrap());
        }
        // 50 packets of 20 ms = 1 s: about the configured 32 kbit/s (VBR, so ±30 %).
        assert!((2_800..=5_200).contains(&bytes), "{bytes} bytes in 1 s");
        let rms_in = frames[40].rms();
        let rms_out = out[40].rms();
        assert!(
            (rms_out / rms_in - 1.0).abs() < 0.15,
            "{rms_in} vs {rms_out}"
        );
    }

    #[test]
    fn silence_frame_decodes_to_silence() {
        let mut dec = OpusDecoder::new().unwrap();
        // The leg's own silence packet: CELT fullband 20 ms, as the driver sends.
        let f = dec.decode(&[0xF8, 0xFF, 0xFE]).unwrap();
        assert!(f.rms() < 1.0, "{f:?}");
    }

    #[test]
    fn stereo_48k_packets_decode_to_mono_16k() {
        // What a WhatsApp client may send: opus/48000/2 coded as stereo.
        let mut enc = Encoder::new(48_000, Channels::Stereo, Application::Voip).unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        let mut tone = Tone::new(&[440.0], 0.3);
        let mut last = Frame::SILENCE;
        for _ in 0..20 {
            // 960 stereo samples at 48 kHz = 20 ms; the same tone on both channels.
            let mono16 = tone.next_frame();
            let mut pcm = Vec::with_capacity(1920);
            for i in 0..960 {
                let s = mono16.samples()[i / 3];
                pcm.push(s);
                pcm.push(s);
            }
            let p = enc.encode_vec(&pcm, 1500).unwrap();
            assert_ne!(p[0] & 0x04, 0, "stereo TOC");
            last = dec.decode(&p).unwrap();
        }
        assert!(last.rms() > 3000.0, "{last:?}");
    }

    #[test]
    fn other_durations() {
        let mut enc = Encoder::new(16_000, Channels::Mono, Application::Voip).unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        let p10 = enc.encode_vec(&[0; 160], 1500).unwrap();
        assert_eq!(
            dec.decode(&p10),
            Err(AudioError::PacketDuration {
                samples: 160,
                expected: 320
            })
        );
        let mut pcm = Vec::new();
        assert_eq!(dec.decode_pcm(&p10, &mut pcm).unwrap(), 160);
        assert_eq!(pcm.len(), 160);
        let p60 = enc.encode_vec(&[0; 960], 1500).unwrap();
        assert_eq!(dec.decode_frames(&p60).unwrap().len(), 3);
        assert!(dec.decode(&p60).is_err());
        assert!(dec.decode_frames(&p10).is_err());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut dec = OpusDecoder::new().unwrap();
        assert!(matches!(dec.decode(&[]), Err(AudioError::Opus(_))));
        // Code 3 (arbitrary frame count) with a frame count of 0: invalid.
        assert!(dec.decode(&[0x03, 0x00]).is_err());
        for len in 1..64u8 {
            let junk: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37) ^ len).collect();
            let _ = dec.decode(&junk);
        }
        // Still usable afterwards.
        assert!(dec.decode(&[0xF8, 0xFF, 0xFE]).is_ok());
    }

    #[test]
    fn conceal_continues_then_fades() {
        let mut enc = OpusEncoder::new().unwrap();
        let mut dec = OpusDecoder::new().unwrap();
        for f in tone_frames(440.0, 25) {
            dec.decode(&enc.encode(&f).unwrap()).unwrap();
        }
        let first = dec.conceal();
        assert!(first.rms() > 1000.0, "PLC continues the tone: {first:?}");
        let mut last = first;
        for _ in 0..20 {
            last = dec.conceal();
        }
        assert!(last.rms() < first.rms() / 4.0, "{first:?} then {last:?}");
    }

    /// A voiced, speech-like signal (harmonics of a gliding 100–180 Hz pitch, 4 Hz
    /// syllables): what SILK's voice activity detector codes LBRR (FEC) data for. A steady
    /// tone often gets none, and then FEC decoding falls back to concealment.
    fn speech_like(frames: usize) -> Vec<Frame> {
        use std::f64::consts::TAU;
        let mut phase = 0.0f64;
        (0..frames * FRAME_SAMPLES)
            .map(|n| {
                #[allow(clippy::cast_precision_loss)]
                let t = n as f64 / f64::from(PCM_RATE);
                phase += TAU * (140.0 + 40.0 * (TAU * 1.3 * t).sin()) / f64::from(PCM_RATE);
                let envelope = (0.5 + 0.5 * (TAU * 4.0 * t).sin()).powi(2);
                let voiced: f64 = (1..20)
                    .map(|h| (phase * f64::from(h)).sin() / f64::from(h))
                    .sum();
                #[allow(clippy::cast_possible_truncation)]
                let s = (voiced * envelope * 6000.0) as i16;
                s
            })
            .collect::<Vec<i16>>()
            .chunks(FRAME_SAMPLES)
            .map(Frame::from_slice)
            .collect()
    }

    #[test]
    fn fec_recovers_closer_than_plc() {
        // For each of 48 positions, frame `lost` is lost: one decoder conceals, the other
        // rebuilds it from packet `lost + 1`; the error is against a decoder that got it.
        let mut enc = OpusEncoder::new().unwrap();
        let packets: Vec<Vec<u8>> = speech_like(60)
            .iter()
            .map(|f| enc.encode(f).unwrap())
            .collect();
        let mut closer = 0;
        for lost in 10..58 {
            let mut plc = OpusDecoder::new().unwrap();
            let mut fec = OpusDecoder::new().unwrap();
            let mut full = OpusDecoder::new().unwrap();
            for p in &packets[..lost] {
                plc.decode(p).unwrap();
                fec.decode(p).unwrap();
                full.decode(p).unwrap();
            }
            let truth = full.decode(&packets[lost]).unwrap();
            let err = |f: &Frame| {
                let mut diff = *f;
                for (d, t) in diff.samples_mut().iter_mut().zip(truth.samples()) {
                    *d = d.saturating_sub(*t);
                }
                diff.rms()
            };
            let by_plc = plc.conceal();
            let by_fec = fec.decode_fec(&packets[lost + 1]);
            if err(&by_fec) < err(&by_plc) {
                closer += 1;
            }
            // Decoding goes on normally with the packet that carried the FEC.
            assert!(fec.decode(&packets[lost + 1]).is_ok());
        }
        assert!(closer >= 30, "FEC closer than PLC in {closer} of 48");
    }
}
