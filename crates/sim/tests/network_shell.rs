//! The simulator's IO shell over real sockets: the Graph router on 127.0.0.1:0, signed
//! webhooks to a small receiver, in order, retried; with media, a full-ICE Dialtone-side leg
//! connects to the simulated user's ICE-lite side and hears its digits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use dialtone_media::{MediaConfig, MediaEngine, MediaEvent};
use dialtone_sim::network::{
    Behavior, BoxFuture, CallStatus, NewUser, Permission, SenderDirectory, SimSender, Simulator,
    SimulatorConfig,
};
use dialtone_types::{E164, Sid, SidKind};
use dialtone_whatsapp::graph::SdpType;
use dialtone_whatsapp::webhook::{
    CallStatusKind, EventKind, MessageStatusKind, TerminateStatus, parse_notification,
    verify_signature,
};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const SECRET: &str = "app-secret";
const TOKEN: &str = "graph-token";
const PNID: &str = "106540352242922";
const BUSINESS: &str = "+15550001111";
const USER: &str = "+15550002222";

fn account() -> Sid {
    Sid::new(SidKind::Account, 11)
}

fn e164(s: &str) -> E164 {
    E164::parse(s).expect("E.164")
}

fn sender() -> SimSender {
    SimSender {
        account: account(),
        number: e164(BUSINESS),
        phone_number_id: PNID.to_owned(),
        waba_id: Some("102290129340398".to_owned()),
    }
}

#[derive(Debug)]
struct Directory;

impl SenderDirectory for Directory {
    fn by_phone_number_id(&self, id: &str) -> BoxFuture<'_, Option<SimSender>> {
        let found = (id == PNID).then(sender);
        Box::pin(async move { found })
    }

    fn by_number(&self, account: Sid, number: &E164) -> BoxFuture<'_, Option<SimSender>> {
        let found = (account == self::account() && number.as_str() == BUSINESS).then(sender);
        Box::pin(async move { found })
    }
}

