//! End-to-end: recordings made by the real `dialtone serve` of simulated WhatsApp users, through
//! twilio-python and the Recordings API.
//!
//! - `record_verb`: `tests/e2e/whatsapp_record.py` runs four `<Record>` calls at once (ended by
//!   `maxLength`, by `finishOnKey`, by the caller hanging up, and one silent: `absent`); it
//!   checks every webhook and the API, and saves each WAV; here Goertzel finds the caller's
//!   700 Hz in it, for about `RecordingDuration`.
//! - `dial_record_dual`: `tests/e2e/whatsapp_dial_record.py`, `<Dial record=...-dual>` between A
//!   (440 Hz) and B (1000 Hz): channel 1 carries A only, channel 2 B only.
//! - `restart_mid_record`: `dialtone serve` is SIGKILLed while a `<Record>` runs and started
//!   again on the same data directory and port: the recording is completed with what was
//!   captured (and its `completed` callback delivered), never lost.
//!
//! The scripts run one at a time ([`SERIAL`]): audio flows in real time. The prerequisites are
//! those of `e2e.rs` (`DIALTONE_PYTHON`): without them the tests fail.

mod e2e_common;

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use dialtone_media::audio::{Wav, detect};
use e2e_common::scripts::{finish, run_heard_script_with_other_account};
use e2e_common::{Account, Backend, Server, python, random_hex, repo_root};

/// One scenario at a time (see the module docs).
static SERIAL: Mutex<()> = Mutex::new(());

/// Twilio's recording rate.
const RATE: u32 = 8_000;

/// [`run_heard_script_with_other_account`], one scenario at a time.
fn run_with_other_account(script: &str, args: &[&str]) -> tempfile::TempDir {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    run_heard_script_with_other_account(script, args)
}

/// A saved recording: 8 kHz 16-bit PCM with `channels` channels.
fn recording(dir: &Path, name: &str, channels: u16) -> Wav {
    let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let wav = Wav::read(&bytes).unwrap_or_else(|e| panic!("{name}: not a WAV file: {e}"));
    assert_eq!(
        (wav.channels, wav.sample_rate),
        (channels, RATE),
        "{name}: {channels} channel(s) at 8 kHz"
    );
    wav
}

/// Channel `index` (0-based) of `wav`.
fn channel(wav: &Wav, index: usize) -> Vec<i16> {
    let n = usize::from(wav.channels);
    wav.samples.iter().skip(index).step_by(n).copied().collect()
}

/// The `RecordingDuration`s the script saved (`recordings.json`).
fn durations(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("recordings.json")).expect("recordings.json");
    serde_json::from_str(&text).expect("recordings.json is JSON")
}

/// `samples` (one channel at 8 kHz), cut into 200 ms blocks: the share of blocks in which
/// `hz` dominates the `others` and is present, and the largest share `absent` has anywhere.
fn blocks_with(samples: &[i16], hz: f32, others: &[f32], absent: Option<f32>) -> (f64, f64) {
    let size = usize::try_from(RATE / 5).expect("rate");
    let candidates: Vec<f32> = std::iter::once(hz)
        .chain(others.iter().copied().filter(|f| (*f - hz).abs() > 1.0))
        .collect();
    let mut with = 0usize;
    let mut total = 0usize;
    let mut worst: f64 = 0.0;
    for block in samples.chunks_exact(size) {
        total += 1;
        if detect::dominant_tone(block, RATE, &candidates) == Some(hz)
            && detect::tone_present(block, RATE, hz)
        {
            with += 1;
        }
        if let Some(a) = absent {
            worst = worst.max(detect::tone_share(block, RATE, a).unwrap_or(0.0));
        }
    }
    let share = if total == 0 {
        0.0
    } else {
        f64::from(u32::try_from(with).unwrap_or(u32::MAX))
            / f64::from(u32::try_from(total).unwrap_or(u32::MAX))
    };
    (share, worst)
}

fn seconds(samples: usize) -> f64 {
    f64::from(u32::try_from(samples).unwrap_or(u32::MAX)) / f64::from(RATE)
}

/// `samples` is `duration` s long (±0.6 s: whole seconds, rounded) and nearly all 700 Hz.
fn caller_tone(name: &str, samples: &[i16], duration: u64, hz: f32, absent: Option<f32>) {
    let secs = seconds(samples.len());
    let want = f64::from(u32::try_from(duration).expect("duration"));
    eprintln!("{name}: {secs:.2} s of audio, RecordingDuration {duration}");
    assert!(
        (secs - want).abs() <= 0.6,
        "{name}: {secs:.2} s of audio for RecordingDuration {duration}"
    );
    let (share, worst) = blocks_with(samples, hz, &[440.0, 1000.0, 700.0, 300.0], absent);
    eprintln!(
        "{name}: {hz} Hz dominant in {:.0}% of 200 ms blocks; worst {absent:?} Hz share {worst:.3}",
        share * 100.0
    );
    assert!(
        share >= 0.9,
        "{name}: {hz} Hz in only {:.0}% of the 200 ms blocks",
        share * 100.0
    );
    if let Some(a) = absent {
        assert!(worst < 0.05, "{name}: {a} Hz has a share of {worst:.3}");
    }
}

#[test]
fn record_verb() {
    let dir = run_with_other_account("tests/e2e/whatsapp_record.py", &[]);
    let durations = durations(dir.path());
    for name in ["max", "key", "hangup"] {
        let wav = recording(dir.path(), &format!("{name}.wav"), 1);
        let duration: u64 = durations[name]
            .as_str()
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| panic!("{name}: duration {:?}", durations[name]));
        caller_tone(name, &wav.samples, duration, 700.0, None);
    }
}

