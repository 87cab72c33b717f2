//! `<Reject>`: the call is refused without ever being answered; `reason="busy"` ends it
//! `busy`, `rejected` (the default) ends it `no-answer`, as Twilio maps them. Verbs after it
//! never run. On an answered call it acts as `<Hangup>`.

mod common;

use common::*;
use dialtone_core::{
    AppConfig, Method, Output, RejectReason, StatusCallbackConfig, StatusCallbackEvents,
};
use dialtone_sim::World;
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Sid};

fn run(doc: &str) -> (World, Sid) {
    let mut w = World::new();
    w.serve("https://app.test/voice", doc);
    let mut app = AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap());
    app.status_callback = Some(StatusCallbackConfig {
        url: WebUrl::parse("https://app.test/status").unwrap(),
        method: Method::Post,
        events: StatusCallbackEvents::NONE,
    });
    let call = w
        .inbound_with("client:alice", "client:support", app)
        .unwrap();
    w.run_until_idle();
    (w, call)
}

fn leg_commands(w: &World) -> Vec<String> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::AnswerLeg { call } => Some(format!("answer {call}")),
            Output::RejectLeg { call, reason } => Some(format!("reject {call} {reason:?}")),
            Output::HangupLeg { call } => Some(format!("hangup {call}")),
            Output::Media(m) => Some(format!("media {}", m.call)),
            _ => None,
        })
        .collect()
}

fn expect(doc: &str, reason: RejectReason, status: &str, final_status: CallStatus) {
    let (w, call) = run(doc);
    let p = Party::inbound(1, "client:alice", "client:support");
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
                "POST https://app.test/status",
                p.callback(status, 0, 0, Some("0"))
            ),
        ]
    );
    assert_eq!(leg_commands(&w), vec![format!("reject {call} {reason:?}")]);
    let s = &w.calls()[&call];
    assert_eq!(
        (s.status, s.start_time, s.duration),
        (final_status, None, Some(0))
    );
}

#[test]
fn reject_busy_ends_the_call_busy() {
    expect(
        r#"<Response><Reject reason="busy"/><Say>never</Say></Response>"#,
        RejectReason::Busy,
        "busy",
        CallStatus::Busy,
    );
}

#[test]
fn reject_rejected_ends_the_call_no_answer() {
    expect(
        r#"<Response><Reject reason="rejected"/></Response>"#,
        RejectReason::Rejected,
        "no-answer",
        CallStatus::NoAnswer,
    );
}

#[test]
fn the_default_reason_is_rejected() {
    expect(
        "<Response><Reject/></Response>",
        RejectReason::Rejected,
        "no-answer",
        CallStatus::NoAnswer,
    );
}

#[test]
fn after_an_answer_reject_hangs_up() {
    let (w, call) = run(r#"<Response><Say>Hello</Say><Reject reason="busy"/></Response>"#);
    assert_eq!(
        leg_commands(&w),
        vec![
            format!("answer {call}"),
            format!("media {call}"),
            format!("hangup {call}"),
        ]
    );
    let p = Party::inbound(1, "client:alice", "client:support");
    assert_eq!(
        views(&w)[1],
        hook_p(
            "status",
            "POST https://app.test/status",
            p.callback("completed", 0, 2, Some("2"))
        )
    );
}
