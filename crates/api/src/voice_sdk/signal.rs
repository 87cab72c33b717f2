//! `GET /signal`: the PStream WebSocket of the Voice SDK (SDK 2.x, `PSTREAM_VERSION` 1.6).
//!
//! Frames are JSON text `{"type", "payload", "version"}`, plus `"\n"` heartbeats both ways: the
//! SDK drops a socket that is silent for 15 s, so we send `"\n"` every [`HEARTBEAT`], and we
//! drop a socket silent for [`IDLE_LIMIT`] (its calls end as hung up by the Device). A session:
//!
//! - `listen {token}` → the token is verified ([`super::token`]; the key's secret comes from
//!   the store) → `connected {token: {identity, ttl}, region, edge, home}`, or
//!   `error {code: 312xx}`. A later `listen` (`device.updateToken`) re-verifies on the same
//!   socket. When the token expires, `error 31205` and the Device is no longer rung.
//! - `register {media: {audio: true|false}}` → `ready` / `offline` (needs `incoming.allow`,
//!   else 31201).
//! - `invite {callsid: "TJS…", sdp, twilio: {params}}` → a call into the grant's TwiML App
//!   (31201 without `outgoing.application_sid`, `hangup` 31001 when the App does not exist).
//! - `answer`, `reject`, `hangup`, `dtmf` → the runtime ([`super::DevicePort`]).
//! - `reinvite` (ICE restart) and `message` (Call Message Events) are not supported: `error
//!   31100` says so, and the call goes on.
//!
//! Bad input never closes the call silently: a frame that is not JSON or not a known message
//! gets `error 31100`; more than [`MAX_FRAMES_PER_SEC`] frames in a second (a flood) gets
//! `error 31206` and the socket is closed.

use std::time::{Duration, Instant};

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use dialtone_types::{DeviceId, FromDevice, ToDevice};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::token::{AccessGrant, TokenError, Unverified};
use super::{DeviceCallRequest, DevicePort};
use crate::state::ApiState;

/// How often we send `"\n"`.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// A socket that sends nothing (not even `"\n"`) this long is gone.
pub const IDLE_LIMIT: Duration = Duration::from_secs(30);
/// Frames per second above which a socket is a flood.
pub const MAX_FRAMES_PER_SEC: u32 = 200;
/// Largest frame accepted (an SDP is a few kB).
pub const MAX_FRAME: usize = 256 * 1024;
/// The `region` we announce (the SDK only remembers it).
const REGION: &str = "dialtone";

/// The WebSocket upgrade.
pub(crate) async fn upgrade(State(state): State<ApiState>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_FRAME)
        .on_upgrade(move |socket| run(state, socket))
}

/// A frame to the SDK.
fn frame(kind: &str, payload: &Value) -> Message {
    Message::Text(
        json!({"type": kind, "payload": payload, "version": "1.6"})
            .to_string()
            .into(),
    )
}

fn error_frame(code: u32, message: &str, call: Option<&str>) -> Message {
    let mut payload = json!({"error": {"code": code, "message": message}});
    if let Some(call) = call {
        payload["callsid"] = Value::String(call.to_owned());
    }
    frame("error", &payload)
}

/// Our message as the SDK reads it.
fn to_frame(msg: ToDevice) -> Message {
    match msg {
        ToDevice::Invite {
            call,
            sdp,
            parameters,
        } => {
            let parameters: serde_json::Map<String, Value> = parameters
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            frame(
                "invite",
                &json!({"callsid": call, "sdp": sdp, "parameters": parameters}),
            )
        }
        ToDevice::Ringing { call } => frame("ringing", &json!({ "callsid": call })),
        ToDevice::Answer { call, sdp } => {
            let mut p = json!({ "callsid": call });
            if let Some(sdp) = sdp {
                p["sdp"] = Value::String(sdp);
            }
            frame("answer", &p)
        }
        ToDevice::Cancel { call } => frame("cancel", &json!({ "callsid": call })),
        ToDevice::Hangup { call, error } => {
            let mut p = json!({ "callsid": call });
            if let Some((code, message)) = error {
                p["error"] = json!({"code": code, "message": message});
            }
            frame("hangup", &p)
        }
        ToDevice::Error {
            code,
            message,
            call,
        } => error_frame(code, &message, call.as_deref()),
    }
}

