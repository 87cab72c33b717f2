//! `/webhooks/whatsapp`: Meta's subscription check and signed POSTs, through a fake
//! connector port that records what reached it.

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use dialtone_api::{ApiState, WebhookRejection, WhatsAppWebhooks};
use http_body_util::BodyExt;
use tower::ServiceExt;

use common::{Counter, FakeControl, FixedClock};

const GOOD: &str = "sha256=good";

/// Accepts `GOOD` on JSON bodies; records every POST it was given.
#[derive(Default)]
struct FakePort {
    posts: Mutex<Vec<(Vec<u8>, Option<String>)>>,
}

impl WhatsAppWebhooks for FakePort {
    fn verify_subscription(
        &self,
        mode: Option<&str>,
        verify_token: Option<&str>,
        challenge: Option<&str>,
    ) -> Option<String> {
        (mode == Some("subscribe") && verify_token == Some("t0ken"))
            .then(|| challenge.unwrap_or_default().to_owned())
    }

    fn notify(&self, body: &[u8], signature: Option<&str>) -> Result<(), WebhookRejection> {
        self.posts
            .lock()
            .unwrap()
            .push((body.to_vec(), signature.map(str::to_owned)));
        match signature {
            None => Err(WebhookRejection::Unsigned),
            Some(GOOD) if body.starts_with(b"{") => Ok(()),
            Some(GOOD) => Err(WebhookRejection::Malformed),
            Some(_) => Err(WebhookRejection::BadSignature),
        }
    }
}

async fn app(port: Option<Arc<FakePort>>) -> axum::Router {
    let store = dialtone_store::Store::open_sqlite_memory().await.unwrap();
    let mut state = ApiState::new(
        store.clone(),
        Arc::new(FakeControl::new(store)),
        Arc::new(FixedClock),
        Arc::new(Counter::default()),
    );
    if let Some(port) = port {
        state = state.with_whatsapp_webhooks(port);
    }
    dialtone_api::router(state)
}

async fn call(
    app: &axum::Router,
    method: Method,
    uri: &str,
    signature: Option<&str>,
    body: &str,
) -> (StatusCode, Option<String>, String) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(signature) = signature {
        request = request.header("X-Hub-Signature-256", signature);
    }
    let request = request
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).unwrap(),
    )
}

#[tokio::test]
async fn subscription_check_echoes_the_challenge_or_refuses() {
    let app = app(Some(Arc::new(FakePort::default()))).await;
    let ok = call(
        &app,
        Method::GET,
        "/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=t0ken",
        None,
        "",
    )
    .await;
    assert_eq!(
        ok,
        (
            StatusCode::OK,
            Some("text/plain; charset=utf-8".to_owned()),
            "1158201444".to_owned()
        )
    );
    let wrong = call(
        &app,
        Method::GET,
        "/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope",
        None,
        "",
    )
    .await;
    assert_eq!(wrong.0, StatusCode::FORBIDDEN);
    assert_eq!(wrong.2, "Forbidden\n");
    let none = call(&app, Method::GET, "/webhooks/whatsapp", None, "").await;
    assert_eq!(none.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn posts_need_a_signature_and_no_basic_auth() {
    let port = Arc::new(FakePort::default());
    let app = app(Some(port.clone())).await;
    let body = r#"{"object":"whatsapp_business_account","entry":[]}"#;
    assert_eq!(
        call(&app, Method::POST, "/webhooks/whatsapp", Some(GOOD), body).await,
        (
            StatusCode::OK,
            Some("text/plain; charset=utf-8".to_owned()),
            "OK\n".to_owned()
        )
    );
    let unsigned = call(&app, Method::POST, "/webhooks/whatsapp", None, body).await;
    assert_eq!(
        (unsigned.0, unsigned.2.as_str()),
        (StatusCode::UNAUTHORIZED, "Missing X-Hub-Signature-256\n")
    );
    let bad = call(
        &app,
        Method::POST,
        "/webhooks/whatsapp",
        Some("sha256=bad"),
        body,
    )
    .await;
    assert_eq!(
        (bad.0, bad.2.as_str()),
        (StatusCode::FORBIDDEN, "Invalid X-Hub-Signature-256\n")
    );
    let malformed = call(
        &app,
        Method::POST,
        "/webhooks/whatsapp",
        Some(GOOD),
        "not json",
    )
    .await;
    assert_eq!(
        (malformed.0, malformed.2.as_str()),
        (
            StatusCode::BAD_REQUEST,
            "Not a WhatsApp Business Account notification\n"
        )
    );
    // The raw bytes and the header reach the port unchanged.
    let posts = port.posts.lock().unwrap();
    assert_eq!(posts.len(), 4);
    assert_eq!(posts[0], (body.as_bytes().to_vec(), Some(GOOD.to_owned())));
    assert_eq!(posts[1], (body.as_bytes().to_vec(), None));
    assert_eq!(posts[3].0, b"not json".to_vec());
}

#[tokio::test]
async fn without_a_connector_the_path_is_not_found() {
    let app = app(None).await;
    let (status, _, body) = call(&app, Method::POST, "/webhooks/whatsapp", Some(GOOD), "{}").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("20404"), "{body}");
    let (status, _, _) = call(
        &app,
        Method::GET,
        "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=t0ken&hub.challenge=1",
        None,
        "",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
