//! End-to-end: getting permission to call, through the real binary and twilio-python
//! (`tests/e2e/consent.py`): an approved VOICE_CALL_REQUEST content sent with the Messages
//! API to simulated WhatsApp users who accept, accept permanently, reject or ignore it; the
//! signed status callbacks and reply webhooks; the stored permissions; the calls that follow
//! (answered, or failed with 37000); Meta's request limits and the service window.

mod e2e_common;

use e2e_common::scripts::{Runner, finish};
use e2e_common::{Account, Backend, Server, python, repo_root};

const SCRIPT: &str = "tests/e2e/consent.py";

#[test]
fn permission_requested_answered_and_honoured() {
    let python = python();
    let root = repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let env = [("DIALTONE_SIMULATOR_CONTENT_APPROVAL_DELAY_SECONDS", "0")];
    let main = Account::random();
    let other = Account::random();
    // `other` is the bootstrap account of a first start; both stay stored.
    let first = Server::start_with_env(dir.path(), &Backend::Sqlite, &other, &env);
    assert!(first.stop().success(), "first start");
    let server = Server::start_with_env(dir.path(), &Backend::Sqlite, &main, &env);
    let other_env = [
        ("DIALTONE_OTHER_ACCOUNT_SID", other.sid.as_str()),
        ("DIALTONE_OTHER_AUTH_TOKEN", other.token.as_str()),
    ];
    let failures: Vec<String> = Runner {
        python: &python,
        root: &root,
        server: &server,
        backend: &Backend::Sqlite,
        account: &main,
        env: &other_env,
    }
    .run(SCRIPT, &[])
    .failure
    .into_iter()
    .collect();
    finish(server, &failures);
}
