//! `<Dial><WhatsApp>` through the WhatsApp connector against a fake Meta: Graph requests with
//! exact bodies, signed webhooks, real WebRTC media on loopback (the user's side is an ICE-lite
//! `dialtone-media` leg, as Meta's is), and the child's states, callbacks and notifications.

mod common;
mod whatsapp_common;

use std::time::Duration;

use common::{account, ended, eventually};
use dialtone_runtime::WebhookRefusal;
use dialtone_types::{CallStatus, Sid, TwilioCode};
use dialtone_whatsapp::webhook::{
    CallDirection, CallStatusKind, EventKind, PermissionReply, SignatureError,
};
use whatsapp_common::outbound::{
    Dialed, connect_request, notifications, setup, setup_with, start_parent, status_of,
    user_answers,
};
use whatsapp_common::{Meta, Scripted, USER_DIGITS, post, status, terminate};

/// `/voice` as [`whatsapp_common::dial_app`] with `attributes` on `<Dial>` and `<WhatsApp>`.
fn route_voice(app: &common::App, dial: &str, whatsapp: &str) {
    app.route(
        "/voice",
        common::Reply::Twiml(format!(
            "<Response><Dial callerId=\"whatsapp:+15550001111\" action=\"/action\"{dial}>\
             <WhatsApp{whatsapp} statusCallback=\"/child\" \
             statusCallbackEvent=\"initiated ringing answered completed\">{}</WhatsApp>\
             </Dial></Response>",
            whatsapp_common::USER
        )),
    );
}

#[tokio::test]
async fn answered_then_hung_up_by_the_user() {
    let d = Dialed::start(30).await;
    let user = d.rings_then_answers().await;
    // ACCEPTED is informational; a duplicate RINGING after the answer is stale.
    let opaque = d.opaque();
    post(
        &d.rt,
        &[
            status("wacid.1", CallStatusKind::Accepted, Some(&opaque), 102),
            status("wacid.1", CallStatusKind::Ringing, Some(&opaque), 100),
        ],
    );
    d.post_terminate(Some(4), true, 105);
    d.child_ends(CallStatus::Completed).await;
    assert_eq!(
        ended(&d.store, d.parent.sid).await.status,
        CallStatus::Completed
    );
    let callbacks = d
        .callbacks_are(&["initiated", "ringing", "in-progress", "completed"])
        .await;
    assert!(callbacks[3].param("CallDuration").is_some());
    let action = d.app.seen_at("/action");
    assert_eq!(action.len(), 1);
    assert_eq!(action[0].param("DialCallStatus"), Some("completed"));
    assert_eq!(action[0].param("DialCallSid"), Some(opaque.as_str()));
    // Meta ended the call: nothing to terminate.
    assert_eq!(d.meta.actions(), ["connect"]);
    assert!(d.notifications().await.is_empty());
    drop(user);
    d.rt.shutdown().await;
}

#[tokio::test]
async fn hung_up_by_dialtone_terminates_at_meta() {
    let d = Dialed::from_setup(setup(30).await, |_, app| {
        route_voice(app, " timeLimit=\"1\"", "");
    })
    .await;
    let (mut user, sdp) = user_answers(&d.offer).await;
    // Webhooks routed by Meta's call id once the connect answer named it (no opaque data).
    eventually("the call id to be known", || async {
        d.rt.whatsapp().unwrap().tracks("wacid.1").then_some(())
    })
    .await;
    d.post_answer(&sdp, false, 101);
    assert_eq!(
        user.event().await,
        Some(dialtone_media::MediaEvent::Connected)
    );
    // The Dial's timeLimit ends the child: Dialtone hangs up and terminates at Meta.
    d.terminated_at_meta(2).await;
    d.child_ends(CallStatus::Completed).await;
    // No RINGING webhook was sent: the child went from initiated to in-progress.
    d.callbacks_are(&["initiated", "in-progress", "completed"])
        .await;
    d.action_is(0, "completed").await;
    // Meta confirms with its terminate webhook; nothing more is sent.
    d.post_terminate(Some(1), false, 103);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(d.meta.actions(), ["connect", "terminate"]);
    drop(user);
    d.rt.shutdown().await;
}

#[tokio::test]
async fn declined_is_busy() {
    let d = Dialed::start(30).await;
    // Reordered: REJECTED arrives before RINGING, then Meta's terminate twice.
    d.post_status(CallStatusKind::Rejected, true, 101);
    d.post_status(CallStatusKind::Ringing, true, 100);
    d.post_terminate(None, true, 102);
    d.post_terminate(None, true, 102);
    d.child_ends(CallStatus::Busy).await;
    d.callbacks_are(&["initiated", "busy"]).await;
    // The late RINGING and the duplicated terminate change nothing.
    tokio::time::sleep(Duration::from_millis(100)).await;
    d.callbacks_are(&["initiated", "busy"]).await;
    d.action_is(0, "busy").await;
    assert_eq!(d.meta.actions(), ["connect"]);
    d.rt.shutdown().await;
}

