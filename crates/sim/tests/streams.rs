//! Media Streams in the engine, in virtual time: `<Connect><Stream>` holds the call until the
//! stream ends, then `action` or the next verb; `<Start>`/`<Stop>` forks; digits go to the
//! bidirectional stream; stream callbacks and notifications; REST `Streams.json`; the call's
//! end stops every stream. The runtime's side (the WebSocket) is played by the test with
//! `Input::Stream`.

mod common;

use common::*;
use dialtone_core::{
    EngineConfig, Handled, Input, Output, StreamClosed, StreamCommand, StreamEvent, StreamOptions,
    StreamRequest, StreamTrack,
};
use dialtone_sim::World;
use dialtone_sim::harness::Recording;
use dialtone_types::{CallStatus, Level, Sid, TwilioCode};

const VOICE: &str = "https://app.test/voice";

fn world(doc: &str) -> (World, Sid) {
    world_with(EngineConfig::default(), doc)
}

fn world_with(config: EngineConfig, doc: &str) -> (World, Sid) {
    let mut w = World::with(config, Recording::Full);
    w.serve(VOICE, doc);
    w.serve("https://app.test/after", "<Response><Hangup/></Response>");
    let call = w.inbound("client:alice", "client:support", VOICE);
    // Not until idle: a call in <Connect> would wait for its 4 h time limit.
    w.advance(secs(1));
    (w, call)
}

fn started(w: &World) -> Vec<StreamRequest> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::StartStream(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn stopped(w: &World) -> Vec<Sid> {
    w.outputs()
        .iter()
        .filter_map(|(_, o)| match o {
            Output::StopStream { stream, .. } => Some(*stream),
            _ => None,
        })
        .collect()
}

fn stream_callbacks(w: &World) -> Vec<Vec<(String, String)>> {
    w.webhooks()
        .iter()
        .filter(|h| h.url.contains("/stream-status"))
        .map(|h| h.params.clone())
        .collect()
}

fn report(w: &mut World, stream: Sid, event: StreamEvent) -> Handled {
    w.input(Input::Stream { stream, event })
        .expect("stream input")
}

fn cb(
    stream: Sid,
    name: &str,
    event: &str,
    error: Option<&str>,
    at: &str,
) -> Vec<(String, String)> {
    let mut p = pairs(&[
        ("AccountSid", ACCOUNT),
        ("CallSid", &ca_str(1)),
        ("StreamSid", &stream.to_string()),
        ("StreamName", name),
        ("StreamEvent", event),
    ]);
    if let Some(e) = error {
        p.push(("StreamError".into(), e.into()));
    }
    p.push(("Timestamp".into(), at.into()));
    p
}

#[test]
fn connect_holds_the_call_until_the_application_closes_then_requests_action() {
    let (mut w, call) = world(
        r#"<Response><Connect action="/after"><Stream url="wss://agent.test/media" statusCallback="/stream-status"><Parameter name="FirstName" value="Jane"/></Stream></Connect><Say>never</Say></Response>"#,
    );
    let requests = started(&w);
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.call, call);
    assert_eq!(&*r.url, "wss://agent.test/media");
    assert_eq!(r.track, StreamTrack::Inbound);
    assert!(r.bidirectional);
    assert_eq!(r.parameters, pairs(&[("FirstName", "Jane")]));
    assert_eq!(r.name, None);
    assert!(r.stream.to_string().starts_with("MZ"));
    let stream = r.stream;
    assert_eq!(w.status(call), Some(CallStatus::InProgress), "answered");

    // The call waits in <Connect> for as long as the stream lasts.
    w.advance(secs(600));
    assert_eq!(w.status(call), Some(CallStatus::InProgress));
    assert_eq!(
        w.webhooks()
            .iter()
            .filter(|h| h.url.contains("after"))
            .count(),
        0
    );
    assert_eq!(
        report(&mut w, stream, StreamEvent::Connected),
        Handled::Applied
    );
    // Digits go to the stream.
    w.input(Input::Leg {
        call,
        event: dialtone_core::LegEvent::Digits("12".into()),
    })
    .unwrap();
    assert!(w.outputs().iter().any(|(_, o)| *o
        == Output::StreamDtmf {
            call,
            stream,
            digits: "12".into()
        }));

    assert_eq!(
        report(
            &mut w,
            stream,
            StreamEvent::Ended(StreamClosed::ByApplication)
        ),
        Handled::Applied
    );
    w.run_until_idle();
    let caller = Party::inbound(1, "client:alice", "client:support");
    let after: Vec<_> = w
        .webhooks()
        .iter()
        .filter(|h| h.url.ends_with("/after"))
        .map(view)
        .collect();
    assert_eq!(
        after,
        vec![hook_p(
            "fetch:Action",
            "POST https://app.test/after",
            caller.params("in-progress", &[])
        )]
    );
    assert_eq!(
        stream_callbacks(&w),
        vec![
            cb(
                stream,
                &stream.to_string(),
                "stream-started",
                None,
                "2026-01-01T00:10:01Z"
            ),
            cb(
                stream,
                &stream.to_string(),
                "stream-stopped",
                None,
                "2026-01-01T00:10:01Z"
            ),
        ]
    );
    assert_eq!(
        notes(&w),
        vec![(ca_str(1), TwilioCode::STREAM_CLOSE_ERROR.0, Level::Error)]
    );
    assert_eq!(w.status(call), Some(CallStatus::Completed));
    assert_eq!(
        stopped(&w),
        vec![],
        "the application closed it: no StopStream"
    );
    // A late report about the ended stream is stale.
    assert_eq!(
        report(&mut w, stream, StreamEvent::Connected),
        Handled::Stale
    );
}