/// One socket's state.
struct Session {
    state: ApiState,
    port: std::sync::Arc<dyn DevicePort>,
    tx: mpsc::UnboundedSender<ToDevice>,
    grant: Option<AccessGrant>,
    device: Option<DeviceId>,
    registered: bool,
}

/// The identity a grant calls from (`Anonymous` without one, as Twilio's docs say for
/// identity-less tokens).
fn identity(grant: &AccessGrant) -> String {
    grant
        .identity
        .clone()
        .unwrap_or_else(|| "Anonymous".to_owned())
}

/// Verifies `token`: the key must be one of `sub`'s, with its secret kept.
pub async fn verify_token(
    store: &dialtone_store::Store,
    token: &str,
    now_secs: u64,
) -> Result<AccessGrant, TokenError> {
    let unverified = Unverified::parse(token)?;
    let key = match store.fetch_key(unverified.account, unverified.key).await {
        Ok(key) => key,
        Err(dialtone_store::StoreError::NotFound(_)) => {
            // Tell a foreign account from an unknown key.
            return Err(match store.fetch_account(unverified.account).await {
                Ok(_) => TokenError::UnknownKey(format!(
                    "API key {} is not a key of account {}",
                    unverified.key, unverified.account
                )),
                Err(_) => TokenError::WrongAccount(format!(
                    "account {} does not exist",
                    unverified.account
                )),
            });
        }
        Err(e) => {
            tracing::warn!(error = %e, "API key lookup failed");
            return Err(TokenError::UnknownKey(
                "the key cannot be looked up now".into(),
            ));
        }
    };
    let secret = match store.key_secret(&key) {
        Ok(Some(secret)) => secret,
        Ok(None) => {
            return Err(TokenError::UnknownKey(format!(
                "API key {} was created before key secrets were kept; create a new key to sign access tokens",
                key.sid
            )));
        }
        Err(e) => {
            tracing::warn!(key = %key.sid, error = %e, "an API key secret does not open");
            return Err(TokenError::UnknownKey(format!(
                "the secret of API key {} cannot be read with this server's secret key",
                key.sid
            )));
        }
    };
    unverified.verify(&secret, now_secs)
}

impl Session {
    fn now_secs(&self) -> u64 {
        self.state.now().0 / 1000
    }

    async fn listen(&mut self, payload: &Value) -> Vec<Message> {
        let Some(token) = payload.get("token").and_then(Value::as_str) else {
            return vec![error_frame(
                31204,
                "Invalid JWT token: listen without a token",
                None,
            )];
        };
        let now = self.now_secs();
        let grant = match verify_token(&self.state.store, token, now).await {
            Ok(grant) => grant,
            Err(e) => {
                tracing::info!(code = e.code(), error = %e, "Voice SDK token refused");
                return vec![error_frame(e.code(), &e.to_string(), None)];
            }
        };
        let who = identity(&grant);
        let same = self
            .grant
            .as_ref()
            .is_some_and(|g| g.account == grant.account && identity(g) == who);
        if !same && let Some(old) = self.device.take() {
            self.port.disconnect(old);
            self.registered = false;
        }
        if self.device.is_none() {
            self.device = Some(self.port.connect(grant.account, &who, self.tx.clone()));
        }
        let ttl = grant.expires_at.saturating_sub(now);
        self.grant = Some(grant);
        vec![frame(
            "connected",
            &json!({"token": {"identity": who, "ttl": ttl}, "region": REGION, "edge": REGION, "home": REGION}),
        )]
    }

    fn register(&mut self, payload: &Value) -> Vec<Message> {
        let audio = payload
            .pointer("/media/audio")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (Some(grant), Some(device)) = (&self.grant, self.device) else {
            return vec![error_frame(
                31204,
                "Invalid JWT token: register before listen",
                None,
            )];
        };
        if !audio {
            self.port.set_registered(device, false);
            self.registered = false;
            return vec![frame("offline", &json!({}))];
        }
        if !grant.voice.as_ref().is_some_and(|v| v.incoming_allow) || grant.identity.is_none() {
            return vec![error_frame(
                31201,
                "Authorization error: the token has no identity with an incoming voice grant",
                None,
            )];
        }
        self.port.set_registered(device, true);
        self.registered = true;
        vec![frame("ready", &json!({}))]
    }

