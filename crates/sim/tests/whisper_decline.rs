//! The whisper `url` runs on the answered child before the bridge. A screening whisper that
//! ends in `<Hangup>` declines the call: the child ends `completed`, the parent is never
//! bridged (nor answered, with `answerOnBridge`), and `action` gets `DialCallStatus=completed`
//! with `DialBridged=false` (Dialtone's choice for a point Twilio does not document).

mod common;

use common::*;
use dialtone_core::Output;
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;

const WHISPER: &str = r#"<Response><Gather numDigits="1" timeout="5" action="/screen"><Say>Press 1 to accept</Say></Gather><Hangup/></Response>"#;

fn world(agent: LegScript) -> World {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111" answerOnBridge="true" action="/done"><WhatsApp url="/whisper">+15557770000</WhatsApp></Dial></Response>"#,
    );
    w.serve("https://app.test/whisper", WHISPER);
    w.serve(
        "https://app.test/screen",
        "<Response><Say>Connecting</Say></Response>",
    );
    w.serve(
        "https://app.test/done",
        "<Response><Say>Leave a message</Say></Response>",
    );
    w.leg("whatsapp:+15557770000", agent);
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.run_until_idle();
    w
}

fn bridges(w: &World) -> usize {
    w.outputs()
        .iter()
        .filter(|(_, o)| matches!(o, Output::Bridge { .. }))
        .count()
}

#[test]
fn hangup_in_the_whisper_declines_the_call() {
    // Answers at 4 s, never presses anything: prompt 2 s, then 5 s of gather timeout.
    let w = world(LegScript::answers_after(secs(4)));
    let p = Party::inbound(1, "client:caller", "client:sales");
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
                "fetch:Whisper",
                "POST https://app.test/whisper",
                c.params("in-progress", &[])
            ),
            // The parent was never answered: it is still ringing when the action is requested.
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                p.params(
                    "ringing",
                    &[
                        ("DialCallStatus", "completed"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialCallDuration", "7"),
                        ("DialBridged", "false"),
                    ]
                )
            ),
        ]
    );
    assert_eq!(bridges(&w), 0);
    assert_eq!(w.status(ca(2)), Some(CallStatus::Completed));
    assert_eq!(w.calls()[&ca(2)].duration, Some(7));
    // The action's <Say> answered the parent; then its document ended.
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}

#[test]
fn accepting_in_the_whisper_posts_digits_for_the_child_then_bridges() {
    let w = world(
        LegScript::answers_after(secs(4))
            .presses(secs(1), "1")
            .hangs_up_after(secs(20)),
    );
    let c = Party::child(2, 1, "whatsapp:+15550001111", "whatsapp:+15557770000");
    let got = views(&w);
    assert_eq!(
        got[2],
        hook_p(
            "fetch:Action",
            "POST https://app.test/screen",
            c.params("in-progress", &[("Digits", "1")])
        )
    );
    assert_eq!(bridges(&w), 1);
    assert_eq!(
        got[3]
            .2
            .iter()
            .find(|(n, _)| n == "DialBridged")
            .map(|(_, v)| v.as_str()),
        Some("true")
    );
    assert_eq!(
        got[3]
            .2
            .iter()
            .find(|(n, _)| n == "DialCallStatus")
            .map(|(_, v)| v.as_str()),
        Some("completed")
    );
}