#[tokio::test]
async fn unanswered_ends_at_the_dial_timeout_with_a_terminate() {
    let d = Dialed::start(1).await;
    d.post_status(CallStatusKind::Ringing, true, 100);
    d.terminated_at_meta(2).await;
    d.child_ends(CallStatus::NoAnswer).await;
    d.callbacks_are(&["initiated", "ringing", "no-answer"])
        .await;
    d.action_is(0, "no-answer").await;
    d.rt.shutdown().await;
}

const NO_PERMISSION: &str = r#"{"error":{"message":"(#138006) No approved call permission","type":"OAuthException","code":138006,"error_data":{"messaging_product":"whatsapp","details":"No approved call permission from the recipient"},"fbtrace_id":"AbC"}}"#;

#[tokio::test]
async fn no_permission_fails_with_37000_then_fails_fast_from_the_cache_until_granted() {
    let d = Dialed::from_setup(setup(30).await, |meta, _| {
        meta.script("connect", Scripted::Answer(401, NO_PERMISSION.to_owned()));
    })
    .await;
    d.child_ends(CallStatus::Failed).await;
    assert_eq!(
        d.notifications().await,
        [(
            37000,
            "WhatsApp error 138006: (#138006) No approved call permission (No approved call permission from the recipient)"
                .to_owned()
        )]
    );
    d.callbacks_are(&["initiated", "failed"]).await;
    d.action_is(0, "failed").await;
    ended(&d.store, d.parent.sid).await;

    // Second dial to the same user: refused from the cache, Meta never asked.
    let second = start_parent(&d.rt, &d.app).await;
    ended(&d.store, second.sid).await;
    let action = d.action_is(1, "failed").await;
    let second_child: Sid = action.param("DialCallSid").unwrap().parse().unwrap();
    assert_eq!(
        notifications(&d.store, second_child).await,
        [(
            37000,
            "WhatsApp user has not granted call permission".to_owned()
        )]
    );
    assert_eq!(d.meta.actions(), ["connect"]);

    // The user grants permission (reply webhook, field `messages`): Meta is asked again.
    post(
        &d.rt,
        &[EventKind::PermissionReply(PermissionReply {
            from: USER_DIGITS.to_owned(),
            message_id: None,
            timestamp: Some(200),
            context_id: None,
            accepted: true,
            is_permanent: true,
            expiration_timestamp: None,
            response_source: Some("user_action".to_owned()),
        })],
    );
    let third = start_parent(&d.rt, &d.app).await;
    let (third_child, _offer) = connect_request(&d.meta, 2, third.sid, &d.store).await;
    post(
        &d.rt,
        &[status(
            "wacid.1",
            CallStatusKind::Ringing,
            Some(&third_child.to_string()),
            201,
        )],
    );
    status_of(&d.store, third_child, CallStatus::Ringing).await;
    d.rt.shutdown().await;
}

async fn failed_connect(scripted: Scripted, code: u32, message: &str) {
    let d = Dialed::from_setup(setup(30).await, |meta, _| meta.script("connect", scripted)).await;
    d.child_ends(CallStatus::Failed).await;
    assert_eq!(d.notifications().await, [(code, message.to_owned())]);
    d.action_is(0, "failed").await;
    // A connect that may have created a call is never sent again.
    assert_eq!(d.meta.actions(), ["connect"]);
    d.rt.shutdown().await;
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
    let d = Dialed::start(30).await;
    let (_user, sdp) = user_answers(&d.offer).await;
    let no_ice: String = sdp
        .split_inclusive("\r\n")
        .filter(|l| !l.starts_with("a=ice-ufrag") && !l.starts_with("a=fingerprint"))
        .collect();
    d.post_answer(&no_ice, true, 101);
    d.terminated_at_meta(2).await;
    d.child_ends(CallStatus::Failed).await;
    assert_eq!(
        d.notifications().await,
        [(
            TwilioCode::INTERNAL_FAILURE.0,
            "SDP refused: no ICE ufrag, no DTLS fingerprint".to_owned()
        )]
    );
    d.callbacks_are(&["initiated", "failed"]).await;
    d.rt.shutdown().await;
}

#[tokio::test]
async fn media_that_never_connects_fails_the_child_and_terminates() {
    let meta = Meta::start().await;
    let mut config = meta.config();
    config.media_timeout = Duration::from_millis(700);
    let (app, rt, store) = setup_with(30, config, meta.clone()).await;
    let d = Dialed::from_setup((meta, app, rt, store), |_, _| {}).await;
    let (user, sdp) = user_answers(&d.offer).await;
    // The user's leg goes away: the answer points at a port nobody listens on.
    drop(user);
    tokio::time::sleep(Duration::from_millis(50)).await;
    d.post_answer(&sdp, true, 101);
    d.terminated_at_meta(2).await;
    d.child_ends(CallStatus::Failed).await;
    let notes = d.notifications().await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].0, 12400);
    assert!(
        notes[0].1.starts_with("WhatsApp media failed: "),
        "{}",
        notes[0].1
    );
    d.callbacks_are(&["initiated", "failed"]).await;
    d.rt.shutdown().await;
}

