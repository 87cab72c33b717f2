//! Webhook fixtures shaped like Meta's documented samples (field names exact, values made up).

use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::fixtures::{META_ANSWER, META_OFFER};
use crate::graph::{SdpType, Session};

fn envelope(field: &str, value: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": field, "value": value}]}]
    }))
    .expect("serializable")
}

fn metadata() -> serde_json::Value {
    json!({"display_phone_number": "15550783881", "phone_number_id": "106540352242922"})
}

fn only_event(body: &[u8]) -> WebhookEvent {
    let mut notification = parse_notification(body).expect("parsed");
    assert_eq!(notification.skipped, vec![]);
    assert_eq!(notification.events.len(), 1);
    notification.events.remove(0)
}

#[test]
fn business_initiated_connect_carries_the_answer() {
    let body = envelope(
        "calls",
        &json!({
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "contacts": [{"profile": {"name": "Ana"}, "wa_id": "5511987654321"}],
            "calls": [{
                "id": "wacid.HBgLMTU1NTA3ODM4ODEVAgARGCA",
                "to": "5511987654321", "from": "15550783881",
                "event": "connect", "timestamp": "1760682000",
                "direction": "BUSINESS_INITIATED",
                "session": {"sdp_type": "answer", "sdp": META_ANSWER},
                "biz_opaque_callback_data": "CA0123",
                "new_field": {"nested": true}
            }]
        }),
    );
    let event = only_event(&body);
    assert_eq!(event.waba_id, "102290129340398");
    assert_eq!(event.phone_number_id, "106540352242922");
    assert_eq!(event.display_phone_number.as_deref(), Some("15550783881"));
    assert_eq!(
        event.contact,
        Some(Contact {
            wa_id: "5511987654321".to_owned(),
            name: Some("Ana".to_owned())
        })
    );
    assert_eq!(
        event.kind,
        EventKind::Connect(ConnectEvent {
            call_id: "wacid.HBgLMTU1NTA3ODM4ODEVAgARGCA".to_owned(),
            from: Some("15550783881".to_owned()),
            to: Some("5511987654321".to_owned()),
            timestamp: Some(1_760_682_000),
            direction: CallDirection::BusinessInitiated,
            session: Some(Session {
                sdp_type: SdpType::Answer,
                sdp: META_ANSWER.to_owned()
            }),
            biz_opaque_callback_data: Some("CA0123".to_owned()),
            cta_payload: None,
            deeplink_payload: None,
        })
    );
}

#[test]
fn user_initiated_connect_carries_the_offer_and_payloads() {
    let body = envelope(
        "calls",
        &json!({
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "calls": [{
                "id": "wacid.UIC", "from": "5511987654321", "to": "15550783881",
                "event": "Connect", "timestamp": 1_760_681_506,
                "direction": "user_initiated",
                "session": {"sdp_type": "offer", "sdp": META_OFFER},
                "cta_payload": "order-77", "deeplink_payload": "promo"
            }]
        }),
    );
    let EventKind::Connect(connect) = only_event(&body).kind else {
        panic!("expected connect");
    };
    assert_eq!(connect.direction, CallDirection::UserInitiated);
    assert_eq!(connect.timestamp, Some(1_760_681_506));
    assert_eq!(connect.session.map(|s| s.sdp_type), Some(SdpType::Offer));
    assert_eq!(connect.cta_payload.as_deref(), Some("order-77"));
    assert_eq!(connect.deeplink_payload.as_deref(), Some("promo"));
}

