//! User-initiated calls in virtual time: the `connect` webhook with the user's offer, then
//! `pre_accept`/`accept`, `reject` or `terminate` from the business, the accept window, and the
//! user hanging up.

mod network_common;

use std::time::Duration;

use dialtone_sim::network::{CallStatus, Direction, NewUser, Permission, SimError};
use dialtone_whatsapp::graph::{SdpType, Session};
use dialtone_whatsapp::webhook::{
    CallDirection, ConnectEvent, EventKind, TerminateEvent, TerminateStatus,
};
use network_common::{ANSWER, Driver, OFFER, Seen, account, at, error_body, number, sender, ts};
use serde_json::json;

const USER: &str = "+15550002222";
const USER_ID: &str = "15550002222";

/// The user's offer is Meta's ICE-lite offer; the test reuses the fixed offer text.
fn call(d: &mut Driver, hangup_after: Option<u64>, digits: Option<&str>) -> String {
    let mut user = NewUser::new(number(USER));
    user.permission = Permission::None;
    user.hangup_after = hangup_after.map(Duration::from_secs);
    user.digits = digits.map(str::to_owned);
    d.put(user);
    let call = d
        .net
        .call_business(d.now, account(), &number(USER), sender(), OFFER.to_owned())
        .expect("placed");
    d.drain();
    assert_eq!(call.direction, Direction::UserInitiated);
    assert_eq!(call.status, CallStatus::Ringing);
    assert_eq!(call.from, "whatsapp:+15550002222");
    assert_eq!(call.to, "whatsapp:+15550001111");
    let id = call.call_id;
    assert_eq!(
        d.take(),
        vec![(
            at(0),
            Seen::Webhook(
                id.clone(),
                vec![EventKind::Connect(ConnectEvent {
                    call_id: id.clone(),
                    from: Some(USER_ID.to_owned()),
                    to: Some("15550001111".to_owned()),
                    timestamp: ts(0),
                    direction: CallDirection::UserInitiated,
                    session: Some(Session {
                        sdp_type: SdpType::Offer,
                        sdp: OFFER.to_owned(),
                    }),
                    biz_opaque_callback_data: None,
                    cta_payload: None,
                    deeplink_payload: None,
                })]
            )
        )]
    );
    id
}

fn terminate(id: &str, ms: u64, answered_ms: Option<u64>) -> Seen {
    Seen::Webhook(
        id.to_owned(),
        vec![EventKind::Terminate(TerminateEvent {
            call_id: id.to_owned(),
            from: Some(USER_ID.to_owned()),
            to: Some("15550001111".to_owned()),
            timestamp: ts(ms),
            direction: CallDirection::UserInitiated,
            status: TerminateStatus::Completed,
            start_time: answered_ms.and_then(ts),
            end_time: answered_ms.and(ts(ms)),
            duration: answered_ms.map(|a| (ms - a) / 1000),
            biz_opaque_callback_data: None,
            errors: vec![],
        })],
    )
}

#[test]
fn pre_accept_accept_then_the_user_hangs_up() {
    let mut d = Driver::new();
    let id = call(&mut d, Some(4), Some("9"));
    d.advance(Duration::from_millis(500));
    let reply = d.answer_action("pre_accept", &id, ANSWER);
    assert_eq!(reply.status, 200);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&reply.body).unwrap(),
        json!({"messaging_product": "whatsapp", "success": true})
    );
    assert_eq!(
        d.net.call(&id).map(|c| c.status),
        Some(CallStatus::PreAccepted)
    );
    d.advance(Duration::from_millis(500));
    assert_eq!(d.answer_action("accept", &id, ANSWER).status, 200);
    assert_eq!(
        d.net.call(&id).map(|c| c.status),
        Some(CallStatus::InProgress)
    );
    d.advance(Duration::from_secs(10));
    assert_eq!(
        d.take(),
        vec![
            (at(500), Seen::ApplyAnswer(id.clone(), ANSWER.to_owned())),
            (at(2000), Seen::Digits(id.clone(), "9".to_owned())),
            (at(5000), terminate(&id, 5000, Some(1000))),
            (at(5000), Seen::Ended(id.clone())),
        ]
    );
    let view = d.net.call(&id).unwrap();
    assert_eq!(
        (view.status, view.duration_secs),
        (CallStatus::Completed, Some(4))
    );
}

