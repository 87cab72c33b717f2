//! Runs the `dialtone` binary: exact output and exit codes of `dialtone twiml check`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn dialtone(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dialtone"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("dialtone runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("dialtone exits")
}

fn check(args: &[&str]) -> (i32, String, String) {
    check_stdin(args, b"")
}

fn check_stdin(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut all = vec!["twiml", "check"];
    all.extend_from_slice(args);
    let out = dialtone(&all, stdin);
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    )
}

#[test]
fn a_valid_document_exits_0() {
    assert_eq!(
        check(&["valid.xml"]),
        (0, "valid.xml: ok\n".to_owned(), String::new())
    );
}

#[test]
fn warnings_alone_exit_0() {
    let expected = "\
warning[12200]: Element 'say' is not a TwiML verb (TwiML is case-sensitive: did you mean 'Say'?); it is skipped
 --> warning.xml:2:3
  |
2 |   <say>Hi</say>
  |   ^

warning.xml: 0 errors, 1 warning
";
    assert_eq!(
        check(&["warning.xml"]),
        (0, expected.to_owned(), String::new())
    );
}

#[test]
fn errors_exit_1_with_the_line_and_a_caret() {
    let expected = "\
error[13214]: Dial: invalid callerId '+14155550100' for <WhatsApp>; it must be whatsapp:+E164 (a voice-enabled WhatsApp sender)
 --> whatsapp_caller_id.xml:3:8
  |
3 | \t<Dial callerId=\"+14155550100\"><WhatsApp>+447700900123</WhatsApp></Dial>
  | \t      ^

whatsapp_caller_id.xml: 1 error, 0 warnings
valid.xml: ok
";
    assert_eq!(
        check(&["whatsapp_caller_id.xml", "valid.xml"]),
        (1, expected.to_owned(), String::new())
    );
}

#[test]
fn underscore_hosts_are_21205_at_their_position() {
    let expected = "\
error[21205]: Number: statusCallback \"https://my_app.example.com/cb\": Non-relative URLs must contain a valid hostname. Underscores aren't permitted.
 --> underscore_host.xml:3:13
  |
3 |     <Number statusCallback=\"https://my_app.example.com/cb\">+14155550100</Number>
  |             ^

error[21205]: Redirect \"http://bad_host.test/x\": Non-relative URLs must contain a valid hostname. Underscores aren't permitted.
 --> underscore_host.xml:6:13
  |
6 |   <Redirect>http://bad_host.test/x</Redirect>
  |             ^

underscore_host.xml: 2 errors, 0 warnings
";
    assert_eq!(
        check(&["underscore_host.xml"]),
        (1, expected.to_owned(), String::new())
    );
}

#[test]
fn malformed_xml_is_12100() {
    let expected = "\
error[12100]: closing tag </Play> does not match the open element <Say>
 --> broken.xml:2:8
  |
2 | <Say>Hi</Play>
  |        ^

broken.xml: 1 error, 0 warnings
";
    assert_eq!(
        check(&["broken.xml"]),
        (1, expected.to_owned(), String::new())
    );
}

#[test]
fn json_format_lists_every_diagnostic() {
    let expected = concat!(
        r#"[{"code":12200,"column":3,"file":"warning.xml","level":"warning","line":2,"message":"Element 'say' is not a TwiML verb (TwiML is case-sensitive: did you mean 'Say'?); it is skipped"},"#,
        r#"{"code":12100,"column":8,"file":"broken.xml","level":"error","line":2,"message":"closing tag </Play> does not match the open element <Say>"}]"#,
        "\n"
    );
    assert_eq!(
        check(&["--format", "json", "warning.xml", "valid.xml", "broken.xml"]),
        (1, expected.to_owned(), String::new())
    );
    assert_eq!(
        check(&["--format", "json", "valid.xml"]),
        (0, "[]\n".to_owned(), String::new())
    );
}

#[test]
fn stdin_in_whisper_context() {
    let expected = "\
error[13201]: Dial: Cannot Dial out from a Dial Call Segment (a whisper document may not contain <Dial>)
 --> <stdin>:1:11
  |
1 | <Response><Dial>+14155550100</Dial></Response>
  |           ^

<stdin>: 1 error, 0 warnings
";
    let doc = b"<Response><Dial>+14155550100</Dial></Response>";
    assert_eq!(
        check_stdin(&["--context", "whisper", "-"], doc),
        (1, expected.to_owned(), String::new())
    );
    assert_eq!(
        check_stdin(&["-"], doc),
        (0, "<stdin>: ok\n".to_owned(), String::new())
    );
}

#[test]
fn rest_context_limits_size() {
    let doc = format!("<Response><Say>{}</Say></Response>", "a".repeat(4000));
    let (code, out, _) = check_stdin(&["--context", "rest", "-"], doc.as_bytes());
    assert_eq!(code, 1);
    assert!(
        out.starts_with(
            "error[32018]: Twiml is 4032 characters; the limit is 4000\n --> <stdin>:1:1\n"
        ),
        "{out}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        check(&["missing.xml"]),
        (
            2,
            String::new(),
            "error: cannot read missing.xml: No such file or directory (os error 2)\n".to_owned()
        )
    );
    let (code, out, err) = check(&[]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("required arguments were not provided"),
        "{err}"
    );
    let (code, _, err) = check(&["--context", "sms", "valid.xml"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'sms'"), "{err}");
}
