//! `/sim/v1/WhatsAppUsers` over a fake simulator port: forms, JSON, errors, account scoping,
//! and the 404 when no simulator runs (Meta mode).

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::header;
use axum::http::{Method, StatusCode};
use common::{NOW, NOW_TEXT, Rig, account, bad_request, error, new_call, not_found};
use dialtone_api::{
    Behavior, BoxFuture, ControlError, DialtoneCall, HeardAudio, SimulatedParties,
    SimulatedWhatsApp, WhatsAppConsentReply, WhatsAppMedia, WhatsAppMessage, WhatsAppPermission,
    WhatsAppUser, WhatsAppUserCall,
};
use dialtone_types::{Direction, E164, Sid, SidKind, SimulatedAudio, TwilioCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};

const SENDER: &str = "whatsapp:+15550001111";

/// Users in a map; calls to `SENDER` succeed (status `ringing`), others are refused as the
/// binary's adapter refuses a number that is not a sender of the account.
#[derive(Default)]
struct FakeSim {
    users: Mutex<BTreeMap<(Sid, E164), WhatsAppUser>>,
    calls: Mutex<Vec<(Sid, E164, WhatsAppUserCall)>>,
    /// What `heard` was asked; it answers three samples for calls from `whatsapp:+15550002222`.
    heard: Mutex<Vec<(Sid, DialtoneCall)>>,
    /// Messages by (account, user); `send_message` appends an inbound text.
    messages: Mutex<Vec<(Sid, E164, WhatsAppMessage)>>,
}

impl SimulatedWhatsApp for FakeSim {
    fn put_user(&self, account: Sid, user: WhatsAppUser) -> Result<WhatsAppUser, ControlError> {
        self.users
            .lock()
            .unwrap()
            .insert((account, user.number.clone()), user.clone());
        Ok(user)
    }

    fn user(&self, account: Sid, number: &E164) -> Option<WhatsAppUser> {
        self.users
            .lock()
            .unwrap()
            .get(&(account, number.clone()))
            .cloned()
    }

    fn users(&self, account: Sid) -> Vec<WhatsAppUser> {
        self.users
            .lock()
            .unwrap()
            .iter()
            .filter(|((a, _), _)| *a == account)
            .map(|(_, u)| u.clone())
            .collect()
    }

    fn delete_user(&self, account: Sid, number: &E164) -> bool {
        self.users
            .lock()
            .unwrap()
            .remove(&(account, number.clone()))
            .is_some()
    }

