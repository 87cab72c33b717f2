//! End-to-end: what simulated WhatsApp users hear on a bridged `<Dial><WhatsApp>` call,
//! through the real `dialtone serve` and its embedded simulator.
//!
//! `tests/e2e/whatsapp_heard.py` (twilio-python) has user A (`Audio=tone:440`) call a business
//! number that dials user B (`Audio=tone:1000`), and saves both `Heard.wav` files; this test
//! checks them with Goertzel: A heard 1000 Hz and not 440 Hz, B heard 440 Hz and not 1000 Hz.
//! The script also checks the 404s (unknown CallSid, another account's call). The
//! prerequisites are those of `e2e.rs` (`DIALTONE_PYTHON`): without them the test fails.
//!
//! `tests/e2e/softphone_heard.py` does the same with a simulated softphone as the caller.

mod e2e_common;

use dialtone_media::audio::{Wav, detect};
use e2e_common::scripts::{Runner, finish};
use e2e_common::{Account, Backend, Server, python, random_hex, repo_root};

const SCRIPT: &str = "tests/e2e/whatsapp_heard.py";
/// The tail of each file analysed, seconds (taken while both users talk).
const WINDOW_SECS: usize = 2;

/// The last [`WINDOW_SECS`] of a mono 16-bit WAV, and its rate.
fn tail(bytes: &[u8], what: &str) -> (Vec<i16>, u32) {
    let wav = Wav::read(bytes).unwrap_or_else(|e| panic!("{what}: not a WAV file: {e}"));
    assert_eq!(wav.channels, 1, "{what}: mono");
    let rate = wav.sample_rate;
    let window = WINDOW_SECS * usize::try_from(rate).expect("rate");
    let samples = wav.samples;
    assert!(
        samples.len() >= window + usize::try_from(rate).expect("rate"),
        "{what}: only {} samples at {rate} Hz",
        samples.len()
    );
    (samples[samples.len() - window..].to_vec(), rate)
}

/// `hz` is the dominant tone of the window and `absent` carries (almost) nothing.
fn heard_only(bytes: &[u8], what: &str, hz: f32, absent: f32) {
    let (samples, rate) = tail(bytes, what);
    let share = |f| detect::tone_share(&samples, rate, f).unwrap_or(0.0);
    eprintln!(
        "{what}: {} s heard; last {WINDOW_SECS} s: {hz} Hz share {:.3}, {absent} Hz share {:.3}",
        bytes.len().saturating_sub(44) / 2 / usize::try_from(rate).unwrap_or(1),
        share(hz),
        share(absent)
    );
    assert_eq!(
        detect::dominant_tone(&samples, rate, &[hz, absent]),
        Some(hz),
        "{what}: shares {hz} Hz {:.3}, {absent} Hz {:.3}",
        share(hz),
        share(absent)
    );
    assert!(detect::tone_present(&samples, rate, hz), "{what}: {hz} Hz");
    assert!(
        share(absent) < 0.02,
        "{what}: {absent} Hz has a share of {:.3}",
        share(absent)
    );
}

#[test]
fn bridged_whatsapp_users_hear_each_other() {
    let python = python();
    let backend = Backend::Sqlite;
    let root = repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let heard = tempfile::tempdir().expect("heard dir");
    let main = Account::random();
    let other = Account::random();
    let app_secret = random_hex(16);
    let secrets = [("DIALTONE_WHATSAPP_APP_SECRET", app_secret.as_str())];
    // First start: the second account becomes the bootstrap account and is stored.
    let first = Server::start_with_env(dir.path(), &backend, &other, &secrets);
    let status = first.stop();
    assert!(status.success(), "first start exited with {status}");
    let server = Server::start_with_env(dir.path(), &backend, &main, &secrets);

    let heard_dir = heard.path().to_str().expect("UTF-8 temp path").to_owned();
    let env = [
        ("DIALTONE_OTHER_ACCOUNT_SID", other.sid.as_str()),
        ("DIALTONE_OTHER_AUTH_TOKEN", other.token.as_str()),
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
    let child = std::fs::read(heard.path().join("child.wav")).expect("child.wav");
    heard_only(&parent, "A (the parent's caller)", 1000.0, 440.0);
    heard_only(&child, "B (the child's callee)", 440.0, 1000.0);
}

/// A simulated softphone (`Audio=tone:440`) places a call whose TwiML dials a simulated
/// WhatsApp user (`Audio=tone:1000`): the softphone's call heard 1000 Hz and not 440 Hz, the
/// user 440 Hz and not 1000 Hz (`tests/e2e/softphone_heard.py`).
#[test]
fn a_softphone_and_a_whatsapp_user_hear_each_other() {
    let heard = e2e_common::scripts::run_heard_script("tests/e2e/softphone_heard.py", &[]);
    let parent = std::fs::read(heard.path().join("parent.wav")).expect("parent.wav");
    let child = std::fs::read(heard.path().join("child.wav")).expect("child.wav");
    heard_only(
        &parent,
        "the softphone (the parent's caller)",
        1000.0,
        440.0,
    );
    heard_only(
        &child,
        "the WhatsApp user (the child's callee)",
        440.0,
        1000.0,
    );
}
