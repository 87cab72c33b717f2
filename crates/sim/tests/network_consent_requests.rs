//! Call permission requests in virtual time: the user's answers (accept, accept-permanent,
//! reject, ignore) as `call_permission_reply` webhooks after `sent`/`delivered`/`read`, the
//! permission they grant (and its 7-day expiry), Meta's request limits (138009, 138017), the
//! service window (131047), unknown numbers (131026), and answers changed from the test API.

mod network_common;

use std::time::Duration;

use dialtone_sim::network::{ConsentReply, NewUser, PermissionState, SimError};
use dialtone_whatsapp::error::GraphError;
use dialtone_whatsapp::webhook::{
    EventKind, MessageStatusEvent, MessageStatusKind, PermissionReply,
};
use network_common::{Driver, Seen, account, at, error_body, number, request_body, sender, ts};
use serde_json::{Value, json};

const USER: &str = "+15550002222";
const USER_ID: &str = "15550002222";
const DAY: Duration = Duration::from_hours(24);
const WEEK_SECS: u64 = 7 * 86_400;

fn user(reply: ConsentReply) -> NewUser {
    let mut user = NewUser::new(number(USER));
    user.consent_reply = reply;
    user
}

/// A driver with `USER` (answering `reply`) who wrote to the business at `START`.
fn driver(reply: ConsentReply) -> Driver {
    let mut d = Driver::new();
    d.put(user(reply));
    d.net
        .user_sends_text(d.now, account(), &number(USER), sender(), "hello")
        .expect("known user");
    d.drain();
    d.take();
    d
}

/// `POST /messages` that Meta accepts: the new `wamid`.
fn send(d: &mut Driver, body: &Value) -> String {
    let reply = d.post_messages(body);
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let body: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(
        body["contacts"],
        json!([{"input": USER_ID, "wa_id": USER_ID}])
    );
    body["messages"][0]["id"].as_str().unwrap().to_owned()
}

fn status(id: &str, kind: MessageStatusKind, at_ms: u64, category: &str) -> Seen {
    Seen::Webhook(
        id.to_owned(),
        vec![EventKind::MessageStatus(MessageStatusEvent {
            message_id: id.to_owned(),
            status: kind,
            timestamp: ts(at_ms),
            recipient_id: Some(USER_ID.to_owned()),
            pricing_category: Some(category.to_owned()),
            errors: Vec::new(),
        })],
    )
}

/// The webhooks of message `id`, with their times, in order (the reply's own wamid blanked).
fn webhooks_of(seen: &[(dialtone_types::UnixMillis, Seen)], id: &str) -> Vec<(u64, Seen)> {
    seen.iter()
        .filter_map(|(t, s)| match s {
            Seen::Webhook(key, events) if key == id => {
                let events = events
                    .iter()
                    .cloned()
                    .map(|e| match e {
                        EventKind::PermissionReply(mut r) => {
                            assert!(
                                r.message_id
                                    .as_ref()
                                    .is_some_and(|m| m.starts_with("wamid.") && m != id)
                            );
                            r.message_id = None;
                            EventKind::PermissionReply(r)
                        }
                        other => other,
                    })
                    .collect();
                Some((t.0 - at(0).0, Seen::Webhook(key.clone(), events)))
            }
            _ => None,
        })
        .collect()
}

fn reply_event(id: &str, at_ms: u64, accepted: bool, permanent: bool) -> Seen {
    let expiry = (accepted && !permanent).then(|| ts(at_ms).unwrap() + WEEK_SECS);
    Seen::Webhook(
        id.to_owned(),
        vec![EventKind::PermissionReply(PermissionReply {
            from: USER_ID.to_owned(),
            message_id: None,
            timestamp: ts(at_ms),
            context_id: Some(id.to_owned()),
            accepted,
            is_permanent: permanent,
            expiration_timestamp: expiry,
            response_source: Some("user_action".to_owned()),
        })],
    )
}

fn permission_json(d: &mut Driver) -> Value {
    let reply = d.permissions(USER_ID);
    assert_eq!(reply.status, 200);
    serde_json::from_slice(&reply.body).unwrap()
}

