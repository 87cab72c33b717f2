//! End-to-end: recordings kept in S3 (`--recordings-store s3`) on a real S3-compatible server,
//! moto's, started on a free loopback port by this test.
//!
//! `tests/e2e/whatsapp_record_s3.py` (twilio-python, boto3) creates the bucket, then has a
//! simulated WhatsApp user with `Audio=tone:700` call an application answering `<Record
//! maxLength="3">`, and checks the upload, ranged GETs, MP3 and DELETE (see the script); this
//! test checks the downloaded WAV with Goertzel (700 Hz), that the spool was emptied, and that a
//! bad bucket stops `dialtone serve` at start. Needs `DIALTONE_PYTHON` with twilio 9.x and
//! `moto[server]` (`.ci/services.sh` installs both): without them the test fails.

mod e2e_common;

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dialtone_media::audio::{Wav, detect};
use e2e_common::scripts::{Runner, finish};
use e2e_common::{Account, Backend, Server, missing, python, random_hex, repo_root};

const SCRIPT: &str = "tests/e2e/whatsapp_record_s3.py";
const PREFIX: &str = "calls/recordings/";

/// moto's S3 server on loopback; killed on drop.
struct Moto {
    child: Child,
    endpoint: String,
    log: std::path::PathBuf,
}

impl Moto {
    fn start(python: &str, dir: &Path) -> Self {
        let probe = Command::new(python)
            .args(["-c", "import moto.server, boto3"])
            .output()
            .expect("run DIALTONE_PYTHON");
        if !probe.status.success() {
            missing(&format!(
                "DIALTONE_PYTHON={python} has no moto server for the S3 recordings test \
                 (`pip install 'moto[server]>=5.1,<6'`): {}",
                String::from_utf8_lossy(&probe.stderr).trim()
            ));
        }
        // A free port: bound, read, released for moto.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let log = dir.join("moto.log");
        let out = std::fs::File::create(&log).expect("moto log");
        let child = Command::new(python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("moto log"))
            .stderr(out)
            .spawn()
            .expect("start moto's server");
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_mins(1);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto's server did not listen on {port}; log:\n{}",
                std::fs::read_to_string(&moto.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server's S3 settings (and moto's dummy credentials) as environment variables.
fn s3_env<'a>(endpoint: &'a str, bucket: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("DIALTONE_RECORDINGS_STORE", "s3"),
        ("DIALTONE_RECORDINGS_BUCKET", bucket),
        ("DIALTONE_RECORDINGS_PREFIX", PREFIX),
        ("DIALTONE_RECORDINGS_ENDPOINT", endpoint),
        ("DIALTONE_RECORDINGS_ALLOW_HTTP", "true"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
    ]
}

/// Creates `bucket` with boto3 (before the server starts: it lists the bucket at start-up).
fn create_bucket(python: &str, endpoint: &str, bucket: &str) {
    let output = Command::new(python)
        .args([
            "-c",
            "import sys, boto3; boto3.client('s3', endpoint_url=sys.argv[1], \
             region_name='us-east-1').create_bucket(Bucket=sys.argv[2])",
            endpoint,
            bucket,
        ])
        .envs(s3_env(endpoint, bucket))
        .output()
        .expect("run DIALTONE_PYTHON");
    assert!(
        output.status.success(),
        "creating bucket {bucket}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Files under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// `dialtone serve` with the S3 store on a bucket that does not exist exits at once, saying so.
fn missing_bucket_stops_the_start(dir: &Path, endpoint: &str) {
    let bucket = format!("absent-{}", random_hex(4));
    let account = Account::random();
    let output = Command::new(env!("CARGO_BIN_EXE_dialtone"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env_remove("DIALTONE_CONFIG")
        .env_remove("DIALTONE_DATABASE_URL")
        .env("DIALTONE_ACCOUNT_SID", &account.sid)
        .env("DIALTONE_AUTH_TOKEN", &account.token)
        .envs(s3_env(endpoint, &bucket))
        .stdin(Stdio::null())
        .output()
        .expect("run dialtone serve");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "exit status; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("recordings: bucket \"{bucket}\" cannot be listed")),
        "stderr:\n{stderr}"
    );
    // And a configuration error (no bucket) is exit code 2, naming the setting.
    let output = Command::new(env!("CARGO_BIN_EXE_dialtone"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .args(["--recordings-store", "s3"])
        .env_remove("DIALTONE_RECORDINGS_BUCKET")
        .env_remove("DIALTONE_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("run dialtone serve");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(2),
        "exit status; stderr:\n{stderr}"
    );
    assert!(
        stderr.contains("needs a bucket (--recordings-bucket"),
        "stderr:\n{stderr}"
    );
}

#[test]
fn record_to_s3_upload_range_mp3_delete() {
    let python = python();
    let backend = Backend::Sqlite;
    let root = repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let heard = tempfile::tempdir().expect("heard dir");
    let moto = Moto::start(&python, dir.path());
    missing_bucket_stops_the_start(&dir.path().join("refused"), &moto.endpoint);

    let bucket = format!("dialtone-{}", random_hex(4));
    let main = Account::random();
    let app_secret = random_hex(16);
    let heard_dir = heard.path().to_str().expect("UTF-8 temp path").to_owned();
    let mut env = s3_env(&moto.endpoint, &bucket);
    env.extend([
        ("DIALTONE_WHATSAPP_APP_SECRET", app_secret.as_str()),
        ("DIALTONE_HEARD_DIR", heard_dir.as_str()),
        ("DIALTONE_S3_ENDPOINT", moto.endpoint.as_str()),
        ("DIALTONE_S3_BUCKET", bucket.as_str()),
        ("DIALTONE_S3_PREFIX", PREFIX),
    ]);
    create_bucket(&python, &moto.endpoint, &bucket);
    let data_dir = dir.path().join("data");
    std::fs::create_dir_all(&data_dir).expect("data dir");
    let server = Server::start_with_env(&data_dir, &backend, &main, &env);
    let runner = Runner {
        python: &python,
        root: &root,
        server: &server,
        backend: &backend,
        account: &main,
        env: &env,
    };
    let failures: Vec<String> = runner.run(SCRIPT, &[]).failure.into_iter().collect();
    let log = finish(server, &failures);
    drop(moto);

    assert!(
        log.contains("recordings stored in S3"),
        "the server did not report the S3 store:\n{log}"
    );
    let spool = data_dir.join("recordings-spool");
    assert_eq!(
        files_under(&spool),
        Vec::<std::path::PathBuf>::new(),
        "spool emptied"
    );
    assert!(!data_dir.join("recordings").exists(), "no filesystem store");

    let bytes = std::fs::read(heard.path().join("recording.wav")).expect("recording.wav");
    let wav = Wav::read(&bytes).expect("a WAV file");
    assert_eq!((wav.channels, wav.sample_rate), (1, 8000), "8 kHz mono");
    let rate = 8000usize;
    assert!(
        wav.samples.len() >= 2 * rate,
        "{} samples",
        wav.samples.len()
    );
    // The second second: the user's tone is flowing by then, whatever the load.
    let window = &wav.samples[rate..2 * rate];
    let share = |hz| detect::tone_share(window, 8000, hz).unwrap_or(0.0);
    eprintln!(
        "recording: {} samples; 700 Hz share {:.3}, 440 Hz share {:.3}",
        wav.samples.len(),
        share(700.0),
        share(440.0)
    );
    assert!(detect::tone_present(window, 8000, 700.0), "700 Hz recorded");
    assert_eq!(
        detect::dominant_tone(window, 8000, &[700.0, 440.0, 1000.0]),
        Some(700.0)
    );
}
