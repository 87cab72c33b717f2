//! User-initiated WhatsApp calls: Meta's `connect` webhook with the user's offer becomes an
//! inbound call on the sender's voice application; `pre_accept`/`accept`, `reject` and
//! `terminate` go to a fake Meta; the user's side is an ICE-lite `dialtone-media` leg.

mod common;
mod whatsapp_common;

use std::time::Duration;

use common::{App, Reply, account, ended, eventually};
use dialtone_media::{MediaConfig, MediaEngine, MediaEvent, MediaOffer};
use dialtone_runtime::Handle;
use dialtone_store::{CallFilter, NewApplication, PageRequest, PageSize, Store};
use dialtone_types::{CallStatus, Direction, Sid, SidKind, UnixMillis};
use dialtone_whatsapp::webhook::CallDirection;
use serde_json::json;
use whatsapp_common::{Meta, calls_path, post, store_sender, terminate, user_call};

const WACID: &str = "wacid.user.1";

async fn setup(twiml: &str, with_application: bool) -> (Meta, App, Handle, Store) {
    let meta = Meta::start().await;
    let app = App::start().await;
    app.route("/incoming", Reply::Twiml(twiml.to_owned()));
    let (rt, store) = whatsapp_common::runtime(&meta, meta.config()).await;
    let application = Sid::new(SidKind::Application, 0xa9);
    store
        .create_application(
            account(),
            &NewApplication {
                sid: application,
                friendly_name: "WhatsApp line".to_owned(),
                voice_url: Some(app.url("/incoming").to_string()),
                voice_method: "POST".to_owned(),
                voice_fallback_url: None,
                voice_fallback_method: "POST".to_owned(),
                status_callback: Some(app.url("/status").to_string()),
                status_callback_method: "POST".to_owned(),
            },
            UnixMillis(1_700_000_000_000),
        )
        .await
        .unwrap();
    store_sender(&store, with_application.then_some(application)).await;
    (meta, app, rt, store)
}

/// The user's phone: an ICE-lite offer, as Meta sends for user-initiated calls.
async fn user_offer() -> MediaOffer {
    MediaEngine::new(MediaConfig::lite()).offer().await.unwrap()
}

async fn calls(store: &Store) -> Vec<dialtone_store::Call> {
    store
        .list_calls(
            account(),
            &CallFilter::default(),
            &PageRequest::first(PageSize::new(50).unwrap()),
        )
        .await
        .unwrap()
        .items
}

async fn the_call(store: &Store) -> Sid {
    eventually("the inbound call", || async {
        calls(store).await.first().map(|c| c.sid)
    })
    .await
}

