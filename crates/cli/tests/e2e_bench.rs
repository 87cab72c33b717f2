//! `dialtone bench` end to end, small: it starts a real server, places its calls and exits 0
//! only when every call completed and no status callback was lost.

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