#[test]
fn accept_without_pre_accept_applies_the_answer_once() {
    let mut d = Driver::new();
    let id = call(&mut d, None, None);
    assert_eq!(d.answer_action("accept", &id, ANSWER).status, 200);
    d.advance(Duration::from_secs(3));
    assert_eq!(d.action("terminate", &id).status, 200);
    assert_eq!(
        d.take(),
        vec![
            (at(0), Seen::ApplyAnswer(id.clone(), ANSWER.to_owned())),
            (at(3000), terminate(&id, 3000, Some(0))),
            (at(3000), Seen::Ended(id.clone())),
        ]
    );
}

#[test]
fn accept_must_repeat_the_pre_accept_sdp() {
    let mut d = Driver::new();
    let id = call(&mut d, None, None);
    assert_eq!(d.answer_action("pre_accept", &id, ANSWER).status, 200);
    let other = ANSWER.replace("answerufrag", "otherufrag");
    let reply = d.answer_action("accept", &id, &other);
    assert_eq!(reply.status, 400);
    assert_eq!(
        error_body(&reply)["error"]["error_data"]["details"],
        "the accept SDP must equal the pre_accept SDP"
    );
    assert_eq!(
        d.net.call(&id).map(|c| c.status),
        Some(CallStatus::PreAccepted)
    );
}

#[test]
fn reject_declines_the_call() {
    let mut d = Driver::new();
    let id = call(&mut d, None, None);
    d.advance(Duration::from_secs(2));
    assert_eq!(d.action("reject", &id).status, 200);
    assert_eq!(
        d.take(),
        vec![
            (at(2000), terminate(&id, 2000, None)),
            (at(2000), Seen::Ended(id.clone())),
        ]
    );
    assert_eq!(
        d.net.call(&id).map(|c| c.status),
        Some(CallStatus::Rejected)
    );
    // Rejected calls do not touch the business-initiated unanswered streak.
    assert_eq!(
        d.net
            .user(account(), &number(USER))
            .unwrap()
            .unanswered_in_a_row,
        0
    );
}

#[test]
fn reject_after_accept_is_refused() {
    let mut d = Driver::new();
    let id = call(&mut d, None, None);
    assert_eq!(d.answer_action("accept", &id, ANSWER).status, 200);
    let reply = d.action("reject", &id);
    assert_eq!(reply.status, 400);
    assert_eq!(
        error_body(&reply)["error"]["error_data"]["details"],
        "the call was already accepted; use terminate"
    );
}

#[test]
fn the_call_ends_unanswered_after_the_accept_window() {
    let mut d = Driver::new();
    let id = call(&mut d, None, None);
    d.advance(Duration::from_secs(30));
    assert_eq!(d.answer_action("pre_accept", &id, ANSWER).status, 200);
    d.advance(Duration::from_secs(40));
    assert_eq!(
        d.take(),
        vec![
            (at(30_000), Seen::ApplyAnswer(id.clone(), ANSWER.to_owned())),
            (at(60_000), terminate(&id, 60_000, None)),
            (at(60_000), Seen::Ended(id.clone())),
        ]
    );
    assert_eq!(
        d.net.call(&id).map(|c| c.status),
        Some(CallStatus::NoAnswer)
    );
    assert_eq!(d.answer_action("accept", &id, ANSWER).status, 400);
}

#[test]
fn user_calls_are_refused_for_unknown_users_duplicates_and_other_accounts() {
    let mut d = Driver::new();
    let unknown = d.net.call_business(
        d.now,
        account(),
        &number("+15550009999"),
        sender(),
        OFFER.to_owned(),
    );
    assert_eq!(unknown, Err(SimError::UnknownUser));
    let _id = call(&mut d, None, None);
    let again = d
        .net
        .call_business(d.now, account(), &number(USER), sender(), OFFER.to_owned());
    assert_eq!(again, Err(SimError::DuplicateCall));
    let mut foreign = sender();
    foreign.account = dialtone_types::Sid::new(dialtone_types::SidKind::Account, 8);
    let other = d
        .net
        .call_business(d.now, account(), &number(USER), foreign, OFFER.to_owned());
    assert_eq!(
        other,
        Err(SimError::UnknownSender("+15550001111".to_owned()))
    );
}

#[test]
fn business_actions_for_user_calls_are_refused_on_business_calls() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "no-answer");
    let id = d.connect(USER_ID).expect("placed");
    for action in ["pre_accept", "accept"] {
        let reply = d.answer_action(action, &id, ANSWER);
        assert_eq!(reply.status, 400, "{action}");
        assert_eq!(
            error_body(&reply)["error"]["error_data"]["details"],
            "pre_accept, accept and reject apply to user-initiated calls only"
        );
    }
    assert_eq!(d.action("reject", &id).status, 400);
}
