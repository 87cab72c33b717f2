//! ITU-T G.711 μ-law (PCMU) and A-law (PCMA), 8 kHz.
//!
//! Exact G.711 with the usual 16-bit scaling: μ-law codes the top 14 bits of a sample, A-law
//! the top 13 (G.711's linear ranges), and decoding gives the centre of the code's interval in
//! 16-bit units (μ-law ±32 124, A-law ±32 256 at most). Codes are the transmitted octets, with
//! G.711's bit inversions applied (μ-law all bits, A-law the even bits, `0x55`), so μ-law
//! silence is `0xFF` and A-law silence is `0xD5`.
//!
//! The codec itself is `audio-codec-algorithms` (no `unsafe`, no panics, checked against the
//! ITU-T G.191 reference tools for every 16-bit input); this module gives it Dialtone's names
//! and slice helpers. It is already in the tree through rubato's sample adapters.

use audio_codec_algorithms as g711;

/// One 16-bit sample to a μ-law octet.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    g711::encode_ulaw(sample)
}

/// One μ-law octet to a 16-bit sample.
pub fn ulaw_to_linear(code: u8) -> i16 {
    g711::decode_ulaw(code)
}

/// One 16-bit sample to an A-law octet.
pub fn linear_to_alaw(sample: i16) -> u8 {
    g711::encode_alaw(sample)
}

/// One A-law octet to a 16-bit sample.
pub fn alaw_to_linear(code: u8) -> i16 {
    g711::decode_alaw(code)
}

/// Samples to μ-law octets (one per sample).
pub fn encode_ulaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| linear_to_ulaw(s)).collect()
}

/// μ-law octets to samples.
pub fn decode_ulaw(codes: &[u8]) -> Vec<i16> {
    codes.iter().map(|&c| ulaw_to_linear(c)).collect()
}

/// Samples to A-law octets (one per sample).
pub fn encode_alaw(samples: &[i16]) -> Vec<u8> {
    samples.iter().map(|&s| linear_to_alaw(s)).collect()
}

/// A-law octets to samples.
pub fn decode_alaw(codes: &[u8]) -> Vec<i16> {
    codes.iter().map(|&c| alaw_to_linear(c)).collect()
}

/// The μ-law segment (0–7) of a 16-bit sample's magnitude, for the error-bound test.
#[cfg(test)]
fn ulaw_segment(x: i32) -> u32 {
    let v = (x.unsigned_abs() >> 2).min(8159) + 33;
    (u32::BITS - v.leading_zeros()).saturating_sub(6)
}

/// The A-law segment (0–7) of a 16-bit sample's magnitude.
#[cfg(test)]
fn alaw_segment(x: i32) -> u32 {
    let v = x.unsigned_abs() >> 3;
    (u32::BITS - v.leading_zeros()).saturating_sub(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_known_values() {
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(ulaw_to_linear(0xFF), 0);
        assert_eq!(ulaw_to_linear(0x7F), 0, "negative zero");
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(ulaw_to_linear(0x80), 32_124);
        assert_eq!(ulaw_to_linear(0x00), -32_124);
        // Segment edges: 16-bit 0x84 (bias) steps.
        assert_eq!(ulaw_to_linear(0xFE), 8);
        assert_eq!(ulaw_to_linear(0x7E), -8);
        assert_eq!(ulaw_to_linear(0xEF), 132);
        // G.191 takes a negative sample's magnitude in one's complement, so −1 (…−4) is −0;
        // Sun's g711.c (and CPython's audioop) negate instead and give 0x7E.
        assert_eq!(linear_to_ulaw(-1), 0x7F);
        assert_eq!(linear_to_ulaw(-5), 0x7E);
        assert_eq!(linear_to_ulaw(1000), 0xCE);
        assert_eq!(ulaw_to_linear(0xCE), 988);
    }

    #[test]
    fn alaw_known_values() {
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(linear_to_alaw(-1), 0x55);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
        assert_eq!(linear_to_alaw(i16::MIN), 0x2A);
        assert_eq!(alaw_to_linear(0xAA), 32_256);
        assert_eq!(alaw_to_linear(0x2A), -32_256);
        assert_eq!(linear_to_alaw(1000), 0xFA);
        assert_eq!(alaw_to_linear(0xFA), 1008);
    }

    #[test]
    fn every_code_round_trips() {
        for code in 0..=255u8 {
            let back = linear_to_ulaw(ulaw_to_linear(code));
            // μ-law has two zeros; 0x7F (−0) comes back as 0xFF (+0).
            let expected = if code == 0x7F { 0xFF } else { code };
            assert_eq!(back, expected, "μ-law {code:#04x}");
            assert_eq!(
                linear_to_alaw(alaw_to_linear(code)),
                code,
                "A-law {code:#04x}"
            );
        }
    }

    #[test]
    fn codes_are_monotonic() {
        // Decoded values strictly increase with the magnitude bits, per sign.
        let mut last = i16::MIN;
        for code in (0x80..=0xFFu8).rev() {
            let v = ulaw_to_linear(code);
            assert!(v >= last, "{code:#04x}");
            last = v;
        }
        let mut previous = -1;
        for m in 0..128u8 {
            let v = alaw_to_linear((m | 0x80) ^ 0x55);
            assert!(v > previous, "{m}");
            previous = v;
        }
    }

    /// Quantisation error of every 16-bit sample: within half a step of its segment plus the
    /// low bits G.711 does not code (2 for μ-law, 3 for A-law), and μ-law's clip at the top.
    #[test]
    fn error_bounds_over_all_samples() {
        let mut worst_u = 0;
        let mut worst_a = 0;
        for s in i16::MIN..=i16::MAX {
            let x = i32::from(s);
            let u = i32::from(ulaw_to_linear(linear_to_ulaw(s)));
            let a = i32::from(alaw_to_linear(linear_to_alaw(s)));
            // μ-law step in 16-bit units: 8 << segment; A-law: 16 << max(segment - 1, 0).
            let ulaw_step = 8 << ulaw_segment(x);
            let clip = (x.abs() - 32_124).max(0);
            assert!((x - u).abs() <= ulaw_step / 2 + 4 + clip, "μ-law {s}: {u}");
            let alaw_step = 16 << alaw_segment(x).saturating_sub(1);
            assert!((x - a).abs() <= alaw_step / 2 + 8, "A-law {s}: {a}");
            worst_u = worst_u.max((x - u).abs());
            worst_a = worst_a.max((x - a).abs());
            // The sign survives (μ-law's zero aside; A-law has no zero code).
            assert!(x * u >= 0, "μ-law sign {s}");
            assert!(
                x * a > 0 || (x.abs() < 8 && a.abs() == 8),
                "A-law sign {s}: {a}"
            );
        }
        assert_eq!(worst_u, 32_768 - 32_124);
        assert_eq!(worst_a, 32_768 - 32_256);
    }

    #[test]
    fn slices() {
        let pcm = [0, 1000, -1000, i16::MAX];
        assert_eq!(encode_ulaw(&pcm), [0xFF, 0xCE, 0x4E, 0x80]);
        assert_eq!(decode_ulaw(&[0xFF, 0xCE, 0x4E]), [0, 988, -988]);
        assert_eq!(encode_alaw(&pcm), [0xD5, 0xFA, 0x7A, 0xAA]);
        assert_eq!(decode_alaw(&[0xD5, 0xFA]), [8, 1008]);
        assert!(encode_ulaw(&[]).is_empty());
    }
}
