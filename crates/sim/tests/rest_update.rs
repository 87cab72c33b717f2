//! REST updates: redirect a live call, complete it, and 21220 when the state forbids it.

mod common;

use common::*;
use dialtone_core::{AppConfig, EngineError, Handled, Method, Output, RestCommand};
use dialtone_sim::{LegScript, World};
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, TwilioCode};

fn in_a_long_pause() -> (World, dialtone_types::Sid) {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Say>Hold on</Say><Pause length="60"/><Say>too late</Say></Response>"#,
    );
    w.serve("https://app.test/next", "<Response><Hangup/></Response>");
    let call = w.inbound("client:alice", "client:support", "https://app.test/voice");
    w.advance(secs(10));
    (w, call)
}

#[test]
fn redirect_interrupts_the_pause_and_fetches_the_new_url() {
    let (mut w, call) = in_a_long_pause();
    let result = w.rest(
        call,
        RestCommand::RedirectUrl {
            url: WebUrl::parse("https://app.test/next").unwrap(),
            method: Method::Get,
        },
    );
    assert_eq!(result, Ok(Handled::Applied));
    w.run_until_idle();
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
                "fetch:Redirect",
                "GET https://app.test/next",
                p.params("in-progress", &[])
            ),
        ]
    );
    assert_eq!(w.status(call), Some(CallStatus::Completed));
    let t0 = dialtone_sim::harness::EPOCH.0;
    assert_eq!(w.calls()[&call].end_time.map(|t| t.0 - t0), Some(10_000));
    assert!(w.engine().armed_timers().is_empty());
}

#[test]
fn cancel_of_an_answered_call_is_21220_and_changes_nothing() {
    let (mut w, call) = in_a_long_pause();
    let before = w.outputs().len();
    let err = w.rest(call, RestCommand::Cancel).unwrap_err();
    assert_eq!(
        err,
        EngineError::InvalidState {
            sid: call,
            status: CallStatus::InProgress,
            action: "canceled",
        }
    );
    assert_eq!(err.code(), TwilioCode::INVALID_CALL_STATE);
    assert_eq!(w.outputs().len(), before);
    assert_eq!(w.status(call), Some(CallStatus::InProgress));
}

#[test]
fn complete_hangs_up_then_the_call_is_gone() {
    let (mut w, call) = in_a_long_pause();
    assert_eq!(w.rest(call, RestCommand::Complete), Ok(Handled::Applied));
    assert!(
        matches!(w.outputs().last(), Some((_, Output::CallUpdated(s))) if s.status == CallStatus::Completed)
    );
    let again = w.rest(call, RestCommand::Complete).unwrap_err();
    assert_eq!(again, EngineError::UnknownCall(call));
}

#[test]
fn redirect_with_inline_twiml_runs_it_at_once() {
    let (mut w, call) = in_a_long_pause();
    let r = w.rest(
        call,
        RestCommand::RedirectTwiml("<Response><Reject/></Response>".to_owned()),
    );
    assert_eq!(r, Ok(Handled::Applied));
    // <Reject> on an answered call acts as <Hangup>.
    assert_eq!(w.status(call), Some(CallStatus::Completed));
    let bad = w.rest(ca(99), RestCommand::RedirectTwiml("<Response/>".to_owned()));
    assert_eq!(bad, Err(EngineError::UnknownCall(ca(99))));
}

#[test]
fn cancel_of_a_ringing_rest_call_cancels_its_leg() {
    let mut w = World::new();
    w.leg("client:bob", LegScript::no_answer());
    let app = AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap());
    let call = w.outbound_api("client:alice", "client:bob", app).unwrap();
    w.advance(secs(3));
    assert_eq!(w.status(call), Some(CallStatus::Ringing));
    assert_eq!(w.rest(call, RestCommand::Cancel), Ok(Handled::Applied));
    assert_eq!(w.status(call), Some(CallStatus::Canceled));
    assert!(
        matches!(w.outputs().iter().rev().nth(1), Some((_, Output::CancelLeg { call: c })) if *c == call)
    );
    // No TwiML was ever fetched.
    assert!(w.webhooks().is_empty());
}
