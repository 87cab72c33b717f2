//! A virtual-time driver for `dialtone_sim::network::Network`: one account, one business
//! number, a fake media side (fixed SDPs), and every output recorded with the time it came out.
#![allow(dead_code)]

use std::time::Duration;

use dialtone_sim::network::{
    GraphReply, GraphRequest, Network, NetworkConfig, NewUser, Output, Permission, SimSender,
};
use dialtone_types::{E164, Sid, SidKind, UnixMillis};
use dialtone_whatsapp::webhook::{EventKind, parse_notification};
use serde_json::{Value, json};

pub const TOKEN: &str = "sim-token";
pub const PNID: &str = "1000000001";
pub const WABA: &str = "2000000002";
pub const BUSINESS: &str = "+15550001111";
pub const START: UnixMillis = UnixMillis(1_764_000_000_000);

/// A WebRTC offer in Meta's profile (what Dialtone sends with `connect`).
pub const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
m=audio 40000 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\n\
a=ice-ufrag:offerufrag\r\na=ice-pwd:offerpasswordofferpassword\r\n\
a=candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host\r\n\
a=fingerprint:sha-256 AA:BB:CC\r\na=setup:actpass\r\na=sendrecv\r\na=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\n";

/// An ICE-lite answer as Meta's side gives it.
pub const ANSWER: &str = "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=ice-lite\r\n\
m=audio 3482 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\n\
a=ice-ufrag:answerufrag\r\na=ice-pwd:answerpasswordanswerpassword\r\n\
a=candidate:2 1 udp 2122260223 127.0.0.1 3482 typ host\r\n\
a=fingerprint:sha-256 DD:EE:FF\r\na=setup:active\r\na=sendrecv\r\na=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\n";

pub fn account() -> Sid {
    Sid::new(SidKind::Account, 7)
}

pub fn number(s: &str) -> E164 {
    E164::parse(s).expect("E.164")
}

pub fn sender() -> SimSender {
    SimSender {
        account: account(),
        number: number(BUSINESS),
        phone_number_id: PNID.to_owned(),
        waba_id: Some(WABA.to_owned()),
    }
}

/// What came out of the network, with the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A webhook, parsed back with `parse_notification`: (call id, events).
    Webhook(String, Vec<EventKind>),
    Digits(String, String),
    ApplyAnswer(String, String),
    Ended(String),
    /// A message has no more webhooks to come.
    MessageDone(String),
    /// A webhook posted as is (template status updates): (key, body).
    Raw(String, Value),
}

pub struct Driver {
    pub net: Network,
    pub now: UnixMillis,
    pub seen: Vec<(UnixMillis, Seen)>,
    /// What the fake media side answers (`Err` makes the user's side fail).
    pub media_answer: Result<String, String>,
}

impl Driver {
    pub fn new() -> Self {
        Self::with_config(NetworkConfig::new(TOKEN))
    }

    pub fn with_config(config: NetworkConfig) -> Self {
        Self {
            net: Network::new(config, 42),
            now: START,
            seen: Vec::new(),
            media_answer: Ok(ANSWER.to_owned()),
        }
    }

    /// Adds a user with `permission` and `behavior`, answering after 1 s.
    pub fn user(&mut self, num: &str, permission: Permission, behavior: &str) -> E164 {
        let mut user = NewUser::new(number(num));
        user.permission = permission;
        user.behavior = dialtone_sim::network::Behavior::parse(behavior).expect("behavior");
        self.net.put_user(account(), user).expect("valid user");
        number(num)
    }

    pub fn put(&mut self, user: NewUser) {
        self.net.put_user(account(), user).expect("valid user");
    }

    fn request<'a>(auth: Option<&'a str>, sender: Option<&'a SimSender>) -> GraphRequest<'a> {
        GraphRequest {
            authorization: auth,
            phone_number_id: PNID,
            sender,
        }
    }

    /// `POST /calls` with the right token.
    pub fn post(&mut self, body: &Value) -> GraphReply {
        let bytes = serde_json::to_vec(body).expect("json");
        self.post_raw(Some("Bearer sim-token"), &bytes)
    }

    pub fn post_raw(&mut self, auth: Option<&str>, body: &[u8]) -> GraphReply {
        let sender = sender();
        let request = Self::request(auth, Some(&sender));
        let reply = self.net.handle_calls(self.now, &request, body);
        self.drain();
        reply
    }

    /// `POST /messages` with the right token.
    pub fn post_messages(&mut self, body: &Value) -> GraphReply {
        let bytes = serde_json::to_vec(body).expect("json");
        let sender = sender();
        let request = Self::request(Some("Bearer sim-token"), Some(&sender));
        let reply = self.net.handle_messages(self.now, &request, &bytes);
        self.drain();
        reply
    }

    pub fn permissions(&mut self, user: &str) -> GraphReply {
        let sender = sender();
        let request = Self::request(Some("Bearer sim-token"), Some(&sender));
        self.net
            .handle_call_permissions(self.now, &request, Some(user))
    }

