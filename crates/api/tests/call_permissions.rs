//! A sender's known call permissions (`GET /v2/Channels/Senders/{XE}/CallPermissions`): each
//! stored answer as the API shows it at the clock's time — a temporary permission reads
//! `expired` once its expiration passed — scoped to the sender's account.

mod common;

use axum::http::{Method, StatusCode};
use common::{NOW, Rig, account};
use dialtone_store::{CallPermission, NewSender, SenderWebhook};
use dialtone_types::{Sid, SidKind, UnixMillis};
use serde_json::Value;

const DAY_MS: u64 = 24 * 3600 * 1000;

fn sender() -> Sid {
    Sid::new(SidKind::Sender, 7)
}

fn permission(user: &str, status: &str, expires_at: Option<UnixMillis>) -> CallPermission {
    CallPermission {
        phone_number_id: "pn7".to_owned(),
        user_wa_id: user.to_owned(),
        account_sid: account(),
        status: status.to_owned(),
        expires_at,
        response_source: Some("user_action".to_owned()),
        request_message_sid: Some(Sid::new(SidKind::Message, 9)),
        date_created: NOW,
        date_updated: NOW,
    }
}

async fn rig_with_permissions() -> Rig {
    let rig = Rig::new().await;
    rig.store
        .create_sender(
            account(),
            sender(),
            &NewSender {
                sender_id: "whatsapp:+15550000007".to_owned(),
                friendly_name: None,
                status: "ONLINE".to_owned(),
                waba_id: None,
                voice_application_sid: None,
                phone_number_id: "pn7".to_owned(),
                webhook: SenderWebhook::default(),
            },
            NOW,
        )
        .await
        .unwrap();
    let week_ago = UnixMillis(NOW.0 - 7 * DAY_MS);
    for p in [
        // Granted a week and a second ago: its seven days ended a second ago.
        permission("15551110001", "temporary", Some(UnixMillis(NOW.0 - 1000))),
        // Granted yesterday: six days left.
        permission(
            "15551110002",
            "temporary",
            Some(UnixMillis(NOW.0 + 6 * DAY_MS)),
        ),
        // Ends exactly now: no longer valid.
        permission("15551110003", "temporary", Some(NOW)),
        permission("15551110004", "permanent", None),
        permission("15551110005", "rejected", None),
    ] {
        rig.store.put_call_permission(&p, week_ago).await.unwrap();
    }
    rig
}

fn statuses(body: &Value) -> Vec<(String, String, Option<String>)> {
    let mut rows: Vec<_> = body["call_permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["wa_id"].as_str().unwrap().to_owned(),
                p["status"].as_str().unwrap().to_owned(),
                p["expiration"].as_str().map(str::to_owned),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn a_temporary_permission_reads_expired_once_its_expiration_passed() {
    let rig = rig_with_permissions().await;
    let (status, body) = rig
        .get(&format!(
            "/v2/Channels/Senders/{}/CallPermissions",
            sender()
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let iso = |t: UnixMillis| Some(t.iso8601().to_string());
    assert_eq!(
        statuses(&body),
        [
            (
                "15551110001".into(),
                "expired".into(),
                iso(UnixMillis(NOW.0 - 1000))
            ),
            (
                "15551110002".into(),
                "temporary".into(),
                iso(UnixMillis(NOW.0 + 6 * DAY_MS))
            ),
            ("15551110003".into(), "expired".into(), iso(NOW)),
            ("15551110004".into(), "permanent".into(), None),
            ("15551110005".into(), "rejected".into(), None),
        ]
    );
    let first = &body["call_permissions"][0];
    assert_eq!(first["response_source"], "user_action");
    assert_eq!(
        first["request_message_sid"],
        Sid::new(SidKind::Message, 9).to_string()
    );
    assert_eq!(
        first["user"].as_str().unwrap(),
        format!("whatsapp:+{}", first["wa_id"].as_str().unwrap())
    );
}

#[tokio::test]
async fn another_accounts_sender_is_not_found() {
    let rig = rig_with_permissions().await;
    let path = format!("/v2/Channels/Senders/{}/CallPermissions", sender());
    let (status, body) = rig.send_as_other(Method::GET, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], 20404);
    let (status, body) = rig
        .get("/v2/Channels/Senders/XE00000000000000000000000000000099/CallPermissions")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["code"], 20404);
    let (status, body) = rig
        .get("/v2/Channels/Senders/nonsense/CallPermissions")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
