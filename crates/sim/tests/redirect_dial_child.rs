//! REST redirect of a `<Dial>` child (`POST Calls/{ChildSid}` with `Url` or `Twiml`), as
//! Twilio supports it: the answered child leaves the dial (unbridged, or its whisper stopped)
//! and runs the new document on its own leg as an independent call that keeps its
//! `ParentCallSid`; the parent's `<Dial>` ends at once, `DialCallStatus=completed` without
//! `DialCallDuration` ("not sent if the child was redirected before disconnecting"), then its
//! `action` or its next verb. A child still ringing cannot be redirected (21220).

mod common;

use common::*;
use dialtone_core::{EngineError, Handled, MediaCommand, Method, Output, RestCommand};
use dialtone_sim::{LegScript, World};
use dialtone_types::WebUrl;
use dialtone_types::{CallStatus, Sid};

fn redirect_to(url: &str) -> RestCommand {
    RestCommand::RedirectUrl {
        url: WebUrl::parse(url).unwrap(),
        method: Method::Post,
    }
}

/// Leg commands and bridges, with their time in seconds since the epoch of the world.
fn legs(w: &World) -> Vec<(u64, String)> {
    let start = dialtone_sim::harness::EPOCH;
    w.outputs()
        .iter()
        .filter_map(|(at, o)| {
            let what = match o {
                Output::Bridge { child, .. } => format!("bridge {child}"),
                Output::Unbridge { child, .. } => format!("unbridge {child}"),
                Output::CancelLeg { call } => format!("cancel {call}"),
                Output::HangupLeg { call } => format!("hangup {call}"),
                Output::StopMedia { call, .. } => format!("stop media {call}"),
                _ => return None,
            };
            Some((at.whole_seconds_since(start), what))
        })
        .collect()
}

/// What each call was told to say or play, in order.
fn media(w: &World) -> Vec<(Sid, String)> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::Media(m) => Some((
                m.call,
                match &m.command {
                    MediaCommand::Say { text, .. } => format!("say {text}"),
                    MediaCommand::Play { url, .. } => format!("play {url}"),
                    other => format!("{other:?}"),
                },
            )),
            _ => None,
        })
        .collect()
}

fn world(voice: &str, agent: LegScript) -> World {
    let mut w = World::new();
    w.serve("https://app.test/voice", voice);
    w.serve(
        "https://app.test/done",
        "<Response><Say>after the dial</Say></Response>",
    );
    w.serve(
        "https://app.test/transfer",
        r#"<Response><Say>you were transferred</Say><Pause length="5"/></Response>"#,
    );
    w.leg("client:agent", agent);
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w
}

fn caller() -> Party {
    Party::inbound(1, "client:caller", "client:sales")
}

fn agent() -> Party {
    Party::child(2, 1, "client:caller", "client:agent")
}

