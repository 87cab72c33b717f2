//! Call events: every webhook request with its response, in order, scoped to the account.

use dialtone_store::{NewCallEvent, PageRequest, PageSize, RESPONSE_BODY_EXCERPT_MAX, StoreError};

use crate::common::{
    ACCOUNT, Harness, OTHER, at, backend_tests, call_sid, new_call, open_with_accounts,
};

fn event(n: u64) -> NewCallEvent {
    NewCallEvent {
        request_method: "POST".to_owned(),
        request_url: format!("http://app/step/{n}"),
        request_parameters: vec![
            ("CallSid".to_owned(), call_sid(1).to_string()),
            ("Digits".to_owned(), "1".to_owned()),
            ("Digits".to_owned(), "2 & \"3\" é".to_owned()),
        ],
        response_status: Some(200),
        response_duration_ms: Some(12 + n),
        response_content_type: Some("text/xml; charset=utf-8".to_owned()),
        response_body: Some("<Response/>".to_owned()),
        requested_at: at(n),
    }
}

async fn append_and_read_back(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    let stored = store
        .append_event(ACCOUNT, call_sid(1), &event(1))
        .await
        .unwrap();
    assert_eq!(stored.account_sid, ACCOUNT);
    assert_eq!(stored.call_sid, call_sid(1));
    assert_eq!(stored.request_method, "POST");
    assert_eq!(stored.request_url, "http://app/step/1");
    // Order and repeated names are kept.
    assert_eq!(stored.request_parameters, event(1).request_parameters);
    assert_eq!(stored.response_status, Some(200));
    assert_eq!(stored.response_duration_ms, Some(13));
    assert_eq!(
        stored.response_content_type.as_deref(),
        Some("text/xml; charset=utf-8")
    );
    assert_eq!(stored.response_body.as_deref(), Some("<Response/>"));
    assert_eq!(stored.requested_at, at(1));

    // A request that got no response at all.
    let timeout = NewCallEvent {
        response_status: None,
        response_duration_ms: None,
        response_content_type: None,
        response_body: None,
        ..event(2)
    };
    let stored = store
        .append_event(ACCOUNT, call_sid(1), &timeout)
        .await
        .unwrap();
    assert_eq!(stored.response_status, None);
    assert_eq!(stored.response_duration_ms, None);
    assert_eq!(stored.response_body, None);

    // Unknown call, other account's call: not found, nothing recorded.
    assert!(matches!(
        store.append_event(ACCOUNT, call_sid(2), &event(3)).await,
        Err(StoreError::NotFound("call"))
    ));
    assert!(matches!(
        store.append_event(OTHER, call_sid(1), &event(3)).await,
        Err(StoreError::NotFound("call"))
    ));
    assert!(matches!(
        store
            .list_events(OTHER, call_sid(1), &PageRequest::default())
            .await,
        Err(StoreError::NotFound("call"))
    ));
    let all = store
        .list_events(ACCOUNT, call_sid(1), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 2);
    assert_eq!(all.next, None);
}

async fn long_bodies_are_cut(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    // 'é' is two bytes and the limit is even: put one across the limit.
    let body = format!(
        "{}é{}",
        "a".repeat(RESPONSE_BODY_EXCERPT_MAX - 1),
        "b".repeat(100)
    );
    let stored = store
        .append_event(
            ACCOUNT,
            call_sid(1),
            &NewCallEvent {
                response_body: Some(body),
                ..event(1)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        stored.response_body,
        Some("a".repeat(RESPONSE_BODY_EXCERPT_MAX - 1))
    );
}

async fn paged_in_order(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    store
        .insert_call(ACCOUNT, &new_call(2), at(0))
        .await
        .unwrap();
    for n in 1..=5 {
        store
            .append_event(ACCOUNT, call_sid(1), &event(n))
            .await
            .unwrap();
        store
            .append_event(ACCOUNT, call_sid(2), &event(100 + n))
            .await
            .unwrap();
    }
    let size = PageSize::new(2).unwrap();
    let mut request = PageRequest::first(size);
    let mut urls = Vec::new();
    loop {
        let page = store
            .list_events(ACCOUNT, call_sid(1), &request)
            .await
            .unwrap();
        urls.push(
            page.items
                .iter()
                .map(|e| e.request_url.clone())
                .collect::<Vec<_>>(),
        );
        match page.next {
            Some(token) => request = PageRequest::after(size, token),
            None => break,
        }
    }
    assert_eq!(
        urls,
        vec![
            vec!["http://app/step/1", "http://app/step/2"],
            vec!["http://app/step/3", "http://app/step/4"],
            vec!["http://app/step/5"],
        ]
    );
}

backend_tests!(append_and_read_back, long_bodies_are_cut, paged_in_order);
