//! Running the twilio-python scripts against a started server, and judging the run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use super::{Account, Backend, Server};

/// What one script run left behind.
pub struct ScriptRun {
    /// The script and its arguments, for messages.
    pub name: String,
    /// Its standard output.
    pub stdout: String,
    /// Why it failed (exit status, output), if it did.
    pub failure: Option<String>,
}

/// Where and as whom scripts run: `script` (relative to `root`) runs against `server` as
/// `account`, with `env` added; `DIALTONE_OTHER_*` and twilio-python's region/edge settings
/// are removed unless `env` sets them.
pub struct Runner<'a> {
    /// The Python with `twilio` installed.
    pub python: &'a str,
    /// The repository root.
    pub root: &'a Path,
    /// The server under test.
    pub server: &'a Server,
    /// Its database, for messages.
    pub backend: &'a Backend,
    /// The account the scripts use.
    pub account: &'a Account,
    /// Extra environment.
    pub env: &'a [(&'a str, &'a str)],
}

impl Runner<'_> {
    /// Runs `script` with `args`; the output is echoed for the test log.
    pub fn run(&self, script: &str, args: &[&str]) -> ScriptRun {
        let Self {
            python,
            root,
            server,
            backend,
            account,
            env,
        } = *self;
        let started = Instant::now();
        let path = root.join(script);
        let mut command = Command::new(python);
        command
            .arg(&path)
            .args(args)
            .current_dir(path.parent().expect("script directory"))
            .env_remove("DIALTONE_OTHER_ACCOUNT_SID")
            .env_remove("DIALTONE_OTHER_AUTH_TOKEN")
            .env_remove("TWILIO_REGION")
            .env_remove("TWILIO_EDGE")
            .env("PYTHONPATH", root.join("tests/e2e"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("DIALTONE_BASE_URL", &server.url)
            .env("DIALTONE_ACCOUNT_SID", &account.sid)
            .env("DIALTONE_AUTH_TOKEN", &account.token)
            .envs(env.iter().copied());
        let output = command.output().expect("run the Python script");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let name = std::iter::once(script)
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        eprintln!(
            "[{}] {name}: {} in {:.1?}\n{stdout}",
            backend.name(),
            output.status,
            started.elapsed()
        );
        let failure = (!output.status.success()).then(|| {
            format!(
                "{name} ({}) exited with {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                backend.name(),
                output.status
            )
        });
        ScriptRun {
            name,
            stdout,
            failure,
        }
    }
}

/// Stops `server` and fails the test with every failure and the server's log if a script
/// failed, the server exited badly or logged an error. Returns the log.
pub fn finish(server: Server, failures: &[String]) -> String {
    let log = server.log();
    let status = server.stop();
    assert!(
        failures.is_empty(),
        "{} script(s) failed:\n{}\n--- server log\n{log}",
        failures.len(),
        failures.join("\n")
    );
    assert!(status.success(), "server exited with {status}; log:\n{log}");
    assert!(
        !log.lines()
            .any(|l| l.split_whitespace().nth(1) == Some("ERROR")),
        "the server logged errors:\n{log}"
    );
    log
}

/// Runs `script args` against a fresh SQLite server with the embedded WhatsApp simulator and
/// judges the run ([`finish`]); the script saves the `Heard.wav` files it downloads into the
/// returned directory (`DIALTONE_HEARD_DIR`).
pub fn run_heard_script(script: &str, args: &[&str]) -> tempfile::TempDir {
    run_heard(script, args, None)
}

/// [`run_heard_script`] with a second account in the database, passed to the script as
/// `DIALTONE_OTHER_ACCOUNT_SID` / `DIALTONE_OTHER_AUTH_TOKEN` (for scoping checks).
pub fn run_heard_script_with_other_account(script: &str, args: &[&str]) -> tempfile::TempDir {
    run_heard(script, args, Some(&Account::random()))
}

fn run_heard(script: &str, args: &[&str], other: Option<&Account>) -> tempfile::TempDir {
    let python = super::python();
    let backend = Backend::Sqlite;
    let root = super::repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let heard = tempfile::tempdir().expect("heard dir");
    let main = Account::random();
    let app_secret = super::random_hex(16);
    let secrets = [("DIALTONE_WHATSAPP_APP_SECRET", app_secret.as_str())];
    if let Some(other) = other {
        // First start: the other account becomes the bootstrap account and is stored.
        let first = Server::start_with_env(dir.path(), &backend, other, &secrets);
        let status = first.stop();
        assert!(status.success(), "first start exited with {status}");
    }
    let server = Server::start_with_env(dir.path(), &backend, &main, &secrets);
    let heard_dir = heard.path().to_str().expect("UTF-8 temp path").to_owned();
    let mut env = vec![
        ("DIALTONE_HEARD_DIR", heard_dir.as_str()),
        ("DIALTONE_WHATSAPP_APP_SECRET", app_secret.as_str()),
    ];
    if let Some(other) = other {
        env.push(("DIALTONE_OTHER_ACCOUNT_SID", other.sid.as_str()));
        env.push(("DIALTONE_OTHER_AUTH_TOKEN", other.token.as_str()));
    }
    let runner = Runner {
        python: &python,
        root: &root,
        server: &server,
        backend: &backend,
        account: &main,
        env: &env,
    };
    let run = runner.run(script, args);
    let failures: Vec<String> = run.failure.into_iter().collect();
    finish(server, &failures);
    heard
}
