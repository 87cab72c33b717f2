//! Recordings started and controlled over REST on live calls (`Handle::control_recording`):
//! the stored resource after each command (`in-progress`, `paused`, `in-progress`,
//! `stopped`, then `completed`), a `skip` pause cut out of the WAV and a `silence` one kept,
//! the softphone's tone in the file, the signed recording callbacks, the call ending first,
//! and every refusal with Twilio's code.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{App, Reply, account, call_request, config, ended, eventually};
use dialtone_media::audio::{Wav, detect};
use dialtone_runtime::{
    Handle, PauseBehavior, RecordingChange, RecordingCommand, RecordingEvents, RecordingOptions,
    RecordingTarget, RecordingTrack, RuntimeConfig, SoftphoneConfig, Trim,
};
use dialtone_store::{Recording, RecordingStatus, Store};
use dialtone_types::{CallStatus, Sid, SidKind, SimulatedAudio, TwilioCode};

const TONE_HZ: u16 = 700;

fn recordings_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("dialtone-rest-rec-{}", std::process::id()))
}

async fn world() -> (App, Handle, Store) {
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml("<Response><Pause length=\"30\"/></Response>".to_owned()),
    );
    let store = common::memory_store().await;
    let config = RuntimeConfig {
        recordings: Some(Arc::new(dialtone_store::FsRecordingStore::new(
            recordings_dir(),
        ))),
        ..config()
    };
    let rt = dialtone_runtime::start(store.clone(), config)
        .await
        .unwrap();
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            answer_after: Duration::from_millis(50),
            audio: SimulatedAudio::Tone(TONE_HZ),
            ..SoftphoneConfig::new("alice")
        },
    );
    (app, rt, store)
}

/// An answered API call to alice, running `<Pause length="30"/>`.
async fn answered_call(app: &App, rt: &Handle, store: &Store) -> Sid {
    let call = rt
        .create_call(call_request("client:alice", app.url("/voice")))
        .await
        .unwrap();
    eventually("the call answered", || async {
        let c = store.fetch_call(account(), call.sid).await.ok()?;
        (c.status == CallStatus::InProgress).then_some(())
    })
    .await;
    call.sid
}

