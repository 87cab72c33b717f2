//! Meta's refusals in virtual time: consent (138006), one call per pair (138003), 1000
//! concurrent calls per sender (138002), 100 connected calls per pair per day (138012), and
//! four unanswered calls in a row revoking the permission.

mod network_common;

use std::time::Duration;

use dialtone_sim::network::{NetworkConfig, NewUser, Permission};
use network_common::{Driver, account, error_body, number};
use serde_json::{Value, json};

const USER: &str = "+15550002222";
const USER_ID: &str = "15550002222";

fn no_permission_body() -> Value {
    json!({"error": {"message": "(#138006) No approved call permission", "type": "OAuthException",
        "code": 138_006, "error_data": {"messaging_product": "whatsapp",
        "details": "No approved call permission from the recipient"}}})
}

fn permission_status(d: &mut Driver, user: &str) -> (String, bool) {
    let reply = d.permissions(user);
    assert_eq!(reply.status, 200);
    let body: Value = serde_json::from_slice(&reply.body).unwrap();
    let start = body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action_name"] == "start_call")
        .unwrap()
        .clone();
    (
        body["permission"]["status"].as_str().unwrap().to_owned(),
        start["can_perform_action"].as_bool().unwrap(),
    )
}

#[test]
fn no_permission_is_138006_with_http_401() {
    let mut d = Driver::new();
    d.user(USER, Permission::None, "answer");
    d.user("+15550003333", Permission::Revoked, "answer");
    for user in [USER_ID, "15550003333", "15550009999"] {
        let reply = d.connect(user).expect_err("refused");
        assert_eq!(reply.status, 401, "{user}");
        assert_eq!(error_body(&reply), no_permission_body(), "{user}");
    }
    assert!(d.take().is_empty());
    assert!(d.net.calls(account(), &number(USER)).is_empty());
}

#[test]
fn call_permissions_answers_from_the_users_permission() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "answer");
    d.user("+15550003333", Permission::None, "answer");
    let reply = d.permissions(USER_ID);
    assert_eq!(reply.status, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&reply.body).unwrap(),
        json!({"messaging_product": "whatsapp", "permission": {"status": "permanent"},
            "actions": [
                {"action_name": "send_call_permission_request", "can_perform_action": false,
                 "limits": [{"time_period": "PT24H", "max_allowed": 1, "current_usage": 0},
                            {"time_period": "P7D", "max_allowed": 2, "current_usage": 0}]},
                {"action_name": "start_call", "can_perform_action": true,
                 "limits": [{"time_period": "PT24H", "max_allowed": 100, "current_usage": 0}]}]})
    );
    assert_eq!(
        permission_status(&mut d, "15550003333"),
        ("no_permission".to_owned(), false)
    );
    // Unknown numbers look the same as numbers without permission (privacy).
    assert_eq!(
        permission_status(&mut d, "+15550009999"),
        ("no_permission".to_owned(), false)
    );
}

#[test]
fn one_active_call_per_business_user_pair() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "no-answer");
    let first = d.connect(USER_ID).expect("placed");
    let reply = d.connect(USER_ID).expect_err("duplicate");
    assert_eq!(reply.status, 400);
    assert_eq!(
        error_body(&reply),
        json!({"error": {"message": "(#138003) Duplicate call", "type": "OAuthException",
            "code": 138_003, "error_data": {"messaging_product": "whatsapp",
            "details": "There is already an ongoing call between the business and this user"}}})
    );
    assert_eq!(d.action("terminate", &first).status, 200);
    let second = d.connect(USER_ID).expect("allowed once the first ended");
    assert_ne!(first, second);
}