    /// `connect` to `user` (digits without `+`); the call id on success.
    pub fn connect(&mut self, user: &str) -> Result<String, GraphReply> {
        let reply = self.post(&json!({
            "messaging_product": "whatsapp", "action": "connect", "to": user,
            "session": {"sdp_type": "offer", "sdp": OFFER},
            "biz_opaque_callback_data": "CA0001"
        }));
        if reply.status == 200 {
            let body: Value = serde_json::from_slice(&reply.body).expect("json");
            Ok(body["calls"][0]["id"].as_str().expect("id").to_owned())
        } else {
            Err(reply)
        }
    }

    pub fn action(&mut self, action: &str, call_id: &str) -> GraphReply {
        self.post(&json!({"messaging_product": "whatsapp", "action": action, "call_id": call_id}))
    }

    pub fn answer_action(&mut self, action: &str, call_id: &str, sdp: &str) -> GraphReply {
        self.post(&json!({
            "messaging_product": "whatsapp", "action": action, "call_id": call_id,
            "session": {"sdp_type": "answer", "sdp": sdp}
        }))
    }

    /// Moves virtual time forward by `by`, firing every timer on its own time.
    pub fn advance(&mut self, by: Duration) {
        let until = self
            .now
            .plus_millis(u64::try_from(by.as_millis()).expect("ms"));
        while let Some(at) = self.net.poll_timeout().filter(|at| *at <= until) {
            self.now = self.now.max(at);
            self.net.handle_timeout(self.now);
            self.drain();
        }
        self.now = until;
    }

    pub fn drain(&mut self) {
        while let Some(output) = self.net.poll_output() {
            let seen = match output {
                Output::Webhook(webhook) => {
                    let parsed = parse_notification(&webhook.body()).expect("parses");
                    assert!(parsed.skipped.is_empty(), "{:?}", parsed.skipped);
                    for event in &parsed.events {
                        assert_eq!(event.waba_id, WABA);
                        assert_eq!(event.phone_number_id, PNID);
                        assert_eq!(event.display_phone_number.as_deref(), Some("15550001111"));
                    }
                    Seen::Webhook(
                        webhook.call_id,
                        parsed.events.into_iter().map(|e| e.kind).collect(),
                    )
                }
                Output::Answer { call_id, offer } => {
                    assert_eq!(offer, OFFER);
                    let answer = self.media_answer.clone();
                    self.net.answered(self.now, &call_id, answer);
                    continue;
                }
                Output::ApplyAnswer { call_id, answer } => Seen::ApplyAnswer(call_id, answer),
                Output::PressDigits { call_id, digits } => Seen::Digits(call_id, digits),
                Output::Ended { call_id } => Seen::Ended(call_id),
                Output::MessageDone { message_id } => Seen::MessageDone(message_id),
                Output::RawWebhook { key, body } => {
                    Seen::Raw(key, serde_json::from_slice(&body).expect("json"))
                }
            };
            self.seen.push((self.now, seen));
        }
    }

    /// Everything seen so far, cleared.
    pub fn take(&mut self) -> Vec<(UnixMillis, Seen)> {
        std::mem::take(&mut self.seen)
    }
}

/// A free-form call permission request to `user` (`+E164` or digits).
pub fn request_body(user: &str) -> Value {
    json!({
        "messaging_product": "whatsapp", "recipient_type": "individual",
        "to": user.trim_start_matches('+'), "type": "interactive",
        "interactive": {"type": "call_permission_request",
            "action": {"name": "call_permission_request"},
            "body": {"text": "May we call you about your order?"}}
    })
}

/// `START` plus `ms`.
pub fn at(ms: u64) -> UnixMillis {
    START.plus_millis(ms)
}

/// Unix seconds of `START` plus `ms`, as webhook events carry them.
#[allow(clippy::unnecessary_wraps)]
pub fn ts(ms: u64) -> Option<u64> {
    Some(at(ms).0 / 1000)
}

/// An error body as JSON, with `fbtrace_id` checked and removed.
pub fn error_body(reply: &GraphReply) -> Value {
    let mut body: Value = serde_json::from_slice(&reply.body).expect("json");
    let trace = body["error"]
        .as_object_mut()
        .and_then(|e| e.remove("fbtrace_id"))
        .expect("fbtrace_id");
    assert!(
        trace
            .as_str()
            .is_some_and(|t| t.starts_with('A') && t.len() > 5)
    );
    body
}

/// A Graph reply with its body parsed.
pub struct GraphReplyJson {
    pub status: u16,
    pub body: Value,
    raw: GraphReply,
}

impl GraphReplyJson {
    pub fn of(reply: &GraphReply) -> Self {
        Self {
            status: reply.status,
            body: serde_json::from_slice(&reply.body).expect("json"),
            raw: reply.clone(),
        }
    }

    /// The error body without its `fbtrace_id` (checked).
    pub fn error(&self) -> Value {
        error_body(&self.raw)
    }
}
