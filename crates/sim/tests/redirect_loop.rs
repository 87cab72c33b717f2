//! TwiML loops are broken: more than 20 `<Redirect>`/`action` requests in a row without the
//! call waiting for anything is 11215, then the application error and hang-up.

mod common;

use common::*;
use dialtone_core::{MediaCommand, Output};
use dialtone_sim::World;
use dialtone_types::{CallStatus, Level};

fn app_errors(w: &World) -> usize {
    w.outputs()
        .iter()
        .filter(
            |(_, o)| matches!(o, Output::Media(m) if m.command == MediaCommand::ApplicationError),
        )
        .count()
}

#[test]
fn a_redirect_to_itself_stops_after_twenty() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        "<Response><Redirect>/voice</Redirect></Response>",
    );
    let call = w.inbound("client:alice", "client:support", "https://app.test/voice");
    w.run_until_idle();
    // The voice URL, then 20 redirects; the 21st is refused.
    assert_eq!(w.webhooks().len(), 21);
    assert!(
        w.webhooks()[1..]
            .iter()
            .all(|h| h.line() == "POST https://app.test/voice")
    );
    assert_eq!(notes(&w), vec![(ca_str(1), 11215, Level::Error)]);
    assert_eq!(app_errors(&w), 1);
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}

#[test]
fn a_failing_dial_whose_action_leads_back_is_a_loop_too() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial action="/voice"><Number>+14155550100</Number></Dial></Response>"#,
    );
    let call = w.inbound("client:alice", "client:support", "https://app.test/voice");
    w.run_until_idle();
    assert_eq!(w.webhooks().len(), 21);
    let codes: Vec<u32> = w.notifications().iter().map(|n| n.code.0).collect();
    assert_eq!(codes.iter().filter(|c| **c == 13224).count(), 21);
    assert_eq!(codes.last(), Some(&11215));
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}

#[test]
fn an_ivr_that_waits_for_the_caller_is_not_a_loop() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Gather timeout="3" actionOnEmptyResult="true" action="/voice"><Say>Menu</Say></Gather></Response>"#,
    );
    let call = w.inbound("client:alice", "client:support", "https://app.test/voice");
    // 40 rounds of prompt (2 s) + timeout (3 s).
    w.advance(secs(200));
    assert_eq!(w.webhooks().len(), 41);
    assert!(w.notifications().is_empty());
    assert_eq!(w.status(call), Some(CallStatus::InProgress));
}
