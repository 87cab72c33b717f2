//! Parallel ringing: every noun rings at once, the first to answer wins, the others are
//! `canceled` (each with its own status callback); `action` reports the winner.

mod common;

use common::*;
use dialtone_core::Output;
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;

#[test]
fn first_to_answer_wins_and_the_others_are_canceled() {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111" action="/done">
             <WhatsApp statusCallback="/a">+15557770001</WhatsApp>
             <WhatsApp statusCallback="/b">+15557770002</WhatsApp>
             <Client statusCallback="/c" statusCallbackEvent="initiated completed">agent</Client>
           </Dial></Response>"#,
    );
    w.serve("https://app.test/done", "<Response><Hangup/></Response>");
    w.leg("whatsapp:+15557770001", LegScript::answers_after(secs(6)));
    w.leg(
        "whatsapp:+15557770002",
        LegScript::answers_after(secs(3)).hangs_up_after(secs(10)),
    );
    w.leg("client:agent", LegScript::no_answer());
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.run_until_idle();

    let first = Party::child(2, 1, "whatsapp:+15550001111", "whatsapp:+15557770001");
    let winner = Party::child(3, 1, "whatsapp:+15550001111", "whatsapp:+15557770002");
    let agent = Party::child(4, 1, "whatsapp:+15550001111", "client:agent");
    let parent = Party::inbound(1, "client:caller", "client:sales");
    assert_eq!(
        views(&w),
        vec![
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                parent.params("ringing", &[])
            ),
            hook_p(
                "status",
                "POST https://app.test/c",
                agent.callback("initiated", 0, 0, None)
            ),
            hook_p(
                "status",
                "POST https://app.test/a",
                first.callback("canceled", 0, 3, Some("0"))
            ),
            hook_p(
                "status",
                "POST https://app.test/c",
                agent.callback("canceled", 1, 3, Some("0"))
            ),
            hook_p(
                "status",
                "POST https://app.test/b",
                winner.callback("completed", 0, 13, Some("10"))
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                parent.params(
                    "in-progress",
                    &[
                        ("DialCallStatus", "completed"),
                        ("DialCallSid", &ca_str(3)),
                        ("DialCallDuration", "10"),
                        ("DialBridged", "true"),
                    ]
                )
            ),
        ]
    );
    let cancels: Vec<_> = w
        .outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::CancelLeg { call } => Some(*call),
            _ => None,
        })
        .collect();
    assert_eq!(cancels, vec![ca(2), ca(4)]);
    assert_eq!(w.status(ca(2)), Some(CallStatus::Canceled));
    assert_eq!(w.status(ca(4)), Some(CallStatus::Canceled));
    // The late answer scripted for the loser never reaches the engine as a second winner.
    assert_eq!(
        w.outputs()
            .iter()
            .filter(|(_, o)| matches!(o, Output::Bridge { .. }))
            .count(),
        1
    );
}

#[test]
fn sequential_rings_one_noun_after_the_other() {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111" sequential="true" timeout="8"><WhatsApp>+15557770001</WhatsApp><WhatsApp>+15557770002</WhatsApp></Dial></Response>"#,
    );
    w.leg("whatsapp:+15557770001", LegScript::no_answer());
    w.leg(
        "whatsapp:+15557770002",
        LegScript::answers_after(secs(2)).hangs_up_after(secs(5)),
    );
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.run_until_idle();
    let t0 = dialtone_sim::harness::EPOCH.0;
    let starts: Vec<(u64, String)> = w
        .outputs()
        .iter()
        .filter_map(|(t, o)| match o {
            Output::StartLeg(l) => Some((t.0 - t0, l.to.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(
        starts,
        vec![
            (0, "whatsapp:+15557770001".to_owned()),
            (8_000, "whatsapp:+15557770002".to_owned()),
        ]
    );
    assert_eq!(w.status(ca(2)), Some(CallStatus::NoAnswer));
    assert_eq!(w.status(ca(3)), Some(CallStatus::Completed));
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}
