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
use e2e_common::scripts::{Runner, finish};
use e2e_common::{Account, Backend, Server, python, random_hex, repo_root};

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
    let python = python();
    let backend = Backend::Sqlite;
    let root = repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let heard = tempfile::tempdir().expect("heard dir");
    let main = Account::random();
    let app_secret = random_hex(16);
    let secrets = [("DIALTONE_WHATSAPP_APP_SECRET", app_secret.as_str())];
    let server = Server::start_with_env(dir.path(), &backend, &main, &secrets);
    let heard_dir = heard.path().to_str().expect("UTF-8 temp path").to_owned();
    let env = [
        ("DIALTONE_HEARD_DIR", heard_dir.as_str()),
        ("DIALTONE_WHATSAPP_APP_SECRET", app_secret.as_str()),
    ];
    let runner = Runner {
        python: &python,
        root: &root,
        server: &server,
        backend: &backend,
        account: &main,
        env: &env,
    };
    let run = runner.run(SCRIPT, &[]);
    let failures: Vec<String> = run.failure.into_iter().collect();
    finish(server, &failures);

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
