//! Prompts and ringback checked by what the far end hears: real media legs (the WhatsApp
//! user's phone is an ICE-lite `dialtone-media` leg), a fake prompt source whose clips are
//! tones (`<Say>`: 600 Hz, 10 frames per word; `<Play>`: 1 kHz, 25 frames), and each received
//! Opus payload decoded and labelled by its dominant tone.

mod common;
mod whatsapp_common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{App, Reply, account, ended, eventually};
use dialtone_media::audio::{Clip, Frame, OpusDecoder, Tone, detect};
use dialtone_media::{
    Encoded, MediaConfig, MediaEngine, MediaEvent, MediaLeg, PayloadSink, PayloadSource,
};
use dialtone_prompt::{BoxFuture, PromptError, PromptSource, SayRequest};
use dialtone_runtime::{Handle, RuntimeConfig};
use dialtone_store::{CallFilter, NewApplication, PageRequest, PageSize, Store};
use dialtone_types::{Sid, SidKind, TwilioCode, UnixMillis, WebUrl};
use whatsapp_common::{Meta, SENDER, USER, answer, post, store_sender, user_call};

const WACID: &str = "wacid.user.1";
const SAY_HZ: f32 = 600.0;
const PLAY_HZ: f32 = 1000.0;
const CALLEE_HZ: f32 = 1500.0;
/// Frames of `<Say>` per word.
const PER_WORD: usize = 10;
/// Frames of one `<Play>` pass.
const PLAY_FRAMES: usize = 25;

/// Say → 600 Hz for 10 frames a word (made in 800 ms for a text with `slow` in it); Play → 1 kHz for 25 frames, or 11200 for a URL with
/// `missing` in it.
#[derive(Debug)]
struct TonePrompts;

fn tone_clip(hz: f32, frames: usize) -> Clip {
    Clip::from_frames(Tone::new(&[hz], 0.3).take(frames).collect())
}

impl PromptSource for TonePrompts {
    fn say<'a>(&'a self, request: &'a SayRequest) -> BoxFuture<'a, Result<Clip, PromptError>> {
        let words = request.text.split_whitespace().count().max(1);
        let slow = request.text.contains("slow");
        Box::pin(async move {
            if slow {
                tokio::time::sleep(Duration::from_millis(800)).await;
            }
            Ok(tone_clip(SAY_HZ, words * PER_WORD))
        })
    }

    fn play<'a>(&'a self, url: &'a WebUrl) -> BoxFuture<'a, Result<Clip, PromptError>> {
        Box::pin(async move {
            if url.as_str().contains("missing") {
                return Err(PromptError::Fetch {
                    code: TwilioCode(11200),
                    message: format!("HTTP retrieval failure: 404 from {url}"),
                });
            }
            Ok(tone_clip(PLAY_HZ, PLAY_FRAMES))
        })
    }
}

/// Received payloads with their arrival times.
type Received = Vec<(Instant, Vec<u8>)>;

/// What a leg received.
#[derive(Debug, Clone, Default)]
struct Ear(Arc<Mutex<Received>>);

impl PayloadSink for Ear {
    fn payload(&mut self, payload: &[u8]) {
        self.0
            .lock()
            .unwrap()
            .push((Instant::now(), payload.to_vec()));
    }
}

/// What a decoded frame sounds like.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Heard {
    Silence,
    Ringback,
    Hz(f32),
}

impl Ear {
    fn on(leg: &MediaLeg) -> Self {
        let ear = Ear::default();
        leg.control().tap(Some(Box::new(ear.clone())));
        ear
    }

    /// Each received frame, labelled, with its arrival time.
    fn frames(&self) -> Vec<(Instant, Heard)> {
        let mut decoder = OpusDecoder::new().unwrap();
        let payloads = self.0.lock().unwrap().clone();
        payloads
            .iter()
            .map(|(at, payload)| (*at, label(&decoder.decode(payload).unwrap())))
            .collect()
    }

    /// Runs of the same label, as (label, frames), leaving out runs of one frame (a codec
    /// transition).
    fn runs(&self) -> Vec<(Heard, usize)> {
        let mut runs: Vec<(Heard, usize)> = Vec::new();
        for (_, heard) in self.frames() {
            match runs.last_mut() {
                Some((h, n)) if *h == heard => *n += 1,
                _ => runs.push((heard, 1)),
            }
        }
        let mut merged: Vec<(Heard, usize)> = Vec::new();
        for (heard, n) in runs.into_iter().filter(|(_, n)| *n > 1) {
            match merged.last_mut() {
                Some((h, m)) if *h == heard => *m += n,
                _ => merged.push((heard, n)),
            }
        }
        merged
    }

