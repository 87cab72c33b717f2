//! End-to-end: the Voice JavaScript SDK against the real `dialtone serve`.
//!
//! - [`a_browser_registers_answers_presses_digits_and_talks`]: the published
//!   `@twilio/voice-sdk` in Debian's headless Chromium (puppeteer-core, both from npm in
//!   `$DIALTONE_SDK_MODULES`, which `.ci/services.sh` provisions), a token from twilio-python;
//!   `tests/e2e/voice_sdk_browser.py` runs the scenario and this test checks, with Goertzel,
//!   that the WhatsApp user heard the browser's 440 Hz microphone tone.
//! - [`bad_tokens_get_the_sdk_error_codes`]: no browser; a small WebSocket client speaks the
//!   PStream protocol to `/signal` with tokens minted here (HS256 over the key's secret, as the
//!   helper libraries do), each bad one answered with the reference's code.
//!
//! Missing prerequisites (Python with twilio, node, chromium, the npm modules) fail the test.

mod e2e_common;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use dialtone_media::audio::{Wav, detect};
use e2e_common::scripts::{Runner, finish};
use e2e_common::{Account, Backend, Server, missing, python, random_hex, repo_root};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

const SCRIPT: &str = "tests/e2e/voice_sdk_browser.py";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// npm's node_modules with puppeteer-core and @twilio/voice-sdk.
fn sdk_modules() -> PathBuf {
    let dir = std::env::var_os("DIALTONE_SDK_MODULES").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/dialtone-npm/node_modules")
        },
        PathBuf::from,
    );
    for needed in ["puppeteer-core", "@twilio/voice-sdk/dist/twilio.min.js"] {
        if !dir.join(needed).exists() {
            missing(&format!(
                "{} has no {needed}: set DIALTONE_SDK_MODULES to a node_modules with \
                 puppeteer-core and @twilio/voice-sdk (npm install them; .ci/services.sh does)",
                dir.display()
            ));
        }
    }
    if std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_err()
    {
        missing("node is not installed (Debian: apt-get install nodejs)");
    }
    let chromium =
        std::env::var("DIALTONE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        missing(&format!(
            "{chromium} does not exist (Debian: apt-get install chromium)"
        ));
    }
    dir
}

#[test]
fn a_browser_registers_answers_presses_digits_and_talks() {
    let python = python();
    let modules = sdk_modules();
    let backend = Backend::Sqlite;
    let root = repo_root();
    let dir = tempfile::tempdir().expect("data dir");
    let heard = tempfile::tempdir().expect("heard dir");
    let account = Account::random();
    let sdk = format!("127.0.0.1:{}", free_port());
    let app_secret = random_hex(16);
    let server_env = [
        ("DIALTONE_SDK_LISTEN", sdk.as_str()),
        ("DIALTONE_WHATSAPP_APP_SECRET", app_secret.as_str()),
    ];
    let server = Server::start_with_env(dir.path(), &backend, &account, &server_env);
    let heard_dir = heard.path().to_str().expect("UTF-8 path").to_owned();
    let modules = modules.to_str().expect("UTF-8 path").to_owned();
    let env = [
        ("DIALTONE_HEARD_DIR", heard_dir.as_str()),
        ("DIALTONE_SDK_CHUNDERW", sdk.as_str()),
        ("DIALTONE_SDK_MODULES", modules.as_str()),
        ("DIALTONE_WHATSAPP_APP_SECRET", app_secret.as_str()),
    ];
    let runner = Runner {
        python: &python,
        root: &root,
        server: &server,
        backend: &backend,
        account: &account,
        env: &env,
    };
    let run = runner.run(SCRIPT, &[]);
    let failures: Vec<String> = run.failure.into_iter().collect();
    let log = finish(server, &failures);
    assert!(
        !log.contains("eyJ"),
        "an access token appears in the server log"
    );

    let bytes = std::fs::read(heard.path().join("user.wav")).expect("user.wav");
    let wav = Wav::read(&bytes).expect("a WAV file");
    let rate = wav.sample_rate;
    let window = 2 * usize::try_from(rate).expect("rate");
    assert!(
        wav.samples.len() > window,
        "only {} samples",
        wav.samples.len()
    );
    let tail = &wav.samples[wav.samples.len() - window..];
    let share = |hz| detect::tone_share(tail, rate, hz).unwrap_or(0.0);
    eprintln!(
        "the WhatsApp user heard: 440 Hz share {:.3}, 1000 Hz share {:.3}",
        share(440.0),
        share(1000.0)
    );
    assert_eq!(
        detect::dominant_tone(tail, rate, &[440.0, 1000.0]),
        Some(440.0),
        "the user hears the browser's microphone"
    );
    assert!(detect::tone_present(tail, rate, 440.0));
    assert!(share(1000.0) < 0.02, "the user does not hear itself");
}