    fn call_business(
        &self,
        account: Sid,
        number: E164,
        to: String,
    ) -> BoxFuture<'_, Result<WhatsAppUserCall, ControlError>> {
        Box::pin(async move {
            if to != SENDER {
                return Err(ControlError {
                    retry_after: None,
                    status: StatusCode::BAD_REQUEST,
                    code: TwilioCode(21211),
                    message: format!("{to} is not a WhatsApp sender of this account"),
                });
            }
            let call = WhatsAppUserCall {
                call_id: "wacid.ABC".to_owned(),
                direction: "USER_INITIATED".to_owned(),
                status: "ringing".to_owned(),
                from: format!("whatsapp:{number}"),
                to,
                created_at: common::NOW,
                answered_at: None,
                ended_at: None,
                duration_secs: None,
                media: None,
            };
            self.calls
                .lock()
                .unwrap()
                .push((account, number, call.clone()));
            Ok(call)
        })
    }

    fn calls(&self, account: Sid, number: &E164) -> Vec<WhatsAppUserCall> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(a, n, _)| *a == account && n == number)
            .map(|(_, _, c)| c.clone())
            .collect()
    }

    fn send_message(
        &self,
        account: Sid,
        number: E164,
        to: String,
        body: String,
    ) -> BoxFuture<'_, Result<WhatsAppMessage, ControlError>> {
        Box::pin(async move {
            let message = WhatsAppMessage {
                id: "wamid.IN".to_owned(),
                direction: "inbound",
                business: E164::parse(to.trim_start_matches("whatsapp:")).unwrap(),
                kind: "text",
                body: Some(body),
                template: None,
                status: Some("received".to_owned()),
                error_code: None,
                created_at: common::NOW,
                reply: None,
                replied_at: None,
            };
            self.messages
                .lock()
                .unwrap()
                .push((account, number, message.clone()));
            Ok(message)
        })
    }

    fn messages(&self, account: Sid, number: &E164) -> Vec<WhatsAppMessage> {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .filter(|(a, n, _)| *a == account && n == number)
            .map(|(_, _, m)| m.clone())
            .collect()
    }

    /// Answers `wamid.REQ`; another id is unknown, the same answer twice a conflict.
    fn answer_request(
        &self,
        account: Sid,
        number: &E164,
        id: &str,
        reply: WhatsAppConsentReply,
    ) -> Result<WhatsAppMessage, ControlError> {
        let mut messages = self.messages.lock().unwrap();
        let message = messages
            .iter_mut()
            .find(|(a, n, m)| *a == account && n == number && m.id == id)
            .map(|(_, _, m)| m)
            .ok_or_else(|| ControlError {
                retry_after: None,
                status: StatusCode::NOT_FOUND,
                code: TwilioCode::NOT_FOUND,
                message: "no such message of this WhatsApp user".to_owned(),
            })?;
        if message.reply == Some(reply) {
            return Err(ControlError {
                retry_after: None,
                status: StatusCode::CONFLICT,
                code: TwilioCode(20001),
                message: format!(
                    "the call permission request was already answered {}",
                    reply.as_str()
                ),
            });
        }
        message.reply = Some(reply);
        message.replied_at = Some(common::NOW);
        Ok(message.clone())
    }
}

impl SimulatedParties for FakeSim {
    fn heard(&self, account: Sid, call: &DialtoneCall) -> Result<Option<HeardAudio>, ControlError> {
        self.heard.lock().unwrap().push((account, call.clone()));
        Ok((call.from == "whatsapp:+15550002222").then(|| HeardAudio {
            rate: 16_000,
            samples: vec![1, -2, 3],
        }))
    }
}

async fn rig_with(sim: Option<Arc<FakeSim>>) -> Rig {
    Rig::new().await.with_state(|state| match sim {
        Some(sim) => state
            .with_whatsapp_simulator(sim.clone())
            .with_simulated_parties(sim),
        None => state,
    })
}

fn user_json(number: &str, encoded: &str, extra: &Value) -> Value {
    let mut user = json!({
        "account_sid": account().to_string(),
        "answer_after": 1.0,
        "audio": "silence",
        "behavior": "answer",
        "consent_reply": "accept",
        "digits": null,
        "hangup_after": null,
        "number": number,
        "permission": "none",
        "permissions": [],
        "reply_after": 1.0,
        "unanswered_in_a_row": 0,
        "uri": format!("/sim/v1/WhatsAppUsers/{encoded}"),
    });
    for (k, v) in extra.as_object().unwrap() {
        user[k] = v.clone();
    }
    user
}

