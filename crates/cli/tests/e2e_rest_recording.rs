//! End-to-end: a live call recorded over REST (`CreateCallRecording`,
//! `UpdateCallRecording` with `Twilio.CURRENT`, pause `skip`, resume, stop) through the real
//! `dialtone serve`, driven by twilio-python (`tests/e2e/rest_recording.py`). The script
//! checks every response, the signed recording callbacks and the errors, and saves the WAV;
//! this test checks the file: 8 kHz mono, about 5 s (the 3 s pause cut out), and the caller's
//! 440 Hz tone dominant (Goertzel). The prerequisites are those of `e2e.rs`
//! (`DIALTONE_PYTHON`): without them the test fails.

mod e2e_common;

use dialtone_media::audio::{Wav, detect};
use e2e_common::scripts::run_heard_script;

const SCRIPT: &str = "tests/e2e/rest_recording.py";

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