#[test]
fn statuses_ringing_accepted_rejected() {
    let body = envelope(
        "calls",
        &json!({
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "statuses": [
                {"id": "wacid.A", "timestamp": "1760682001", "type": "call", "status": "RINGING",
                 "recipient_id": "5511987654321", "biz_opaque_callback_data": "CA0123"},
                {"id": "wacid.A", "timestamp": "1760682004", "type": "call", "status": "accepted",
                 "recipient_id": "5511987654321"},
                {"id": "wacid.B", "timestamp": "1760682009", "type": "call", "status": "REJECTED"},
                {"id": "wacid.C", "timestamp": "1760682009", "type": "call", "status": "DIALING"},
                {"id": "wamid.M", "timestamp": "1760682009", "type": "message", "status": "read"}
            ]
        }),
    );
    let notification = parse_notification(&body).expect("parsed");
    let statuses: Vec<(String, CallStatusKind, Option<u64>)> = notification
        .events
        .into_iter()
        .map(|event| match event.kind {
            EventKind::Status(s) => (s.call_id, s.status, s.timestamp),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (
                "wacid.A".to_owned(),
                CallStatusKind::Ringing,
                Some(1_760_682_001)
            ),
            (
                "wacid.A".to_owned(),
                CallStatusKind::Accepted,
                Some(1_760_682_004)
            ),
            (
                "wacid.B".to_owned(),
                CallStatusKind::Rejected,
                Some(1_760_682_009)
            ),
            (
                "wacid.C".to_owned(),
                CallStatusKind::Other("DIALING".to_owned()),
                Some(1_760_682_009)
            ),
        ]
    );
    assert_eq!(
        notification.skipped,
        vec![Skipped {
            field: "calls".to_owned(),
            reason: "status of a type other than call"
        }]
    );
}

#[test]
fn terminate_completed_and_failed_with_errors() {
    let body = envelope(
        "calls",
        &json!({
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "calls": [
                {"id": "wacid.A", "from": "15550783881", "to": "5511987654321",
                 "event": "terminate", "direction": "BUSINESS_INITIATED",
                 "timestamp": "1760682100", "status": "Completed",
                 "start_time": "1760682010", "end_time": "1760682100", "duration": 90,
                 "biz_opaque_callback_data": "CA0123"},
                {"id": "wacid.B", "event": "terminate", "direction": "BUSINESS_INITIATED",
                 "timestamp": "1760682200", "status": "FAILED",
                 "errors": [{"code": 138_021, "message": "Media receive timeout",
                             "href": "https://developers.facebook.com/", "error_data": {"details": "no RTP"}}]}
            ]
        }),
    );
    let notification = parse_notification(&body).expect("parsed");
    assert_eq!(notification.events.len(), 2);
    let EventKind::Terminate(completed) = &notification.events[0].kind else {
        panic!("expected terminate");
    };
    assert_eq!(completed.status, TerminateStatus::Completed);
    assert_eq!(
        (completed.start_time, completed.end_time, completed.duration),
        (Some(1_760_682_010), Some(1_760_682_100), Some(90))
    );
    assert!(completed.was_answered());
    assert_eq!(completed.errors, vec![]);
    let EventKind::Terminate(failed) = &notification.events[1].kind else {
        panic!("expected terminate");
    };
    assert_eq!(failed.status, TerminateStatus::Failed);
    assert!(!failed.was_answered());
    assert_eq!(failed.errors.len(), 1);
    assert_eq!(failed.errors[0].code, Some(138_021));
    assert_eq!(failed.errors[0].details(), Some("no RTP"));
}

#[test]
fn permission_reply_and_value_level_errors() {
    let reply = envelope(
        "messages",
        &json!({
            "messaging_product": "whatsapp",
            "metadata": metadata(),
            "messages": [
                {"from": "5511987654321", "id": "wamid.R", "timestamp": "1760690000",
                 "context": {"from": "15550783881", "id": "wamid.REQ"},
                 "type": "interactive",
                 "interactive": {"type": "call_permission_reply", "call_permission_reply": {
                     "response": "accept", "is_permanent": false,
                     "expiration_timestamp": "1761294800", "response_source": "user_action"}}},
                {"from": "5511987654321", "id": "wamid.T", "type": "text", "text": {"body": "hi"}}
            ]
        }),
    );
    let parsed = parse_notification(&reply).expect("parsed");
    assert_eq!(parsed.skipped, vec![]);
    let kinds: Vec<EventKind> = parsed.events.into_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::PermissionReply(PermissionReply {
                from: "5511987654321".to_owned(),
                message_id: Some("wamid.R".to_owned()),
                timestamp: Some(1_760_690_000),
                context_id: Some("wamid.REQ".to_owned()),
                accepted: true,
                is_permanent: false,
                expiration_timestamp: Some(1_761_294_800),
                response_source: Some("user_action".to_owned()),
            }),
            EventKind::Text(TextMessage {
                from: "5511987654321".to_owned(),
                message_id: "wamid.T".to_owned(),
                timestamp: None,
                body: "hi".to_owned(),
            }),
        ]
    );
    let errors = envelope(
        "calls",
        &json!({"metadata": metadata(),
                "errors": [{"code": 131_044, "title": "No valid payment method"}]}),
    );
    let EventKind::Errors(errors) = only_event(&errors).kind else {
        panic!("expected errors");
    };
    assert_eq!(errors[0].code, Some(131_044));
    assert_eq!(errors[0].message, "No valid payment method");
}