#[tokio::test]
async fn create_fetch_list_replace_delete() {
    let sim = Arc::new(FakeSim::default());
    let rig = rig_with(Some(sim.clone())).await;
    let (status, user) = rig
        .post(
            "/sim/v1/WhatsAppUsers",
            "Number=%2B15550002222&Permission=granted&Behavior=no-answer&AnswerAfter=0.25&HangupAfter=5&Digits=1%23&Audio=tone%3A440",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let expected = user_json(
        "+15550002222",
        "%2B15550002222",
        &json!({"permission": "granted", "behavior": "no-answer", "answer_after": 0.25,
                "hangup_after": 5.0, "digits": "1#", "audio": "tone:440"}),
    );
    assert_eq!(user, expected);
    let stored = sim
        .user(account(), &E164::parse("+15550002222").unwrap())
        .unwrap();
    assert_eq!(stored.permission, WhatsAppPermission::Granted);
    assert_eq!(stored.behavior, Behavior::NoAnswer);
    assert_eq!(stored.answer_after, Duration::from_millis(250));
    assert_eq!(stored.audio, SimulatedAudio::Tone(440));

    let (_, other) = rig
        .post("/sim/v1/WhatsAppUsers", "Number=%2B447700900123")
        .await;
    assert_eq!(
        other,
        user_json("+447700900123", "%2B447700900123", &json!({}))
    );

    assert_eq!(
        rig.get("/sim/v1/WhatsAppUsers/%2B15550002222").await,
        (StatusCode::OK, expected.clone())
    );
    let (status, list) = rig.get("/sim/v1/WhatsAppUsers").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list,
        json!({"whatsapp_users": [expected, other], "uri": "/sim/v1/WhatsAppUsers"})
    );

    // Replace: the same number with new settings.
    let (status, replaced) = rig
        .post(
            "/sim/v1/WhatsAppUsers",
            "Number=%2B15550002222&Behavior=busy",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        replaced,
        user_json(
            "+15550002222",
            "%2B15550002222",
            &json!({"behavior": "busy"})
        )
    );

    // Another account sees none of them and cannot delete them.
    let (_, list) = rig
        .send_as_other(Method::GET, "/sim/v1/WhatsAppUsers")
        .await;
    assert_eq!(list["whatsapp_users"], json!([]));
    assert_eq!(
        rig.send_as_other(Method::DELETE, "/sim/v1/WhatsAppUsers/%2B15550002222")
            .await,
        not_found("/sim/v1/WhatsAppUsers/%2B15550002222")
    );

    assert_eq!(
        rig.delete("/sim/v1/WhatsAppUsers/%2B15550002222").await,
        (StatusCode::NO_CONTENT, Value::Null)
    );
    assert_eq!(
        rig.get("/sim/v1/WhatsAppUsers/%2B15550002222").await,
        not_found("/sim/v1/WhatsAppUsers/%2B15550002222")
    );
}

#[tokio::test]
async fn bad_forms_are_400() {
    let rig = rig_with(Some(Arc::new(FakeSim::default()))).await;
    for (form, code, message) in [
        ("", 20001, "Number is required"),
        (
            "Number=15550002222",
            21211,
            "Number is not a valid E.164 phone number (+ and up to 15 digits): \"15550002222\"",
        ),
        (
            "Number=%2B15550002222&Permission=yes",
            20001,
            "Permission is not valid: \"yes\". Use granted, none or revoked",
        ),
        (
            "Number=%2B15550002222&Behavior=ring",
            20001,
            "Behavior is not valid: \"ring\". Use answer, busy, reject, no-answer or unreachable",
        ),
        (
            "Number=%2B15550002222&AnswerAfter=-1",
            20001,
            "AnswerAfter must be a number of seconds between 0 and 86400: \"-1\"",
        ),
        (
            "Number=%2B15550002222&Digits=12x",
            20001,
            "Digits is not valid: \"12x\" (0-9, *, #, A-D, w and W; at most 256)",
        ),
        (
            "Number=%2B15550002222&Audio=tone%3A5000",
            20001,
            "Audio tone must be tone:HZ with HZ a whole number from 50 to 4000: \"tone:5000\"",
        ),
        (
            "Number=%2B15550002222&Audio=noise",
            20001,
            "Audio is not valid: \"noise\". Use silence, tone:HZ (50-4000) or the http(s) URL of a WAV file",
        ),
        (
            "Number=%2B15550002222&Audio=http%3A%2F%2Fbad_host%2Fa.wav",
            20001,
            "Audio URL is not valid (Non-relative URLs must contain a valid hostname. Underscores aren't permitted.): \"http://bad_host/a.wav\"",
        ),
    ] {
        assert_eq!(
            rig.post("/sim/v1/WhatsAppUsers", form).await,
            bad_request(code, message),
            "{form}"
        );
    }
    // A path segment that is not a number names no user.
    assert_eq!(
        rig.get("/sim/v1/WhatsAppUsers/alice").await,
        not_found("/sim/v1/WhatsAppUsers/alice")
    );
}

