//! The caller hangs up during the dial: ringing children are `canceled`, a bridged child ends
//! `completed`; `action` is still requested (with the parent's final status) and its TwiML
//! ignored.

mod common;

use common::*;
use dialtone_core::Output;
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;

fn world(agent: LegScript, hangup_at: u64) -> World {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111" action="/done"><WhatsApp statusCallback="/cb">+15557770000</WhatsApp></Dial></Response>"#,
    );
    w.serve(
        "https://app.test/done",
        "<Response><Say>ignored</Say></Response>",
    );
    w.leg("whatsapp:+15557770000", agent);
    let parent = w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.hang_up_after(parent, secs(hangup_at));
    w.run_until_idle();
    w
}

fn media_count(w: &World) -> usize {
    w.outputs()
        .iter()
        .filter(|(_, o)| matches!(o, Output::Media(_)))
        .count()
}

#[test]
fn hang_up_while_ringing_cancels_the_child() {
    let w = world(LegScript::no_answer(), 5);
    let p = Party::inbound(1, "client:caller", "client:sales");
    let c = Party::child(2, 1, "whatsapp:+15550001111", "whatsapp:+15557770000");
    assert_eq!(
        views(&w)[1..],
        [
            hook_p(
                "status",
                "POST https://app.test/cb",
                c.callback("canceled", 0, 5, Some("0"))
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                p.params(
                    "completed",
                    &[
                        ("DialCallStatus", "canceled"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialCallDuration", "0"),
                        ("DialBridged", "false"),
                    ]
                )
            ),
        ]
    );
    assert_eq!(media_count(&w), 0, "the action's TwiML is ignored");
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
    assert_eq!(w.engine().live_calls(), 0);
}

#[test]
fn hang_up_while_bridged_completes_the_child() {
    let w = world(LegScript::answers_after(secs(2)), 12);
    let got = views(&w);
    let c = Party::child(2, 1, "whatsapp:+15550001111", "whatsapp:+15557770000");
    assert_eq!(
        got[1],
        hook_p(
            "status",
            "POST https://app.test/cb",
            c.callback("completed", 0, 12, Some("10"))
        )
    );
    assert_eq!(
        got[2]
            .2
            .iter()
            .find(|(n, _)| n == "DialCallStatus")
            .map(|(_, v)| v.as_str()),
        Some("completed")
    );
    assert_eq!(
        got[2]
            .2
            .iter()
            .find(|(n, _)| n == "DialBridged")
            .map(|(_, v)| v.as_str()),
        Some("true")
    );
    assert_eq!(media_count(&w), 0);
    assert_eq!(w.status(ca(2)), Some(CallStatus::Completed));
}
