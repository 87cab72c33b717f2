//! WhatsApp senders (`/v2/Channels/Senders`, JSON): lifecycle, the v2 list envelope, bad
//! input, isolation, and what the engine is told about voice-enabled senders.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine as _;
use common::{OTHER_TOKEN, Rig, TOKEN, account, error, other_account, path};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const APP: &str = "AP00000000000000000000000000000001";
const XE: &str = "XE00000000000000000000000000000002";
const BASE: &str = "http://dialtone.test/v2/Channels/Senders";

/// A JSON request as twilio-python's `messaging.v2` sends it, with `Host: dialtone.test`.
async fn send(
    rig: &Rig,
    method: Method,
    uri: &str,
    body: Option<Value>,
    credentials: (&str, &str),
) -> (StatusCode, Value) {
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", credentials.0, credentials.1));
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "dialtone.test")
        .header(header::ACCEPT, "application/json")
        .header(header::AUTHORIZATION, format!("Basic {auth}"));
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    let response = rig
        .app
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, json)
}

async fn as_account(
    rig: &Rig,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    send(rig, method, uri, body, (&account().to_string(), TOKEN)).await
}

async fn with_application(rig: &Rig) {
    let (status, _) = rig
        .post(
            &path("/Applications.json"),
            "FriendlyName=Voice&VoiceUrl=https%3A%2F%2Fapp.test%2Fvoice",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

fn sender(voice: &Value, friendly_name: &Value, phone_number_id: &str) -> Value {
    json!({
        "sid": XE,
        "status": "ONLINE",
        "sender_id": "whatsapp:+15550001111",
        "friendly_name": friendly_name,
        "configuration": {
            "waba_id": "1234567890",
            "verification_method": null,
            "verification_code": null,
            "voice_application_sid": voice,
            "phone_number_id": phone_number_id,
        },
        // Stored as created (`callback_url` only): where users' answers are posted.
        "webhook": {
            "callback_url": "https://app.test/wa",
            "callback_method": "POST",
            "fallback_url": null,
            "fallback_method": null,
            "status_callback_url": null,
            "status_callback_method": null,
        },
        "profile": null,
        "properties": null,
        "offline_reasons": null,
        "compliance": null,
        "url": format!("{BASE}/{XE}"),
    })
}

#[tokio::test]
async fn sender_lifecycle_and_engine_updates() {
    let rig = Rig::new().await;
    with_application(&rig).await;
    let (status, created) = as_account(
        &rig,
        Method::POST,
        "/v2/Channels/Senders",
        Some(json!({
            "sender_id": "whatsapp:+15550001111",
            "configuration": {"waba_id": "1234567890", "voice_application_sid": APP},
            "webhook": {"callback_url": "https://app.test/wa"},
            "profile": {"name": "Acme"},
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // phone_number_id: assigned from the third draw of the counting entropy.
    let expected = sender(&json!(APP), &Value::Null, "100000000000003");
    assert_eq!(created, expected);

    let (status, fetched) = as_account(
        &rig,
        Method::GET,
        &format!("/v2/Channels/Senders/{XE}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched, expected);

    let (status, listed) = as_account(
        &rig,
        Method::GET,
        "/v2/Channels/Senders?Channel=whatsapp&PageSize=20",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        listed,
        json!({
            "senders": [expected],
            "meta": {
                "page": 0,
                "page_size": 20,
                "first_page_url": format!("{BASE}?Channel=whatsapp&PageSize=20&Page=0"),
                "previous_page_url": null,
                "url": format!("{BASE}?Channel=whatsapp&PageSize=20&Page=0"),
                "next_page_url": null,
                "key": "senders",
            },
        })
    );
    let (_, rcs) = as_account(&rig, Method::GET, "/v2/Channels/Senders?Channel=rcs", None).await;
    assert_eq!(rcs["senders"], json!([]));

    // Update as twilio-python sends it: `null` keeps a field (waba_id), `""` clears one (the
    // voice application).
    let (status, updated) = as_account(
        &rig,
        Method::POST,
        &format!("/v2/Channels/Senders/{XE}"),
        Some(json!({
            "friendly_name": "Support line",
            "configuration": {
                "waba_id": null,
                "voice_application_sid": "",
                "phone_number_id": "106540352242922",
            },
            "webhook": null,
            "profile": null,
        })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        updated,
        sender(&Value::Null, &json!("Support line"), "106540352242922")
    );

    let (status, body) = as_account(
        &rig,
        Method::DELETE,
        &format!("/v2/Channels/Senders/{XE}"),
        None,
    )
    .await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let missing = format!("/v2/Channels/Senders/{XE}");
    let (status, body) = as_account(&rig, Method::GET, &missing, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        error(
            20404,
            404,
            &format!("The requested resource {missing} was not found")
        )
    );

    // The engine heard the voice-enabled set after each change.
    let ac = account();
    assert_eq!(
        rig.control.recorded.lock().unwrap().senders,
        vec![
            (ac, vec!["+15550001111".to_owned()]),
            (ac, vec![]),
            (ac, vec![]),
        ]
    );
}

#[tokio::test]
async fn deleting_the_voice_application_detaches_its_senders() {
    let rig = Rig::new().await;
    with_application(&rig).await;
    let (status, _) = as_account(
        &rig,
        Method::POST,
        "/v2/Channels/Senders",
        Some(json!({
            "sender_id": "whatsapp:+15550001111",
            "configuration": {"waba_id": "1234567890", "voice_application_sid": APP},
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = rig
        .delete(&path(&format!("/Applications/{APP}.json")))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, fetched) = as_account(
        &rig,
        Method::GET,
        &format!("/v2/Channels/Senders/{XE}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        fetched["configuration"]["voice_application_sid"],
        Value::Null
    );
    // The engine no longer accepts the sender as a callerId.
    let ac = account();
    assert_eq!(
        rig.control.recorded.lock().unwrap().senders,
        vec![(ac, vec!["+15550001111".to_owned()]), (ac, vec![])]
    );
}

#[tokio::test]
async fn bad_senders_are_refused() {
    let rig = Rig::new().await;
    with_application(&rig).await;
    let create = |body: Value| {
        let rig = &rig;
        async move { as_account(rig, Method::POST, "/v2/Channels/Senders", Some(body)).await }
    };
    for (bad, message) in [
        (json!({}), "Missing required parameter sender_id"),
        (
            json!({"sender_id": "+15550001111"}),
            "Invalid sender_id \"+15550001111\": expected whatsapp: followed by an E.164 number",
        ),
        (
            json!({"sender_id": "whatsapp:15550001111"}),
            "Invalid sender_id \"whatsapp:15550001111\": expected whatsapp: followed by an E.164 number",
        ),
        (
            json!({"sender_id": 15_550_001_111_u64}),
            "sender_id must be a string",
        ),
        (
            json!({"sender_id": "whatsapp:+15550001111", "configuration": {"phone_number_id": "12a"}}),
            "Invalid phone_number_id \"12a\": it must be a decimal id",
        ),
        (json!([1]), "The request body must be a JSON object"),
    ] {
        assert_eq!(
            create(bad.clone()).await,
            (StatusCode::BAD_REQUEST, error(20001, 400, message)),
            "{bad}"
        );
    }
    assert_eq!(
        create(json!({"sender_id": "whatsapp:+15550001111",
                      "configuration": {"voice_application_sid": "AP00000000000000000000000000000009"}}))
        .await,
        (
            StatusCode::BAD_REQUEST,
            error(
                21218,
                400,
                "Application AP00000000000000000000000000000009 not found for this account"
            )
        )
    );

    let (status, _) = create(json!({"sender_id": "whatsapp:+15550001111"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        create(json!({"sender_id": "whatsapp:+15550001111"})).await,
        (
            StatusCode::CONFLICT,
            error(
                60231,
                409,
                "Sender whatsapp:+15550001111 already exists for this account"
            )
        )
    );
}

#[tokio::test]
async fn another_accounts_sender_is_not_found() {
    let rig = Rig::new().await;
    let (status, created) = as_account(
        &rig,
        Method::POST,
        "/v2/Channels/Senders",
        Some(json!({"sender_id": "whatsapp:+15550001111"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let uri = format!("/v2/Channels/Senders/{}", created["sid"].as_str().unwrap());
    let other = other_account().to_string();
    let not_found = (
        StatusCode::NOT_FOUND,
        error(
            20404,
            404,
            &format!("The requested resource {uri} was not found"),
        ),
    );
    for method in [Method::GET, Method::DELETE] {
        assert_eq!(
            send(&rig, method, &uri, None, (&other, OTHER_TOKEN)).await,
            not_found
        );
    }
    assert_eq!(
        send(
            &rig,
            Method::POST,
            &uri,
            Some(json!({"friendly_name": "x"})),
            (&other, OTHER_TOKEN)
        )
        .await,
        not_found
    );
    let (_, listed) = send(
        &rig,
        Method::GET,
        "/v2/Channels/Senders",
        None,
        (&other, OTHER_TOKEN),
    )
    .await;
    assert_eq!(listed["senders"], json!([]));
    // The same number is a separate sender in another account.
    let (status, _) = send(
        &rig,
        Method::POST,
        "/v2/Channels/Senders",
        Some(json!({"sender_id": "whatsapp:+15550001111"})),
        (&other, OTHER_TOKEN),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // No credentials: 401.
    let (status, _) = send(&rig, Method::GET, "/v2/Channels/Senders", None, ("", "")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