#[test]
fn refusals_and_skips() {
    assert!(matches!(
        parse_notification(b"{not json"),
        Err(WebhookParseError::Json(_))
    ));
    assert_eq!(
        parse_notification(b"[]"),
        Err(WebhookParseError::NotANotification)
    );
    assert_eq!(
        parse_notification(br#"{"object":"page","entry":[]}"#),
        Err(WebhookParseError::WrongObject("page".to_owned()))
    );
    let body = serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [
            {"field": "account_settings_update", "value": {"metadata": metadata()}},
            {"field": "calls", "value": {"calls": [{"id": "wacid.X", "event": "connect"}]}},
            {"field": "calls", "value": {"metadata": metadata(), "calls": [
                {"event": "connect"}, {"id": "wacid.Y"}, {"id": "wacid.Z", "event": "transfer"}]}},
            {"field": "calls"}
        ]}]
    }))
    .expect("serializable");
    let notification = parse_notification(&body).expect("parsed");
    assert_eq!(notification.events, vec![]);
    let reasons: Vec<&str> = notification.skipped.iter().map(|s| s.reason).collect();
    assert_eq!(
        reasons,
        vec![
            "field is neither calls nor messages",
            "no metadata.phone_number_id",
            "call event without id",
            "call event without event",
            "call event neither connect nor terminate",
            "change without a value object",
        ]
    );
}

#[test]
fn signed_fixture_round_trip() {
    let body = envelope("calls", &json!({"metadata": metadata(), "calls": []}));
    let header = signature_header(b"app-secret", &body);
    assert_eq!(
        verify_signature(b"app-secret", Some(&header), &body),
        Ok(())
    );
    let mut tampered = body.clone();
    tampered[10] ^= 1;
    assert_eq!(
        verify_signature(b"app-secret", Some(&header), &tampered),
        Err(SignatureError::Mismatch)
    );
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_notification(&bytes);
        let _ = verify_signature(b"k", std::str::from_utf8(&bytes).ok(), &bytes);
        let _ = crate::error::GraphError::parse(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = crate::sdp::check(&text, SdpType::Answer);
        let _ = crate::graph::decode_connect(200, &bytes);
    }

    #[test]
    fn arbitrary_json_shapes_never_panic(value in json_value()) {
        let body = serde_json::to_vec(&json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": value.clone(), "changes": [
                {"field": "calls", "value": {"metadata": {"phone_number_id": "1"},
                  "calls": [value.clone()], "statuses": [value.clone()], "errors": [value.clone()]}},
                {"field": "messages", "value": {"metadata": {"phone_number_id": "1"}, "messages": [value]}}
            ]}]
        })).expect("serializable");
        prop_assert!(parse_notification(&body).is_ok());
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z_]{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        let keys = prop_oneof![
            Just("id".to_owned()),
            Just("event".to_owned()),
            Just("status".to_owned()),
            Just("session".to_owned()),
            Just("timestamp".to_owned()),
            Just("type".to_owned()),
            Just("interactive".to_owned()),
            Just("errors".to_owned()),
            "[a-z]{1,4}"
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(keys, inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn context() -> NotificationContext {
    NotificationContext {
        waba_id: "102290129340398".to_owned(),
        phone_number_id: "106540352242922".to_owned(),
        display_phone_number: "15550783881".to_owned(),
        contact: Some(("5511987654321".to_owned(), Some("Ana".to_owned()))),
    }
}

#[test]
fn built_bodies_match_meta_field_names() {
    let body = notification_body(
        &context(),
        &[EventKind::Status(StatusEvent {
            call_id: "wacid.A".to_owned(),
            timestamp: Some(1_760_682_001),
            status: CallStatusKind::Ringing,
            recipient_id: Some("5511987654321".to_owned()),
            biz_opaque_callback_data: Some("CA01".to_owned()),
            errors: vec![],
        })],
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).expect("json"),
        json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
            "changes": [{"field": "calls", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                "contacts": [{"wa_id": "5511987654321", "profile": {"name": "Ana"}}],
                "statuses": [{"id": "wacid.A", "timestamp": "1760682001", "type": "call",
                    "status": "RINGING", "recipient_id": "5511987654321",
                    "biz_opaque_callback_data": "CA01"}]}}]}]})
    );
}