    async fn invite(&mut self, payload: &Value) -> Vec<Message> {
        let temp = payload
            .get("callsid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let hangup = |code: u32, message: &str| {
            vec![frame(
                "hangup",
                &json!({"callsid": temp, "error": {"code": code, "message": message}}),
            )]
        };
        if payload.get("reconnect").is_some() {
            return hangup(
                31107,
                "Reconnecting a call after a signalling reconnect is not supported",
            );
        }
        let (Some(grant), Some(device)) = (self.grant.clone(), self.device) else {
            return hangup(31204, "Invalid JWT token: invite before listen");
        };
        let Some(sdp) = payload.get("sdp").and_then(Value::as_str) else {
            return hangup(31100, "Malformed request: invite without sdp");
        };
        let Some(app_sid) = grant.voice.as_ref().and_then(|v| v.outgoing_application) else {
            return hangup(
                31201,
                "Authorization error: the token has no outgoing voice grant (application_sid)",
            );
        };
        let application = match self
            .state
            .store
            .fetch_application(grant.account, app_sid)
            .await
        {
            Ok(app) => app,
            Err(dialtone_store::StoreError::NotFound(_)) => {
                return hangup(31001, &format!("Application {app_sid} not found"));
            }
            Err(e) => {
                tracing::warn!(error = %e, "application lookup failed");
                return hangup(31000, "The application cannot be read now");
            }
        };
        let mut params: Vec<(String, String)> = grant
            .voice
            .as_ref()
            .map(|v| v.outgoing_params.clone())
            .unwrap_or_default();
        let sent = payload
            .pointer("/twilio/params")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let mut to = None;
        for (k, v) in form_urlencoded::parse(sent.as_bytes()) {
            if k == "To" {
                to = Some(v.into_owned());
            } else {
                params.retain(|(pk, _)| *pk != k);
                params.push((k.into_owned(), v.into_owned()));
            }
        }
        let request = DeviceCallRequest {
            device,
            temp: temp.clone(),
            account: grant.account,
            identity: identity(&grant),
            application,
            to,
            params,
            sdp: sdp.to_owned(),
        };
        match self.port.place_call(request).await {
            Ok(()) => Vec::new(),
            Err((code, message)) => hangup(code, &message),
        }
    }

