//! End-to-end: the web console in a real browser. Starts the real `dialtone serve` (SQLite,
//! simulator) and runs `tests/e2e/console.cjs`, which drives Debian's headless Chromium with
//! puppeteer-core: sign-in, a simulated call appearing and reaching `completed` in the live
//! list without a reload, its timeline, a broken TwiML document's diagnostic at its line, a
//! recording playing in the page, a forged CSRF request refused, injected `<script>` shown as
//! text. The script saves the screenshots the README shows (`docs/images/console-*.png`).
//!
//! Prerequisites (provisioned by `.ci/services.sh`): `node`, `chromium`, and puppeteer-core
//! in `$DIALTONE_NPM/node_modules` (default `$HOME/.cache/dialtone-npm`). Without them the
//! test fails naming what is missing.

mod e2e_common;

use std::path::PathBuf;
use std::process::Command;

use e2e_common::{Account, Backend, Server, missing, repo_root};

fn npm_dir() -> PathBuf {
    std::env::var_os("DIALTONE_NPM").map_or_else(
        || PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/dialtone-npm"),
        PathBuf::from,
    )
}

fn chromium() -> String {
    let chromium =
        std::env::var("DIALTONE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        missing(&format!(
            "no Chromium at {chromium} (Debian: apt-get install chromium; or set DIALTONE_CHROMIUM)"
        ));
    }
    chromium
}

#[test]
fn the_console_shows_live_calls_timelines_and_refuses_forgeries() {
    let chromium = chromium();
    let modules = npm_dir().join("node_modules");
    if !modules.join("puppeteer-core/package.json").exists() {
        missing(&format!(
            "puppeteer-core is not installed in {} (npm install --prefix {} puppeteer-core)",
            modules.display(),
            npm_dir().display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        missing("node is not installed (Debian: apt-get install nodejs)");
    }
    let data = tempfile::tempdir().expect("data dir");
    let account = Account::random();
    let server = Server::start(data.path(), &Backend::Sqlite, &account);
    let shots = repo_root().join("docs/images");
    std::fs::create_dir_all(&shots).expect("docs/images");
    for shot in ["console-calls.png", "console-call.png"] {
        let _ = std::fs::remove_file(shots.join(shot));
    }
    let output = Command::new("node")
        .arg(repo_root().join("tests/e2e/console.cjs"))
        .env("NODE_PATH", &modules)
        .env("DIALTONE_URL", &server.url)
        .env("DIALTONE_ACCOUNT_SID", &account.sid)
        .env("DIALTONE_AUTH_TOKEN", &account.token)
        .env("DIALTONE_CHROMIUM", &chromium)
        .env("DIALTONE_SHOTS", &shots)
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "the console's browser test failed: {stderr}\nserver log:\n{}",
        server.log()
    );
    assert!(stdout.contains(", 0 failed"), "{stdout}");
    for shot in ["console-calls.png", "console-call.png"] {
        let bytes = std::fs::read(shots.join(shot)).expect(shot);
        assert!(bytes.starts_with(b"\x89PNG"), "{shot} is not a PNG");
        assert!(bytes.len() > 10_000, "{shot} is suspiciously small");
    }
    let status = server.stop();
    assert!(status.success(), "dialtone serve exited with {status}");
}