#[test]
fn accept_grants_a_temporary_permission_for_seven_days() {
    let mut d = driver(ConsentReply::Accept);
    let id = send(&mut d, &request_body(USER));
    assert!(id.starts_with("wamid."));
    d.advance(Duration::from_secs(3));
    let seen = d.take();
    // sent after 100 ms, delivered 200 ms later, read 500 ms later, the answer 1 s after that.
    assert_eq!(
        webhooks_of(&seen, &id),
        vec![
            (100, status(&id, MessageStatusKind::Sent, 100, "service")),
            (
                300,
                status(&id, MessageStatusKind::Delivered, 300, "service")
            ),
            (800, status(&id, MessageStatusKind::Read, 800, "service")),
            (1800, reply_event(&id, 1800, true, false)),
        ]
    );
    assert!(seen.contains(&(at(1800), Seen::MessageDone(id.clone()))));
    let expires = at(1800).plus_millis(WEEK_SECS * 1000);
    assert_eq!(
        d.net.permission(d.now, &sender(), &number(USER)),
        PermissionState::Temporary {
            expires_at: expires
        }
    );
    let body = permission_json(&mut d);
    assert_eq!(
        body["permission"],
        json!({"status": "temporary", "expiration_time": expires.0 / 1000})
    );
    assert_eq!(
        body["actions"][0],
        json!({"action_name": "send_call_permission_request", "can_perform_action": false,
            "limits": [
                {"time_period": "PT24H", "max_allowed": 1, "current_usage": 1,
                 "limit_expiration_time": at(0).0 / 1000 + 86_400},
                {"time_period": "P7D", "max_allowed": 2, "current_usage": 1}]})
    );
    assert_eq!(body["actions"][1]["can_perform_action"], true);
    // The message list shows the answer.
    let message = d.net.message(&id).unwrap();
    assert_eq!(message.status.as_deref(), Some("read"));
    assert_eq!(message.reply, Some(ConsentReply::Accept));
    assert_eq!(message.replied_at, Some(at(1800)));
    // The call goes through now; at the expiry it no longer does.
    let call = d.connect(USER_ID).expect("permitted");
    d.action("terminate", &call);
    d.now = expires.plus_millis(0);
    let refused = d.connect(USER_ID).expect_err("expired");
    assert_eq!(refused.status, 401);
    assert_eq!(error_body(&refused)["error"]["code"], 138_006);
    assert_eq!(
        permission_json(&mut d)["permission"],
        json!({"status": "no_permission"})
    );
}

#[test]
fn accept_permanent_then_a_new_request_is_138017() {
    let mut d = driver(ConsentReply::AcceptPermanent);
    let id = send(&mut d, &request_body(USER));
    d.advance(Duration::from_secs(3));
    assert_eq!(
        webhooks_of(&d.take(), &id).last().cloned(),
        Some((1800, reply_event(&id, 1800, true, true)))
    );
    assert_eq!(
        d.net.permission(d.now, &sender(), &number(USER)),
        PermissionState::Permanent
    );
    d.advance(DAY * 8);
    let refused = d.post_messages(&request_body(USER));
    assert_eq!(refused.status, 400);
    assert_eq!(
        error_body(&refused),
        json!({"error": {"message": "(#138017) Call permission request not allowed",
            "type": "OAuthException", "code": 138_017, "error_data": {
                "messaging_product": "whatsapp",
                "details": "The user has already granted permanent call permission to this business number"}}})
    );
    assert_eq!(
        permission_json(&mut d)["actions"][0]["can_perform_action"],
        false
    );
    assert!(d.connect(USER_ID).is_ok());
}

#[test]
fn reject_and_ignore_grant_nothing() {
    let mut d = driver(ConsentReply::Reject);
    let id = send(&mut d, &request_body(USER));
    d.advance(Duration::from_secs(3));
    assert_eq!(
        webhooks_of(&d.take(), &id).last().cloned(),
        Some((1800, reply_event(&id, 1800, false, false)))
    );
    assert_eq!(
        d.net.permission(d.now, &sender(), &number(USER)),
        PermissionState::NoPermission
    );
    assert_eq!(
        error_body(&d.connect(USER_ID).unwrap_err())["error"]["code"],
        138_006
    );

    let mut d = driver(ConsentReply::Ignore);
    let id = send(&mut d, &request_body(USER));
    d.advance(Duration::from_hours(1));
    let seen = webhooks_of(&d.take(), &id);
    assert_eq!(
        seen.len(),
        3,
        "sent, delivered, read and no reply: {seen:?}"
    );
    assert_eq!(
        seen[2],
        (800, status(&id, MessageStatusKind::Read, 800, "service"))
    );
    assert_eq!(d.net.message(&id).unwrap().reply, None);
    assert_eq!(
        error_body(&d.connect(USER_ID).unwrap_err())["error"]["code"],
        138_006
    );
}

fn limit_error(period: &str, max: u64, next_ms: u64) -> Value {
    json!({"error": {"message": "(#138009) Call permission request limit reached",
        "type": "OAuthException", "code": 138_009, "error_data": {"messaging_product": "whatsapp",
        "details": format!("Limit of {max} call permission requests in {period} reached for this \
            user; next request allowed at {}", at(next_ms).0 / 1000)}}})
}

