//! Softphone calls carry real media: the softphone's "browser" leg (an offerer on loopback) is
//! answered by Dialtone's media plane, so `<Say>`/`<Play>` are heard on the softphone side.
//! The prompt source is fake: `<Say>` is 600 Hz, `<Play>` 1 kHz; two softphones bridged by
//! `<Dial><Client>` hear each other's `Audio` tones, and a WAV `Audio` loops. What each heard comes from the heard log,
//! found by the CallSid of the softphone's leg.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{App, Reply, account, ended, eventually};
use dialtone_media::audio::{Clip, FRAME_SAMPLES, Tone, detect};
use dialtone_media::heard::HeardLog;
use dialtone_prompt::{BoxFuture, PromptError, PromptSource, SayRequest};
use dialtone_runtime::{Handle, RuntimeConfig, SoftphoneConfig};
use dialtone_store::{CallFilter, NewApplication, PageRequest, PageSize, Store};
use dialtone_types::{CallStatus, Sid, SidKind, SimulatedAudio, UnixMillis, WebUrl};

const SAY_HZ: f32 = 600.0;
const PLAY_HZ: f32 = 1000.0;

#[derive(Debug)]
struct TonePrompts;

fn tone_clip(hz: f32, frames: usize) -> Clip {
    Clip::from_frames(Tone::new(&[hz], 0.3).take(frames).collect())
}

impl PromptSource for TonePrompts {
    fn say<'a>(&'a self, _: &'a SayRequest) -> BoxFuture<'a, Result<Clip, PromptError>> {
        Box::pin(async move { Ok(tone_clip(SAY_HZ, 25)) })
    }

    fn play<'a>(&'a self, _: &'a WebUrl) -> BoxFuture<'a, Result<Clip, PromptError>> {
        Box::pin(async move { Ok(tone_clip(PLAY_HZ, 25)) })
    }
}

/// Frames the softphone on `call` heard with `hz` dominant (0 when nothing was heard).
fn frames_of(log: &HeardLog, call: Sid, hz: f32) -> usize {
    let Some(heard) = log.by_call(account(), &call.to_string()) else {
        return 0;
    };
    heard
        .decode()
        .unwrap()
        .chunks(FRAME_SAMPLES)
        .filter(|frame| detect::dominant_tone(frame, 16_000, &[SAY_HZ, PLAY_HZ, 440.0]) == Some(hz))
        .count()
}

/// Alice (a registered softphone) calls an application whose voice URL is `app`'s `/app`.
async fn alice_calls_app(
    store: &Store,
    rt: &Handle,
    app: &App,
    sid: u128,
    friendly_name: &str,
) -> dialtone_store::Call {
    let application = store
        .create_application(
            account(),
            &NewApplication {
                sid: Sid::new(SidKind::Application, sid),
                friendly_name: friendly_name.to_owned(),
                voice_url: Some(app.url("/app").to_string()),
                voice_method: "POST".to_owned(),
                voice_fallback_url: None,
                voice_fallback_method: "POST".to_owned(),
                status_callback: None,
                status_callback_method: "POST".to_owned(),
            },
            UnixMillis(1_700_000_000_000),
        )
        .await
        .unwrap();
    rt.start_softphone_call(account(), "alice", application, None, vec![])
        .await
        .unwrap()
}

#[tokio::test]
async fn a_softphone_calling_an_app_hears_its_say_and_play() {
    let app = App::start().await;
    app.route(
        "/app",
        Reply::Twiml(
            "<Response><Say>Hi</Say><Play>https://example.com/a.wav</Play><Pause length=\"1\"/></Response>"
                .to_owned(),
        ),
    );
    let store = common::memory_store().await;
    let config = RuntimeConfig {
        prompts: Arc::new(TonePrompts),
        ..common::config()
    };
    let rt = dialtone_runtime::start(store.clone(), config)
        .await
        .unwrap();
    let log = HeardLog::default();
    rt.softphones().set_heard_log(Some(log.clone()));
    rt.softphones()
        .register(account(), SoftphoneConfig::new("alice"));
    let call = alice_calls_app(&store, &rt, &app, 7, "test").await;
    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    eventually("the softphone heard the Say and the Play", || {
        let log = log.clone();
        async move {
            (frames_of(&log, call.sid, SAY_HZ) >= 15 && frames_of(&log, call.sid, PLAY_HZ) >= 15)
                .then_some(())
        }
    })
    .await;
    // Both legs are gone once the call ended.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rt.softphones().live_legs(), 0);
}

