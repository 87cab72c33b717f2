//! `CreateCallRecording` and `UpdateCallRecording` over REST against the fake engine: the
//! 201/200 bodies field by field, the parameters handed to the engine (defaults and every
//! value), `Twilio.CURRENT`, and each error with its status and Twilio code (20404, 20001,
//! 21205, 21209, 21220, 20009 for deleting a recording still going).

mod common;

use axum::http::StatusCode;
use common::{NOW_TEXT, Rig, account, bad_request, error, not_found, other_account, path};
use dialtone_api::{ControlError, PauseBehavior, RecordingRef, RecordingUpdate};
use dialtone_store::{RecordingFinish, RecordingStatus};
use dialtone_twiml::{Method, RecordingTrack, Trim};
use dialtone_types::{Sid, SidKind, TwilioCode};
use serde_json::{Value, json};

fn re(n: u128) -> Sid {
    Sid::new(SidKind::Recording, n)
}

async fn rig_with_call() -> (Rig, Sid) {
    let rig = Rig::new().await;
    let (status, call) = rig
        .post(
            &path("/Calls.json"),
            "To=client%3Abob&From=client%3Aalice&Url=https%3A%2F%2Fapp.test%2Fvoice",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    let call = Sid::parse_kind(call["sid"].as_str().unwrap(), SidKind::Call).unwrap();
    (rig, call)
}

fn recordings(call: Sid) -> String {
    path(&format!("/Calls/{call}/Recordings.json"))
}

fn one(call: Sid, name: &str) -> String {
    path(&format!("/Calls/{call}/Recordings/{name}.json"))
}

fn body(call: Sid, n: u128, status: &str, channels: u8, track: &str) -> Value {
    json!({
        "account_sid": account().to_string(),
        "api_version": "2010-04-01",
        "call_sid": call.to_string(),
        "conference_sid": null,
        "channels": channels,
        "date_created": NOW_TEXT,
        "date_updated": NOW_TEXT,
        "start_time": NOW_TEXT,
        "duration": null,
        "encryption_details": null,
        "error_code": null,
        "price": null,
        "price_unit": "USD",
        "sid": re(n).to_string(),
        "source": "StartCallRecordingAPI",
        "status": status,
        "track": track,
        "uri": format!("/2010-04-01/Accounts/{}/Calls/{call}/Recordings/{}.json", account(), re(n)),
    })
}

fn refuse(rig: &Rig, code: u32, status: StatusCode, message: &str) {
    *rig.control.refuse_next.lock().unwrap() = Some(ControlError {
        retry_after: None,
        status,
        code: TwilioCode(code),
        message: message.to_owned(),
    });
}

#[tokio::test]
async fn create_answers_201_with_the_recording_and_passes_every_parameter() {
    let (rig, call) = rig_with_call().await;
    assert_eq!(
        rig.post(&recordings(call), "").await,
        (
            StatusCode::CREATED,
            body(call, 0x200, "in-progress", 1, "both")
        )
    );
    let (status, v) = rig
        .post(
            &recordings(call),
            "RecordingStatusCallback=https%3A%2F%2Fapp.test%2Frsc&RecordingStatusCallbackMethod=GET\
             &RecordingStatusCallbackEvent=in-progress+completed&RecordingStatusCallbackEvent=absent\
             &Trim=trim-silence&RecordingChannels=dual&RecordingTrack=inbound\
             &RecordingConfigurationId=JY123&PlayBeep=true",
        )
        .await;
    assert_eq!(
        (status, v),
        (
            StatusCode::CREATED,
            body(call, 0x201, "in-progress", 2, "inbound")
        )
    );
    let starts = rig
        .control
        .recorded
        .lock()
        .unwrap()
        .recording_starts
        .clone();
    assert_eq!(starts.len(), 2);
    let (c, defaults) = &starts[0];
    assert_eq!(*c, call);
    assert_eq!(defaults.callback, None);
    assert_eq!(defaults.callback_method, Method::Post);
    let e = defaults.events;
    assert_eq!((e.in_progress, e.completed, e.absent), (false, true, false));
    assert_eq!(
        (defaults.trim, defaults.channels, defaults.track),
        (Trim::DoNotTrim, 1, RecordingTrack::Both)
    );
    let (_, given) = &starts[1];
    assert_eq!(
        given.callback.as_ref().map(dialtone_types::WebUrl::as_str),
        Some("https://app.test/rsc")
    );
    assert_eq!(given.callback_method, Method::Get);
    let e = given.events;
    assert_eq!((e.in_progress, e.completed, e.absent), (true, true, true));
    assert_eq!(
        (given.trim, given.channels, given.track),
        (Trim::TrimSilence, 2, RecordingTrack::Inbound)
    );
    // The call's recordings list and the fetch show it.
    let (status, list) = rig.get(&recordings(call)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["recordings"].as_array().unwrap().len(), 2);
    assert_eq!(
        rig.get(&one(call, &re(0x201).to_string())).await,
        (
            StatusCode::OK,
            body(call, 0x201, "in-progress", 2, "inbound")
        )
    );
}

#[tokio::test]
async fn create_errors() {
    let (rig, call) = rig_with_call().await;
    // Unknown call, malformed call SID, another account's call: 20404.
    let unknown = recordings(Sid::new(SidKind::Call, 0xdead));
    assert_eq!(rig.post(&unknown, "").await, not_found(&unknown));
    let malformed = path("/Calls/CAxyz/Recordings.json");
    assert_eq!(rig.post(&malformed, "").await, not_found(&malformed));
    let (status, _) = rig
        .send_as_other(
            axum::http::Method::POST,
            &recordings(call).replace(&account().to_string(), &other_account().to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (form, code) in [
        ("RecordingChannels=stereo", 20001),
        ("RecordingTrack=left", 20001),
        ("Trim=maybe", 20001),
        ("RecordingStatusCallbackEvent=paused", 20001),
        ("RecordingStatusCallback=ftp%3A%2F%2Fx", 21205),
        ("RecordingStatusCallbackMethod=PUT", 21209),
    ] {
        let (status, v) = rig.post(&recordings(call), form).await;
        assert_eq!(
            (status, v["code"].as_u64()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{form}: {v}"
        );
        assert_eq!(v["status"], 400, "{form}");
    }
    assert_eq!(
        rig.post(&recordings(call), "RecordingChannels=stereo")
            .await,
        bad_request(
            20001,
            "RecordingChannels is not valid: \"stereo\". Use mono or dual"
        )
    );
    // The engine refuses a call not in progress.
    refuse(
        &rig,
        21220,
        StatusCode::BAD_REQUEST,
        "Call is not in-progress",
    );
    assert_eq!(
        rig.post(&recordings(call), "").await,
        bad_request(21220, "Call is not in-progress")
    );
    assert!(
        rig.control
            .recorded
            .lock()
            .unwrap()
            .recording_starts
            .is_empty()
    );
}

#[tokio::test]
async fn update_pauses_resumes_and_stops_by_sid_or_current() {
    let (rig, call) = rig_with_call().await;
    rig.post(&recordings(call), "").await;
    let sid = re(0x200).to_string();
    assert_eq!(
        rig.post(
            &one(call, "Twilio.CURRENT"),
            "Status=paused&PauseBehavior=skip"
        )
        .await,
        (StatusCode::OK, body(call, 0x200, "paused", 1, "both"))
    );
    assert_eq!(
        rig.post(&one(call, &sid), "Status=in-progress").await,
        (StatusCode::OK, body(call, 0x200, "in-progress", 1, "both"))
    );
    assert_eq!(
        rig.post(&one(call, &sid), "Status=paused").await,
        (StatusCode::OK, body(call, 0x200, "paused", 1, "both"))
    );
    assert_eq!(
        rig.post(&one(call, &sid), "Status=stopped").await,
        (StatusCode::OK, body(call, 0x200, "stopped", 1, "both"))
    );
    let updates = rig
        .control
        .recorded
        .lock()
        .unwrap()
        .recording_updates
        .clone();
    assert_eq!(
        updates,
        [
            (
                call,
                RecordingRef::Current,
                RecordingUpdate::Pause(PauseBehavior::Skip)
            ),
            (call, RecordingRef::Sid(re(0x200)), RecordingUpdate::Resume),
            (
                call,
                RecordingRef::Sid(re(0x200)),
                RecordingUpdate::Pause(PauseBehavior::Silence)
            ),
            (call, RecordingRef::Sid(re(0x200)), RecordingUpdate::Stop),
        ]
    );
    // Not finished: DELETE is 20009, on both paths.
    let scoped = one(call, &sid);
    let message = "Cannot delete this resource before it is complete: the recording is stopped";
    assert_eq!(rig.delete(&scoped).await, bad_request(20009, message));
    let account_path = path(&format!("/Recordings/{sid}.json"));
    assert_eq!(rig.delete(&account_path).await, bad_request(20009, message));
    rig.store
        .finish_recording(
            account(),
            re(0x200),
            &RecordingFinish {
                status: RecordingStatus::Completed,
                duration: Some(3),
                error_code: None,
                media: None,
            },
            common::NOW,
        )
        .await
        .unwrap();
    assert_eq!(
        rig.delete(&scoped).await,
        (StatusCode::NO_CONTENT, Value::Null)
    );
}

#[tokio::test]
async fn update_errors() {
    let (rig, call) = rig_with_call().await;
    rig.post(&recordings(call), "").await;
    let sid = re(0x200).to_string();
    for (form, message) in [
        (
            "",
            "Missing required parameter Status: use paused, in-progress or stopped",
        ),
        (
            "Status=completed",
            "Status is not valid: \"completed\". Use paused, in-progress or stopped",
        ),
        (
            "Status=absent",
            "Status is not valid: \"absent\". Use paused, in-progress or stopped",
        ),
        (
            "Status=paused&PauseBehavior=mute",
            "PauseBehavior is not valid: \"mute\". Use skip or silence",
        ),
    ] {
        assert_eq!(
            rig.post(&one(call, &sid), form).await,
            bad_request(20001, message),
            "{form}"
        );
    }
    // Segments that name no recording: 20404 with the path.
    for name in [
        "REnope",
        "Twilio.current",
        "CA0123456789abcdef0123456789abcdef",
    ] {
        let p = one(call, name);
        assert_eq!(
            rig.post(&p, "Status=stopped").await,
            not_found(&p),
            "{name}"
        );
    }
    let no_json = path(&format!("/Calls/{call}/Recordings/{sid}"));
    assert_eq!(
        rig.post(&no_json, "Status=stopped").await,
        not_found(&no_json)
    );
    // Unknown call.
    let p = one(Sid::new(SidKind::Call, 0xdead), &sid);
    assert_eq!(rig.post(&p, "Status=stopped").await, not_found(&p));
    // The engine knows no such recording on this call: 20404 for this path.
    let p = one(call, &re(0x999).to_string());
    assert_eq!(rig.post(&p, "Status=stopped").await, not_found(&p));
    refuse(&rig, 20404, StatusCode::NOT_FOUND, "no recording");
    let p = one(call, "Twilio.CURRENT");
    assert_eq!(rig.post(&p, "Status=paused").await, not_found(&p));
    // Already finished, or the call not in progress: 21220.
    refuse(
        &rig,
        21220,
        StatusCode::BAD_REQUEST,
        "Recording is completed: it can no longer be changed",
    );
    assert_eq!(
        rig.post(&one(call, &sid), "Status=stopped").await,
        (
            StatusCode::BAD_REQUEST,
            error(
                21220,
                400,
                "Recording is completed: it can no longer be changed"
            )
        )
    );
}