#[test]
fn built_bodies_parse_back_to_the_same_events() {
    let events = vec![
        EventKind::Connect(ConnectEvent {
            call_id: "wacid.A".to_owned(),
            from: Some("15550783881".to_owned()),
            to: Some("5511987654321".to_owned()),
            timestamp: Some(1_760_682_005),
            direction: CallDirection::BusinessInitiated,
            session: Some(Session {
                sdp_type: SdpType::Answer,
                sdp: META_ANSWER.to_owned(),
            }),
            biz_opaque_callback_data: Some("CA01".to_owned()),
            cta_payload: None,
            deeplink_payload: None,
        }),
        EventKind::Terminate(TerminateEvent {
            call_id: "wacid.A".to_owned(),
            from: None,
            to: None,
            timestamp: Some(1_760_682_100),
            direction: CallDirection::BusinessInitiated,
            status: TerminateStatus::Failed,
            start_time: None,
            end_time: Some(1_760_682_100),
            duration: None,
            biz_opaque_callback_data: None,
            errors: vec![crate::error::GraphError::new(
                138_021,
                "Media receive timeout",
                Some("no RTP"),
            )],
        }),
        EventKind::Errors(vec![crate::error::GraphError::new(
            131_044,
            "No valid payment method",
            None,
        )]),
        EventKind::PermissionReply(PermissionReply {
            from: "5511987654321".to_owned(),
            message_id: None,
            timestamp: Some(1_760_690_000),
            context_id: Some("wamid.REQ".to_owned()),
            accepted: false,
            is_permanent: false,
            expiration_timestamp: None,
            response_source: Some("user_action".to_owned()),
        }),
    ];
    let body = notification_body(&context(), &events);
    let notification = parse_notification(&body).expect("parsed");
    assert_eq!(notification.skipped, vec![]);
    let parsed: Vec<EventKind> = notification.events.iter().map(|e| e.kind.clone()).collect();
    assert_eq!(parsed, events);
    assert!(notification.events.iter().all(|e| {
        e.phone_number_id == "106540352242922"
            && e.waba_id == "102290129340398"
            && e.contact
                .as_ref()
                .is_some_and(|c| c.name.as_deref() == Some("Ana"))
    }));
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[ -~]{0,12}")
}

fn graph_errors() -> impl Strategy<Value = Vec<crate::error::GraphError>> {
    proptest::collection::vec(
        (
            any::<u32>(),
            "[ -~]{0,12}",
            proptest::option::of("[ -~]{0,12}"),
        )
            .prop_map(|(code, message, details)| {
                crate::error::GraphError::new(code, &message, details.as_deref())
            }),
        0..3,
    )
}

fn direction() -> impl Strategy<Value = CallDirection> {
    prop_oneof![
        Just(CallDirection::BusinessInitiated),
        Just(CallDirection::UserInitiated),
        Just(CallDirection::Unknown),
    ]
}