#[tokio::test]
async fn the_user_calls_the_business() {
    let sim = Arc::new(FakeSim::default());
    let rig = rig_with(Some(sim.clone())).await;
    rig.post("/sim/v1/WhatsAppUsers", "Number=%2B15550002222")
        .await;
    let calls_path = "/sim/v1/WhatsAppUsers/%2B15550002222/Calls";
    let (status, call) = rig.post(calls_path, "To=whatsapp%3A%2B15550001111").await;
    assert_eq!(status, StatusCode::CREATED);
    let expected = json!({
        "account_sid": account().to_string(),
        "call_id": "wacid.ABC",
        "date_answered": null,
        "date_created": NOW_TEXT,
        "date_ended": null,
        "direction": "USER_INITIATED",
        "duration": null,
        "from": "whatsapp:+15550002222",
        "media": null,
        "status": "ringing",
        "to": "whatsapp:+15550001111",
    });
    assert_eq!(call, expected);
    assert_eq!(
        rig.get(calls_path).await,
        (
            StatusCode::OK,
            json!({"calls": [expected], "uri": calls_path})
        )
    );

    // Once the media leg stopped, the user's counters are shown.
    sim.calls.lock().unwrap()[0].2.media = Some(WhatsAppMedia {
        rtp_sent: 250,
        rtp_received: 248,
        rtp_lost: 2,
        rtcp_sent: 5,
        rtcp_received: 6,
        audio_gaps: 4,
        rtp_skipped: 1,
        remote_expected: 240,
        remote_lost: 3,
    });
    let mut with_media = expected.clone();
    with_media["media"] = json!({
        "audio_gaps": 4,
        "remote_expected": 240,
        "remote_lost": 3,
        "rtcp_received": 6,
        "rtcp_sent": 5,
        "rtp_lost": 2,
        "rtp_received": 248,
        "rtp_skipped": 1,
        "rtp_sent": 250,
    });
    assert_eq!(
        rig.get(calls_path).await,
        (
            StatusCode::OK,
            json!({"calls": [with_media], "uri": calls_path})
        )
    );

    for (form, code, message) in [
        ("", 21201, "To is required"),
        (
            "To=%2B15550001111",
            21211,
            "To must be a WhatsApp address (whatsapp:+E164): \"+15550001111\"",
        ),
        (
            "To=whatsapp%3A%2B15559999999",
            21211,
            "whatsapp:+15559999999 is not a WhatsApp sender of this account",
        ),
    ] {
        assert_eq!(
            rig.post(calls_path, form).await,
            bad_request(code, message),
            "{form}"
        );
    }
    assert_eq!(sim.calls.lock().unwrap().len(), 1);

    // Unknown users have no calls.
    let unknown = "/sim/v1/WhatsAppUsers/%2B15550003333/Calls";
    assert_eq!(
        rig.post(unknown, "To=whatsapp%3A%2B15550001111").await,
        not_found(unknown)
    );
    assert_eq!(rig.get(unknown).await, not_found(unknown));
}

