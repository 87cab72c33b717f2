//! The WhatsApp user never granted call permission: the leg fails with 37000, the child ends
//! `failed`, a 37000 notification is stored, and `action` gets `DialCallStatus=failed`.

mod common;

use common::*;
use dialtone_sim::{LegScript, World};
use dialtone_types::{CallStatus, Level};

#[test]
fn permission_refusal_fails_the_child_with_37000() {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111" action="/done"><WhatsApp statusCallback="/cb" statusCallbackEvent="initiated completed">whatsapp:+15557770000</WhatsApp></Dial></Response>"#,
    );
    w.serve("https://app.test/done", "<Response/>");
    w.leg("whatsapp:+15557770000", LegScript::no_permission());
    let parent = w.inbound(
        "whatsapp:+447700900123",
        "whatsapp:+15550001111",
        "https://app.test/voice",
    );
    w.run_until_idle();

    let p = Party::inbound(1, "whatsapp:+447700900123", "whatsapp:+15550001111");
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
                "POST https://app.test/cb",
                c.callback("initiated", 0, 0, None)
            ),
            hook_p(
                "status",
                "POST https://app.test/cb",
                c.callback("failed", 1, 1, Some("0"))
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                p.params(
                    "in-progress",
                    &[
                        ("DialCallStatus", "failed"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialCallDuration", "0"),
                        ("DialBridged", "false"),
                    ]
                )
            ),
        ]
    );
    assert_eq!(notes(&w), vec![(ca_str(2), 37000, Level::Error)]);
    assert_eq!(
        w.notifications()[0].message,
        "WhatsApp Voice: call permission not granted by consumer"
    );
    assert_eq!(w.status(ca(2)), Some(CallStatus::Failed));
    // The action returned an empty document: the parent hangs up.
    assert_eq!(w.status(parent), Some(CallStatus::Completed));
}
