//! Interop with an independent WebRTC implementation: Debian's `python3-aiortc`
//! (tests/aiortc_peer.py) answers our full-ICE offer, or offers and takes our answer; it sends
//! its own audio and reports, packet by packet, what it received from us.
//!
//! Fails when aiortc is not installed (`apt-get install python3-aiortc`; `.ci/test` installs
//! it when run as root).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use dialtone_media::{MediaConfig, MediaEngine, MediaEvent, MediaLeg};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// Where to turn when a prerequisite is missing.
const PROVISION: &str =
    "`.ci/test` provisions everything the tests need and runs them (see README.md, Quickstart)";

const PYTHON: &str = "/usr/bin/python3";
const WAIT: Duration = Duration::from_secs(20);

fn aiortc_available() -> bool {
    std::process::Command::new(PYTHON)
        .args(["-c", "import aiortc"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The running aiortc peer and its JSON-lines pipe.
struct Peer {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Peer {
    fn start() -> Self {
        assert!(
            aiortc_available(),
            "{PYTHON} cannot import aiortc: this test needs Debian's python3-aiortc \
             (apt-get install python3-aiortc)\n{PROVISION}"
        );
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/aiortc_peer.py");
        let mut child = Command::new(PYTHON)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start aiortc_peer.py");
        let stdin = child.stdin.take().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            child,
            stdin,
            lines,
        }
    }

    async fn send(&mut self, message: &Value) {
        let line = message.to_string() + "\n";
        self.stdin.write_all(line.as_bytes()).await.unwrap();
    }

    async fn receive(&mut self) -> Value {
        let line = tokio::time::timeout(WAIT, self.lines.next_line())
            .await
            .expect("aiortc answered in time")
            .expect("aiortc stdout readable")
            .expect("aiortc printed a line");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad JSON from aiortc ({e}): {line}"))
    }

    /// Lets media flow, stops the peer and checks both sides' counts.
    /// `opus_pt`: Opus's payload type as negotiated (the offerer's).
    async fn check_media(mut self, mut leg: MediaLeg, opus_pt: u64) {
        let event = tokio::time::timeout(WAIT, leg.event())
            .await
            .expect("connected in time");
        assert_eq!(event, Some(MediaEvent::Connected));
        // Two seconds of audio each way (no timing assertion: counts are checked below).
        let deadline = tokio::time::Instant::now() + WAIT;
        while leg.stats().rtp_received < 100 || leg.stats().rtp_sent < 100 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "media did not flow: {:?}",
                leg.stats()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.send(&json!({ "stop": true })).await;
        let report = self.receive().await["report"].clone();
        let ours = leg.stats();
        println!("aiortc report: {report}\nour stats: {ours:?}");
        leg.close();
        let status = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "aiortc_peer.py exited with {status}");

        assert_eq!(report["ice_state"], "completed", "{report}");
        assert_eq!(report["connection_state"], "connected", "{report}");
        // All aiortc got from us is Opus silence, in order, 20 ms apart at 48 kHz.
        assert_eq!(report["opus_pt"], json!(opus_pt), "{report}");
        assert_eq!(report["payload_types"], json!([opus_pt]), "{report}");
        assert_eq!(report["opus_payloads"], json!(["f8fffe"]), "{report}");
        assert_eq!(report["seq_steps"], json!([1]), "{report}");
        assert_eq!(report["timestamp_steps"], json!([960]), "{report}");
        assert!(report["opus_received"].as_u64().unwrap() >= 100, "{report}");
        assert!(report["rtcp_received"].as_u64().unwrap() > 0, "{report}");
        // And we got aiortc's audio, without loss on loopback.
        assert!(ours.rtp_received >= 100, "{ours:?}");
        assert_eq!(ours.rtp_lost, 0, "{ours:?}");
        assert!(report["rtp_sent"].as_u64().unwrap() >= 100, "{report}");
    }
}

#[tokio::test]
async fn aiortc_answers_our_offer_and_media_flows_both_ways() {
    let mut peer = Peer::start();
    let engine = MediaEngine::new(MediaConfig::full());
    let offer = engine.offer().await.unwrap();
    peer.send(&json!({ "offer": offer.sdp() })).await;
    let answer = peer.receive().await["answer"]
        .as_str()
        .expect("an answer SDP")
        .to_owned();
    let leg = offer.accept(&answer).expect("aiortc's answer is usable");
    peer.check_media(leg, 111).await;
}

#[tokio::test]
async fn we_answer_aiortcs_offer_and_media_flows_both_ways() {
    let mut peer = Peer::start();
    peer.send(&json!({ "make_offer": true })).await;
    let offer = peer.receive().await["offer"]
        .as_str()
        .expect("an offer SDP")
        .to_owned();
    let engine = MediaEngine::new(MediaConfig::full());
    let (leg, answer) = engine
        .answer(&offer)
        .await
        .expect("aiortc's offer is usable");
    assert!(answer.contains("\r\na=setup:active\r\n"), "{answer}");
    peer.send(&json!({ "answer": answer })).await;
    // aiortc numbers Opus 96; the answer keeps the offerer's payload types.
    assert!(
        offer.contains("\r\na=rtpmap:96 opus/48000/2\r\n"),
        "{offer}"
    );
    assert!(
        answer.contains("\r\na=rtpmap:96 opus/48000/2\r\n"),
        "{answer}"
    );
    peer.check_media(leg, 96).await;
}
