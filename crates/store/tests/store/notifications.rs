//! Notifications: errors and warnings per call, with their Twilio codes.

use dialtone_store::{NewNotification, PageRequest, PageSize, StoreError};
use dialtone_types::{Level, Sid, SidKind, TwilioCode};

use crate::common::{
    ACCOUNT, Harness, OTHER, at, backend_tests, call_sid, new_call, open_with_accounts,
};

fn no_sid(n: u128) -> Sid {
    Sid::new(SidKind::Notification, n)
}

fn notification(n: u128, code: u32, level: Level) -> NewNotification {
    NewNotification {
        sid: no_sid(n),
        error_code: TwilioCode(code),
        level,
        message_text: format!("Msg=problem+{n}"),
        request_url: Some("http://app/voice".to_owned()),
        request_method: Some("POST".to_owned()),
        response_body: Some("<Respons".to_owned()),
    }
}

async fn append_fetch_list(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    let stored = store
        .append_notification(
            ACCOUNT,
            call_sid(1),
            &notification(1, 12100, Level::Error),
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(stored.sid, no_sid(1));
    assert_eq!(stored.account_sid, ACCOUNT);
    assert_eq!(stored.call_sid, call_sid(1));
    assert_eq!(stored.error_code, TwilioCode(12100));
    assert_eq!(stored.level, Level::Error);
    assert_eq!(stored.message_text, "Msg=problem+1");
    assert_eq!(stored.request_url.as_deref(), Some("http://app/voice"));
    assert_eq!(stored.request_method.as_deref(), Some("POST"));
    assert_eq!(stored.response_body.as_deref(), Some("<Respons"));
    assert_eq!(stored.date_created, at(3));
    assert_eq!(
        store
            .fetch_notification(ACCOUNT, call_sid(1), no_sid(1))
            .await
            .unwrap(),
        stored
    );

    let warning = store
        .append_notification(
            ACCOUNT,
            call_sid(1),
            &notification(2, 13227, Level::Warning),
            at(4),
        )
        .await
        .unwrap();
    assert_eq!(warning.level, Level::Warning);
    store
        .append_notification(
            ACCOUNT,
            call_sid(1),
            &notification(3, 11200, Level::Error),
            at(5),
        )
        .await
        .unwrap();

    let size = PageSize::new(2).unwrap();
    let first = store
        .list_notifications(ACCOUNT, call_sid(1), &PageRequest::first(size))
        .await
        .unwrap();
    assert_eq!(
        first.items.iter().map(|n| n.sid).collect::<Vec<_>>(),
        [no_sid(1), no_sid(2)]
    );
    let second = store
        .list_notifications(
            ACCOUNT,
            call_sid(1),
            &PageRequest::after(size, first.next.unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(
        second
            .items
            .iter()
            .map(|n| (n.sid, n.error_code))
            .collect::<Vec<_>>(),
        [(no_sid(3), TwilioCode(11200))]
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
        .append_notification(
            ACCOUNT,
            call_sid(1),
            &notification(1, 12100, Level::Error),
            at(1),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .append_notification(
                ACCOUNT,
                call_sid(1),
                &notification(1, 12100, Level::Error),
                at(2)
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .append_notification(
                OTHER,
                call_sid(1),
                &notification(2, 12100, Level::Error),
                at(2)
            )
            .await,
        Err(StoreError::NotFound("call"))
    ));
    assert!(matches!(
        store
            .append_notification(
                ACCOUNT,
                call_sid(9),
                &notification(3, 12100, Level::Error),
                at(2)
            )
            .await,
        Err(StoreError::NotFound("call"))
    ));
    assert!(matches!(
        store
            .fetch_notification(OTHER, call_sid(1), no_sid(1))
            .await,
        Err(StoreError::NotFound("notification"))
    ));
    assert!(matches!(
        store
            .fetch_notification(ACCOUNT, call_sid(2), no_sid(1))
            .await,
        Err(StoreError::NotFound("notification"))
    ));
    assert!(matches!(
        store
            .list_notifications(OTHER, call_sid(1), &PageRequest::default())
            .await,
        Err(StoreError::NotFound("call"))
    ));
}

backend_tests!(append_fetch_list, scoped_and_unique);
