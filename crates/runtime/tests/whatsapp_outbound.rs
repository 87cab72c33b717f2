//! `<Dial><WhatsApp>` through the WhatsApp connector against a fake Meta: Graph requests with
//! exact bodies, signed webhooks, real WebRTC media on loopback (the user's side is an ICE-lite
//! `dialtone-media` leg, as Meta's is), and the child's states, callbacks and notifications.

mod common;
mod whatsapp_common;

use std::time::Duration;

use common::{App, Seen, account, call_request, ended, eventually};
use dialtone_media::{MediaConfig, MediaEngine, MediaEvent, MediaLeg};
use dialtone_runtime::{Behavior, Handle, SoftphoneConfig, WebhookRefusal};
use dialtone_store::{Call, PageRequest, PageSize, Store};
use dialtone_types::{CallStatus, Direction, Sid, TwilioCode};
use dialtone_whatsapp::webhook::{
    CallDirection, CallStatusKind, EventKind, PermissionReply, SignatureError,
};
use whatsapp_common::{
    ACCESS_TOKEN, GraphSeen, Meta, Scripted, USER_DIGITS, answer, calls_path, dial_app, post,
    status, store_sender, terminate, terminate_body,
};

/// Parent call to a softphone that answers and stays.
async fn start_parent(rt: &Handle, app: &App) -> Call {
    rt.softphones().register(
        account(),
        SoftphoneConfig {
            behavior: Behavior::Answer,
            answer_after: Duration::from_millis(20),
            ..SoftphoneConfig::new("agent")
        },
    );
    rt.create_call(call_request("client:agent", app.url("/voice")))
        .await
        .unwrap()
}

/// Waits for the `connect` and checks it is exactly what Meta documents.
async fn connect_request(meta: &Meta, n: usize, parent: Sid, store: &Store) -> (Sid, String) {
    let seen = meta.request(n).await;
    assert_eq!(seen.path, calls_path());
    assert_eq!(
        seen.authorization.as_deref(),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert_eq!(seen.action(), "connect");
    let body = seen.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "action",
            "biz_opaque_callback_data",
            "messaging_product",
            "session",
            "to"
        ]
    );
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["to"], USER_DIGITS);
    assert_eq!(body["session"]["sdp_type"], "offer");
    let offer = body["session"]["sdp"].as_str().unwrap().to_owned();
    assert!(offer.contains("\r\na=ice-ufrag:"), "{offer}");
    let child: Sid = body["biz_opaque_callback_data"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let stored = store.fetch_call(account(), child).await.unwrap();
    assert_eq!(stored.parent_call_sid, Some(parent));
    assert_eq!(stored.direction, Direction::OutboundDial);
    assert_eq!(stored.to, format!("whatsapp:{}", whatsapp_common::USER));
    (child, offer)
}

/// The user's phone: an ICE-lite leg answering our offer.
async fn user_answers(offer: &str) -> (MediaLeg, String) {
    MediaEngine::new(MediaConfig::lite())
        .answer(offer)
        .await
        .unwrap()
}

async fn child_callbacks(app: &App, child: Sid, n: usize) -> Vec<Seen> {
    eventually(&format!("{n} child callbacks"), || async {
        let seen = app.callbacks_of("/child", child);
        (seen.len() >= n).then_some(seen)
    })
    .await
}

fn statuses(callbacks: &[Seen]) -> Vec<&str> {
    callbacks
        .iter()
        .map(|c| c.param("CallStatus").unwrap())
        .collect()
}

async fn notifications(store: &Store, call: Sid) -> Vec<(u32, String)> {
    let page = PageRequest::first(PageSize::new(50).unwrap());
    store
        .list_notifications(account(), call, &page)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|n| (n.error_code.0, n.message_text))
        .collect()
}

async fn status_of(store: &Store, call: Sid, want: CallStatus) {
    eventually(&format!("{call} {want}"), || async {
        let c = store.fetch_call(account(), call).await.ok()?;
        (c.status == want).then_some(())
    })
    .await;
}