    /// The runs that are not silence.
    fn sounds(&self) -> Vec<(Heard, usize)> {
        self.runs()
            .into_iter()
            .filter(|(h, _)| *h != Heard::Silence)
            .collect()
    }

    /// Frames heard so far with this label.
    fn count(&self, want: Heard) -> usize {
        self.frames().iter().filter(|(_, h)| *h == want).count()
    }
}

fn label(frame: &Frame) -> Heard {
    let samples = frame.samples();
    match detect::dominant_tone(samples, 16_000, &[440.0, 480.0, SAY_HZ, PLAY_HZ, CALLEE_HZ]) {
        Some(440.0 | 480.0) => Heard::Ringback,
        Some(hz) => Heard::Hz(hz),
        None => Heard::Silence,
    }
}

/// Asserts `got` is within `slack` frames of `want`.
fn about(got: usize, want: usize, slack: usize, what: &str) {
    assert!(
        got.abs_diff(want) <= slack,
        "{what}: {got} frames, expected {want} ± {slack}"
    );
}

struct World {
    meta: Meta,
    app: App,
    rt: Handle,
    store: Store,
}

/// A runtime with the tone prompts, the connector on a fake Meta, and the sender's voice
/// application at `/incoming` answering `twiml`.
async fn world(twiml: &str) -> World {
    let meta = Meta::start().await;
    let app = App::start().await;
    app.route("/incoming", Reply::Twiml(twiml.to_owned()));
    let store = common::memory_store().await;
    let config = RuntimeConfig {
        whatsapp: Some(meta.config()),
        prompts: Arc::new(TonePrompts),
        recordings: Some(Arc::new(dialtone_store::FsRecordingStore::new(
            recordings_dir(),
        ))),
        ..common::config()
    };
    let rt = dialtone_runtime::start(store.clone(), config)
        .await
        .unwrap();
    rt.set_whatsapp_senders(
        account(),
        vec![dialtone_types::E164::parse(SENDER).unwrap()],
    )
    .await
    .unwrap();
    let application = Sid::new(SidKind::Application, 0xa9);
    store
        .create_application(
            account(),
            &NewApplication {
                sid: application,
                friendly_name: "WhatsApp line".to_owned(),
                voice_url: Some(app.url("/incoming").to_string()),
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
    store_sender(&store, Some(application)).await;
    World {
        meta,
        app,
        rt,
        store,
    }
}

impl World {
    /// The WhatsApp user calls the business: returns their connected leg, its ear, and the
    /// call.
    async fn user_calls(&self) -> (MediaLeg, Ear, Sid) {
        let offer = MediaEngine::new(MediaConfig::lite()).offer().await.unwrap();
        post(&self.rt, &[user_call(WACID, offer.sdp(), 100)]);
        let pre = self.meta.request(1).await;
        assert_eq!(pre.action(), "pre_accept");
        let sdp = pre.body["session"]["sdp"].as_str().unwrap().to_owned();
        let mut leg = offer.accept(&sdp).unwrap();
        let ear = Ear::on(&leg);
        assert_eq!(leg.event().await, Some(MediaEvent::Connected));
        let call = eventually("the inbound call", || async {
            let page = PageRequest::first(PageSize::new(50).unwrap());
            let calls = self
                .store
                .list_calls(account(), &CallFilter::default(), &page)
                .await
                .ok()?;
            calls
                .items
                .iter()
                .find(|c| c.parent_call_sid.is_none())
                .map(|c| c.sid)
        })
        .await;
        (leg, ear, call)
    }

    /// The dialed user answers the child's `connect`: returns their connected leg (sending
    /// a 1.5 kHz tone), its ear, and the child.
    async fn callee_answers(&self) -> (MediaLeg, Ear, Sid) {
        let connect = eventually("the child's connect", || async {
            self.meta
                .seen()
                .into_iter()
                .find(|s| s.action() == "connect")
        })
        .await;
        let offer = connect.body["session"]["sdp"].as_str().unwrap().to_owned();
        let child = connect.body["biz_opaque_callback_data"]
            .as_str()
            .unwrap()
            .to_owned();
        let (mut leg, sdp) = MediaEngine::new(MediaConfig::lite())
            .answer(&offer)
            .await
            .unwrap();
        let ear = Ear::on(&leg);
        let voice: Box<dyn PayloadSource> =
            Box::new(Encoded::new(Tone::new(&[CALLEE_HZ], 0.3)).unwrap());
        leg.play(voice);
        post(&self.rt, &[answer("wacid.1", &sdp, Some(&child), 101)]);
        assert_eq!(leg.event().await, Some(MediaEvent::Connected));
        (leg, ear, child.parse().unwrap())
    }

    async fn notifications(&self, call: Sid) -> Vec<(u32, String)> {
        let page = PageRequest::first(PageSize::new(50).unwrap());
        self.store
            .list_notifications(account(), call, &page)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|n| (n.error_code.0, n.message_text))
            .collect()
    }
}

#[tokio::test]
async fn say_is_heard_for_its_length_then_the_next_verb_plays() {
    let w =
        world("<Response><Say>one two three</Say><Play>/tone.wav</Play><Hangup/></Response>").await;
    let (_leg, ear, call) = w.user_calls().await;
    ended(&w.store, call).await;
    let sounds = ear.sounds();
    assert_eq!(sounds.len(), 2, "{sounds:?}");
    assert_eq!(sounds[0].0, Heard::Hz(SAY_HZ), "{sounds:?}");
    about(sounds[0].1, 3 * PER_WORD, 2, "the <Say>");
    assert_eq!(sounds[1].0, Heard::Hz(PLAY_HZ), "{sounds:?}");
    about(sounds[1].1, PLAY_FRAMES, 2, "the <Play> after it");
    w.rt.shutdown().await;
}

#[tokio::test]
async fn play_loop_2_is_heard_twice_as_long() {
    let w = world("<Response><Play loop=\"2\">/tone.wav</Play><Say>done</Say><Hangup/></Response>")
        .await;
    let (_leg, ear, call) = w.user_calls().await;
    ended(&w.store, call).await;
    let sounds = ear.sounds();
    assert_eq!(sounds.len(), 2, "{sounds:?}");
    assert_eq!(sounds[0].0, Heard::Hz(PLAY_HZ), "{sounds:?}");
    about(sounds[0].1, 2 * PLAY_FRAMES, 2, "<Play loop=2>");
    assert_eq!(sounds[1].0, Heard::Hz(SAY_HZ), "{sounds:?}");
    about(sounds[1].1, PER_WORD, 2, "the <Say> after it");
    w.rt.shutdown().await;
}

#[tokio::test]
async fn a_digit_stops_the_gather_prompt_at_once() {
    let words = vec!["word"; 30].join(" ");
    let w = world(&format!(
        "<Response><Gather numDigits=\"1\" action=\"/pressed\"><Say>{words}</Say></Gather></Response>"
    ))
    .await;
    w.app.route(
        "/pressed",
        Reply::Twiml("<Response><Play>/tone.wav</Play><Hangup/></Response>".to_owned()),
    );
    let (leg, ear, call) = w.user_calls().await;
    eventually("the prompt playing", || async {
        (ear.count(Heard::Hz(SAY_HZ)) >= 15).then_some(())
    })
    .await;
    let pressed = Instant::now();
    leg.send_digits("5");
    ended(&w.store, call).await;
    let pressed_at = w.app.seen_at("/pressed");
    assert_eq!(pressed_at[0].param("Digits"), Some("5"));
    // The digit reaches the runtime with its RFC 4733 end packet: the first packet leaves on
    // the phone's next tick (up to 20 ms), the end 5 ticks (100 ms) later. From then on the
    // prompt must stop within a frame or two (the leg's next tick, plus one in flight).
    let arrived = pressed + Duration::from_millis(120);
    let prompt_after = |since: Instant| {
        ear.frames()
            .iter()
            .filter(|(at, h)| *at > since && *h == Heard::Hz(SAY_HZ))
            .count()
    };
    let late = prompt_after(arrived);
    assert!(late <= 2, "{late} prompt frames after the digit arrived");
    let after_press = prompt_after(pressed);
    assert!(
        after_press <= 8,
        "{after_press} prompt frames after the key press"
    );
    let sounds = ear.sounds();
    assert!(sounds[0].1 < 30 * PER_WORD / 2, "{sounds:?}");
    assert_eq!(
        sounds.last().map(|s| s.0),
        Some(Heard::Hz(PLAY_HZ)),
        "{sounds:?}"
    );
    w.rt.shutdown().await;
}

#[tokio::test]
async fn a_play_that_fails_is_notified_and_the_next_verb_is_heard() {
    let w =
        world("<Response><Play>/missing.wav</Play><Say>after it</Say><Hangup/></Response>").await;
    let (_leg, ear, call) = w.user_calls().await;
    ended(&w.store, call).await;
    let sounds = ear.sounds();
    assert_eq!(sounds.len(), 1, "{sounds:?}");
    assert_eq!(sounds[0].0, Heard::Hz(SAY_HZ));
    about(
        sounds[0].1,
        2 * PER_WORD,
        2,
        "the <Say> after the failed <Play>",
    );
    let missing = w.app.url("/missing.wav");
    assert_eq!(
        w.notifications(call).await,
        [(11200, format!("HTTP retrieval failure: 404 from {missing}"))]
    );
    w.rt.shutdown().await;
}

/// The caller dials the user back over WhatsApp; the callee answers after `ring`.
async fn dial(dial_attrs: &str, noun_attrs: &str, ring: Duration) -> (World, Ear, Ear, Sid) {
    let w = world(&format!(
        "<Response><Dial callerId=\"whatsapp:{SENDER}\" {dial_attrs}>\
         <WhatsApp {noun_attrs}>{USER}</WhatsApp></Dial></Response>"
    ))
    .await;
    w.app.route(
        "/whisper",
        Reply::Twiml("<Response><Say>you have a call</Say></Response>".to_owned()),
    );
    let (caller, caller_ear, call) = w.user_calls().await;
    tokio::time::sleep(ring).await;
    let (callee, callee_ear, _child) = w.callee_answers().await;
    // Long enough for the whisper (40 frames) and a second of bridged audio.
    tokio::time::sleep(Duration::from_secs(2)).await;
    drop((caller, callee));
    (w, caller_ear, callee_ear, call)
}

/// The caller heard ringback for about `ring`, then the callee, and nothing else.
fn ringback_then_callee(caller: &Ear, ring: Duration) {
    let sounds = caller.sounds();
    assert_eq!(sounds.len(), 2, "{sounds:?}");
    assert_eq!(sounds[0].0, Heard::Ringback, "{sounds:?}");
    let ring_frames = usize::try_from(ring.as_millis() / 20).unwrap();
    assert!(sounds[0].1 + 5 >= ring_frames, "{sounds:?}");
    assert_eq!(sounds[1].0, Heard::Hz(CALLEE_HZ), "{sounds:?}");
    assert!(sounds[1].1 >= 25, "{sounds:?}");
}

#[tokio::test]
async fn the_caller_hears_ringback_then_the_callee_once_bridged() {
    let ring = Duration::from_millis(800);
    let (w, caller, callee, _call) = dial("", "", ring).await;
    ringback_then_callee(&caller, ring);
    // The callee hears the caller (silent), never the ringback.
    assert_eq!(callee.sounds(), [], "{:?}", callee.sounds());
    w.rt.shutdown().await;
}

#[tokio::test]
async fn with_answer_on_bridge_the_unanswered_caller_hears_ringback_as_early_media() {
    let ring = Duration::from_millis(800);
    let (w, caller, _callee, _call) = dial("answerOnBridge=\"true\"", "", ring).await;
    ringback_then_callee(&caller, ring);
    // The caller was accepted only once the callee answered.
    let actions = w.meta.actions();
    let accept = actions.iter().position(|a| a == "accept").unwrap();
    let connect = actions.iter().position(|a| a == "connect").unwrap();
    assert!(connect < accept, "{actions:?}");
    w.rt.shutdown().await;
}

#[tokio::test]
async fn the_whisper_is_heard_by_the_callee_only_and_the_caller_hears_ringback_until_bridged() {
    let ring = Duration::from_millis(400);
    let (w, caller, callee, _call) = dial("", "url=\"/whisper\"", ring).await;
    // Ringback through the whisper, then the callee; never the whisper.
    ringback_then_callee(&caller, ring + Duration::from_millis(800));
    assert_eq!(caller.count(Heard::Hz(SAY_HZ)), 0);
    let heard = callee.sounds();
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].0, Heard::Hz(SAY_HZ));
    about(heard[0].1, 4 * PER_WORD, 2, "the whisper");
    w.rt.shutdown().await;
}

