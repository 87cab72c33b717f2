//! Shared pieces of the end-to-end tests: the real `dialtone` binary started as `dialtone
//! serve` on a free loopback port (stopped, or killed, whatever happens to the test), and the
//! database it uses: a SQLite file in a temporary data directory, or a fresh PostgreSQL
//! database created on `DIALTONE_TEST_POSTGRES_URL` and dropped afterwards.
#![allow(dead_code)] // each test binary uses its own subset

pub mod scripts;

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long `dialtone serve` may take to print its banner.
const START_TIMEOUT: Duration = Duration::from_mins(1);
/// How long a graceful stop (SIGTERM) may take.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// `n` random bytes as lower-case hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("OS random numbers");
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// An account's credentials.
#[derive(Debug, Clone)]
pub struct Account {
    /// `AC` + 32 hex digits.
    pub sid: String,
    /// 32 hex digits.
    pub token: String,
}

impl Account {
    /// A new random account (created by the server at start-up when configured).
    pub fn random() -> Self {
        Self {
            sid: format!("AC{}", random_hex(16)),
            token: random_hex(16),
        }
    }
}

/// Fails the test because a prerequisite is missing: a test whose prerequisites are missing
/// fails, it never passes having checked nothing.
#[track_caller]
pub fn missing(what: &str) -> ! {
    panic!(
        "{what}\n`.ci/test` provisions everything the tests need and runs them \
         (see README.md, Quickstart)"
    )
}

/// The repository's root directory (the end-to-end scripts live under `tests/e2e/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

/// `$DIALTONE_PYTHON`, checked to import twilio 9.x; the test fails when it is missing.
pub fn python() -> String {
    let Some(python) = std::env::var("DIALTONE_PYTHON")
        .ok()
        .filter(|p| !p.is_empty())
    else {
        missing(
            "DIALTONE_PYTHON is not set: the end-to-end tests need a Python with \
             `pip install 'twilio>=9.13,<10'`",
        );
    };
    let probe = Command::new(&python)
        .args(["-c", "import twilio; print(twilio.__version__)"])
        .output()
        .unwrap_or_else(|e| missing(&format!("DIALTONE_PYTHON={python} cannot run: {e}")));
    let version = String::from_utf8_lossy(&probe.stdout).trim().to_owned();
    if !(probe.status.success() && version.starts_with("9.")) {
        missing(&format!(
            "DIALTONE_PYTHON={python} has no twilio 9.x (`pip install 'twilio>=9.13,<10'`): \
             {version} {}",
            String::from_utf8_lossy(&probe.stderr)
        ));
    }
    python
}

/// Where the server keeps its state.
#[derive(Debug)]
pub enum Backend {
    /// SQLite in the server's data directory.
    Sqlite,
    /// A database of its own on a PostgreSQL server, dropped on drop.
    Postgres(PgDatabase),
}

impl Backend {
    /// PostgreSQL from `DIALTONE_TEST_POSTGRES_URL` with a fresh database; the test fails when
    /// the variable is unset.
    pub fn postgres(label: &str) -> Self {
        match std::env::var("DIALTONE_TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => Self::Postgres(PgDatabase::create(&url, label)),
            _ => missing(
                "DIALTONE_TEST_POSTGRES_URL is not set: the PostgreSQL tests need a server on \
                 which they may create databases (postgres://USER@HOST:PORT/DB)",
            ),
        }
    }

    /// The `--database-url` argument, if any.
    fn database_url(&self) -> Option<&str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres(db) => Some(&db.url),
        }
    }

    /// A name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres(_) => "PostgreSQL",
        }
    }
}

/// A PostgreSQL database created for one test and dropped afterwards.
#[derive(Debug)]
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

impl PgDatabase {
    fn create(admin_url: &str, label: &str) -> Self {
        use sqlx::Connection as _;
        let name = format!("dialtone_{label}_{}", random_hex(6));
        let mut url = url::Url::parse(admin_url).expect("DIALTONE_TEST_POSTGRES_URL is a URL");
        url.set_path(&format!("/{name}"));
        block_on(async {
            let mut conn = sqlx::PgConnection::connect(admin_url)
                .await
                .expect("connect to DIALTONE_TEST_POSTGRES_URL");
            // `name` is `dialtone_` + a label and hex digits: nothing to inject.
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("CREATE DATABASE");
            let _ = conn.close().await;
        });
        Self {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        use sqlx::Connection as _;
        block_on(async {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin_url).await {
                let dropped = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                )))
                .execute(&mut conn)
                .await;
                if let Err(e) = dropped {
                    eprintln!("could not drop test database {}: {e}", self.name);
                }
                let _ = conn.close().await;
            }
        });
    }
}

/// `text` without ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // Skip up to and including the sequence's final letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A running `dialtone serve`; killed (SIGKILL) on drop unless stopped before.
#[derive(Debug)]
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The data directory.
    pub data_dir: PathBuf,
    stderr_path: PathBuf,
}

impl Server {
    /// Starts `dialtone serve --listen 127.0.0.1:0 --data-dir {data_dir}` with `account` as its
    /// bootstrap account and waits for its banner.
    pub fn start(data_dir: &Path, backend: &Backend, account: &Account) -> Self {
        Self::start_with_env(data_dir, backend, account, &[])
    }