/// The durations `whatsapp_dial_record.py` saved for `name`: (the dial's, the file's).
fn dial_durations(dir: &Path, name: &str) -> (u64, u64) {
    let text = std::fs::read_to_string(dir.join("dial.json")).expect("dial.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("dial.json is JSON");
    let get = |k: &str| {
        v[name][k]
            .as_str()
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| panic!("{name}: {k} duration {:?}", v[name][k]))
    };
    (get("dial"), get("file"))
}

/// One channel of a dual recording carries `hz` in at least `min_share` of its 200 ms blocks
/// and `absent` nowhere.
fn channel_tone(what: &str, samples: &[i16], hz: f32, absent: f32, min_share: f64) {
    let (share, worst) = blocks_with(samples, hz, &[absent], Some(absent));
    eprintln!(
        "{what}: {:.2} s; {hz} Hz in {:.0}% of 200 ms blocks; {absent} Hz share at most {worst:.3}",
        seconds(samples.len()),
        share * 100.0
    );
    assert!(
        share >= min_share,
        "{what}: {hz} Hz in only {:.0}% of the 200 ms blocks",
        share * 100.0
    );
    assert!(
        worst < 0.05,
        "{what}: {absent} Hz has a share of {worst:.3}"
    );
}

#[test]
fn dial_record_dual() {
    let dir = run_with_other_account("tests/e2e/whatsapp_dial_record.py", &[]);
    for name in ["answer", "ringing"] {
        let (dial, file) = dial_durations(dir.path(), name);
        let wav = recording(dir.path(), &format!("{name}.wav"), 2);
        let (parent, child) = (channel(&wav, 0), channel(&wav, 1));
        let secs = seconds(parent.len());
        eprintln!("{name}: {secs:.2} s, RecordingDuration {file} (dial {dial})");
        let want = f64::from(u32::try_from(file).expect("duration"));
        assert!(
            (secs - want).abs() <= 0.6,
            "{name}: {secs:.2} s of audio for RecordingDuration {file}"
        );
        // Channel 1: A, the parent (from the start); channel 2: B, once its media is up.
        channel_tone(&format!("{name} channel 1"), &parent, 440.0, 1000.0, 0.85);
        let (from, min) = if name == "ringing" {
            // B answers 2 s after it is called: nothing of B before.
            let ringing = usize::try_from(RATE).expect("rate") * 6 / 5;
            let early = blocks_with(&child[..ringing], 1000.0, &[440.0], None).0;
            assert!(
                early == 0.0,
                "{name}: channel 2 has B's tone while B rings ({:.0}% of blocks)",
                early * 100.0
            );
            (usize::try_from(RATE).expect("rate") * 5 / 2, 0.8)
        } else {
            (0, 0.75)
        };
        channel_tone(
            &format!("{name} channel 2"),
            &child[from.min(child.len())..],
            1000.0,
            440.0,
            min,
        );
    }
}

/// Runs `tests/e2e/whatsapp_record_restart.py`: when it prints `KILL`, the server is SIGKILLed
/// and started again on the same data directory and port, and the script is told
/// `RESTARTED`. Returns the directory the script saved its files into.
fn run_restart_script() -> tempfile::TempDir {
    use std::io::{BufRead as _, Write as _};
    use std::process::{Command, Stdio};

    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let python = python();
    let backend = Backend::Sqlite;
    let root = repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let heard = tempfile::tempdir().expect("heard dir");
    let main = Account::random();
    let app_secret = random_hex(16);
    let secrets = [("DIALTONE_WHATSAPP_APP_SECRET", app_secret.as_str())];
    let mut server = Server::start_with_env(dir.path(), &backend, &main, &secrets);
    let script = root.join("tests/e2e/whatsapp_record_restart.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .current_dir(script.parent().expect("script directory"))
        .env_remove("DIALTONE_OTHER_ACCOUNT_SID")
        .env_remove("DIALTONE_OTHER_AUTH_TOKEN")
        .env_remove("TWILIO_REGION")
        .env_remove("TWILIO_EDGE")
        .env("PYTHONPATH", root.join("tests/e2e"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .env("DIALTONE_BASE_URL", &server.url)
        .env("DIALTONE_ACCOUNT_SID", &main.sid)
        .env("DIALTONE_AUTH_TOKEN", &main.token)
        .env("DIALTONE_WHATSAPP_APP_SECRET", &app_secret)
        .env("DIALTONE_HEARD_DIR", heard.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the Python script");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut output = Vec::new();
    let mut killed = false;
    for line in std::io::BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        eprintln!("[script] {line}");
        if line == "KILL" && !killed {
            killed = true;
            let addr = server.addr().to_owned();
            let first_log = server.log();
            server.kill();
            eprintln!("killed the server; its log:\n{first_log}");
            server = Server::start_on(dir.path(), &backend, &main, &secrets, &addr);
            writeln!(stdin, "RESTARTED").expect("tell the script");
            stdin.flush().expect("flush");
        }
        output.push(line);
    }
    let result = child.wait_with_output().expect("wait for the script");
    let failures: Vec<String> = (!result.status.success())
        .then(|| {
            format!(
                "whatsapp_record_restart.py exited with {}\n--- stdout\n{}\n--- stderr\n{}",
                result.status,
                output.join("\n"),
                String::from_utf8_lossy(&result.stderr)
            )
        })
        .into_iter()
        .collect();
    assert!(
        killed || !failures.is_empty(),
        "the script never asked for the kill"
    );
    finish(server, &failures);
    heard
}

#[test]
fn restart_mid_record() {
    let dir = run_restart_script();
    let duration: u64 = durations(dir.path())["long"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .expect("long: duration");
    let wav = recording(dir.path(), "long.wav", 1);
    caller_tone("long (recovered)", &wav.samples, duration, 700.0, None);
}
