//! Tone generators: steady tones, country ringback cadences and the `<Record>` beep.
//!
//! All are phase-continuous (each sine keeps its phase across frames, so frame boundaries
//! never click) and gate their cadences with 2 ms ramps, so a tone starting or stopping
//! mid-wave does not click either. Each is an [`Iterator`] of [`Frame`]s: [`Tone`] and
//! [`Ringback`] never end, [`Beep`] ends after its 500 ms.

use std::f64::consts::TAU;

use super::frame::{FRAME_SAMPLES, Frame, PCM_RATE};

/// Peak amplitude of each ringback component, as a fraction of full scale: about −17 dBm0
/// per tone on a G.711 leg (0 dBm0 is a sine of peak ≈ 0.69), close to the −19 ± 3 dBm0 that
/// national specifications ask for.
pub const RINGBACK_AMPLITUDE: f32 = 0.1;

/// Frequency of [`beep`], Hz. Twilio does not document its `<Record>` beep; 1 kHz is the
/// classic answering-machine tone.
pub const BEEP_HZ: f32 = 1000.0;
/// Length of [`beep`], ms.
pub const BEEP_MS: u32 = 500;
/// Peak amplitude of [`beep`] (about −10 dBFS).
pub const BEEP_AMPLITUDE: f32 = 0.3;

/// Length of the on/off ramps of gated tones, samples (2 ms).
const RAMP: u64 = 32;

/// A steady tone: the sum of sines (one for a plain tone, two for dual tones such as the US
/// ringback's 440 + 480 Hz), optionally amplitude-modulated (E.180's `f1 × f2` tones, e.g.
/// India's 400 Hz modulated by 25 Hz).
#[derive(Debug, Clone)]
pub struct Tone {
    /// Phase increment per sample of each component, radians.
    steps: Vec<f64>,
    phases: Vec<f64>,
    amplitude: f64,
    /// (step, depth, phase) of an amplitude modulation.
    modulation: Option<(f64, f64, f64)>,
}

impl Tone {
    /// The sum of sines at `hz`, each of peak `amplitude` (fraction of full scale; the sum
    /// saturates rather than wraps if it exceeds full scale). No frequencies is silence.
    pub fn new(hz: &[f32], amplitude: f32) -> Tone {
        Tone {
            steps: hz.iter().map(|&f| step(f)).collect(),
            phases: vec![0.0; hz.len()],
            amplitude: f64::from(amplitude),
            modulation: None,
        }
    }

    /// `carrier` Hz amplitude-modulated by `modulator` Hz at `depth` (0 to 1): the envelope
    /// swings between `amplitude × (1 − depth) / (1 + depth)` and `amplitude`.
    pub fn modulated(carrier: f32, modulator: f32, depth: f32, amplitude: f32) -> Tone {
        let mut tone = Tone::new(&[carrier], amplitude);
        tone.modulation = Some((step(modulator), f64::from(depth.clamp(0.0, 1.0)), 0.0));
        tone
    }

    /// The next sample, in units of full scale.
    fn sample(&mut self) -> f64 {
        let mut s = 0.0;
        for (phase, step) in self.phases.iter_mut().zip(&self.steps) {
            s += phase.sin();
            *phase = (*phase + step) % TAU;
        }
        let mut amplitude = self.amplitude;
        if let Some((step, depth, phase)) = self.modulation.as_mut() {
            amplitude *= (1.0 + *depth * phase.sin()) / (1.0 + *depth);
            *phase = (*phase + *step) % TAU;
        }
        s * amplitude
    }

    /// The next 20 ms.
    pub fn next_frame(&mut self) -> Frame {
        let mut frame = Frame::SILENCE;
        for s in frame.samples_mut() {
            *s = to_i16(self.sample());
        }
        frame
    }
}

impl Iterator for Tone {
    type Item = Frame;
    fn next(&mut self) -> Option<Frame> {
        Some(self.next_frame())
    }
}

fn step(hz: f32) -> f64 {
    TAU * f64::from(hz) / f64::from(PCM_RATE)
}

#[allow(clippy::cast_possible_truncation)]
fn to_i16(s: f64) -> i16 {
    // `as` saturates: a dual tone above full scale clips instead of wrapping.
    (s * 32_767.0).round() as i16
}

