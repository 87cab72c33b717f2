//! End-to-end: the Content API through the real binary and twilio-python
//! (`tests/e2e/content.py`): a VOICE_CALL_REQUEST call-to-action content created, fetched,
//! listed, submitted for WhatsApp approval and approved by the simulator after
//! `DIALTONE_SIMULATOR_CONTENT_APPROVAL_DELAY_SECONDS`, then, after a restart, still there
//! (content and approval) and deleted; and a server set to reject: the review ends `rejected`.

mod e2e_common;

use e2e_common::scripts::{Runner, finish};
use e2e_common::{Account, Backend, Server, python, repo_root};

const SCRIPT: &str = "tests/e2e/content.py";

/// Both accounts stored: `other` is the bootstrap account of a first start.
fn servers(dir: &std::path::Path, env: &[(&str, &str)]) -> (Server, Account, Account) {
    let main = Account::random();
    let other = Account::random();
    let first = Server::start_with_env(dir, &Backend::Sqlite, &other, env);
    assert!(first.stop().success(), "first start");
    (
        Server::start_with_env(dir, &Backend::Sqlite, &main, env),
        main,
        other,
    )
}

#[test]
fn content_created_approved_kept_across_a_restart_and_deleted() {
    let python = python();
    let root = repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let env = [("DIALTONE_SIMULATOR_CONTENT_APPROVAL_DELAY_SECONDS", "2")];
    let (server, main, other) = servers(dir.path(), &env);
    let other_env = [
        ("DIALTONE_OTHER_ACCOUNT_SID", other.sid.as_str()),
        ("DIALTONE_OTHER_AUTH_TOKEN", other.token.as_str()),
    ];
    let run = Runner {
        python: &python,
        root: &root,
        server: &server,
        backend: &Backend::Sqlite,
        account: &main,
        env: &other_env,
    }
    .run(SCRIPT, &["keep"]);
    let sid = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("CONTENT_SID="))
        .map(str::to_owned);
    let failures: Vec<String> = run.failure.into_iter().collect();
    finish(server, &failures);
    let sid = sid.expect("the script printed CONTENT_SID");

    let server = Server::start_with_env(dir.path(), &Backend::Sqlite, &main, &env);
    let runner = Runner {
        python: &python,
        root: &root,
        server: &server,
        backend: &Backend::Sqlite,
        account: &main,
        env: &other_env,
    };
    let failures: Vec<String> = runner
        .run(SCRIPT, &["check", &sid])
        .failure
        .into_iter()
        .collect();
    finish(server, &failures);
}

#[test]
fn a_server_set_to_reject_rejects() {
    let python = python();
    let root = repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let env = [
        ("DIALTONE_SIMULATOR_CONTENT_APPROVAL", "rejected"),
        ("DIALTONE_SIMULATOR_CONTENT_APPROVAL_DELAY_SECONDS", "0"),
    ];
    let main = Account::random();
    let server = Server::start_with_env(dir.path(), &Backend::Sqlite, &main, &env);
    let code = r#"
import sys
from twilio.rest.content.v1.content import ContentList
from twilio.rest.content.v1.content.approval_create import ApprovalCreateList
from dialtone_e2e import BASE_URL, client, eq, run
def main():
    c = client()
    c.content.base_url = BASE_URL
    contents = c.content.v1.contents
    types = ContentList.Types({"twilio/text": {"body": "Hello"}})
    sid = contents.create(ContentList.ContentCreateRequest({"language": "en", "types": types})).sid
    request = ApprovalCreateList.ContentApprovalRequest({"name": "hello", "category": "UTILITY"})
    eq(contents(sid).approval_create.create(request).status, "received", "received")
    w = contents(sid).approval_fetch().fetch().whatsapp
    eq(w["status"], "rejected", "rejected by the setting")
    eq(w["rejection_reason"].startswith("Rejected by the simulated WhatsApp review"), True, w)
run(main)
"#;
    let script = dir.path().join("reject.py");
    std::fs::write(&script, code).expect("script");
    let output = std::process::Command::new(&python)
        .arg(&script)
        .env("PYTHONPATH", root.join("tests/e2e"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("DIALTONE_BASE_URL", &server.url)
        .env("DIALTONE_ACCOUNT_SID", &main.sid)
        .env("DIALTONE_AUTH_TOKEN", &main.token)
        .output()
        .expect("run python");
    let failures: Vec<String> = if output.status.success() {
        Vec::new()
    } else {
        vec![format!(
            "reject.py failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )]
    };
    finish(server, &failures);
}
