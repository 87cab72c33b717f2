//! REST updates of a live call's `FallbackUrl`, `StatusCallback` (and their methods) and
//! `TimeLimit` (`RestCommand::Settings`): the engine uses them from then on. A new status
//! callback URL gets the later events (`SequenceNumber` goes on counting); `TimeLimit` counts
//! again from the call's arrival (inbound) or answer (REST-created); a new fallback serves a
//! voice URL fetched afterwards.

mod common;

use common::*;
use dialtone_core::{
    AppConfig, CallSettings, EngineError, Handled, Method, Output, RestCommand,
    StatusCallbackConfig, StatusCallbackEvents, TwimlSource,
};
use dialtone_sim::{LegScript, World};
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Sid};

fn url(u: &str) -> WebUrl {
    WebUrl::parse(u).unwrap()
}

fn settings(s: CallSettings) -> RestCommand {
    RestCommand::Settings(Box::new(s))
}

fn voice(callback: Option<(&str, StatusCallbackEvents)>) -> AppConfig {
    AppConfig {
        status_callback: callback.map(|(u, events)| StatusCallbackConfig {
            url: url(u),
            method: Method::Post,
            events,
        }),
        ..AppConfig::url(url("https://app.test/voice"))
    }
}

/// When (seconds since the epoch) and how `call` ended: its last leg command.
fn ended(w: &World, call: Sid) -> Option<(u64, CallStatus, Option<u64>)> {
    let snap = &w.calls()[&call];
    let end = snap.end_time?;
    Some((
        end.whole_seconds_since(dialtone_sim::harness::EPOCH),
        snap.status,
        snap.duration,
    ))
}

#[test]
fn a_new_status_callback_gets_the_later_events_and_the_sequence_goes_on() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Pause length="28"/></Response>"#,
    );
    w.leg("client:alice", LegScript::answers_after(secs(2)));
    w.outbound_api(
        "+15005550006",
        "client:alice",
        voice(Some(("https://app.test/old", StatusCallbackEvents::ALL))),
    )
    .unwrap();
    w.advance(secs(10));
    let new = CallSettings {
        status_callback: Some(url("https://app.test/new")),
        status_callback_method: Some(Method::Get),
        ..CallSettings::default()
    };
    assert_eq!(w.rest(ca(1), settings(new)), Ok(Handled::Applied));
    w.run_until_idle();
    let p = Party::outbound_api();
    let old = "POST https://app.test/old";
    assert_eq!(
        views(&w),
        [
            hook_p("status", old, p.callback("initiated", 0, 0, None)),
            hook_p("status", old, p.callback("ringing", 1, 1, None)),
            hook_p("status", old, p.callback("in-progress", 2, 2, None)),
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("in-progress", &[])
            ),
            hook_p(
                "status",
                "GET https://app.test/new",
                p.callback("completed", 3, 30, Some("28"))
            ),
        ]
    );
}

#[test]
fn a_status_callback_given_with_status_completed_gets_the_completed_event() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Pause length="60"/></Response>"#,
    );
    w.leg("client:alice", LegScript::answers_after(secs(2)));
    w.outbound_api("+15005550006", "client:alice", voice(None))
        .unwrap();
    w.advance(secs(5));
    // The runtime sends the settings first, then the status.
    let new = CallSettings {
        status_callback: Some(url("https://app.test/late")),
        ..CallSettings::default()
    };
    assert_eq!(w.rest(ca(1), settings(new)), Ok(Handled::Applied));
    assert_eq!(w.rest(ca(1), RestCommand::Complete), Ok(Handled::Applied));
    w.run_until_idle();
    assert_eq!(
        views(&w)[1..],
        [hook_p(
            "status",
            "POST https://app.test/late",
            Party::outbound_api().callback("completed", 0, 5, Some("3"))
        )]
    );
    // The call is over: nothing more can change.
    assert_eq!(
        w.rest(
            ca(1),
            settings(CallSettings {
                time_limit_secs: Some(10),
                ..CallSettings::default()
            })
        ),
        Err(EngineError::UnknownCall(ca(1)))
    );
}

#[test]
fn a_method_alone_changes_the_current_subscription_and_fallback() {
    let mut w = World::new();
    w.leg("client:alice", LegScript::answers_after(secs(2)));
    let app = AppConfig {
        fallback: Some((url("https://backup.test/fallback"), Method::Post)),
        ..voice(Some((
            "https://app.test/cb",
            StatusCallbackEvents::COMPLETED,
        )))
    };
    w.serve(
        "https://backup.test/fallback",
        "<Response><Hangup/></Response>",
    );
    w.outbound_api("+15005550006", "client:alice", app).unwrap();
    w.advance(secs(1));
    let change = CallSettings {
        fallback_method: Some(Method::Get),
        status_callback_method: Some(Method::Get),
        ..CallSettings::default()
    };
    assert_eq!(w.rest(ca(1), settings(change)), Ok(Handled::Applied));
    w.run_until_idle();
    let lines: Vec<String> = w
        .webhooks()
        .iter()
        .map(dialtone_sim::Webhook::line)
        .collect();
    assert_eq!(
        lines,
        [
            "POST https://app.test/voice",
            "GET https://backup.test/fallback",
            "GET https://app.test/cb",
        ]
    );
    assert_eq!(w.webhooks()[1].param("ErrorCode"), Some("11200"));
    assert_eq!(w.webhooks()[2].param("CallStatus"), Some("completed"));
}

