//! `<Gather>`: digits to `action` with `finishOnKey` (reported as `FinishedOnKey`, not in
//! `Digits`), `numDigits`, the `timeout` between digits, `actionOnEmptyResult`, fall-through to
//! the next verb on an empty result, the default `action` (the document's own URL), and nested
//! `<Say>`/`<Play>` prompts interrupted by the first key.

mod common;

use common::*;
use dialtone_core::{MediaCommand, Output};
use dialtone_sim::World;
use dialtone_sim::harness::EPOCH;
use dialtone_types::{CallStatus, Sid};

fn caller() -> Party {
    Party::inbound(1, "client:alice", "client:ivr")
}

/// Serves `gather` followed by `<Say>fell through</Say>`, presses `keys` at each time.
fn run(gather: &str, keys: &[(u64, &str)]) -> (World, Sid) {
    let mut w = World::new();
    w.serve(
        "https://app.test/ivr/menu",
        &format!("<Response>{gather}<Say>fell through</Say></Response>"),
    );
    w.serve(
        "https://app.test/ivr/digits",
        "<Response><Hangup/></Response>",
    );
    w.serve(
        "https://app.test/ivr/menu2",
        "<Response><Hangup/></Response>",
    );
    let call = w.inbound("client:alice", "client:ivr", "https://app.test/ivr/menu");
    for (at, digits) in keys {
        w.press_after(call, secs(*at), digits);
    }
    w.run_until_idle();
    (w, call)
}

/// Media and stops as `(ms, text)`.
fn media(w: &World) -> Vec<(u64, String)> {
    w.outputs()
        .iter()
        .filter_map(|(t, o)| {
            let what = match o {
                Output::Media(m) => match &m.command {
                    MediaCommand::Say { text, .. } => format!("say {text} #{}", m.id.0),
                    MediaCommand::Play { url, .. } => format!("play {url} #{}", m.id.0),
                    other => format!("{other:?}"),
                },
                Output::StopMedia { id, .. } => format!("stop #{}", id.0),
                Output::HangupLeg { .. } => "hangup".to_owned(),
                _ => return None,
            };
            Some((t.0 - EPOCH.0, what))
        })
        .collect()
}

fn voice_fetch() -> View {
    hook_p(
        "fetch:Twiml",
        "POST https://app.test/ivr/menu",
        caller().params("ringing", &[]),
    )
}

#[test]
fn finish_on_key_submits_the_digits_before_it_and_interrupts_the_prompt() {
    let (w, call) = run(
        r##"<Gather action="digits" finishOnKey="#"><Say>Enter your PIN</Say><Play>/beep.wav</Play></Gather>"##,
        &[(1, "12#9")],
    );
    assert_eq!(
        views(&w),
        vec![
            voice_fetch(),
            hook_p(
                "fetch:Action",
                "POST https://app.test/ivr/digits",
                caller().params("in-progress", &[("Digits", "12"), ("FinishedOnKey", "#")])
            ),
        ]
    );
    // The key at 1 s stops the <Say>; the <Play> never starts; the fall-through never runs.
    let say_id = match &w
        .outputs()
        .iter()
        .find(|(_, o)| matches!(o, Output::Media(_)))
    {
        Some((_, Output::Media(m))) => m.id.0,
        _ => panic!("no prompt"),
    };
    assert_eq!(
        media(&w),
        vec![
            (0, format!("say Enter your PIN #{say_id}")),
            (1_000, format!("stop #{say_id}")),
            (1_000, "hangup".to_owned()),
        ]
    );
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}

#[test]
fn num_digits_submits_as_soon_as_enough_digits_arrived() {
    let (w, _) = run(
        r#"<Gather numDigits="3" action="/ivr/digits" method="GET"><Say>Code?</Say></Gather>"#,
        &[(3, "12"), (4, "345")],
    );
    assert_eq!(
        views(&w)[1],
        hook_p(
            "fetch:Action",
            "GET https://app.test/ivr/digits",
            caller().params("in-progress", &[("Digits", "123")])
        )
    );
    assert_eq!(w.webhooks()[1].at.0 - EPOCH.0, 4_000);
}

#[test]
fn the_timeout_after_the_last_digit_submits_what_was_typed() {
    // Prompt 0–2 s; key at 3 s; 4 s later (timeout) the gather ends.
    let (w, _) = run(
        r#"<Gather timeout="4" action="digits"><Say>Code?</Say></Gather>"#,
        &[(3, "7")],
    );
    assert_eq!(
        views(&w)[1],
        hook_p(
            "fetch:Action",
            "POST https://app.test/ivr/digits",
            caller().params("in-progress", &[("Digits", "7")])
        )
    );
    assert_eq!(w.webhooks()[1].at.0 - EPOCH.0, 7_000);
}

#[test]
fn an_empty_result_falls_through_to_the_next_verb() {
    let (w, call) = run(
        r#"<Gather timeout="3" action="digits"><Say>Code?</Say></Gather>"#,
        &[],
    );
    assert_eq!(views(&w), vec![voice_fetch()]);
    let said: Vec<(u64, String)> = media(&w)
        .into_iter()
        .map(|(t, s)| (t, s.split(" #").next().unwrap_or_default().to_owned()))
        .collect();
    assert_eq!(
        said,
        vec![
            (0, "say Code?".to_owned()),
            // Prompt ends at 2 s, timeout 3 s later.
            (5_000, "say fell through".to_owned()),
            (7_000, "hangup".to_owned()),
        ]
    );
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}

#[test]
fn action_on_empty_result_requests_action_with_empty_digits() {
    let (w, _) = run(
        r#"<Gather timeout="3" action="digits" actionOnEmptyResult="true"><Say>Code?</Say></Gather>"#,
        &[],
    );
    assert_eq!(
        views(&w),
        vec![
            voice_fetch(),
            hook_p(
                "fetch:Action",
                "POST https://app.test/ivr/digits",
                caller().params("in-progress", &[("Digits", "")])
            ),
        ]
    );
    assert_eq!(w.webhooks()[1].at.0 - EPOCH.0, 5_000);
}

#[test]
fn without_action_the_digits_go_to_the_document_url() {
    let mut w = World::new();
    w.serve(
        "https://app.test/ivr/menu",
        r#"<Response><Gather numDigits="1"><Say>Press a key</Say></Gather></Response>"#,
    );
    let call = w.inbound("client:alice", "client:ivr", "https://app.test/ivr/menu");
    w.press_after(call, secs(1), "5");
    w.advance(secs(1));
    assert_eq!(
        views(&w),
        vec![
            voice_fetch(),
            hook_p(
                "fetch:Action",
                "POST https://app.test/ivr/menu",
                caller().params("in-progress", &[("Digits", "5")])
            ),
        ]
    );
}

#[test]
fn keys_that_are_not_dtmf_are_ignored() {
    let (w, _) = run(
        r#"<Gather numDigits="2" action="digits"><Say>Code?</Say></Gather>"#,
        &[(3, "x4?2")],
    );
    assert_eq!(
        views(&w)[1],
        hook_p(
            "fetch:Action",
            "POST https://app.test/ivr/digits",
            caller().params("in-progress", &[("Digits", "42")])
        )
    );
}