#[test]
fn a_failed_stream_is_an_error_and_the_next_verb_runs() {
    let (mut w, call) = world(
        r#"<Response><Connect><Stream name="bot" url="/media" statusCallback="/stream-status"/></Connect><Redirect>/after</Redirect></Response>"#,
    );
    let r = started(&w).remove(0);
    assert_eq!(
        &*r.url, "wss://app.test/media",
        "relative to the document, wss"
    );
    assert_eq!(r.name.as_deref(), Some("bot"));
    let failed = StreamClosed::Failed {
        code: TwilioCode::STREAM_CONNECTION_REFUSED,
        message: "127.0.0.1:9 refused the connection".into(),
    };
    report(&mut w, r.stream, StreamEvent::Ended(failed));
    w.run_until_idle();
    assert_eq!(
        stream_callbacks(&w),
        vec![cb(
            r.stream,
            "bot",
            "stream-error",
            Some("127.0.0.1:9 refused the connection"),
            "2026-01-01T00:00:01Z"
        )]
    );
    assert_eq!(notes(&w), vec![(ca_str(1), 31902, Level::Error)]);
    assert_eq!(
        w.notifications()[0].message,
        "Stream: 127.0.0.1:9 refused the connection"
    );
    assert!(
        w.webhooks()
            .iter()
            .any(|h| h.line() == "POST https://app.test/after")
    );
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}

#[test]
fn start_forks_and_goes_on_stop_ends_the_fork_and_hangup_stops_the_rest() {
    let (mut w, call) = world(
        r#"<Response><Start><Stream name="a" url="wss://m.test/a" track="both_tracks" statusCallback="https://app.test/stream-status"/><Stream name="b" url="wss://m.test/b" track="outbound_track"/></Start><Pause length="5"/><Stop><Stream name="a"/><Stream name="nope"/></Stop><Pause length="5"/></Response>"#,
    );
    w.run_until_idle();
    let r = started(&w);
    assert_eq!(r.len(), 2);
    assert_eq!((r[0].track, r[0].bidirectional), (StreamTrack::Both, false));
    assert_eq!(r[1].track, StreamTrack::Outbound);
    // `<Stop>` stopped `a` at 5 s; the end of the document (10 s) stopped `b`.
    let at: Vec<_> = w
        .outputs()
        .iter()
        .filter_map(|(t, o)| match o {
            Output::StopStream { stream, .. } => Some((*stream, t.0)),
            _ => None,
        })
        .collect();
    let epoch = w.outputs()[0].0.0;
    assert_eq!(
        at,
        vec![(r[0].stream, epoch + 5_000), (r[1].stream, epoch + 10_000)]
    );
    assert_eq!(
        stream_callbacks(&w),
        vec![cb(
            r[0].stream,
            "a",
            "stream-stopped",
            None,
            "2026-01-01T00:00:05Z"
        )]
    );
    assert_eq!(w.status(call), Some(CallStatus::Completed));
    assert!(notes(&w).is_empty(), "{:?}", notes(&w));
}

