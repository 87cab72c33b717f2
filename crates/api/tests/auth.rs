//! Authentication, account isolation and the errors every route shares (404, 405, 413,
//! malformed input).

mod common;

use axum::http::{Method, StatusCode, header};
use common::{OTHER_TOKEN, Rig, TOKEN, account, error, other_account, path};
use dialtone_api::Limits;
use serde_json::json;

fn authenticate() -> serde_json::Value {
    error(20003, 401, "Authenticate")
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_401_with_www_authenticate() {
    let rig = Rig::new().await;
    let url = path(".json");
    let ac = account().to_string();
    for credentials in [
        None,
        Some((ac.as_str(), "wrong")),
        Some((ac.as_str(), "")),
        Some(("nobody", TOKEN)),
        Some(("SK00000000000000000000000000000001", "secret")),
        Some(("CA000000000000000000000000000000a1", TOKEN)),
    ] {
        let response = rig.raw(Method::GET, &url, "", credentials).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{credentials:?}"
        );
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Basic realm=\"Twilio API\""
        );
        let (status, body) = rig.send_as(Method::GET, &url, "", credentials).await;
        assert_eq!((status, body), (StatusCode::UNAUTHORIZED, authenticate()));
    }
}

#[tokio::test]
async fn another_accounts_path_is_401_even_with_valid_credentials() {
    let rig = Rig::new().await;
    let other = format!("/2010-04-01/Accounts/{}/Calls.json", other_account());
    let (status, body) = rig.get(&other).await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, authenticate()));
    // The other account's own credentials work on its own path.
    let (status, _) = rig
        .send_as(
            Method::GET,
            &other,
            "",
            Some((&other_account().to_string(), OTHER_TOKEN)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // A malformed account segment is an authentication failure too.
    let (status, body) = rig.get("/2010-04-01/Accounts/ACnope/Calls.json").await;
    assert_eq!((status, body), (StatusCode::UNAUTHORIZED, authenticate()));
}

#[tokio::test]
async fn account_fetch() {
    let rig = Rig::new().await;
    let (status, body) = rig.get(&path(".json")).await;
    assert_eq!(status, StatusCode::OK);
    let ac = account().to_string();
    let base = format!("/2010-04-01/Accounts/{ac}");
    assert_eq!(
        body,
        json!({
            "auth_token": TOKEN,
            "date_created": common::NOW_TEXT,
            "date_updated": common::NOW_TEXT,
            "friendly_name": "My first Twilio account",
            "owner_account_sid": ac,
            "sid": ac,
            "status": "active",
            "subresource_uris": {
                "applications": format!("{base}/Applications.json"),
                "calls": format!("{base}/Calls.json"),
                "keys": format!("{base}/Keys.json"),
            },
            "type": "Full",
            "uri": format!("{base}.json"),
        })
    );
    // Without the .json suffix there is no such resource.
    let (status, body) = rig.get(&path("")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        body,
        error(
            20404,
            404,
            &format!("The requested resource {} was not found", path(""))
        )
    );
}

#[tokio::test]
async fn api_keys_authenticate_but_cannot_manage_keys() {
    let rig = Rig::new().await;
    let (status, key) = rig.post(&path("/Keys.json"), "FriendlyName=ci").await;
    assert_eq!(status, StatusCode::CREATED);
    let sid = key["sid"].as_str().unwrap().to_owned();
    let secret = key["secret"].as_str().unwrap().to_owned();
    assert_eq!(sid, "SK00000000000000000000000000000001");
    assert_eq!(secret, "00000000000000000000000000000002");

    let (status, _) = rig
        .send_as(Method::GET, &path("/Calls.json"), "", Some((&sid, &secret)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = rig
        .send_as(Method::GET, &path("/Calls.json"), "", Some((&sid, "wrong")))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The key belongs to account(): it does not open the other account.
    let other = format!("/2010-04-01/Accounts/{}/Calls.json", other_account());
    let (status, _) = rig
        .send_as(Method::GET, &other, "", Some((&sid, &secret)))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Keys and the account (which shows the auth token) need the auth token.
    for (method, p) in [
        (Method::GET, path("/Keys.json")),
        (Method::POST, path("/Keys.json")),
        (Method::GET, path(".json")),
        (Method::DELETE, path(&format!("/Keys/{sid}.json"))),
    ] {
        let (status, body) = rig.send_as(method, &p, "", Some((&sid, &secret))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
        assert_eq!(
            body,
            error(
                20003,
                403,
                "API keys cannot manage API keys or read the account; use the auth token"
            )
        );
    }
}

#[tokio::test]
async fn key_lifecycle() {
    let rig = Rig::new().await;
    let (status, created) = rig.post(&path("/Keys.json"), "FriendlyName=ci").await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        created,
        json!({
            "date_created": common::NOW_TEXT,
            "date_updated": common::NOW_TEXT,
            "friendly_name": "ci",
            "secret": "00000000000000000000000000000002",
            "sid": "SK00000000000000000000000000000001",
        })
    );
    let key_path = path("/Keys/SK00000000000000000000000000000001.json");
    let (status, fetched) = rig.get(&key_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched.get("secret"), None, "the secret is shown once");
    let (_, renamed) = rig.post(&key_path, "FriendlyName=prod").await;
    assert_eq!(renamed["friendly_name"], "prod");
    let (status, list) = rig.get(&path("/Keys.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["keys"].as_array().unwrap().len(), 1);
    assert_eq!(list["keys"][0]["friendly_name"], "prod");
    let (status, body) = rig.delete(&key_path).await;
    assert_eq!(
        (status, body),
        (StatusCode::NO_CONTENT, serde_json::Value::Null)
    );
    let (status, body) = rig.get(&key_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], 20404);
    // A deleted key stops authenticating at once.
    let (status, _) = rig
        .send_as(
            Method::GET,
            &path("/Calls.json"),
            "",
            Some((
                "SK00000000000000000000000000000001",
                "00000000000000000000000000000002",
            )),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let rig = Rig::new().await;
    let (status, body) = rig.get("/nope").await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            error(20404, 404, "The requested resource /nope was not found")
        )
    );
    let (status, body) = rig.send(Method::PUT, &path("/Calls.json"), "").await;
    assert_eq!(
        (status, body),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            error(20004, 405, "Method not allowed")
        )
    );
    let (status, body) = rig.send(Method::DELETE, &path("/Calls.json"), "").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], 20004);
}

