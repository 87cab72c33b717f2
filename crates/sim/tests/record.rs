//! `<Record>` and `<Dial record>`: when recordings start and stop (in virtual time), the
//! `action` request (`RecordingUrl`, `RecordingDuration`, `RecordingSid`, `Digits`), the
//! empty-recording fall-through, the hang-up case (`Digits=hangup`, `CallStatus=completed`),
//! the five `<Dial record>` modes with the recording in the dial `action` and in the child's
//! `completed` callback, and `recordingStatusCallback` (`in-progress`, `completed`, `absent`).
//!
//! The world's recorder finishes a recording as soon as the engine stops it, reporting the
//! whole seconds since its start (0 with `set_silent_recordings`); `set_speaks_for` makes it
//! end a `<Record>` by silence.

mod common;

use common::*;
use dialtone_core::{
    Method, Output, RecordingCallback, RecordingEvents, RecordingRequest, RecordingSource,
    RecordingTrack, RestCommand, Trim,
};
use dialtone_sim::harness::EPOCH;
use dialtone_sim::{LegScript, World};
use dialtone_types::{CallStatus, WebUrl};

fn caller() -> Party {
    Party::inbound(1, "client:alice", "client:vm")
}

/// Serves `record` then `<Say>after</Say>` at /vm, and `<Hangup/>` at /recorded.
fn world(record: &str) -> World {
    let mut w = World::new();
    w.serve(
        "https://app.test/vm",
        &format!("<Response>{record}<Say>after</Say></Response>"),
    );
    w.serve(
        "https://app.test/recorded",
        "<Response><Hangup/></Response>",
    );
    w.inbound("client:alice", "client:vm", "https://app.test/vm");
    w
}

/// Recording commands and media as `(ms, text)`.
fn timeline(w: &World) -> Vec<(u64, String)> {
    w.outputs()
        .iter()
        .filter_map(|(t, o)| {
            let what = match o {
                Output::StartRecording(r) => format!(
                    "start-rec {} {} child={:?} ch={}",
                    r.recording, r.call, r.child, r.channels
                ),
                Output::StopRecording {
                    call,
                    recording,
                    reason,
                } => format!("stop-rec {recording} {call} {reason:?}"),
                Output::Media(m) => format!("media {}", m.call),
                Output::AnswerLeg { call } => format!("answer {call}"),
                Output::HangupLeg { call } => format!("hangup {call}"),
                Output::Bridge { parent, child } => format!("bridge {parent} {child}"),
                Output::Unbridge { parent, child } => format!("unbridge {parent} {child}"),
                _ => return None,
            };
            Some((t.0 - EPOCH.0, what))
        })
        .collect()
}

