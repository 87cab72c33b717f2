//! End-to-end: what a WhatsApp caller hears of `<Say>`, `<Play>`, a `<Gather>` prompt cut by a
//! digit, a `<Dial>` whisper and a `<Play>` that cannot be fetched, through the real `dialtone
//! serve` and its embedded simulator.
//!
//! Each test starts its own server and runs one scenario of `tests/e2e/whatsapp_prompts.py`
//! (twilio-python), which saves the `Heard.wav` files; the audio is checked here by content:
//! 20 ms frames above [`detect::SPEECH_DBFS`] are "loud" (speech-like energy), tones are found
//! with Goertzel ([`detect::tone_present`]). What `<Say>` should sound like comes from
//! `dialtone-prompt` itself with the server's defaults (espeak-ng, `en-us`): the clip the server
//! plays, before Opus. The tests run one at a time ([`SERIAL`]): audio plays in real time and
//! the timing checks need the machine's two cores.
//!
//! The prerequisites are those of `e2e.rs` (`DIALTONE_PYTHON`) and espeak-ng on `PATH`:
//! without them the tests fail.

mod e2e_common;

use std::ops::Range;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use dialtone_media::audio::{Clip, FRAME_SAMPLES, Frame, PCM_RATE, Wav, detect};
use dialtone_prompt::{PromptConfig, Prompts, SayRequest};
use e2e_common::missing;
use e2e_common::scripts::run_heard_script;

const SCRIPT: &str = "tests/e2e/whatsapp_prompts.py";

/// One scenario at a time (see the module docs).
static SERIAL: Mutex<()> = Mutex::new(());

/// Two short texts of about the same length, and one about twice as long.
const SHORT: &str = "Welcome to Dialtone.";
const OTHER: &str = "Please hold the line.";
const LONG: &str = "Welcome to Dialtone, the voice engine for all.";
/// The `<Gather>` prompt: about 13 s of speech, cut by the digit 4 s after the answer.
const MENU: &str = "Thank you for calling. Please listen carefully, as our menu options have \
                    changed. For sales, press one. For support, press two. For billing, press \
                    three. To hear these options again, stay on the line.";
/// Spoken after the `<Play>` that answers 404.
const AFTER_404: &str = "The file could not be played, so here is some speech.";

/// Seconds per 20 ms frame.
const FRAME_SECS: f64 = 0.02;

/// Runs `args` (scenario and its arguments) against a fresh server; returns the directory the
/// script saved its files into.
fn scenario(args: &[&str]) -> tempfile::TempDir {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    run_heard_script(SCRIPT, args)
}

/// The 20 ms frames of a saved `Heard.wav` (16 kHz mono).
fn heard_frames(dir: &Path, name: &str) -> Vec<Frame> {
    let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let wav = Wav::read(&bytes).unwrap_or_else(|e| panic!("{name}: not a WAV file: {e}"));
    assert_eq!(
        (wav.channels, wav.sample_rate),
        (1, PCM_RATE),
        "{name}: mono at 16 kHz"
    );
    Frame::split(&wav.samples)
}

/// What the server plays for `<Say>{text}</Say>` with its defaults (espeak-ng, `en-us`).
fn reference(text: &str) -> Vec<Frame> {
    let prompts = Prompts::new(PromptConfig::default()).expect("default prompt configuration");
    let request = SayRequest {
        text: text.to_owned(),
        voice: None,
        language: None,
    };
    let clip: Clip = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(prompts.speak(&request))
        .unwrap_or_else(|e| {
            missing(&format!(
                "espeak-ng could not speak {text:?} ({e}): the prompt tests need espeak-ng on \
                 PATH (`apt-get install espeak-ng`)"
            ))
        });
    clip.frames().to_vec()
}

fn loud(frame: &Frame) -> bool {
    frame.level_dbfs() > detect::SPEECH_DBFS
}

fn secs(frames: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let n = frames as f64;
    n * FRAME_SECS
}