#[tokio::test]
async fn bad_webhooks_are_refused_and_the_call_goes_on() {
    let d = Dialed::start(30).await;
    let user = d.user_connects(true, 101).await;
    d.child_is(CallStatus::InProgress).await;

    let hangup = whatsapp_common::notification(&[d.terminate_event(Some(3), true, 104)]);
    assert_eq!(
        d.rt.whatsapp_webhook(&hangup, None),
        Err(WebhookRefusal::Signature(SignatureError::Missing))
    );
    let wrong = dialtone_whatsapp::webhook::signature_header(b"not the secret", &hangup);
    assert_eq!(
        d.rt.whatsapp_webhook(&hangup, Some(&wrong)),
        Err(WebhookRefusal::Signature(SignatureError::Mismatch))
    );
    assert_eq!(
        d.rt.whatsapp_webhook(&hangup, Some("sha256=xyz")),
        Err(WebhookRefusal::Signature(SignatureError::Malformed))
    );
    let garbage = b"{not json";
    let signed = dialtone_whatsapp::webhook::signature_header(
        whatsapp_common::APP_SECRET.as_bytes(),
        garbage,
    );
    assert!(matches!(
        d.rt.whatsapp_webhook(garbage, Some(&signed)),
        Err(WebhookRefusal::Malformed(_))
    ));
    // An event about a call nobody knows is ignored.
    post(
        &d.rt,
        &[terminate(
            "wacid.unknown",
            CallDirection::BusinessInitiated,
            Some(3),
            None,
            104,
        )],
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let live = d.store.fetch_call(account(), d.child).await.unwrap();
    assert_eq!(live.status, CallStatus::InProgress);
    assert_eq!(d.meta.actions(), ["connect"]);

    // The genuine hang-up still works.
    let signature = dialtone_whatsapp::webhook::signature_header(
        whatsapp_common::APP_SECRET.as_bytes(),
        &hangup,
    );
    d.rt.whatsapp_webhook(&hangup, Some(&signature)).unwrap();
    d.child_ends(CallStatus::Completed).await;
    drop(user);
    d.rt.shutdown().await;
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
    let d = Dialed::from_setup(setup(30).await, |meta, _| {
        meta.script("connect", Scripted::Late(Duration::from_millis(400)));
    })
    .await;
    // Meta's answer to `connect` is still on its way.
    let user = d.rings_then_answers().await;
    // Later webhooks without opaque data find the call by Meta's id.
    d.post_terminate(Some(2), false, 103);
    d.child_ends(CallStatus::Completed).await;
    d.callbacks_are(&["initiated", "ringing", "in-progress", "completed"])
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(d.meta.actions(), ["connect"]);
    drop(user);
    d.rt.shutdown().await;
}

#[tokio::test]
async fn digits_pressed_on_whatsapp_reach_a_whisper_gather() {
    let d = Dialed::from_setup(setup(30).await, |_, app| {
        route_voice(app, "", " url=\"/whisper\"");
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
    })
    .await;
    let user = d.user_connects(true, 101).await;
    eventually("the whisper request", || async {
        d.app.seen_at("/whisper").into_iter().next()
    })
    .await;
    user.send_digits("1");
    let pressed = eventually("the gather action", || async {
        d.app.seen_at("/pressed").into_iter().next()
    })
    .await;
    assert_eq!(pressed.param("Digits"), Some("1"));
    assert_eq!(pressed.param("CallSid"), Some(d.opaque().as_str()));
    // The whisper hung up: the child ends and Meta is told.
    d.terminated_at_meta(2).await;
    d.child_ends(CallStatus::Completed).await;
    drop(user);
    d.rt.shutdown().await;
}

#[tokio::test]
async fn meta_ending_the_call_before_media_connects_fails_the_child() {
    let d = Dialed::start(30).await;
    let (user, sdp) = user_answers(&d.offer).await;
    drop(user);
    d.post_answer(&sdp, true, 101);
    d.post_terminate(Some(1), true, 102);
    d.child_ends(CallStatus::Failed).await;
    assert_eq!(
        d.notifications().await,
        [(
            12400,
            "WhatsApp call ended before its media connected".to_owned()
        )]
    );
    d.callbacks_are(&["initiated", "failed"]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Meta ended it: no terminate is sent.
    assert_eq!(d.meta.actions(), ["connect"]);
    d.rt.shutdown().await;
}

#[tokio::test]
async fn a_leg_ended_while_connect_is_in_flight_is_terminated_once_meta_names_it() {
    let meta = Meta::start().await;
    let mut config = meta.config();
    config.request_timeout = Duration::from_secs(5);
    let (app, rt, store) = setup_with(1, config, meta.clone()).await;
    // Meta answers `connect` only after the one-second <Dial timeout> ended the child.
    let d = Dialed::from_setup((meta, app, rt, store), |meta, _| {
        meta.script("connect", Scripted::Late(Duration::from_secs(2)));
    })
    .await;
    d.child_ends(CallStatus::NoAnswer).await;
    d.terminated_at_meta(2).await;
    d.callbacks_are(&["initiated", "no-answer"]).await;
    assert_eq!(d.meta.actions(), ["connect", "terminate"]);
    d.rt.shutdown().await;
}
