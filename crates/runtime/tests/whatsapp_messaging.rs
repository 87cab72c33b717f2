//! WhatsApp messaging through the connector against a fake Meta: a stored message sent with
//! `POST /{pnid}/messages`, Meta's status webhooks turned into Twilio's status callbacks (in
//! order, never backwards, skipped steps filled in), and a user's `call_permission_reply`
//! stored, posted to the sender's messaging webhook once, and honoured by the next dial.

mod common;
mod whatsapp_common;

use common::{App, Seen, account, ended, eventually};
use dialtone_runtime::{Handle, OutgoingMessage};
use dialtone_store::{Message, NewMessage, SenderUpdate, SenderWebhook, Store};
use dialtone_types::{Sid, SidKind, UnixMillis};
use dialtone_whatsapp::error::GraphError;
use dialtone_whatsapp::webhook::{
    EventKind, MessageStatusEvent, MessageStatusKind, PermissionReply, signature_header,
};
use whatsapp_common::outbound::{connect_request, notifications, setup, start_parent};
use whatsapp_common::{APP_SECRET, Meta, PNID, SENDER, Scripted, USER, USER_DIGITS, post};

const SENDER_SID: Sid = Sid::new(SidKind::Sender, 0x5e);
const WAMID: &str = "wamid.request-1";

struct Messaging {
    meta: Meta,
    app: App,
    rt: Handle,
    store: Store,
}

impl Messaging {
    /// The fake Meta, the app (also the sender's messaging webhook, `/incoming`) and the
    /// runtime with the sender stored.
    async fn start() -> Self {
        let (meta, app, rt, store) = setup(30).await;
        store
            .update_sender(
                account(),
                SENDER_SID,
                &SenderUpdate {
                    webhook: Some(SenderWebhook {
                        callback_url: Some(app.url("/incoming").as_str().to_owned()),
                        callback_method: None,
                        status_callback_url: None,
                    }),
                    ..SenderUpdate::default()
                },
                UnixMillis(1_700_000_000_000),
            )
            .await
            .unwrap();
        Self {
            meta,
            app,
            rt,
            store,
        }
    }

    /// A queued message to `USER`, sent through the connector; Meta answers `wamid`.
    async fn send(&self, wamid: &str) -> Message {
        self.meta.script(
            "",
            Scripted::Answer(
                200,
                format!(
                    r#"{{"messaging_product":"whatsapp","contacts":[{{"input":"{USER_DIGITS}","wa_id":"{USER_DIGITS}"}}],"messages":[{{"id":"{wamid}"}}]}}"#
                ),
            ),
        );
        let sid = Sid::new(SidKind::Message, rand_part(wamid));
        let message = self
            .store
            .create_message(
                account(),
                sid,
                &NewMessage {
                    direction: "outbound-api".to_owned(),
                    from: format!("whatsapp:{SENDER}"),
                    to: format!("whatsapp:{USER}"),
                    body: "May we call you?".to_owned(),
                    content_sid: None,
                    status: "queued".to_owned(),
                    wamid: None,
                    phone_number_id: PNID.to_owned(),
                    status_callback: Some(self.app.url("/status").as_str().to_owned()),
                    status_callback_method: None,
                    replied_to_sid: None,
                },
                UnixMillis(1_700_000_000_000),
            )
            .await
            .unwrap();
        let whatsapp = self.rt.whatsapp().expect("connector");
        let sent = whatsapp
            .send_stored(&message, &OutgoingMessage::PermissionRequest)
            .await
            .unwrap();
        assert_eq!(sent.wamid.as_deref(), Some(wamid));
        assert_eq!(sent.status, "queued");
        sent
    }

    async fn statuses(&self, message: &Message, n: usize) -> Vec<Seen> {
        let sid = message.sid.to_string();
        eventually(&format!("{n} status callbacks"), || async {
            let got: Vec<Seen> = self
                .app
                .seen_at("/status")
                .into_iter()
                .filter(|s| s.param("MessageSid") == Some(sid.as_str()))
                .collect();
            (got.len() >= n).then_some(got)
        })
        .await
    }