/// The runs of loud frames, merged across quiet gaps shorter than `gap` frames (the pauses
/// inside speech); each from its first loud frame to its last.
fn segments(frames: &[Frame], gap: usize) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        if !loud(f) {
            continue;
        }
        match out.last_mut() {
            Some(last) if i - last.end < gap => last.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// Loud frames from the first to the last.
fn span(frames: &[Frame]) -> Range<usize> {
    let first = frames.iter().position(loud).unwrap_or(0);
    let last = frames.iter().rposition(loud).map_or(first, |i| i + 1);
    first..last
}

/// Seconds of speech-like energy (loud frames, consecutive or not).
fn energy(frames: &[Frame]) -> f64 {
    detect::speech_like_energy(frames).as_secs_f64()
}

/// The frames' levels in dB, floored at −60 dBFS: the envelope of what was said.
fn envelope(frames: &[Frame]) -> Vec<f64> {
    frames.iter().map(|f| f.level_dbfs().max(-60.0)).collect()
}

/// Pearson correlation of two envelopes, over the shorter one's length, at the best shift of
/// up to ±5 frames (the Opus round trip and the cut into segments shift a frame or two).
fn similarity(heard: &[f64], spoken: &[f64]) -> f64 {
    (0..=5)
        .flat_map(|shift| {
            [
                pearson(&heard[shift.min(heard.len())..], spoken),
                pearson(heard, &spoken[shift.min(spoken.len())..]),
            ]
        })
        .fold(f64::MIN, f64::max)
}

/// Pearson correlation over the shorter series' length (0 under 10 values or for a flat one).
fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    let len = xs.len().min(ys.len());
    if len < 10 {
        return 0.0;
    }
    let (xs, ys) = (&xs[..len], &ys[..len]);
    #[allow(clippy::cast_precision_loss)]
    let count = len as f64;
    let mean_x = xs.iter().sum::<f64>() / count;
    let mean_y = ys.iter().sum::<f64>() / count;
    let (mut cov, mut var_x, mut var_y) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        cov += (x - mean_x) * (y - mean_y);
        var_x += (x - mean_x) * (x - mean_x);
        var_y += (y - mean_y) * (y - mean_y);
    }
    if var_x <= 0.0 || var_y <= 0.0 {
        0.0
    } else {
        cov / (var_x * var_y).sqrt()
    }
}

/// A frame carrying `hz` (one 20 ms frame resolves about 100 Hz).
fn has_tone(frame: &Frame, hz: f32) -> bool {
    detect::tone_present(frame.samples(), PCM_RATE, hz)
}

#[test]
fn say_is_heard_as_long_as_espeak_speaks_it() {
    let heard = scenario(&["say", SHORT, OTHER, LONG]);
    let frames = heard_frames(heard.path(), "parent.wav");
    // Speech pauses last well under a second; the `<Pause length="2"/>` separate the prompts.
    let parts = segments(&frames, 50);
    let shown: Vec<(f64, f64)> = parts.iter().map(|r| (secs(r.start), secs(r.end))).collect();
    eprintln!(
        "A heard {:.2} s; speech segments (s): {shown:?}",
        secs(frames.len())
    );
    assert_eq!(
        parts.len(),
        3,
        "three <Say> prompts, each heard once, separated by the pauses: {shown:?}"
    );
    let mut heard_spans = Vec::new();
    let mut envelopes = Vec::new();
    let mut references = Vec::new();
    for (text, part) in [SHORT, OTHER, LONG].into_iter().zip(&parts) {
        let expected = reference(text);
        let range = span(&expected);
        let expected = &expected[range];
        let got = &frames[part.clone()];
        let (want_span, got_span) = (secs(expected.len()), secs(got.len()));
        let (want_energy, got_energy) = (energy(expected), energy(got));
        eprintln!(
            "{text:?}: espeak-ng speaks {want_span:.2} s ({want_energy:.2} s loud); heard \
             {got_span:.2} s ({got_energy:.2} s loud) from {:.2} s",
            secs(part.start)
        );
        // Wide enough for a busy machine, far from nothing and from the prompt twice.
        let tolerance = 0.2f64.mul_add(want_span, 0.15);
        assert!(
            (got_span - want_span).abs() <= tolerance,
            "{text:?}: heard {got_span:.2} s of speech, espeak-ng speaks it in {want_span:.2} s \
             (± {tolerance:.2} s)"
        );
        assert!(
            (got_energy - want_energy).abs() <= 0.25f64.mul_add(want_energy, 0.1),
            "{text:?}: {got_energy:.2} s of speech-like energy heard, {want_energy:.2} s spoken"
        );
        heard_spans.push(got_span);
        envelopes.push(envelope(got));
        references.push(envelope(expected));
    }
    assert!(
        heard_spans[2] >= 1.6 * heard_spans[0],
        "the text twice as long is heard {:.2} s, the short one {:.2} s",
        heard_spans[2],
        heard_spans[0]
    );
    // Different texts, different audio: each heard prompt matches its own text's envelope
    // clearly better than the other text's (the two short texts last about as long).
    let own = [
        similarity(&envelopes[0], &references[0]),
        similarity(&envelopes[1], &references[1]),
    ];
    let crossed = [
        similarity(&envelopes[0], &references[1]),
        similarity(&envelopes[1], &references[0]),
    ];
    let between = similarity(&envelopes[0], &envelopes[1]);
    eprintln!(
        "envelope similarity: own text {own:.2?}, the other text {crossed:.2?}, the two heard \
         prompts {between:.2}"
    );
    for (i, text) in [SHORT, OTHER].into_iter().enumerate() {
        assert!(
            own[i] >= 0.8,
            "{text:?} heard does not sound like espeak-ng's: similarity {:.2}",
            own[i]
        );
        assert!(
            own[i] - crossed[i] >= 0.2,
            "{text:?} heard sounds as much like the other text ({:.2}) as like itself ({:.2})",
            crossed[i],
            own[i]
        );
    }
    assert!(
        between <= own[0].min(own[1]) - 0.2,
        "the two texts were heard alike: {between:.2} (own {own:.2?})"
    );
}

