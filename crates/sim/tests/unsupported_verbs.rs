//! Verbs and nouns Dialtone does not run yet produce the documented "not supported"
//! notification (13750, an error, naming the element) and are skipped: the document goes on
//! with the next verb. `<Number>` is 13224 (no phone-network legs); speech `<Gather>` is a
//! 13750 warning and digits are still collected.

mod common;

use common::*;
use dialtone_core::{MediaCommand, Output};
use dialtone_sim::World;
use dialtone_types::{CallStatus, Level, TwilioCode};

fn run(doc: &str) -> World {
    let mut w = World::new();
    w.serve("https://app.test/voice", doc);
    w.serve(
        "https://app.test/gathered",
        "<Response><Hangup/></Response>",
    );
    let call = w.inbound("client:alice", "client:support", "https://app.test/voice");
    w.press_after(call, secs(3), "42#");
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

/// Notifications as `(code, level, message)`.
fn messages(w: &World) -> Vec<(u32, Level, String)> {
    w.notifications()
        .iter()
        .map(|n| (n.code.0, n.level, n.message.clone()))
        .collect()
}

fn not_supported(verb: &str) -> (u32, Level, String) {
    (
        TwilioCode::VERB_NOT_SUPPORTED.0,
        Level::Error,
        format!("<{verb}> is not supported by Dialtone; skipped"),
    )
}

#[test]
fn unsupported_verbs_are_reported_and_skipped() {
    let w = run(
        "<Response><Say>before</Say><Pay/><Enqueue>support</Enqueue><Echo/><Say>after</Say></Response>",
    );
    assert_eq!(
        messages(&w),
        vec![
            not_supported("Pay"),
            not_supported("Enqueue"),
            not_supported("Echo"),
        ]
    );
    assert!(w.notifications().iter().all(|n| n.call == ca(1)));
    assert_eq!(says(&w), vec!["before", "after"]);
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}

#[test]
fn unsupported_dial_nouns_are_reported_and_the_dial_fails() {
    let w = run(
        r#"<Response><Dial action="/gathered"><Sip>sip:alice@example.test</Sip><Queue>support</Queue><Number>+14155550100</Number></Dial></Response>"#,
    );
    assert_eq!(
        messages(&w),
        vec![
            (
                13750,
                Level::Error,
                "<Dial><Sip> is not supported by Dialtone".to_owned()
            ),
            (
                13750,
                Level::Error,
                "<Dial><Queue> is not supported by Dialtone".to_owned()
            ),
            (
                13224,
                Level::Error,
                "<Number> is not supported: Dialtone has no phone-network legs".to_owned()
            ),
        ]
    );
    let p = Party::inbound(1, "client:alice", "client:support");
    assert_eq!(
        views(&w)[1],
        hook_p(
            "fetch:Action",
            "POST https://app.test/gathered",
            p.params(
                "in-progress",
                &[("DialCallStatus", "failed"), ("DialBridged", "false")]
            )
        )
    );
    assert!(w.children_of(ca(1)).is_empty());
}

#[test]
fn speech_only_gather_warns_and_still_collects_digits() {
    let w = run(
        r#"<Response><Gather input="speech" action="/gathered" numDigits="2"><Say>Say it</Say></Gather></Response>"#,
    );
    assert_eq!(
        messages(&w),
        vec![(
            13750,
            Level::Warning,
            "<Gather input=\"speech\"> is not supported; collecting DTMF digits only".to_owned()
        )]
    );
    assert_eq!(w.webhooks()[1].param("Digits"), Some("42"));
}

#[test]
fn speech_and_dtmf_gather_warns_and_still_collects_digits() {
    let w = run(
        r##"<Response><Gather input="speech dtmf" action="/gathered" finishOnKey="#"><Say>Say or press</Say></Gather></Response>"##,
    );
    let warning = w.notifications();
    assert_eq!(warning.len(), 1);
    assert_eq!(
        (warning[0].code.0, warning[0].level),
        (13750, Level::Warning)
    );
    let p = Party::inbound(1, "client:alice", "client:support");
    assert_eq!(
        views(&w)[1],
        hook_p(
            "fetch:Action",
            "POST https://app.test/gathered",
            p.params("in-progress", &[("Digits", "42"), ("FinishedOnKey", "#")])
        )
    );
}
