//! Business-initiated calls in virtual time: each user behaviour yields Meta's exact webhook
//! sequence, parsed back with `dialtone_whatsapp::webhook::parse_notification`.

mod network_common;

use std::time::Duration;

use dialtone_sim::network::{CallStatus, NewUser, Permission};
use dialtone_whatsapp::error::GraphError;
use dialtone_whatsapp::graph::{SdpType, Session};
use dialtone_whatsapp::webhook::{
    CallDirection, CallStatusKind, ConnectEvent, EventKind, StatusEvent, TerminateEvent,
    TerminateStatus,
};
use network_common::{ANSWER, Driver, Seen, account, at, number, ts};

const USER: &str = "+15550002222";
const USER_ID: &str = "15550002222";

fn status(id: &str, ms: u64, kind: CallStatusKind) -> Seen {
    Seen::Webhook(
        id.to_owned(),
        vec![EventKind::Status(StatusEvent {
            call_id: id.to_owned(),
            timestamp: ts(ms),
            status: kind,
            recipient_id: Some(USER_ID.to_owned()),
            biz_opaque_callback_data: Some("CA0001".to_owned()),
            errors: vec![],
        })],
    )
}

fn terminate(
    id: &str,
    ms: u64,
    status: TerminateStatus,
    answered_ms: Option<u64>,
    errors: Vec<GraphError>,
) -> Seen {
    Seen::Webhook(
        id.to_owned(),
        vec![EventKind::Terminate(TerminateEvent {
            call_id: id.to_owned(),
            from: Some("15550001111".to_owned()),
            to: Some(USER_ID.to_owned()),
            timestamp: ts(ms),
            direction: CallDirection::BusinessInitiated,
            status,
            start_time: answered_ms.and_then(ts),
            end_time: answered_ms.and(ts(ms)),
            duration: answered_ms.map(|a| (ms - a) / 1000),
            biz_opaque_callback_data: Some("CA0001".to_owned()),
            errors,
        })],
    )
}

fn connect_answer(id: &str, ms: u64) -> Seen {
    Seen::Webhook(
        id.to_owned(),
        vec![EventKind::Connect(ConnectEvent {
            call_id: id.to_owned(),
            from: Some("15550001111".to_owned()),
            to: Some(USER_ID.to_owned()),
            timestamp: ts(ms),
            direction: CallDirection::BusinessInitiated,
            session: Some(Session {
                sdp_type: SdpType::Answer,
                sdp: ANSWER.to_owned(),
            }),
            biz_opaque_callback_data: Some("CA0001".to_owned()),
            cta_payload: None,
            deeplink_payload: None,
        })],
    )
}

fn ended(id: &str) -> Seen {
    Seen::Ended(id.to_owned())
}

#[test]
fn call_ids_are_url_safe_wacids() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "answer");
    let id = d.connect(USER_ID).expect("placed");
    let rest = id.strip_prefix("wacid.").expect("wacid. prefix");
    assert_eq!(rest.len(), 24);
    assert!(
        rest.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(
        d.net.calls(account(), &number(USER))[0].status,
        CallStatus::Calling
    );
}

#[test]
fn answer_then_user_hangs_up_with_digits() {
    let mut d = Driver::new();
    let mut user = NewUser::new(number(USER));
    user.permission = Permission::Granted;
    user.answer_after = Duration::from_millis(1500);
    user.hangup_after = Some(Duration::from_secs(5));
    user.digits = Some("12#".to_owned());
    d.put(user);
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_secs(30));
    assert_eq!(
        d.take(),
        vec![
            (at(200), status(&id, 200, CallStatusKind::Ringing)),
            (at(1700), connect_answer(&id, 1700)),
            (at(1700), status(&id, 1700, CallStatusKind::Accepted)),
            (at(2700), Seen::Digits(id.clone(), "12#".to_owned())),
            (
                at(6700),
                terminate(&id, 6700, TerminateStatus::Completed, Some(1700), vec![])
            ),
            (at(6700), ended(&id)),
        ]
    );
    let call = &d.net.calls(account(), &number(USER))[0];
    assert_eq!(call.status, CallStatus::Completed);
    assert_eq!(call.from, "whatsapp:+15550001111");
    assert_eq!(call.to, "whatsapp:+15550002222");
    assert_eq!(call.answered_at, Some(at(1700)));
    assert_eq!(call.ended_at, Some(at(6700)));
    assert_eq!(call.duration_secs, Some(5));
    assert_eq!(d.net.active_calls(network_common::PNID), 0);
}

#[test]
fn busy_refuses_without_ringing() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "busy");
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_secs(10));
    assert_eq!(
        d.take(),
        vec![
            (at(200), status(&id, 200, CallStatusKind::Rejected)),
            (
                at(200),
                terminate(&id, 200, TerminateStatus::Completed, None, vec![])
            ),
            (at(200), ended(&id)),
        ]
    );
    assert_eq!(d.net.call(&id).map(|c| c.status), Some(CallStatus::Busy));
}