#[tokio::test]
async fn consent_settings_messages_and_answers() {
    let sim = Arc::new(FakeSim::default());
    let rig = rig_with(Some(sim.clone())).await;
    let (status, user) = rig
        .post(
            "/sim/v1/WhatsAppUsers",
            "Number=%2B15550002222&ConsentReply=accept-permanent&ReplyAfter=2.5",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        user,
        user_json(
            "+15550002222",
            "%2B15550002222",
            &json!({"consent_reply": "accept-permanent", "reply_after": 2.5})
        )
    );
    let base = "/sim/v1/WhatsAppUsers/%2B15550002222/Messages";
    let (status, sent) = rig
        .post(
            base,
            &format!("To={}&Body=Hello", SENDER.replace('+', "%2B")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let inbound = json!({"account_sid": account().to_string(), "body": "Hello",
        "business": SENDER, "date_created": NOW_TEXT, "date_replied": null,
        "direction": "inbound", "error_code": null, "reply": null, "sid": "wamid.IN",
        "status": "received", "template": null, "type": "text"});
    assert_eq!(sent, inbound);
    // A request the business sent, as the simulator would list it.
    sim.messages.lock().unwrap().push((
        account(),
        E164::parse("+15550002222").unwrap(),
        WhatsAppMessage {
            id: "wamid.REQ".to_owned(),
            direction: "outbound",
            business: E164::parse("+15550001111").unwrap(),
            kind: "call_permission_request",
            body: None,
            template: None,
            status: Some("read".to_owned()),
            error_code: None,
            created_at: NOW,
            reply: None,
            replied_at: None,
        },
    ));
    let (status, answered) = rig.post(&format!("{base}/wamid.REQ"), "Reply=reject").await;
    assert_eq!(status, StatusCode::OK);
    let request = json!({"account_sid": account().to_string(), "body": null,
        "business": SENDER, "date_created": NOW_TEXT, "date_replied": NOW_TEXT,
        "direction": "outbound", "error_code": null, "reply": "reject", "sid": "wamid.REQ",
        "status": "read", "template": null, "type": "call_permission_request"});
    assert_eq!(answered, request);
    assert_eq!(
        rig.get(base).await,
        (
            StatusCode::OK,
            json!({"messages": [inbound, request], "uri": base})
        )
    );
    assert_eq!(
        rig.post(&format!("{base}/wamid.REQ"), "Reply=reject").await,
        (
            StatusCode::CONFLICT,
            error(
                20001,
                409,
                "the call permission request was already answered reject"
            )
        )
    );
    for (path, form, code, message) in [
        (base.to_owned(), "Body=Hi", 21_201, "To is required"),
        (
            base.to_owned(),
            "To=%2B15550001111&Body=Hi",
            21_211,
            "To must be a WhatsApp address (whatsapp:+E164): \"+15550001111\"",
        ),
        (
            base.to_owned(),
            "To=whatsapp%3A%2B15550001111",
            20_001,
            "Body is required",
        ),
        (
            format!("{base}/wamid.REQ"),
            "Reply=ignore",
            20_001,
            "Reply is not valid: \"ignore\". Use accept, accept-permanent or reject",
        ),
        (format!("{base}/wamid.REQ"), "", 20_001, "Reply is required"),
    ] {
        assert_eq!(
            rig.post(&path, form).await,
            bad_request(code, message),
            "{form}"
        );
    }
    assert_eq!(
        rig.post(&format!("{base}/wamid.NOPE"), "Reply=accept")
            .await,
        (
            StatusCode::NOT_FOUND,
            error(20404, 404, "no such message of this WhatsApp user")
        )
    );
    let (status, _) = rig
        .post(
            "/sim/v1/WhatsAppUsers/%2B15550009999/Messages/wamid.REQ",
            "Reply=accept",
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn without_a_simulator_every_route_is_404() {
    let rig = rig_with(None).await;
    let expected = error(
        20404,
        404,
        "the WhatsApp simulator is not running (whatsapp.mode = meta)",
    );
    for (method, path) in [
        (Method::GET, "/sim/v1/WhatsAppUsers"),
        (Method::POST, "/sim/v1/WhatsAppUsers"),
        (Method::GET, "/sim/v1/WhatsAppUsers/%2B15550002222"),
        (Method::DELETE, "/sim/v1/WhatsAppUsers/%2B15550002222"),
        (Method::GET, "/sim/v1/WhatsAppUsers/%2B15550002222/Calls"),
        (Method::POST, "/sim/v1/WhatsAppUsers/%2B15550002222/Calls"),
        (Method::GET, "/sim/v1/WhatsAppUsers/%2B15550002222/Messages"),
        (
            Method::POST,
            "/sim/v1/WhatsAppUsers/%2B15550002222/Messages",
        ),
        (
            Method::POST,
            "/sim/v1/WhatsAppUsers/%2B15550002222/Messages/wamid.X",
        ),
    ] {
        let (status, body) = rig.send(method.clone(), path, "Number=%2B1555").await;
        assert_eq!(
            (status, &body),
            (StatusCode::NOT_FOUND, &expected),
            "{method} {path}"
        );
    }
    // Heard.wav does not need the WhatsApp simulator (softphones are simulated in either
    // mode); with no simulated parties at all, a call of the account has nobody who heard it.
    let sid = Sid::new(SidKind::Call, 0x79);
    let call = new_call(
        sid,
        SENDER.to_owned(),
        "client:alice".to_owned(),
        Direction::Inbound,
    );
    rig.store.insert_call(account(), &call, NOW).await.unwrap();
    assert_eq!(
        rig.get(&format!("/sim/v1/Calls/{sid}/Heard.wav")).await,
        (
            StatusCode::NOT_FOUND,
            error(20404, 404, &format!("No simulated party heard call {sid}"))
        )
    );
}

#[tokio::test]
async fn credentials_are_required() {
    let rig = rig_with(Some(Arc::new(FakeSim::default()))).await;
    let (status, body) = rig
        .send_as(Method::GET, "/sim/v1/WhatsAppUsers", "", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], 20003);
}

#[tokio::test]
async fn heard_wav_of_a_call_of_the_account() {
    let sim = Arc::new(FakeSim::default());
    let rig = rig_with(Some(sim.clone())).await;
    let heard_sid = Sid::new(SidKind::Call, 0x77);
    let silent_sid = Sid::new(SidKind::Call, 0x78);
    for (sid, from) in [
        (heard_sid, "whatsapp:+15550002222"),
        (silent_sid, "client:alice"),
    ] {
        let call = new_call(sid, SENDER.to_owned(), from.to_owned(), Direction::Inbound);
        rig.store.insert_call(account(), &call, NOW).await.unwrap();
    }
    let path = format!("/sim/v1/Calls/{heard_sid}/Heard.wav");
    let credentials = account().to_string();
    let response = rig
        .raw(Method::GET, &path, "", Some((&credentials, common::TOKEN)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "audio/x-wav");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(body.len(), 44 + 6);
    assert_eq!(&body[..4], b"RIFF");
    assert_eq!(&body[44..], &[1, 0, 0xfe, 0xff, 3, 0]);
    let asked = sim.heard.lock().unwrap().clone();
    assert_eq!(
        asked,
        vec![(
            account(),
            DialtoneCall {
                sid: heard_sid,
                from: "whatsapp:+15550002222".to_owned(),
                to: SENDER.to_owned(),
                direction: Direction::Inbound,
                created: NOW,
            }
        )]
    );

    // No simulated party on the call.
    let silent = format!("/sim/v1/Calls/{silent_sid}/Heard.wav");
    assert_eq!(
        rig.get(&silent).await,
        (
            StatusCode::NOT_FOUND,
            error(
                20404,
                404,
                &format!("No simulated party heard call {silent_sid}")
            )
        )
    );
    // Unknown, malformed and another account's CallSids name nothing; the simulator is not
    // asked about them.
    let unknown = "/sim/v1/Calls/CA00000000000000000000000000000999/Heard.wav";
    assert_eq!(rig.get(unknown).await, not_found(unknown));
    let malformed = "/sim/v1/Calls/CAxyz/Heard.wav";
    assert_eq!(rig.get(malformed).await, not_found(malformed));
    assert_eq!(
        rig.send_as_other(Method::GET, &path).await,
        not_found(&path)
    );
    assert_eq!(sim.heard.lock().unwrap().len(), 2);
}