    fn call_message(&self, kind: &str, payload: &Value) -> Vec<Message> {
        let Some(device) = self.device else {
            return vec![error_frame(31204, "Invalid JWT token: no listen yet", None)];
        };
        let call = payload
            .get("callsid")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let text = |key: &str| {
            payload
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let message = match kind {
            "answer" => FromDevice::Answer {
                call,
                sdp: text("sdp"),
            },
            "reject" => FromDevice::Reject { call },
            "hangup" => FromDevice::Hangup { call },
            _ => FromDevice::Digits {
                call,
                digits: text("dtmf"),
            },
        };
        self.port.handle(device, message);
        Vec::new()
    }

    /// One text frame from the SDK.
    async fn on_text(&mut self, text: &str) -> Vec<Message> {
        if text == "\n" {
            return Vec::new();
        }
        let Ok(Value::Object(mut msg)) = serde_json::from_str::<Value>(text) else {
            return vec![error_frame(
                31100,
                "Malformed request: the frame is not a JSON object",
                None,
            )];
        };
        let kind = msg
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let payload = msg.remove("payload").unwrap_or_else(|| json!({}));
        match kind.as_str() {
            "listen" => self.listen(&payload).await,
            "register" => self.register(&payload),
            "invite" => self.invite(&payload).await,
            "answer" | "reject" | "hangup" | "dtmf" => self.call_message(&kind, &payload),
            "reinvite" => vec![error_frame(
                31100,
                "ICE restart (reinvite) is not supported by this server",
                payload.get("callsid").and_then(Value::as_str),
            )],
            "message" => {
                let mut p = json!({"error": {"code": 31100, "message": "Call Message Events are not supported by this server"}});
                for key in ["callsid", "voiceeventsid"] {
                    if let Some(v) = payload.get(key) {
                        p[key] = v.clone();
                    }
                }
                vec![frame("error", &p)]
            }
            other => vec![error_frame(
                31100,
                &format!("Malformed request: unknown message type {other:?}"),
                None,
            )],
        }
    }

    /// The token expired while connected: 31205, and no more ringing.
    fn expired(&mut self) -> Option<Message> {
        let grant = self.grant.as_ref()?;
        if grant.expires_at > self.now_secs() {
            return None;
        }
        self.grant = None;
        if let Some(device) = self.device
            && self.registered
        {
            self.port.set_registered(device, false);
            self.registered = false;
        }
        Some(error_frame(31205, "JWT token expired", None))
    }
}

async fn run(state: ApiState, mut socket: WebSocket) {
    let Some(port) = state.devices.clone() else {
        let _ = socket
            .send(error_frame(
                31000,
                "Voice SDK signalling is not enabled on this server",
                None,
            ))
            .await;
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut session = Session {
        state,
        port,
        tx,
        grant: None,
        device: None,
        registered: false,
    };
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    let mut last_heard = Instant::now();
    let (mut window, mut frames) = (Instant::now(), 0u32);
    loop {
        let out: Vec<Message> = tokio::select! {
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    tracing::info!("Voice SDK socket silent too long; closing");
                    break;
                }
                let mut out = vec![Message::Text("\n".into())];
                out.extend(session.expired());
                out
            }
            msg = rx.recv() => match msg {
                Some(msg) => vec![to_frame(msg)],
                None => break,
            },
            incoming = socket.recv() => {
                let Some(Ok(incoming)) = incoming else { break };
                last_heard = Instant::now();
                if window.elapsed() >= Duration::from_secs(1) {
                    (window, frames) = (Instant::now(), 0);
                }
                frames += 1;
                if frames > MAX_FRAMES_PER_SEC {
                    let _ = socket.send(error_frame(31206, "Rate exceeded: too many frames", None)).await;
                    break;
                }
                match incoming {
                    Message::Text(text) => session.on_text(text.as_str()).await,
                    Message::Binary(_) => vec![error_frame(31100, "Malformed request: binary frame", None)],
                    Message::Close(_) => break,
                    Message::Ping(_) | Message::Pong(_) => Vec::new(),
                }
            }
        };
        for m in out {
            if socket.send(m).await.is_err() {
                break;
            }
        }
    }
    if let Some(device) = session.device {
        session.port.disconnect(device);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::Sid;

    fn json_of(m: &Message) -> Value {
        match m {
            Message::Text(t) => serde_json::from_str(t.as_str()).unwrap(),
            other => panic!("not text: {other:?}"),
        }
    }

    #[test]
    fn frames_are_what_the_sdk_reads() {
        let m = to_frame(ToDevice::Invite {
            call: "CA1".into(),
            sdp: "v=0".into(),
            parameters: vec![
                ("CallSid".into(), "CA1".into()),
                ("Params".into(), "a=b".into()),
            ],
        });
        assert_eq!(
            json_of(&m),
            json!({"type": "invite", "version": "1.6", "payload": {"callsid": "CA1", "sdp": "v=0",
                "parameters": {"CallSid": "CA1", "Params": "a=b"}}})
        );
        let m = to_frame(ToDevice::Hangup {
            call: "CA1".into(),
            error: Some((31005, "gone".into())),
        });
        assert_eq!(
            json_of(&m)["payload"],
            json!({"callsid": "CA1", "error": {"code": 31005, "message": "gone"}})
        );
        assert_eq!(
            json_of(&to_frame(ToDevice::Answer {
                call: "CA2".into(),
                sdp: None
            }))["payload"],
            json!({"callsid": "CA2"})
        );
        assert_eq!(
            json_of(&error_frame(31204, "x", None))["payload"],
            json!({"error": {"code": 31204, "message": "x"}})
        );
    }

    #[test]
    fn identity_less_tokens_call_as_anonymous() {
        let grant = AccessGrant {
            account: Sid::new(dialtone_types::SidKind::Account, 1),
            key: Sid::new(dialtone_types::SidKind::ApiKey, 1),
            identity: None,
            voice: None,
            expires_at: 0,
        };
        assert_eq!(identity(&grant), "Anonymous");
    }
}
