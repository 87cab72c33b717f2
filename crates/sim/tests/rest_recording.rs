//! Recordings started and controlled over REST (`Input::Recording`), in virtual time:
//! start on an answered call, pause (`skip`: the pause is not counted; `silence`: it is),
//! resume, stop, `Twilio.CURRENT`, the call ending first, dual with a bridged child, the
//! recording callbacks (`RecordingSource=StartCallRecordingAPI`) and every refusal.

mod common;

use common::*;
use dialtone_core::{
    AppConfig, EngineError, Handled, Input, Output, PauseBehavior, RecordingChange,
    RecordingCommand, RecordingEvents, RecordingOptions, RecordingTarget, RecordingTrack,
    RestCommand, Trim,
};
use dialtone_sim::harness::EPOCH;
use dialtone_sim::{LegScript, World};
use dialtone_types::{CallStatus, Sid, TwilioCode, WebUrl};

fn options(channels: u8) -> RecordingOptions {
    RecordingOptions {
        callback: Some(WebUrl::parse("https://app.test/rsc").unwrap()),
        callback_method: dialtone_core::Method::Post,
        events: RecordingEvents {
            in_progress: true,
            completed: true,
            absent: true,
        },
        trim: Trim::DoNotTrim,
        channels,
        track: RecordingTrack::Both,
    }
}

fn start(w: &mut World, call: Sid, channels: u8) -> Result<Handled, EngineError> {
    w.input(Input::Recording {
        call,
        command: RecordingCommand::Start(Box::new(options(channels))),
    })
}

fn update(
    w: &mut World,
    call: Sid,
    target: RecordingTarget,
    change: RecordingChange,
) -> Result<Handled, EngineError> {
    w.input(Input::Recording {
        call,
        command: RecordingCommand::Update { target, change },
    })
}

/// An inbound call answered by `<Say>` (a `<Pause>` first would keep it ringing), then
/// `<Pause length="30"/>`.
fn paused_call() -> World {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Say>hi</Say><Pause length="30"/></Response>"#,
    );
    w.inbound("client:alice", "client:app", "https://app.test/voice");
    w
}

fn at(w: &mut World, s: u64) {
    let deadline = EPOCH.plus_millis(s * 1000);
    w.advance(std::time::Duration::from_millis(deadline.0 - w.now().0));
}

/// Recording outputs as `(ms, text)`.
fn timeline(w: &World) -> Vec<(u64, String)> {
    w.outputs()
        .iter()
        .filter_map(|(t, o)| {
            let what = match o {
                Output::StartRecording(r) => format!(
                    "start {} child={:?} ch={} {:?} {:?} {}",
                    r.recording,
                    r.child,
                    r.channels,
                    r.track,
                    r.trim,
                    r.source.as_str()
                ),
                Output::StopRecording {
                    recording, reason, ..
                } => {
                    format!("stop {recording} {reason:?}")
                }
                Output::PauseRecording {
                    recording,
                    behavior,
                    ..
                } => format!("pause {recording} {}", behavior.as_str()),
                Output::ResumeRecording { recording, .. } => format!("resume {recording}"),
                _ => return None,
            };
            Some((t.0 - EPOCH.0, what))
        })
        .collect()
}

/// The recording status callbacks as `(status, duration)`, with every other parameter
/// checked.
fn callbacks(
    w: &World,
    call: u128,
    rec: u128,
    start_secs: u64,
    ch: &str,
) -> Vec<(String, Option<String>)> {
    w.webhooks()
        .iter()
        .filter(|h| h.url == "https://app.test/rsc")
        .map(|h| {
            let status = h.param("RecordingStatus").unwrap().to_owned();
            let duration = h.param("RecordingDuration").map(str::to_owned);
            let mut expected = pairs(&[
                ("AccountSid", ACCOUNT),
                ("CallSid", &ca_str(call)),
                ("RecordingSid", &re(rec).to_string()),
                ("RecordingUrl", &rec_url(rec)),
                ("RecordingStatus", &status),
            ]);
            if let Some(d) = &duration {
                expected.push(("RecordingDuration".to_owned(), d.clone()));
            }
            expected.extend(pairs(&[
                ("RecordingChannels", ch),
                ("RecordingStartTime", &ts(start_secs)),
                ("RecordingSource", "StartCallRecordingAPI"),
            ]));
            if status == "absent" {
                expected.push(("ErrorCode".to_owned(), "16101".to_owned()));
            }
            assert_eq!(h.params, expected, "{status}");
            assert_eq!(h.method.as_str(), "POST");
            (status, duration)
        })
        .collect()
}

