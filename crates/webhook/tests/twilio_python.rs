//! Twilio's own `RequestValidator` (twilio-python) accepts the requests Dialtone builds.
//!
//! Needs `DIALTONE_PYTHON`, a Python with the `twilio` package (`.ci/test` sets it up); without
//! it the test fails, naming what is missing.

use std::io::Write as _;
use std::process::{Command, Stdio};

use dialtone_webhook::signature::url_with_body_sha256;
use dialtone_webhook::{
    Method, Secret, SignatureAlgorithm, SigningKey, build_request, compute_signature,
};

/// Where to turn when a prerequisite is missing.
const PROVISION: &str =
    "`.ci/test` provisions everything the tests need and runs them (see README.md, Quickstart)";

/// Reads `kind \t url \t body \t signature \t algorithm` lines and prints `True`/`False` for each,
/// receiving the request as a web framework would: form bodies parsed into a multi-dict.
const VALIDATE: &str = r#"
import sys
from urllib.parse import parse_qsl
from twilio.request_validator import RequestValidator

class MultiDict(dict):
    def __init__(self, pairs):
        super().__init__()
        self.pairs = pairs
        for k, v in pairs:
            self.setdefault(k, v)
    def getall(self, name):
        return [v for k, v in self.pairs if k == name]

token = sys.argv[1]
for line in sys.stdin.read().splitlines():
    kind, url, body, signature, algorithm = line.split("\t")
    if kind == "JSON":
        params = body
    elif kind == "POST":
        params = MultiDict(parse_qsl(body, keep_blank_values=True))
    else:
        params = {}
    print(RequestValidator(token).validate(url, params, signature, algorithm))
"#;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";

fn cases() -> Vec<String> {
    let token = SigningKey::auth_token(TOKEN);
    let shared = SigningKey::SharedKey {
        key_id: "webhooks_sharedkey_1".to_owned(),
        secret: Secret::new(TOKEN),
    };
    let standard = vec![
        ("CallSid", "CA0123456789abcdef0123456789abcdef"),
        ("AccountSid", "AC0123456789abcdef0123456789abcdef"),
        ("From", "+14155550100"),
        ("To", "client:alice"),
        ("CallStatus", "in-progress"),
        ("Caller", "+14155550100"),
        ("Digits", "1234"),
        ("Digits", "0987"),
        ("SpeechResult", "Ça va? 100% & more = ünïcode + spaces"),
        ("Empty", ""),
    ];
    let urls = [
        "https://app.test/voice",
        "https://app.test:8443/voice?tenant=a%20b&x=1#ct=1000&rc=2",
        "http://app.test/twiml/answer.xml?",
        "http://127.0.0.1:9000/cb",
        "HTTPS://App.Test:443",
        "https://app.test/cb?name=William+O'hara&s=%20&t=~&u=%7E#rc=2",
    ];
    let mut lines = Vec::new();
    for url in urls {
        for method in [Method::Post, Method::Get] {
            for key in [&token, &shared] {
                let request =
                    build_request(method, url, standard.iter().copied(), key, "idem").unwrap();
                let body = request.body.clone().unwrap_or_default();
                let signature = request.header("X-Twilio-Signature").unwrap().to_owned();
                // The application validates against the URL it configured (a POST) or, for a
                // GET, that URL with the parameters the request carries.
                let as_set = url.split('#').next().unwrap();
                let validated = match method {
                    Method::Post => as_set.to_owned(),
                    Method::Get => request.url.clone(),
                };
                lines.push(format!(
                    "{method}\t{validated}\t{body}\t{signature}\t{}",
                    key.algorithm()
                ));
            }
        }
    }
    let json = r#"{"CallSid": "CA1", "nested": {"ok": true}}"#;
    let url = url_with_body_sha256("https://app.test/events?x=1", json.as_bytes());
    let signature = compute_signature(
        SignatureAlgorithm::HmacSha1,
        TOKEN.as_bytes(),
        &url,
        [("", ""); 0],
    );
    lines.push(format!("JSON\t{url}\t{json}\t{signature}\tHMAC_SHA1"));
    lines
}

fn run_python(python: &str, lines: &[String]) -> Vec<String> {
    let mut child = Command::new(python)
        .args(["-c", VALIDATE, TOKEN])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("DIALTONE_PYTHON runs");
    let input = lines.join("\n");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "python failed");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn twilio_python_accepts_dialtone_signatures() {
    let python = std::env::var("DIALTONE_PYTHON").unwrap_or_else(|_| {
        panic!(
            "DIALTONE_PYTHON is not set: this test needs a Python with \
             `pip install 'twilio>=9.13,<10'`\n{PROVISION}"
        )
    });
    let lines = cases();
    assert_eq!(lines.len(), 25);
    let verdicts = run_python(&python, &lines);
    assert_eq!(verdicts, vec!["True"; lines.len()], "cases: {lines:#?}");

    // Control: the same requests with one character of the signature changed are refused.
    let tampered: Vec<String> = lines
        .iter()
        .map(|line| {
            let mut fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
            let first = if fields[3].starts_with('A') { "B" } else { "A" };
            fields[3].replace_range(0..1, first);
            fields.join("\t")
        })
        .collect();
    assert_eq!(run_python(&python, &tampered), vec!["False"; lines.len()]);
}