#[test]
fn play_loops_a_wav_from_the_application() {
    let heard = scenario(&["play"]);
    let frames = heard_frames(heard.path(), "parent.wav");
    let parts = segments(&frames, 50);
    let tone: Vec<(f64, f64, f64)> = parts
        .iter()
        .map(|r| {
            let k = frames[r.clone()]
                .iter()
                .filter(|f| has_tone(f, 1000.0))
                .count();
            (secs(r.start), secs(r.end), secs(k))
        })
        .collect();
    eprintln!(
        "A heard {:.2} s; segments (start, end, seconds of 1 kHz): {tone:?}",
        secs(frames.len())
    );
    assert_eq!(
        parts.len(),
        2,
        "loop=\"2\" then loop=\"1\", the 2 s pause between: {tone:?}"
    );
    for (i, (passes, want)) in [(2, 2.0), (1, 1.0)].into_iter().enumerate() {
        let (start, end, got) = tone[i];
        let length = end - start;
        assert!(
            (got - want).abs() <= 0.12,
            "loop=\"{passes}\" of the 1 s WAV: {got:.2} s of 1 kHz heard, {want} s expected"
        );
        assert!(
            got >= 0.95 * length,
            "loop=\"{passes}\": only {got:.2} s of the {length:.2} s heard is 1 kHz"
        );
    }
    let elsewhere = frames
        .iter()
        .enumerate()
        .filter(|(i, f)| !parts.iter().any(|r| r.contains(i)) && has_tone(f, 1000.0))
        .count();
    assert_eq!(elsewhere, 0, "1 kHz outside the two <Play> prompts");
}

#[test]
fn a_digit_cuts_the_gather_prompt() {
    let heard = scenario(&["gather", MENU]);
    let facts: serde_json::Value = serde_json::from_slice(
        &std::fs::read(heard.path().join("gather.json")).expect("gather.json"),
    )
    .expect("gather.json is JSON");
    let action_at = facts["action_at"].as_f64().expect("action_at");
    let frames = heard_frames(heard.path(), "parent.wav");
    let whole = reference(MENU);
    let said = span(&frames);
    let (start, end) = (secs(said.start), secs(said.end));
    let (got, full) = (energy(&frames), energy(&whole[span(&whole)]));
    eprintln!(
        "A heard {:.2} s: speech from {start:.2} s to {end:.2} s ({got:.2} s loud of the \
         prompt's {full:.2} s); the action request arrived at {action_at:.2} s",
        secs(frames.len())
    );
    assert!(
        secs(frames.len()) >= action_at + 1.0,
        "the file ends {:.2} s after the action",
        secs(frames.len()) - action_at
    );
    // Digits=wwwwww5: pressed 1 s after the answer plus six half-second waits; the file starts
    // when the media connects, measured 0.1 to 0.6 s after the answer; the digit is reported on
    // its RFC 4733 end (100 ms).
    assert!(
        (3.0..=5.0).contains(&action_at),
        "the digit pressed 4 s after the answer reached the action at {action_at:.2} s of the \
         heard audio"
    );
    assert!(
        start < action_at - 1.0,
        "the prompt started at {start:.2} s, the digit came at {action_at:.2} s"
    );
    assert!(
        end <= action_at + 0.2,
        "speech went on until {end:.2} s, {:.0} ms after the action request ({action_at:.2} s)",
        (end - action_at) * 1000.0
    );
    assert!(
        end >= action_at - 0.8,
        "speech stopped at {end:.2} s, long before the digit ({action_at:.2} s)"
    );
    assert!(
        got <= full - 3.0,
        "{got:.2} s of the prompt's {full:.2} s of speech heard: it was not cut"
    );
}