#[tokio::test]
async fn play_digits_sends_rfc4733_digits_with_their_pauses_then_the_next_verb_plays() {
    let w = world("<Response><Play digits=\"12ww3\"/><Say>sent</Say><Hangup/></Response>").await;
    let (mut leg, ear, call) = w.user_calls().await;
    let start = Instant::now();
    let mut keys = Vec::new();
    while keys.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(5), leg.event()).await {
            Ok(Some(MediaEvent::Digit(key))) => keys.push((key, start.elapsed())),
            Ok(Some(_)) => {}
            other => panic!("digits not received: {other:?} after {keys:?}"),
        }
    }
    assert_eq!(
        keys.iter().map(|(k, _)| *k).collect::<String>(),
        "123",
        "{keys:?}"
    );
    // `ww` is a second between `2` and `3`.
    let gap = keys[2].1.saturating_sub(keys[1].1);
    assert!(gap >= Duration::from_secs(1), "{keys:?}");
    ended(&w.store, call).await;
    let sounds = ear.sounds();
    assert_eq!(
        sounds.last().map(|s| s.0),
        Some(Heard::Hz(SAY_HZ)),
        "{sounds:?}"
    );
    w.rt.shutdown().await;
}

#[tokio::test]
async fn media_for_a_leg_that_never_connects_is_simulated_after_the_grace() {
    let w = world("<Response><Say>hello</Say><Hangup/></Response>").await;
    // The user's phone never applies our answer: no media leg ever attaches.
    let offer = MediaEngine::new(MediaConfig::lite()).offer().await.unwrap();
    post(&w.rt, &[user_call(WACID, offer.sdp(), 100)]);
    let call = eventually("the inbound call", || async {
        let page = PageRequest::first(PageSize::new(50).unwrap());
        let calls = w
            .store
            .list_calls(account(), &CallFilter::default(), &page)
            .await
            .ok()?;
        calls.items.first().map(|c| c.sid)
    })
    .await;
    // 500 ms of grace (the test config), then the simulated `<Say>`, then `<Hangup>`.
    let started = Instant::now();
    ended(&w.store, call).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(w.notifications(call).await, []);
    drop(offer);
    w.rt.shutdown().await;
}

