//! `<Dial timeout>`: nobody answers → the child is canceled by the engine and ends
//! `no-answer`; `action` gets `DialCallStatus=no-answer`. With a `statusCallback` and no
//! events, only `completed` is sent.

mod common;

use common::*;
use dialtone_core::Output;
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;

#[test]
fn timeout_ends_the_child_no_answer_and_requests_action() {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111" timeout="10" action="https://app.test/after?step=1" method="GET"><WhatsApp statusCallback="https://cb.test/s">+15557770000</WhatsApp></Dial></Response>"#,
    );
    w.serve(
        "https://app.test/after?step=1",
        "<Response><Say>Nobody there</Say></Response>",
    );
    w.leg("whatsapp:+15557770000", LegScript::no_answer());
    let parent = w.inbound("client:agent", "client:dialtone", "https://app.test/voice");
    w.run_until_idle();

    let p = Party::inbound(1, "client:agent", "client:dialtone");
    let c = Party::child(2, 1, "whatsapp:+15550001111", "whatsapp:+15557770000");
    assert_eq!(
        views(&w),
        vec![
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("ringing", &[])
            ),
            hook_p(
                "status",
                "POST https://cb.test/s",
                c.callback("no-answer", 0, 10, Some("0"))
            ),
            hook_p(
                "fetch:Action",
                "GET https://app.test/after?step=1",
                p.params(
                    "in-progress",
                    &[
                        ("DialCallStatus", "no-answer"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialCallDuration", "0"),
                        ("DialBridged", "false"),
                    ]
                )
            ),
        ]
    );
    // The engine itself terminated the ringing leg at the timeout.
    let t0 = dialtone_sim::harness::EPOCH.0;
    let cancel_at: Vec<u64> = w
        .outputs()
        .iter()
        .filter(|(_, o)| matches!(o, Output::CancelLeg { call } if *call == ca(2)))
        .map(|(t, _)| t.0 - t0)
        .collect();
    assert_eq!(cancel_at, vec![10_000]);
    assert_eq!(w.status(ca(2)), Some(CallStatus::NoAnswer));
    // The action's <Say> ran (2 s), then the document ended: the parent hung up.
    assert_eq!(w.status(parent), Some(CallStatus::Completed));
    assert_eq!(w.calls()[&parent].end_time.map(|t| t.0 - t0), Some(12_000));
}

#[test]
fn timeout_is_clamped_to_five_seconds_at_least() {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111" timeout="1"><WhatsApp>+15557770000</WhatsApp></Dial></Response>"#,
    );
    w.inbound("client:agent", "client:dialtone", "https://app.test/voice");
    w.run_until_idle();
    let t0 = dialtone_sim::harness::EPOCH.0;
    assert_eq!(w.calls()[&ca(2)].end_time.map(|t| t.0 - t0), Some(5_000));
    assert_eq!(w.status(ca(2)), Some(CallStatus::NoAnswer));
}