    async fn replies(&self, n: usize) -> Vec<Seen> {
        eventually(&format!("{n} reply webhooks"), || async {
            let got = self.app.seen_at("/incoming");
            (got.len() >= n).then_some(got)
        })
        .await
    }
}

fn rand_part(text: &str) -> u128 {
    text.bytes().fold(0x1234_u128, |h, b| {
        h.wrapping_mul(31).wrapping_add(u128::from(b))
    })
}

fn status(wamid: &str, kind: MessageStatusKind, ts: u64) -> EventKind {
    EventKind::MessageStatus(MessageStatusEvent {
        message_id: wamid.to_owned(),
        status: kind,
        timestamp: Some(ts),
        recipient_id: Some(USER_DIGITS.to_owned()),
        pricing_category: None,
        errors: Vec::new(),
    })
}

/// Now, in Unix seconds (a temporary permission must end in the future).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Seven days, in seconds.
const WEEK: u64 = 7 * 86_400;

fn reply(wamid: &str, context: &str, accepted: bool) -> EventKind {
    EventKind::PermissionReply(PermissionReply {
        from: USER_DIGITS.to_owned(),
        message_id: Some(wamid.to_owned()),
        timestamp: Some(unix_now()),
        context_id: Some(context.to_owned()),
        accepted,
        is_permanent: false,
        expiration_timestamp: accepted.then(|| unix_now() + WEEK),
        response_source: Some("user_action".to_owned()),
    })
}

fn names(s: &Seen) -> Vec<&str> {
    let mut n = s.names();
    n.sort_unstable();
    n
}

