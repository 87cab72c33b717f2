//! End-to-end: the real `dialtone serve` driven by Twilio's official Python helper library.
//!
//! Each backend gets one server with two accounts (the second exists so that isolation is
//! tested against a real other account, not only a random SID: the server is started once
//! with it as the bootstrap account, then restarted with the first). The scripts in
//! `tests/e2e/` at the repository root, and `examples/quickstart.py`, run against it with
//! `$DIALTONE_PYTHON` (a Python with `twilio` 9.x installed, as `.ci/test` sets up); each
//! checks every webhook it receives with `twilio.request_validator.RequestValidator`.
//!
//! PostgreSQL runs in a fresh database on the server named by `DIALTONE_TEST_POSTGRES_URL`.
//! Without `DIALTONE_PYTHON` (or `DIALTONE_TEST_POSTGRES_URL`) the tests fail, naming what is
//! missing; `.ci/test` provisions both.

mod e2e_common;

use e2e_common::scripts::{Runner, finish};
use e2e_common::{Account, Backend, Server, python, repo_root};

/// The scripts, run in this order against one server.
const SCRIPTS: &[&str] = &[
    "tests/e2e/calls_rest.py",
    "tests/e2e/status_callbacks.py",
    "tests/e2e/applications_dial.py",
    "tests/e2e/auth_isolation.py",
    "tests/e2e/webhooks_keys.py",
    "tests/e2e/senders.py",
    "examples/quickstart.py",
];

fn run_suite(python: &str, backend: &Backend) {
    let root = repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let main = Account::random();
    let other = Account::random();
    // First start: the second account becomes the bootstrap account and is stored.
    let first = Server::start(dir.path(), backend, &other);
    let status = first.stop();
    assert!(status.success(), "first start exited with {status}");
    let server = Server::start(dir.path(), backend, &main);

    let mut failures = Vec::new();
    let other_env = [
        ("DIALTONE_OTHER_ACCOUNT_SID", other.sid.as_str()),
        ("DIALTONE_OTHER_AUTH_TOKEN", other.token.as_str()),
    ];
    let runner = Runner {
        python,
        root: &root,
        server: &server,
        backend,
        account: &main,
        env: &other_env,
    };
    for script in SCRIPTS {
        let run = runner.run(script, &[]);
        if let Some(failure) = run.failure {
            failures.push(failure);
            continue;
        }
        // The quickstart prints the call it placed; check the line, not only the exit code.
        if script.ends_with("quickstart.py") {
            let line = run.stdout.lines().last().unwrap_or_default();
            let words: Vec<&str> = line.split(' ').collect();
            let ok = words.len() == 3
                && words[0].len() == 34
                && words[0].starts_with("CA")
                && words[1] == "completed"
                && words[2] == "1";
            if !ok {
                failures.push(format!(
                    "quickstart printed {line:?}, expected `CA... completed 1`"
                ));
            }
        }
    }
    finish(server, &failures);
}

#[test]
fn twilio_python_against_sqlite() {
    run_suite(&python(), &Backend::Sqlite);
}

#[test]
fn twilio_python_against_postgres() {
    let python = python();
    run_suite(&python, &Backend::postgres("e2e"));
}
