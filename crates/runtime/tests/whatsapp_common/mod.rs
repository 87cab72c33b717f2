//! WhatsApp test support: a fake Meta Graph API on loopback that records every request and
//! answers with scripted bodies, signed webhooks posted to the runtime, a sender in the store,
//! and a `<Dial><WhatsApp>` application.
#![allow(dead_code)]

pub mod outbound;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use dialtone_runtime::{Handle, RuntimeConfig, WhatsAppConfig};
use dialtone_store::{NewSender, Store};
use dialtone_types::{E164, Sid, SidKind, UnixMillis};
use dialtone_whatsapp::graph::{GraphConfig, SdpType, Session};
use dialtone_whatsapp::webhook::{
    CallDirection, CallStatusKind, ConnectEvent, EventKind, NotificationContext, StatusEvent,
    TerminateEvent, TerminateStatus, notification_body, signature_header,
};
use serde_json::Value;

use crate::common::{self, App, Reply, account, eventually};

pub const APP_SECRET: &str = "meta-app-secret";
pub const VERIFY_TOKEN: &str = "meta-verify-token";
pub const ACCESS_TOKEN: &str = "EAAtest";
pub const PNID: &str = "106540352242922";
pub const SENDER: &str = "+15550001111";
pub const USER: &str = "+447700900123";
pub const USER_DIGITS: &str = "447700900123";

/// How the fake Graph answers one request.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// This status and body.
    Answer(u16, String),
    /// Never answers (the connector's deadline fires).
    Hang,
    /// Answers the default body after this long.
    Late(Duration),
}

/// One Graph request the fake received.
#[derive(Debug, Clone)]
pub struct GraphSeen {
    pub path: String,
    pub authorization: Option<String>,
    pub body: Value,
}

impl GraphSeen {
    pub fn action(&self) -> &str {
        self.body["action"].as_str().unwrap_or_default()
    }
}

#[derive(Debug, Default)]
pub struct MetaState {
    pub seen: Mutex<Vec<GraphSeen>>,
    /// Answers to use, per action, before the defaults.
    pub script: Mutex<HashMap<String, VecDeque<Scripted>>>,
    next_id: AtomicU64,
}

/// A fake Graph API.
#[derive(Debug, Clone)]
pub struct Meta {
    pub base: String,
    pub state: Arc<MetaState>,
}

impl Meta {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(MetaState::default());
        let router = axum::Router::new()
            .fallback(graph)
            .with_state(Arc::clone(&state));
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { base, state }
    }

    /// The next `action` request is answered with `scripted`.
    pub fn script(&self, action: &str, scripted: Scripted) {
        self.state
            .script
            .lock()
            .unwrap()
            .entry(action.to_owned())
            .or_default()
            .push_back(scripted);
    }

    pub fn seen(&self) -> Vec<GraphSeen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn actions(&self) -> Vec<String> {
        self.seen().iter().map(|s| s.action().to_owned()).collect()
    }

    /// Waits for the `n`th request (1-based) and returns it.
    pub async fn request(&self, n: usize) -> GraphSeen {
        eventually(&format!("Graph request #{n}"), || async {
            self.seen().get(n - 1).cloned()
        })
        .await
    }

    /// Connector settings pointing at this fake, with short deadlines.
    pub fn config(&self) -> WhatsAppConfig {
        let graph =
            GraphConfig::new(&format!("{}/graph", self.base), "v24.0", ACCESS_TOKEN).unwrap();
        let mut config = WhatsAppConfig::new(graph, APP_SECRET, VERIFY_TOKEN);
        config.request_timeout = Duration::from_millis(500);
        config.media_timeout = Duration::from_secs(5);
        config
    }
}