#[test]
fn streams_that_cannot_start_are_notified_and_skipped() {
    let cases: [(&str, u32); 5] = [
        (
            r#"<Connect><Stream url="wss://m.test/s" track="both_tracks"/></Connect>"#,
            31941,
        ),
        (
            r#"<Connect><Stream url="https://m.test/s"/></Connect>"#,
            31922,
        ),
        (r#"<Connect><Stream url="wss://"/></Connect>"#, 31923),
        ("<Connect><Stream/></Connect>", 31923),
        (
            r#"<Start><Stream name="x" url="wss://m.test/1"/><Stream name="x" url="wss://m.test/2"/></Start>"#,
            12200,
        ),
    ];
    for (verbs, code) in cases {
        let doc = format!("<Response>{verbs}<Redirect>/after</Redirect></Response>");
        let (w, call) = world(&doc);
        let errors: Vec<u32> = w
            .notifications()
            .iter()
            .filter(|n| n.level == Level::Error)
            .map(|n| n.code.0)
            .collect();
        assert!(errors.contains(&code), "{verbs}: {errors:?}");
        assert!(
            w.webhooks().iter().any(|h| h.url.ends_with("/after")),
            "{verbs}: the document goes on"
        );
        assert_eq!(w.status(call), Some(CallStatus::Completed), "{verbs}");
    }
    // ws:// is accepted by default and refused when wss is required.
    let doc = r#"<Response><Connect><Stream url="ws://127.0.0.1:9/s"/></Connect></Response>"#;
    let (w, _) = world(doc);
    assert_eq!(&*started(&w)[0].url, "ws://127.0.0.1:9/s");
    let config = EngineConfig {
        streams_require_wss: true,
        ..EngineConfig::default()
    };
    let (w, _) = world_with(config, doc);
    assert!(started(&w).is_empty());
    // The parser's warning for ws://, then the engine's refusal.
    assert_eq!(
        notes(&w),
        vec![
            (ca_str(1), 31922, Level::Warning),
            (ca_str(1), 31922, Level::Error)
        ]
    );
}

#[test]
fn rest_starts_and_stops_streams_by_sid_or_name() {
    let (mut w, call) = world(r#"<Response><Say>hello</Say><Pause length="60"/></Response>"#);
    let options = StreamOptions {
        url: "wss://m.test/rest".into(),
        name: Some("rest".into()),
        track: StreamTrack::Both,
        callback: Some(dialtone_types::WebUrl::parse("https://app.test/stream-status").unwrap()),
        callback_method: dialtone_core::Method::Post,
        parameters: pairs(&[("k", "v")]),
    };
    let start = |w: &mut World, o: &StreamOptions| {
        w.input(Input::StreamCommand {
            call,
            command: StreamCommand::Start(Box::new(o.clone())),
        })
    };
    let result = start(&mut w, &options);
    let Ok(Handled::Stream(first)) = result else {
        panic!("not started: {result:?}")
    };
    let r = started(&w).remove(0);
    assert_eq!(
        (r.stream, r.bidirectional, r.track),
        (first, false, StreamTrack::Both)
    );
    assert_eq!(r.parameters, pairs(&[("k", "v")]));
    // The name is taken.
    let err = start(&mut w, &options).unwrap_err();
    assert_eq!(err.code().0, 20001);
    let stop = |w: &mut World, target: &str| {
        w.input(Input::StreamCommand {
            call,
            command: StreamCommand::Stop(target.into()),
        })
    };
    assert_eq!(stop(&mut w, "rest"), Ok(Handled::Stream(first)));
    assert_eq!(stopped(&w), vec![first]);
    assert_eq!(
        stop(&mut w, "rest").unwrap_err().code(),
        TwilioCode::NOT_FOUND
    );
    let Ok(Handled::Stream(second)) = start(&mut w, &options) else {
        panic!("the name is free again")
    };
    assert_eq!(
        stop(&mut w, &second.to_string()),
        Ok(Handled::Stream(second))
    );
    // A relative URL resolves against the document; another scheme is refused.
    let bad = StreamOptions {
        url: "http://m.test/x".into(),
        ..options
    };
    assert_eq!(start(&mut w, &bad).unwrap_err().code().0, 31922);
    w.run_until_idle();
    assert_eq!(
        stream_callbacks(&w)
            .iter()
            .map(|p| p
                .iter()
                .find(|(k, _)| k == "StreamEvent")
                .unwrap()
                .1
                .clone())
            .collect::<Vec<_>>(),
        ["stream-stopped", "stream-stopped"]
    );
}

#[test]
fn a_redirect_leaves_connect_and_stops_its_stream() {
    let (mut w, call) = world(
        r#"<Response><Connect action="/after"><Stream url="wss://m.test/s"/></Connect></Response>"#,
    );
    let stream = started(&w)[0].stream;
    w.rest(
        call,
        dialtone_core::RestCommand::RedirectTwiml("<Response><Hangup/></Response>".into()),
    )
    .unwrap();
    w.run_until_idle();
    assert_eq!(stopped(&w), vec![stream]);
    assert!(
        !w.webhooks().iter().any(|h| h.url.ends_with("/after")),
        "no action"
    );
    assert_eq!(w.status(call), Some(CallStatus::Completed));
}
