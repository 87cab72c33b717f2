//! Recordings on a broken disk: the file of one `<Record>` is `/dev/full` (every write fails
//! with ENOSPC, "No space left on device", from the real kernel), while another call records
//! at the same time into a real directory.
//!
//! Expected (docs/twilio-compat.md): a 12400 error notification on the broken call, its
//! recording `absent` with `ErrorCode=12400` (nothing reached the disk), no `action` (an
//! empty recording), the call goes on to the next verb; the other call's recording is
//! unaffected: `completed`, its `action` and `completed` callback, a valid WAV.

mod common;

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use common::{App, Reply, Seen, account, call_request, ended, eventually};
use dialtone_runtime::{RuntimeConfig, SoftphoneConfig};
use dialtone_store::{
    FsRecordingStore, MediaFuture, PageRequest, PageSize, Recording, RecordingFilter,
    RecordingStatus, RecordingStore, Store,
};
use dialtone_types::{Level, Sid, TwilioCode};

const FULL: &str = "/dev/full";

/// A recording store whose `nth` recording (0-based, in the order recordings start) is
/// written to `/dev/full`; the others go to a real directory.
#[derive(Debug)]
struct FullDisk {
    inner: FsRecordingStore,
    nth: usize,
    seen: Mutex<Vec<String>>,
}

impl FullDisk {
    fn is_full(&self, name: &str) -> bool {
        let seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get(self.nth).is_some_and(|n| n == name)
    }
}

impl RecordingStore for FullDisk {
    fn local_path(&self, name: &str) -> Option<PathBuf> {
        {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            if !seen.iter().any(|n| n == name) {
                seen.push(name.to_owned());
            }
        }
        if self.is_full(name) {
            Some(PathBuf::from(FULL))
        } else {
            self.inner.local_path(name)
        }
    }

    fn len<'a>(&'a self, name: &'a str) -> MediaFuture<'a, u64> {
        self.inner.len(name)
    }

    fn read_range<'a>(&'a self, name: &'a str, start: u64, len: u64) -> MediaFuture<'a, Vec<u8>> {
        self.inner.read_range(name, start, len)
    }

    fn delete<'a>(&'a self, name: &'a str) -> MediaFuture<'a, ()> {
        // Never /dev/full itself.
        if self.is_full(name) {
            return Box::pin(async { Ok(()) });
        }
        self.inner.delete(name)
    }
}

/// `/dev/full` must be there and refuse writes with ENOSPC, or the test proves nothing.
fn check_dev_full() {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(FULL)
        .unwrap_or_else(|e| {
            panic!("{FULL} cannot be opened for writing ({e}): this test needs it")
        });
    let err = f
        .write_all(&[0u8; 44])
        .expect_err("/dev/full accepted a write");
    assert_eq!(
        err.raw_os_error(),
        Some(28),
        "{FULL} refused the write with {err}, not ENOSPC"
    );
}

async fn recording_of(store: &Store, call: Sid) -> Option<Recording> {
    let filter = RecordingFilter {
        call_sid: Some(call),
        ..RecordingFilter::default()
    };
    let page = PageRequest::first(PageSize::new(10).unwrap());
    let list = store
        .list_recordings(account(), &filter, &page)
        .await
        .ok()?;
    list.items.into_iter().next()
}

