//! Recordings: insert in progress, finish, list newest first with `CallSid` and
//! `DateCreated` filters and paging, delete, and account scoping.

use dialtone_store::{
    DateOp, NewRecording, PageRequest, PageSize, RecordingCallbackTarget, RecordingFilter,
    RecordingFinish, RecordingStatus, StoreError, TimeRange,
};
use dialtone_types::{Sid, SidKind};

use crate::common::{
    ACCOUNT, Harness, OTHER, at, backend_tests, call_sid, new_call, open_with_accounts,
};

fn re(n: u128) -> Sid {
    Sid::new(SidKind::Recording, n)
}

fn new_recording(n: u128, call: u128) -> NewRecording {
    NewRecording {
        sid: re(n),
        call_sid: call_sid(call),
        source: "DialVerb".to_owned(),
        channels: 2,
        track: "both".to_owned(),
        start_time: at(1),
        // Odd recordings have a status callback, even ones none.
        callback: (n % 2 == 1).then(|| RecordingCallbackTarget {
            url: "https://app.test/rsc".to_owned(),
            method: "GET".to_owned(),
            events: "in-progress completed".to_owned(),
        }),
    }
}

async fn insert_finish_fetch(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    let r = store
        .insert_recording(ACCOUNT, &new_recording(1, 1), at(2))
        .await
        .unwrap();
    assert_eq!(
        (r.sid, r.account_sid, r.call_sid, r.status),
        (re(1), ACCOUNT, call_sid(1), RecordingStatus::InProgress)
    );
    assert_eq!(
        (r.source.as_str(), r.channels, r.track.as_str()),
        ("DialVerb", 2, "both")
    );
    assert_eq!(
        (
            r.duration,
            r.error_code,
            r.media.as_deref(),
            r.conference_sid
        ),
        (None, None, None, None)
    );
    assert_eq!(
        (r.start_time, r.date_created, r.date_updated),
        (at(1), at(2), at(2))
    );
    assert_eq!(r.callback, new_recording(1, 1).callback);
    let cb = r.callback.as_ref().expect("callback");
    assert!(cb.wants("completed") && !cb.wants("absent"));
    let done = store
        .finish_recording(
            ACCOUNT,
            re(1),
            &RecordingFinish {
                status: RecordingStatus::Completed,
                duration: Some(12),
                error_code: None,
                media: Some("AC/RE1.wav".to_owned()),
            },
            at(20),
        )
        .await
        .unwrap();
    assert_eq!(
        (done.status, done.duration, done.media.as_deref()),
        (RecordingStatus::Completed, Some(12), Some("AC/RE1.wav"))
    );
    assert_eq!((done.date_created, done.date_updated), (at(2), at(20)));
    assert_eq!(store.fetch_recording(ACCOUNT, re(1)).await.unwrap(), done);
    let paused = store
        .set_recording_status(ACCOUNT, re(1), RecordingStatus::Paused, at(21))
        .await
        .unwrap();
    assert_eq!(paused.status, RecordingStatus::Paused);
    assert_eq!(
        store.delete_recording(ACCOUNT, re(1)).await.unwrap().sid,
        re(1)
    );
    assert!(matches!(
        store.fetch_recording(ACCOUNT, re(1)).await,
        Err(StoreError::NotFound("recording"))
    ));
}

async fn list_filter_page(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    store
        .insert_call(ACCOUNT, &new_call(2), at(0))
        .await
        .unwrap();
    for (n, call, t) in [(1, 1, 10), (2, 2, 20), (3, 1, 30)] {
        store
            .insert_recording(ACCOUNT, &new_recording(n, call), at(t))
            .await
            .unwrap();
    }
    let all = store
        .list_recordings(
            ACCOUNT,
            &RecordingFilter::default(),
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        all.items.iter().map(|r| r.sid).collect::<Vec<_>>(),
        [re(3), re(2), re(1)]
    );
    let by_call = store
        .list_recordings(
            ACCOUNT,
            &RecordingFilter {
                call_sid: Some(call_sid(1)),
                ..RecordingFilter::default()
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        by_call.items.iter().map(|r| r.sid).collect::<Vec<_>>(),
        [re(3), re(1)]
    );
    let mut range = TimeRange::default();
    range
        .constrain(DateOp::OnOrAfter, "2024-06-01T00:00:15Z")
        .unwrap();
    range
        .constrain(DateOp::OnOrBefore, "2024-06-01T00:00:25Z")
        .unwrap();
    let dated = store
        .list_recordings(
            ACCOUNT,
            &RecordingFilter {
                call_sid: None,
                date_created: range,
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        dated.items.iter().map(|r| r.sid).collect::<Vec<_>>(),
        [re(2)]
    );
    let size = PageSize::new(2).unwrap();
    let first = store
        .list_recordings(
            ACCOUNT,
            &RecordingFilter::default(),
            &PageRequest::first(size),
        )
        .await
        .unwrap();
    assert_eq!(
        first.items.iter().map(|r| r.sid).collect::<Vec<_>>(),
        [re(3), re(2)]
    );
    let second = store
        .list_recordings(
            ACCOUNT,
            &RecordingFilter::default(),
            &PageRequest::after(size, first.next.unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(
        second.items.iter().map(|r| r.sid).collect::<Vec<_>>(),
        [re(1)]
    );
    assert_eq!(second.next, None);
}

async fn scoped_and_unique(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    store
        .insert_recording(ACCOUNT, &new_recording(1, 1), at(1))
        .await
        .unwrap();
    assert!(matches!(
        store
            .insert_recording(ACCOUNT, &new_recording(1, 1), at(1))
            .await,
        Err(StoreError::Conflict(_))
    ));
    // Another account's call, and an unknown call.
    assert!(matches!(
        store
            .insert_recording(OTHER, &new_recording(2, 1), at(1))
            .await,
        Err(StoreError::NotFound("call"))
    ));
    assert!(matches!(
        store.fetch_recording(OTHER, re(1)).await,
        Err(StoreError::NotFound("recording"))
    ));
    assert!(matches!(
        store.delete_recording(OTHER, re(1)).await,
        Err(StoreError::NotFound("recording"))
    ));
    assert!(
        store
            .list_recordings(OTHER, &RecordingFilter::default(), &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

backend_tests!(insert_finish_fetch, list_filter_page, scoped_and_unique);
