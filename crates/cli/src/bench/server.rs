//! The server under test: `dialtone serve` started as a child process of the bench (this same
//! executable) on a free loopback port, killed when the bench ends or is interrupted.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Linux reports process CPU times in `USER_HZ` ticks, 100 per second on every architecture
/// the kernel's userspace ABI covers.
const TICKS_PER_SECOND: u64 = 100;

/// The server under test, killed when dropped.
pub(super) struct ServerProcess {
    child: Child,
    pub(super) url: String,
    pub(super) log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// CPU time (user + system) the server has used so far, from `/proc/{pid}/stat`; `None`
    /// where there is no such file.
    pub(super) fn cpu_time(&self) -> Option<Duration> {
        process_cpu_time(&format!("/proc/{}/stat", self.child.id()))
    }

    /// Copies the server's log next to the other temporary files, where it outlives the bench.
    pub(super) fn keep_log(&self) -> PathBuf {
        let kept = std::env::temp_dir().join("dialtone-bench-serve.log");
        match std::fs::copy(&self.log, &kept) {
            Ok(_) => kept,
            Err(_) => self.log.clone(),
        }
    }
}

/// CPU time of the bench process itself.
pub(super) fn own_cpu_time() -> Option<Duration> {
    process_cpu_time("/proc/self/stat")
}

/// `utime + stime` (fields 14 and 15) of a `/proc/*/stat` file.
fn process_cpu_time(path: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) is parenthesised and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}

/// `bytes` random bytes from the OS, as lower-case hex.
pub(super) fn random_hex(bytes: usize) -> Result<String, String> {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).map_err(|e| format!("no OS random numbers: {e}"))?;
    Ok(b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    }))
}

/// Starts `dialtone serve` (default configuration: the embedded WhatsApp simulator included)
/// and reads the address from its banner. Its admission limit is at least `concurrency`, so
/// the bench's creates are never refused 429: it measures the server, not its throttle.
/// `extra` are more `serve` arguments (`--transcode-bridges`).
pub(super) fn start_server(
    database_url: Option<&str>,
    sid: &str,
    token: &str,
    concurrency: u32,
    extra: &[&str],
) -> Result<ServerProcess, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let dir =
        tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let log = dir.path().join("serve.log");
    let log_file =
        std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let mut cmd = Command::new(exe);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path());
    if let Some(url) = database_url {
        cmd.arg("--database-url").arg(url);
    }
    let max_call_requests = usize::try_from(concurrency)
        .unwrap_or(usize::MAX)
        .max(dialtone_api::DEFAULT_MAX_CALL_REQUESTS);
    cmd.arg("--max-call-requests")
        .arg(max_call_requests.to_string())
        .args(extra);
    for var in [
        "DIALTONE_LISTEN",
        "DIALTONE_DATA_DIR",
        "DIALTONE_DATABASE_URL",
        "DIALTONE_PUBLIC_URL",
        "DIALTONE_CONFIG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("DIALTONE_ACCOUNT_SID", sid)
        .env("DIALTONE_AUTH_TOKEN", token)
        .env(
            "DIALTONE_LOG",
            std::env::var("DIALTONE_LOG").unwrap_or_else(|_| "warn".to_owned()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log_file);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start dialtone serve: {e}"))?;
    let Some(stdout) = child.stdout.take() else {
        let _ = child.kill();
        return Err("no stdout from dialtone serve".to_owned());
    };
    let mut server = ServerProcess {
        child,
        url: String::new(),
        log,
        _dir: dir,
    };
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.map_err(|e| format!("reading dialtone serve's banner: {e}"))?;
        if let Some(url) = line.strip_prefix("dialtone listening on ") {
            url.trim().clone_into(&mut server.url);
        }
        if line.starts_with("Auth token:") {
            break;
        }
    }
    if server.url.is_empty() {
        let log = std::fs::read_to_string(&server.log).unwrap_or_default();
        return Err(format!("dialtone serve did not start:\n{log}"));
    }
    // Keep draining stdout so the server never blocks on it.
    std::thread::spawn(move || lines.for_each(drop));
    Ok(server)
}