/// Waits for at least `count` recording status callbacks about `call`, then a moment more
/// so that an unexpected extra one is seen too.
async fn callbacks_of(app: &App, call: Sid, count: usize) -> Vec<Seen> {
    let of_call = || {
        app.seen_at("/rsc")
            .into_iter()
            .filter(|s| s.param("CallSid") == Some(call.to_string().as_str()))
            .collect::<Vec<_>>()
    };
    eventually("the recording status callbacks", || async {
        (of_call().len() >= count).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    of_call()
}

#[tokio::test]
async fn a_full_disk_fails_one_recording_and_the_calls_go_on() {
    check_dev_full();
    let dir = tempfile::tempdir().unwrap();
    let app = App::start().await;
    app.route(
        "/voice",
        Reply::Twiml(
            r#"<Response><Record maxLength="3" trim="do-not-trim" action="/recorded" recordingStatusCallback="/rsc" recordingStatusCallbackEvent="in-progress completed absent"/><Redirect>/after</Redirect></Response>"#
                .to_owned(),
        ),
    );
    for path in ["/recorded", "/after"] {
        app.route(
            path,
            Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
        );
    }
    let files = Arc::new(FullDisk {
        inner: FsRecordingStore::new(dir.path()),
        nth: 1,
        seen: Mutex::new(Vec::new()),
    });
    let store = common::memory_store().await;
    let config = RuntimeConfig {
        recordings: Some(files.clone()),
        ..common::config()
    };
    let rt = dialtone_runtime::start(store.clone(), config)
        .await
        .unwrap();
    for who in ["bob", "alice"] {
        rt.softphones().register(
            account(),
            SoftphoneConfig {
                answer_after: Duration::from_millis(50),
                ..SoftphoneConfig::new(who)
            },
        );
    }
    // Bob's recording starts first (a real file); Alice's, the second, goes to /dev/full
    // while Bob's is still recording.
    let bob = rt
        .create_call(call_request("client:bob", app.url("/voice")))
        .await
        .unwrap()
        .sid;
    eventually("bob's recording", || recording_of(&store, bob)).await;
    let alice = rt
        .create_call(call_request("client:alice", app.url("/voice")))
        .await
        .unwrap()
        .sid;

    // Alice: the notification, `absent` with 12400, no action, the next verb.
    let after = eventually("alice's next verb", || async {
        app.seen_at("/after")
            .into_iter()
            .find(|s| s.param("CallSid") == Some(alice.to_string().as_str()))
    })
    .await;
    assert!(after.signature_ok());
    let failed = eventually("alice's recording to end", || async {
        recording_of(&store, alice)
            .await
            .filter(|r| r.status != RecordingStatus::InProgress)
    })
    .await;
    assert_eq!(
        (
            failed.status,
            failed.error_code,
            failed.media.as_deref(),
            failed.duration
        ),
        (RecordingStatus::Absent, Some(12400), None, Some(0)),
        "alice's recording"
    );
    let page = PageRequest::first(PageSize::new(10).unwrap());
    let notes = store
        .list_notifications(account(), alice, &page)
        .await
        .unwrap()
        .items;
    let note = notes
        .iter()
        .find(|n| n.error_code == TwilioCode(12400))
        .unwrap_or_else(|| panic!("no 12400 notification: {notes:?}"));
    assert_eq!(note.level, Level::Error);
    assert!(
        note.message_text.contains(&failed.sid.to_string())
            && note.message_text.contains("No space left on device")
            && note.message_text.contains("nothing was kept"),
        "message: {:?}",
        note.message_text
    );
    // Callbacks are delivered from the durable queue, after the resource changes.
    let rsc = callbacks_of(&app, alice, 2).await;
    let statuses: Vec<_> = rsc.iter().map(|s| s.param("RecordingStatus")).collect();
    assert_eq!(statuses, [Some("in-progress"), Some("absent")], "{rsc:?}");
    assert_eq!(rsc[1].param("ErrorCode"), Some("12400"));
    assert_eq!(ended(&store, alice).await.status.as_str(), "completed");

    // Bob: unaffected.
    let done = eventually("bob's action", || async {
        app.seen_at("/recorded")
            .into_iter()
            .find(|s| s.param("CallSid") == Some(bob.to_string().as_str()))
    })
    .await;
    assert!(done.signature_ok());
    let secs: u32 = done.param("RecordingDuration").unwrap().parse().unwrap();
    assert!((2..=4).contains(&secs), "bob's RecordingDuration {secs}");
    let rec = eventually("bob's recording to be completed", || async {
        recording_of(&store, bob)
            .await
            .filter(|r| r.status == RecordingStatus::Completed)
    })
    .await;
    assert_eq!((rec.duration, rec.error_code), (Some(secs), None));
    let media = rec.media.as_deref().expect("bob's media");
    let bytes = std::fs::read(files.local_path(media).unwrap()).unwrap();
    let wav = dialtone_media::audio::Wav::read(&bytes).expect("bob's WAV");
    assert_eq!((wav.channels, wav.sample_rate), (1, 8000));
    let length = wav.duration().as_secs_f64();
    assert!(
        (length - f64::from(secs)).abs() <= 0.6,
        "bob's file: {length:.2} s for {secs} s"
    );
    assert!(
        app.seen_at("/after")
            .iter()
            .all(|s| s.param("CallSid") != Some(bob.to_string().as_str())),
        "bob's recording was not empty: no next verb"
    );
    let bob_rsc: Vec<_> = callbacks_of(&app, bob, 2)
        .await
        .iter()
        .map(|s| s.param("RecordingStatus").map(str::to_owned))
        .collect();
    assert_eq!(
        bob_rsc,
        [Some("in-progress".to_owned()), Some("completed".to_owned())]
    );
    let bob_notes = store
        .list_notifications(account(), bob, &page)
        .await
        .unwrap()
        .items;
    assert!(bob_notes.is_empty(), "bob: {bob_notes:?}");
    assert_eq!(ended(&store, bob).await.status.as_str(), "completed");
    rt.shutdown().await;
}