    /// [`Server::start`] with extra environment variables (settings such as
    /// `DIALTONE_WHATSAPP_APP_SECRET`).
    pub fn start_with_env(
        data_dir: &Path,
        backend: &Backend,
        account: &Account,
        env: &[(&str, &str)],
    ) -> Self {
        Self::start_on(data_dir, backend, account, env, "127.0.0.1:0")
    }

    /// [`Server::start_with_env`] listening on `listen` (`127.0.0.1:PORT`): a restart on the
    /// port of the server it replaces keeps every URL the clients hold valid.
    pub fn start_on(
        data_dir: &Path,
        backend: &Backend,
        account: &Account,
        env: &[(&str, &str)],
        listen: &str,
    ) -> Self {
        let stderr_path = data_dir.join(format!("serve-{}.log", random_hex(4)));
        let stderr = std::fs::File::create(&stderr_path).expect("server log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_dialtone"));
        cmd.arg("serve")
            .arg("--listen")
            .arg(listen)
            .arg("--data-dir")
            .arg(data_dir);
        if let Some(url) = backend.database_url() {
            cmd.arg("--database-url").arg(url);
        }
        for var in [
            "DIALTONE_LISTEN",
            "DIALTONE_DATA_DIR",
            "DIALTONE_DATABASE_URL",
            "DIALTONE_PUBLIC_URL",
            "DIALTONE_CONFIG",
            "DIALTONE_MAX_CALL_REQUESTS",
            "DIALTONE_WHATSAPP_MODE",
            "DIALTONE_WHATSAPP_GRAPH_URL",
            "DIALTONE_WHATSAPP_GRAPH_VERSION",
            "DIALTONE_WHATSAPP_ACCESS_TOKEN",
            "DIALTONE_WHATSAPP_APP_SECRET",
            "DIALTONE_WHATSAPP_VERIFY_TOKEN",
            "DIALTONE_RECORDINGS_STORE",
            "DIALTONE_RECORDINGS_BUCKET",
            "DIALTONE_RECORDINGS_PREFIX",
            "DIALTONE_RECORDINGS_ENDPOINT",
            "DIALTONE_RECORDINGS_REGION",
            "DIALTONE_RECORDINGS_ALLOW_HTTP",
            "DIALTONE_SIMULATOR_CONTENT_APPROVAL",
            "DIALTONE_SIMULATOR_CONTENT_APPROVAL_DELAY_SECONDS",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("DIALTONE_ACCOUNT_SID", &account.sid)
            .env("DIALTONE_AUTH_TOKEN", &account.token)
            .env("DIALTONE_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let mut child = cmd.spawn().expect("spawn dialtone serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        // Reads the banner, then keeps draining stdout so the server never blocks on it.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Nobody listens any more; keep draining.
                }
            }
        });
        let mut server = Self {
            child: Some(child),
            url: String::new(),
            data_dir: data_dir.to_owned(),
            stderr_path,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let mut banner = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("dialtone listening on ") {
                        url.trim().clone_into(&mut server.url);
                    }
                    let done = line.starts_with("Auth token:");
                    banner.push(line);
                    if done {
                        break;
                    }
                }
                Err(e) => panic!(
                    "dialtone serve did not print its banner ({e}); stdout: {banner:?}\nserver log:\n{}",
                    server.log()
                ),
            }
        }
        assert!(
            server.url.starts_with("http://127.0.0.1:"),
            "unexpected banner {banner:?}"
        );
        assert!(
            banner
                .iter()
                .any(|l| l == &format!("Account SID: {}", account.sid)),
            "banner does not name the configured account: {banner:?}"
        );
        server.wait_healthy(deadline);
        server
    }

    /// Waits for `GET /healthz` to answer 200. Besides readiness this matters for signals: the
    /// server installs its SIGTERM handler when it starts serving, a little after its banner,
    /// and a SIGTERM before that would kill it outright.
    fn wait_healthy(&self, deadline: Instant) {
        use std::io::Write as _;
        let addr = self.url.trim_start_matches("http://").to_owned();
        loop {
            let answer = std::net::TcpStream::connect(&addr).and_then(|mut s| {
                s.set_read_timeout(Some(Duration::from_secs(5)))?;
                write!(
                    s,
                    "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
                )?;
                let mut text = String::new();
                s.read_to_string(&mut text)?;
                Ok(text)
            });
            if answer.is_ok_and(|text| text.starts_with("HTTP/1.1 200")) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "dialtone serve never answered GET /healthz; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's stderr (its log) so far, without terminal colour codes.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.stderr_path) {
            let _ = f.read_to_string(&mut text);
        }
        strip_ansi(&text)
    }

    /// The listening address, `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGTERM, then waits for a graceful exit; returns its status.
    pub fn stop(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().expect("wait for dialtone serve") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "dialtone serve did not stop within {STOP_TIMEOUT:?} of SIGTERM; log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL (`Child::kill` on Unix), as a crash.
    pub fn kill(mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL dialtone serve");
        let status = child.wait().expect("reap dialtone serve");
        assert!(!status.success(), "killed server exited cleanly: {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
