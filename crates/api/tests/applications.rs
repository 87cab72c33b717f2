//! Applications: create, fetch, list, update, delete, validation and isolation.

mod common;

use axum::http::{Method, StatusCode};
use common::{NOW_TEXT, OTHER_TOKEN, Rig, account, error, other_account, path};
use serde_json::json;

const APP: &str = "AP00000000000000000000000000000001";

#[tokio::test]
async fn application_lifecycle() {
    let rig = Rig::new().await;
    let (status, created) = rig
        .post(
            &path("/Applications.json"),
            "FriendlyName=Support&VoiceUrl=https%3A%2F%2Fapp.test%2Fvoice&VoiceMethod=get\
             &StatusCallback=https%3A%2F%2Fapp.test%2Fstatus&SmsUrl=https%3A%2F%2Fignored.test",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let ac = account().to_string();
    assert_eq!(
        created,
        json!({
            "account_sid": ac,
            "api_version": "2010-04-01",
            "date_created": NOW_TEXT,
            "date_updated": NOW_TEXT,
            "friendly_name": "Support",
            "message_status_callback": null,
            "public_application_connect_enabled": false,
            "sid": APP,
            "sms_fallback_method": "POST",
            "sms_fallback_url": null,
            "sms_method": "POST",
            "sms_status_callback": null,
            "sms_url": null,
            "status_callback": "https://app.test/status",
            "status_callback_method": "POST",
            "uri": format!("/2010-04-01/Accounts/{ac}/Applications/{APP}.json"),
            "voice_caller_id_lookup": false,
            "voice_fallback_method": "POST",
            "voice_fallback_url": null,
            "voice_method": "GET",
            "voice_url": "https://app.test/voice",
        })
    );
    let app_path = path(&format!("/Applications/{APP}.json"));
    assert_eq!(rig.get(&app_path).await, (StatusCode::OK, created.clone()));

    let (status, updated) = rig
        .post(
            &app_path,
            "VoiceFallbackUrl=https%3A%2F%2Fapp.test%2Ffallback&StatusCallback=&FriendlyName=Sales",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["voice_fallback_url"], "https://app.test/fallback");
    assert_eq!(updated["status_callback"], serde_json::Value::Null);
    assert_eq!(updated["friendly_name"], "Sales");
    assert_eq!(updated["voice_url"], "https://app.test/voice");

    let (status, list) = rig
        .get(&path("/Applications.json?FriendlyName=Sales"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["applications"], json!([updated]));
    assert_eq!(
        list["uri"],
        path("/Applications.json?FriendlyName=Sales&PageSize=50&Page=0")
    );
    let (_, none) = rig.get(&path("/Applications.json?FriendlyName=Nope")).await;
    assert_eq!(none["applications"], json!([]));

    assert_eq!(
        rig.delete(&app_path).await,
        (StatusCode::NO_CONTENT, serde_json::Value::Null)
    );
    let (status, body) = rig.get(&app_path).await;
    assert_eq!(
        (status, body),
        (
            StatusCode::NOT_FOUND,
            error(
                20404,
                404,
                &format!("The requested resource {app_path} was not found")
            )
        )
    );
    let (status, _) = rig.delete(&app_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn application_urls_are_kept_as_given() {
    let rig = Rig::new().await;
    // VoiceUrl=https://app.test/voice?name=William+O'hara&s=%20&t=~#rc=2 (form-encoded).
    let given = "https://app.test/voice?name=William+O'hara&s=%20&t=~#rc=2";
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("VoiceUrl", given)
        .append_pair("StatusCallback", "HTTPS://App.Test/cb?")
        .finish();
    let (status, created) = rig.post(&path("/Applications.json"), &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["voice_url"], given);
    assert_eq!(created["status_callback"], "HTTPS://App.Test/cb?");
    let (_, fetched) = rig.get(&path(&format!("/Applications/{APP}.json"))).await;
    assert_eq!(fetched["voice_url"], given);
}

#[tokio::test]
async fn application_validation() {
    let rig = Rig::new().await;
    let (status, body) = rig
        .post(
            &path("/Applications.json"),
            "StatusCallback=https%3A%2F%2Fmy_app.example.com%2Fcb",
        )
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error(
                21205,
                400,
                "StatusCallback is not a valid URL: https://my_app.example.com/cb. \
                 Non-relative URLs must contain a valid hostname. Underscores aren't permitted."
            )
        )
    );
    let (status, body) = rig
        .post(&path("/Applications.json"), "VoiceUrl=not-a-url")
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error(21205, 400, "VoiceUrl is not a valid URL: not-a-url")
        )
    );
    let (status, body) = rig
        .post(&path("/Applications.json"), "VoiceMethod=PUT")
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error(
                21209,
                400,
                "VoiceMethod is not valid: \"PUT\". Use GET or POST"
            )
        )
    );
    let long = "x".repeat(65);
    let (status, body) = rig
        .post(&path("/Applications.json"), &format!("FriendlyName={long}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 20001);
    // PostgreSQL cannot store NUL: both backends refuse it with a client error, not a 500.
    let (status, body) = rig
        .post(&path("/Applications.json"), "FriendlyName=a%00b")
        .await;
    assert_eq!(
        (status, body),
        (
            StatusCode::BAD_REQUEST,
            error(20001, 400, "FriendlyName contains a NUL character")
        )
    );
}

#[tokio::test]
async fn another_accounts_application_is_not_found() {
    let rig = Rig::new().await;
    let (_, created) = rig
        .post(&path("/Applications.json"), "FriendlyName=a")
        .await;
    let sid = created["sid"].as_str().unwrap();
    let other = format!(
        "/2010-04-01/Accounts/{}/Applications/{sid}.json",
        other_account()
    );
    let creds = Some((other_account().to_string(), OTHER_TOKEN));
    let creds = creds.as_ref().map(|(u, p)| (u.as_str(), *p));
    for method in [Method::GET, Method::POST, Method::DELETE] {
        let (status, body) = rig.send_as(method.clone(), &other, "", creds).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(
            body,
            error(
                20404,
                404,
                &format!("The requested resource {other} was not found")
            )
        );
    }
    let list = format!("/2010-04-01/Accounts/{}/Applications.json", other_account());
    let (_, body) = rig.send_as(Method::GET, &list, "", creds).await;
    assert_eq!(body["applications"], json!([]));
    // Still there for its owner.
    let (status, _) = rig.get(&path(&format!("/Applications/{sid}.json"))).await;
    assert_eq!(status, StatusCode::OK);
}