fn event() -> impl Strategy<Value = EventKind> {
    let id = "wacid\\.[A-Za-z0-9_=-]{1,10}";
    let ts = proptest::option::of(any::<u64>());
    let connect = (
        id,
        opt_text(),
        opt_text(),
        ts.clone(),
        direction(),
        proptest::option::of((any::<bool>(), "[ -~\r\n]{0,30}")),
        opt_text(),
        opt_text(),
        opt_text(),
    )
        .prop_map(
            |(call_id, from, to, timestamp, direction, session, opaque, cta, deeplink)| {
                EventKind::Connect(ConnectEvent {
                    call_id,
                    from,
                    to,
                    timestamp,
                    direction,
                    session: session.map(|(offer, sdp)| Session {
                        sdp_type: if offer {
                            SdpType::Offer
                        } else {
                            SdpType::Answer
                        },
                        sdp,
                    }),
                    biz_opaque_callback_data: opaque,
                    cta_payload: cta,
                    deeplink_payload: deeplink,
                })
            },
        );
    let terminate = (
        id,
        ts.clone(),
        direction(),
        any::<bool>(),
        proptest::array::uniform4(proptest::option::of(any::<u64>())),
        opt_text(),
        graph_errors(),
    )
        .prop_map(
            |(
                call_id,
                timestamp,
                direction,
                completed,
                [start, end, duration, _],
                opaque,
                errors,
            )| {
                EventKind::Terminate(TerminateEvent {
                    call_id,
                    from: None,
                    to: Some("15550783881".to_owned()),
                    timestamp,
                    direction,
                    status: if completed {
                        TerminateStatus::Completed
                    } else {
                        TerminateStatus::Failed
                    },
                    start_time: start,
                    end_time: end,
                    duration,
                    biz_opaque_callback_data: opaque,
                    errors,
                })
            },
        );
    let status = (
        id,
        ts.clone(),
        0..3u8,
        opt_text(),
        opt_text(),
        graph_errors(),
    )
        .prop_map(
            |(call_id, timestamp, which, recipient_id, opaque, errors)| {
                EventKind::Status(StatusEvent {
                    call_id,
                    timestamp,
                    status: match which {
                        0 => CallStatusKind::Ringing,
                        1 => CallStatusKind::Accepted,
                        _ => CallStatusKind::Rejected,
                    },
                    recipient_id,
                    biz_opaque_callback_data: opaque,
                    errors,
                })
            },
        );
    let reply = (
        "[0-9]{5,15}",
        ts.clone(),
        opt_text(),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(any::<u64>()),
        opt_text(),
    )
        .prop_map(
            |(
                from,
                timestamp,
                context_id,
                accepted,
                is_permanent,
                expiration_timestamp,
                response_source,
            )| {
                EventKind::PermissionReply(PermissionReply {
                    from,
                    message_id: context_id.clone().map(|id| format!("{id}.reply")),
                    timestamp,
                    context_id,
                    accepted,
                    is_permanent,
                    expiration_timestamp,
                    response_source,
                })
            },
        );
    let errors = graph_errors()
        .prop_filter("non-empty", |errors| !errors.is_empty())
        .prop_map(EventKind::Errors);
    let message_status = (
        "wamid\\.[A-Za-z0-9]{1,12}",
        prop_oneof![
            Just(MessageStatusKind::Sent),
            Just(MessageStatusKind::Delivered),
            Just(MessageStatusKind::Read),
            Just(MessageStatusKind::Failed),
            Just(MessageStatusKind::Other("played".to_owned())),
        ],
        ts,
        proptest::option::of("[0-9]{5,15}"),
        proptest::option::of(prop_oneof![
            Just("utility".to_owned()),
            Just("service".to_owned())
        ]),
    )
        .prop_map(|(message_id, status, timestamp, recipient_id, category)| {
            let failed = status == MessageStatusKind::Failed;
            EventKind::MessageStatus(MessageStatusEvent {
                message_id,
                status,
                timestamp,
                recipient_id,
                pricing_category: if failed { None } else { category },
                errors: if failed {
                    vec![crate::error::GraphError {
                        message: "Re-engagement message".to_owned(),
                        code: Some(131_047),
                        ..Default::default()
                    }]
                } else {
                    Vec::new()
                },
            })
        });
    prop_oneof![connect, terminate, status, reply, message_status, errors]
}

proptest! {
    /// Whatever the simulator writes, the receiver reads back unchanged (grouped as Meta
    /// groups them: calls, statuses, errors, then permission replies).
    #[test]
    fn built_notifications_round_trip(events in proptest::collection::vec(event(), 0..6)) {
        let body = notification_body(&context(), &events);
        let parsed = parse_notification(&body).expect("parsed");
        prop_assert_eq!(&parsed.skipped, &vec![]);
        let mut expected: Vec<EventKind> = events
            .iter()
            .filter(|e| matches!(e, EventKind::Connect(_) | EventKind::Terminate(_)))
            .cloned()
            .collect();
        expected.extend(events.iter().filter(|e| matches!(e, EventKind::Status(_))).cloned());
        let errors: Vec<_> = events
            .iter()
            .filter_map(|e| match e {
                EventKind::Errors(list) => Some(list.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        if !errors.is_empty() {
            expected.push(EventKind::Errors(errors));
        }
        expected.extend(events.iter().filter(|e| matches!(e, EventKind::PermissionReply(_))).cloned());
        expected.extend(events.iter().filter(|e| matches!(e, EventKind::MessageStatus(_))).cloned());
        let kinds: Vec<EventKind> = parsed.events.into_iter().map(|e| e.kind).collect();
        prop_assert_eq!(kinds, expected);
    }
}
