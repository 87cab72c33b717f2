//! `Record=true` on a REST-created call (`CallSetup::record`), in virtual time: the recording
//! (`OutboundAPI`) starts at the answer, before the TwiML is fetched, and stops when the call
//! ends; its callbacks carry the REST recording's parameters; the call's `completed` status
//! callback reports `RecordingUrl`, `RecordingDuration`, `RecordingSid`; a single
//! `RecordingTrack` is mono; a call never answered records nothing; `Twilio.CURRENT` can
//! stop it early.

mod common;

use common::*;
use dialtone_core::{
    AppConfig, Handled, Input, Method, Output, RecordingChange, RecordingCommand, RecordingEvents,
    RecordingOptions, RecordingTarget, RecordingTrack, StatusCallbackConfig, StatusCallbackEvents,
    Trim,
};
use dialtone_sim::{LegScript, World};
use dialtone_types::{Sid, SidKind, WebUrl};

fn url(u: &str) -> WebUrl {
    WebUrl::parse(u).unwrap()
}

fn re(n: u128) -> Sid {
    Sid::new(SidKind::Recording, n)
}

fn rec_url(n: u128) -> String {
    format!(
        "https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{}",
        re(n)
    )
}

fn options(channels: u8, track: RecordingTrack) -> RecordingOptions {
    RecordingOptions {
        callback: Some(url("https://app.test/rsc")),
        callback_method: Method::Post,
        events: RecordingEvents {
            in_progress: true,
            completed: true,
            absent: true,
        },
        trim: Trim::TrimSilence,
        channels,
        track,
    }
}

fn api() -> Party {
    Party {
        sid: ca_str(1),
        direction: "outbound-api",
        from: "+15005550006",
        to: "client:alice",
        parent: None,
    }
}

/// A REST call to alice (answering at `answer` s) recorded with `record`, whose TwiML pauses
/// 20 s and ends; status callbacks for every event.
fn recorded_call(answer: Option<u64>, record: Option<RecordingOptions>) -> World {
    let mut w = World::new();
    w.serve(
        "https://app.test/voice",
        r#"<Response><Pause length="20"/></Response>"#,
    );
    let script = match answer {
        Some(s) => LegScript::answers_after(secs(s)),
        None => LegScript {
            outcome: dialtone_sim::harness::Outcome::Busy(secs(2)),
            ..LegScript::default()
        },
    };
    w.leg("client:alice", script);
    let app = AppConfig {
        status_callback: Some(StatusCallbackConfig {
            url: url("https://app.test/status"),
            method: Method::Post,
            events: StatusCallbackEvents::ALL,
        }),
        ..AppConfig::url(url("https://app.test/voice"))
    };
    let mut setup = w
        .setup_outbound_api("+15005550006", "client:alice", app)
        .unwrap();
    setup.record = record;
    w.start(setup).unwrap();
    w
}

/// `(ms, what)` of the recording outputs.
fn timeline(w: &World) -> Vec<(u64, String)> {
    w.outputs()
        .iter()
        .filter_map(|(t, o)| {
            let what = match o {
                Output::StartRecording(r) => format!(
                    "start {} call={} child={:?} ch={} {:?} {:?} {}",
                    r.recording,
                    r.call,
                    r.child,
                    r.channels,
                    r.track,
                    r.trim,
                    r.source.as_str()
                ),
                Output::StopRecording {
                    recording, reason, ..
                } => format!("stop {recording} {reason:?}"),
                Output::Fetch(f) => format!("fetch {}", f.url),
                _ => return None,
            };
            Some((t.0 - dialtone_sim::harness::EPOCH.0, what))
        })
        .collect()
}

fn rsc(status: &str, duration: Option<&str>, channels: &str, start: u64) -> Vec<(String, String)> {
    let mut p = pairs(&[
        ("AccountSid", ACCOUNT),
        ("CallSid", &ca_str(1)),
        ("RecordingSid", &re(2).to_string()),
        ("RecordingUrl", &rec_url(2)),
        ("RecordingStatus", status),
    ]);
    if let Some(d) = duration {
        p.push(("RecordingDuration".to_owned(), d.to_owned()));
    }
    p.extend(pairs(&[
        ("RecordingChannels", channels),
        ("RecordingStartTime", &ts(start)),
        ("RecordingSource", "OutboundAPI"),
    ]));
    p
}