async fn graph(
    State(state): State<Arc<MetaState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let action = body["action"].as_str().unwrap_or_default().to_owned();
    state.seen.lock().unwrap().push(GraphSeen {
        path: uri.to_string(),
        authorization: headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap().to_owned()),
        body,
    });
    let scripted = state
        .script
        .lock()
        .unwrap()
        .get_mut(&action)
        .and_then(VecDeque::pop_front);
    if let Some(Scripted::Late(delay)) = &scripted {
        tokio::time::sleep(*delay).await;
    }
    let (status, body) = match scripted {
        Some(Scripted::Answer(status, body)) => (status, body),
        Some(Scripted::Hang) => {
            tokio::time::sleep(Duration::from_mins(10)).await;
            (500, String::new())
        }
        Some(Scripted::Late(_)) | None if action == "connect" => {
            let n = state.next_id.fetch_add(1, Ordering::SeqCst) + 1;
            (
                200,
                format!(r#"{{"messaging_product":"whatsapp","calls":[{{"id":"wacid.{n}"}}]}}"#),
            )
        }
        Some(Scripted::Late(_)) | None => (200, r#"{"success":true}"#.to_owned()),
    };
    (
        StatusCode::from_u16(status).unwrap(),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// A runtime with the connector pointed at `meta`, the account's sender `SENDER` (voice
/// application `application`, if any) stored with `PNID`, and the engine told about it.
pub async fn runtime(meta: &Meta, config: WhatsAppConfig) -> (Handle, Store) {
    let store = common::memory_store().await;
    let runtime_config = RuntimeConfig {
        whatsapp: Some(config),
        ..common::config()
    };
    let rt = dialtone_runtime::start(store.clone(), runtime_config)
        .await
        .unwrap();
    rt.set_whatsapp_senders(account(), vec![E164::parse(SENDER).unwrap()])
        .await
        .unwrap();
    let _ = meta;
    (rt, store)
}

/// Stores `SENDER` with `PNID` and the voice application, if any.
pub async fn store_sender(store: &Store, voice_application: Option<Sid>) {
    store
        .create_sender(
            account(),
            Sid::new(SidKind::Sender, 0x5e),
            &NewSender {
                sender_id: format!("whatsapp:{SENDER}"),
                friendly_name: None,
                status: "ONLINE".to_owned(),
                waba_id: Some("waba-1".to_owned()),
                voice_application_sid: voice_application,
                phone_number_id: PNID.to_owned(),
                webhook: dialtone_store::SenderWebhook::default(),
            },
            UnixMillis(1_700_000_000_000),
        )
        .await
        .unwrap();
}

/// `/voice` dials `USER` over WhatsApp with child callbacks to `/child`; `/action` hangs up.
pub fn dial_app(app: &App, timeout_secs: u32) {
    app.route(
        "/voice",
        Reply::Twiml(format!(
            "<Response><Dial callerId=\"whatsapp:{SENDER}\" action=\"/action\" timeout=\"{timeout_secs}\">\
             <WhatsApp statusCallback=\"/child\" statusCallbackEvent=\"initiated ringing answered completed\">{USER}</WhatsApp>\
             </Dial></Response>"
        )),
    );
    app.route(
        "/action",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
}

/// Posts `events` as one signed notification, as Meta would.
pub fn post(rt: &Handle, events: &[EventKind]) {
    let body = notification(events);
    let signature = signature_header(APP_SECRET.as_bytes(), &body);
    rt.whatsapp_webhook(&body, Some(&signature)).unwrap();
}

pub fn notification(events: &[EventKind]) -> Vec<u8> {
    let context = NotificationContext {
        waba_id: "waba-1".to_owned(),
        phone_number_id: PNID.to_owned(),
        display_phone_number: SENDER.trim_start_matches('+').to_owned(),
        contact: Some((USER_DIGITS.to_owned(), None)),
    };
    notification_body(&context, events)
}

pub fn status(call_id: &str, status: CallStatusKind, opaque: Option<&str>, ts: u64) -> EventKind {
    EventKind::Status(StatusEvent {
        call_id: call_id.to_owned(),
        timestamp: Some(ts),
        status,
        recipient_id: Some(USER_DIGITS.to_owned()),
        biz_opaque_callback_data: opaque.map(str::to_owned),
        errors: Vec::new(),
    })
}

/// Meta's answer to our offer.
pub fn answer(call_id: &str, sdp: &str, opaque: Option<&str>, ts: u64) -> EventKind {
    EventKind::Connect(ConnectEvent {
        call_id: call_id.to_owned(),
        from: Some(SENDER.trim_start_matches('+').to_owned()),
        to: Some(USER_DIGITS.to_owned()),
        timestamp: Some(ts),
        direction: CallDirection::BusinessInitiated,
        session: Some(Session {
            sdp_type: SdpType::Answer,
            sdp: sdp.to_owned(),
        }),
        biz_opaque_callback_data: opaque.map(str::to_owned),
        cta_payload: None,
        deeplink_payload: None,
    })
}

/// A user's call to the business with `offer`.
pub fn user_call(call_id: &str, offer: &str, ts: u64) -> EventKind {
    EventKind::Connect(ConnectEvent {
        call_id: call_id.to_owned(),
        from: Some(USER_DIGITS.to_owned()),
        to: Some(SENDER.trim_start_matches('+').to_owned()),
        timestamp: Some(ts),
        direction: CallDirection::UserInitiated,
        session: Some(Session {
            sdp_type: SdpType::Offer,
            sdp: offer.to_owned(),
        }),
        biz_opaque_callback_data: None,
        cta_payload: None,
        deeplink_payload: None,
    })
}

pub fn terminate(
    call_id: &str,
    direction: CallDirection,
    duration: Option<u64>,
    opaque: Option<&str>,
    ts: u64,
) -> EventKind {
    EventKind::Terminate(TerminateEvent {
        call_id: call_id.to_owned(),
        from: None,
        to: None,
        timestamp: Some(ts),
        direction,
        status: TerminateStatus::Completed,
        start_time: duration.map(|d| ts - d),
        end_time: Some(ts),
        duration,
        biz_opaque_callback_data: opaque.map(str::to_owned),
        errors: Vec::new(),
    })
}

/// The exact `terminate` body the connector must send for `call_id`.
pub fn terminate_body(call_id: &str) -> Value {
    serde_json::json!({"messaging_product": "whatsapp", "action": "terminate", "call_id": call_id})
}

/// The Graph path of the calls endpoint.
pub fn calls_path() -> String {
    format!("/graph/v24.0/{PNID}/calls")
}
