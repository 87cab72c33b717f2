//! A media command that cannot play (`LegEvent::MediaFailed`): the call's Notification carries
//! the code (a `<Say>` text problem is a warning, a `<Play>` fetch failure an error), and the
//! call goes on with the next verb exactly as after `MediaFinished` — Twilio does not document
//! this (reference §10 item 3); Dialtone continues (`docs/twilio-compat.md`).

mod common;

use common::*;
use dialtone_core::{MediaCommand, Output};
use dialtone_sim::World;
use dialtone_sim::harness::EPOCH;
use dialtone_types::{Level, TwilioCode};

const DOC: &str = "https://app.test/ivr/menu";

/// Each media command as `(ms, what)`, with the hang-up.
fn media(w: &World) -> Vec<(u64, String)> {
    w.outputs()
        .iter()
        .filter_map(|(t, o)| {
            let what = match o {
                Output::Media(m) => match &m.command {
                    MediaCommand::Say { text, .. } => format!("say {text}"),
                    MediaCommand::Play { url, .. } => format!("play {url}"),
                    other => format!("{other:?}"),
                },
                Output::HangupLeg { .. } => "hangup".to_owned(),
                _ => return None,
            };
            Some((t.0 - EPOCH.0, what))
        })
        .collect()
}

fn run(doc: &str, fail: &str, code: u32, message: &str) -> World {
    let mut w = World::new();
    w.set_fetch_latency(std::time::Duration::from_millis(100));
    w.fail_media(fail, TwilioCode(code), message);
    w.serve(DOC, doc);
    let call = w.inbound("client:alice", "client:ivr", DOC);
    w.hang_up_after(call, secs(60));
    w.run_until_idle();
    w
}

#[test]
fn a_say_that_fails_warns_and_the_next_verb_plays() {
    let w = run(
        "<Response><Say>broken text</Say><Say>next</Say><Hangup/></Response>",
        "broken",
        13520,
        "Say: invalid text: cannot be spoken",
    );
    // Fetch 100 ms; the failure comes back after 100 ms; `next` plays its 2 s.
    assert_eq!(
        media(&w),
        [
            (100, "say broken text".to_owned()),
            (200, "say next".to_owned()),
            (2200, "hangup".to_owned()),
        ]
    );
    let n = w.notifications();
    assert_eq!(n.len(), 1, "{n:?}");
    assert_eq!(n[0].call, ca(1));
    assert_eq!(n[0].code, TwilioCode(13520));
    assert_eq!(n[0].level, Level::Warning);
    assert_eq!(n[0].message, "Say: invalid text: cannot be spoken");
    assert_eq!(
        n[0].url.as_ref().map(dialtone_types::WebUrl::as_str),
        Some(DOC)
    );
}

#[test]
fn a_play_that_cannot_be_fetched_is_an_error_and_the_next_verb_plays() {
    let w = run(
        "<Response><Play>/missing.wav</Play><Say>after</Say><Hangup/></Response>",
        "missing",
        11200,
        "HTTP retrieval failure: 404 from https://app.test/missing.wav",
    );
    assert_eq!(
        media(&w),
        [
            (100, "play https://app.test/missing.wav".to_owned()),
            (200, "say after".to_owned()),
            (2200, "hangup".to_owned()),
        ]
    );
    assert_eq!(
        notes(&w),
        [(ca_str(1), 11200, Level::Error)],
        "{:?}",
        w.notifications()
    );
    assert_eq!(
        w.notifications()[0].message,
        "HTTP retrieval failure: 404 from https://app.test/missing.wav"
    );
}

#[test]
fn a_failed_gather_prompt_goes_on_to_the_next_prompt_then_waits_for_digits() {
    let w = run(
        "<Response><Gather timeout=\"3\"><Play>/missing.wav</Play><Say>press one</Say></Gather>\
         <Say>fell through</Say><Hangup/></Response>",
        "missing",
        11200,
        "HTTP retrieval failure",
    );
    // The prompt after the failed one plays, then 3 s of timeout, then the fall-through.
    assert_eq!(
        media(&w),
        [
            (100, "play https://app.test/missing.wav".to_owned()),
            (200, "say press one".to_owned()),
            (5200, "say fell through".to_owned()),
            (7200, "hangup".to_owned()),
        ]
    );
    assert_eq!(notes(&w), [(ca_str(1), 11200, Level::Error)]);
}

#[test]
fn a_failure_for_a_stopped_or_unknown_media_id_is_stale() {
    let mut w = World::new();
    w.serve(DOC, "<Response><Say>hello</Say><Hangup/></Response>");
    let call = w.inbound("client:alice", "client:ivr", DOC);
    w.schedule(
        std::time::Duration::from_millis(500),
        dialtone_core::Input::Leg {
            call,
            event: dialtone_core::LegEvent::MediaFailed {
                id: dialtone_core::MediaId(999),
                code: TwilioCode(11200),
                message: "late".to_owned(),
            },
        },
    );
    w.run_until_idle();
    assert!(w.notifications().is_empty(), "{:?}", w.notifications());
    assert_eq!(
        media(&w),
        [(0, "say hello".to_owned()), (2000, "hangup".to_owned())]
    );
}