#[test]
fn one_request_per_day_and_two_per_week() {
    let mut d = driver(ConsentReply::Ignore);
    send(&mut d, &request_body(USER));
    d.advance(Duration::from_secs(86_399));
    let second = d.post_messages(&request_body(USER));
    assert_eq!(second.status, 400);
    assert_eq!(error_body(&second), limit_error("24 hours", 1, 86_400_000));
    d.advance(Duration::from_secs(1));
    // The window closed meanwhile: the user writes again.
    d.net
        .user_sends_text(d.now, account(), &number(USER), sender(), "again")
        .unwrap();
    send(&mut d, &request_body(USER));
    d.advance(DAY * 2);
    d.net
        .user_sends_text(d.now, account(), &number(USER), sender(), "and again")
        .unwrap();
    let third = d.post_messages(&request_body(USER));
    assert_eq!(error_body(&third), limit_error("7 days", 2, 7 * 86_400_000));
    let limits = &permission_json(&mut d)["actions"][0];
    assert_eq!(limits["can_perform_action"], false);
    assert_eq!(limits["limits"][1]["current_usage"], 2);
    assert_eq!(
        limits["limits"][1]["limit_expiration_time"],
        at(7 * 86_400_000).0 / 1000
    );
    // Seven days after the first request, one is allowed again.
    d.now = at(7 * 86_400_000);
    d.net
        .user_sends_text(d.now, account(), &number(USER), sender(), "hi")
        .unwrap();
    send(&mut d, &request_body(USER));
}

#[test]
fn a_connected_call_resets_the_request_counters() {
    let mut d = driver(ConsentReply::Accept);
    send(&mut d, &request_body(USER));
    d.advance(Duration::from_secs(3));
    assert_eq!(d.post_messages(&request_body(USER)).status, 400);
    let call = d.connect(USER_ID).expect("permitted");
    d.advance(Duration::from_secs(2));
    assert_eq!(d.net.call(&call).unwrap().status.as_str(), "in-progress");
    send(&mut d, &request_body(USER));
}

#[test]
fn outside_the_window_a_free_form_request_fails_with_131047_and_is_not_counted() {
    let mut d = Driver::new();
    d.put(user(ConsentReply::Accept));
    let id = send(&mut d, &request_body(USER));
    d.advance(Duration::from_secs(5));
    let failed = Seen::Webhook(
        id.clone(),
        vec![EventKind::MessageStatus(MessageStatusEvent {
            message_id: id.clone(),
            status: MessageStatusKind::Failed,
            timestamp: ts(100),
            recipient_id: Some(USER_ID.to_owned()),
            pricing_category: None,
            errors: vec![GraphError {
                message: "Re-engagement message".to_owned(),
                code: Some(131_047),
                data: Some(
                    json!({"details": "Message failed to send because more than 24 hours \
                    have passed since the customer last replied to this number."}),
                ),
                ..GraphError::default()
            }],
        })],
    );
    assert_eq!(webhooks_of(&d.take(), &id), vec![(100, failed)]);
    assert_eq!(d.net.message(&id).unwrap().error_code, Some(131_047));
    assert_eq!(
        d.net.permission(d.now, &sender(), &number(USER)),
        PermissionState::NoPermission
    );
    assert_eq!(
        permission_json(&mut d)["actions"][0]["limits"][0]["current_usage"],
        0
    );
    // A text outside the window fails the same way; inside it is delivered and read.
    let text = json!({"messaging_product": "whatsapp", "to": USER_ID, "type": "text",
        "text": {"body": "hello"}});
    let id = send(&mut d, &text);
    d.advance(Duration::from_secs(1));
    assert_eq!(
        d.net.message(&id).unwrap().status.as_deref(),
        Some("failed")
    );
    d.net
        .user_sends_text(d.now, account(), &number(USER), sender(), "hi")
        .unwrap();
    let id = send(&mut d, &text);
    d.advance(Duration::from_secs(1));
    assert_eq!(d.net.message(&id).unwrap().status.as_deref(), Some("read"));
}