#[tokio::test]
async fn softphones_bridged_by_dial_client_hear_each_other() {
    let app = App::start().await;
    app.route(
        "/app",
        Reply::Twiml("<Response><Dial><Client>bob</Client></Dial></Response>".to_owned()),
    );
    let store = common::memory_store().await;
    let config = RuntimeConfig {
        prompts: Arc::new(TonePrompts),
        ..common::config()
    };
    let rt = dialtone_runtime::start(store.clone(), config)
        .await
        .unwrap();
    let log = HeardLog::default();
    rt.softphones().set_heard_log(Some(log.clone()));
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            audio: SimulatedAudio::Tone(440),
            hangup_after: Some(Duration::from_secs(3)),
            ..SoftphoneConfig::new("alice")
        },
    );
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            audio: SimulatedAudio::Tone(1000),
            answer_after: Duration::from_millis(100),
            ..SoftphoneConfig::new("bob")
        },
    );
    let call = alice_calls_app(&store, &rt, &app, 8, "dial bob").await;
    ended(&store, call.sid).await;
    let children = store
        .list_calls(
            account(),
            &CallFilter {
                parent_call_sid: Some(call.sid),
                ..CallFilter::default()
            },
            &PageRequest::first(PageSize::new(10).unwrap()),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(children.len(), 1, "one <Dial><Client> leg");
    let bob = children[0].sid;
    assert_eq!(log.len(), 2, "both softphones had a media leg");
    assert_eq!(log.decoded_frames(), 0, "nothing decoded until asked");
    assert!(
        frames_of(&log, call.sid, PLAY_HZ) >= 25,
        "alice heard bob's 1000 Hz"
    );
    // Alice hears ringback (440 + 480 Hz) until bob answers (100 ms plus media setup), never
    // her own tone for the call's 3 s.
    assert!(
        frames_of(&log, call.sid, 440.0) <= 20,
        "alice did not hear herself"
    );
    assert!(
        frames_of(&log, bob, 440.0) >= 25,
        "bob heard alice's 440 Hz"
    );
    assert_eq!(frames_of(&log, bob, PLAY_HZ), 0, "bob did not hear himself");
}

#[tokio::test]
async fn a_softphone_plays_its_wav_audio_in_a_loop() {
    let app = App::start().await;
    app.route(
        "/app",
        Reply::Twiml("<Response><Dial><Client>bob</Client></Dial></Response>".to_owned()),
    );
    // Half a second of 1000 Hz: heard for longer than that, it is looping.
    let samples: Vec<i16> = Tone::new(&[PLAY_HZ], 0.3)
        .take(25)
        .flat_map(|frame| frame.samples().to_vec())
        .collect();
    let wav = dialtone_media::audio::Wav::mono(16_000, samples)
        .write()
        .unwrap();
    app.route("/loop.wav", Reply::Body("audio/wav", wav));
    let store = common::memory_store().await;
    let rt = dialtone_runtime::start(store.clone(), common::config())
        .await
        .unwrap();
    let log = HeardLog::default();
    rt.softphones().set_heard_log(Some(log.clone()));
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            hangup_after: Some(Duration::from_secs(3)),
            ..SoftphoneConfig::new("alice")
        },
    );
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            audio: SimulatedAudio::Wav(app.url("/loop.wav")),
            answer_after: Duration::from_millis(100),
            ..SoftphoneConfig::new("bob")
        },
    );
    let call = alice_calls_app(&store, &rt, &app, 9, "dial bob").await;
    ended(&store, call.sid).await;
    assert_eq!(
        app.seen_at("/loop.wav").len(),
        1,
        "the WAV is fetched once per call"
    );
    assert!(
        frames_of(&log, call.sid, PLAY_HZ) >= 50,
        "alice heard bob's looped WAV for more than one pass: {} frames",
        frames_of(&log, call.sid, PLAY_HZ)
    );
}
