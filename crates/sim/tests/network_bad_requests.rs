//! Graph requests Meta refuses, with Meta's error bodies and HTTP statuses: token, phone
//! number id, JSON, action, parameters, SDP, call ids.

mod network_common;

use dialtone_sim::network::{GraphRequest, Permission};
use network_common::{ANSWER, Driver, OFFER, PNID, error_body};
use serde_json::{Value, json};

fn invalid(details: &str) -> Value {
    json!({"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100,
        "error_data": {"messaging_product": "whatsapp", "details": details}}})
}

#[test]
fn a_missing_or_wrong_token_is_190_with_401() {
    let mut d = Driver::new();
    let body = br#"{"messaging_product":"whatsapp","action":"terminate","call_id":"wacid.X"}"#;
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("sim-token"),
        Some("Bearer "),
        Some("Basic sim-token"),
    ] {
        let reply = d.post_raw(auth, body);
        assert_eq!(reply.status, 401, "{auth:?}");
        assert_eq!(
            error_body(&reply),
            json!({"error": {"message": "Invalid OAuth access token - Cannot parse access token",
                "type": "OAuthException", "code": 190}}),
            "{auth:?}"
        );
    }
    let request = GraphRequest {
        authorization: None,
        phone_number_id: PNID,
        sender: None,
    };
    assert_eq!(
        d.net
            .handle_call_permissions(d.now, &request, Some("1555"))
            .status,
        401
    );
}

#[test]
fn an_unknown_phone_number_id_is_100_subcode_33() {
    let mut d = Driver::new();
    let request = GraphRequest {
        authorization: Some("Bearer sim-token"),
        phone_number_id: "999",
        sender: None,
    };
    let reply = d.net.handle_calls(d.now, &request, b"{}");
    assert_eq!(reply.status, 400);
    assert_eq!(
        error_body(&reply),
        json!({"error": {"message": "Unsupported post request. Object with ID '999' does not exist, \
cannot be loaded due to missing permissions, or does not support this operation. Please read the \
Graph API documentation at https://developers.facebook.com/docs/graph-api",
            "type": "GraphMethodException", "code": 100, "error_subcode": 33}})
    );
    let reply = d.net.handle_call_permissions(d.now, &request, Some("1555"));
    assert_eq!(reply.status, 400);
    assert!(
        error_body(&reply)["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Unsupported get request. Object with ID '999'")
    );
}

#[test]
fn malformed_bodies_are_100() {
    let mut d = Driver::new();
    let cases: [(&[u8], &str); 7] = [
        (b"{not json", "The request body is not valid JSON"),
        (b"[1,2]", "The request body must be a JSON object"),
        (br#"{"action":"connect"}"#, "messaging_product is required"),
        (
            br#"{"messaging_product":"sms","action":"connect"}"#,
            "Invalid value for messaging_product: sms",
        ),
        (br#"{"messaging_product":"whatsapp"}"#, "action is required"),
        (
            br#"{"messaging_product":"whatsapp","action":7}"#,
            "action must be a string",
        ),
        (
            br#"{"messaging_product":"whatsapp","action":"transfer","call_id":"wacid.X"}"#,
            "Invalid value for action: transfer",
        ),
    ];
    for (body, details) in cases {
        let reply = d.post_raw(Some("Bearer sim-token"), body);
        assert_eq!(reply.status, 400, "{details}");
        assert_eq!(error_body(&reply), invalid(details));
    }
    let reply = d.post_raw(
        Some("Bearer sim-token"),
        br#"{"messaging_product":"whatsapp","action":"terminate"}"#,
    );
    assert_eq!(reply.status, 400);
    assert_eq!(
        error_body(&reply),
        invalid("Invalid parameters for terminate: missing field `call_id`")
    );
}

#[test]
fn invalid_sdps_are_100_with_the_problems() {
    let mut d = Driver::new();
    d.user("+15550002222", Permission::Granted, "answer");
    let no_ice = OFFER
        .lines()
        .filter(|l| !l.starts_with("a=ice-") && !l.starts_with("a=fingerprint"))
        .collect::<Vec<_>>()
        .join("\n");
    let reply = d.post(
        &json!({"messaging_product": "whatsapp", "action": "connect",
        "to": "15550002222", "session": {"sdp_type": "offer", "sdp": no_ice}}),
    );
    assert_eq!(reply.status, 400);
    assert_eq!(
        error_body(&reply),
        invalid("SDP refused: no ICE ufrag, no ICE pwd, no DTLS fingerprint")
    );
    let reply = d.post(
        &json!({"messaging_product": "whatsapp", "action": "connect",
        "to": "15550002222", "session": {"sdp_type": "answer", "sdp": ANSWER}}),
    );
    assert_eq!(
        error_body(&reply),
        invalid("session.sdp_type must be offer")
    );
    let reply = d.post(
        &json!({"messaging_product": "whatsapp", "action": "connect",
        "to": "15550002222", "session": {"sdp_type": "offer", "sdp": ANSWER}}),
    );
    assert_eq!(
        error_body(&reply),
        invalid("SDP refused: no fitting DTLS setup role")
    );
    let reply = d.post(
        &json!({"messaging_product": "whatsapp", "action": "connect",
        "to": "not-a-number", "session": {"sdp_type": "offer", "sdp": OFFER}}),
    );
    assert_eq!(
        error_body(&reply),
        invalid("to is not a phone number: not-a-number")
    );
    let long = "x".repeat(513);
    let reply = d.post(
        &json!({"messaging_product": "whatsapp", "action": "connect",
        "to": "15550002222", "session": {"sdp_type": "offer", "sdp": OFFER},
        "biz_opaque_callback_data": long}),
    );
    assert_eq!(
        error_body(&reply),
        invalid("biz_opaque_callback_data must be at most 512 characters")
    );
    assert!(d.take().is_empty());
}

#[test]
fn unknown_call_ids_are_100() {
    let mut d = Driver::new();
    for action in ["terminate", "reject"] {
        let reply = d.action(action, "wacid.nope");
        assert_eq!(reply.status, 400);
        assert_eq!(error_body(&reply), invalid("Unknown call_id: wacid.nope"));
    }
    let reply = d.answer_action("accept", "wacid.nope", ANSWER);
    assert_eq!(error_body(&reply), invalid("Unknown call_id: wacid.nope"));
}

#[test]
fn call_permissions_needs_a_user() {
    let mut d = Driver::new();
    let request = GraphRequest {
        authorization: Some("Bearer sim-token"),
        phone_number_id: PNID,
        sender: Some(&network_common::sender()),
    };
    let reply = d.net.handle_call_permissions(d.now, &request, None);
    assert_eq!(
        (reply.status, error_body(&reply)),
        (400, invalid("user_wa_id is required"))
    );
    let reply = d.net.handle_call_permissions(d.now, &request, Some("abc"));
    assert_eq!(
        error_body(&reply),
        invalid("user_wa_id is not a phone number: abc")
    );
}
