//! Message templates on the simulated Graph API: creation rules, the configurable review (and
//! its `message_template_status_update` webhook), listing and deletion, and sending a call
//! permission request template outside the service window (132001, 132000 on bad input).

mod network_common;

use std::time::Duration;

use dialtone_sim::network::{ConsentReply, NewUser, TemplateReview, TemplateStatus};
use network_common::{Driver, Seen, WABA, at, error_body, number};
use serde_json::{Value, json};

const AUTH: Option<&str> = Some("Bearer sim-token");
const USER: &str = "+15550002222";

fn template(name: &str, category: &str) -> Value {
    json!({"name": name, "language": "en", "category": category, "components": [
        {"type": "BODY", "text": "Hi {{1}}, may we call you about order {{2}}?",
         "example": {"body_text": [["Pablo", "ON-1"]]}},
        {"type": "CALL_PERMISSION_REQUEST"}]})
}

fn create(d: &mut Driver, body: &Value) -> (u16, Value) {
    let reply = d
        .net
        .handle_create_template(d.now, AUTH, WABA, &serde_json::to_vec(body).unwrap());
    d.drain();
    (reply.status, serde_json::from_slice(&reply.body).unwrap())
}

fn send_template(d: &mut Driver, name: &str, params: &[&str]) -> network_common::GraphReplyJson {
    let parameters: Vec<Value> = params
        .iter()
        .map(|p| json!({"type": "text", "text": p}))
        .collect();
    let reply = d.post_messages(&json!({
        "messaging_product": "whatsapp", "to": "15550002222", "type": "template",
        "template": {"name": name, "language": {"code": "en"},
            "components": [{"type": "body", "parameters": parameters}]}}));
    network_common::GraphReplyJson::of(&reply)
}

#[test]
fn an_approved_permission_template_asks_outside_the_window() {
    let mut d = Driver::new();
    let mut user = NewUser::new(number(USER));
    user.consent_reply = ConsentReply::AcceptPermanent;
    d.put(user);
    let (status, body) = create(&mut d, &template("order_call", "UTILITY"));
    assert_eq!(status, 200);
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        body,
        json!({"id": id, "status": "APPROVED", "category": "UTILITY"})
    );
    let sent = send_template(&mut d, "order_call", &["Ana", "ON-7"]);
    assert_eq!(sent.status, 200);
    assert_eq!(sent.body["messages"][0]["message_status"], "accepted");
    let wamid = sent.body["messages"][0]["id"].as_str().unwrap().to_owned();
    d.advance(Duration::from_secs(3));
    let message = d.net.message(&wamid).unwrap();
    assert_eq!(message.status.as_deref(), Some("read"));
    assert_eq!(message.reply, Some(ConsentReply::AcceptPermanent));
    assert_eq!(
        message.content,
        dialtone_sim::network::MessageContent::PermissionRequest {
            body: Some("Hi Ana, may we call you about order ON-7?".to_owned()),
            template: Some("order_call".to_owned()),
        }
    );
    assert!(d.connect("15550002222").is_ok());
}

#[test]
fn bad_templates_and_bad_sends_get_metas_codes() {
    let mut d = Driver::new();
    d.put(NewUser::new(number(USER)));
    create(&mut d, &template("order_call", "UTILITY"));
    let (status, duplicate) = create(&mut d, &template("order_call", "UTILITY"));
    assert_eq!(status, 400);
    assert_eq!(duplicate["error"]["code"], 100);
    assert_eq!(duplicate["error"]["error_subcode"], 2_388_024);
    for (body, details) in [
        (
            template("auth_call", "AUTHENTICATION"),
            "a call permission request template must be of category MARKETING or UTILITY",
        ),
        (
            template("Bad-Name", "UTILITY"),
            "name must be 1 to 512 lowercase letters, digits and underscores",
        ),
        (
            json!({"name": "with_buttons", "language": "en", "category": "MARKETING",
                "components": [{"type": "BODY", "text": "Call?"}, {"type": "CALL_PERMISSION_REQUEST"},
                    {"type": "BUTTONS", "buttons": []}]}),
            "the call_permission_request component cannot be combined with buttons",
        ),
        (
            json!({"name": "no_body", "language": "en", "category": "UTILITY",
                "components": [{"type": "CALL_PERMISSION_REQUEST"}]}),
            "a call permission request template needs a non-empty body",
        ),
    ] {
        let (status, error) = create(&mut d, &body);
        assert_eq!(status, 400, "{body}");
        assert_eq!(error["error"]["code"], 100, "{body}");
        assert_eq!(error["error"]["error_data"]["details"], details);
    }
    let unknown = send_template(&mut d, "nope", &[]);
    assert_eq!(unknown.status, 400);
    assert_eq!(
        unknown.error(),
        json!({"error": {"message": "(#132001) Template name does not exist in the translation",
            "type": "OAuthException", "code": 132_001, "error_data": {
                "messaging_product": "whatsapp",
                "details": "template name (nope) does not exist in en"}}})
    );
    let short = send_template(&mut d, "order_call", &["Ana"]);
    assert_eq!(short.error()["error"]["code"], 132_000);
    assert_eq!(
        short.error()["error"]["error_data"]["details"],
        "body: number of localizable_params (1) does not match the expected number of params (2)"
    );
    let bad_token = d.net.handle_create_template(d.now, None, WABA, b"{}");
    assert_eq!(bad_token.status, 401);
}

#[test]
fn a_slow_review_answers_pending_then_posts_the_verdict() {
    let mut d = Driver::new();
    d.put(NewUser::new(number(USER)));
    d.net.set_template_review(TemplateReview {
        verdict: TemplateStatus::Rejected,
        after: Duration::from_secs(30),
    });
    let (_, body) = create(&mut d, &template("order_call", "MARKETING"));
    assert_eq!(body["status"], "PENDING");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(send_template(&mut d, "order_call", &["a", "b"]).status, 400);
    d.advance(Duration::from_secs(30));
    let seen = d.take();
    assert_eq!(
        seen,
        vec![(
            at(30_000),
            Seen::Raw(
                format!("template:{id}"),
                json!({"object": "whatsapp_business_account", "entry": [{"id": WABA,
                    "time": at(30_000).0 / 1000, "changes": [{
                        "field": "message_template_status_update",
                        "value": {"event": "REJECTED",
                            "message_template_id": id.parse::<u64>().unwrap(),
                            "message_template_name": "order_call",
                            "message_template_language": "en", "reason": "INVALID_FORMAT"}}]}]})
            )
        )]
    );
    let listed = d
        .net
        .handle_list_templates(AUTH, WABA, Some("order_call"), None);
    let listed: Value = serde_json::from_slice(&listed.body).unwrap();
    assert_eq!(listed["data"][0]["status"], "REJECTED");
    assert_eq!(listed["data"][0]["rejected_reason"], "INVALID_FORMAT");
    assert_eq!(
        send_template(&mut d, "order_call", &["a", "b"]).error()["error"]["code"],
        132_001
    );
    let fetched = d.net.handle_fetch_template(AUTH, &id);
    assert_eq!(fetched.status, 200);
    let deleted = d
        .net
        .handle_delete_template(AUTH, WABA, Some("order_call"), None);
    assert_eq!(deleted.status, 200);
    assert_eq!(d.net.handle_fetch_template(AUTH, &id).status, 400);
    let again = d
        .net
        .handle_delete_template(AUTH, WABA, Some("order_call"), None);
    assert_eq!(error_body(&again)["error"]["code"], 100);
}
