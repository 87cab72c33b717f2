//! Calls: every field round-trips, updates and the terminal-status rule, Twilio's list
//! filters, paging, deletion, live calls, account scoping.

use dialtone_store::{
    CallFilter, CallUpdate, DateOp, NewCallEvent, NewNotification, PageRequest, PageSize,
    PageStart, PageToken, StoreError, TimeRange,
};
use dialtone_types::{CallStatus, Direction, Level, Sid, SidKind, TwilioCode, UnixMillis};

use crate::common::{
    ACCOUNT, Harness, OTHER, at, backend_tests, call_sid, new_call, open_with_accounts,
};

async fn insert_and_fetch_every_field(h: &Harness) {
    let store = open_with_accounts(h).await;
    let mut call = new_call(1);
    call.parent_call_sid = Some(call_sid(7));
    "whatsapp:+15551112222".clone_into(&mut call.to);
    call.direction = Direction::OutboundDial;
    call.application_sid = Some(Sid::new(SidKind::Application, 3));
    call.url = None;
    call.twiml = Some("<Response><Say>hi</Say></Response>".to_owned());
    "GET".clone_into(&mut call.method);
    call.fallback_url = Some("http://app/fallback".to_owned());
    "GET".clone_into(&mut call.fallback_method);
    "GET".clone_into(&mut call.status_callback_method);
    call.status_callback_events = vec!["initiated".to_owned(), "completed".to_owned()];
    call.timeout = 30;
    call.time_limit = Some(14_400);
    call.caller_name = Some("Alice".to_owned());
    call.forwarded_from = Some("+15550000000".to_owned());

    let stored = store.insert_call(ACCOUNT, &call, at(10)).await.unwrap();
    assert_eq!(stored.sid, call_sid(1));
    assert_eq!(stored.account_sid, ACCOUNT);
    assert_eq!(stored.parent_call_sid, Some(call_sid(7)));
    assert_eq!(stored.to, "whatsapp:+15551112222");
    assert_eq!(stored.from, "+15551230000");
    assert_eq!(stored.status, CallStatus::Queued);
    assert_eq!(stored.direction, Direction::OutboundDial);
    assert_eq!(stored.start_time, None);
    assert_eq!(stored.end_time, None);
    assert_eq!(stored.duration, None);
    assert_eq!(stored.answered_by, None);
    assert_eq!(stored.caller_name.as_deref(), Some("Alice"));
    assert_eq!(stored.forwarded_from.as_deref(), Some("+15550000000"));
    assert_eq!(stored.price, None);
    assert_eq!(stored.price_unit, "USD");
    assert_eq!(stored.api_version, "2010-04-01");
    assert_eq!(
        stored.application_sid,
        Some(Sid::new(SidKind::Application, 3))
    );
    assert_eq!(stored.url, None);
    assert_eq!(stored.method, "GET");
    assert_eq!(
        stored.twiml.as_deref(),
        Some("<Response><Say>hi</Say></Response>")
    );
    assert_eq!(stored.fallback_url.as_deref(), Some("http://app/fallback"));
    assert_eq!(stored.fallback_method, "GET");
    assert_eq!(stored.status_callback.as_deref(), Some("http://app/status"));
    assert_eq!(stored.status_callback_method, "GET");
    assert_eq!(stored.status_callback_events, ["initiated", "completed"]);
    assert_eq!(stored.timeout, 30);
    assert_eq!(stored.time_limit, Some(14_400));
    assert_eq!(stored.date_created, at(10));
    assert_eq!(stored.date_updated, at(10));
    // The runtime's stand-in for a row it cannot read back is exactly the stored row.
    assert_eq!(call.as_inserted(ACCOUNT, at(10)), stored);

    assert_eq!(
        store.fetch_call(ACCOUNT, call_sid(1)).await.unwrap(),
        stored
    );
    assert!(matches!(
        store.fetch_call(OTHER, call_sid(1)).await,
        Err(StoreError::NotFound("call"))
    ));
    assert!(matches!(
        store.insert_call(ACCOUNT, &call, at(11)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .insert_call(Sid::new(SidKind::Account, 0xdead), &new_call(2), at(11))
            .await,
        Err(StoreError::NotFound("account"))
    ));
}

async fn updates_progress_and_redirects(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();

    let ringing = store
        .update_call(
            ACCOUNT,
            call_sid(1),
            &CallUpdate {
                status: Some(CallStatus::Ringing),
                ..CallUpdate::default()
            },
            at(1),
        )
        .await
        .unwrap();
    assert_eq!(ringing.status, CallStatus::Ringing);
    assert_eq!(ringing.date_updated, at(1));
    assert_eq!(ringing.url.as_deref(), Some("http://app/voice"));

    // Redirect to inline TwiML: the URL goes.
    let inline = store
        .update_call(
            ACCOUNT,
            call_sid(1),
            &CallUpdate {
                status: Some(CallStatus::InProgress),
                start_time: Some(at(2)),
                twiml: Some("<Response/>".to_owned()),
                fallback_url: Some("http://app/fb".to_owned()),
                time_limit: Some(60),
                ..CallUpdate::default()
            },
            at(2),
        )
        .await
        .unwrap();
    assert_eq!(inline.status, CallStatus::InProgress);
    assert_eq!(inline.start_time, Some(at(2)));
    assert_eq!(inline.url, None);
    assert_eq!(inline.twiml.as_deref(), Some("<Response/>"));
    assert_eq!(inline.fallback_url.as_deref(), Some("http://app/fb"));
    assert_eq!(inline.time_limit, Some(60));

    // Redirect to a URL with both given: the URL wins and the TwiML goes.
    let redirected = store
        .update_call(
            ACCOUNT,
            call_sid(1),
            &CallUpdate {
                url: Some("http://app/next".to_owned()),
                method: Some("GET".to_owned()),
                twiml: Some("<Response><Hangup/></Response>".to_owned()),
                fallback_url: Some(String::new()),
                status_callback: Some(String::new()),
                ..CallUpdate::default()
            },
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(redirected.url.as_deref(), Some("http://app/next"));
    assert_eq!(redirected.method, "GET");
    assert_eq!(redirected.twiml, None);
    assert_eq!(redirected.fallback_url, None);
    assert_eq!(redirected.status_callback, None);
    assert_eq!(redirected.status, CallStatus::InProgress);

    let done = store
        .update_call(
            ACCOUNT,
            call_sid(1),
            &CallUpdate {
                status: Some(CallStatus::Completed),
                end_time: Some(at(65)),
                duration: Some(63),
                ..CallUpdate::default()
            },
            at(65),
        )
        .await
        .unwrap();
    assert_eq!(done.status, CallStatus::Completed);
    assert_eq!(done.end_time, Some(at(65)));
    assert_eq!(done.duration, Some(63));
    assert_eq!(done.start_time, Some(at(2)));

    // No status after a terminal one; repeating the same one is harmless.
    let late = CallUpdate {
        status: Some(CallStatus::Ringing),
        ..CallUpdate::default()
    };
    assert!(matches!(
        store.update_call(ACCOUNT, call_sid(1), &late, at(70)).await,
        Err(StoreError::Conflict(_))
    ));
    let other_terminal = CallUpdate {
        status: Some(CallStatus::Failed),
        ..CallUpdate::default()
    };
    assert!(matches!(
        store
            .update_call(ACCOUNT, call_sid(1), &other_terminal, at(70))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let same = CallUpdate {
        status: Some(CallStatus::Completed),
        ..CallUpdate::default()
    };
    assert_eq!(
        store
            .update_call(ACCOUNT, call_sid(1), &same, at(71))
            .await
            .unwrap()
            .date_updated,
        at(71)
    );
    assert_eq!(
        store.fetch_call(ACCOUNT, call_sid(1)).await.unwrap().status,
        CallStatus::Completed
    );
    // Unknown call, or another account's.
    assert!(matches!(
        store.update_call(ACCOUNT, call_sid(2), &late, at(70)).await,
        Err(StoreError::NotFound("call"))
    ));
    assert!(matches!(
        store.update_call(OTHER, call_sid(1), &same, at(70)).await,
        Err(StoreError::NotFound("call"))
    ));
}

/// Five calls: 1..=5 created a minute apart; 1-3 started and ended on 2024-06-01, 4 the next
/// day, 5 never started; 2 and 3 are children of 1; 3 goes to bob.
async fn seed_for_filters(store: &dialtone_store::Store) {
    for n in 1..=5u64 {
        let mut call = new_call(u128::from(n));
        if n == 2 || n == 3 {
            call.parent_call_sid = Some(call_sid(1));
            call.direction = Direction::OutboundDial;
        }
        if n == 3 {
            "client:bob".clone_into(&mut call.to);
        }
        store.insert_call(ACCOUNT, &call, at(n * 60)).await.unwrap();
        if n == 5 {
            continue;
        }
        let day = if n == 4 { 86_400 } else { 0 };
        store
            .update_call(
                ACCOUNT,
                call_sid(u128::from(n)),
                &CallUpdate {
                    status: Some(if n == 2 {
                        CallStatus::Busy
                    } else {
                        CallStatus::Completed
                    }),
                    start_time: Some(at(day + n * 60)),
                    end_time: Some(at(day + n * 60 + 30)),
                    ..CallUpdate::default()
                },
                at(day + n * 60 + 30),
            )
            .await
            .unwrap();
    }
    let mut foreign = new_call(99);
    "client:bob".clone_into(&mut foreign.to);
    store.insert_call(OTHER, &foreign, at(1)).await.unwrap();
}

async fn list_filters(h: &Harness) {
    let store = open_with_accounts(h).await;
    seed_for_filters(&store).await;
    let list = |filter: CallFilter| {
        let store = store.clone();
        async move {
            store
                .list_calls(ACCOUNT, &filter, &PageRequest::default())
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|c| c.sid)
                .collect::<Vec<_>>()
        }
    };
    let sids = |ns: &[u128]| ns.iter().copied().map(call_sid).collect::<Vec<_>>();

    // Newest first; the other account's call is not listed.
    assert_eq!(list(CallFilter::default()).await, sids(&[5, 4, 3, 2, 1]));
    assert_eq!(
        list(CallFilter {
            to: Some("client:bob".to_owned()),
            ..CallFilter::default()
        })
        .await,
        sids(&[3])
    );
    assert_eq!(
        list(CallFilter {
            from: Some("+15551230000".to_owned()),
            ..CallFilter::default()
        })
        .await,
        sids(&[5, 4, 3, 2, 1])
    );
    assert_eq!(
        list(CallFilter {
            parent_call_sid: Some(call_sid(1)),
            ..CallFilter::default()
        })
        .await,
        sids(&[3, 2])
    );
    assert_eq!(
        list(CallFilter {
            status: Some(CallStatus::Busy),
            ..CallFilter::default()
        })
        .await,
        sids(&[2])
    );
    assert_eq!(
        list(CallFilter {
            status: Some(CallStatus::Queued),
            ..CallFilter::default()
        })
        .await,
        sids(&[5])
    );
    // Direction (the console's filter): 2 and 3 were dialed, the rest created over REST.
    assert_eq!(
        list(CallFilter {
            direction: Some(Direction::OutboundDial),
            ..CallFilter::default()
        })
        .await,
        sids(&[3, 2])
    );
    assert_eq!(
        list(CallFilter {
            direction: Some(Direction::OutboundApi),
            status: Some(CallStatus::Completed),
            ..CallFilter::default()
        })
        .await,
        sids(&[4, 1])
    );
    assert_eq!(
        list(CallFilter {
            direction: Some(Direction::Inbound),
            ..CallFilter::default()
        })
        .await,
        sids(&[])
    );

    // at(0) is 2024-06-01T00:00:00Z.
    assert_eq!(at(0), UnixMillis(1_717_200_000_000));
    let mut on_day = TimeRange::default();
    on_day.constrain(DateOp::On, "2024-06-01").unwrap();
    assert_eq!(
        list(CallFilter {
            start_time: on_day,
            ..CallFilter::default()
        })
        .await,
        sids(&[3, 2, 1])
    );
    let mut after = TimeRange::default();
    after.constrain(DateOp::OnOrAfter, "2024-06-02").unwrap();
    assert_eq!(
        list(CallFilter {
            start_time: after,
            ..CallFilter::default()
        })
        .await,
        sids(&[4])
    );
    // Up to and including the second 2024-06-01T00:02:00Z: calls 1 and 2 started by then.
    let mut before = TimeRange::default();
    before
        .constrain(DateOp::OnOrBefore, "2024-06-01T00:02:00Z")
        .unwrap();
    assert_eq!(
        list(CallFilter {
            start_time: before,
            ..CallFilter::default()
        })
        .await,
        sids(&[2, 1])
    );
    // Exactly the second call 3 ended.
    let mut exact = TimeRange::default();
    exact.constrain(DateOp::On, "2024-06-01T00:03:30Z").unwrap();
    assert_eq!(
        list(CallFilter {
            end_time: exact,
            ..CallFilter::default()
        })
        .await,
        sids(&[3])
    );
    // Filters combine.
    assert_eq!(
        list(CallFilter {
            parent_call_sid: Some(call_sid(1)),
            status: Some(CallStatus::Completed),
            start_time: on_day,
            ..CallFilter::default()
        })
        .await,
        sids(&[3])
    );
}

async fn list_pages(h: &Harness) {
    let store = open_with_accounts(h).await;
    // Seven calls, two pairs sharing a creation time: the SID breaks ties.
    let times = [1, 2, 2, 3, 4, 4, 5];
    for (n, t) in times.iter().enumerate() {
        store
            .insert_call(ACCOUNT, &new_call(n as u128 + 1), at(*t))
            .await
            .unwrap();
    }
    let size = PageSize::new(3).unwrap();
    let mut request = PageRequest::first(size);
    let mut pages = Vec::new();
    loop {
        let page = store
            .list_calls(ACCOUNT, &CallFilter::default(), &request)
            .await
            .unwrap();
        pages.push(page.items.iter().map(|c| c.sid).collect::<Vec<_>>());
        match page.next {
            // The token survives printing and parsing, as it does in a next_page_uri.
            Some(token) => {
                let reparsed: PageToken = token.to_string().parse().unwrap();
                request = PageRequest::after(size, reparsed);
            }
            None => break,
        }
    }
    let sids = |ns: &[u128]| ns.iter().copied().map(call_sid).collect::<Vec<_>>();
    assert_eq!(pages, vec![sids(&[7, 6, 5]), sids(&[4, 3, 2]), sids(&[1])]);

    // A call created between pages does not shift the next page.
    let first = store
        .list_calls(ACCOUNT, &CallFilter::default(), &PageRequest::first(size))
        .await
        .unwrap();
    store
        .insert_call(ACCOUNT, &new_call(8), at(9))
        .await
        .unwrap();
    let second = store
        .list_calls(
            ACCOUNT,
            &CallFilter::default(),
            &PageRequest::after(size, first.next.unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(
        second.items.iter().map(|c| c.sid).collect::<Vec<_>>(),
        sids(&[4, 3, 2])
    );

    let offset = store
        .list_calls(
            ACCOUNT,
            &CallFilter::default(),
            &PageRequest {
                size,
                start: PageStart::Offset(6),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        offset.items.iter().map(|c| c.sid).collect::<Vec<_>>(),
        sids(&[2, 1])
    );
    assert_eq!(offset.next, None);
    let exact = store
        .list_calls(
            ACCOUNT,
            &CallFilter::default(),
            &PageRequest::first(PageSize::new(8).unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(exact.items.len(), 8);
    assert_eq!(exact.next, None);
}

async fn delete_cascades_and_scopes(h: &Harness) {
    let store = open_with_accounts(h).await;
    store
        .insert_call(ACCOUNT, &new_call(1), at(0))
        .await
        .unwrap();
    store
        .insert_call(ACCOUNT, &new_call(2), at(0))
        .await
        .unwrap();
    let event = NewCallEvent {
        request_method: "POST".to_owned(),
        request_url: "http://app/voice".to_owned(),
        request_parameters: vec![],
        response_status: Some(200),
        response_duration_ms: Some(5),
        response_content_type: Some("text/xml".to_owned()),
        response_body: Some("<Response/>".to_owned()),
        requested_at: at(1),
    };
    store
        .append_event(ACCOUNT, call_sid(1), &event)
        .await
        .unwrap();
    store
        .append_event(ACCOUNT, call_sid(2), &event)
        .await
        .unwrap();
    store
        .append_notification(
            ACCOUNT,
            call_sid(1),
            &NewNotification {
                sid: Sid::new(SidKind::Notification, 1),
                error_code: TwilioCode(11200),
                level: Level::Error,
                message_text: "x".to_owned(),
                request_url: None,
                request_method: None,
                response_body: None,
            },
            at(1),
        )
        .await
        .unwrap();

    assert!(matches!(
        store.delete_call(OTHER, call_sid(1)).await,
        Err(StoreError::NotFound("call"))
    ));
    store.delete_call(ACCOUNT, call_sid(1)).await.unwrap();
    assert!(matches!(
        store.fetch_call(ACCOUNT, call_sid(1)).await,
        Err(StoreError::NotFound("call"))
    ));
    assert!(matches!(
        store.delete_call(ACCOUNT, call_sid(1)).await,
        Err(StoreError::NotFound("call"))
    ));
    assert!(matches!(
        store
            .list_events(ACCOUNT, call_sid(1), &PageRequest::default())
            .await,
        Err(StoreError::NotFound("call"))
    ));
    // The same SID can be used again, and starts without the old call's records.
    store
        .insert_call(ACCOUNT, &new_call(1), at(5))
        .await
        .unwrap();
    assert!(
        store
            .list_events(ACCOUNT, call_sid(1), &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        store
            .list_notifications(ACCOUNT, call_sid(1), &PageRequest::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // The other call's events stay.
    assert_eq!(
        store
            .list_events(ACCOUNT, call_sid(2), &PageRequest::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

async fn live_calls_for_recovery(h: &Harness) {
    let store = open_with_accounts(h).await;
    let statuses = [
        CallStatus::Queued,
        CallStatus::Initiated,
        CallStatus::Ringing,
        CallStatus::InProgress,
        CallStatus::Completed,
        CallStatus::Busy,
        CallStatus::NoAnswer,
        CallStatus::Failed,
        CallStatus::Canceled,
    ];
    for (n, status) in statuses.into_iter().enumerate() {
        let mut call = new_call(n as u128 + 1);
        call.status = status;
        let account = if n == 1 { OTHER } else { ACCOUNT };
        store
            .insert_call(account, &call, at(10 - n as u64))
            .await
            .unwrap();
    }
    let live = store.list_live_calls().await.unwrap();
    // Every account, oldest first.
    assert_eq!(
        live.iter().map(|c| (c.sid, c.status)).collect::<Vec<_>>(),
        vec![
            (call_sid(4), CallStatus::InProgress),
            (call_sid(3), CallStatus::Ringing),
            (call_sid(2), CallStatus::Initiated),
            (call_sid(1), CallStatus::Queued),
        ]
    );
    assert_eq!(live[2].account_sid, OTHER);
}

backend_tests!(
    insert_and_fetch_every_field,
    updates_progress_and_redirects,
    list_filters,
    list_pages,
    delete_cascades_and_scopes,
    live_calls_for_recovery,
);
