//! `POST Calls.json` with `Record=true` and the recording parameters (handed to the engine as
//! `NewCallRequest::record`), their validation codes, the call's `subresource_uris.recordings`
//! and `GET Calls/{CA}/Recordings.json` (that call's recordings only, paged like every list).

mod common;

use axum::http::StatusCode;
use common::{NOW, Rig, account, path};
use dialtone_store::NewRecording;
use dialtone_twiml::{Method, RecordingTrack, Trim};
use dialtone_types::{Sid, SidKind, UnixMillis};
use serde_json::Value;

const CREATE: &str = "To=client%3Aalice&From=%2B15553334444&Url=https%3A%2F%2Fapp.test%2Fvoice";

async fn create(rig: &Rig, extra: &str) -> (StatusCode, Value) {
    rig.post(&path("/Calls.json"), &format!("{CREATE}{extra}"))
        .await
}

#[tokio::test]
async fn record_true_hands_the_recording_options_to_the_engine() {
    let rig = Rig::new().await;
    let (status, body) = create(
        &rig,
        "&Record=true&RecordingChannels=dual&RecordingTrack=inbound&Trim=do-not-trim\
         &RecordingStatusCallback=https%3A%2F%2Fapp.test%2Frsc&RecordingStatusCallbackMethod=GET\
         &RecordingStatusCallbackEvent=in-progress&RecordingStatusCallbackEvent=completed+absent\
         &RecordingConfigurationId=JZ0123",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, plain) = create(&rig, "&Record=false&RecordingChannels=dual").await;
    let (_, default) = create(&rig, "&Record=TRUE").await;
    assert_eq!(plain["status"], "queued");
    assert_eq!(default["status"], "queued");

    let recorded = rig.control.recorded.lock().unwrap();
    let record = recorded.created[0].record.as_ref().expect("recorded");
    assert_eq!(
        (
            record.channels,
            record.track,
            record.trim,
            record.callback_method
        ),
        (2, RecordingTrack::Inbound, Trim::DoNotTrim, Method::Get)
    );
    assert_eq!(
        record.callback.as_ref().map(dialtone_types::WebUrl::as_str),
        Some("https://app.test/rsc")
    );
    assert_eq!(
        (
            record.events.in_progress,
            record.events.completed,
            record.events.absent
        ),
        (true, true, true)
    );
    assert_eq!(recorded.created[1].record, None, "Record=false");
    let record = recorded.created[2].record.as_ref().expect("Record=TRUE");
    assert_eq!(
        (
            record.channels,
            record.track,
            record.trim,
            record.callback_method,
            record.callback.is_none()
        ),
        (
            1,
            RecordingTrack::Both,
            Trim::TrimSilence,
            Method::Post,
            true
        )
    );
    assert_eq!(
        (
            record.events.in_progress,
            record.events.completed,
            record.events.absent
        ),
        (false, true, false)
    );
}

#[tokio::test]
async fn bad_recording_parameters_are_refused_with_twilio_codes() {
    let rig = Rig::new().await;
    let cases: &[(&str, u64, &str)] = &[
        (
            "&Record=yes",
            20001,
            "Record is not valid: \"yes\". Use true or false",
        ),
        (
            "&Record=true&RecordingChannels=stereo",
            20001,
            "RecordingChannels is not valid: \"stereo\". Use mono or dual",
        ),
        (
            "&Record=true&RecordingTrack=left",
            20001,
            "RecordingTrack is not valid: \"left\". Use inbound or outbound or both",
        ),
        (
            "&RecordingTrack=left",
            20001,
            "RecordingTrack is not valid: \"left\". Use inbound or outbound or both",
        ),
        (
            "&Record=true&Trim=yes",
            20001,
            "Trim is not valid: \"yes\". Use trim-silence or do-not-trim",
        ),
        (
            "&Record=true&RecordingStatusCallbackEvent=paused",
            20001,
            "RecordingStatusCallbackEvent is not valid: \"paused\". Use in-progress, completed or absent",
        ),
        ("&Record=true&RecordingStatusCallback=not-a-url", 21205, ""),
        ("&Record=true&RecordingStatusCallbackMethod=PUT", 21209, ""),
    ];
    for (form, code, message) in cases {
        let (status, body) = create(&rig, form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}: {body}");
        assert_eq!(body["code"].as_u64(), Some(*code), "{form}: {body}");
        if !message.is_empty() {
            assert_eq!(body["message"], *message, "{form}");
        }
    }
    assert!(
        rig.control.recorded.lock().unwrap().created.is_empty(),
        "nothing reached the engine"
    );
}

async fn recording(rig: &Rig, n: u128, call: Sid, secs: u64) -> Sid {
    let sid = Sid::new(SidKind::Recording, n);
    rig.store
        .insert_recording(
            account(),
            &NewRecording {
                sid,
                call_sid: call,
                source: "OutboundAPI".to_owned(),
                channels: 2,
                track: "both".to_owned(),
                start_time: NOW,
                callback: None,
            },
            UnixMillis(NOW.0 + secs * 1000),
        )
        .await
        .unwrap();
    sid
}

fn sids(page: &Value) -> Vec<String> {
    page["recordings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_calls_recordings_are_its_subresource_and_list_in_pages() {
    let rig = Rig::new().await;
    let (_, call) = create(&rig, "&Record=true").await;
    let (_, other) = create(&rig, "").await;
    let sid = |v: &Value| Sid::parse_kind(v["sid"].as_str().unwrap(), SidKind::Call).unwrap();
    let (call_sid, other_sid) = (sid(&call), sid(&other));
    let list_uri = format!(
        "/2010-04-01/Accounts/{}/Calls/{call_sid}/Recordings.json",
        account()
    );
    assert_eq!(call["subresource_uris"]["recordings"], list_uri.as_str());
    let r1 = recording(&rig, 1, call_sid, 1).await;
    let r2 = recording(&rig, 2, call_sid, 2).await;
    let r3 = recording(&rig, 3, call_sid, 3).await;
    recording(&rig, 4, other_sid, 4).await;

    let (status, first) = rig.get(&format!("{list_uri}?PageSize=2")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    // Newest first, this call's only.
    assert_eq!(sids(&first), [r3.to_string(), r2.to_string()]);
    assert_eq!(
        (first["page"].as_u64(), first["page_size"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(first["recordings"][0]["source"], "OutboundAPI");
    assert_eq!(first["recordings"][0]["call_sid"], call_sid.to_string());
    assert_eq!(first["recordings"][0]["track"], "both");
    assert_eq!(first["recordings"][0]["channels"], 2);
    assert!(
        first["uri"]
            .as_str()
            .unwrap()
            .starts_with(list_uri.as_str()),
        "{}",
        first["uri"]
    );
    let next = first["next_page_uri"].as_str().expect("a next page");
    assert!(next.starts_with(list_uri.as_str()), "{next}");
    let (status, second) = rig.get(next).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(sids(&second), [r1.to_string()]);
    assert_eq!(second["page"].as_u64(), Some(1));
    assert_eq!(second["next_page_uri"], Value::Null);
    assert!(second["previous_page_uri"].is_string());

    let (_, all) = rig.get(&list_uri).await;
    assert_eq!(sids(&all), [r3.to_string(), r2.to_string(), r1.to_string()]);
    let (status, bad) = rig.get(&format!("{list_uri}?PageSize=0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(bad["code"].as_u64(), Some(20007), "{bad}");
}
