//! NUL characters: PostgreSQL cannot store them, so both backends behave alike — user input
//! containing one is refused by field name, evidence (events, notifications) keeps U+FFFD in
//! its place, and filters containing one match nothing.

use dialtone_store::{
    ApplicationUpdate, CallFilter, CallUpdate, NewApplication, NewCallEvent, NewNotification,
    NewOutboxItem, PageRequest, StoreError,
};
use dialtone_types::{Level, Sid, SidKind, TwilioCode};

use crate::common::{ACCOUNT, Harness, at, backend_tests, call_sid, new_call, open_with_accounts};

async fn user_input_is_refused_by_field(h: &Harness) {
    let store = open_with_accounts(h).await;
    let mut call = new_call(1);
    "client:a\0b".clone_into(&mut call.to);
    assert!(matches!(
        store.insert_call(ACCOUNT, &call, at(0)).await,
        Err(StoreError::InvalidText("To"))
    ));
    let mut call = new_call(1);
    call.status_callback_events = vec!["completed".to_owned(), "x\0".to_owned()];
    assert!(matches!(
        store.insert_call(ACCOUNT, &call, at(0)).await,
        Err(StoreError::InvalidText("StatusCallbackEvent"))
    ));
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    let update = CallUpdate {
        twiml: Some("<Response>\0</Response>".to_owned()),
        ..CallUpdate::default()
    };
    assert!(matches!(
        store
            .update_call(ACCOUNT, call_sid(1), &update, at(1))
            .await,
        Err(StoreError::InvalidText("Twiml"))
    ));
    let callback = NewOutboxItem {
        call_sid: call_sid(1),
        url: "http://app/\0".to_owned(),
        method: "POST".to_owned(),
        params: vec![],
        idempotency_token: "t".to_owned(),
    };
    assert!(matches!(
        store.outbox_enqueue(ACCOUNT, &callback, at(1)).await,
        Err(StoreError::InvalidText("StatusCallback"))
    ));
    assert!(matches!(
        store
            .update_call_and_enqueue(
                ACCOUNT,
                call_sid(1),
                &CallUpdate::default(),
                &[callback],
                at(1)
            )
            .await,
        Err(StoreError::InvalidText("StatusCallback"))
    ));
    // Parameters are stored as JSON, which escapes the NUL: they round-trip exactly.
    let params = vec![("Digits".to_owned(), "1\u{0}2".to_owned())];
    let item = store
        .outbox_enqueue(
            ACCOUNT,
            &NewOutboxItem {
                call_sid: call_sid(1),
                url: "http://app/status".to_owned(),
                method: "POST".to_owned(),
                params: params.clone(),
                idempotency_token: "t".to_owned(),
            },
            at(1),
        )
        .await
        .unwrap();
    assert_eq!(item.params, params);

    let app = NewApplication {
        sid: Sid::new(SidKind::Application, 1),
        friendly_name: "a\0".to_owned(),
        voice_url: None,
        voice_method: "POST".to_owned(),
        voice_fallback_url: None,
        voice_fallback_method: "POST".to_owned(),
        status_callback: None,
        status_callback_method: "POST".to_owned(),
    };
    assert!(matches!(
        store.create_application(ACCOUNT, &app, at(0)).await,
        Err(StoreError::InvalidText("FriendlyName"))
    ));
    let app = NewApplication {
        friendly_name: "fine".to_owned(),
        ..app
    };
    store
        .create_application(ACCOUNT, &app, at(0))
        .await
        .unwrap();
    let update = ApplicationUpdate {
        voice_url: Some("http://x/\0".to_owned()),
        ..ApplicationUpdate::default()
    };
    assert!(matches!(
        store
            .update_application(ACCOUNT, app.sid, &update, at(1))
            .await,
        Err(StoreError::InvalidText("VoiceUrl"))
    ));
    assert!(matches!(
        store
            .create_key(
                ACCOUNT,
                Sid::new(SidKind::ApiKey, 1),
                "k\0",
                "secret",
                at(0)
            )
            .await,
        Err(StoreError::InvalidText("FriendlyName"))
    ));
}

async fn filters_with_nul_match_nothing(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    let page = store
        .list_calls(
            ACCOUNT,
            &CallFilter {
                to: Some("client:alice\0".to_owned()),
                ..CallFilter::default()
            },
            &PageRequest::default(),
        )
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert_eq!(page.next, None);
    let apps = store
        .list_applications(ACCOUNT, Some("\0"), &PageRequest::default())
        .await
        .unwrap();
    assert!(apps.items.is_empty());
}

async fn evidence_keeps_a_replacement(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    let event = store
        .append_event(
            ACCOUNT,
            call_sid(1),
            &NewCallEvent {
                request_method: "POST".to_owned(),
                request_url: "http://app/voice".to_owned(),
                request_parameters: vec![("Body".to_owned(), "\0".to_owned())],
                response_status: Some(200),
                response_duration_ms: Some(1),
                response_content_type: Some("application/octet-stream".to_owned()),
                response_body: Some("\0\u{1}binary\0".to_owned()),
                requested_at: at(1),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        event.response_body.as_deref(),
        Some("\u{fffd}\u{1}binary\u{fffd}")
    );
    assert_eq!(
        event.request_parameters,
        [("Body".to_owned(), "\0".to_owned())]
    );
    let notification = store
        .append_notification(
            ACCOUNT,
            call_sid(1),
            &NewNotification {
                sid: Sid::new(SidKind::Notification, 1),
                error_code: TwilioCode(12100),
                level: Level::Error,
                message_text: "bad\0xml".to_owned(),
                request_url: None,
                request_method: None,
                response_body: Some("<\0>".to_owned()),
            },
            at(2),
        )
        .await
        .unwrap();
    assert_eq!(notification.message_text, "bad\u{fffd}xml");
    assert_eq!(notification.response_body.as_deref(), Some("<\u{fffd}>"));
}

backend_tests!(
    user_input_is_refused_by_field,
    filters_with_nul_match_nothing,
    evidence_keeps_a_replacement,
);
