//! End-to-end: `<Dial><WhatsApp>` through the real `dialtone serve`, which runs the embedded
//! WhatsApp simulator by default (`[whatsapp] mode = "simulator"`): Dialtone's connector calls
//! the simulator's Graph endpoints, receives its signed webhooks and connects a WebRTC media
//! leg to each simulated user, exactly as it would with Meta.
//!
//! The scripts (`tests/e2e/whatsapp_dial.py`, `tests/e2e/whatsapp_inbound.py`,
//! `examples/whatsapp_quickstart.py`) drive the server with twilio-python and check every
//! webhook with its `RequestValidator`. On SQLite each outcome is a test of its own, with its
//! own server; on PostgreSQL one server runs them all. The prerequisites are those of `e2e.rs`
//! (`DIALTONE_PYTHON`, `DIALTONE_TEST_POSTGRES_URL`): without them the tests fail.
//!
//! Each server gets a random Meta app secret and verify token (`DIALTONE_WHATSAPP_APP_SECRET`,
//! `DIALTONE_WHATSAPP_VERIFY_TOKEN`, which the simulator then uses too), passed to the scripts
//! so that the fault scenario can sign webhooks like Meta, or not; neither may appear in the
//! server's log.

mod e2e_common;

use e2e_common::scripts::{Runner, finish};
use e2e_common::{Account, Backend, Server, python, random_hex, repo_root};

const DIAL: &str = "tests/e2e/whatsapp_dial.py";
const INBOUND: &str = "tests/e2e/whatsapp_inbound.py";
const QUICKSTART: &str = "examples/whatsapp_quickstart.py";

/// Every scenario of `whatsapp_dial.py`, in the order the PostgreSQL run uses.
const DIAL_SCENARIOS: &[&str] = &[
    "answered-user-hangup",
    "answered-agent-hangup",
    "busy",
    "rejected",
    "no-answer",
    "no-permission",
    "unreachable",
    "whisper-hangup",
    "whisper-gather",
    "forged-webhooks",
    "rest-call",
];

/// One script run: the script and its arguments.
type Run<'a> = (&'a str, Vec<&'a str>);

/// Starts a server on `backend`, runs `runs` against it in order, stops it, and fails with
/// every script's output and the server log if anything went wrong (a script failed, the
/// server exited badly, logged an error or a WhatsApp secret). Returns the server's log.
fn run_against(python: &str, backend: &Backend, runs: &[Run<'_>]) -> String {
    let root = repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let account = Account::random();
    let app_secret = random_hex(16);
    let verify_token = random_hex(16);
    let secrets = [
        ("DIALTONE_WHATSAPP_APP_SECRET", app_secret.as_str()),
        ("DIALTONE_WHATSAPP_VERIFY_TOKEN", verify_token.as_str()),
    ];
    let server = Server::start_with_env(dir.path(), backend, &account, &secrets);

    let mut failures = Vec::new();
    let runner = Runner {
        python,
        root: &root,
        server: &server,
        backend,
        account: &account,
        env: &secrets,
    };
    for (script, args) in runs {
        let run = runner.run(script, args);
        if let Some(failure) = run.failure {
            failures.push(failure);
        } else if *script == QUICKSTART
            && let Err(e) = quickstart_line(&run.stdout)
        {
            failures.push(e);
        }
    }
    let log = finish(server, &failures);
    assert!(
        !log.contains(&app_secret) && !log.contains(&verify_token),
        "the server logged a WhatsApp secret:\n{log}"
    );
    log
}

/// The WhatsApp quickstart prints the WhatsApp call it placed: `CA... whatsapp:+U completed`.
fn quickstart_line(stdout: &str) -> Result<(), String> {
    let line = stdout.lines().last().unwrap_or_default();
    let words: Vec<&str> = line.split(' ').collect();
    let ok = words.len() == 3
        && words[0].len() == 34
        && words[0].starts_with("CA")
        && words[1] == "whatsapp:+5511912345678"
        && words[2] == "completed";
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the WhatsApp quickstart printed {line:?}, expected `CA... whatsapp:+5511912345678 completed`"
        ))
    }
}

/// Runs `runs` on SQLite; the server's log.
fn on_sqlite(runs: &[Run<'_>]) -> String {
    run_against(&python(), &Backend::Sqlite, runs)
}

/// How many lines of `log` are warnings containing `text`.
fn warnings(log: &str, text: &str) -> usize {
    log.lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("WARN") && l.contains(text))
        .count()
}

fn dial(scenario: &str) -> Run<'_> {
    (DIAL, vec![scenario])
}

#[test]
fn answered_then_hung_up_by_the_whatsapp_user() {
    on_sqlite(&[dial("answered-user-hangup")]);
}

#[test]
fn answered_then_hung_up_by_the_agent_side() {
    on_sqlite(&[dial("answered-agent-hangup")]);
}

#[test]
fn busy_user() {
    on_sqlite(&[dial("busy")]);
}

#[test]
fn user_declines_is_busy() {
    on_sqlite(&[dial("rejected")]);
}

#[test]
fn no_answer_within_the_dial_timeout() {
    on_sqlite(&[dial("no-answer")]);
}

#[test]
fn no_permission_is_37000() {
    on_sqlite(&[dial("no-permission")]);
}

#[test]
fn unreachable_user() {
    on_sqlite(&[dial("unreachable")]);
}

#[test]
fn whisper_hangup_declines() {
    on_sqlite(&[dial("whisper-hangup")]);
}

#[test]
fn whisper_gather_gets_the_users_digit() {
    on_sqlite(&[dial("whisper-gather")]);
}

#[test]
fn forged_webhooks_leave_a_live_call_alone() {
    let log = on_sqlite(&[dial("forged-webhooks")]);
    // Every refusal is logged, once.
    assert_eq!(
        (
            warnings(&log, "WhatsApp webhook refused: signature"),
            warnings(&log, "WhatsApp webhook refused: not a notification"),
            warnings(&log, "WhatsApp webhook subscription check refused"),
        ),
        (5, 1, 1),
        "refusals in the log:\n{log}"
    );
}

#[test]
fn rest_call_to_a_whatsapp_user() {
    on_sqlite(&[dial("rest-call")]);
}

#[test]
fn whatsapp_user_calls_the_business() {
    on_sqlite(&[(INBOUND, Vec::new())]);
}

#[test]
fn whatsapp_quickstart_from_the_readme() {
    on_sqlite(&[(QUICKSTART, Vec::new())]);
}

#[test]
fn every_whatsapp_scenario_on_postgres() {
    let python = python();
    let backend = Backend::postgres("e2e_whatsapp");
    let mut runs: Vec<Run<'_>> = DIAL_SCENARIOS.iter().map(|s| dial(s)).collect();
    runs.push((INBOUND, Vec::new()));
    runs.push((QUICKSTART, Vec::new()));
    run_against(&python, &backend, &runs);
}

/// The README shows `examples/whatsapp_quickstart.py` verbatim: what readers copy is what
/// `whatsapp_quickstart_from_the_readme` runs.
#[test]
fn readme_shows_the_whatsapp_quickstart_verbatim() {
    let root = repo_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let example = std::fs::read_to_string(root.join(QUICKSTART)).expect("the WhatsApp quickstart");
    assert!(
        readme.contains(&format!("```python\n{example}```")),
        "README.md does not show {QUICKSTART} verbatim in a ```python block"
    );
}
