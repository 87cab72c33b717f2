//! Time limits: `<Dial timeLimit>` hangs up the bridged child (the dial ends `completed`), and
//! a call's own `TimeLimit` (REST) hangs up the call itself, counted from its answer.

mod common;

use common::*;
use dialtone_core::{AppConfig, CallSetup, Output};
use dialtone_sim::harness::EPOCH;
use dialtone_sim::{LegScript, World};
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Direction};

#[test]
fn dial_time_limit_hangs_up_the_child_and_reports_completed() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial timeLimit="30" action="/done"><Client statusCallback="/cb">agent</Client></Dial></Response>"#,
    );
    w.serve("https://app.test/done", "<Response><Hangup/></Response>");
    w.leg(
        "client:agent",
        LegScript::answers_after(secs(3)).hangs_up_after(secs(3600)),
    );
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.run_until_idle();
    let p = Party::inbound(1, "client:caller", "client:sales");
    let c = Party::child(2, 1, "client:caller", "client:agent");
    assert_eq!(
        views(&w)[1..],
        [
            hook_p(
                "status",
                "POST https://app.test/cb",
                c.callback("completed", 0, 33, Some("30"))
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                p.params(
                    "in-progress",
                    &[
                        ("DialCallStatus", "completed"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialCallDuration", "30"),
                        ("DialBridged", "true"),
                    ]
                )
            ),
        ]
    );
    let hangups: Vec<(u64, String)> = w
        .outputs()
        .iter()
        .filter_map(|(t, o)| match o {
            Output::HangupLeg { call } => Some((t.0 - EPOCH.0, call.to_string())),
            _ => None,
        })
        .collect();
    assert_eq!(hangups, vec![(33_000, ca_str(2)), (33_000, ca_str(1))]);
}

#[test]
fn a_rest_call_time_limit_counts_from_its_answer() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Pause length="100"/><Say>never</Say></Response>"#,
    );
    w.leg("client:bob", LegScript::answers_after(secs(4)));
    let mut setup = CallSetup::new(
        w.account(),
        Direction::OutboundApi,
        "client:alice".parse().unwrap(),
        "client:bob".parse().unwrap(),
        AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap()),
    );
    setup.time_limit_secs = 20;
    let call = w.start(setup).unwrap();
    w.run_until_idle();
    let p = Party {
        sid: ca_str(1),
        direction: "outbound-api",
        from: "client:alice",
        to: "client:bob",
        parent: None,
    };
    assert_eq!(
        views(&w),
        vec![hook_p(
            "fetch:Twiml",
            "POST https://app.test/voice",
            p.params("in-progress", &[])
        )]
    );
    let s = &w.calls()[&call];
    assert_eq!(s.status, CallStatus::Completed);
    assert_eq!(s.start_time.map(|t| t.0 - EPOCH.0), Some(4_000));
    assert_eq!(s.end_time.map(|t| t.0 - EPOCH.0), Some(24_000));
    assert_eq!(s.duration, Some(20));
    assert!(matches!(
        w.outputs().iter().rev().nth(1),
        Some((_, Output::HangupLeg { call: c })) if *c == call
    ));
}
