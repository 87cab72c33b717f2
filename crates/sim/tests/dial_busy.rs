//! A busy or declining callee: the child ends `busy`; without `action` the next verb runs.

mod common;

use common::*;
use dialtone_core::{MediaCommand, Output};
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;

fn run(script: LegScript) -> World {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111"><WhatsApp statusCallback="/cb" statusCallbackEvent="ringing completed">+15557770000</WhatsApp></Dial><Say>Sorry, they are busy</Say></Response>"#,
    );
    w.leg("whatsapp:+15557770000", script);
    w.inbound("client:agent", "client:dialtone", "https://app.test/voice");
    w.run_until_idle();
    w
}

#[test]
fn busy_without_action_runs_the_next_verb() {
    let w = run(LegScript::busy());
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
                "POST https://app.test/cb",
                c.callback("busy", 0, 1, Some("0"))
            ),
        ]
    );
    let says: Vec<&str> = w
        .outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Media(m) => match &m.command {
                MediaCommand::Say { text, .. } => Some(text.as_str()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(says, vec!["Sorry, they are busy"]);
    assert_eq!(w.status(ca(2)), Some(CallStatus::Busy));
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}

#[test]
fn a_declining_whatsapp_user_is_busy_after_ringing() {
    let w = run(LegScript::rejects_after(secs(3)));
    let c = Party::child(2, 1, "whatsapp:+15550001111", "whatsapp:+15557770000");
    let got = views(&w);
    assert_eq!(
        got[1..],
        [
            hook_p(
                "status",
                "POST https://app.test/cb",
                c.callback("ringing", 0, 1, None)
            ),
            hook_p(
                "status",
                "POST https://app.test/cb",
                c.callback("busy", 1, 3, Some("0"))
            ),
        ]
    );
    assert_eq!(w.status(ca(2)), Some(CallStatus::Busy));
}
