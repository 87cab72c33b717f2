//! `answerOnBridge`: the parent is not answered (no `AnswerLeg`, status `ringing`) until its
//! child is bridged; with a whisper `url` it keeps ringing while the whisper runs; a child that
//! never gets bridged leaves the parent unanswered for `action`.

mod common;

use common::*;
use dialtone_core::{MediaCommand, Output};
use dialtone_sim::harness::EPOCH;
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;

/// Leg commands and media as `(ms, text)`.
fn timeline(w: &World) -> Vec<(u64, String)> {
    w.outputs()
        .iter()
        .filter_map(|(t, o)| {
            let what = match o {
                Output::StartLeg(l) => format!("start {}", l.call),
                Output::AnswerLeg { call } => format!("answer {call}"),
                Output::CancelLeg { call } => format!("cancel {call}"),
                Output::HangupLeg { call } => format!("hangup {call}"),
                Output::Bridge { parent, child } => format!("bridge {parent} {child}"),
                Output::Unbridge { parent, child } => format!("unbridge {parent} {child}"),
                Output::Media(m) => match &m.command {
                    MediaCommand::Say { text, .. } => format!("say {} {text}", m.call),
                    other => format!("media {} {other:?}", m.call),
                },
                _ => return None,
            };
            Some((t.0 - EPOCH.0, what))
        })
        .collect()
}

fn world(voice: &str, agent: LegScript) -> World {
    let mut w = World::new();
    w.serve("https://app.test/voice", voice);
    w.serve(
        "https://app.test/whisper",
        "<Response><Say>Customer on the line</Say></Response>",
    );
    w.serve(
        "https://app.test/done",
        "<Response><Say>Goodbye</Say></Response>",
    );
    w.leg("client:agent", agent);
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w
}

#[test]
fn the_parent_rings_until_the_child_answers_and_is_bridged() {
    let mut w = world(
        r#"<Response><Dial answerOnBridge="true" action="/done"><Client>agent</Client></Dial></Response>"#,
        LegScript::answers_after(secs(4)).hangs_up_after(secs(10)),
    );
    let (parent, child) = (ca(1), ca(2));
    w.advance(secs(3));
    assert_eq!(w.status(parent), Some(CallStatus::Ringing));
    assert_eq!(w.status(child), Some(CallStatus::Ringing));
    w.run_until_idle();
    assert_eq!(
        timeline(&w),
        vec![
            (0, format!("start {child}")),
            (4_000, format!("answer {parent}")),
            (4_000, format!("bridge {parent} {child}")),
            (14_000, format!("unbridge {parent} {child}")),
            (14_000, format!("say {parent} Goodbye")),
            (16_000, format!("hangup {parent}")),
        ]
    );
    let p = Party::inbound(1, "client:caller", "client:sales");
    assert_eq!(
        views(&w),
        vec![
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("ringing", &[])
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                p.params(
                    "in-progress",
                    &[
                        ("DialCallStatus", "completed"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialCallDuration", "10"),
                        ("DialBridged", "true"),
                    ]
                )
            ),
        ]
    );
    let t0 = EPOCH.0;
    assert_eq!(w.calls()[&parent].start_time.map(|t| t.0 - t0), Some(4_000));
    assert_eq!(w.calls()[&parent].duration, Some(12));
}

#[test]
fn with_a_whisper_the_parent_keeps_ringing_until_the_whisper_ends() {
    let mut w = world(
        r#"<Response><Dial answerOnBridge="true"><Client url="/whisper">agent</Client></Dial></Response>"#,
        LegScript::answers_after(secs(3)).hangs_up_after(secs(30)),
    );
    let (parent, child) = (ca(1), ca(2));
    // The agent answered at 3 s and hears the whisper until 5 s: the caller still rings.
    w.advance(secs(4));
    assert_eq!(w.status(child), Some(CallStatus::InProgress));
    assert_eq!(w.status(parent), Some(CallStatus::Ringing));
    w.run_until_idle();
    assert_eq!(
        timeline(&w),
        vec![
            (0, format!("start {child}")),
            (3_000, format!("say {child} Customer on the line")),
            (5_000, format!("answer {parent}")),
            (5_000, format!("bridge {parent} {child}")),
            (33_000, format!("unbridge {parent} {child}")),
            (33_000, format!("hangup {parent}")),
        ]
    );
    let c = Party::child(2, 1, "client:caller", "client:agent");
    assert_eq!(
        views(&w)[1],
        hook_p(
            "fetch:Whisper",
            "POST https://app.test/whisper",
            c.params("in-progress", &[])
        )
    );
}

#[test]
fn a_child_that_never_answers_leaves_the_parent_unanswered_for_action() {
    let mut w = world(
        r#"<Response><Dial answerOnBridge="true" timeout="8" action="/done"><Client>agent</Client></Dial></Response>"#,
        LegScript::no_answer(),
    );
    w.run_until_idle();
    let p = Party::inbound(1, "client:caller", "client:sales");
    assert_eq!(
        views(&w)[1],
        hook_p(
            "fetch:Action",
            "POST https://app.test/done",
            p.params(
                "ringing",
                &[
                    ("DialCallStatus", "no-answer"),
                    ("DialCallSid", &ca_str(2)),
                    ("DialCallDuration", "0"),
                    ("DialBridged", "false"),
                ]
            )
        )
    );
    // Only the action's <Say> answers the parent.
    assert_eq!(
        timeline(&w),
        vec![
            (0, format!("start {}", ca(2))),
            (8_000, format!("cancel {}", ca(2))),
            (8_000, format!("answer {}", ca(1))),
            (8_000, format!("say {} Goodbye", ca(1))),
            (10_000, format!("hangup {}", ca(1))),
        ]
    );
}
