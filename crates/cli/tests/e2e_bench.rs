//! `dialtone bench` end to end, small: it starts a real server, places its calls (plain, and
//! `<Dial><WhatsApp>` flows with media) and exits 0 only when every call completed, no status
//! callback was lost and (WhatsApp) no direction lost 1 % of its packets.

use std::process::Command;

/// The value after `prefix` on the output line that starts with it.
fn field<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{stdout}"))
}

#[test]
fn bench_completes_every_call_and_loses_no_callback() {
    let output = Command::new(env!("CARGO_BIN_EXE_dialtone"))
        .args([
            "bench",
            "--calls",
            "60",
            "--concurrency",
            "20",
            "--all-events",
            "--quiet",
        ])
        .env_remove("DIALTONE_DATABASE_URL")
        .output()
        .expect("run dialtone bench");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "dialtone bench failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        field(&stdout, "completed: ").starts_with("60/60 calls in "),
        "{stdout}"
    );
    assert_eq!(
        field(&stdout, "status callbacks: "),
        "expected 240, received 240, lost 0, duplicates 0",
        "{stdout}"
    );
    assert_eq!(
        field(&stdout, "final call statuses (REST API): "),
        r#"[("completed", 60)]"#
    );
    for latency in ["TwiML webhook latency", "status callback latency"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(latency) && l.ends_with("(60 samples)")),
            "{latency} over 60 samples:\n{stdout}"
        );
    }
}

#[test]
fn bench_whatsapp_completes_every_flow_with_media_both_ways() {
    let output = Command::new(env!("CARGO_BIN_EXE_dialtone"))
        .args([
            "bench",
            "--whatsapp",
            "--calls",
            "20",
            "--concurrency",
            "5",
            "--quiet",
        ])
        .env_remove("DIALTONE_DATABASE_URL")
        .output()
        .expect("run dialtone bench --whatsapp");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "dialtone bench --whatsapp failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        field(&stdout, "set-up: "),
        "sender whatsapp:+15557770000, softphone client:agent, 5 simulated WhatsApp users",
        "{stdout}"
    );
    assert!(
        field(&stdout, "completed: ").starts_with("20/20 flows in "),
        "{stdout}"
    );
    assert_eq!(
        field(&stdout, "status callbacks: "),
        "expected 80, received 80, lost 0, duplicates 0",
        "{stdout}"
    );
    assert_eq!(field(&stdout, "create requests failed: "), "0");
    assert_eq!(
        field(&stdout, "child final callbacks: "),
        r#"[("completed", 20)]"#
    );
    assert_eq!(
        field(&stdout, "action DialCallStatus: "),
        r#"[("completed", 20)]"#
    );
    assert_eq!(
        field(&stdout, "peak WhatsApp calls in progress at once: "),
        "5"
    );
    assert_eq!(
        field(&stdout, "final call statuses (REST API): "),
        r#"[(("outbound-api", "completed"), 20), (("outbound-dial", "completed"), 20)]"#
    );
    assert_eq!(
        field(&stdout, "media counters: "),
        "20 of 20 calls, receiver reports on 20"
    );
    for latency in ["set-up latency", "answer latency"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(latency) && l.ends_with("(20 samples)")),
            "{latency} over 20 samples:\n{stdout}"
        );
    }
    // Both directions were counted (the packet figures themselves are timing).
    for direction in ["media Dialtone -> user", "media user -> Dialtone"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(direction))
            .unwrap_or_else(|| panic!("no {direction} line:\n{stdout}"));
        assert!(!line.contains("expected 0,"), "{line}");
    }
}