#[test]
fn a_bridged_child_redirected_runs_its_new_twiml_and_the_parent_gets_action() {
    let mut w = world(
        r#"<Response><Dial action="/done"><Client statusCallback="/cb" statusCallbackEvent="initiated ringing answered completed">agent</Client></Dial><Say>never</Say></Response>"#,
        LegScript::answers_after(secs(2)),
    );
    w.advance(secs(10));
    assert_eq!(
        w.rest(ca(2), redirect_to("https://app.test/transfer")),
        Ok(Handled::Applied)
    );
    w.run_until_idle();
    let (p, c) = (caller(), agent());
    let cb = "POST https://app.test/cb";
    assert_eq!(
        views(&w),
        [
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("ringing", &[])
            ),
            hook_p("status", cb, c.callback("initiated", 0, 0, None)),
            hook_p("status", cb, c.callback("ringing", 1, 1, None)),
            hook_p("status", cb, c.callback("in-progress", 2, 2, None)),
            // The parent's dial ends first: completed, bridged, no DialCallDuration.
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                p.params(
                    "in-progress",
                    &[
                        ("DialCallStatus", "completed"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialBridged", "true"),
                    ]
                )
            ),
            // The child's new document, with its own standard parameters.
            hook_p(
                "fetch:Redirect",
                "POST https://app.test/transfer",
                c.params("in-progress", &[])
            ),
            // Say (2 s) and Pause (5 s), then the end of its document hangs it up.
            hook_p("status", cb, c.callback("completed", 3, 17, Some("15"))),
        ]
    );
    assert_eq!(
        legs(&w),
        [
            (2, format!("bridge {}", ca(2))),
            (10, format!("unbridge {}", ca(2))),
            (12, format!("hangup {}", ca(1))),
            (17, format!("hangup {}", ca(2))),
        ]
    );
    assert_eq!(
        media(&w),
        [
            (ca(1), "say after the dial".to_owned()),
            (ca(2), "say you were transferred".to_owned()),
        ]
    );
    let calls = w.calls();
    assert_eq!(
        (calls[&ca(1)].status, calls[&ca(1)].duration),
        (CallStatus::Completed, Some(12))
    );
    assert_eq!(
        (calls[&ca(2)].status, calls[&ca(2)].duration),
        (CallStatus::Completed, Some(15))
    );
    assert_eq!(calls[&ca(2)].parent, Some(ca(1)));
    assert!(w.notifications().is_empty(), "{:?}", w.notifications());
}

#[test]
fn without_action_the_parent_runs_its_next_verb_and_the_child_outlives_it() {
    // `timeLimit` bounded the dial: once out of it, the child runs past it.
    let mut w = world(
        r#"<Response><Dial timeLimit="20"><Client>agent</Client></Dial><Say>back to the menu</Say></Response>"#,
        LegScript::answers_after(secs(2)),
    );
    w.advance(secs(10));
    assert_eq!(
        w.rest(
            ca(2),
            RestCommand::RedirectTwiml(r#"<Response><Pause length="30"/></Response>"#.to_owned())
        ),
        Ok(Handled::Applied)
    );
    w.run_until_idle();
    assert_eq!(w.webhooks().len(), 1, "no action, no callbacks");
    assert_eq!(media(&w), [(ca(1), "say back to the menu".to_owned())]);
    assert_eq!(
        legs(&w),
        [
            (2, format!("bridge {}", ca(2))),
            (10, format!("unbridge {}", ca(2))),
            (12, format!("hangup {}", ca(1))),
            (40, format!("hangup {}", ca(2))),
        ]
    );
    let calls = w.calls();
    assert_eq!(
        (calls[&ca(1)].status, calls[&ca(1)].duration),
        (CallStatus::Completed, Some(12))
    );
    assert_eq!(
        (calls[&ca(2)].status, calls[&ca(2)].duration),
        (CallStatus::Completed, Some(38))
    );
}

#[test]
fn a_child_redirected_during_its_whisper_stops_it_and_is_never_bridged() {
    let mut w = world(
        r#"<Response><Dial action="/done"><Client url="/whisper">agent</Client></Dial></Response>"#,
        LegScript::answers_after(secs(2)),
    );
    w.serve(
        "https://app.test/whisper",
        "<Response><Say>a caller for you</Say></Response>",
    );
    w.set_media_duration(secs(5));
    w.advance(secs(4));
    assert_eq!(
        w.rest(ca(2), redirect_to("https://app.test/transfer")),
        Ok(Handled::Applied)
    );
    w.run_until_idle();
    let (p, c) = (caller(), agent());
    assert_eq!(
        views(&w),
        [
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("ringing", &[])
            ),
            hook_p(
                "fetch:Whisper",
                "POST https://app.test/whisper",
                c.params("in-progress", &[])
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/done",
                p.params(
                    "in-progress",
                    &[
                        ("DialCallStatus", "completed"),
                        ("DialCallSid", &ca_str(2)),
                        ("DialBridged", "false"),
                    ]
                )
            ),
            hook_p(
                "fetch:Redirect",
                "POST https://app.test/transfer",
                c.params("in-progress", &[])
            ),
        ]
    );
    // Whisper stopped at 4; parent: Say 4..9; child: Say 4..9, Pause 9..14.
    assert_eq!(
        legs(&w),
        [
            (4, format!("stop media {}", ca(2))),
            (9, format!("hangup {}", ca(1))),
            (14, format!("hangup {}", ca(2))),
        ]
    );
    assert_eq!(w.calls()[&ca(2)].duration, Some(12));
}