/// A blocking HTTP request with Basic auth; the status and JSON body.
fn rest(server: &Server, account: &Account, path: &str, form: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(server.addr()).expect("connect");
    let auth = STANDARD.encode(format!("{}:{}", account.sid, account.token));
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {auth}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{form}",
        server.addr(),
        form.len()
    )
    .expect("write");
    let mut text = String::new();
    s.read_to_string(&mut text).expect("read");
    let status = text[9..12].parse().expect("status");
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

/// A minimal WebSocket client (RFC 6455): masked text frames out, unmasked frames in.
struct Ws(TcpStream);

impl Ws {
    fn connect(addr: &str) -> Self {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(15)))
            .expect("timeout");
        write!(
            s,
            "GET /signal HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .expect("handshake");
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            s.read_exact(&mut byte).expect("handshake answer");
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        Self(s)
    }

    fn send(&mut self, text: &str) {
        let data = text.as_bytes();
        let mut frame = vec![0x81u8];
        match data.len() {
            n if n < 126 => frame.push(0x80 | u8::try_from(n).expect("small")),
            n if n < 65536 => {
                frame.push(0xfe); // masked, 16-bit length
                frame.extend_from_slice(&u16::try_from(n).expect("medium").to_be_bytes());
            }
            n => {
                frame.push(0xff); // masked, 64-bit length
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x12u8, 0x34, 0x56, 0x78];
        frame.extend_from_slice(&mask);
        frame.extend(data.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.0.write_all(&frame).expect("send frame");
    }

    fn pstream(&mut self, kind: &str, payload: &Value) {
        self.send(&json!({"type": kind, "payload": payload, "version": "1.6"}).to_string());
    }

    /// The next JSON frame (heartbeats skipped).
    fn recv(&mut self) -> Value {
        loop {
            let mut h = [0u8; 2];
            self.0.read_exact(&mut h).expect("frame header");
            let len = match h[1] & 0x7f {
                126 => {
                    let mut b = [0u8; 2];
                    self.0.read_exact(&mut b).expect("len");
                    usize::from(u16::from_be_bytes(b))
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.0.read_exact(&mut b).expect("len");
                    usize::try_from(u64::from_be_bytes(b)).expect("len")
                }
                n => usize::from(n),
            };
            let mut data = vec![0u8; len];
            self.0.read_exact(&mut data).expect("frame body");
            assert_ne!(h[0] & 0x0f, 0x8, "the server closed the socket");
            let text = String::from_utf8(data).expect("UTF-8 frame");
            if text != "\n" {
                return serde_json::from_str(&text).expect("a JSON frame");
            }
        }
    }

    /// The error code of the next frame, which must be an `error`.
    fn error_code(&mut self) -> u64 {
        let frame = self.recv();
        assert_eq!(frame["type"], "error", "{frame}");
        frame["payload"]["error"]["code"].as_u64().expect("a code")
    }
}

fn mint(header: &Value, payload: &Value, secret: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{h}.{p}").as_bytes());
    format!(
        "{h}.{p}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[test]
fn bad_tokens_get_the_sdk_error_codes() {
    let dir = tempfile::tempdir().expect("data dir");
    let account = Account::random();
    let server = Server::start(dir.path(), &Backend::Sqlite, &account);
    let (status, key) = rest(
        &server,
        &account,
        &format!("/2010-04-01/Accounts/{}/Keys.json", account.sid),
        "FriendlyName=sdk",
    );
    assert_eq!(status, 201, "{key}");
    let (sid, secret) = (
        key["sid"].as_str().expect("sid").to_owned(),
        key["secret"].as_str().expect("secret").to_owned(),
    );
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let header = json!({"alg": "HS256", "typ": "JWT", "cty": "twilio-fpa;v=1"});
    let claims = |iss: &str, sub: &str, nbf: u64, exp: u64, voice: Value| {
        json!({"jti": format!("{iss}-{nbf}"), "grants": {"identity": "alice", "voice": voice},
               "iss": iss, "sub": sub, "nbf": nbf, "exp": exp})
    };
    let incoming = json!({"incoming": {"allow": true}});
    let good = |voice: Value, exp: u64| {
        mint(
            &header,
            &claims(&sid, &account.sid, now, exp, voice),
            &secret,
        )
    };
    let unknown_account = format!("AC{}", random_hex(16));
    let unknown_key = format!("SK{}", random_hex(16));
    let cases: Vec<(&str, String, u64)> = vec![
        ("malformed", "not.a-token".to_owned(), 31204),
        (
            "unsigned (alg none)",
            mint(
                &json!({"alg": "none"}),
                &claims(&sid, &account.sid, now, now + 600, incoming.clone()),
                "",
            ),
            31204,
        ),
        (
            "bad signature",
            mint(
                &header,
                &claims(&sid, &account.sid, now, now + 600, incoming.clone()),
                "wrong-secret",
            ),
            31202,
        ),
        (
            "expired",
            mint(
                &header,
                &claims(&sid, &account.sid, now - 7200, now - 3600, incoming.clone()),
                &secret,
            ),
            31205,
        ),
        (
            "not yet valid",
            mint(
                &header,
                &claims(&sid, &account.sid, now + 3600, now + 7200, incoming.clone()),
                &secret,
            ),
            31204,
        ),
        (
            "lifetime over 24 h",
            mint(
                &header,
                &claims(&sid, &account.sid, now, now + 25 * 3600, incoming.clone()),
                &secret,
            ),
            31207,
        ),
        (
            "unknown account",
            mint(
                &header,
                &claims(&sid, &unknown_account, now, now + 600, incoming.clone()),
                &secret,
            ),
            31203,
        ),
        (
            "unknown key",
            mint(
                &header,
                &claims(&unknown_key, &account.sid, now, now + 600, incoming.clone()),
                &secret,
            ),
            31204,
        ),
    ];
    let mut ws = Ws::connect(server.addr());
    for (what, token, code) in &cases {
        ws.pstream("listen", &json!({"token": token}));
        assert_eq!(ws.error_code(), *code, "{what}");
    }
    // Not listened yet: register is refused; garbage and unknown types are 31100.
    ws.pstream("register", &json!({"media": {"audio": true}}));
    assert_eq!(ws.error_code(), 31204, "register before listen");
    ws.send("{not json");
    assert_eq!(ws.error_code(), 31100, "garbage frame");
    ws.pstream("frobnicate", &json!({}));
    assert_eq!(ws.error_code(), 31100, "unknown message type");

    // A token without an incoming grant connects but may not register.
    ws.pstream("listen", &json!({"token": good(json!({}), now + 600)}));
    let connected = ws.recv();
    assert_eq!(connected["type"], "connected", "{connected}");
    assert_eq!(connected["payload"]["token"]["identity"], "alice");
    let ttl = connected["payload"]["token"]["ttl"].as_u64().expect("ttl");
    assert!((590..=600).contains(&ttl), "ttl {ttl}");
    ws.pstream("register", &json!({"media": {"audio": true}}));
    assert_eq!(ws.error_code(), 31201, "register without incoming.allow");
    // An invite without an outgoing grant is hung up with 31201.
    ws.pstream(
        "invite",
        &json!({"callsid": "TJS1", "sdp": "v=0", "twilio": {}}),
    );
    let hangup = ws.recv();
    assert_eq!(hangup["type"], "hangup", "{hangup}");
    assert_eq!(hangup["payload"]["callsid"], "TJS1");
    assert_eq!(hangup["payload"]["error"]["code"], 31201);

    // The token update (same socket) with an incoming grant registers; it expires in 1 s
    // (plus the 30 s skew is for verification only): 31205 arrives with a heartbeat.
    ws.pstream("listen", &json!({"token": good(incoming.clone(), now + 1)}));
    assert_eq!(ws.recv()["type"], "connected");
    ws.pstream("register", &json!({"media": {"audio": true}}));
    assert_eq!(ws.recv()["type"], "ready");
    assert_eq!(ws.error_code(), 31205, "the token expired while connected");
    drop(ws);

    let log = finish(server, &[]);
    assert!(
        !log.contains(&secret),
        "the key's secret appears in the log"
    );
}