fn options(app: &App, channels: u8) -> RecordingOptions {
    RecordingOptions {
        callback: Some(app.url("/rsc")),
        callback_method: dialtone_runtime::Method::Post,
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

fn start(app: &App, channels: u8) -> RecordingCommand {
    RecordingCommand::Start(Box::new(options(app, channels)))
}

fn change(target: RecordingTarget, change: RecordingChange) -> RecordingCommand {
    RecordingCommand::Update { target, change }
}

async fn completed(store: &Store, sid: Sid) -> Recording {
    eventually("the recording completed", || async {
        let r = store.fetch_recording(account(), sid).await.ok()?;
        matches!(
            r.status,
            RecordingStatus::Completed | RecordingStatus::Absent
        )
        .then_some(r)
    })
    .await
}

fn wav_of(r: &Recording) -> Wav {
    let path = recordings_dir().join(format!("{}/{}.wav", account(), r.sid));
    Wav::read(&std::fs::read(&path).unwrap()).unwrap()
}

/// Pauses for `pause` with `behavior` between two stretches of `run`, then stops: the
/// completed recording.
async fn paused_recording(behavior: PauseBehavior) -> (App, Handle, Store, Sid, Recording) {
    let (app, rt, store) = world().await;
    let call = answered_call(&app, &rt, &store).await;
    let r = rt
        .control_recording(account(), call, start(&app, 1))
        .await
        .unwrap();
    assert_eq!(r.status, RecordingStatus::InProgress);
    assert_eq!(
        (
            r.source.as_str(),
            r.channels,
            r.track.as_str(),
            r.duration,
            r.call_sid
        ),
        ("StartCallRecordingAPI", 1, "both", None, call)
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let current = RecordingTarget::Current;
    let p = rt
        .control_recording(
            account(),
            call,
            change(current, RecordingChange::Pause(behavior)),
        )
        .await
        .unwrap();
    assert_eq!((p.sid, p.status), (r.sid, RecordingStatus::Paused));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let p = rt
        .control_recording(account(), call, change(current, RecordingChange::Resume))
        .await
        .unwrap();
    assert_eq!(p.status, RecordingStatus::InProgress);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let p = rt
        .control_recording(
            account(),
            call,
            change(RecordingTarget::Sid(r.sid), RecordingChange::Stop),
        )
        .await
        .unwrap();
    assert_eq!(p.status, RecordingStatus::Stopped);
    let done = completed(&store, r.sid).await;
    (app, rt, store, call, done)
}

#[tokio::test]
async fn a_skipped_pause_is_cut_out_and_the_callbacks_are_signed() {
    let (app, rt, store, call, done) = paused_recording(PauseBehavior::Skip).await;
    assert_eq!(done.status, RecordingStatus::Completed);
    let secs = done.duration.unwrap();
    // 2.4 s recorded of 4.4 s; a loaded machine may stretch it a little.
    assert!((2..=3).contains(&secs), "duration {secs}");
    let wav = wav_of(&done);
    assert_eq!((wav.sample_rate, wav.channels), (8000, 1));
    let len = wav.samples.len();
    assert!((16_000..=28_000).contains(&len), "{len} samples");
    // The tone from the softphone is there, on both sides of the cut.
    assert!(detect::tone_present(
        &wav.samples[4000..8000],
        8000,
        f32::from(TONE_HZ)
    ));
    assert!(detect::tone_present(
        &wav.samples[len - 8000..len - 4000],
        8000,
        f32::from(TONE_HZ)
    ));
    let rsc = eventually("the completed callback", || async {
        let seen = app.seen_at("/rsc");
        (seen.len() >= 2).then_some(seen)
    })
    .await;
    assert_eq!(rsc.len(), 2);
    for (h, status) in rsc.iter().zip(["in-progress", "completed"]) {
        assert!(h.signature_ok(), "unsigned {status}");
        assert_eq!(h.method, "POST");
        let mut names = vec![
            "AccountSid",
            "CallSid",
            "RecordingSid",
            "RecordingUrl",
            "RecordingStatus",
        ];
        if status == "completed" {
            names.push("RecordingDuration");
        }
        names.extend(["RecordingChannels", "RecordingStartTime", "RecordingSource"]);
        assert_eq!(h.names(), names);
        assert_eq!(h.param("RecordingStatus"), Some(status));
        assert_eq!(h.param("CallSid"), Some(call.to_string().as_str()));
        assert_eq!(h.param("RecordingSid"), Some(done.sid.to_string().as_str()));
        assert_eq!(h.param("RecordingSource"), Some("StartCallRecordingAPI"));
        assert_eq!(h.param("RecordingChannels"), Some("1"));
    }
    assert_eq!(
        rsc[1].param("RecordingDuration"),
        Some(secs.to_string().as_str())
    );
    // Finished: any further update is 21220; Twilio.CURRENT finds nothing (20404).
    let e = rt
        .control_recording(
            account(),
            call,
            change(RecordingTarget::Sid(done.sid), RecordingChange::Resume),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.http_status()),
        (TwilioCode(21220), 400),
        "{e:?}"
    );
    let e = rt
        .control_recording(
            account(),
            call,
            change(RecordingTarget::Current, RecordingChange::Stop),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.http_status()),
        (TwilioCode(20404), 404),
        "{e:?}"
    );
    let _ = store;
    rt.shutdown().await;
}

#[tokio::test]
async fn a_silent_pause_is_kept_as_silence() {
    let (_app, rt, _store, _call, done) = paused_recording(PauseBehavior::Silence).await;
    let secs = done.duration.unwrap();
    assert!((4..=5).contains(&secs), "duration {secs}");
    let wav = wav_of(&done);
    // The middle of the pause (1.2 s to 3.2 s) is digital silence.
    let middle = &wav.samples[14_000..22_000];
    assert!(middle.iter().all(|s| *s == 0), "not silent");
    assert!(detect::tone_present(
        &wav.samples[2000..8000],
        8000,
        f32::from(TONE_HZ)
    ));
    rt.shutdown().await;
}

#[tokio::test]
async fn the_call_ending_stops_its_rest_recording_and_refusals_keep_their_codes() {
    let (app, rt, store) = world().await;
    let call = answered_call(&app, &rt, &store).await;
    let r = rt
        .control_recording(account(), call, start(&app, 2))
        .await
        .unwrap();
    assert_eq!(r.channels, 2);
    // Another call's recording is unknown on this call.
    let other = answered_call(&app, &rt, &store).await;
    let e = rt
        .control_recording(
            account(),
            other,
            change(RecordingTarget::Sid(r.sid), RecordingChange::Stop),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), TwilioCode(20404), "{e:?}");
    let unknown = Sid::new(SidKind::Recording, 0xdead);
    let e = rt
        .control_recording(
            account(),
            call,
            change(RecordingTarget::Sid(unknown), RecordingChange::Stop),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), TwilioCode(20404), "{e:?}");
    // An unknown call.
    let e = rt
        .control_recording(account(), Sid::new(SidKind::Call, 0xbad), start(&app, 1))
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), (TwilioCode(20404), 404));

    tokio::time::sleep(Duration::from_millis(1200)).await;
    rt.update_call(
        account(),
        call,
        dialtone_runtime::UpdateCall {
            status: Some(dialtone_runtime::TargetStatus::Completed),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    ended(&store, call).await;
    let done = completed(&store, r.sid).await;
    assert_eq!(done.status, RecordingStatus::Completed);
    assert_eq!(wav_of(&done).channels, 2);
    let rsc = eventually("the completed callback", || async {
        app.seen_at("/rsc")
            .into_iter()
            .find(|h| h.param("RecordingStatus") == Some("completed"))
    })
    .await;
    assert_eq!(rsc.param("RecordingChannels"), Some("2"));
    assert_eq!(rsc.param("RecordingSource"), Some("StartCallRecordingAPI"));
    assert!(rsc.signature_ok());
    // The call has ended: starting or changing is 21220.
    let e = rt
        .control_recording(account(), call, start(&app, 1))
        .await
        .unwrap_err();
    assert_eq!((e.code(), e.http_status()), (TwilioCode(21220), 400));
    let e = rt
        .control_recording(
            account(),
            call,
            change(
                RecordingTarget::Current,
                RecordingChange::Pause(PauseBehavior::Skip),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), TwilioCode(21220), "{e:?}");
    rt.shutdown().await;
}

#[tokio::test]
async fn a_ringing_call_cannot_be_recorded() {
    let (app, rt, _store) = world().await;
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            answer_after: Duration::from_secs(20),
            ..SoftphoneConfig::new("slow")
        },
    );
    let call = rt
        .create_call(call_request("client:slow", app.url("/voice")))
        .await
        .unwrap();
    let e = rt
        .control_recording(account(), call.sid, start(&app, 1))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.http_status()),
        (TwilioCode(21220), 400),
        "{e:?}"
    );
    rt.shutdown().await;
}