fn starts(w: &World) -> Vec<RecordingRequest> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::StartRecording(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn voice_fetch() -> View {
    hook_p(
        "fetch:Twiml",
        "POST https://app.test/vm",
        caller().params("ringing", &[]),
    )
}

/// A recording status callback's parameters.
fn rsc(
    call: u128,
    rec: u128,
    status: &str,
    duration: Option<&str>,
    ch: &str,
    start: u64,
    source: &str,
) -> Vec<(String, String)> {
    let mut p = pairs(&[
        ("AccountSid", ACCOUNT),
        ("CallSid", &ca_str(call)),
        ("RecordingSid", &re(rec).to_string()),
        ("RecordingUrl", &rec_url(rec)),
        ("RecordingStatus", status),
    ]);
    if let Some(d) = duration {
        p.push(("RecordingDuration".to_owned(), d.to_owned()));
    }
    p.extend(pairs(&[
        ("RecordingChannels", ch),
        ("RecordingStartTime", &ts(start)),
        ("RecordingSource", source),
    ]));
    if status == "absent" {
        p.push(("ErrorCode".to_owned(), "16101".to_owned()));
    }
    p
}

fn recording_params(rec: u128, duration: &str) -> Vec<(String, String)> {
    pairs(&[
        ("RecordingUrl", &rec_url(rec)),
        ("RecordingDuration", duration),
        ("RecordingSid", &re(rec).to_string()),
    ])
}

#[test]
fn finish_on_key_ends_the_recording_and_requests_action_with_the_key() {
    let mut w = world(
        r##"<Record action="/recorded" finishOnKey="#" recordingStatusCallback="/rsc" recordingStatusCallbackEvent="in-progress completed"/>"##,
    );
    w.press_after(ca(1), secs(7), "1#");
    w.run_until_idle();
    let mut action = recording_params(2, "7");
    action.extend(pairs(&[("Digits", "#")]));
    assert_eq!(
        views(&w),
        vec![
            voice_fetch(),
            hook_p(
                "status",
                "POST https://app.test/rsc",
                rsc(1, 2, "in-progress", None, "1", 0, "RecordVerb")
            ),
            hook_p(
                "status",
                "POST https://app.test/rsc",
                rsc(1, 2, "completed", Some("7"), "1", 0, "RecordVerb")
            ),
            hook_p(
                "fetch:Action",
                "POST https://app.test/recorded",
                caller().params(
                    "in-progress",
                    &action
                        .iter()
                        .map(|(a, b)| (a.as_str(), b.as_str()))
                        .collect::<Vec<_>>()
                ),
            ),
        ]
    );
    assert_eq!(
        timeline(&w),
        vec![
            (0, "answer ".to_owned() + &ca_str(1)),
            (0, format!("start-rec {} {} child=None ch=1", re(2), ca(1))),
            (7_000, format!("stop-rec {} {} Key('#')", re(2), ca(1))),
            (7_000, format!("hangup {}", ca(1))),
        ]
    );
    assert_eq!(
        starts(&w),
        vec![RecordingRequest {
            call: ca(1),
            account: w.account(),
            recording: re(2),
            source: RecordingSource::RecordVerb,
            child: None,
            channels: 1,
            track: RecordingTrack::Inbound,
            beep: true,
            trim: Trim::TrimSilence,
            silence_timeout_secs: Some(5),
            max_length_secs: Some(3600),
            started: EPOCH,
            url: rec_url(2).into(),
            callback: Some(RecordingCallback {
                url: WebUrl::parse("https://app.test/rsc").unwrap(),
                method: Method::Post,
                events: RecordingEvents {
                    in_progress: true,
                    completed: true,
                    absent: false,
                },
            }),
        }]
    );
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}

fn p(list: &[(String, String)]) -> Vec<(&str, &str)> {
    list.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[test]
fn max_length_stops_the_recording_without_digits() {
    let mut w = world(
        r#"<Record action="/recorded" maxLength="10" playBeep="false" trim="do-not-trim" timeout="0"/>"#,
    );
    w.press_after(ca(1), secs(3), "w"); // not a key
    w.run_until_idle();
    assert_eq!(
        views(&w)[1],
        hook_p(
            "fetch:Action",
            "POST https://app.test/recorded",
            caller().params("in-progress", &p(&recording_params(2, "10")))
        )
    );
    assert_eq!(w.webhooks()[1].at.0 - EPOCH.0, 10_000);
    let s = &starts(&w)[0];
    assert_eq!(
        (s.beep, s.trim, s.silence_timeout_secs, s.max_length_secs),
        (false, Trim::DoNotTrim, None, Some(10))
    );
    assert!(timeline(&w).contains(&(10_000, format!("stop-rec {} {} MaxLength", re(2), ca(1)))));
}

#[test]
fn silence_ends_the_recording_with_its_trimmed_duration_and_no_digits() {
    let mut w = world(r#"<Record action="/recorded" timeout="3"/>"#);
    w.set_speaks_for(Some(secs(4)));
    w.run_until_idle();
    assert_eq!(
        views(&w)[1],
        hook_p(
            "fetch:Action",
            "POST https://app.test/recorded",
            caller().params("in-progress", &p(&recording_params(2, "4")))
        )
    );
    assert_eq!(w.webhooks()[1].at.0 - EPOCH.0, 7_000);
    // The media side ended it: the engine sends no StopRecording.
    assert!(!timeline(&w).iter().any(|(_, t)| t.starts_with("stop-rec")));
}

#[test]
fn an_empty_recording_skips_action_and_falls_through_to_the_next_verb() {
    let mut w = world(
        r#"<Record maxLength="5" recordingStatusCallback="https://cb.test/rsc" recordingStatusCallbackMethod="GET" recordingStatusCallbackEvent="absent completed"/>"#,
    );
    w.set_silent_recordings(true);
    w.run_until_idle();
    assert_eq!(
        views(&w),
        vec![
            voice_fetch(),
            hook_p(
                "status",
                "GET https://cb.test/rsc",
                rsc(1, 2, "absent", None, "1", 0, "RecordVerb")
            ),
        ]
    );
    // The <Say> after the <Record> runs at 5 s, then the document ends.
    assert_eq!(
        timeline(&w)[2..],
        [
            (5_000, format!("stop-rec {} {} MaxLength", re(2), ca(1))),
            (5_000, format!("media {}", ca(1))),
            (7_000, format!("hangup {}", ca(1))),
        ]
    );
}

#[test]
fn a_hang_up_still_requests_action_with_digits_hangup_and_completed() {
    let mut w = world(r#"<Record recordingStatusCallback="/rsc"/>"#);
    w.hang_up_after(ca(1), secs(6));
    w.run_until_idle();
    let mut action = recording_params(2, "6");
    action.extend(pairs(&[("Digits", "hangup")]));
    assert_eq!(
        views(&w),
        vec![
            voice_fetch(),
            hook_p(
                "status",
                "POST https://app.test/rsc",
                rsc(1, 2, "completed", Some("6"), "1", 0, "RecordVerb")
            ),
            // No action attribute: the document's own URL.
            hook_p(
                "fetch:Action",
                "POST https://app.test/vm",
                caller().params("completed", &p(&action))
            ),
        ]
    );
    assert_eq!(
        timeline(&w)[2..],
        [(6_000, format!("stop-rec {} {} Hangup", re(2), ca(1)))]
    );
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
    assert_eq!(w.engine().live_calls(), 0);
}

#[test]
fn an_empty_recording_and_a_hang_up_request_nothing() {
    let mut w = world("<Record/>");
    w.set_silent_recordings(true);
    w.hang_up_after(ca(1), secs(2));
    w.run_until_idle();
    assert_eq!(views(&w), vec![voice_fetch()]);
}

#[test]
fn transcription_is_warned_and_bad_events_are_reported() {
    let mut w = world(
        r#"<Record transcribe="true" maxLength="300" method="GET" action="/recorded" recordingStatusCallback="/rsc" recordingStatusCallbackEvent="started completed"/>"#,
    );
    w.press_after(ca(1), secs(2), "5");
    w.run_until_idle();
    assert_eq!(
        notes(&w),
        vec![
            (ca_str(1), 13750, dialtone_types::Level::Warning),
            (ca_str(1), 13615, dialtone_types::Level::Warning),
            (ca_str(1), 13621, dialtone_types::Level::Warning),
        ]
    );
    let mut action = recording_params(2, "2");
    action.extend(pairs(&[("Digits", "5")]));
    assert_eq!(
        views(&w)[1..],
        [
            hook_p(
                "status",
                "POST https://app.test/rsc",
                rsc(1, 2, "completed", Some("2"), "1", 0, "RecordVerb")
            ),
            hook_p(
                "fetch:Action",
                "GET https://app.test/recorded",
                caller().params("in-progress", &p(&action))
            ),
        ]
    );
}

#[test]
fn a_rest_redirect_during_record_finishes_the_file_without_action() {
    let mut w = world(r#"<Record action="/recorded" recordingStatusCallback="/rsc"/>"#);
    w.serve(
        "https://app.test/elsewhere",
        "<Response><Hangup/></Response>",
    );
    w.advance(secs(3));
    w.rest(
        ca(1),
        RestCommand::RedirectUrl {
            url: WebUrl::parse("https://app.test/elsewhere").expect("url"),
            method: dialtone_core::Method::Post,
        },
    )
    .expect("redirect");
    w.run_until_idle();
    let v = views(&w);
    // The redirect is fetched at once; the file finishes after (the media side answers).
    assert_eq!(v[1].1, "POST https://app.test/elsewhere");
    assert_eq!(
        v[2],
        hook_p(
            "status",
            "POST https://app.test/rsc",
            rsc(1, 2, "completed", Some("3"), "1", 0, "RecordVerb")
        )
    );
    assert_eq!(v.len(), 3);
    assert!(timeline(&w).contains(&(3_000, format!("stop-rec {} {} Interrupted", re(2), ca(1)))));
}

// ----- <Dial record> -----

fn dial_world(record: &str, agent: LegScript) -> World {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        &format!(
            r#"<Response><Dial action="/done" {record} recordingStatusCallback="/rsc" recordingStatusCallbackEvent="in-progress completed absent"><Client statusCallback="/child">agent</Client></Dial></Response>"#
        ),
    );
    w.serve("https://app.test/done", "<Response><Hangup/></Response>");
    w.leg("client:agent", agent);
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    w
}

fn parent() -> Party {
    Party::inbound(1, "client:caller", "client:sales")
}

fn child() -> Party {
    Party::child(2, 1, "client:caller", "client:agent")
}

fn dial_action(rec: Option<(u128, &str)>) -> View {
    let mut extra = pairs(&[
        ("DialCallStatus", "completed"),
        ("DialCallSid", &ca_str(2)),
        ("DialCallDuration", "10"),
        ("DialBridged", "true"),
    ]);
    if let Some((n, d)) = rec {
        extra.extend(recording_params(n, d));
    }
    hook_p(
        "fetch:Action",
        "POST https://app.test/done",
        parent().params("in-progress", &p(&extra)),
    )
}

fn child_completed(rec: Option<(u128, &str)>) -> View {
    let mut params = child().params("completed", &[("CallDuration", "10")]);
    if let Some((n, d)) = rec {
        params.extend(recording_params(n, d));
    }
    params.extend(pairs(&[
        ("CallbackSource", "call-progress-events"),
        ("SequenceNumber", "0"),
        ("Timestamp", &ts(13)),
    ]));
    hook_p("status", "POST https://app.test/child", params)
}

/// Agent answers at 3 s and hangs up 10 s later.
fn agent() -> LegScript {
    LegScript::answers_after(secs(3)).hangs_up_after(secs(10))
}

#[test]
fn record_from_answer_starts_at_the_bridge_and_reports_everywhere() {
    let mut w = dial_world(
        r#"record="record-from-answer" trim="trim-silence" recordingTrack="inbound""#,
        agent(),
    );
    w.run_until_idle();
    let (p1, c2, r3) = (ca(1), ca(2), re(3));
    assert_eq!(
        timeline(&w),
        vec![
            (0, format!("answer {p1}")),
            (3_000, format!("bridge {p1} {c2}")),
            (3_000, format!("start-rec {r3} {p1} child=Some({c2}) ch=1")),
            (13_000, format!("unbridge {p1} {c2}")),
            (13_000, format!("stop-rec {r3} {p1} DialEnded")),
            (13_000, format!("hangup {p1}")),
        ]
    );
    let s = &starts(&w)[0];
    assert_eq!(
        (
            s.source,
            s.track,
            s.trim,
            s.beep,
            s.silence_timeout_secs,
            s.max_length_secs
        ),
        (
            RecordingSource::DialVerb,
            RecordingTrack::Inbound,
            Trim::TrimSilence,
            false,
            None,
            None
        )
    );
    assert_eq!(
        views(&w)[1..],
        [
            hook_p(
                "status",
                "POST https://app.test/rsc",
                rsc(1, 3, "in-progress", None, "1", 3, "DialVerb")
            ),
            child_completed(Some((3, "10"))),
            dial_action(Some((3, "10"))),
            hook_p(
                "status",
                "POST https://app.test/rsc",
                rsc(1, 3, "completed", Some("10"), "1", 3, "DialVerb")
            ),
        ]
    );
}

#[test]
fn record_from_answer_dual_has_two_channels() {
    let mut w = dial_world(r#"record="record-from-answer-dual""#, agent());
    w.run_until_idle();
    let s = &starts(&w)[0];
    assert_eq!(
        (s.channels, s.child, s.track, s.trim),
        (2, Some(ca(2)), RecordingTrack::Both, Trim::DoNotTrim)
    );
    assert_eq!(
        views(&w).last(),
        Some(&hook_p(
            "status",
            "POST https://app.test/rsc",
            rsc(1, 3, "completed", Some("10"), "2", 3, "DialVerb")
        ))
    );
}

#[test]
fn record_from_ringing_starts_with_the_dial_and_counts_the_ringing() {
    for (mode, ch) in [
        ("record-from-ringing", "1"),
        ("record-from-ringing-dual", "2"),
    ] {
        let mut w = dial_world(&format!(r#"record="{mode}""#), agent());
        w.run_until_idle();
        // The recording is minted before the child: RE2, child CA3.
        let (p1, r2) = (ca(1), re(2));
        let tl = timeline(&w);
        assert_eq!(
            tl[1],
            (0, format!("start-rec {r2} {p1} child=None ch={ch}")),
            "{mode}"
        );
        assert_eq!(
            tl[tl.len() - 2],
            (13_000, format!("stop-rec {r2} {p1} DialEnded")),
            "{mode}"
        );
        let c = Party::child(3, 1, "client:caller", "client:agent");
        let mut child_cb = c.params("completed", &[("CallDuration", "10")]);
        child_cb.extend(recording_params(2, "13"));
        child_cb.extend(pairs(&[
            ("CallbackSource", "call-progress-events"),
            ("SequenceNumber", "0"),
            ("Timestamp", &ts(13)),
        ]));
        let mut extra = pairs(&[
            ("DialCallStatus", "completed"),
            ("DialCallSid", &ca_str(3)),
            ("DialCallDuration", "10"),
            ("DialBridged", "true"),
        ]);
        extra.extend(recording_params(2, "13"));
        assert_eq!(
            views(&w)[1..],
            [
                hook_p(
                    "status",
                    "POST https://app.test/rsc",
                    rsc(1, 2, "in-progress", None, ch, 0, "DialVerb")
                ),
                hook_p("status", "POST https://app.test/child", child_cb),
                hook_p(
                    "fetch:Action",
                    "POST https://app.test/done",
                    parent().params("in-progress", &p(&extra))
                ),
                hook_p(
                    "status",
                    "POST https://app.test/rsc",
                    rsc(1, 2, "completed", Some("13"), ch, 0, "DialVerb")
                ),
            ],
            "{mode}"
        );
    }
}

#[test]
fn do_not_record_records_nothing() {
    for attr in [r#"record="do-not-record""#, r#"record="false""#, ""] {
        let mut w = dial_world(attr, agent());
        w.run_until_idle();
        assert!(starts(&w).is_empty(), "{attr}");
        assert_eq!(
            views(&w)[1..],
            [child_completed(None), dial_action(None)],
            "{attr}"
        );
    }
}

#[test]
fn legacy_true_is_record_from_answer() {
    let mut w = dial_world(r#"record="true""#, agent());
    w.run_until_idle();
    assert_eq!(views(&w)[3], dial_action(Some((3, "10"))));
}

#[test]
fn an_unanswered_recorded_dial_has_no_recording() {
    let mut w = dial_world(r#"record="record-from-answer""#, LegScript::no_answer());
    w.run_until_idle();
    assert!(starts(&w).is_empty());
    let action = &w
        .webhooks()
        .iter()
        .find(|h| h.url == "https://app.test/done")
        .expect("action");
    assert_eq!(action.param("RecordingSid"), None);
    assert_eq!(action.param("DialCallStatus"), Some("no-answer"));
}

#[test]
fn a_silent_recorded_dial_reports_absent() {
    let mut w = dial_world(r#"record="record-from-ringing""#, agent());
    w.set_silent_recordings(true);
    w.run_until_idle();
    assert_eq!(
        views(&w).last(),
        Some(&hook_p(
            "status",
            "POST https://app.test/rsc",
            rsc(1, 2, "absent", None, "1", 0, "DialVerb")
        ))
    );
}

#[test]
fn the_caller_hanging_up_stops_the_dial_recording() {
    let mut w = dial_world(
        r#"record="record-from-answer""#,
        LegScript::answers_after(secs(3)),
    );
    w.hang_up_after(ca(1), secs(8));
    w.run_until_idle();
    let tl = timeline(&w);
    assert!(tl.contains(&(8_000, format!("stop-rec {} {} DialEnded", re(3), ca(1)))));
    let child_cb = w
        .webhooks()
        .iter()
        .find(|h| h.url == "https://app.test/child")
        .expect("child cb");
    assert_eq!(child_cb.param("RecordingDuration"), Some("5"));
    assert_eq!(
        child_cb.param("RecordingSid"),
        Some(re(3).to_string().as_str())
    );
    let action = w
        .webhooks()
        .iter()
        .find(|h| h.url == "https://app.test/done")
        .expect("action");
    assert_eq!(action.param("CallStatus"), Some("completed"));
    assert_eq!(action.param("RecordingDuration"), Some("5"));
    let done = w.webhooks().last().expect("rsc");
    assert_eq!(done.param("RecordingStatus"), Some("completed"));
    assert_eq!(done.param("RecordingDuration"), Some("5"));
}