#[test]
fn the_1001st_concurrent_call_of_a_sender_is_refused() {
    let mut d = Driver::new();
    for i in 0..1001_u32 {
        d.user(&format!("+1555100{i:04}"), Permission::Granted, "no-answer");
    }
    let mut ids = Vec::new();
    for i in 0..1000_u32 {
        ids.push(
            d.connect(&format!("1555100{i:04}"))
                .expect("within the limit"),
        );
    }
    assert_eq!(d.net.active_calls(network_common::PNID), 1000);
    let reply = d.connect("15551001000").expect_err("over the limit");
    assert_eq!(reply.status, 429);
    assert_eq!(
        error_body(&reply),
        json!({"error": {"message": "(#138002) Concurrent calls limit reached",
            "type": "OAuthException", "code": 138_002, "error_data": {
            "messaging_product": "whatsapp",
            "details": "The business phone number has reached its limit of 1000 concurrent calls"}}})
    );
    assert_eq!(d.action("terminate", &ids[0]).status, 200);
    assert!(d.connect("15551001000").is_ok());
}

#[test]
fn four_unanswered_calls_in_a_row_revoke_the_permission() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "reject");
    for round in 1..=4 {
        let id = d.connect(USER_ID).expect("permission still granted");
        d.advance(Duration::from_secs(5));
        assert!(d.net.call(&id).is_some_and(|c| c.status.is_final()));
        assert_eq!(
            d.net
                .user(account(), &number(USER))
                .unwrap()
                .unanswered_in_a_row,
            round
        );
    }
    let user = d.net.user(account(), &number(USER)).unwrap();
    assert_eq!(user.permission, Permission::Revoked);
    let reply = d.connect(USER_ID).expect_err("revoked");
    assert_eq!(reply.status, 401);
    assert_eq!(error_body(&reply), no_permission_body());
    assert_eq!(
        permission_status(&mut d, USER_ID),
        ("no_permission".to_owned(), false)
    );
}

#[test]
fn an_answered_call_resets_the_unanswered_streak() {
    let mut d = Driver::new();
    d.user(USER, Permission::Granted, "no-answer");
    for _ in 0..3 {
        let id = d.connect(USER_ID).expect("placed");
        d.advance(Duration::from_secs(1));
        assert_eq!(d.action("terminate", &id).status, 200);
    }
    assert_eq!(
        d.net
            .user(account(), &number(USER))
            .unwrap()
            .unanswered_in_a_row,
        3
    );
    let mut answering = NewUser::new(number(USER));
    answering.permission = Permission::Granted;
    // Replacing the user keeps nothing of the old streak.
    d.put(answering);
    assert_eq!(
        d.net
            .user(account(), &number(USER))
            .unwrap()
            .unanswered_in_a_row,
        0
    );
    let id = d.connect(USER_ID).expect("placed");
    d.advance(Duration::from_secs(3));
    assert_eq!(d.action("terminate", &id).status, 200);
    let user = d.net.user(account(), &number(USER)).unwrap();
    assert_eq!(
        (user.unanswered_in_a_row, user.permission),
        (0, Permission::Granted)
    );
}

#[test]
fn connected_calls_per_pair_are_capped_per_day() {
    let mut config = NetworkConfig::new(network_common::TOKEN);
    config.max_connected_per_day = 3;
    let mut d = Driver::with_config(config);
    d.user(USER, Permission::Granted, "answer");
    for _ in 0..3 {
        let id = d.connect(USER_ID).expect("placed");
        d.advance(Duration::from_secs(2));
        assert_eq!(d.action("terminate", &id).status, 200);
    }
    let first_answer_secs = network_common::START.0 / 1000 + 1;
    let reply = d.connect(USER_ID).expect_err("cap reached");
    assert_eq!(reply.status, 400);
    assert_eq!(
        error_body(&reply),
        json!({"error": {"message": "(#138012) Business initiated calls limit reached",
            "type": "OAuthException", "code": 138_012, "error_data": {
            "messaging_product": "whatsapp",
            "details": format!("Limit of 3 connected calls in 24 hours reached; next call allowed at {}",
                first_answer_secs + 86_400)}}})
    );
    assert_eq!(
        permission_status(&mut d, USER_ID),
        ("permanent".to_owned(), false)
    );
    d.advance(Duration::from_hours(24));
    assert!(d.connect(USER_ID).is_ok());
}
