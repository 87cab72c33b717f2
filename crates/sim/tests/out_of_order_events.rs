//! Inputs that arrive late, twice or out of order are absorbed (`Handled::Stale`), change
//! nothing and never produce a second terminal status: a hang-up before ringing, two answers,
//! ringing after the answer, a late fetch result for a call that moved on, a media completion
//! that is not the one awaited, and events for calls the engine never had or already forgot.

mod common;

use common::*;
use dialtone_core::{FetchResult, Handled, Input, LegEvent, MediaId, Output, RequestId};
use dialtone_sim::{LegScript, World};
use dialtone_types::{CallStatus, Sid, TwilioCode};

const VOICE: &str = r#"<Response><Dial action="/done"><Client statusCallback="/cb" statusCallbackEvent="initiated ringing answered completed">agent</Client></Dial></Response>"#;

fn world(agent: LegScript) -> World {
    let mut w = World::new();
    w.serve("https://app.test/voice", VOICE);
    w.serve("https://app.test/done", "<Response><Hangup/></Response>");
    w.leg("client:agent", agent);
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w
}

fn leg(w: &mut World, call: Sid, event: LegEvent) -> Handled {
    w.input(Input::Leg { call, event }).unwrap()
}

/// Terminal snapshots per call.
fn terminals(w: &World, call: Sid) -> usize {
    w.outputs()
        .iter()
        .filter(
            |(_, o)| matches!(o, Output::CallUpdated(s) if s.sid == call && s.status.is_terminal()),
        )
        .count()
}