/// What a ringback plays while on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RingSound {
    /// One or two steady tones, Hz.
    Tones(&'static [f32]),
    /// A carrier amplitude-modulated by a low frequency (E.180's `f × g` notation).
    Modulated {
        /// Carrier, Hz.
        carrier: f32,
        /// Modulating frequency, Hz.
        modulator: f32,
        /// Modulation depth, 0 to 1.
        depth: f32,
    },
}

/// One `ringTone` value: what it plays and its cadence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RingTone {
    /// Twilio's `ringTone` value (`us`, `uk`, …).
    pub code: &'static str,
    /// The sound while on.
    pub sound: RingSound,
    /// Milliseconds on, off, on, off, … repeated; always an even count, starting with on.
    pub cadence_ms: &'static [u32],
}

const fn tones(code: &'static str, hz: &'static [f32], cadence_ms: &'static [u32]) -> RingTone {
    RingTone {
        code,
        sound: RingSound::Tones(hz),
        cadence_ms,
    }
}

const fn modulated(
    code: &'static str,
    carrier: f32,
    modulator: f32,
    depth: f32,
    cadence_ms: &'static [u32],
) -> RingTone {
    RingTone {
        code,
        sound: RingSound::Modulated {
            carrier,
            modulator,
            depth,
        },
        cadence_ms,
    }
}

const ONE_FOUR: &[u32] = &[1000, 4000];
const ONE_THREE: &[u32] = &[1000, 3000];
const ONE_FIVE: &[u32] = &[1000, 5000];
const DOUBLE: &[u32] = &[400, 200, 400, 2000];
const TWO_FOUR: &[u32] = &[2000, 4000];

/// Modulation depth where the national tables give none (the customary 90 %).
const DEPTH: f32 = 0.9;

/// Every `ringTone` value of Twilio's `<Dial>` (reference §8.1) with its ringing tone from
/// the national tones of ITU-T E.180 Supplement 2 (frequencies and cadences as compiled by
/// open-source PBXs from that table; Twilio's exact waveforms are not documented). `us-old`
/// is the 1950s North American 420 Hz × 40 Hz ringback.
pub const RING_TONES: &[RingTone] = &[
    tones("at", &[420.0], ONE_FIVE),
    tones("au", &[413.0, 438.0], DOUBLE),
    tones("bg", &[425.0], ONE_FOUR),
    tones("br", &[425.0], ONE_FOUR),
    tones("be", &[425.0], ONE_THREE),
    tones("ch", &[425.0], ONE_FOUR),
    tones("cl", &[400.0], ONE_THREE),
    tones("cn", &[450.0], ONE_FOUR),
    tones("cz", &[425.0], ONE_FOUR),
    tones("de", &[425.0], ONE_FOUR),
    tones("dk", &[425.0], ONE_FOUR),
    tones("ee", &[425.0], ONE_FOUR),
    tones("es", &[425.0], &[1500, 3000]),
    tones("fi", &[425.0], ONE_FOUR),
    tones("fr", &[440.0], &[1500, 3500]),
    tones("gr", &[425.0], ONE_FOUR),
    tones("hu", &[425.0], &[1250, 3750]),
    tones("il", &[414.0], ONE_THREE),
    modulated("in", 400.0, 25.0, DEPTH, DOUBLE),
    tones("it", &[425.0], ONE_FOUR),
    tones("lt", &[425.0], ONE_FOUR),
    modulated("jp", 400.0, 16.0, DEPTH, &[1000, 2000]),
    tones("mx", &[425.0], ONE_FOUR),
    tones("my", &[425.0], DOUBLE),
    tones("nl", &[425.0], ONE_FOUR),
    tones("no", &[425.0], ONE_FOUR),
    tones("nz", &[400.0, 450.0], DOUBLE),
    tones("ph", &[425.0, 480.0], ONE_FOUR),
    tones("pl", &[425.0], ONE_FOUR),
    tones("pt", &[425.0], ONE_FIVE),
    tones("ru", &[425.0], ONE_FOUR),
    tones("se", &[425.0], ONE_FIVE),
    // Singapore specifies 100 % modulation.
    modulated("sg", 425.0, 24.0, 1.0, DOUBLE),
    tones("th", &[420.0], ONE_FIVE),
    tones("uk", &[400.0, 450.0], DOUBLE),
    tones("us", &[440.0, 480.0], TWO_FOUR),
    modulated("us-old", 420.0, 40.0, DEPTH, TWO_FOUR),
    tones("tw", &[440.0, 480.0], &[1000, 2000]),
    tones("ve", &[425.0], ONE_FOUR),
    modulated("za", 400.0, 33.0, DEPTH, DOUBLE),
];

