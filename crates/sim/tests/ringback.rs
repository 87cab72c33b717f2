//! Ringback: while a `<Dial>` rings, its caller hears the `ringTone` (default `us`), from the
//! moment the dial starts until it bridges (a whisper included: the caller keeps hearing it
//! while the whisper runs on the child) or ends without a bridge; with or without
//! `answerOnBridge`.

mod common;

use common::*;
use dialtone_core::Output;
use dialtone_sim::harness::EPOCH;
use dialtone_sim::{LegScript, World};

/// Ringback, bridge and leg commands as `(ms, text)`.
fn timeline(w: &World) -> Vec<(u64, String)> {
    w.outputs()
        .iter()
        .filter_map(|(t, o)| {
            let what = match o {
                Output::Ringback { call, tone } => format!("ringback {call} {tone}"),
                Output::StopRingback { call } => format!("stop ringback {call}"),
                Output::StartLeg(l) => format!("start {}", l.call),
                Output::Bridge { parent, child } => format!("bridge {parent} {child}"),
                Output::CancelLeg { call } => format!("cancel {call}"),
                _ => return None,
            };
            Some((t.0 - EPOCH.0, what))
        })
        .collect()
}

fn run(voice: &str, agent: LegScript, for_ms: u64) -> World {
    let mut w = World::new();
    w.serve("https://app.test/voice", voice);
    w.serve(
        "https://app.test/whisper",
        "<Response><Say>Customer on the line</Say></Response>",
    );
    w.leg("client:agent", agent);
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.advance(std::time::Duration::from_millis(for_ms));
    w
}

#[test]
fn the_caller_hears_ringback_until_the_bridge() {
    for voice in [
        "<Response><Dial><Client>agent</Client></Dial></Response>",
        r#"<Response><Dial answerOnBridge="true"><Client>agent</Client></Dial></Response>"#,
    ] {
        let w = run(voice, LegScript::answers_after(secs(3)), 10_000);
        let (parent, child) = (ca(1), ca(2));
        assert_eq!(
            timeline(&w),
            [
                (0, format!("ringback {parent} us")),
                (0, format!("start {child}")),
                (3000, format!("stop ringback {parent}")),
                (3000, format!("bridge {parent} {child}")),
            ],
            "{voice}"
        );
    }
}

#[test]
fn ring_tone_is_passed_and_a_whisper_keeps_the_caller_ringing() {
    let w = run(
        r#"<Response><Dial ringTone="uk"><Client url="/whisper">agent</Client></Dial></Response>"#,
        LegScript::answers_after(secs(1)),
        10_000,
    );
    let (parent, child) = (ca(1), ca(2));
    assert_eq!(
        timeline(&w),
        [
            (0, format!("ringback {parent} uk")),
            (0, format!("start {child}")),
            (3000, format!("stop ringback {parent}")),
            (3000, format!("bridge {parent} {child}")),
        ]
    );
}

#[test]
fn ringback_stops_when_nobody_answers() {
    let w = run(
        r#"<Response><Dial timeout="5"><Client>agent</Client></Dial><Pause length="1"/></Response>"#,
        LegScript::no_answer(),
        20_000,
    );
    let (parent, child) = (ca(1), ca(2));
    assert_eq!(
        timeline(&w),
        [
            (0, format!("ringback {parent} us")),
            (0, format!("start {child}")),
            (5000, format!("cancel {child}")),
            (5000, format!("stop ringback {parent}")),
        ]
    );
}
