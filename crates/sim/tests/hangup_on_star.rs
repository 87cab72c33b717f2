//! `hangupOnStar`: the caller pressing `*` while bridged hangs up the child only; the dial
//! ends `completed` (bridged) and the parent goes on with `action` or the next verb. Without
//! the attribute, or pressed by the callee, `*` does nothing.

mod common;

use common::*;
use dialtone_core::{MediaCommand, Output};
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;

fn world(voice: &str) -> World {
    let mut w = World::new();
    w.serve("https://app.test/voice", voice);
    w.serve(
        "https://app.test/after",
        "<Response><Say>Back with you</Say></Response>",
    );
    w.leg(
        "client:agent",
        LegScript::answers_after(secs(3))
            .hangs_up_after(secs(60))
            .presses(secs(2), "*"),
    );
    let parent = w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.press_after(parent, secs(10), "*");
    w.run_until_idle();
    w
}

fn says(w: &World) -> Vec<String> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Media(m) => match &m.command {
                MediaCommand::Say { text, .. } => Some(text.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn star_hangs_up_the_child_and_requests_action() {
    let w = world(
        r#"<Response><Dial hangupOnStar="true" action="/after"><Client statusCallback="/cb">agent</Client></Dial><Say>not reached</Say></Response>"#,
    );
    let p = Party::inbound(1, "client:caller", "client:sales");
    let c = Party::child(2, 1, "client:caller", "client:agent");
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
                c.callback("completed", 0, 10, Some("7"))
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/after",
                p.params(
                    "in-progress",
                    &[
                        ("DialCallStatus", "completed"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialCallDuration", "7"),
                        ("DialBridged", "true"),
                    ]
                )
            ),
        ]
    );
    let legs: Vec<String> = w
        .outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::HangupLeg { call } => Some(format!("hangup {call}")),
            Output::Unbridge { child, .. } => Some(format!("unbridge {child}")),
            _ => None,
        })
        .collect();
    // The child is hung up at 10 s; the parent only after the action's <Say>.
    assert_eq!(
        legs,
        vec![
            format!("hangup {}", ca(2)),
            format!("unbridge {}", ca(2)),
            format!("hangup {}", ca(1)),
        ]
    );
    assert_eq!(says(&w), vec!["Back with you"]);
    assert_eq!(w.status(ca(2)), Some(CallStatus::Completed));
    assert_eq!(w.calls()[&ca(1)].duration, Some(12));
}

#[test]
fn without_action_the_next_verb_runs() {
    let w = world(
        r#"<Response><Dial hangupOnStar="true"><Client>agent</Client></Dial><Say>next verb</Say></Response>"#,
    );
    assert_eq!(says(&w), vec!["next verb"]);
    assert_eq!(w.calls()[&ca(2)].duration, Some(7));
    assert_eq!(w.calls()[&ca(1)].duration, Some(12));
}

#[test]
fn without_hangup_on_star_the_key_does_nothing() {
    let w = world("<Response><Dial><Client>agent</Client></Dial><Say>next verb</Say></Response>");
    // The agent (who also pressed * at 5 s) hangs up by itself 60 s after answering.
    assert_eq!(w.calls()[&ca(2)].duration, Some(60));
    assert_eq!(says(&w), vec!["next verb"]);
}

#[test]
fn the_callee_pressing_star_does_not_end_the_bridge() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial hangupOnStar="true"><Client>agent</Client></Dial></Response>"#,
    );
    w.leg(
        "client:agent",
        LegScript::answers_after(secs(3))
            .hangs_up_after(secs(20))
            .presses(secs(2), "*"),
    );
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.run_until_idle();
    assert_eq!(w.calls()[&ca(2)].duration, Some(20));
    assert_eq!(w.status(ca(2)), Some(CallStatus::Completed));
}