fn callback_statuses(w: &World) -> Vec<(String, String)> {
    w.webhooks()
        .iter()
        .filter(|h| h.kind == dialtone_sim::WebhookKind::StatusCallback)
        .map(|h| {
            (
                h.param("CallStatus").unwrap_or_default().to_owned(),
                h.param("SequenceNumber").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pairs_of(list: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs(list)
}

#[test]
fn a_hang_up_before_ringing_ends_the_child_once() {
    let mut w = world(LegScript::answers_after(secs(5)));
    let child = ca(2);
    // The voice document is fetched and the child leg placed at 0 s.
    w.advance(secs(0));
    assert_eq!(w.status(child), Some(CallStatus::Initiated));
    // The far end drops before it even rang.
    assert_eq!(leg(&mut w, child, LegEvent::HungUp), Handled::Applied);
    // The network then reports ringing and an answer anyway.
    assert_eq!(leg(&mut w, child, LegEvent::Ringing), Handled::Stale);
    assert_eq!(leg(&mut w, child, LegEvent::Answered), Handled::Stale);
    assert_eq!(leg(&mut w, child, LegEvent::HungUp), Handled::Stale);
    w.run_until_idle();
    assert_eq!(
        callback_statuses(&w),
        pairs_of(&[("initiated", "0"), ("no-answer", "1")])
    );
    assert_eq!(terminals(&w, child), 1);
    let action = w.webhooks().last().unwrap();
    assert_eq!(action.url, "https://app.test/done");
    assert_eq!(action.param("DialCallStatus"), Some("no-answer"));
    assert_eq!(action.param("DialBridged"), Some("false"));
}

#[test]
fn a_second_answer_and_late_ringing_are_ignored() {
    let mut w = world(LegScript::answers_after(secs(2)).hangs_up_after(secs(10)));
    let child = ca(2);
    w.advance(secs(3));
    let before = w.outputs().len();
    assert_eq!(leg(&mut w, child, LegEvent::Answered), Handled::Stale);
    assert_eq!(leg(&mut w, child, LegEvent::Ringing), Handled::Stale);
    assert_eq!(leg(&mut w, child, LegEvent::Busy), Handled::Stale);
    assert_eq!(leg(&mut w, child, LegEvent::NoAnswer), Handled::Stale);
    assert_eq!(w.outputs().len(), before, "stale inputs emit nothing");
    w.run_until_idle();
    assert_eq!(
        callback_statuses(&w),
        pairs_of(&[
            ("initiated", "0"),
            ("ringing", "1"),
            ("in-progress", "2"),
            ("completed", "3")
        ])
    );
    let bridges = w
        .outputs()
        .iter()
        .filter(|(_, o)| matches!(o, Output::Bridge { .. }))
        .count();
    assert_eq!(bridges, 1);
    assert_eq!(terminals(&w, child), 1);
}

#[test]
fn a_late_fetch_result_for_a_call_that_moved_on_is_ignored() {
    let mut w = world(LegScript::answers_after(secs(2)).hangs_up_after(secs(10)));
    w.advance(secs(3));
    let Some(voice_request) = w.outputs().iter().find_map(|(_, o)| match o {
        Output::Fetch(f) => Some(f.request),
        _ => None,
    }) else {
        panic!("no voice fetch");
    };
    let before = w.outputs().len();
    // The voice document again (a retry that came back late), and a failure for it.
    let late = w.input(Input::Fetched {
        call: ca(1),
        request: voice_request,
        result: FetchResult::xml("<Response><Hangup/></Response>"),
    });
    assert_eq!(late, Ok(Handled::Stale));
    let failed = w.input(Input::Fetched {
        call: ca(1),
        request: voice_request,
        result: FetchResult::Failed {
            code: TwilioCode(11205),
            message: "timeout".to_owned(),
        },
    });
    assert_eq!(failed, Ok(Handled::Stale));
    // A request id the call never used.
    let never = w.input(Input::Fetched {
        call: ca(1),
        request: RequestId(9_999),
        result: FetchResult::xml("<Response><Hangup/></Response>"),
    });
    assert_eq!(never, Ok(Handled::Stale));
    assert_eq!(w.outputs().len(), before);
    assert_eq!(w.status(ca(1)), Some(CallStatus::InProgress));
    assert_eq!(w.status(ca(2)), Some(CallStatus::InProgress));
}

#[test]
fn a_media_completion_that_is_not_awaited_is_ignored() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        "<Response><Say>one</Say><Say>two</Say></Response>",
    );
    let call = w.inbound("client:caller", "client:sales", "https://app.test/voice");
    let before = w.outputs().len();
    assert_eq!(
        leg(&mut w, call, LegEvent::MediaFinished(MediaId(777))),
        Handled::Stale
    );
    assert_eq!(w.outputs().len(), before);
    w.run_until_idle();
    let says = w
        .outputs()
        .iter()
        .filter(|(_, o)| matches!(o, Output::Media(_)))
        .count();
    assert_eq!(says, 2);
    assert_eq!(terminals(&w, call), 1);
}

#[test]
fn events_for_unknown_or_forgotten_calls_are_stale() {
    let mut w = world(LegScript::busy());
    w.run_until_idle();
    assert_eq!(w.engine().live_calls(), 0);
    let before = w.outputs().len();
    for call in [ca(1), ca(2), ca(404)] {
        for event in [
            LegEvent::Ringing,
            LegEvent::Answered,
            LegEvent::HungUp,
            LegEvent::Digits("*".to_owned()),
            LegEvent::MediaFinished(MediaId(1)),
        ] {
            assert_eq!(leg(&mut w, call, event), Handled::Stale);
        }
        let fetched = w.input(Input::Fetched {
            call,
            request: RequestId(1),
            result: FetchResult::xml("<Response><Say>x</Say></Response>"),
        });
        assert_eq!(fetched, Ok(Handled::Stale));
    }
    assert_eq!(w.outputs().len(), before);
    assert_eq!(terminals(&w, ca(1)), 1);
    assert_eq!(terminals(&w, ca(2)), 1);
}

#[test]
fn a_parent_hang_up_twice_ends_it_once() {
    let mut w = world(LegScript::no_answer());
    w.advance(secs(2));
    assert_eq!(leg(&mut w, ca(1), LegEvent::HungUp), Handled::Applied);
    assert_eq!(leg(&mut w, ca(1), LegEvent::HungUp), Handled::Stale);
    w.run_until_idle();
    assert_eq!(terminals(&w, ca(1)), 1);
    assert_eq!(terminals(&w, ca(2)), 1);
    assert_eq!(w.status(ca(2)), Some(CallStatus::Canceled));
}