#[test]
fn reject_rings_then_declines() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "reject");
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_secs(10));
    assert_eq!(
        d.take(),
        vec![
            (at(200), status(&id, 200, CallStatusKind::Ringing)),
            (at(1200), status(&id, 1200, CallStatusKind::Rejected)),
            (
                at(1200),
                terminate(&id, 1200, TerminateStatus::Completed, None, vec![])
            ),
            (at(1200), ended(&id)),
        ]
    );
    assert_eq!(
        d.net.call(&id).map(|c| c.status),
        Some(CallStatus::Rejected)
    );
}

#[test]
fn no_answer_ends_after_the_ring_timeout() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "no-answer");
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_mins(2));
    assert_eq!(
        d.take(),
        vec![
            (at(200), status(&id, 200, CallStatusKind::Ringing)),
            (
                at(60_200),
                terminate(&id, 60_200, TerminateStatus::Completed, None, vec![])
            ),
            (at(60_200), ended(&id)),
        ]
    );
    assert_eq!(
        d.net.call(&id).map(|c| c.status),
        Some(CallStatus::NoAnswer)
    );
}

#[test]
fn answer_later_than_the_ring_timeout_is_no_answer() {
    let mut d = Driver::new();
    let mut user = NewUser::new(number(USER));
    user.permission = Permission::Granted;
    user.answer_after = Duration::from_secs(90);
    d.put(user);
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_mins(2));
    let seen = d.take();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[1],
        (
            at(60_200),
            terminate(&id, 60_200, TerminateStatus::Completed, None, vec![])
        )
    );
}

#[test]
fn unreachable_never_rings_and_fails_with_138001() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "unreachable");
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_secs(10));
    let error = GraphError::new(
        138_001,
        "(#138001) Receiver is uncallable",
        Some("The user's phone could not be reached"),
    );
    assert_eq!(
        d.take(),
        vec![
            (
                at(2000),
                terminate(&id, 2000, TerminateStatus::Failed, None, vec![error])
            ),
            (at(2000), ended(&id)),
        ]
    );
    assert_eq!(d.net.call(&id).map(|c| c.status), Some(CallStatus::Failed));
}

#[test]
fn business_terminate_ends_an_answered_call() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "answer");
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_millis(4200));
    d.take();
    let reply = d.action("terminate", &id);
    assert_eq!(reply.status, 200);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&reply.body).unwrap(),
        serde_json::json!({"messaging_product": "whatsapp", "success": true})
    );
    assert_eq!(
        d.take(),
        vec![
            (
                at(4200),
                terminate(&id, 4200, TerminateStatus::Completed, Some(1200), vec![])
            ),
            (at(4200), ended(&id)),
        ]
    );
    // A second terminate: the call already ended.
    let again = d.action("terminate", &id);
    assert_eq!(again.status, 400);
    assert_eq!(
        network_common::error_body(&again),
        serde_json::json!({"error": {"message": "(#100) Invalid parameter", "type": "OAuthException",
            "code": 100, "error_data": {"messaging_product": "whatsapp",
            "details": format!("The call has already ended: {id}")}}})
    );
}

#[test]
fn business_terminate_cancels_a_ringing_call() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "no-answer");
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_secs(3));
    d.take();
    assert_eq!(d.action("terminate", &id).status, 200);
    d.advance(Duration::from_mins(2));
    assert_eq!(
        d.take(),
        vec![
            (
                at(3000),
                terminate(&id, 3000, TerminateStatus::Completed, None, vec![])
            ),
            (at(3000), ended(&id)),
        ]
    );
    assert_eq!(
        d.net.call(&id).map(|c| c.status),
        Some(CallStatus::Canceled)
    );
}

#[test]
fn a_media_side_that_cannot_answer_fails_the_call() {
    let mut d = Driver::new();
    d.media_answer = Err("no UDP port".to_owned());
    d.user(USER, Permission::Granted, "answer");
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_secs(5));
    let error = GraphError::new(138_019, "(#138019) Call setup failed", Some("no UDP port"));
    assert_eq!(
        d.take(),
        vec![
            (at(200), status(&id, 200, CallStatusKind::Ringing)),
            (
                at(1200),
                terminate(&id, 1200, TerminateStatus::Failed, None, vec![error])
            ),
            (at(1200), ended(&id)),
        ]
    );
}

#[test]
fn ended_calls_are_forgotten_after_keep_ended() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "busy");
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_secs(599));
    assert!(d.net.call(&id).is_some());
    d.advance(Duration::from_secs(2));
    assert_eq!(d.net.call(&id), None);
    assert_eq!(d.net.poll_timeout(), None);
}