/// Checks a `pre_accept`/`accept` body and returns its SDP.
fn answer_sdp(seen: &whatsapp_common::GraphSeen, action: &str) -> String {
    assert_eq!(seen.path, calls_path());
    let body = seen.body.as_object().unwrap();
    let mut keys: Vec<&str> = body.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["action", "call_id", "messaging_product", "session"]);
    assert_eq!(body["action"], action);
    assert_eq!(body["call_id"], WACID);
    assert_eq!(body["session"]["sdp_type"], "answer");
    body["session"]["sdp"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_user_call_runs_the_senders_application_until_the_user_hangs_up() {
    let (meta, app, rt, store) = setup(
        "<Response><Say>Hello</Say><Pause length=\"30\"/></Response>",
        true,
    )
    .await;
    let offer = user_offer().await;
    let connect = user_call(WACID, offer.sdp(), 100);
    post(&rt, std::slice::from_ref(&connect));
    // Meta retries: the same connect again is absorbed.
    post(&rt, &[connect]);
    let pre = answer_sdp(&meta.request(1).await, "pre_accept");
    let voice = eventually("the voice request", || async {
        app.seen_at("/incoming").into_iter().next()
    })
    .await;
    assert_eq!(voice.param("From"), Some("whatsapp:+447700900123"));
    assert_eq!(voice.param("To"), Some("whatsapp:+15550001111"));
    assert_eq!(voice.param("Direction"), Some("inbound"));
    assert_eq!(voice.param("CallStatus"), Some("ringing"));
    assert!(voice.signature_ok());
    let accept = answer_sdp(&meta.request(2).await, "accept");
    assert_eq!(accept, pre, "accept repeats the pre_accept SDP");
    let mut user = offer.accept(&accept).unwrap();
    assert_eq!(user.event().await, Some(MediaEvent::Connected));
    let call = the_call(&store).await;
    let stored = store.fetch_call(account(), call).await.unwrap();
    assert_eq!(stored.status, CallStatus::InProgress);
    assert_eq!(stored.direction, Direction::Inbound);
    assert_eq!(
        (stored.from.as_str(), stored.to.as_str()),
        ("whatsapp:+447700900123", "whatsapp:+15550001111")
    );
    post(
        &rt,
        &[terminate(
            WACID,
            CallDirection::UserInitiated,
            Some(2),
            None,
            103,
        )],
    );
    assert_eq!(ended(&store, call).await.status, CallStatus::Completed);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(meta.actions(), ["pre_accept", "accept"]);
    assert_eq!(
        calls(&store).await.len(),
        1,
        "one call for the retried connect"
    );
    drop(user);
    rt.shutdown().await;
}

#[tokio::test]
async fn hanging_up_from_twiml_terminates_at_meta() {
    let (meta, _app, rt, store) = setup("<Response><Say>Bye</Say><Hangup/></Response>", true).await;
    let offer = user_offer().await;
    post(&rt, &[user_call(WACID, offer.sdp(), 100)]);
    let call = the_call(&store).await;
    assert_eq!(ended(&store, call).await.status, CallStatus::Completed);
    let third = meta.request(3).await;
    assert_eq!(
        third.body,
        json!({"messaging_product": "whatsapp", "action": "terminate", "call_id": WACID})
    );
    assert_eq!(meta.actions(), ["pre_accept", "accept", "terminate"]);
    rt.shutdown().await;
}

#[tokio::test]
async fn reject_in_twiml_rejects_at_meta() {
    let (meta, app, rt, store) = setup("<Response><Reject/></Response>", true).await;
    let offer = user_offer().await;
    post(&rt, &[user_call(WACID, offer.sdp(), 100)]);
    let call = the_call(&store).await;
    let done = ended(&store, call).await;
    // `<Reject>` without a reason is Twilio's `rejected`, which ends the call `no-answer`.
    assert_eq!(done.status, CallStatus::NoAnswer);
    let second = meta.request(2).await;
    assert_eq!(
        second.body,
        json!({"messaging_product": "whatsapp", "action": "reject", "call_id": WACID})
    );
    assert_eq!(meta.actions(), ["pre_accept", "reject"]);
    assert_eq!(app.seen_at("/incoming").len(), 1);
    rt.shutdown().await;
}

#[tokio::test]
async fn a_sender_without_voice_application_rejects_with_37009() {
    let (meta, app, rt, store) = setup("<Response/>", false).await;
    let offer = user_offer().await;
    post(&rt, &[user_call(WACID, offer.sdp(), 100)]);
    let first = meta.request(1).await;
    assert_eq!(
        first.body,
        json!({"messaging_product": "whatsapp", "action": "reject", "call_id": WACID})
    );
    let call = the_call(&store).await;
    let stored = store.fetch_call(account(), call).await.unwrap();
    assert_eq!(stored.status, CallStatus::Failed);
    assert_eq!(stored.direction, Direction::Inbound);
    assert_eq!(
        (stored.from.as_str(), stored.to.as_str()),
        ("whatsapp:+447700900123", "whatsapp:+15550001111")
    );
    let page = PageRequest::first(PageSize::new(50).unwrap());
    let notes = store
        .list_notifications(account(), call, &page)
        .await
        .unwrap()
        .items;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].error_code.0, 37009);
    assert_eq!(
        notes[0].message_text,
        "WhatsApp sender whatsapp:+15550001111 has no voice application: the call was rejected"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(meta.actions(), ["reject"]);
    assert!(app.seen_at("/incoming").is_empty());
    rt.shutdown().await;
}

#[tokio::test]
async fn a_call_to_an_unknown_business_number_is_rejected() {
    let (meta, _app, rt, store) = setup("<Response/>", true).await;
    let offer = user_offer().await;
    let body = {
        let context = dialtone_whatsapp::webhook::NotificationContext {
            waba_id: "waba-1".to_owned(),
            phone_number_id: "999000999".to_owned(),
            display_phone_number: "15559990000".to_owned(),
            contact: None,
        };
        dialtone_whatsapp::webhook::notification_body(
            &context,
            &[user_call(WACID, offer.sdp(), 100)],
        )
    };
    let signature =
        dialtone_whatsapp::webhook::signature_header(whatsapp_common::APP_SECRET.as_bytes(), &body);
    rt.whatsapp_webhook(&body, Some(&signature)).unwrap();
    let first = meta.request(1).await;
    assert_eq!(first.path, "/graph/v24.0/999000999/calls");
    assert_eq!(first.action(), "reject");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(calls(&store).await.is_empty());
    rt.shutdown().await;
}

#[tokio::test]
async fn digits_from_the_user_reach_gather() {
    let (meta, app, rt, store) = setup(
        "<Response><Gather numDigits=\"1\" timeout=\"10\" action=\"/gathered\">\
         <Say>Press a key</Say></Gather></Response>",
        true,
    )
    .await;
    app.route(
        "/gathered",
        Reply::Twiml("<Response><Hangup/></Response>".to_owned()),
    );
    let offer = user_offer().await;
    post(&rt, &[user_call(WACID, offer.sdp(), 100)]);
    let accept = answer_sdp(&meta.request(2).await, "accept");
    let mut user = offer.accept(&accept).unwrap();
    assert_eq!(user.event().await, Some(MediaEvent::Connected));
    user.send_digits("7");
    let gathered = eventually("the gather action", || async {
        app.seen_at("/gathered").into_iter().next()
    })
    .await;
    assert_eq!(gathered.param("Digits"), Some("7"));
    assert_eq!(gathered.param("From"), Some("whatsapp:+447700900123"));
    let call = the_call(&store).await;
    assert_eq!(ended(&store, call).await.status, CallStatus::Completed);
    let third = meta.request(3).await;
    assert_eq!(third.action(), "terminate");
    drop(user);
    rt.shutdown().await;
}
