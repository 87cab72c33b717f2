//! End-to-end: a live call recorded over REST (`CreateCallRecording`,
//! `UpdateCallRecording` with `Twilio.CURRENT`, pause `skip`, resume, stop) through the real
//! `dialtone serve`, driven by twilio-python (`tests/e2e/rest_recording.py`). The script
//! checks every response, the signed recording callbacks and the errors, and saves the WAV;
//! this test checks the file: 8 kHz mono, about 5 s (the 3 s pause cut out), and the caller's
//! 440 Hz tone dominant (Goertzel). The prerequisites are those of `e2e.rs`
//! (`DIALTONE_PYTHON`): without them the test fails.
//!
//! `tests/e2e/calls_record.py`: REST-created calls with `Record=true` (`OutboundAPI`) and a
//! REST recording of one track; the softphones send 600 Hz and hear a 1 kHz `<Play>`. This
//! test checks which track each file holds: dual = 600 Hz on channel 1 (the party), 1 kHz on
//! channel 2 (what it was sent); `outbound` = 1 kHz alone, `inbound` = 600 Hz alone, both mono.

mod e2e_common;

use dialtone_media::audio::{Wav, detect};
use e2e_common::scripts::run_heard_script;

const SCRIPT: &str = "tests/e2e/rest_recording.py";
const RATE: u32 = 8000;

#[test]
fn a_rest_recording_with_a_skipped_pause_holds_the_callers_tone() {
    let heard = run_heard_script(SCRIPT, &[]);

    let bytes = std::fs::read(heard.path().join("recording.wav")).expect("recording.wav");
    let wav = Wav::read(&bytes).expect("a WAV file");
    assert_eq!((wav.sample_rate, wav.channels), (8000, 1));
    let len = wav.samples.len();
    eprintln!("recording: {} ms", len / 8);
    // 2.5 s + 2.5 s recorded around a 3 s pause; generous for a loaded machine.
    assert!((32_000..=52_000).contains(&len), "{} ms recorded", len / 8);
    // A second inside each recorded stretch carries A's tone.
    for (what, start) in [
        ("before the pause", 8000),
        ("after the pause", len - 12_000),
    ] {
        let window = &wav.samples[start..start + 8000];
        let share = detect::tone_share(window, 8000, 440.0).unwrap_or(0.0);
        eprintln!("{what}: 440 Hz share {share:.3}");
        assert!(
            detect::tone_present(window, 8000, 440.0),
            "{what}: no 440 Hz (share {share:.3})"
        );
        assert_eq!(
            detect::dominant_tone(window, 8000, &[440.0, 1000.0, 600.0]),
            Some(440.0),
            "{what}"
        );
    }
}

/// The share of 200 ms blocks of `samples` in which `hz` is present and dominates `other`,
/// and the largest share `other` has in any block.
fn blocks(samples: &[i16], hz: f32, other: f32) -> (f64, f64) {
    let mut with = 0u32;
    let mut total = 0u32;
    let mut worst: f64 = 0.0;
    for block in samples.chunks_exact(1600) {
        total += 1;
        if detect::dominant_tone(block, RATE, &[hz, other]) == Some(hz)
            && detect::tone_present(block, RATE, hz)
        {
            with += 1;
        }
        worst = worst.max(detect::tone_share(block, RATE, other).unwrap_or(0.0));
    }
    (f64::from(with) / f64::from(total.max(1)), worst)
}

/// `samples` carries `hz` through most of it (the first blocks may be silent: the `<Play>`
/// file is fetched after the answer) and `other` nowhere.
fn track(what: &str, samples: &[i16], hz: f32, other: f32) {
    let (share, worst) = blocks(samples, hz, other);
    eprintln!(
        "{what}: {} ms, {hz} Hz in {:.0}% of 200 ms blocks, {other} Hz share at most {worst:.3}",
        samples.len() / 8,
        share * 100.0
    );
    assert!(
        samples.len() >= 3 * 8000,
        "{what}: {} ms",
        samples.len() / 8
    );
    assert!(
        share >= 0.6,
        "{what}: {hz} Hz in only {:.0}% of the blocks",
        share * 100.0
    );
    assert!(worst < 0.1, "{what}: {other} Hz has a share of {worst:.3}");
}

fn wav(dir: &std::path::Path, name: &str, channels: u16) -> Wav {
    let bytes = std::fs::read(dir.join(name)).expect(name);
    let wav = Wav::read(&bytes).expect("a WAV file");
    assert_eq!((wav.sample_rate, wav.channels), (RATE, channels), "{name}");
    wav
}

#[test]
fn record_true_and_recording_tracks_hold_the_right_tones() {
    let heard = run_heard_script("tests/e2e/calls_record.py", &[]);
    let dir = heard.path();

    let dual = wav(dir, "dual.wav", 2);
    let ch = |i: usize| -> Vec<i16> { dual.samples.iter().skip(i).step_by(2).copied().collect() };
    track("dual, channel 1 (the party)", &ch(0), 600.0, 1000.0);
    track("dual, channel 2 (sent to it)", &ch(1), 1000.0, 600.0);
    track(
        "outbound (mono)",
        &wav(dir, "outbound.wav", 1).samples,
        1000.0,
        600.0,
    );
    track(
        "inbound (mono)",
        &wav(dir, "inbound.wav", 1).samples,
        600.0,
        1000.0,
    );
}