impl RingTone {
    /// The entry for a `ringTone` value (ASCII case-insensitive), if Twilio allows it.
    pub fn lookup(code: &str) -> Option<&'static RingTone> {
        RING_TONES
            .iter()
            .find(|t| t.code.eq_ignore_ascii_case(code))
    }

    /// One full cadence cycle, ms.
    pub fn cycle_ms(&self) -> u32 {
        self.cadence_ms.iter().sum()
    }
}

/// A ringback tone playing its country's cadence, forever.
#[derive(Debug, Clone)]
pub struct Ringback {
    spec: &'static RingTone,
    tone: Tone,
    /// Cadence segment boundaries in samples from the cycle start (cumulative ends).
    ends: Vec<u64>,
    /// Position in the cycle, samples.
    pos: u64,
}

impl Ringback {
    /// The ringback of a Twilio `ringTone` value; an unknown or empty value gives `us` (the
    /// caller reports warning 13220 for a value Twilio would reject).
    pub fn for_country(code: &str) -> Ringback {
        let spec = RingTone::lookup(code)
            .or_else(|| RingTone::lookup("us"))
            .unwrap_or(&RING_TONES[0]);
        Ringback::new(spec)
    }

    /// The ringback of a table entry.
    pub fn new(spec: &'static RingTone) -> Ringback {
        let tone = match spec.sound {
            RingSound::Tones(hz) => Tone::new(hz, RINGBACK_AMPLITUDE),
            RingSound::Modulated {
                carrier,
                modulator,
                depth,
            } => Tone::modulated(carrier, modulator, depth, RINGBACK_AMPLITUDE),
        };
        let mut end = 0;
        let ends = spec
            .cadence_ms
            .iter()
            .map(|&ms| {
                end += u64::from(ms) * u64::from(PCM_RATE) / 1000;
                end
            })
            .collect();
        Ringback {
            spec,
            tone,
            ends,
            pos: 0,
        }
    }

    /// Which entry this plays.
    pub fn spec(&self) -> &'static RingTone {
        self.spec
    }

    /// The next 20 ms.
    pub fn next_frame(&mut self) -> Frame {
        let cycle = self.ends.last().copied().unwrap_or(0);
        let mut frame = Frame::SILENCE;
        if cycle == 0 {
            return frame;
        }
        for out in frame.samples_mut() {
            // The tone runs on while gated off so that its phase stays continuous.
            let s = self.tone.sample();
            let segment = self.ends.partition_point(|&end| end <= self.pos);
            if segment % 2 == 0 {
                let start = if segment == 0 {
                    0
                } else {
                    self.ends[segment - 1]
                };
                let end = self.ends[segment];
                *out = to_i16(s * ramp(self.pos - start, end - start));
            }
            self.pos = (self.pos + 1) % cycle;
        }
        frame
    }
}

impl Iterator for Ringback {
    type Item = Frame;
    fn next(&mut self) -> Option<Frame> {
        Some(self.next_frame())
    }
}

/// Envelope at `offset` samples into an on segment of `len` samples: 2 ms linear ramps.
#[allow(clippy::cast_precision_loss)]
fn ramp(offset: u64, len: u64) -> f64 {
    let edge = offset.min(len - 1 - offset.min(len - 1)) + 1;
    if edge >= RAMP {
        1.0
    } else {
        edge as f64 / RAMP as f64
    }
}

/// Twilio's `<Record>` beep: [`BEEP_HZ`] for [`BEEP_MS`], then the source ends.
#[derive(Debug, Clone)]
pub struct Beep {
    tone: Tone,
    pos: u64,
    len: u64,
}

/// The `<Record>` beep (25 frames: 1 kHz for 500 ms, ramped at both ends).
pub fn beep() -> Beep {
    Beep {
        tone: Tone::new(&[BEEP_HZ], BEEP_AMPLITUDE),
        pos: 0,
        len: u64::from(BEEP_MS) * u64::from(PCM_RATE) / 1000,
    }
}