/// The webhook receiver: verifies each signature, fails the first `fail_first` POSTs with 500,
/// hands every accepted body on.
#[derive(Clone)]
struct Receiver {
    bodies: mpsc::UnboundedSender<Vec<u8>>,
    fail_first: Arc<Mutex<usize>>,
    attempts: Arc<Mutex<usize>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    *r.attempts.lock().unwrap() += 1;
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if verify_signature(SECRET.as_bytes(), signature, &body).is_err() {
        return StatusCode::FORBIDDEN;
    }
    {
        let mut fail = r.fail_first.lock().unwrap();
        if *fail > 0 {
            *fail -= 1;
            return StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    let _ = r.bodies.send(body.to_vec());
    StatusCode::OK
}

struct Setup {
    sim: Simulator,
    graph: String,
    webhooks: mpsc::UnboundedReceiver<Vec<u8>>,
    attempts: Arc<Mutex<usize>>,
    http: reqwest::Client,
}

async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

async fn setup(fail_first: usize) -> Setup {
    let (tx, rx) = mpsc::unbounded_channel();
    let attempts = Arc::new(Mutex::new(0));
    let receiver = Receiver {
        bodies: tx,
        fail_first: Arc::new(Mutex::new(fail_first)),
        attempts: Arc::clone(&attempts),
    };
    let hook = serve(
        Router::new()
            .route("/webhooks/whatsapp", post(receive))
            .with_state(receiver),
    )
    .await;
    let mut config = SimulatorConfig::new(
        format!("{hook}/webhooks/whatsapp").parse().unwrap(),
        SECRET,
        TOKEN,
    );
    config.timing.ring_after = Duration::from_millis(20);
    config.delivery.retry_delay = Duration::from_millis(10);
    let sim = Simulator::new(config, Arc::new(Directory));
    let graph = serve(Router::new().nest("/sim/graph", sim.graph_router())).await;
    Setup {
        sim,
        graph: format!("{graph}/sim/graph/v24.0/{PNID}"),
        webhooks: rx,
        attempts,
        http: reqwest::Client::new(),
    }
}

impl Setup {
    fn user(&self, behavior: Behavior, answer_after_ms: u64, digits: Option<&str>) {
        let mut user = NewUser::new(e164(USER));
        user.permission = Permission::Granted;
        user.behavior = behavior;
        user.answer_after = Duration::from_millis(answer_after_ms);
        user.digits = digits.map(str::to_owned);
        self.sim.put_user(account(), user).unwrap();
    }

    async fn post(&self, token: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/calls", self.graph))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_slice(&response.bytes().await.unwrap()).unwrap(),
        )
    }

    async fn next_events(&mut self) -> Vec<EventKind> {
        let body = tokio::time::timeout(Duration::from_secs(20), self.webhooks.recv())
            .await
            .expect("a webhook in time")
            .expect("receiver open");
        let parsed = parse_notification(&body).expect("Meta-shaped webhook");
        assert!(parsed.skipped.is_empty());
        for event in &parsed.events {
            assert_eq!(event.phone_number_id, PNID);
            assert_eq!(event.waba_id, "102290129340398");
        }
        parsed.events.into_iter().map(|e| e.kind).collect()
    }
}

fn connect_body(offer: &str) -> Value {
    json!({"messaging_product": "whatsapp", "action": "connect", "to": "15550002222",
        "session": {"sdp_type": "offer", "sdp": offer}, "biz_opaque_callback_data": "CA77"})
}

fn status_of(events: &[EventKind]) -> CallStatusKind {
    match events {
        [EventKind::Status(status)] => status.status.clone(),
        other => panic!("expected one status, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_user_webhooks_arrive_signed_in_order_with_retries() {
    let mut s = setup(1).await;
    s.user(Behavior::Busy, 0, None);
    let offer = MediaEngine::new(MediaConfig::full()).offer().await.unwrap();
    let (status, body) = s.post(TOKEN, &connect_body(offer.sdp())).await;
    assert_eq!(status, 200, "{body}");
    let id = body["calls"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        body,
        json!({"messaging_product": "whatsapp", "calls": [{"id": id}]})
    );
    assert_eq!(status_of(&s.next_events().await), CallStatusKind::Rejected);
    match s.next_events().await.as_slice() {
        [EventKind::Terminate(t)] => {
            assert_eq!(t.call_id, id);
            assert_eq!(t.status, TerminateStatus::Completed);
            assert_eq!((t.start_time, t.duration), (None, None));
            assert_eq!(t.biz_opaque_callback_data.as_deref(), Some("CA77"));
        }
        other => panic!("expected the terminate webhook, got {other:?}"),
    }
    // The first POST was refused with 500 and retried: 3 attempts for 2 webhooks.
    assert_eq!(*s.attempts.lock().unwrap(), 3);
    let calls = s.sim.calls(account(), &e164(USER));
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].status, CallStatus::Busy);
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_refused_on_every_attempt_is_dropped_and_the_next_goes_out() {
    // Five refusals: the first attempt and its four retries.
    let mut s = setup(5).await;
    s.user(Behavior::Busy, 0, None);
    let offer = MediaEngine::new(MediaConfig::full()).offer().await.unwrap();
    let (status, _) = s.post(TOKEN, &connect_body(offer.sdp())).await;
    assert_eq!(status, 200);
    match s.next_events().await.as_slice() {
        [EventKind::Terminate(t)] => assert_eq!(t.status, TerminateStatus::Completed),
        other => panic!("expected the terminate webhook, got {other:?}"),
    }
    assert_eq!(*s.attempts.lock().unwrap(), 6);
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_errors_over_http() {
    let s = setup(0).await;
    let (status, body) = s
        .post(
            "wrong",
            &json!({"messaging_product": "whatsapp", "action": "terminate", "call_id": "wacid.x"}),
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], 190);
    assert_eq!(body["error"]["type"], "OAuthException");
    let (status, body) = s.post(TOKEN, &connect_body("v=0\r\n")).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], 100);
    let response = s
        .http
        .get(format!(
            "{}/call_permissions?user_wa_id=15550002222",
            s.graph
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["permission"], json!({"status": "no_permission"}));
    let response = s
        .http
        .post(s.graph.replace(PNID, "999") + "/calls")
        .bearer_auth(TOKEN)
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(
        (
            body["error"]["code"].clone(),
            body["error"]["error_subcode"].clone()
        ),
        (json!(100), json!(33))
    );
    let response = s
        .http
        .get(format!("{}/settings", s.graph))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], 2500);
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answered_call_connects_media_and_carries_digits() {
    let mut s = setup(0).await;
    s.user(Behavior::Answer, 100, Some("4#"));
    let offer = MediaEngine::new(MediaConfig::full()).offer().await.unwrap();
    let (status, body) = s.post(TOKEN, &connect_body(offer.sdp())).await;
    assert_eq!(status, 200, "{body}");
    let id = body["calls"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&s.next_events().await), CallStatusKind::Ringing);
    let answer = match s.next_events().await.as_slice() {
        [EventKind::Connect(connect)] => {
            assert_eq!(connect.call_id, id);
            let session = connect.session.clone().expect("SDP answer");
            assert_eq!(session.sdp_type, SdpType::Answer);
            let summary = dialtone_whatsapp::sdp::check(&session.sdp, SdpType::Answer)
                .expect("Meta-profile answer");
            assert!(summary.ice_lite);
            session.sdp
        }
        other => panic!("expected the connect webhook, got {other:?}"),
    };
    assert_eq!(status_of(&s.next_events().await), CallStatusKind::Accepted);
    let mut leg = offer.accept(&answer).expect("the answer applies");
    let mut heard = String::new();
    let mut connected = false;
    while heard.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(20), leg.event()).await {
            Ok(Some(MediaEvent::Connected)) => connected = true,
            Ok(Some(MediaEvent::Digit(d))) => heard.push(d),
            other => panic!("unexpected media event {other:?}"),
        }
    }
    assert!(connected);
    assert_eq!(heard, "4#");
    let (status, _) = s
        .post(
            TOKEN,
            &json!({"messaging_product": "whatsapp", "action": "terminate", "call_id": id}),
        )
        .await;
    assert_eq!(status, 200);
    match s.next_events().await.as_slice() {
        [EventKind::Terminate(t)] => {
            assert_eq!(t.status, TerminateStatus::Completed);
            assert!(t.start_time.is_some() && t.duration.is_some());
        }
        other => panic!("expected the terminate webhook, got {other:?}"),
    }
    // The user's leg stopped: its counters stay on the call for the test API.
    let sent_to_user = leg.stats().rtp_sent;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let media = loop {
        let calls = s.sim.calls(account(), &e164(USER));
        if let Some(media) = calls.iter().find(|c| c.call_id == id).and_then(|c| c.media) {
            break media;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no media counters: {calls:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(media.rtp_sent > 0 && media.rtp_received > 0, "{media:?}");
    assert!(
        media.rtp_received <= sent_to_user,
        "{media:?} vs {sent_to_user}"
    );
    assert_eq!(media.rtp_lost, 0, "{media:?}");
    s.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_call_offers_ice_lite_media_the_business_answers() {
    let mut s = setup(0).await;
    s.user(Behavior::Answer, 0, Some("7"));
    let unknown = s
        .sim
        .call_business(account(), &e164(USER), "whatsapp:+15559999999")
        .await;
    assert_eq!(
        unknown.unwrap_err().to_string(),
        "whatsapp:+15559999999 is not a WhatsApp sender of this account"
    );
    let call = s
        .sim
        .call_business(account(), &e164(USER), "whatsapp:+15550001111")
        .await
        .expect("placed");
    let offer = match s.next_events().await.as_slice() {
        [EventKind::Connect(connect)] => {
            assert_eq!(connect.call_id, call.call_id);
            let session = connect.session.clone().expect("offer");
            assert_eq!(session.sdp_type, SdpType::Offer);
            session.sdp
        }
        other => panic!("expected the connect webhook, got {other:?}"),
    };
    let (mut leg, answer) = MediaEngine::new(MediaConfig::full())
        .answer(&offer)
        .await
        .expect("Dialtone's side answers");
    for action in ["pre_accept", "accept"] {
        let (status, body) = s
            .post(
                TOKEN,
                &json!({"messaging_product": "whatsapp", "action": action,
                    "call_id": call.call_id, "session": {"sdp_type": "answer", "sdp": answer}}),
            )
            .await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    let mut heard = String::new();
    while heard.is_empty() {
        match tokio::time::timeout(Duration::from_secs(20), leg.event()).await {
            Ok(Some(MediaEvent::Connected)) => {}
            Ok(Some(MediaEvent::Digit(d))) => heard.push(d),
            other => panic!("unexpected media event {other:?}"),
        }
    }
    assert_eq!(heard, "7");
    assert_eq!(
        s.sim.calls(account(), &e164(USER))[0].status,
        CallStatus::InProgress
    );
    s.sim.shutdown().await;
}

/// Over HTTP: the user writes, the business sends a free-form call permission request and
/// `connect`s after the reply; every webhook arrives signed, in Meta's order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permission_request_is_answered_with_signed_webhooks() {
    let mut s = setup(0).await;
    let mut user = NewUser::new(e164(USER));
    user.reply_after = Duration::from_millis(50);
    s.sim.put_user(account(), user).unwrap();
    let wrote = s
        .sim
        .send_message(account(), &e164(USER), "whatsapp:+15550001111", "hi")
        .await
        .unwrap();
    let events = s.next_events().await;
    assert!(
        matches!(events.as_slice(), [EventKind::Text(t)] if t.body == "hi" && t.message_id == wrote.id)
    );
    let response = s
        .http
        .post(format!("{}/messages", s.graph))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body(
            serde_json::to_vec(
                &json!({"messaging_product": "whatsapp", "to": "15550002222",
                "type": "interactive", "interactive": {"type": "call_permission_request",
                "action": {"name": "call_permission_request"}}}),
            )
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    let wamid = body["messages"][0]["id"].as_str().unwrap().to_owned();
    let mut kinds = Vec::new();
    for _ in 0..4 {
        kinds.extend(s.next_events().await);
    }
    let statuses: Vec<MessageStatusKind> = kinds
        .iter()
        .filter_map(|e| match e {
            EventKind::MessageStatus(st) if st.message_id == wamid => Some(st.status.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        statuses,
        [
            MessageStatusKind::Sent,
            MessageStatusKind::Delivered,
            MessageStatusKind::Read
        ]
    );
    let Some(EventKind::PermissionReply(reply)) = kinds.last() else {
        panic!("the reply last: {kinds:?}");
    };
    assert!(reply.accepted && !reply.is_permanent);
    assert_eq!(reply.context_id.as_deref(), Some(wamid.as_str()));
    let permissions = s
        .http
        .get(format!(
            "{}/call_permissions?user_wa_id=15550002222",
            s.graph
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&permissions.bytes().await.unwrap()).unwrap();
    assert_eq!(body["permission"]["status"], "temporary");
    assert_eq!(
        body["permission"]["expiration_time"],
        reply.expiration_timestamp.unwrap()
    );
    let listed = s.sim.messages(account(), &e164(USER));
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].status.as_deref(), Some("read"));
    s.sim.shutdown().await;
}
