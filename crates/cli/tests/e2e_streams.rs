//! End-to-end: Media Streams through the real `dialtone serve`, its embedded WhatsApp
//! simulator, and a consumer written from Twilio's protocol (`tests/e2e/stream_consumer.py`,
//! standard library only).
//!
//! `tests/e2e/whatsapp_stream.py` runs `<Connect><Stream>` on a call from a simulated user with
//! a 440 Hz tone and checks the protocol side (signature, `start`, cadence, marks, `clear`,
//! `dtmf`, bad messages, `<Connect action>`, stream callbacks, notifications); this test checks
//! what the user heard with Goertzel: the consumer's 1000 Hz while it played, and nothing of
//! it once `clear` cut it, at about the moment of the clear. The prerequisites are those of
//! `e2e.rs` (`DIALTONE_PYTHON`): without them the test fails.
//!
//! `tests/e2e/stream_faults.py`: refused URL, non-WebSocket answer, oversized frame (while a
//! second call's stream carries on), `<Start>`/`<Stop>` forks with both tracks, and the REST
//! Stream resource.

mod e2e_common;

use dialtone_media::audio::{Wav, detect};
use e2e_common::scripts::run_heard_script;

/// The last `secs` of a mono WAV file, and its rate.
fn tail(bytes: &[u8], what: &str, secs: f64) -> (Vec<i16>, u32) {
    let wav = Wav::read(bytes).unwrap_or_else(|e| panic!("{what}: not a WAV file: {e}"));
    assert_eq!(wav.channels, 1, "{what}: mono");
    let rate = wav.sample_rate;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let window = (secs * f64::from(rate)) as usize;
    assert!(
        wav.samples.len() >= window,
        "{what}: only {} samples",
        wav.samples.len()
    );
    (wav.samples[wav.samples.len() - window..].to_vec(), rate)
}

fn share(samples: &[i16], rate: u32, hz: f32) -> f64 {
    detect::tone_share(samples, rate, hz).unwrap_or(0.0)
}

#[test]
fn a_whatsapp_caller_talks_to_a_stream_consumer() {
    let heard = run_heard_script("tests/e2e/whatsapp_stream.py", &[]);
    let tone = std::fs::read(heard.path().join("tone.wav")).expect("tone.wav");
    let cleared = std::fs::read(heard.path().join("cleared.wav")).expect("cleared.wav");
    let timing: serde_json::Value = serde_json::from_slice(
        &std::fs::read(heard.path().join("timing.json")).expect("timing.json"),
    )
    .expect("timing.json is JSON");

    // While the consumer's tone plays, the caller hears it (and not their own 440 Hz).
    let (samples, rate) = tail(&tone, "tone.wav", 1.0);
    eprintln!(
        "tone.wav: last 1 s: 1000 Hz share {:.3}, 440 Hz share {:.3}",
        share(&samples, rate, 1000.0),
        share(&samples, rate, 440.0)
    );
    assert_eq!(
        detect::dominant_tone(&samples, rate, &[1000.0, 440.0]),
        Some(1000.0)
    );
    assert!(detect::tone_present(&samples, rate, 1000.0));
    assert!(share(&samples, rate, 440.0) < 0.02, "no echo of the caller");

    // After `clear`: nothing of the tone.
    let (samples, rate) = tail(&cleared, "cleared.wav", 1.0);
    let after = share(&samples, rate, 1000.0);
    eprintln!("cleared.wav: last 1 s: 1000 Hz share {after:.3}");
    assert!(after < 0.02, "the tone was cleared (share {after:.3})");

    // Where the tone stops, against when `clear` was sent (counted back from the download).
    let wav = Wav::read(&cleared).expect("cleared.wav");
    let rate = usize::try_from(wav.sample_rate).expect("rate");
    let before = timing["clear_before_download_secs"]
        .as_f64()
        .expect("clear_before_download_secs");
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let clear_at = wav.samples.len() - (before * rate as f64) as usize;
    let frame = rate / 50;
    let last_tone = (0..wav.samples.len() / frame)
        .rev()
        .find(|i| {
            share(
                &wav.samples[i * frame..(i + 1) * frame],
                wav.sample_rate,
                1000.0,
            ) > 0.5
        })
        .map(|i| (i + 1) * frame)
        .expect("the tone is in cleared.wav");
    #[allow(clippy::cast_precision_loss)]
    let cut_ms = (last_tone as f64 - clear_at as f64) * 1000.0 / rate as f64;
    eprintln!("the tone stops {cut_ms:.0} ms after the clear (playout delay included)");
    assert!(
        (-100.0..=200.0).contains(&cut_ms),
        "the tone stops {cut_ms:.0} ms after the clear"
    );
}