#[tokio::test]
async fn invalid_sids_in_paths_are_404() {
    let rig = Rig::new().await;
    for rest in [
        "/Calls/CAnot-a-sid.json",
        "/Calls/AP00000000000000000000000000000001.json",
        "/Calls/CA00000000000000000000000000000001",
        "/Calls/CA00000000000000000000000000000001.xml",
        "/Calls/%FF%FE.json",
        "/Applications/x.json",
        "/Keys/SKzz.json",
        "/Calls/CAzz/Events.json",
        "/Calls/CA00000000000000000000000000000001/Notifications/NOzz.json",
    ] {
        let p = path(rest);
        let (status, body) = rig.get(&p).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
        assert_eq!(body["code"], 20404, "{p}");
        assert_eq!(body["status"], 404, "{p}");
    }
}

#[tokio::test]
async fn huge_bodies_are_413_with_twilio_body() {
    let rig = Rig::new().await.with_limits(Limits {
        max_body_bytes: 1024,
        ..Limits::default()
    });
    let form = format!(
        "To=client%3Aalice&From=client%3Azed&Twiml={}",
        "a".repeat(4096)
    );
    let (status, body) = rig.post(&path("/Calls.json"), &form).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        json!({
            "code": 413,
            "message": "Request body too large: the limit is 1024 bytes",
            "more_info": "https://www.twilio.com/docs/usage/twilios-response",
            "status": 413,
        })
    );
}

#[tokio::test]
async fn malformed_forms_are_not_500() {
    let rig = Rig::new().await;
    for form in [
        "%",
        "&&&=",
        "To",
        "To=%ZZ&From=%",
        "\u{0}\u{1}",
        "{\"To\": \"x\"}",
    ] {
        let (status, body) = rig.post(&path("/Calls.json"), form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{form:?}");
        assert!(
            [21201, 21211, 21213, 21212].contains(&body["code"].as_u64().unwrap()),
            "{form:?}: {body}"
        );
    }
}

#[tokio::test]
async fn healthz_needs_no_credentials() {
    let rig = Rig::new().await;
    let (status, body) = rig.send_as(Method::GET, "/healthz", "", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
}

#[tokio::test]
async fn slow_requests_time_out_with_twilio_body() {
    let rig = Rig::new().await.with_limits(Limits {
        request_timeout: std::time::Duration::from_millis(50),
        ..Limits::default()
    });
    *rig.control.create_delay.lock().unwrap() = Some(std::time::Duration::from_secs(5));
    let (status, body) = rig
        .post(
            &path("/Calls.json"),
            "To=client%3Aa&From=client%3Ab&Url=https%3A%2F%2Fa.test",
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            error(20503, 503, "The request took too long; try again")
        )
    );
}
