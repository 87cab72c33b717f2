//! The headline flow end to end: fetch → `<Dial><WhatsApp>` → ringing → answer → whisper →
//! bridge (parent answered only now: `answerOnBridge`) → callee hangs up → `action` → hang-up.

mod common;

use common::*;
use dialtone_core::{MediaCommand, Output};
use dialtone_sim::{LegScript, World};
use dialtone_types::CallStatus;

const VOICE: &str = r#"<Response>
  <Dial callerId="whatsapp:+15550001111" action="/dial-done" answerOnBridge="true">
    <WhatsApp url="/whisper" statusCallback="/status"
              statusCallbackEvent="initiated ringing answered completed">+15557770000</WhatsApp>
  </Dial>
  <Say>never reached: the Dial has an action</Say>
</Response>"#;

fn world() -> World {
    let mut w = World::new();
    w.senders(&["+15550001111"]);
    w.serve("https://app.test/voice", VOICE);
    w.serve(
        "https://app.test/whisper",
        "<Response><Say>Call from Acme</Say></Response>",
    );
    w.serve(
        "https://app.test/dial-done",
        "<Response><Hangup/></Response>",
    );
    w.leg(
        "whatsapp:+15557770000",
        LegScript::answers_after(secs(4)).hangs_up_after(secs(30)),
    );
    w
}

fn child_params(status: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AccountSid", ACCOUNT.to_owned()),
        ("ApiVersion", "2010-04-01".to_owned()),
        ("CallSid", ca_str(2)),
        ("CallStatus", status.to_owned()),
        ("Direction", "outbound-dial".to_owned()),
        ("From", "whatsapp:+15550001111".to_owned()),
        ("ParentCallSid", ca_str(1)),
        ("To", "whatsapp:+15557770000".to_owned()),
    ]
}

fn status_hook(
    status: &str,
    seq: &str,
    at: u64,
    duration: Option<&str>,
) -> (String, String, Vec<(String, String)>) {
    let mut p: Vec<(String, String)> = child_params(status)
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
    if let Some(d) = duration {
        p.push(("CallDuration".to_owned(), d.to_owned()));
    }
    p.push((
        "CallbackSource".to_owned(),
        "call-progress-events".to_owned(),
    ));
    p.push(("SequenceNumber".to_owned(), seq.to_owned()));
    p.push(("Timestamp".to_owned(), ts(at)));
    (
        "status".to_owned(),
        "POST https://app.test/status".to_owned(),
        p,
    )
}

#[test]
fn every_webhook_in_order_with_exact_parameters() {
    let mut w = world();
    let parent = w.inbound("client:agent", "client:dialtone", "https://app.test/voice");
    assert_eq!(parent, ca(1));
    w.run_until_idle();

    let parent_params = |status: &str| {
        vec![
            ("AccountSid", ACCOUNT.to_owned()),
            ("ApiVersion", "2010-04-01".to_owned()),
            ("CallSid", ca_str(1)),
            ("CallStatus", status.to_owned()),
            ("Direction", "inbound".to_owned()),
            ("From", "client:agent".to_owned()),
            ("To", "client:dialtone".to_owned()),
        ]
    };
    let owned = |v: Vec<(&str, String)>| -> Vec<(String, String)> {
        v.into_iter().map(|(n, v)| (n.to_owned(), v)).collect()
    };
    let mut action = owned(parent_params("in-progress"));
    action.extend(pairs(&[
        ("DialCallStatus", "completed"),
        ("DialCallSid", &ca_str(2)),
        ("DialCallDuration", "30"),
        ("DialBridged", "true"),
    ]));

    let got: Vec<_> = w.webhooks().iter().map(view).collect();
    let expected = vec![
        (
            "fetch:Twiml".to_owned(),
            "POST https://app.test/voice".to_owned(),
            owned(parent_params("ringing")),
        ),
        status_hook("initiated", "0", 0, None),
        status_hook("ringing", "1", 1, None),
        status_hook("in-progress", "2", 4, None),
        (
            "fetch:Whisper".to_owned(),
            "POST https://app.test/whisper".to_owned(),
            owned(child_params("in-progress")),
        ),
        status_hook("completed", "3", 34, Some("30")),
        (
            "fetch:Action".to_owned(),
            "POST https://app.test/dial-done".to_owned(),
            action,
        ),
    ];
    assert_eq!(got, expected);
}

#[test]
fn legs_media_and_bridge_in_order_and_parent_answered_at_bridge() {
    let mut w = world();
    let parent = w.inbound("client:agent", "client:dialtone", "https://app.test/voice");
    w.run_until_idle();
    let child = ca(2);
    let t0 = dialtone_sim::harness::EPOCH.0;

    let commands: Vec<(u64, String)> = w
        .outputs()
        .iter()
        .filter_map(|(t, o)| {
            let what = match o {
                Output::StartLeg(l) => format!("start {} {} -> {}", l.call, l.from, l.to),
                Output::AnswerLeg { call } => format!("answer {call}"),
                Output::CancelLeg { call } => format!("cancel {call}"),
                Output::HangupLeg { call } => format!("hangup {call}"),
                Output::Bridge { parent, child } => format!("bridge {parent} {child}"),
                Output::Unbridge { parent, child } => format!("unbridge {parent} {child}"),
                Output::Media(m) => match &m.command {
                    MediaCommand::Say { text, .. } => format!("say {} {text}", m.call),
                    other => format!("media {other:?}"),
                },
                _ => return None,
            };
            Some((t.0 - t0, what))
        })
        .collect();
    assert_eq!(
        commands,
        vec![
            (
                0,
                format!("start {child} whatsapp:+15550001111 -> whatsapp:+15557770000")
            ),
            (4_000, format!("say {child} Call from Acme")),
            // The whisper took 2 s; only then is the parent answered and bridged.
            (6_000, format!("answer {parent}")),
            (6_000, format!("bridge {parent} {child}")),
            (34_000, format!("unbridge {parent} {child}")),
            (34_000, format!("hangup {parent}")),
        ]
    );

    let p = &w.calls()[&parent];
    assert_eq!(p.status, CallStatus::Completed);
    assert_eq!(p.start_time.map(|t| t.0 - t0), Some(6_000));
    assert_eq!(p.duration, Some(28));
    let c = &w.calls()[&child];
    assert_eq!(c.status, CallStatus::Completed);
    assert_eq!(c.parent, Some(parent));
    assert_eq!(c.duration, Some(30));
    assert!(w.notifications().is_empty(), "{:?}", w.notifications());
    assert_eq!(w.engine().live_calls(), 0);
    assert!(w.engine().armed_timers().is_empty());
}

#[test]
fn parent_is_answered_before_dialing_without_answer_on_bridge() {
    let mut w = world();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial callerId="whatsapp:+15550001111"><WhatsApp>+15557770000</WhatsApp></Dial></Response>"#,
    );
    let parent = w.inbound("client:agent", "client:dialtone", "https://app.test/voice");
    w.run_until_idle();
    let first_two: Vec<String> = w
        .outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::AnswerLeg { call } => Some(format!("answer {call}")),
            Output::StartLeg(l) => Some(format!("start {}", l.call)),
            _ => None,
        })
        .collect();
    assert_eq!(
        first_two,
        vec![format!("answer {parent}"), format!("start {}", ca(2))]
    );
    // No action: the document ends after the Dial and the parent hangs up when the child does.
    assert_eq!(w.status(parent), Some(CallStatus::Completed));
    assert_eq!(w.calls()[&parent].duration, Some(34));
}