#[test]
fn the_whisper_is_heard_by_the_callee_only() {
    let heard = scenario(&["whisper"]);
    let child = heard_frames(heard.path(), "child.wav");
    let tone_at: Vec<usize> = (0..child.len())
        .filter(|&i| has_tone(&child[i], 1000.0))
        .collect();
    let whisper = secs(tone_at.len());
    eprintln!(
        "B heard {:.2} s, {whisper:.2} s of it 1 kHz (from {:.2} s to {:.2} s)",
        secs(child.len()),
        tone_at.first().map_or(0.0, |&i| secs(i)),
        tone_at.last().map_or(0.0, |&i| secs(i + 1))
    );
    assert!(
        (0.85..=1.15).contains(&whisper),
        "B heard {whisper:.2} s of the 1 s whisper"
    );
    let echoed = child.iter().filter(|f| has_tone(f, 600.0)).count();
    assert_eq!(echoed, 0, "B heard its own 600 Hz");

    let parent = heard_frames(heard.path(), "parent.wav");
    // 100 ms blocks: 440 and 480 Hz need them to be told apart.
    let blocks: Vec<Vec<i16>> = parent
        .chunks_exact(5)
        .map(|c| c.iter().flat_map(|f| f.samples().iter().copied()).collect())
        .collect();
    assert_eq!(blocks.first().map_or(0, Vec::len), 5 * FRAME_SAMPLES);
    let ringback = |b: &[i16]| {
        detect::tone_present(b, PCM_RATE, 440.0) && detect::tone_present(b, PCM_RATE, 480.0)
    };
    let callee = |b: &[i16]| detect::tone_present(b, PCM_RATE, 600.0);
    let thousand: Vec<f64> = blocks
        .iter()
        .filter_map(|b| detect::tone_share(b, PCM_RATE, 1000.0))
        .collect();
    let loudest = thousand.iter().copied().fold(0.0, f64::max);
    let bridged = blocks.iter().position(|b| callee(b));
    let rang = blocks[..bridged.unwrap_or(blocks.len())]
        .iter()
        .filter(|b| ringback(b))
        .count();
    let after = bridged.map_or(0, |i| blocks[i..].iter().filter(|b| callee(b)).count());
    let late_ring = bridged.map_or(0, |i| blocks[i..].iter().filter(|b| ringback(b)).count());
    eprintln!(
        "A heard {:.2} s: {rang} blocks of ringback, B from {:?} s ({after} blocks of 600 Hz), \
         largest 1 kHz share {loudest:.3}",
        secs(parent.len()),
        bridged.map(|i| secs(i * 5))
    );
    assert!(
        loudest < 0.05,
        "A heard 1 kHz (share {loudest:.3}): the whisper leaked to the caller"
    );
    let bridged = bridged.expect("A never heard B's 600 Hz");
    // B answers 1 s after it rings, then the 1 s whisper: A rings for about 2 s or more.
    assert!(
        rang >= 12,
        "{rang} blocks of ringback before the bridge at {:.2} s",
        secs(bridged * 5)
    );
    assert_eq!(late_ring, 0, "ringback after the bridge");
    assert!(after >= 15, "{after} blocks of B's 600 Hz after the bridge");
}

#[test]
fn a_play_that_404s_is_skipped_with_a_notification() {
    let heard = scenario(&["missing", AFTER_404]);
    let frames = heard_frames(heard.path(), "parent.wav");
    let expected = reference(AFTER_404);
    let (want, got) = (energy(&expected), energy(&frames));
    let said = span(&frames);
    eprintln!(
        "A heard {:.2} s: {got:.2} s of speech-like energy from {:.2} s to {:.2} s; espeak-ng \
         speaks {want:.2} s",
        secs(frames.len()),
        secs(said.start),
        secs(said.end)
    );
    assert!(
        (got - want).abs() <= 0.25f64.mul_add(want, 0.1),
        "the <Say> after the failed <Play>: {got:.2} s of speech heard, {want:.2} s spoken"
    );
}