/// Every child callback names the parent and counts up from 0.
fn check_sequence(callbacks: &[Seen], parent: Sid) {
    for (i, cb) in callbacks.iter().enumerate() {
        assert_eq!(cb.param("SequenceNumber"), Some(i.to_string().as_str()));
        assert_eq!(cb.param("ParentCallSid"), Some(parent.to_string().as_str()));
        assert_eq!(cb.param("Direction"), Some("outbound-dial"));
        assert_eq!(cb.param("From"), Some("whatsapp:+15550001111"));
        assert_eq!(cb.param("To"), Some("whatsapp:+447700900123"));
        assert!(cb.signature_ok());
    }
}

async fn setup(timeout: u32) -> (Meta, App, Handle, Store) {
    let meta = Meta::start().await;
    let app = App::start().await;
    dial_app(&app, timeout);
    let (rt, store) = whatsapp_common::runtime(&meta, meta.config()).await;
    store_sender(&store, None).await;
    (meta, app, rt, store)
}

#[tokio::test]
async fn answered_then_hung_up_by_the_user() {
    let (meta, app, rt, store) = setup(30).await;
    let parent = start_parent(&rt, &app).await;
    let (child, offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let opaque = child.to_string();
    let (mut user, sdp) = user_answers(&offer).await;
    post(
        &rt,
        &[status(
            "wacid.1",
            CallStatusKind::Ringing,
            Some(&opaque),
            100,
        )],
    );
    status_of(&store, child, CallStatus::Ringing).await;
    post(&rt, &[answer("wacid.1", &sdp, Some(&opaque), 101)]);
    assert_eq!(user.event().await, Some(MediaEvent::Connected));
    status_of(&store, child, CallStatus::InProgress).await;
    // ACCEPTED is informational; a duplicate RINGING after the answer is stale.
    post(
        &rt,
        &[
            status("wacid.1", CallStatusKind::Accepted, Some(&opaque), 102),
            status("wacid.1", CallStatusKind::Ringing, Some(&opaque), 100),
        ],
    );
    post(
        &rt,
        &[terminate(
            "wacid.1",
            CallDirection::BusinessInitiated,
            Some(4),
            Some(&opaque),
            105,
        )],
    );
    let child_done = ended(&store, child).await;
    assert_eq!(child_done.status, CallStatus::Completed);
    let parent_done = ended(&store, parent.sid).await;
    assert_eq!(parent_done.status, CallStatus::Completed);
    let callbacks = child_callbacks(&app, child, 4).await;
    assert_eq!(
        statuses(&callbacks),
        ["initiated", "ringing", "in-progress", "completed"]
    );
    check_sequence(&callbacks, parent.sid);
    assert!(callbacks[3].param("CallDuration").is_some());
    let action = app.seen_at("/action");
    assert_eq!(action.len(), 1);
    assert_eq!(action[0].param("DialCallStatus"), Some("completed"));
    assert_eq!(
        action[0].param("DialCallSid"),
        Some(child.to_string().as_str())
    );
    // Meta ended the call: nothing to terminate.
    assert_eq!(meta.actions(), ["connect"]);
    assert!(notifications(&store, child).await.is_empty());
    drop(user);
    rt.shutdown().await;
}

#[tokio::test]
async fn hung_up_by_dialtone_terminates_at_meta() {
    let (meta, app, rt, store) = setup(30).await;
    app.route(
        "/voice",
        common::Reply::Twiml(format!(
            "<Response><Dial callerId=\"whatsapp:+15550001111\" action=\"/action\" timeLimit=\"1\">\
             <WhatsApp statusCallback=\"/child\" statusCallbackEvent=\"initiated ringing answered completed\">{}</WhatsApp>\
             </Dial></Response>",
            whatsapp_common::USER
        )),
    );
    let parent = start_parent(&rt, &app).await;
    let (child, offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let (mut user, sdp) = user_answers(&offer).await;
    // Webhooks routed by Meta's call id once the connect answer named it (no opaque data).
    eventually("the call id to be known", || async {
        rt.whatsapp().unwrap().tracks("wacid.1").then_some(())
    })
    .await;
    post(&rt, &[answer("wacid.1", &sdp, None, 101)]);
    assert_eq!(user.event().await, Some(MediaEvent::Connected));
    // The Dial's timeLimit ends the child: Dialtone hangs up and terminates at Meta.
    let terminate_seen: GraphSeen = meta.request(2).await;
    assert_eq!(terminate_seen.path, calls_path());
    assert_eq!(terminate_seen.body, terminate_body("wacid.1"));
    let child_done = ended(&store, child).await;
    assert_eq!(child_done.status, CallStatus::Completed);
    // No RINGING webhook was sent: the child went from initiated to in-progress.
    let callbacks = child_callbacks(&app, child, 3).await;
    assert_eq!(
        statuses(&callbacks),
        ["initiated", "in-progress", "completed"]
    );
    check_sequence(&callbacks, parent.sid);
    let action = app.seen_at("/action");
    assert_eq!(action[0].param("DialCallStatus"), Some("completed"));
    // Meta confirms with its terminate webhook; nothing more is sent.
    post(
        &rt,
        &[terminate(
            "wacid.1",
            CallDirection::BusinessInitiated,
            Some(1),
            None,
            103,
        )],
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(meta.actions(), ["connect", "terminate"]);
    drop(user);
    rt.shutdown().await;
}

#[tokio::test]
async fn declined_is_busy() {
    let (meta, app, rt, store) = setup(30).await;
    let parent = start_parent(&rt, &app).await;
    let (child, _offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let opaque = child.to_string();
    // Reordered: REJECTED arrives before RINGING, then Meta's terminate twice.
    post(
        &rt,
        &[status(
            "wacid.1",
            CallStatusKind::Rejected,
            Some(&opaque),
            101,
        )],
    );
    post(
        &rt,
        &[status(
            "wacid.1",
            CallStatusKind::Ringing,
            Some(&opaque),
            100,
        )],
    );
    let end = terminate(
        "wacid.1",
        CallDirection::BusinessInitiated,
        None,
        Some(&opaque),
        102,
    );
    post(&rt, std::slice::from_ref(&end));
    post(&rt, &[end]);
    let child_done = ended(&store, child).await;
    assert_eq!(child_done.status, CallStatus::Busy);
    child_callbacks(&app, child, 2).await;
    // The late RINGING and the duplicated terminate change nothing.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let callbacks = app.callbacks_of("/child", child);
    assert_eq!(statuses(&callbacks), ["initiated", "busy"]);
    check_sequence(&callbacks, parent.sid);
    let action = eventually("the action request", || async {
        app.seen_at("/action").into_iter().next()
    })
    .await;
    assert_eq!(action.param("DialCallStatus"), Some("busy"));
    assert_eq!(meta.actions(), ["connect"]);
    rt.shutdown().await;
}

#[tokio::test]
async fn unanswered_ends_at_the_dial_timeout_with_a_terminate() {
    let (meta, app, rt, store) = setup(1).await;
    let parent = start_parent(&rt, &app).await;
    let (child, _offer) = connect_request(&meta, 1, parent.sid, &store).await;
    post(
        &rt,
        &[status(
            "wacid.1",
            CallStatusKind::Ringing,
            Some(&child.to_string()),
            100,
        )],
    );
    let terminate_seen = meta.request(2).await;
    assert_eq!(terminate_seen.body, terminate_body("wacid.1"));
    let child_done = ended(&store, child).await;
    assert_eq!(child_done.status, CallStatus::NoAnswer);
    let callbacks = child_callbacks(&app, child, 3).await;
    assert_eq!(statuses(&callbacks), ["initiated", "ringing", "no-answer"]);
    check_sequence(&callbacks, parent.sid);
    let action = eventually("the action request", || async {
        app.seen_at("/action").into_iter().next()
    })
    .await;
    assert_eq!(action.param("DialCallStatus"), Some("no-answer"));
    rt.shutdown().await;
}

const NO_PERMISSION: &str = r#"{"error":{"message":"(#138006) No approved call permission","type":"OAuthException","code":138006,"error_data":{"messaging_product":"whatsapp","details":"No approved call permission from the recipient"},"fbtrace_id":"AbC"}}"#;

#[tokio::test]
async fn no_permission_fails_with_37000_then_fails_fast_from_the_cache_until_granted() {
    let (meta, app, rt, store) = setup(30).await;
    meta.script("connect", Scripted::Answer(401, NO_PERMISSION.to_owned()));
    let parent = start_parent(&rt, &app).await;
    let (child, _offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let child_done = ended(&store, child).await;
    assert_eq!(child_done.status, CallStatus::Failed);
    assert_eq!(
        notifications(&store, child).await,
        [(
            37000,
            "WhatsApp error 138006: (#138006) No approved call permission (No approved call permission from the recipient)"
                .to_owned()
        )]
    );
    let callbacks = child_callbacks(&app, child, 2).await;
    assert_eq!(statuses(&callbacks), ["initiated", "failed"]);
    let action = eventually("the action request", || async {
        app.seen_at("/action").into_iter().next()
    })
    .await;
    assert_eq!(action.param("DialCallStatus"), Some("failed"));
    ended(&store, parent.sid).await;

    // Second dial to the same user: refused from the cache, Meta never asked.
    let second = start_parent(&rt, &app).await;
    ended(&store, second.sid).await;
    let action = eventually("the second action request", || async {
        app.seen_at("/action").into_iter().nth(1)
    })
    .await;
    assert_eq!(action.param("DialCallStatus"), Some("failed"));
    let second_child: Sid = action.param("DialCallSid").unwrap().parse().unwrap();
    assert_eq!(
        notifications(&store, second_child).await,
        [(
            37000,
            "WhatsApp user has not granted call permission".to_owned()
        )]
    );
    assert_eq!(meta.actions(), ["connect"]);

    // The user grants permission (reply webhook, field `messages`): Meta is asked again.
    post(
        &rt,
        &[EventKind::PermissionReply(PermissionReply {
            from: USER_DIGITS.to_owned(),
            timestamp: Some(200),
            context_id: None,
            accepted: true,
            is_permanent: true,
            expiration_timestamp: None,
            response_source: Some("user_action".to_owned()),
        })],
    );
    let third = start_parent(&rt, &app).await;
    let (third_child, _offer) = connect_request(&meta, 2, third.sid, &store).await;
    post(
        &rt,
        &[status(
            "wacid.1",
            CallStatusKind::Ringing,
            Some(&third_child.to_string()),
            201,
        )],
    );
    status_of(&store, third_child, CallStatus::Ringing).await;
    rt.shutdown().await;
}

async fn failed_connect(scripted: Scripted, code: u32, message: &str) {
    let (meta, app, rt, store) = setup(30).await;
    meta.script("connect", scripted);
    let parent = start_parent(&rt, &app).await;
    let (child, _offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let child_done = ended(&store, child).await;
    assert_eq!(child_done.status, CallStatus::Failed);
    assert_eq!(
        notifications(&store, child).await,
        [(code, message.to_owned())]
    );
    let action = eventually("the action request", || async {
        app.seen_at("/action").into_iter().next()
    })
    .await;
    assert_eq!(action.param("DialCallStatus"), Some("failed"));
    // A connect that may have created a call is never sent again.
    assert_eq!(meta.actions(), ["connect"]);
    rt.shutdown().await;
}

#[tokio::test]
async fn graph_timeout_fails_the_child_with_20503() {
    failed_connect(
        Scripted::Hang,
        20503,
        "WhatsApp Graph API did not answer in time",
    )
    .await;
}

#[tokio::test]
async fn graph_5xx_fails_the_child_with_20503() {
    failed_connect(
        Scripted::Answer(502, "<html>Bad Gateway</html>".to_owned()),
        20503,
        "WhatsApp Graph API answered HTTP 502",
    )
    .await;
}

#[tokio::test]
async fn answer_without_ice_fails_the_child_and_terminates() {
    let (meta, app, rt, store) = setup(30).await;
    let parent = start_parent(&rt, &app).await;
    let (child, offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let (_user, sdp) = user_answers(&offer).await;
    let no_ice: String = sdp
        .split_inclusive("\r\n")
        .filter(|l| !l.starts_with("a=ice-ufrag") && !l.starts_with("a=fingerprint"))
        .collect();
    post(
        &rt,
        &[answer("wacid.1", &no_ice, Some(&child.to_string()), 101)],
    );
    let terminate_seen = meta.request(2).await;
    assert_eq!(terminate_seen.body, terminate_body("wacid.1"));
    let child_done = ended(&store, child).await;
    assert_eq!(child_done.status, CallStatus::Failed);
    assert_eq!(
        notifications(&store, child).await,
        [(
            TwilioCode::INTERNAL_FAILURE.0,
            "SDP refused: no ICE ufrag, no DTLS fingerprint".to_owned()
        )]
    );
    let callbacks = child_callbacks(&app, child, 2).await;
    assert_eq!(statuses(&callbacks), ["initiated", "failed"]);
    rt.shutdown().await;
}

#[tokio::test]
async fn media_that_never_connects_fails_the_child_and_terminates() {
    let meta = Meta::start().await;
    let app = App::start().await;
    dial_app(&app, 30);
    let mut config = meta.config();
    config.media_timeout = Duration::from_millis(700);
    let (rt, store) = whatsapp_common::runtime(&meta, config).await;
    store_sender(&store, None).await;
    let parent = start_parent(&rt, &app).await;
    let (child, offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let (user, sdp) = user_answers(&offer).await;
    // The user's leg goes away: the answer points at a port nobody listens on.
    drop(user);
    tokio::time::sleep(Duration::from_millis(50)).await;
    post(
        &rt,
        &[answer("wacid.1", &sdp, Some(&child.to_string()), 101)],
    );
    let terminate_seen = meta.request(2).await;
    assert_eq!(terminate_seen.body, terminate_body("wacid.1"));
    let child_done = ended(&store, child).await;
    assert_eq!(child_done.status, CallStatus::Failed);
    let notes = notifications(&store, child).await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].0, 12400);
    assert!(
        notes[0].1.starts_with("WhatsApp media failed: "),
        "{}",
        notes[0].1
    );
    let callbacks = child_callbacks(&app, child, 2).await;
    assert_eq!(statuses(&callbacks), ["initiated", "failed"]);
    rt.shutdown().await;
}

#[tokio::test]
async fn bad_webhooks_are_refused_and_the_call_goes_on() {
    let (meta, app, rt, store) = setup(30).await;
    let parent = start_parent(&rt, &app).await;
    let (child, offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let opaque = child.to_string();
    let (mut user, sdp) = user_answers(&offer).await;
    post(&rt, &[answer("wacid.1", &sdp, Some(&opaque), 101)]);
    assert_eq!(user.event().await, Some(MediaEvent::Connected));
    status_of(&store, child, CallStatus::InProgress).await;

    let hangup = whatsapp_common::notification(&[terminate(
        "wacid.1",
        CallDirection::BusinessInitiated,
        Some(3),
        Some(&opaque),
        104,
    )]);
    assert_eq!(
        rt.whatsapp_webhook(&hangup, None),
        Err(WebhookRefusal::Signature(SignatureError::Missing))
    );
    let wrong = dialtone_whatsapp::webhook::signature_header(b"not the secret", &hangup);
    assert_eq!(
        rt.whatsapp_webhook(&hangup, Some(&wrong)),
        Err(WebhookRefusal::Signature(SignatureError::Mismatch))
    );
    assert_eq!(
        rt.whatsapp_webhook(&hangup, Some("sha256=xyz")),
        Err(WebhookRefusal::Signature(SignatureError::Malformed))
    );
    let garbage = b"{not json";
    let signed = dialtone_whatsapp::webhook::signature_header(
        whatsapp_common::APP_SECRET.as_bytes(),
        garbage,
    );
    assert!(matches!(
        rt.whatsapp_webhook(garbage, Some(&signed)),
        Err(WebhookRefusal::Malformed(_))
    ));
    // An event about a call nobody knows is ignored.
    post(
        &rt,
        &[terminate(
            "wacid.unknown",
            CallDirection::BusinessInitiated,
            Some(3),
            None,
            104,
        )],
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let live = store.fetch_call(account(), child).await.unwrap();
    assert_eq!(live.status, CallStatus::InProgress);
    assert_eq!(meta.actions(), ["connect"]);

    // The genuine hang-up still works.
    let signature = dialtone_whatsapp::webhook::signature_header(
        whatsapp_common::APP_SECRET.as_bytes(),
        &hangup,
    );
    rt.whatsapp_webhook(&hangup, Some(&signature)).unwrap();
    assert_eq!(ended(&store, child).await.status, CallStatus::Completed);
    drop(user);
    rt.shutdown().await;
}

#[tokio::test]
async fn subscription_check() {
    let (_meta, _app, rt, _store) = setup(30).await;
    assert_eq!(
        rt.whatsapp_subscription(
            Some("subscribe"),
            Some(whatsapp_common::VERIFY_TOKEN),
            Some("1158201444")
        ),
        Ok("1158201444".to_owned())
    );
    assert!(
        rt.whatsapp_subscription(Some("subscribe"), Some("wrong"), Some("1"))
            .is_err()
    );
    rt.shutdown().await;
}

#[tokio::test]
async fn webhooks_that_beat_the_connect_answer_are_routed_by_the_child_sid() {
    let (meta, app, rt, store) = setup(30).await;
    meta.script("connect", Scripted::Late(Duration::from_millis(400)));
    let parent = start_parent(&rt, &app).await;
    let (child, offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let opaque = child.to_string();
    let (mut user, sdp) = user_answers(&offer).await;
    // Meta's answer to `connect` is still on its way.
    post(
        &rt,
        &[status(
            "wacid.1",
            CallStatusKind::Ringing,
            Some(&opaque),
            100,
        )],
    );
    status_of(&store, child, CallStatus::Ringing).await;
    post(&rt, &[answer("wacid.1", &sdp, Some(&opaque), 101)]);
    assert_eq!(user.event().await, Some(MediaEvent::Connected));
    status_of(&store, child, CallStatus::InProgress).await;
    // Later webhooks without opaque data find the call by Meta's id.
    post(
        &rt,
        &[terminate(
            "wacid.1",
            CallDirection::BusinessInitiated,
            Some(2),
            None,
            103,
        )],
    );
    assert_eq!(ended(&store, child).await.status, CallStatus::Completed);
    let callbacks = child_callbacks(&app, child, 4).await;
    assert_eq!(
        statuses(&callbacks),
        ["initiated", "ringing", "in-progress", "completed"]
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(meta.actions(), ["connect"]);
    drop(user);
    rt.shutdown().await;
}

#[tokio::test]
async fn digits_pressed_on_whatsapp_reach_a_whisper_gather() {
    let (meta, app, rt, store) = setup(30).await;
    app.route(
        "/voice",
        common::Reply::Twiml(format!(
            "<Response><Dial callerId=\"whatsapp:+15550001111\" action=\"/action\">\
             <WhatsApp url=\"/whisper\" statusCallback=\"/child\" \
             statusCallbackEvent=\"initiated ringing answered completed\">{}</WhatsApp>\
             </Dial></Response>",
            whatsapp_common::USER
        )),
    );
    app.route(
        "/whisper",
        common::Reply::Twiml(
            "<Response><Gather numDigits=\"1\" timeout=\"10\" action=\"/pressed\">\
             <Say>Press one to accept</Say></Gather></Response>"
                .to_owned(),
        ),
    );
    app.route(
        "/pressed",
        common::Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let parent = start_parent(&rt, &app).await;
    let (child, offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let opaque = child.to_string();
    let (mut user, sdp) = user_answers(&offer).await;
    post(&rt, &[answer("wacid.1", &sdp, Some(&opaque), 101)]);
    assert_eq!(user.event().await, Some(MediaEvent::Connected));
    eventually("the whisper request", || async {
        app.seen_at("/whisper").into_iter().next()
    })
    .await;
    user.send_digits("1");
    let pressed = eventually("the gather action", || async {
        app.seen_at("/pressed").into_iter().next()
    })
    .await;
    assert_eq!(pressed.param("Digits"), Some("1"));
    assert_eq!(pressed.param("CallSid"), Some(opaque.as_str()));
    // The whisper hung up: the child ends and Meta is told.
    let terminate_seen = meta.request(2).await;
    assert_eq!(terminate_seen.body, terminate_body("wacid.1"));
    assert_eq!(ended(&store, child).await.status, CallStatus::Completed);
    drop(user);
    rt.shutdown().await;
}

#[tokio::test]
async fn meta_ending_the_call_before_media_connects_fails_the_child() {
    let (meta, app, rt, store) = setup(30).await;
    let parent = start_parent(&rt, &app).await;
    let (child, offer) = connect_request(&meta, 1, parent.sid, &store).await;
    let opaque = child.to_string();
    let (user, sdp) = user_answers(&offer).await;
    drop(user);
    post(&rt, &[answer("wacid.1", &sdp, Some(&opaque), 101)]);
    post(
        &rt,
        &[terminate(
            "wacid.1",
            CallDirection::BusinessInitiated,
            Some(1),
            Some(&opaque),
            102,
        )],
    );
    assert_eq!(ended(&store, child).await.status, CallStatus::Failed);
    assert_eq!(
        notifications(&store, child).await,
        [(
            12400,
            "WhatsApp call ended before its media connected".to_owned()
        )]
    );
    let callbacks = child_callbacks(&app, child, 2).await;
    assert_eq!(statuses(&callbacks), ["initiated", "failed"]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Meta ended it: no terminate is sent.
    assert_eq!(meta.actions(), ["connect"]);
    rt.shutdown().await;
}

#[tokio::test]
async fn a_leg_ended_while_connect_is_in_flight_is_terminated_once_meta_names_it() {
    let meta = Meta::start().await;
    let app = App::start().await;
    dial_app(&app, 1);
    let mut config = meta.config();
    config.request_timeout = Duration::from_secs(5);
    let (rt, store) = whatsapp_common::runtime(&meta, config).await;
    store_sender(&store, None).await;
    // Meta answers `connect` only after the one-second <Dial timeout> ended the child.
    meta.script("connect", Scripted::Late(Duration::from_secs(2)));
    let parent = start_parent(&rt, &app).await;
    let (child, _offer) = connect_request(&meta, 1, parent.sid, &store).await;
    assert_eq!(ended(&store, child).await.status, CallStatus::NoAnswer);
    let terminate_seen = meta.request(2).await;
    assert_eq!(terminate_seen.body, terminate_body("wacid.1"));
    let callbacks = child_callbacks(&app, child, 2).await;
    assert_eq!(statuses(&callbacks), ["initiated", "no-answer"]);
    assert_eq!(meta.actions(), ["connect", "terminate"]);
    rt.shutdown().await;
}