#[test]
fn a_ringing_child_cannot_be_redirected() {
    let mut w = world(
        r#"<Response><Dial action="/done"><Client>agent</Client></Dial></Response>"#,
        LegScript::answers_after(secs(5)).hangs_up_after(secs(3)),
    );
    w.advance(secs(2));
    let refused = w.rest(ca(2), redirect_to("https://app.test/transfer"));
    assert_eq!(
        refused,
        Err(EngineError::InvalidState {
            sid: ca(2),
            status: CallStatus::Ringing,
            action: "redirected",
        })
    );
    assert_eq!(refused.unwrap_err().code().0, 21220);
    let twiml = w.rest(
        ca(2),
        RestCommand::RedirectTwiml("<Response><Hangup/></Response>".to_owned()),
    );
    assert_eq!(twiml.map_err(|e| e.code().0), Err(21220));
    // Nothing changed: the child answers and is bridged as usual.
    w.run_until_idle();
    assert_eq!(
        legs(&w),
        [
            (5, format!("bridge {}", ca(2))),
            (8, format!("unbridge {}", ca(2))),
            (10, format!("hangup {}", ca(1))),
        ]
    );
    let action = &w.webhooks()[1];
    assert_eq!(action.param("DialCallStatus"), Some("completed"));
    assert_eq!(action.param("DialCallDuration"), Some("3"));
    assert!(!w.webhooks().iter().any(|h| h.url.ends_with("/transfer")));
}

#[test]
fn a_redirected_child_is_an_independent_call_for_later_updates() {
    let mut w = world(
        r#"<Response><Dial><Client statusCallback="/cb">agent</Client></Dial></Response>"#,
        LegScript::answers_after(secs(2)),
    );
    w.serve(
        "https://app.test/hold",
        r#"<Response><Play loop="0">https://app.test/music.mp3</Play></Response>"#,
    );
    w.advance(secs(10));
    // The parent's document ends with the dial: it hangs up; the child holds.
    assert_eq!(
        w.rest(ca(2), redirect_to("https://app.test/hold")),
        Ok(Handled::Applied)
    );
    w.advance(secs(5));
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
    assert_eq!(w.status(ca(2)), Some(CallStatus::InProgress));
    // A second redirect is a plain redirect of the child's own document.
    assert_eq!(
        w.rest(ca(2), redirect_to("https://app.test/hold")),
        Ok(Handled::Applied)
    );
    w.advance(secs(3));
    assert_eq!(w.rest(ca(2), RestCommand::Complete), Ok(Handled::Applied));
    w.run_until_idle();
    let c = agent();
    assert_eq!(
        views(&w)[1..],
        [
            hook_p(
                "fetch:Redirect",
                "POST https://app.test/hold",
                c.params("in-progress", &[])
            ),
            hook_p(
                "fetch:Redirect",
                "POST https://app.test/hold",
                c.params("in-progress", &[])
            ),
            hook_p(
                "status",
                "POST https://app.test/cb",
                c.callback("completed", 0, 18, Some("16"))
            ),
        ]
    );
    assert_eq!(
        legs(&w),
        [
            (2, format!("bridge {}", ca(2))),
            (10, format!("unbridge {}", ca(2))),
            (10, format!("hangup {}", ca(1))),
            (15, format!("stop media {}", ca(2))),
            // Hanging up ends its media with it.
            (18, format!("hangup {}", ca(2))),
        ]
    );
    assert_eq!(
        w.rest(ca(2), RestCommand::Complete),
        Err(EngineError::UnknownCall(ca(2)))
    );
}