#[tokio::test]
async fn a_prompt_stopped_before_its_clip_is_made_is_never_heard() {
    let w = world(
        "<Response><Gather numDigits=\"1\" action=\"/pressed\"><Say>slow prompt</Say></Gather></Response>",
    )
    .await;
    w.app.route(
        "/pressed",
        Reply::Twiml("<Response><Play>/tone.wav</Play><Hangup/></Response>".to_owned()),
    );
    let (leg, ear, call) = w.user_calls().await;
    // The clip takes 800 ms to make: the digit interrupts it first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    leg.send_digits("7");
    ended(&w.store, call).await;
    assert_eq!(w.app.seen_at("/pressed")[0].param("Digits"), Some("7"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(ear.count(Heard::Hz(SAY_HZ)), 0, "{:?}", ear.sounds());
    let sounds = ear.sounds();
    assert_eq!(sounds.len(), 1, "{sounds:?}");
    assert_eq!(sounds[0].0, Heard::Hz(PLAY_HZ), "{sounds:?}");
    w.rt.shutdown().await;
}

/// A fresh directory per test process for recordings.
fn recordings_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("dialtone-rec-{}", std::process::id()))
}

#[tokio::test]
async fn record_captures_what_the_caller_says_and_the_action_carries_the_recording() {
    let w =
        world(r#"<Response><Record maxLength="2" playBeep="false" action="/done"/></Response>"#)
            .await;
    w.app.route(
        "/done",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let (leg, _ear, call) = w.user_calls().await;
    leg.play(Box::new(Encoded::new(Tone::new(&[440.0], 0.3)).unwrap()));
    ended(&w.store, call).await;
    let done = eventually("the <Record> action", || async {
        w.app.seen_at("/done").into_iter().next()
    })
    .await;
    let sid = done.param("RecordingSid").expect("RecordingSid").to_owned();
    assert!(
        done.param("RecordingUrl")
            .is_some_and(|u| u.ends_with(&sid))
    );
    let secs: u32 = done.param("RecordingDuration").unwrap().parse().unwrap();
    assert!((1..=3).contains(&secs), "duration {secs}");
    let path = recordings_dir().join(format!("{}/{sid}.wav", account()));
    let bytes = std::fs::read(&path).unwrap();
    let samples: Vec<i16> = bytes[44..]
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect();
    assert!(
        detect::tone_present(&samples, 8000, 440.0),
        "no 440 Hz in {path:?}"
    );
    w.rt.shutdown().await;
}