#[test]
fn a_new_fallback_serves_a_voice_url_fetched_afterwards() {
    let mut w = World::new();
    // The voice URL is not served (404: 11200).
    w.serve(
        "https://backup.test/new",
        "<Response><Say>sorry</Say></Response>",
    );
    w.leg(
        "client:alice",
        LegScript::answers_after(secs(3)).hangs_up_after(secs(10)),
    );
    let app = AppConfig {
        twiml: TwimlSource::Url {
            url: url("https://app.test/voice"),
            method: Method::Post,
        },
        fallback: None,
        status_callback: None,
    };
    w.outbound_api("+15005550006", "client:alice", app).unwrap();
    w.advance(secs(1));
    let change = CallSettings {
        fallback_url: Some(url("https://backup.test/new")),
        ..CallSettings::default()
    };
    assert_eq!(w.rest(ca(1), settings(change)), Ok(Handled::Applied));
    w.run_until_idle();
    let p = Party::outbound_api();
    assert_eq!(
        views(&w),
        [
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("in-progress", &[])
            ),
            hook_p(
                "fetch:Fallback",
                "POST https://backup.test/new",
                p.params(
                    "in-progress",
                    &[
                        ("ErrorCode", "11200"),
                        ("ErrorUrl", "https://app.test/voice")
                    ]
                )
            ),
        ]
    );
    // Say (2 s), then the end of the fallback document hangs up.
    assert_eq!(ended(&w, ca(1)), Some((5, CallStatus::Completed, Some(2))));
}

#[test]
fn time_limit_counts_from_an_inbound_calls_arrival() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Say>hi</Say><Pause length="100"/></Response>"#,
    );
    w.inbound("client:bob", "client:ivr", "https://app.test/voice");
    w.advance(secs(10));
    let limit = CallSettings {
        time_limit_secs: Some(30),
        ..CallSettings::default()
    };
    assert_eq!(w.rest(ca(1), settings(limit)), Ok(Handled::Applied));
    w.run_until_idle();
    assert_eq!(
        ended(&w, ca(1)),
        Some((30, CallStatus::Completed, Some(30)))
    );
    let hangups: Vec<_> = w
        .outputs()
        .iter()
        .filter(|(_, o)| matches!(o, Output::HangupLeg { .. }))
        .collect();
    assert_eq!(hangups.len(), 1);
}

#[test]
fn time_limit_counts_from_a_rest_calls_answer_and_applies_once_it_answers() {
    // Answered at 2: a 20 s limit set at 10 ends it at 22.
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Pause length="100"/></Response>"#,
    );
    w.leg("client:alice", LegScript::answers_after(secs(2)));
    w.outbound_api("+15005550006", "client:alice", voice(None))
        .unwrap();
    w.advance(secs(10));
    let limit = |secs| {
        settings(CallSettings {
            time_limit_secs: Some(secs),
            ..CallSettings::default()
        })
    };
    assert_eq!(w.rest(ca(1), limit(20)), Ok(Handled::Applied));
    w.run_until_idle();
    assert_eq!(
        ended(&w, ca(1)),
        Some((22, CallStatus::Completed, Some(20)))
    );

    // Set while ringing: armed at the answer (2), ends at 7.
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Pause length="100"/></Response>"#,
    );
    w.leg("client:alice", LegScript::answers_after(secs(2)));
    w.outbound_api("+15005550006", "client:alice", voice(None))
        .unwrap();
    w.advance(secs(1));
    assert_eq!(w.rest(ca(1), limit(5)), Ok(Handled::Applied));
    w.run_until_idle();
    assert_eq!(ended(&w, ca(1)), Some((7, CallStatus::Completed, Some(5))));

    // Already exceeded when set (answered at 2, 5 s limit set at 10): ends at once.
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Pause length="100"/></Response>"#,
    );
    w.leg("client:alice", LegScript::answers_after(secs(2)));
    w.outbound_api("+15005550006", "client:alice", voice(None))
        .unwrap();
    w.advance(secs(10));
    assert_eq!(w.rest(ca(1), limit(5)), Ok(Handled::Applied));
    w.run_until_idle();
    assert_eq!(ended(&w, ca(1)), Some((10, CallStatus::Completed, Some(8))));
}

#[test]
fn a_dial_childs_new_status_callback_and_time_limit() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Dial><Client statusCallback="/old" statusCallbackEvent="answered completed">agent</Client></Dial></Response>"#,
    );
    w.leg("client:agent", LegScript::answers_after(secs(2)));
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w.advance(secs(5));
    let change = CallSettings {
        status_callback: Some(url("https://app.test/new")),
        time_limit_secs: Some(10),
        ..CallSettings::default()
    };
    assert_eq!(w.rest(ca(2), settings(change)), Ok(Handled::Applied));
    w.run_until_idle();
    let c = Party::child(2, 1, "client:caller", "client:agent");
    assert_eq!(
        views(&w)[1..],
        [
            hook_p(
                "status",
                "POST https://app.test/old",
                c.callback("in-progress", 0, 2, None)
            ),
            hook_p(
                "status",
                "POST https://app.test/new",
                c.callback("completed", 1, 12, Some("10"))
            ),
        ]
    );
    // The dial ended with the child: no action, the parent's document ends.
    assert_eq!(
        ended(&w, ca(1)),
        Some((12, CallStatus::Completed, Some(12)))
    );
}

#[test]
fn settings_of_an_ended_call_are_refused() {
    let mut w = World::new();
    w.serve("https://app.test/voice", "<Response><Hangup/></Response>");
    w.inbound("client:bob", "client:ivr", "https://app.test/voice");
    w.run_until_idle();
    let change = CallSettings {
        time_limit_secs: Some(5),
        ..CallSettings::default()
    };
    assert_eq!(
        w.rest(ca(1), settings(change)),
        Err(EngineError::UnknownCall(ca(1)))
    );
}