impl Beep {
    /// The next 20 ms, or `None` once the beep is over (the last frame is zero-padded if
    /// the length is not a whole number of frames).
    pub fn next_frame(&mut self) -> Option<Frame> {
        if self.pos >= self.len {
            return None;
        }
        let mut frame = Frame::SILENCE;
        for out in frame.samples_mut().iter_mut().take(FRAME_SAMPLES) {
            if self.pos >= self.len {
                break;
            }
            *out = to_i16(self.tone.sample() * ramp(self.pos, self.len));
            self.pos += 1;
        }
        Some(frame)
    }

    /// Frames still to come.
    pub fn remaining_frames(&self) -> usize {
        usize::try_from((self.len - self.pos).div_ceil(FRAME_SAMPLES as u64)).unwrap_or(0)
    }
}

impl Iterator for Beep {
    type Item = Frame;
    fn next(&mut self) -> Option<Frame> {
        self.next_frame()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining_frames();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Beep {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::detect::{dominant_tone, tone_present};

    fn samples(frames: &[Frame]) -> Vec<i16> {
        frames
            .iter()
            .flat_map(|f| f.samples().iter().copied())
            .collect()
    }

    #[test]
    fn sine_values_and_phase_continuity() {
        // 1 kHz at 16 kHz: 16 samples per period, so sample 4 is the crest.
        let mut t = Tone::new(&[1000.0], 0.5);
        let a = t.next_frame();
        assert_eq!(a.samples()[0], 0);
        assert_eq!(a.samples()[4], 16_384);
        assert_eq!(a.samples()[12], -16_384);
        // 320 = 20 periods: the next frame starts where this one would continue.
        let b = t.next_frame();
        assert_eq!(a, b);
        // A frequency that does not divide the frame: no jump at the boundary.
        let mut t = Tone::new(&[440.0], 0.5);
        let all = samples(&[t.next_frame(), t.next_frame(), t.next_frame()]);
        let max_step = all
            .windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap();
        // 2π·440/16000 × 16 384 ≈ 2 831 is the steepest a 440 Hz sine can move.
        assert!(max_step <= 2832, "{max_step}");
    }

    #[test]
    fn dual_tone_saturates_not_wraps() {
        let mut t = Tone::new(&[500.0, 500.0], 0.9);
        let f = t.next_frame();
        assert_eq!(f.samples()[8], i16::MAX, "1.8 × full scale clips");
        assert!(Tone::new(&[], 1.0).next_frame().is_silent());
    }

    #[test]
    fn modulation_envelope() {
        let mut t = Tone::modulated(400.0, 25.0, 0.9, 0.5);
        let frames: Vec<Frame> = (0..10).map(|_| t.next_frame()).collect();
        let peak = frames
            .iter()
            .flat_map(|f| f.samples().iter())
            .map(|s| s.unsigned_abs())
            .max()
            .unwrap();
        assert!((15_500..=16_384).contains(&peak), "{peak}");
        // 25 Hz modulation: 40 ms period; some frame is near the trough.
        let quietest = frames.iter().map(Frame::rms).fold(f64::MAX, f64::min);
        let loudest = frames.iter().map(Frame::rms).fold(0.0, f64::max);
        assert!(quietest < loudest / 3.0, "{quietest} {loudest}");
    }

    #[test]
    fn table_has_every_ring_tone_value() {
        let codes = "at au bg br be ch cl cn cz de dk ee es fi fr gr hu il in it lt jp mx my nl \
                     no nz ph pl pt ru se sg th uk us us-old tw ve za";
        let codes: Vec<&str> = codes.split_whitespace().collect();
        assert_eq!(codes.len(), RING_TONES.len());
        for code in &codes {
            let t = RingTone::lookup(code).unwrap_or_else(|| panic!("{code}"));
            assert_eq!(t.cadence_ms.len() % 2, 0, "{code}");
            assert!(t.cycle_ms() >= 3000, "{code}");
        }
        assert_eq!(RingTone::lookup("UK").unwrap().code, "uk");
        assert!(RingTone::lookup("gb").is_none());
        assert_eq!(Ringback::for_country("gb").spec().code, "us");
        assert_eq!(Ringback::for_country("").spec().code, "us");
    }

    /// Frames that are on (above a small level) over one cycle, as a string of 0/1 runs.
    fn on_runs(mut r: Ringback, frames: usize) -> Vec<(bool, usize)> {
        let mut runs: Vec<(bool, usize)> = Vec::new();
        for _ in 0..frames {
            let on = r.next_frame().rms() > 100.0;
            match runs.last_mut() {
                Some((state, n)) if *state == on => *n += 1,
                _ => runs.push((on, 1)),
            }
        }
        runs
    }

    #[test]
    fn us_cadence_is_two_on_four_off() {
        // 6 s = 300 frames per cycle: 100 on, 200 off; two cycles.
        assert_eq!(
            on_runs(Ringback::for_country("us"), 600),
            [(true, 100), (false, 200), (true, 100), (false, 200)]
        );
        let mut r = Ringback::for_country("us");
        let on: Vec<Frame> = (0..50).map(|_| r.next_frame()).collect();
        let pcm = samples(&on);
        assert!(tone_present(&pcm, PCM_RATE, 440.0));
        assert!(tone_present(&pcm, PCM_RATE, 480.0));
        assert!(!tone_present(&pcm, PCM_RATE, 400.0));
    }

    #[test]
    fn uk_cadence_is_double_ring() {
        // 0.4 on, 0.2 off, 0.4 on, 2.0 off = 20, 10, 20, 100 frames.
        assert_eq!(
            on_runs(Ringback::for_country("uk"), 150),
            [(true, 20), (false, 10), (true, 20), (false, 100)]
        );
        let mut r = Ringback::for_country("uk");
        let pcm = samples(&(0..20).map(|_| r.next_frame()).collect::<Vec<_>>());
        assert_eq!(
            dominant_tone(&pcm, PCM_RATE, &[350.0, 400.0, 440.0, 480.0]),
            Some(400.0)
        );
        assert!(tone_present(&pcm, PCM_RATE, 450.0));
    }

    #[test]
    fn every_country_plays_its_cadence() {
        for spec in RING_TONES {
            let frames = usize::try_from(spec.cycle_ms() / 20).unwrap();
            let runs = on_runs(Ringback::new(spec), frames);
            let expected: Vec<(bool, usize)> = spec
                .cadence_ms
                .iter()
                .enumerate()
                // A frame partly on counts as on (Hungary's 1.25 s is 62.5 frames).
                .map(|(i, &ms)| {
                    let on = i % 2 == 0;
                    let frames = if on { ms.div_ceil(20) } else { ms / 20 };
                    (on, usize::try_from(frames).unwrap())
                })
                .collect();
            assert_eq!(runs, expected, "{}", spec.code);
        }
    }

    #[test]
    fn gating_ramps_instead_of_clicking() {
        let mut r = Ringback::for_country("us");
        let first = r.next_frame();
        // Starts from silence and rises over 2 ms.
        assert!(first.samples()[0].unsigned_abs() < 200);
        assert!(first.samples()[..8].iter().all(|s| s.unsigned_abs() < 2000));
        for _ in 1..99 {
            r.next_frame();
        }
        // The last on frame ends near zero, the next is silent.
        let last_on = r.next_frame();
        assert!(
            last_on.samples()[319].unsigned_abs() < 400,
            "{}",
            last_on.samples()[319]
        );
        assert!(r.next_frame().is_silent());
    }

    #[test]
    fn beep_is_25_frames_of_1khz() {
        let b = beep();
        assert_eq!(b.len(), 25);
        let frames: Vec<Frame> = b.collect();
        assert_eq!(frames.len(), 25);
        let pcm = samples(&frames);
        assert_eq!(
            dominant_tone(&pcm, PCM_RATE, &[440.0, 1000.0, 1400.0]),
            Some(1000.0)
        );
        assert!(frames[12].level_dbfs() > -14.0 && frames[12].level_dbfs() < -12.0);
        assert!(frames[24].samples()[319].unsigned_abs() < 1000);
        let mut b = beep();
        for _ in 0..25 {
            assert!(b.next_frame().is_some());
        }
        assert!(b.next_frame().is_none());
        assert_eq!(b.remaining_frames(), 0);
    }
}