/// The call's `completed` callback with the recording's three parameters.
fn completed(seq: u32, at: u64, duration: &str, recorded: &str) -> Vec<(String, String)> {
    let mut p = api().params("completed", &[("CallDuration", duration)]);
    p.extend(pairs(&[
        ("RecordingUrl", &rec_url(2)),
        ("RecordingDuration", recorded),
        ("RecordingSid", &re(2).to_string()),
        ("CallbackSource", "call-progress-events"),
        ("SequenceNumber", &seq.to_string()),
        ("Timestamp", &ts(at)),
    ]));
    p
}

#[test]
fn record_true_records_from_the_answer_to_the_end() {
    let mut w = recorded_call(Some(3), Some(options(2, RecordingTrack::Both)));
    w.run_until_idle();
    assert_eq!(
        timeline(&w),
        [
            (
                3_000,
                format!(
                    "start {} call={} child=None ch=2 Both TrimSilence OutboundAPI",
                    re(2),
                    ca(1)
                )
            ),
            (3_000, "fetch https://app.test/voice".to_owned()),
            (23_000, format!("stop {} Hangup", re(2))),
        ]
    );
    let p = api();
    let status = "POST https://app.test/status";
    let rscs = "POST https://app.test/rsc";
    assert_eq!(
        views(&w),
        [
            hook_p("status", status, p.callback("initiated", 0, 0, None)),
            hook_p("status", status, p.callback("ringing", 1, 1, None)),
            hook_p("status", status, p.callback("in-progress", 2, 3, None)),
            hook_p("status", rscs, rsc("in-progress", None, "2", 3)),
            hook_p(
                "fetch:Twiml",
                "POST https://app.test/voice",
                p.params("in-progress", &[])
            ),
            hook_p("status", status, completed(3, 23, "20", "20")),
            hook_p("status", rscs, rsc("completed", Some("20"), "2", 3)),
        ]
    );
}

#[test]
fn a_single_track_is_mono_and_an_unanswered_call_records_nothing() {
    for track in [RecordingTrack::Inbound, RecordingTrack::Outbound] {
        let mut w = recorded_call(Some(1), Some(options(2, track)));
        w.run_until_idle();
        assert_eq!(
            timeline(&w)[0],
            (
                1_000,
                format!(
                    "start {} call={} child=None ch=1 {track:?} TrimSilence OutboundAPI",
                    re(2),
                    ca(1)
                )
            )
        );
        let last = w.webhooks().last().unwrap();
        assert_eq!(
            last.params,
            rsc("completed", Some("20"), "1", 1),
            "{track:?}"
        );
    }

    let mut w = recorded_call(None, Some(options(1, RecordingTrack::Both)));
    w.run_until_idle();
    assert_eq!(timeline(&w), []);
    assert!(
        w.webhooks()
            .iter()
            .all(|h| h.url != "https://app.test/rsc" && h.param("RecordingSid").is_none()),
        "nothing recorded: {:?}",
        views(&w)
    );

    // Without `Record`, nothing either.
    let mut w = recorded_call(Some(1), None);
    w.run_until_idle();
    assert_eq!(
        timeline(&w),
        [(1_000, "fetch https://app.test/voice".to_owned())]
    );
}

#[test]
fn twilio_current_stops_it_early_and_the_call_reports_the_shorter_duration() {
    let mut w = recorded_call(Some(2), Some(options(1, RecordingTrack::Both)));
    w.advance(secs(10));
    assert_eq!(
        w.input(Input::Recording {
            call: ca(1),
            command: RecordingCommand::Update {
                target: RecordingTarget::Current,
                change: RecordingChange::Stop,
            },
        }),
        Ok(Handled::Recording(re(2)))
    );
    w.run_until_idle();
    assert_eq!(
        timeline(&w)[2..],
        [(10_000, format!("stop {} Stopped", re(2)))]
    );
    let hooks = views(&w);
    assert_eq!(
        hooks[hooks.len() - 2..],
        [
            hook_p(
                "status",
                "POST https://app.test/rsc",
                rsc("completed", Some("8"), "1", 2)
            ),
            hook_p(
                "status",
                "POST https://app.test/status",
                completed(3, 22, "20", "8")
            ),
        ]
    );
}
