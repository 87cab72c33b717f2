//! `dialtone serve` as a real process: defaults, the printed address and credentials,
//! credentials persisted across restarts, configured credentials, bad configuration (exit 2
//! before anything is opened) and a graceful SIGTERM.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "00112233445566778899aabbccddeeff";
/// Generous: the test machine may be busy compiling.
const START_TIMEOUT: Duration = Duration::from_mins(1);

/// `dialtone serve` with a clean `DIALTONE_*` environment, run in `dir`.
fn serve(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dialtone"));
    cmd.arg("serve").args(args).current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("DIALTONE_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("DIALTONE_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

struct Server {
    child: Child,
    url: String,
    banner: Vec<String>,
}

impl Server {
    fn start(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn dialtone");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        let deadline = Instant::now() + START_TIMEOUT;
        while !banner.iter().any(|l: &String| l.starts_with("Database:")) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                let _ = child.kill();
                let mut err = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                panic!("no banner; stdout {banner:?}; stderr {err}");
            };
            banner.push(line);
        }
        let url = banner[0]
            .strip_prefix("dialtone listening on ")
            .unwrap_or_else(|| panic!("first line: {:?}", banner[0]))
            .to_owned();
        Self { child, url, banner }
    }

    fn line(&self, prefix: &str) -> &str {
        self.banner
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {:?}", self.banner))
            .trim()
    }

    /// The first word after `prefix`.
    fn word(&self, prefix: &str) -> String {
        self.line(prefix)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    fn terminate(self) -> ExitStatus {
        self.signal("-TERM")
    }

    /// Sends `signal` (`-TERM`, `-INT`) and waits for the exit.
    fn signal(mut self, signal: &str) -> ExitStatus {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `cmd`, which must exit by itself within `limit` (a server that starts is killed and
/// the test fails instead of hanging).
fn exits_within(mut cmd: Command, limit: Duration) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dialtone");
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {limit:?}; stdout {:?}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// A minimal HTTP/1.1 exchange: status and body.
fn http(url: &str, method: &str, path: &str, auth: Option<(&str, &str)>) -> (u16, String) {
    http_form(url, method, path, auth, "")
}

/// Like [`http`], with an urlencoded body.
fn http_form(
    url: &str,
    method: &str,
    path: &str,
    auth: Option<(&str, &str)>,
    form: &str,
) -> (u16, String) {
    let host = url.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some((user, password)) = auth {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let _ = write!(request, "Authorization: Basic {encoded}\r\n");
    }
    let _ = write!(
        request,
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn defaults_generate_credentials_once_and_print_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(serve(dir.path(), &["--listen", "127.0.0.1:0"], &[]));
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    assert_ne!(server.url, "http://127.0.0.1:0");
    assert_eq!(server.line("Public URL:"), server.url);
    assert_eq!(
        server.line("Database:"),
        "sqlite://./dialtone-data/dialtone.db"
    );
    assert!(dir.path().join("dialtone-data/dialtone.db").exists());
    let sid = server.word("Account SID:");
    let token = server.word("Auth token:");
    assert!(sid.starts_with("AC") && sid.len() == 34, "{sid}");
    assert!(
        token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "{token}"
    );
    assert!(
        server
            .line("Auth token:")
            .ends_with("(generated now and stored in the database)")
    );

    assert_eq!(
        http(&server.url, "GET", "/healthz", None),
        (200, r#"{"status":"ok"}"#.to_owned())
    );
    let account = format!("/2010-04-01/Accounts/{sid}.json");
    let (status, body) = http(&server.url, "GET", &account, Some((&sid, &token)));
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains(&format!(r#""auth_token":"{token}""#)),
        "{body}"
    );
    let (status, body) = http(&server.url, "GET", &account, Some((&sid, "wrong")));
    assert_eq!(status, 401);
    assert_eq!(
        body,
        r#"{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}"#
    );
    assert!(server.terminate().success());

    // A restart finds the same account in the database.
    let again = Server::start(serve(dir.path(), &["--listen", "127.0.0.1:0"], &[]));
    assert_eq!(again.word("Account SID:"), sid);
    assert_eq!(again.word("Auth token:"), token);
    assert!(
        again
            .line("Auth token:")
            .ends_with("(stored in the database)")
    );
}

#[test]
fn configured_credentials_and_config_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dialtone.toml"),
        "listen = \"127.0.0.1:1\"\ndata_dir = \"state\"\npublic_url = \"https://voice.example.com\"\n",
    )
    .unwrap();
    // The flag beats the file's listen address; the file's data_dir and public_url apply.
    let server = Server::start(serve(
        dir.path(),
        &["--config", "dialtone.toml", "--listen", "127.0.0.1:0"],
        &[
            ("DIALTONE_ACCOUNT_SID", SID),
            ("DIALTONE_AUTH_TOKEN", TOKEN),
        ],
    ));
    assert_eq!(server.line("Public URL:"), "https://voice.example.com");
    assert_eq!(server.line("Database:"), "sqlite://state/dialtone.db");
    assert_eq!(server.word("Account SID:"), SID);
    assert_eq!(server.line("Auth token:"), "(set by DIALTONE_ACCOUNT_SID)");
    let (status, _) = http(
        &server.url,
        "GET",
        &format!("/2010-04-01/Accounts/{SID}/Calls.json"),
        Some((SID, TOKEN)),
    );
    assert_eq!(status, 200);
    // Ctrl-C drains like SIGTERM.
    assert!(server.signal("-INT").success());
}

/// Flags, environment, and the message expected on stderr.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_configuration_exits_2_before_opening_anything() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("typo.toml"), "lisen = \"127.0.0.1:9\"\n").unwrap();
    let cases: &[Case] = &[
        (
            &["--listen", "localhost:80"],
            &[],
            "invalid --listen / DIALTONE_LISTEN / listen \"localhost:80\"",
        ),
        (
            &[],
            &[("DIALTONE_LISTEN", "nope")],
            "invalid --listen / DIALTONE_LISTEN / listen \"nope\"",
        ),
        (
            &["--database-url", "mysql://x/y"],
            &[],
            "invalid --database-url",
        ),
        (&["--public-url", "not a url"], &[], "invalid --public-url"),
        (
            &[],
            &[
                ("DIALTONE_ACCOUNT_SID", "AC123"),
                ("DIALTONE_AUTH_TOKEN", TOKEN),
            ],
            "invalid DIALTONE_ACCOUNT_SID / account_sid \"AC123\": expected AC followed by 32 hex digits",
        ),
        (
            &[],
            &[
                ("DIALTONE_ACCOUNT_SID", SID),
                ("DIALTONE_AUTH_TOKEN", "short"),
            ],
            "invalid DIALTONE_AUTH_TOKEN / auth_token \"<5 characters>\": expected 32 hex digits",
        ),
        (
            &[],
            &[("DIALTONE_ACCOUNT_SID", SID)],
            "must be set together",
        ),
        (&["--config", "typo.toml"], &[], "unknown field `lisen`"),
        (
            &["--config", "missing.toml"],
            &[],
            "cannot read config file missing.toml",
        ),
        (&[], &[("DIALTONE_LOG", "shouty")], "invalid --log"),
        (
            &["--whatsapp-mode", "meta"],
            &[("DIALTONE_WHATSAPP_APP_SECRET", "s3cret")],
            "whatsapp.mode = \"meta\" needs access_token, verify_token",
        ),
        (
            &[],
            &[("DIALTONE_WHATSAPP_MODE", "facebook")],
            "invalid --whatsapp-mode / DIALTONE_WHATSAPP_MODE / whatsapp.mode \"facebook\"",
        ),
    ];
    for (args, env, message) in cases {
        let out = exits_within(serve(dir.path(), args, env), START_TIMEOUT);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}: {stderr}");
        assert!(stderr.starts_with("dialtone serve: "), "{stderr}");
        assert!(stderr.contains(message), "{args:?} {env:?}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "nothing is printed before validation"
        );
        assert!(
            !dir.path().join("dialtone-data").exists(),
            "no database is opened for a bad configuration"
        );
    }
}

#[test]
fn a_taken_port_fails_without_touching_live_calls() {
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start(serve(dir.path(), &["--listen", "127.0.0.1:0"], &[]));
    let addr = first.url.strip_prefix("http://").unwrap().to_owned();
    let out = serve(dir.path(), &["--listen", &addr], &[])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert_eq!(http(&first.url, "GET", "/healthz", None).0, 200);
}

/// The value of `"key":"..."` in a JSON text (enough for these flat checks).
fn json_str(body: &str, key: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value.get(key)?.as_str().map(str::to_owned)
}

#[test]
fn calls_run_through_the_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(serve(
        dir.path(),
        &["--listen", "127.0.0.1:0"],
        &[
            ("DIALTONE_ACCOUNT_SID", SID),
            ("DIALTONE_AUTH_TOKEN", TOKEN),
        ],
    ));
    let auth = Some((SID, TOKEN));
    let (status, body) = http_form(
        &server.url,
        "POST",
        "/sim/v1/Clients",
        auth,
        "Identity=alice&AnswerAfter=0.1&HangupAfter=0.2",
    );
    assert_eq!(status, 201, "{body}");
    let calls = format!("/2010-04-01/Accounts/{SID}/Calls.json");
    let (status, body) = http_form(
        &server.url,
        "POST",
        &calls,
        auth,
        "To=client%3Aalice&From=%2B15551112222&Twiml=%3CResponse%3E%3CPause%20length%3D%2230%22%2F%3E%3C%2FResponse%3E",
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(json_str(&body, "status").as_deref(), Some("queued"));
    let sid = json_str(&body, "sid").unwrap();
    let call = format!("/2010-04-01/Accounts/{SID}/Calls/{sid}.json");
    // The softphone answers, then hangs up: the call completes.
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let (status, body) = http(&server.url, "GET", &call, auth);
        assert_eq!(status, 200, "{body}");
        if json_str(&body, "status").as_deref() == Some("completed") {
            assert!(json_str(&body, "end_time").is_some(), "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "call never completed: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // An ended call cannot be redirected.
    let (status, body) = http_form(
        &server.url,
        "POST",
        &call,
        auth,
        "Url=https%3A%2F%2Fapp.test%2Fx",
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        r#"{"code":21220,"message":"Call is not in-progress. Cannot redirect.","more_info":"https://www.twilio.com/docs/errors/21220","status":400}"#
    );
    // A call to an unregistered softphone fails; it is still listed, with its status.
    let (status, body) = http_form(
        &server.url,
        "POST",
        &calls,
        auth,
        "To=client%3Anobody&From=%2B15551112222&Twiml=%3CResponse%2F%3E",
    );
    assert_eq!(status, 201, "{body}");
    let (status, list) = http(&server.url, "GET", &format!("{calls}?PageSize=1"), auth);
    assert_eq!(status, 200);
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["calls"].as_array().map(Vec::len), Some(1));
    assert!(list["next_page_uri"].as_str().is_some());
    assert_eq!(http(&server.url, "DELETE", &call, auth).0, 204);
    assert_eq!(http(&server.url, "GET", &call, auth).0, 404);
    assert!(server.terminate().success());
}

/// Places a call to softphone `alice` whose TwiML dials WhatsApp user `+15557770000` with
/// `callerId="whatsapp:+15550001111"`, waits for it to end, and returns its SID.
fn dial_whatsapp_from_softphone(url: &str) -> String {
    let auth = Some((SID, TOKEN));
    let calls = format!("/2010-04-01/Accounts/{SID}/Calls.json");
    let (status, body) = http_form(
        url,
        "POST",
        &calls,
        auth,
        "To=client%3Aalice&From=%2B15551112222&Twiml=%3CResponse%3E%3CDial%20callerId%3D%22\
         whatsapp%3A%2B15550001111%22%3E%3CWhatsApp%3E%2B15557770000%3C%2FWhatsApp%3E%3C%2F\
         Dial%3E%3C%2FResponse%3E",
    );
    assert_eq!(status, 201, "{body}");
    let sid = json_str(&body, "sid").unwrap();
    let call = format!("/2010-04-01/Accounts/{SID}/Calls/{sid}.json");
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        let (_, body) = http(url, "GET", &call, auth);
        if json_str(&body, "status").as_deref() == Some("completed") {
            return sid;
        }
        assert!(Instant::now() < deadline, "call never completed: {body}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The error codes of call `sid`'s notifications, oldest first.
fn notification_codes(url: &str, sid: &str) -> Vec<String> {
    let path = format!("/2010-04-01/Accounts/{SID}/Calls/{sid}/Notifications.json");
    let (status, body) = http(url, "GET", &path, Some((SID, TOKEN)));
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut codes: Vec<String> = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["error_code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes
}

/// The children of call `sid`: (status, notification codes) each.
fn children(url: &str, sid: &str) -> Vec<(String, Vec<String>)> {
    let path = format!("/2010-04-01/Accounts/{SID}/Calls.json?ParentCallSid={sid}");
    let (status, body) = http(url, "GET", &path, Some((SID, TOKEN)));
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).unwrap();
    list["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let child = c["sid"].as_str().unwrap();
            (
                c["status"].as_str().unwrap().to_owned(),
                notification_codes(url, child),
            )
        })
        .collect()
}

#[test]
fn whatsapp_caller_ids_follow_the_senders_resource_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DIALTONE_ACCOUNT_SID", SID),
        ("DIALTONE_AUTH_TOKEN", TOKEN),
    ];
    let auth = Some((SID, TOKEN));
    let server = Server::start(serve(dir.path(), &["--listen", "127.0.0.1:0"], &env));
    let (status, body) = http_form(
        &server.url,
        "POST",
        "/sim/v1/Clients",
        auth,
        "Identity=alice&AnswerAfter=0.1",
    );
    assert_eq!(status, 201, "{body}");

    // Not a sender yet: 37008 on the dialing call, no child.
    let sid = dial_whatsapp_from_softphone(&server.url);
    assert_eq!(notification_codes(&server.url, &sid), ["37008"]);
    assert_eq!(children(&server.url, &sid), []);

    // A sender without a voice application is not voice-enabled: still 37008.
    let (status, body) = http_form(
        &server.url,
        "POST",
        "/v2/Channels/Senders",
        auth,
        r#"{"sender_id": "whatsapp:+15550001111", "configuration": {"waba_id": "1"}}"#,
    );
    assert_eq!(status, 201, "{body}");
    let sender = json_str(&body, "sid").unwrap();
    let sid = dial_whatsapp_from_softphone(&server.url);
    assert_eq!(notification_codes(&server.url, &sid), ["37008"]);

    // With one it passes the sender check; the WhatsApp leg then reaches the embedded
    // simulator, where a user it does not know has not granted call permission: 37000.
    let apps = format!("/2010-04-01/Accounts/{SID}/Applications.json");
    let (status, body) = http_form(
        &server.url,
        "POST",
        &apps,
        auth,
        "VoiceUrl=https%3A%2F%2Fapp.test%2Fvoice",
    );
    assert_eq!(status, 201, "{body}");
    let app = json_str(&body, "sid").unwrap();
    let (status, body) = http_form(
        &server.url,
        "POST",
        &format!("/v2/Channels/Senders/{sender}"),
        auth,
        &format!(r#"{{"configuration": {{"voice_application_sid": "{app}"}}}}"#),
    );
    assert_eq!(status, 200, "{body}");
    let sid = dial_whatsapp_from_softphone(&server.url);
    assert_eq!(notification_codes(&server.url, &sid), Vec::<String>::new());
    let failed = vec![("failed".to_owned(), vec!["37000".to_owned()])];
    assert_eq!(children(&server.url, &sid), failed);
    assert!(server.terminate().success());

    // A restart loads the voice-enabled senders from the database.
    let server = Server::start(serve(dir.path(), &["--listen", "127.0.0.1:0"], &env));
    let (status, body) = http_form(
        &server.url,
        "POST",
        "/sim/v1/Clients",
        auth,
        "Identity=alice&AnswerAfter=0.1",
    );
    assert_eq!(status, 201, "{body}");
    let sid = dial_whatsapp_from_softphone(&server.url);
    assert_eq!(children(&server.url, &sid), failed);

    // Deleting the sender takes it away from the engine at once.
    let (status, body) = http(
        &server.url,
        "DELETE",
        &format!("/v2/Channels/Senders/{sender}"),
        auth,
    );
    assert_eq!(status, 204, "{body}");
    let sid = dial_whatsapp_from_softphone(&server.url);
    assert_eq!(notification_codes(&server.url, &sid), ["37008"]);
    assert_eq!(children(&server.url, &sid), []);
    assert!(server.terminate().success());
}

#[test]
fn meta_mode_serves_the_webhook_receiver() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DIALTONE_ACCOUNT_SID", SID),
        ("DIALTONE_AUTH_TOKEN", TOKEN),
        ("DIALTONE_WHATSAPP_MODE", "meta"),
        ("DIALTONE_WHATSAPP_GRAPH_URL", "http://127.0.0.1:9"),
        ("DIALTONE_WHATSAPP_ACCESS_TOKEN", "EAAtoken"),
        ("DIALTONE_WHATSAPP_APP_SECRET", "app-secret"),
        ("DIALTONE_WHATSAPP_VERIFY_TOKEN", "verify-me"),
    ];
    let server = Server::start(serve(dir.path(), &["--listen", "127.0.0.1:0"], &env));
    let check = "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42";
    assert_eq!(
        http(&server.url, "GET", check, None),
        (200, "42".to_owned())
    );
    let wrong = "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42";
    assert_eq!(http(&server.url, "GET", wrong, None).0, 403);
    // Meta sends no Basic auth; an unsigned POST is refused by its missing signature.
    let (status, body) = http_form(&server.url, "POST", "/webhooks/whatsapp", None, "{}");
    assert_eq!(
        (status, body.as_str()),
        (401, "Missing X-Hub-Signature-256\n")
    );
    assert!(server.terminate().success());
}