#[test]
fn a_number_that_is_no_user_fails_with_131026() {
    let mut d = Driver::new();
    let id = send(
        &mut d,
        &json!({"messaging_product": "whatsapp", "to": USER_ID, "type": "text",
            "text": {"body": "hello"}}),
    );
    d.advance(Duration::from_secs(1));
    let seen = webhooks_of(&d.take(), &id);
    let [(100, Seen::Webhook(_, events))] = seen.as_slice() else {
        panic!("one failed status: {seen:?}");
    };
    let [EventKind::MessageStatus(failed)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(failed.status, MessageStatusKind::Failed);
    assert_eq!(failed.errors[0].code, Some(131_026));
    assert_eq!(failed.errors[0].message, "Message undeliverable");
}

#[test]
fn answers_changed_from_the_test_api() {
    let mut d = driver(ConsentReply::Ignore);
    let id = send(&mut d, &request_body(USER));
    assert_eq!(
        d.net
            .answer_request(d.now, account(), &number(USER), &id, ConsentReply::Accept),
        Err(SimError::Invalid(
            "the request has not been delivered to the user".to_owned()
        ))
    );
    d.advance(Duration::from_secs(1));
    d.take();
    let answered = d
        .net
        .answer_request(d.now, account(), &number(USER), &id, ConsentReply::Accept)
        .unwrap();
    assert_eq!(answered.reply, Some(ConsentReply::Accept));
    d.drain();
    assert_eq!(
        webhooks_of(&d.take(), &id),
        vec![(1000, reply_event(&id, 1000, true, false))]
    );
    assert!(
        d.net
            .permission(d.now, &sender(), &number(USER))
            .is_granted()
    );
    // The same answer again is refused without a webhook.
    assert_eq!(
        d.net
            .answer_request(d.now, account(), &number(USER), &id, ConsentReply::Accept),
        Err(SimError::DuplicateReply("accept"))
    );
    assert!(d.take().is_empty());
    // A change of mind withdraws the permission at once.
    d.net
        .answer_request(d.now, account(), &number(USER), &id, ConsentReply::Reject)
        .unwrap();
    d.drain();
    assert_eq!(
        webhooks_of(&d.take(), &id),
        vec![(1000, reply_event(&id, 1000, false, false))]
    );
    assert_eq!(
        d.net.permission(d.now, &sender(), &number(USER)),
        PermissionState::NoPermission
    );
    // Unknown user, unknown message, an answer that is no answer.
    let stranger = number("+15550009999");
    assert_eq!(
        d.net
            .answer_request(d.now, account(), &stranger, &id, ConsentReply::Accept),
        Err(SimError::UnknownUser)
    );
    assert_eq!(
        d.net.answer_request(
            d.now,
            account(),
            &number(USER),
            "wamid.nope",
            ConsentReply::Accept
        ),
        Err(SimError::UnknownMessage)
    );
    assert!(matches!(
        d.net
            .answer_request(d.now, account(), &number(USER), &id, ConsentReply::Ignore),
        Err(SimError::Invalid(_))
    ));
    // Seven days after the last answer the request is gone.
    d.advance(Duration::from_hours(7 * 24));
    assert_eq!(
        d.net
            .answer_request(d.now, account(), &number(USER), &id, ConsentReply::Accept),
        Err(SimError::Expired)
    );
    assert!(d.take().is_empty());
}

#[test]
fn four_unanswered_calls_revoke_a_permission_the_user_granted() {
    let mut d = Driver::new();
    let mut u = user(ConsentReply::Accept);
    u.behavior = dialtone_sim::network::Behavior::NoAnswer;
    d.put(u);
    d.net
        .user_sends_text(d.now, account(), &number(USER), sender(), "hi")
        .unwrap();
    send(&mut d, &request_body(USER));
    d.advance(Duration::from_secs(3));
    for _ in 0..4 {
        d.connect(USER_ID).expect("permitted");
        d.advance(Duration::from_mins(2));
    }
    assert_eq!(
        d.net.permission(d.now, &sender(), &number(USER)),
        PermissionState::NoPermission
    );
    let pairs = d.net.pair_permissions(d.now, account(), &number(USER));
    assert_eq!(pairs.len(), 1);
    assert!(pairs[0].revoked);
    assert_eq!(
        error_body(&d.connect(USER_ID).unwrap_err())["error"]["code"],
        138_006
    );
}

#[test]
fn call_permissions_allows_five_reads_per_second() {
    let mut d = Driver::new();
    for _ in 0..5 {
        assert_eq!(d.permissions(USER_ID).status, 200);
    }
    let throttled = d.permissions(USER_ID);
    assert_eq!(throttled.status, 429);
    assert_eq!(
        error_body(&throttled),
        json!({"error": {"message": "(#613) Calls to this api have exceeded the rate limit.",
            "type": "OAuthException", "code": 613, "error_data": {"messaging_product": "whatsapp",
            "details": "At most 5 call_permissions requests per second per phone number"}}})
    );
    d.advance(Duration::from_secs(1));
    assert_eq!(d.permissions(USER_ID).status, 200);
}
