//! When the caller hangs up during a `<Dial>`, `action` is still requested (with the parent's
//! final `CallStatus`) and its TwiML ignored; `parent_hangup.rs` covers hang-ups while ringing
//! and while bridged. Here: during the whisper (with `answerOnBridge`, so the parent was never
//! answered), without `action` (nothing is requested), and while the `action` request itself
//! is in flight (its answer is ignored).

mod common;

use std::time::Duration;

use common::*;
use dialtone_core::Output;
use dialtone_sim::harness::EPOCH;
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;

fn media_calls(w: &World) -> Vec<String> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Media(m) => Some(m.call.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn during_the_whisper_action_gets_the_unanswered_parent_and_an_unbridged_child() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial answerOnBridge="true" action="/done"><Client url="/whisper" statusCallback="/cb">agent</Client></Dial></Response>"#,
    );
    w.serve(
        "https://app.test/whisper",
        "<Response><Say>A long screening message</Say></Response>",
    );
    w.serve(
        "https://app.test/done",
        "<Response><Say>ignored</Say></Response>",
    );
    w.leg("client:agent", LegScript::answers_after(secs(3)));
    w.set_media_duration(secs(30));
    let parent = w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.hang_up_after(parent, secs(7));
    w.run_until_idle();

    let p = Party::inbound(1, "client:caller", "client:sales");
    let c = Party::child(2, 1, "client:caller", "client:agent");
    assert_eq!(
        views(&w)[2..],
        [
            hook_p(
                "status",
                "POST https://app.test/cb",
                c.callback("completed", 0, 7, Some("4"))
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                p.params(
                    "canceled",
                    &[
                        ("DialCallStatus", "completed"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialCallDuration", "4"),
                        ("DialBridged", "false"),
                    ]
                )
            ),
        ]
    );
    // Only the whisper played; the action's <Say> never did. No bridge, no answer.
    assert_eq!(media_calls(&w), vec![ca_str(2)]);
    assert!(
        !w.outputs()
            .iter()
            .any(|(_, o)| matches!(o, Output::Bridge { .. } | Output::AnswerLeg { .. }))
    );
    assert_eq!(w.status(parent), Some(CallStatus::Canceled));
    assert_eq!(w.status(ca(2)), Some(CallStatus::Completed));
}

#[test]
fn without_action_nothing_is_requested() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        "<Response><Dial><Client>agent</Client></Dial><Say>not reached</Say></Response>",
    );
    w.leg("client:agent", LegScript::no_answer());
    let parent = w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.hang_up_after(parent, secs(4));
    w.run_until_idle();
    assert_eq!(w.webhooks().len(), 1, "only the voice URL");
    assert_eq!(media_calls(&w), Vec::<String>::new());
    assert_eq!(w.status(parent), Some(CallStatus::Completed));
    assert_eq!(w.status(ca(2)), Some(CallStatus::Canceled));
}

#[test]
fn a_hang_up_while_action_is_in_flight_ignores_its_answer() {
    let mut w = World::new();
    w.set_fetch_latency(secs(1));
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial action="/done"><Client>agent</Client></Dial></Response>"#,
    );
    w.serve(
        "https://app.test/done",
        "<Response><Say>ignored</Say></Response>",
    );
    // The leg starts at 1 s (after the voice fetch), answers at 4 s, hangs up at 10 s.
    w.leg(
        "client:agent",
        LegScript::answers_after(secs(3)).hangs_up_after(secs(6)),
    );
    let parent = w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.hang_up_after(parent, Duration::from_millis(10_500));
    w.run_until_idle();

    let p = Party::inbound(1, "client:caller", "client:sales");
    assert_eq!(
        views(&w)[1],
        hook_p(
            "fetch:Action",
            "POST https://app.test/done",
            p.params(
                "in-progress",
                &[
                    ("DialCallStatus", "completed"),
                    ("DialCallSid", &ca_str(2)),
                    ("DialCallDuration", "6"),
                    ("DialBridged", "true"),
                ]
            )
        )
    );
    assert_eq!(w.webhooks()[1].at.0 - EPOCH.0, 10_000);
    assert_eq!(media_calls(&w), Vec::<String>::new());
    let s = &w.calls()[&parent];
    assert_eq!(s.status, CallStatus::Completed);
    assert_eq!(s.end_time.map(|t| t.0 - EPOCH.0), Some(10_500));
    assert_eq!(w.engine().live_calls(), 0);
}