fn owned(list: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    list.iter()
        .map(|(s, d)| ((*s).to_owned(), d.map(str::to_owned)))
        .collect()
}

#[test]
fn skip_pause_is_cut_out_and_stop_completes_the_recording() {
    let mut w = paused_call();
    at(&mut w, 2);
    assert_eq!(start(&mut w, ca(1), 1), Ok(Handled::Recording(re(2))));
    at(&mut w, 5);
    let pause = RecordingChange::Pause(PauseBehavior::Skip);
    assert_eq!(
        update(&mut w, ca(1), RecordingTarget::Current, pause),
        Ok(Handled::Recording(re(2)))
    );
    // Pausing again changes nothing.
    assert_eq!(
        update(&mut w, ca(1), RecordingTarget::Sid(re(2)), pause),
        Ok(Handled::Recording(re(2)))
    );
    at(&mut w, 9);
    assert_eq!(
        update(
            &mut w,
            ca(1),
            RecordingTarget::Current,
            RecordingChange::Resume
        ),
        Ok(Handled::Recording(re(2)))
    );
    // Resuming a recording that is not paused changes nothing.
    assert_eq!(
        update(
            &mut w,
            ca(1),
            RecordingTarget::Current,
            RecordingChange::Resume
        ),
        Ok(Handled::Recording(re(2)))
    );
    at(&mut w, 12);
    assert_eq!(
        update(
            &mut w,
            ca(1),
            RecordingTarget::Sid(re(2)),
            RecordingChange::Stop
        ),
        Ok(Handled::Recording(re(2)))
    );
    w.run_until_idle();
    assert_eq!(
        timeline(&w),
        vec![
            (
                2_000,
                format!(
                    "start {} child=None ch=1 Both DoNotTrim StartCallRecordingAPI",
                    re(2)
                )
            ),
            (5_000, format!("pause {} skip", re(2))),
            (9_000, format!("resume {}", re(2))),
            (12_000, format!("stop {} Stopped", re(2))),
        ]
    );
    // 10 s recorded, 4 s of it skipped.
    assert_eq!(
        callbacks(&w, 1, 2, 2, "1"),
        owned(&[("in-progress", None), ("completed", Some("6"))])
    );
    // The recording never touched the call's TwiML: it ran its 30 s pause and ended.
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
    let ended = w
        .webhooks()
        .iter()
        .filter(|h| h.url == "https://app.test/rsc")
        .count();
    assert_eq!(ended, 2);
    // Stopped: any further update is 21220, and Twilio.CURRENT finds nothing.
    let mut w = paused_call();
    at(&mut w, 1);
    start(&mut w, ca(1), 1).unwrap();
    update(
        &mut w,
        ca(1),
        RecordingTarget::Current,
        RecordingChange::Stop,
    )
    .unwrap();
    let e = update(
        &mut w,
        ca(1),
        RecordingTarget::Sid(re(2)),
        RecordingChange::Resume,
    )
    .unwrap_err();
    assert_eq!(e.code(), TwilioCode(21220));
    assert!(
        matches!(
            e,
            EngineError::RecordingState {
                state: "stopped",
                ..
            }
        ),
        "{e}"
    );
    w.run_until_idle();
    let e = update(
        &mut w,
        ca(1),
        RecordingTarget::Current,
        RecordingChange::Stop,
    )
    .unwrap_err();
    assert!(matches!(e, EngineError::UnknownCall(_)), "{e}");
}

