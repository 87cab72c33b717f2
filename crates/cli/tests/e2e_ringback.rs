//! End-to-end: a WhatsApp caller hears ringback while the business dials, then the callee,
//! through the real `dialtone serve` and its embedded simulator.
//!
//! `tests/e2e/whatsapp_ringback.py` (twilio-python) has user A call a business number that
//! dials user B (`Audio=tone:1000`, answering after 1.5 s) and saves what A heard; this test
//! cuts it into 100 ms blocks and checks with Goertzel: the US ringback (440 + 480 Hz) before
//! B's tone, B's 1000 Hz after it and no ringback over it. The prerequisites are those of
//! `e2e.rs` (`DIALTONE_PYTHON`): without them the test fails.

mod e2e_common;

use dialtone_media::audio::{Wav, detect};
use e2e_common::scripts::run_heard_script;

const SCRIPT: &str = "tests/e2e/whatsapp_ringback.py";

/// What a 100 ms block sounds like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Quiet,
    Ringback,
    Callee,
    Other,
}

fn blocks(bytes: &[u8]) -> Vec<Block> {
    let wav = Wav::read(bytes).unwrap_or_else(|e| panic!("not a WAV file: {e}"));
    assert_eq!(wav.channels, 1, "mono");
    let rate = wav.sample_rate;
    let size = usize::try_from(rate / 10).expect("rate");
    wav.samples
        .chunks_exact(size)
        .map(|block| {
            let has = |hz| detect::tone_present(block, rate, hz);
            if detect::tone_share(block, rate, 1000.0).is_none() {
                Block::Quiet
            } else if has(1000.0) {
                Block::Callee
            } else if has(440.0) && has(480.0) {
                Block::Ringback
            } else {
                Block::Other
            }
        })
        .collect()
}

#[test]
fn a_whatsapp_caller_hears_ringback_then_the_callee() {
    let heard = run_heard_script(SCRIPT, &[]);

    let parent = std::fs::read(heard.path().join("parent.wav")).expect("parent.wav");
    let heard = blocks(&parent);
    eprintln!("A heard (100 ms blocks): {heard:?}");
    let bridged = heard
        .iter()
        .position(|b| *b == Block::Callee)
        .expect("A never heard B");
    let ringing = heard[..bridged]
        .iter()
        .filter(|b| **b == Block::Ringback)
        .count();
    // B answers 1.5 s after it is called; the US cadence rings for the first 2 s.
    assert!(
        ringing >= 8,
        "{ringing} blocks of ringback before B: {heard:?}"
    );
    let after = &heard[bridged..];
    assert!(
        !after.contains(&Block::Ringback),
        "ringback over the bridge: {heard:?}"
    );
    let callee = after.iter().filter(|b| **b == Block::Callee).count();
    assert!(
        callee >= 15,
        "{callee} blocks of B after the bridge: {heard:?}"
    );
}
