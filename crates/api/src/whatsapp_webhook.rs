//! Meta's webhook receiver for WhatsApp calling: `GET /webhooks/whatsapp` (the subscription
//! check) and `POST /webhooks/whatsapp` (signed `calls` notifications).
//!
//! Meta does not send Twilio's Basic auth: these routes are outside it, and each POST is
//! authenticated by its `X-Hub-Signature-256` instead, which only the connector can check (it
//! holds the app secret). The API states what it needs as the [`WhatsAppWebhooks`] port, in
//! its own terms, like [`CallControl`](crate::CallControl); the binary plugs in the runtime.
//!
//! Answers are Meta-shaped, not Twilio's error body: 200 with the challenge as text/plain for
//! the check, 200 at once for an accepted POST (the events are queued, not processed, before
//! answering: Meta retries a POST not answered within ~20 s), 401 for an unsigned POST, 403 for
//! a bad signature or verify token, 400 for a signed body that is not a notification. Without a
//! connector configured the path is 404.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::ApiError;
use crate::state::ApiState;

/// The path Meta's app dashboard is configured with (under the public URL).
pub const WHATSAPP_WEBHOOK_PATH: &str = "/webhooks/whatsapp";

/// The signature header Meta sends.
const SIGNATURE_HEADER: &str = "x-hub-signature-256";

/// Why a webhook POST was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookRejection {
    /// No `X-Hub-Signature-256` (401).
    Unsigned,
    /// A signature that is malformed or does not match the body, or no app secret to check
    /// it with (403).
    BadSignature,
    /// Correctly signed, but not a WhatsApp notification (400).
    Malformed,
}

/// What the receiver needs from the WhatsApp connector.
pub trait WhatsAppWebhooks: Send + Sync + 'static {
    /// Meta's GET check: the challenge to echo, or `None` to refuse (403).
    fn verify_subscription(
        &self,
        mode: Option<&str>,
        verify_token: Option<&str>,
        challenge: Option<&str>,
    ) -> Option<String>;

    /// A POST: checks the signature on the raw `body`, then queues its events. Must not wait
    /// on the network.
    fn notify(&self, body: &[u8], signature: Option<&str>) -> Result<(), WebhookRejection>;
}

/// The routes, when a connector is configured.
pub(crate) fn routes(state: &ApiState) -> Router<ApiState> {
    if state.whatsapp.is_none() {
        return Router::new();
    }
    Router::new().route(WHATSAPP_WEBHOOK_PATH, get(verify).post(notify))
}

fn port(state: &ApiState) -> Result<&Arc<dyn WhatsAppWebhooks>, ApiError> {
    state
        .whatsapp
        .as_ref()
        .ok_or_else(|| ApiError::NotFound(WHATSAPP_WEBHOOK_PATH.to_owned()))
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn verify(State(state): State<ApiState>, RawQuery(query): RawQuery) -> Response {
    let webhooks = match port(&state) {
        Ok(webhooks) => webhooks,
        Err(e) => return e.into_response(),
    };
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let slot = match key.as_ref() {
            "hub.mode" => &mut mode,
            "hub.verify_token" => &mut token,
            "hub.challenge" => &mut challenge,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(value.into_owned());
        }
    }
    match webhooks.verify_subscription(mode.as_deref(), token.as_deref(), challenge.as_deref()) {
        Some(challenge) => text(StatusCode::OK, challenge),
        None => text(StatusCode::FORBIDDEN, "Forbidden\n".to_owned()),
    }
}

async fn notify(State(state): State<ApiState>, headers: HeaderMap, body: Bytes) -> Response {
    let webhooks = match port(&state) {
        Ok(webhooks) => webhooks,
        Err(e) => return e.into_response(),
    };
    let signature = headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().unwrap_or("invalid"));
    match webhooks.notify(&body, signature) {
        Ok(()) => text(StatusCode::OK, "OK\n".to_owned()),
        Err(WebhookRejection::Unsigned) => text(
            StatusCode::UNAUTHORIZED,
            "Missing X-Hub-Signature-256\n".to_owned(),
        ),
        Err(WebhookRejection::BadSignature) => text(
            StatusCode::FORBIDDEN,
            "Invalid X-Hub-Signature-256\n".to_owned(),
        ),
        Err(WebhookRejection::Malformed) => text(
            StatusCode::BAD_REQUEST,
            "Not a WhatsApp Business Account notification\n".to_owned(),
        ),
    }
}
