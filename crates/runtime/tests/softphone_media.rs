//! Softphone calls carry real media: the softphone's "browser" leg (an offerer on loopback) is
//! answered by Dialtone's media plane, so `<Say>`/`<Play>` are heard on the softphone side.
//! The prompt source is fake: `<Say>` is 600 Hz, `<Play>` 1 kHz; two softphones bridged by
//! `<Dial><Client>` hear each other's `Audio` tones.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{App, Reply, account, ended, eventually};
use dialtone_media::PayloadSink;
use dialtone_media::audio::{Clip, OpusDecoder, Tone, detect};
use dialtone_prompt::{BoxFuture, PromptError, PromptSource, SayRequest};
use dialtone_runtime::{RuntimeConfig, SoftphoneConfig};
use dialtone_store::NewApplication;
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

/// Every payload the softphone heard, across its calls.
#[derive(Debug, Clone, Default)]
struct Ear(Arc<Mutex<Vec<Vec<u8>>>>);

impl PayloadSink for Ear {
    fn payload(&mut self, payload: &[u8]) {
        self.0.lock().unwrap().push(payload.to_vec());
    }
}

impl Ear {
    /// Frames heard with `hz` dominant.
    fn frames_of(&self, hz: f32) -> usize {
        let mut decoder = OpusDecoder::new().unwrap();
        let payloads = self.0.lock().unwrap().clone();
        payloads
            .iter()
            .filter(|p| {
                let frame = decoder.decode(p).unwrap();
                detect::dominant_tone(frame.samples(), 16_000, &[SAY_HZ, PLAY_HZ, 440.0])
                    == Some(hz)
            })
            .count()
    }
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
    let ear = Ear::default();
    let tap = ear.clone();
    rt.softphones()
        .set_heard_tap(Some(Arc::new(move |_call: Sid| {
            Some(Box::new(tap.clone()) as Box<dyn PayloadSink>)
        })));
    rt.softphones()
        .register(account(), SoftphoneConfig::new("alice"));
    let application = store
        .create_application(
            account(),
            &NewApplication {
                sid: Sid::new(SidKind::Application, 7),
                friendly_name: "test".to_owned(),
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
    let call = rt
        .start_softphone_call(account(), "alice", application, None, vec![])
        .await
        .unwrap();
    let done = ended(&store, call.sid).await;
    assert_eq!(done.status, CallStatus::Completed);
    eventually("the softphone heard the Say and the Play", || {
        let ear = ear.clone();
        async move { (ear.frames_of(SAY_HZ) >= 15 && ear.frames_of(PLAY_HZ) >= 15).then_some(()) }
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
    let ears: Arc<Mutex<HashMap<Sid, Ear>>> = Arc::default();
    let taps = Arc::clone(&ears);
    rt.softphones()
        .set_heard_tap(Some(Arc::new(move |call: Sid| {
            let ear = Ear::default();
            taps.lock().unwrap().insert(call, ear.clone());
            Some(Box::new(ear) as Box<dyn PayloadSink>)
        })));
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
    let application = store
        .create_application(
            account(),
            &NewApplication {
                sid: Sid::new(SidKind::Application, 8),
                friendly_name: "dial bob".to_owned(),
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
    let call = rt
        .start_softphone_call(account(), "alice", application, None, vec![])
        .await
        .unwrap();
    ended(&store, call.sid).await;
    let ears = ears.lock().unwrap().clone();
    assert_eq!(ears.len(), 2, "both softphones had a media leg");
    let alice = &ears[&call.sid];
    let bob = ears.iter().find(|(sid, _)| **sid != call.sid).unwrap().1;
    assert!(alice.frames_of(PLAY_HZ) >= 25, "alice heard bob's 1000 Hz");
    // Alice hears ringback (440 + 480 Hz) until bob answers (100 ms plus media setup), never
    // her own tone for the call's 3 s.
    assert!(alice.frames_of(440.0) <= 20, "alice did not hear herself");
    assert!(bob.frames_of(440.0) >= 25, "bob heard alice's 440 Hz");
    assert_eq!(bob.frames_of(PLAY_HZ), 0, "bob did not hear himself");
}