#[test]
fn silence_pause_is_counted() {
    let mut w = paused_call();
    at(&mut w, 2);
    start(&mut w, ca(1), 1).unwrap();
    at(&mut w, 4);
    update(
        &mut w,
        ca(1),
        RecordingTarget::Current,
        RecordingChange::Pause(PauseBehavior::Silence),
    )
    .unwrap();
    at(&mut w, 6);
    // A new behaviour while paused is passed on.
    update(
        &mut w,
        ca(1),
        RecordingTarget::Current,
        RecordingChange::Pause(PauseBehavior::Skip),
    )
    .unwrap();
    at(&mut w, 8);
    update(
        &mut w,
        ca(1),
        RecordingTarget::Current,
        RecordingChange::Stop,
    )
    .unwrap();
    w.run_until_idle();
    let tl: Vec<String> = timeline(&w)
        .into_iter()
        .map(|(t, s)| format!("{t} {s}"))
        .collect();
    assert_eq!(
        tl[1..],
        [
            format!("4000 pause {} silence", re(2)),
            format!("6000 pause {} skip", re(2)),
            format!("8000 stop {} Stopped", re(2)),
        ]
    );
    // 6 s: 2 s of silence kept, the 2 s skipped at the end cut out.
    assert_eq!(
        callbacks(&w, 1, 2, 2, "1"),
        owned(&[("in-progress", None), ("completed", Some("4"))])
    );
}

#[test]
fn the_call_ending_stops_its_recordings_and_the_callbacks_still_arrive() {
    let mut w = paused_call();
    at(&mut w, 3);
    start(&mut w, ca(1), 2).unwrap();
    start(&mut w, ca(1), 1).unwrap();
    at(&mut w, 6);
    // Twilio.CURRENT is the latest one.
    assert_eq!(
        update(
            &mut w,
            ca(1),
            RecordingTarget::Current,
            RecordingChange::Pause(PauseBehavior::Skip)
        ),
        Ok(Handled::Recording(re(3)))
    );
    w.hang_up_after(ca(1), secs(4));
    w.run_until_idle();
    let tl = timeline(&w);
    assert_eq!(
        tl[2..],
        [
            (6_000, format!("pause {} skip", re(3))),
            (10_000, format!("stop {} Hangup", re(2))),
            (10_000, format!("stop {} Hangup", re(3))),
        ]
    );
    let done: Vec<_> = w
        .webhooks()
        .iter()
        .filter(|h| h.param("RecordingStatus") == Some("completed"))
        .map(|h| {
            (
                h.param("RecordingSid").unwrap().to_owned(),
                h.param("RecordingDuration").unwrap().to_owned(),
                h.param("RecordingChannels").unwrap().to_owned(),
                h.param("RecordingSource").unwrap().to_owned(),
            )
        })
        .collect();
    let api = "StartCallRecordingAPI".to_owned();
    assert_eq!(
        done,
        [
            (
                re(2).to_string(),
                "7".to_owned(),
                "2".to_owned(),
                api.clone()
            ),
            (re(3).to_string(), "3".to_owned(), "1".to_owned(), api),
        ]
    );
    assert_eq!(w.status(ca(1)), Some(CallStatus::Completed));
}

#[test]
fn an_empty_recording_is_absent() {
    let mut w = paused_call();
    at(&mut w, 2);
    start(&mut w, ca(1), 1).unwrap();
    update(
        &mut w,
        ca(1),
        RecordingTarget::Current,
        RecordingChange::Stop,
    )
    .unwrap();
    w.run_until_idle();
    assert_eq!(
        callbacks(&w, 1, 2, 2, "1"),
        owned(&[("in-progress", None), ("absent", None)])
    );
}

#[test]
fn dual_on_a_bridged_dial_records_the_child_too() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        "<Response><Dial><Client>agent</Client></Dial><Pause length=\"20\"/></Response>",
    );
    w.leg("client:agent", LegScript::answers_after(secs(2)));
    w.inbound("client:caller", "client:sales", "https://app.test/voice");
    at(&mut w, 4);
    assert_eq!(start(&mut w, ca(1), 2), Ok(Handled::Recording(re(3))));
    // On the child, the other party is the parent.
    assert_eq!(start(&mut w, ca(2), 1), Ok(Handled::Recording(re(4))));
    let tl = timeline(&w);
    assert_eq!(
        tl,
        [
            (
                4_000,
                format!(
                    "start {} child=Some({}) ch=2 Both DoNotTrim StartCallRecordingAPI",
                    re(3),
                    ca(2)
                )
            ),
            (
                4_000,
                format!(
                    "start {} child=Some({}) ch=1 Both DoNotTrim StartCallRecordingAPI",
                    re(4),
                    ca(1)
                )
            ),
        ]
    );
    // The child hanging up ends its recording; the parent's goes on until it ends.
    w.hang_up_after(ca(2), secs(3));
    w.advance(secs(4));
    let tl = timeline(&w);
    assert_eq!(tl[2..], [(7_000, format!("stop {} Hangup", re(4)))]);
}

