//! Recordings REST: the account-level and call-scoped representations field by field, lists
//! with `CallSid`/`DateCreated` filters and paging, `DELETE` (204, media removed), account
//! scoping (20404), and the media: WAV (no extension or `.wav`), MP3, byte ranges (206, 416),
//! `RequestedChannels`, authentication.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine as _;
use common::{NOW, NOW_TEXT, OTHER_TOKEN, Rig, TOKEN, account, not_found, other_account, path};
use dialtone_store::{
    FsRecordingStore, NewRecording, RecordingFinish, RecordingStatus, RecordingStore,
};
use dialtone_types::{Sid, SidKind, UnixMillis};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn re(n: u128) -> Sid {
    Sid::new(SidKind::Recording, n)
}

struct Setup {
    rig: Rig,
    call: Sid,
    files: Arc<FsRecordingStore>,
    dir: std::path::PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A 16-bit PCM WAV, 8 kHz, `channels`, `samples` frames of a square wave.
fn wav(channels: u16, samples: usize) -> Vec<u8> {
    let mut data = Vec::new();
    for i in 0..samples {
        for _ in 0..channels {
            let v: i16 = if (i / 10) % 2 == 0 { 8000 } else { -8000 };
            data.extend_from_slice(&v.to_le_bytes());
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + u32::try_from(data.len()).unwrap()).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&(16000 * u32::from(channels)).to_le_bytes());
    out.extend_from_slice(&(2 * channels).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out.extend_from_slice(&data);
    out
}

async fn setup(name: &str) -> Setup {
    let dir = std::env::temp_dir().join(format!("dialtone-api-rec-{name}-{}", std::process::id()));
    let files = Arc::new(FsRecordingStore::new(&dir));
    let f2: Arc<dyn RecordingStore> = files.clone();
    let rig = Rig::new().await.with_state(|s| {
        s.with_recordings(f2)
            .with_public_url("https://dialtone.test/")
    });
    let (status, call) = rig
        .post(
            &path("/Calls.json"),
            "To=client%3Abob&From=client%3Aalice&Url=https%3A%2F%2Fapp.test%2Fvoice",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    let call = Sid::parse_kind(call["sid"].as_str().unwrap(), SidKind::Call).unwrap();
    Setup {
        rig,
        call,
        files,
        dir,
    }
}

impl Setup {
    /// Recording `n` of the call, created at NOW + `secs`, finished with `channels` of media
    /// when `finished`.
    async fn recording(&self, n: u128, secs: u64, channels: u8, finished: bool) {
        let at = UnixMillis(NOW.0 + secs * 1000);
        self.rig
            .store
            .insert_recording(
                account(),
                &NewRecording {
                    sid: re(n),
                    call_sid: self.call,
                    source: "RecordVerb".to_owned(),
                    channels,
                    track: "inbound".to_owned(),
                    start_time: NOW,
                    callback: None,
                },
                at,
            )
            .await
            .unwrap();
        if finished {
            let name = self.files.name_for(account(), re(n));
            let file = self.files.local_path(&name).unwrap();
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, wav(u16::from(channels), 8000)).unwrap();
            self.rig
                .store
                .finish_recording(
                    account(),
                    re(n),
                    &RecordingFinish {
                        status: RecordingStatus::Completed,
                        duration: Some(1),
                        error_code: None,
                        media: Some(name),
                    },
                    at,
                )
                .await
                .unwrap();
        }
    }

    async fn raw(
        &self,
        uri: &str,
        range: Option<&str>,
        creds: Option<(&str, &str)>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let mut req = Request::builder().method(Method::GET).uri(uri);
        if let Some((u, p)) = creds {
            let e = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            req = req.header(header::AUTHORIZATION, format!("Basic {e}"));
        }
        if let Some(r) = range {
            req = req.header(header::RANGE, r);
        }
        let resp = self
            .rig
            .app
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        (
            parts.status,
            parts.headers,
            body.collect().await.unwrap().to_bytes().to_vec(),
        )
    }

    async fn media(
        &self,
        uri: &str,
        range: Option<&str>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let ac = account().to_string();
        self.raw(uri, range, Some((&ac, TOKEN))).await
    }
}

fn expected_json(call: Sid, n: u128) -> Value {
    let base = format!("/2010-04-01/Accounts/{}/Recordings/{}", account(), re(n));
    json!({
        "account_sid": account().to_string(),
        "api_version": "2010-04-01",
        "call_sid": call.to_string(),
        "conference_sid": null,
        "channels": 1,
        "date_created": NOW_TEXT,
        "date_updated": NOW_TEXT,
        "start_time": NOW_TEXT,
        "duration": "1",
        "encryption_details": null,
        "error_code": null,
        "price": null,
        "price_unit": "USD",
        "sid": re(n).to_string(),
        "source": "RecordVerb",
        "status": "completed",
        "uri": format!("{base}.json"),
        "subresource_uris": {
            "add_on_results": format!("{base}/AddOnResults.json"),
            "transcriptions": format!("{base}/Transcriptions.json"),
        },
        "media_url": format!("https://dialtone.test{base}"),
    })
}

#[tokio::test]
async fn fetch_and_list_recordings() {
    let s = setup("list").await;
    s.recording(1, 0, 1, true).await;
    s.recording(2, 86_400, 2, false).await;
    let one = path(&format!("/Recordings/{}.json", re(1)));
    assert_eq!(
        s.rig.get(&one).await,
        (StatusCode::OK, expected_json(s.call, 1))
    );

    let (status, list) = s.rig.get(&path("/Recordings.json?PageSize=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["recordings"].as_array().unwrap().len(), 1);
    assert_eq!(list["recordings"][0]["sid"], re(2).to_string());
    assert_eq!(list["recordings"][0]["duration"], Value::Null);
    assert_eq!(list["recordings"][0]["status"], "in-progress");
    assert_eq!(list["recordings"][0]["channels"], 2);
    assert_eq!(list["page_size"], 1);
    let next = list["next_page_uri"].as_str().unwrap().to_owned();
    let (_, second) = s.rig.get(&next).await;
    assert_eq!(second["recordings"][0], expected_json(s.call, 1));
    assert_eq!(second["next_page_uri"], Value::Null);

    let (_, dated) = s
        .rig
        .get(&path("/Recordings.json?DateCreated=2010-08-31"))
        .await;
    assert_eq!(dated["recordings"].as_array().unwrap().len(), 1);
    assert_eq!(dated["recordings"][0]["sid"], re(1).to_string());
    let (_, after) = s
        .rig
        .get(&path("/Recordings.json?DateCreated%3E=2010-09-01"))
        .await;
    assert_eq!(after["recordings"][0]["sid"], re(2).to_string());
    let (_, by_call) = s
        .rig
        .get(&path(&format!("/Recordings.json?CallSid={}", s.call)))
        .await;
    assert_eq!(by_call["recordings"].as_array().unwrap().len(), 2);
    let (_, none) = s
        .rig
        .get(&path(
            "/Recordings.json?CallSid=CA0000000000000000000000000000ffff",
        ))
        .await;
    assert_eq!(none["recordings"], json!([]));
    let (status, _) = s
        .rig
        .get(&path("/Recordings.json?DateCreated=someday"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Call-scoped: `track`, no media_url/subresource_uris, `uri` under the call.
    let (status, call_list) = s
        .rig
        .get(&path(&format!("/Calls/{}/Recordings.json", s.call)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut scoped = expected_json(s.call, 1);
    let obj = scoped.as_object_mut().unwrap();
    obj.remove("subresource_uris");
    obj.remove("media_url");
    obj.insert("track".into(), json!("inbound"));
    obj.insert(
        "uri".into(),
        json!(format!(
            "/2010-04-01/Accounts/{}/Calls/{}/Recordings/{}.json",
            account(),
            s.call,
            re(1)
        )),
    );
    assert_eq!(call_list["recordings"][1], scoped);
    let scoped_path = path(&format!("/Calls/{}/Recordings/{}.json", s.call, re(1)));
    assert_eq!(s.rig.get(&scoped_path).await, (StatusCode::OK, scoped));

    // Another account, another call, an unknown recording: 20404.
    assert_eq!(
        s.rig.send_as_other(Method::GET, &one).await.0,
        StatusCode::UNAUTHORIZED
    );
    let other = format!(
        "/2010-04-01/Accounts/{}/Recordings/{}.json",
        other_account(),
        re(1)
    );
    let ob = other_account().to_string();
    assert_eq!(
        s.rig
            .send_as(Method::GET, &other, "", Some((&ob, OTHER_TOKEN)))
            .await,
        not_found(&other)
    );
    let missing = path(&format!("/Recordings/{}.json", re(9)));
    assert_eq!(s.rig.get(&missing).await, not_found(&missing));
    let wrong_call = path(&format!(
        "/Calls/CA0000000000000000000000000000ffff/Recordings/{}.json",
        re(1)
    ));
    assert_eq!(s.rig.get(&wrong_call).await, not_found(&wrong_call));
    let no_call = path("/Calls/CA0000000000000000000000000000ffff/Recordings.json");
    assert_eq!(s.rig.get(&no_call).await, not_found(&no_call));
}

#[tokio::test]
async fn delete_removes_the_recording_and_its_media() {
    let s = setup("delete").await;
    s.recording(1, 0, 1, true).await;
    s.recording(2, 0, 1, true).await;
    let file = s
        .files
        .local_path(&s.files.name_for(account(), re(1)))
        .unwrap();
    assert!(file.exists());
    let one = path(&format!("/Recordings/{}.json", re(1)));
    let ob = other_account().to_string();
    let other = format!(
        "/2010-04-01/Accounts/{}/Recordings/{}.json",
        other_account(),
        re(1)
    );
    assert_eq!(
        s.rig
            .send_as(Method::DELETE, &other, "", Some((&ob, OTHER_TOKEN)))
            .await,
        not_found(&other)
    );
    assert_eq!(
        s.rig.delete(&one).await,
        (StatusCode::NO_CONTENT, Value::Null)
    );
    assert!(!file.exists());
    assert_eq!(s.rig.get(&one).await, not_found(&one));
    assert_eq!(s.rig.delete(&one).await, not_found(&one));
    let scoped = path(&format!("/Calls/{}/Recordings/{}.json", s.call, re(2)));
    assert_eq!(
        s.rig.delete(&scoped).await,
        (StatusCode::NO_CONTENT, Value::Null)
    );
    assert_eq!(s.rig.get(&scoped).await, not_found(&scoped));
}

#[tokio::test]
async fn media_as_wav_mp3_and_ranges() {
    let s = setup("media").await;
    s.recording(1, 0, 1, true).await;
    s.recording(2, 0, 2, true).await;
    s.recording(3, 0, 1, false).await;
    let stored = wav(1, 8000);
    let len = stored.len();
    for uri in [
        path(&format!("/Recordings/{}", re(1))),
        path(&format!("/Recordings/{}.wav", re(1))),
    ] {
        let (status, headers, body) = s.media(&uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(headers[header::CONTENT_TYPE], "audio/x-wav");
        assert_eq!(headers[header::ACCEPT_RANGES], "bytes");
        assert_eq!(headers[header::CONTENT_LENGTH], len.to_string().as_str());
        assert_eq!(body, stored);
    }
    let uri = path(&format!("/Recordings/{}.wav", re(1)));
    let (status, headers, body) = s.media(&uri, Some("bytes=0-43")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers[header::CONTENT_RANGE],
        format!("bytes 0-43/{len}").as_str()
    );
    assert_eq!(body, stored[..44]);
    let (status, headers, body) = s.media(&uri, Some("bytes=-10")).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        headers[header::CONTENT_RANGE],
        format!("bytes {}-{}/{len}", len - 10, len - 1).as_str()
    );
    assert_eq!(body, stored[len - 10..]);
    let (status, headers, _) = s.media(&uri, Some(&format!("bytes={len}-"))).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        headers[header::CONTENT_RANGE],
        format!("bytes */{len}").as_str()
    );

    let (status, headers, mp3) = s
        .media(&path(&format!("/Recordings/{}.mp3", re(1))), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "audio/mpeg");
    assert!(mp3.starts_with(b"ID3") || (mp3[0] == 0xFF && mp3[1] & 0xE0 == 0xE0));
    // 1 s at 32 kbps: a few kB, far below the WAV.
    assert!(mp3.len() < len / 2, "{}", mp3.len());
    let (status, headers, part) = s
        .media(
            &path(&format!("/Recordings/{}.mp3", re(1))),
            Some("bytes=0-9"),
        )
        .await;
    assert_eq!((status, part.len()), (StatusCode::PARTIAL_CONTENT, 10));
    assert_eq!(
        headers[header::CONTENT_RANGE],
        format!("bytes 0-9/{}", mp3.len()).as_str()
    );

    // RequestedChannels: dual of a mono recording is 400; mono of a dual one is a downmix.
    let (status, _, _) = s.media(&format!("{uri}?RequestedChannels=2"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let dual = path(&format!("/Recordings/{}.wav", re(2)));
    let (_, _, both) = s.media(&dual, None).await;
    assert_eq!(both.len(), wav(2, 8000).len());
    let (status, _, mono) = s.media(&format!("{dual}?RequestedChannels=1"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mono, stored);

    // Not finished: 404. Without credentials: 401. Another account's: 404.
    let unfinished = path(&format!("/Recordings/{}.wav", re(3)));
    assert_eq!(s.media(&unfinished, None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(s.raw(&uri, None, None).await.0, StatusCode::UNAUTHORIZED);
    let other = format!(
        "/2010-04-01/Accounts/{}/Recordings/{}.wav",
        other_account(),
        re(1)
    );
    let ob = other_account().to_string();
    assert_eq!(
        s.raw(&other, None, Some((&ob, OTHER_TOKEN))).await.0,
        StatusCode::NOT_FOUND
    );
    // The media file gone: 404.
    std::fs::remove_file(
        s.files
            .local_path(&s.files.name_for(account(), re(1)))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(s.media(&uri, None).await.0, StatusCode::NOT_FOUND);
}
