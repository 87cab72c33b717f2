//! The softphone simulator's endpoints.

mod common;

use axum::http::{Method, StatusCode};
use common::{NOW_TEXT, Rig, TOKEN, account, bad_request, error, not_found, path};
use serde_json::{Value, json};

#[tokio::test]
async fn register_list_remove() {
    let rig = Rig::new().await;
    let (status, alice) = rig
        .post(
            "/sim/v1/Clients",
            "Identity=alice&Behavior=answer&AnswerAfter=0.25&HangupAfter=5&Digits=1%23&Audio=tone%3A440",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let ac = account().to_string();
    assert_eq!(
        alice,
        json!({
            "account_sid": ac,
            "answer_after": 0.25,
            "audio": "tone:440",
            "behavior": "answer",
            "digits": "1#",
            "hangup_after": 5.0,
            "identity": "alice",
            "uri": "/sim/v1/Clients/alice",
        })
    );
    let (_, bob) = rig.post("/sim/v1/Clients", "Identity=b%C3%B6b%2F1").await;
    assert_eq!(bob["answer_after"], 1.0);
    assert_eq!(bob["behavior"], "answer");
    assert_eq!(bob["audio"], "silence");
    assert_eq!(bob["hangup_after"], Value::Null);
    assert_eq!(bob["uri"], "/sim/v1/Clients/b%C3%B6b%2F1");

    let (status, list) = rig.get("/sim/v1/Clients").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list,
        json!({"clients": [alice, bob], "uri": "/sim/v1/Clients"})
    );

    // Another account sees its own (none).
    let (_, theirs) = rig.send_as_other(Method::GET, "/sim/v1/Clients").await;
    assert_eq!(theirs["clients"], json!([]));
    assert_eq!(
        rig.send_as_other(Method::DELETE, "/sim/v1/Clients/alice")
            .await,
        not_found("/sim/v1/Clients/alice")
    );

    assert_eq!(
        rig.delete("/sim/v1/Clients/alice").await,
        (StatusCode::NO_CONTENT, Value::Null)
    );
    assert_eq!(
        rig.delete("/sim/v1/Clients/alice").await,
        not_found("/sim/v1/Clients/alice")
    );
    assert_eq!(
        rig.delete("/sim/v1/Clients/b%C3%B6b%2F1").await.0,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn bad_registrations_and_credentials() {
    let rig = Rig::new().await;
    for (form, message) in [
        ("", "Identity is required"),
        (
            "Identity=a+b",
            "Identity is not valid: \"a b\" (1 to 256 characters, no spaces or control characters)",
        ),
        (
            "Identity=a&Behavior=ring",
            "Behavior is not valid: \"ring\". Use answer, busy, reject, no-answer or unreachable",
        ),
        (
            "Identity=a&AnswerAfter=-1",
            "AnswerAfter must be a number of seconds between 0 and 86400: \"-1\"",
        ),
    ] {
        assert_eq!(
            rig.post("/sim/v1/Clients", form).await,
            bad_request(20001, message),
            "{form}"
        );
    }
    let ac = account().to_string();
    let (status, body) = rig
        .send_as(Method::GET, "/sim/v1/Clients", "", Some((&ac, "wrong")))
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, error(20003, 401, "Authenticate"))
    );
    let (status, _) = rig.send_as(Method::GET, "/sim/v1/Clients", "", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An API key of the account works here too.
    let (_, key) = rig.post(&path("/Keys.json"), "").await;
    let (status, _) = rig
        .send_as(
            Method::GET,
            "/sim/v1/Clients",
            "",
            Some((
                key["sid"].as_str().unwrap(),
                key["secret"].as_str().unwrap(),
            )),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let _ = TOKEN;
}

#[tokio::test]
async fn softphone_calls_an_application() {
    let rig = Rig::new().await;
    rig.post("/sim/v1/Clients", "Identity=alice").await;
    let (_, app) = rig
        .post(
            &path("/Applications.json"),
            "VoiceUrl=https%3A%2F%2Fapp.test%2Fv",
        )
        .await;
    let app_sid = app["sid"].as_str().unwrap().to_owned();
    let (status, call) = rig
        .post(
            "/sim/v1/Clients/alice/Calls",
            &format!("ApplicationSid={app_sid}&To=client%3Abob&Lang=en&Lang=fr"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(call["direction"], "inbound");
    assert_eq!(call["from"], "client:alice");
    assert_eq!(call["to"], "client:bob");
    assert_eq!(call["date_created"], NOW_TEXT);
    {
        let recorded = rig.control.recorded.lock().unwrap();
        let request = &recorded.softphone_calls[0];
        assert_eq!(request.identity, "alice");
        assert_eq!(request.application.sid.to_string(), app_sid);
        assert_eq!(request.to.as_deref(), Some("client:bob"));
        assert_eq!(
            request.params,
            [
                ("Lang".to_owned(), "en".to_owned()),
                ("Lang".to_owned(), "fr".to_owned())
            ]
        );
    }
    // Unregistered softphone: 20404. Bad application: 21218.
    assert_eq!(
        rig.post(
            "/sim/v1/Clients/carol/Calls",
            &format!("ApplicationSid={app_sid}"),
        )
        .await,
        not_found("/sim/v1/Clients/carol/Calls")
    );
    for form in [
        "",
        "ApplicationSid=APx",
        "ApplicationSid=AP000000000000000000000000000000ff",
    ] {
        let (status, body) = rig.post("/sim/v1/Clients/alice/Calls", form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form}");
        assert_eq!(body["code"], 21218, "{form}");
    }
    let (_, no_url) = rig
        .post(&path("/Applications.json"), "FriendlyName=empty")
        .await;
    let (status, body) = rig
        .post(
            "/sim/v1/Clients/alice/Calls",
            &format!("ApplicationSid={}", no_url["sid"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 21218);
}

/// A softphone's `To` is free text: the API hands it on as sent (an empty `To=` as empty,
/// none as none) with every other parameter, empty values and `To`-like names included, and
/// the Call resource shows it, fetched and listed.
#[tokio::test]
async fn softphone_to_is_free_text() {
    let rig = Rig::new().await;
    rig.post("/sim/v1/Clients", "Identity=alice").await;
    let (_, app) = rig
        .post(
            &path("/Applications.json"),
            "VoiceUrl=https%3A%2F%2Fapp.test%2Fv",
        )
        .await;
    let app_sid = app["sid"].as_str().unwrap().to_owned();
    let custom = "&to=lower&ToCity=&Empty=&Called=x&Lang=en&Lang=fr";
    let cases: [(&str, Option<&str>, &str); 5] = [
        ("&To=support", Some("support"), "support"),
        ("&To=queue-7", Some("queue-7"), "queue-7"),
        ("&To=%2B15557654321", Some("+15557654321"), "(555) 765-4321"),
        ("&To=", Some(""), ""),
        ("", None, ""),
    ];
    for (i, (to_form, sent, formatted)) in cases.into_iter().enumerate() {
        let want = sent.unwrap_or_default();
        let (status, call) = rig
            .post(
                "/sim/v1/Clients/alice/Calls",
                &format!("ApplicationSid={app_sid}{to_form}{custom}"),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{to_form}: {call}");
        assert_eq!(call["to"], want, "{to_form}");
        assert_eq!(call["to_formatted"], formatted, "{to_form}");
        assert_eq!(call["from"], "client:alice");
        {
            let recorded = rig.control.recorded.lock().unwrap();
            let request = &recorded.softphone_calls[i];
            assert_eq!(request.to.as_deref(), sent, "{to_form}");
            let pairs: Vec<(&str, &str)> = request
                .params
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            assert_eq!(
                pairs,
                [
                    ("to", "lower"),
                    ("ToCity", ""),
                    ("Empty", ""),
                    ("Called", "x"),
                    ("Lang", "en"),
                    ("Lang", "fr")
                ],
                "{to_form}"
            );
        }
        let sid = call["sid"].as_str().unwrap();
        let (status, fetched) = rig.get(&path(&format!("/Calls/{sid}.json"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (&fetched["to"], &fetched["to_formatted"]),
            (&json!(want), &json!(formatted)),
            "{to_form}"
        );
        if !want.is_empty() {
            let query: String = url::form_urlencoded::byte_serialize(want.as_bytes()).collect();
            let (status, listed) = rig.get(&path(&format!("/Calls.json?To={query}"))).await;
            assert_eq!(status, StatusCode::OK);
            let calls = listed["calls"].as_array().unwrap();
            assert_eq!(calls.len(), 1, "{to_form}: {listed}");
            assert_eq!(calls[0]["sid"], sid);
        }
    }
}