#[tokio::test]
async fn statuses_become_callbacks_in_order_with_twilios_parameters() {
    let m = Messaging::start().await;
    let message = m.send(WAMID).await;
    // `read` before `delivered` (Meta does not promise the order): delivered is filled in, and
    // the late `delivered` and a repeated `sent` are dropped.
    post(
        &m.rt,
        &[status(WAMID, MessageStatusKind::Sent, 1_700_000_001)],
    );
    m.statuses(&message, 1).await;
    post(
        &m.rt,
        &[
            status(WAMID, MessageStatusKind::Read, 1_700_000_003),
            status(WAMID, MessageStatusKind::Delivered, 1_700_000_002),
            status(WAMID, MessageStatusKind::Sent, 1_700_000_001),
        ],
    );
    let got = m.statuses(&message, 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let got_after = m.statuses(&message, 3).await;
    assert_eq!(got_after.len(), 3, "nothing after read: {got_after:?}");
    let order: Vec<&str> = got
        .iter()
        .map(|s| s.param("MessageStatus").unwrap())
        .collect();
    assert_eq!(order, ["sent", "delivered", "read"]);
    let sid = message.sid.to_string();
    for s in &got {
        assert!(s.signature_ok(), "signed: {s:?}");
        let st = s.param("MessageStatus").unwrap();
        assert_eq!(s.param("MessageSid"), Some(sid.as_str()));
        assert_eq!(s.param("SmsSid"), Some(sid.as_str()));
        assert_eq!(s.param("SmsStatus"), Some(st));
        assert_eq!(s.param("From"), Some(format!("whatsapp:{SENDER}").as_str()));
        assert_eq!(s.param("To"), Some(format!("whatsapp:{USER}").as_str()));
        assert_eq!(s.param("ChannelToAddress"), Some("+44770090XXXX"));
        assert_eq!(
            s.param("ChannelInstallSid"),
            Some(SENDER_SID.to_string().as_str())
        );
        assert_eq!(s.param("ChannelPrefix"), Some("whatsapp"));
        let extra = match st {
            "sent" => ("StructuredMessage", "false"),
            "delivered" => ("EventType", "DELIVERED"),
            _ => ("EventType", "READ"),
        };
        assert_eq!(s.param(extra.0), Some(extra.1));
        let mut want = vec![
            "AccountSid",
            "ApiVersion",
            "ChannelInstallSid",
            "ChannelPrefix",
            "ChannelToAddress",
            "From",
            "MessageSid",
            "MessageStatus",
            "SmsSid",
            "SmsStatus",
            "To",
            extra.0,
        ];
        want.sort_unstable();
        assert_eq!(names(s), want);
    }
    let stored = m.store.fetch_message(account(), message.sid).await.unwrap();
    assert_eq!(stored.status, "read");
    assert_eq!(stored.date_sent, Some(UnixMillis(1_700_000_001_000)));
    m.rt.shutdown().await;
}

#[tokio::test]
async fn a_failed_status_maps_metas_code() {
    let m = Messaging::start().await;
    let message = m.send("wamid.fails").await;
    post(
        &m.rt,
        &[EventKind::MessageStatus(MessageStatusEvent {
            message_id: "wamid.fails".to_owned(),
            status: MessageStatusKind::Failed,
            timestamp: Some(1_700_000_001),
            recipient_id: Some(USER_DIGITS.to_owned()),
            pricing_category: None,
            errors: vec![GraphError::new(
                131_047,
                "Re-engagement message",
                Some("More than 24 hours have passed since the customer last replied"),
            )],
        })],
    );
    let got = m.statuses(&message, 1).await;
    assert_eq!(got[0].param("MessageStatus"), Some("failed"));
    assert_eq!(got[0].param("ErrorCode"), Some("63016"));
    let text = "More than 24 hours have passed since the customer last replied";
    assert_eq!(got[0].param("ErrorMessage"), Some(text));
    assert_eq!(got[0].param("ChannelStatusMessage"), Some(text));
    // A later `delivered` cannot revive it.
    post(
        &m.rt,
        &[status(
            "wamid.fails",
            MessageStatusKind::Delivered,
            1_700_000_002,
        )],
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(m.statuses(&message, 1).await.len(), 1);
    let stored = m.store.fetch_message(account(), message.sid).await.unwrap();
    assert_eq!(
        (stored.status.as_str(), stored.error_code),
        ("failed", Some(63_016))
    );
    m.rt.shutdown().await;
}

#[tokio::test]
async fn a_reply_is_stored_posted_once_and_lets_the_next_dial_through() {
    let m = Messaging::start().await;
    // No permission yet: Meta refuses the first dial (138006) and the cache remembers.
    m.meta.script(
        "connect",
        Scripted::Answer(
            401,
            r#"{"error":{"message":"(#138006) No approved call permission","type":"OAuthException","code":138006,"fbtrace_id":"A"}}"#.to_owned(),
        ),
    );
    let first = start_parent(&m.rt, &m.app).await;
    ended(&m.store, first.sid).await;
    let request = m.send(WAMID).await;
    // The reply arrives before any status of the request: applied all the same.
    post(&m.rt, &[reply("wamid.reply-1", WAMID, true)]);
    // The same reply again (Meta retries webhooks): one webhook only.
    post(&m.rt, &[reply("wamid.reply-1", WAMID, true)]);
    let replies = m.replies(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(m.app.seen_at("/incoming").len(), 1, "one reply webhook");
    let r = &replies[0];
    assert!(r.signature_ok(), "signed");
    assert_eq!(r.param("ButtonPayload"), Some("ACCEPTED"));
    assert_eq!(r.param("Body"), Some("VOICE_CALL_REQUEST"));
    assert_eq!(r.param("From"), Some(format!("whatsapp:{USER}").as_str()));
    assert_eq!(r.param("To"), Some(format!("whatsapp:{SENDER}").as_str()));
    assert_eq!(r.param("WaId"), Some(USER_DIGITS));
    assert_eq!(
        r.param("OriginalRepliedMessageSid"),
        Some(request.sid.to_string().as_str())
    );
    let inbound: Sid = r.param("MessageSid").unwrap().parse().unwrap();
    let stored = m.store.fetch_message(account(), inbound).await.unwrap();
    assert_eq!(
        (stored.direction.as_str(), stored.status.as_str()),
        ("inbound", "received")
    );
    let permissions = m.store.call_permissions_of(account(), PNID).await.unwrap();
    assert_eq!(permissions.len(), 1);
    assert_eq!(permissions[0].status, "temporary");
    assert_eq!(permissions[0].user_wa_id, USER_DIGITS);
    let until = permissions[0]
        .expires_at
        .expect("a temporary permission ends")
        .0
        / 1000;
    assert!(
        until.abs_diff(unix_now() + WEEK) < 60,
        "Meta's expiration: {until}"
    );
    assert_eq!(permissions[0].request_message_sid, Some(request.sid));

    // The next dial asks Meta again (the cache was updated by the reply).
    let second = start_parent(&m.rt, &m.app).await;
    connect_request(&m.meta, 3, second.sid, &m.store).await;
    m.rt.shutdown().await;
}

#[tokio::test]
async fn a_rejection_keeps_the_next_dial_from_meta() {
    let m = Messaging::start().await;
    let request = m.send(WAMID).await;
    post(
        &m.rt,
        &[status(WAMID, MessageStatusKind::Sent, 1_700_000_001)],
    );
    post(&m.rt, &[reply("wamid.reply-2", WAMID, false)]);
    let replies = m.replies(1).await;
    assert_eq!(replies[0].param("ButtonPayload"), Some("REJECTED"));
    let permissions = m.store.call_permissions_of(account(), PNID).await.unwrap();
    assert_eq!(
        (permissions[0].status.as_str(), permissions[0].expires_at),
        ("rejected", None)
    );
    assert_eq!(permissions[0].request_message_sid, Some(request.sid));
    let call = start_parent(&m.rt, &m.app).await;
    ended(&m.store, call.sid).await;
    let action = eventually("the dial's action", || async {
        m.app.seen_at("/action").into_iter().next()
    })
    .await;
    assert_eq!(action.param("DialCallStatus"), Some("failed"));
    let child: Sid = action.param("DialCallSid").unwrap().parse().unwrap();
    assert_eq!(
        notifications(&m.store, child).await,
        [(
            37000,
            "WhatsApp user has not granted call permission".to_owned()
        )]
    );
    // Meta was asked for the message only, never for a call.
    assert!(
        !m.meta.actions().iter().any(|a| a == "connect"),
        "{:?}",
        m.meta.actions()
    );
    m.rt.shutdown().await;
}

#[tokio::test]
async fn replies_that_cannot_be_trusted_or_placed_change_nothing() {
    let m = Messaging::start().await;
    // A bad signature: refused before anything is read.
    let body = whatsapp_common::notification(&[reply("wamid.forged", WAMID, true)]);
    let forged = signature_header(b"not-the-app-secret", &body);
    assert!(m.rt.whatsapp_webhook(&body, Some(&forged)).is_err());
    assert!(m.rt.whatsapp_webhook(&body, None).is_err());
    // A reply for a business number that has no sender: ignored.
    let context = dialtone_whatsapp::webhook::NotificationContext {
        waba_id: "waba-1".to_owned(),
        phone_number_id: "999000999".to_owned(),
        display_phone_number: "15550009999".to_owned(),
        contact: Some((USER_DIGITS.to_owned(), None)),
    };
    let other =
        dialtone_whatsapp::webhook::notification_body(&context, &[reply("wamid.x", WAMID, true)]);
    let signature = signature_header(APP_SECRET.as_bytes(), &other);
    m.rt.whatsapp_webhook(&other, Some(&signature)).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(m.app.seen_at("/incoming").is_empty());
    assert!(
        m.store
            .call_permissions_of(account(), PNID)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        m.store
            .call_permissions_of(account(), "999000999")
            .await
            .unwrap()
            .is_empty()
    );
    m.rt.shutdown().await;
}