#[test]
fn refusals() {
    // A call not answered yet: 21220.
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        "<Response><Pause length=\"9\"/></Response>",
    );
    w.leg("client:bob", LegScript::answers_after(secs(10)));
    w.outbound_api(
        "+15005550006",
        "client:bob",
        AppConfig::url(WebUrl::parse("https://app.test/voice").unwrap()),
    )
    .unwrap();
    at(&mut w, 1);
    let e = start(&mut w, ca(1), 1).unwrap_err();
    assert_eq!(e.code(), TwilioCode(21220));
    assert!(matches!(
        e,
        EngineError::InvalidState {
            action: "recorded",
            ..
        }
    ));
    // An unknown call.
    let e = start(&mut w, ca(77), 1).unwrap_err();
    assert_eq!(e, EngineError::UnknownCall(ca(77)));

    // Unknown recordings: 20404, Twilio.CURRENT with none going too.
    let mut w = paused_call();
    at(&mut w, 1);
    let e = update(
        &mut w,
        ca(1),
        RecordingTarget::Current,
        RecordingChange::Stop,
    )
    .unwrap_err();
    assert_eq!(e.code(), TwilioCode(20404));
    assert_eq!(
        e,
        EngineError::UnknownRecording {
            call: ca(1),
            recording: "Twilio.CURRENT".to_owned()
        }
    );
    let e = update(
        &mut w,
        ca(1),
        RecordingTarget::Sid(re(9)),
        RecordingChange::Stop,
    )
    .unwrap_err();
    assert_eq!(e.code(), TwilioCode(20404));

    // Another call's recording is unknown on this call.
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        "<Response><Say>hi</Say><Pause length=\"9\"/></Response>",
    );
    w.inbound("client:a", "client:app", "https://app.test/voice");
    w.inbound("client:b", "client:app", "https://app.test/voice");
    at(&mut w, 1);
    let Ok(Handled::Recording(rec)) = start(&mut w, ca(1), 1) else {
        panic!("not started");
    };
    let e = update(
        &mut w,
        ca(2),
        RecordingTarget::Sid(rec),
        RecordingChange::Stop,
    )
    .unwrap_err();
    assert!(matches!(e, EngineError::UnknownRecording { .. }), "{e}");
}

#[test]
fn record_verb_recordings_are_not_rest_controlled() {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Record maxLength="20" timeout="0"/></Response>"#,
    );
    w.inbound("client:alice", "client:vm", "https://app.test/voice");
    at(&mut w, 1);
    // Twilio.CURRENT ignores the <Record>; its SID is refused.
    let e = update(
        &mut w,
        ca(1),
        RecordingTarget::Current,
        RecordingChange::Stop,
    )
    .unwrap_err();
    assert_eq!(e.code(), TwilioCode(20404));
    let e = update(
        &mut w,
        ca(1),
        RecordingTarget::Sid(re(2)),
        RecordingChange::Stop,
    )
    .unwrap_err();
    assert_eq!(e.code(), TwilioCode(21220));
    // A REST recording next to it is the current one.
    assert_eq!(start(&mut w, ca(1), 1), Ok(Handled::Recording(re(3))));
    assert_eq!(
        update(
            &mut w,
            ca(1),
            RecordingTarget::Current,
            RecordingChange::Stop
        ),
        Ok(Handled::Recording(re(3)))
    );
    // A REST redirect leaves the <Record> but not the REST recording.
    assert_eq!(start(&mut w, ca(1), 1), Ok(Handled::Recording(re(4))));
    w.rest(
        ca(1),
        RestCommand::RedirectTwiml("<Response><Pause length=\"5\"/></Response>".into()),
    )
    .unwrap();
    let tl = timeline(&w);
    assert!(
        tl.iter()
            .any(|(_, s)| s == &format!("stop {} Interrupted", re(2))),
        "{tl:?}"
    );
    assert!(
        !tl.iter()
            .any(|(_, s)| s.starts_with(&format!("stop {}", re(4)))),
        "{tl:?}"
    );
}
