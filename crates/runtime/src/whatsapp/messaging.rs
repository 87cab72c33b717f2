//! WhatsApp messaging around the calling connector: sending a message through the Graph API
//! (the Messages API's call permission requests), and Meta's `messages` webhooks turned into
//! Twilio's: message statuses into signed status callbacks, a user's `call_permission_reply`
//! into a stored permission and an incoming-message webhook to the sender's messaging URL.
//!
//! One worker task takes the messaging events in arrival order, so two statuses of one
//! message never race. Callbacks go through the durable outbox keyed by the message SID
//! (stored with the status change in one transaction), so they survive a restart and arrive
//! in order. Rules (reference `whatsapp-consent.md` §2.5, §2.6, §4; choices in
//! `docs/twilio-compat.md`):
//! - statuses only move forward (`queued` → `sent` → `delivered` → `read`); a skipped step is
//!   reported first (`read` before `delivered` gives `delivered`, then `read`); a late or
//!   repeated one is dropped; `failed` ends the message (`failed` or `undelivered` by code);
//! - a status for a `wamid` no message has (after a short wait, since Meta's webhook may beat
//!   the send's answer) is ignored;
//! - a reply is applied to the permission cache as the webhook arrives (by the router, before
//!   this worker sees it), then stored here (it survives a restart), then posted; the same reply (its `wamid`) twice is applied once; a reply for a
//!   business number without a sender is ignored; a reply that arrives before its request's
//!   `sent` status is applied like any other (Meta only sends one for a delivered request).

use std::sync::{Arc, Weak};
use std::time::Duration;

use dialtone_store::{
    CallPermission, Message, MessageUpdate, NewMessage, NewOutboxItem, Sender, StoreError,
};
use dialtone_types::{E164, Sid, SidKind, UnixMillis};
use dialtone_whatsapp::error::{GraphError, GraphFailure, UNKNOWN_MESSAGE_ERROR, message_failure};
use dialtone_whatsapp::graph::{OutgoingMessage, decode_message};
use dialtone_whatsapp::tracker::TEMPORARY_PERMISSION_MS;
use dialtone_whatsapp::webhook::{Contact, MessageStatusEvent, MessageStatusKind, PermissionReply};
use tokio::sync::mpsc;

use super::connector::WhatsApp;
use super::context::Ctx;
use crate::clock;

/// Twilio's API version in every callback.
const API_VERSION: &str = "2010-04-01";
/// What Twilio puts in `Body` and `ButtonText` of a call permission reply.
pub const VOICE_CALL_REQUEST: &str = "VOICE_CALL_REQUEST";
/// Looks for a message by `wamid` before a status about it is dropped.
const LOOKUPS: u32 = 10;
/// Pause between them.
const LOOKUP_PAUSE: Duration = Duration::from_millis(100);
/// Permissions loaded at start at most.
const LOAD_MAX: u32 = 100_000;

/// A messaging webhook event for the worker.
#[derive(Debug)]
pub(crate) enum MessagingEvent {
    /// A message's status.
    Status {
        phone_number_id: String,
        event: MessageStatusEvent,
    },
    /// A user's answer to a call permission request.
    Reply {
        phone_number_id: String,
        contact: Option<Contact>,
        reply: PermissionReply,
    },
}

/// Where the worker listens.
pub(crate) type MessagingTx = mpsc::UnboundedSender<MessagingEvent>;

/// Starts the worker of `ctx`; it ends when the connector is dropped.
pub(crate) fn start_worker(ctx: &Arc<Ctx>) -> MessagingTx {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let weak: Weak<Ctx> = Arc::downgrade(ctx);
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            let Some(ctx) = weak.upgrade() else { break };
            let result = match event {
                MessagingEvent::Status {
                    phone_number_id,
                    event,
                } => on_status(&ctx, &phone_number_id, &event).await,
                MessagingEvent::Reply {
                    phone_number_id,
                    contact,
                    reply,
                } => on_reply(&ctx, &phone_number_id, contact.as_ref(), &reply).await,
            };
            if let Err(e) = result {
                tracing::warn!(error = %e, "WhatsApp messaging webhook not applied");
            }
        }
    });
    tx
}

impl WhatsApp {
    /// `POST /{phone_number_id}/messages`: Meta's id of the new message (`wamid`), or why
    /// Meta refused it.
    pub async fn send_message(
        &self,
        phone_number_id: &str,
        to: &E164,
        message: &OutgoingMessage,
    ) -> Result<String, GraphFailure> {
        let requests =
            self.ctx
                .requests(phone_number_id)
                .map_err(|e| GraphFailure::UnexpectedBody {
                    status: 0,
                    reason: e.to_string(),
                })?;
        let request = requests.message(to, message);
        let (status, body) = self.ctx.graph.send(&request).await?;
        decode_message(status, &body)
    }

    /// Sends stored message `message` (`queued`) as `outgoing` and records the outcome: Meta's
    /// `wamid`, or the failure (Meta's code mapped to Twilio's, e.g. 131047 → 63016; 30008
    /// when Meta could not be reached) with its `failed` status callback.
    pub async fn send_stored(
        &self,
        message: &Message,
        outgoing: &OutgoingMessage,
    ) -> Result<Message, StoreError> {
        let to = message
            .to
            .strip_prefix("whatsapp:")
            .and_then(|n| E164::parse(n).ok());
        let Some(to) = to else {
            return fail(&self.ctx, message, 21_211, "Invalid 'To' Phone Number").await;
        };
        match self
            .send_message(&message.phone_number_id, &to, outgoing)
            .await
        {
            Ok(wamid) => {
                let update = MessageUpdate {
                    wamid: Some(wamid),
                    ..MessageUpdate::default()
                };
                let (stored, _) = self
                    .ctx
                    .shared
                    .store
                    .update_message_and_enqueue(
                        message.account_sid,
                        message.sid,
                        &update,
                        &[],
                        clock::now(),
                    )
                    .await?;
                Ok(stored)
            }
            Err(GraphFailure::Graph { error, .. }) => {
                let code = error.code.unwrap_or(0);
                let failure = message_failure(code);
                tracing::info!(message = %message.sid, graph_code = code, code = failure.code, "WhatsApp message refused by Meta");
                let text = error.details().unwrap_or(&error.message).to_owned();
                fail(&self.ctx, message, failure.code, &text).await
            }
            Err(other) => {
                tracing::warn!(message = %message.sid, error = %other, "WhatsApp message not sent");
                let text = format!("WhatsApp could not be reached: {other}");
                fail(&self.ctx, message, UNKNOWN_MESSAGE_ERROR, &text).await
            }
        }
    }

    /// Fails stored message `message` without sending it (Twilio's `code`, `text`).
    pub async fn fail_stored(
        &self,
        message: &Message,
        code: u32,
        text: &str,
    ) -> Result<Message, StoreError> {
        fail(&self.ctx, message, code, text).await
    }

    /// Loads the stored permissions into the cache (done at start).
    pub(crate) async fn load_permissions(&self) -> Result<usize, StoreError> {
        let stored = self.ctx.shared.store.all_call_permissions(LOAD_MAX).await?;
        let now = clock::now();
        let mut cache = self.ctx.permissions();
        for p in &stored {
            let (pnid, user) = (p.phone_number_id.as_str(), p.user_wa_id.as_str());
            match (p.status.as_str(), p.expires_at) {
                ("permanent", _) => cache.record_permanent(now, pnid, user),
                ("temporary", Some(until)) => cache.record_temporary(now, pnid, user, until),
                _ => cache.record_denied(now, pnid, user, p.date_updated),
            }
        }
        Ok(stored.len())
    }
}

/// Position of a Twilio status in a message's life (`None`: final failure).
fn rank(status: &str) -> Option<u8> {
    match status {
        "sent" => Some(1),
        "delivered" => Some(2),
        "read" => Some(3),
        "failed" | "undelivered" => None,
        _ => Some(0),
    }
}

/// The Twilio statuses a Meta status moves a message through from `current`, in order, with
/// the failure of a `failed` one.
pub(crate) fn status_steps(
    current: &str,
    meta: &MessageStatusKind,
    errors: &[GraphError],
) -> Vec<(&'static str, Option<(u32, String)>)> {
    let Some(at) = rank(current) else {
        return Vec::new();
    };
    let target = match meta {
        MessageStatusKind::Sent => 1,
        MessageStatusKind::Delivered => 2,
        MessageStatusKind::Read => 3,
        MessageStatusKind::Failed => {
            let error = errors.first();
            let code = error.and_then(|e| e.code).unwrap_or(0);
            let failure = message_failure(code);
            let text = error
                .map(|e| e.details().unwrap_or(&e.message).to_owned())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| format!("WhatsApp error {code}"));
            return vec![(failure.status(), Some((failure.code, text)))];
        }
        MessageStatusKind::Other(_) => return Vec::new(),
    };
    [(1, "sent"), (2, "delivered"), (3, "read")]
        .into_iter()
        .filter(|(r, _)| *r > at && *r <= target)
        .map(|(_, s)| (s, None))
        .collect()
}

/// `+E164` with its last four digits masked, as Twilio shows `ChannelToAddress`.
fn masked(address: &str) -> String {
    let number = address.strip_prefix("whatsapp:").unwrap_or(address);
    let keep = number.len().saturating_sub(4);
    format!("{}XXXX", &number[..keep])
}

/// The parameters of a status callback for `message` reaching `status`.
pub(crate) fn status_params(
    message: &Message,
    sender: Option<Sid>,
    status: &str,
    error: Option<&(u32, String)>,
) -> Vec<(String, String)> {
    let mut params: Vec<(&str, String)> = vec![
        ("MessageSid", message.sid.to_string()),
        ("SmsSid", message.sid.to_string()),
        ("MessageStatus", status.to_owned()),
        ("SmsStatus", status.to_owned()),
        ("AccountSid", message.account_sid.to_string()),
        ("From", message.from.clone()),
        ("To", message.to.clone()),
        ("ApiVersion", API_VERSION.to_owned()),
        ("ChannelPrefix", "whatsapp".to_owned()),
        ("ChannelToAddress", masked(&message.to)),
    ];
    if let Some(sender) = sender {
        params.push(("ChannelInstallSid", sender.to_string()));
    }
    match status {
        "sent" => params.push(("StructuredMessage", "false".to_owned())),
        "delivered" => params.push(("EventType", "DELIVERED".to_owned())),
        "read" => params.push(("EventType", "READ".to_owned())),
        _ => {}
    }
    if let Some((code, text)) = error {
        params.push(("ErrorCode", code.to_string()));
        params.push(("ErrorMessage", text.clone()));
        params.push(("ChannelStatusMessage", text.clone()));
    }
    params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

async fn message_by_wamid(ctx: &Ctx, wamid: &str) -> Result<Option<Message>, StoreError> {
    for attempt in 0..LOOKUPS {
        if let Some(found) = ctx.shared.store.message_by_wamid(wamid).await? {
            return Ok(Some(found));
        }
        if attempt + 1 < LOOKUPS {
            tokio::time::sleep(LOOKUP_PAUSE).await;
        }
    }
    Ok(None)
}

async fn on_status(
    ctx: &Ctx,
    phone_number_id: &str,
    event: &MessageStatusEvent,
) -> Result<(), StoreError> {
    let Some(message) = message_by_wamid(ctx, &event.message_id).await? else {
        tracing::info!(
            status = event.status.as_str(),
            "WhatsApp status for an unknown message ignored"
        );
        return Ok(());
    };
    if message.phone_number_id != phone_number_id {
        tracing::warn!(message = %message.sid, "WhatsApp status from another business number ignored");
        return Ok(());
    }
    let steps = status_steps(&message.status, &event.status, &event.errors);
    let Some((last, error)) = steps.last().cloned() else {
        tracing::debug!(message = %message.sid, status = event.status.as_str(), "late or repeated WhatsApp status dropped");
        return Ok(());
    };
    let callbacks = callbacks(ctx, &message, &steps).await?;
    let now = clock::now();
    let sent = steps.iter().any(|(s, _)| *s == "sent");
    let update = MessageUpdate {
        status: Some(last.to_owned()),
        wamid: None,
        error,
        date_sent: sent.then(|| {
            event
                .timestamp
                .map_or(now, |t| UnixMillis(t.saturating_mul(1000)))
        }),
    };
    ctx.shared
        .store
        .update_message_and_enqueue(message.account_sid, message.sid, &update, &callbacks, now)
        .await?;
    if !callbacks.is_empty() {
        ctx.shared.outbox_wake.notify_one();
    }
    Ok(())
}

/// The status callbacks `message` owes for `steps` (none without a callback URL: the
/// message's `StatusCallback`, else its sender's `webhook.status_callback_url`).
async fn callbacks(
    ctx: &Ctx,
    message: &Message,
    steps: &[(&'static str, Option<(u32, String)>)],
) -> Result<Vec<NewOutboxItem>, StoreError> {
    let sender = ctx
        .shared
        .store
        .sender_by_phone_number_id(&message.phone_number_id)
        .await?
        .filter(|s| s.account_sid == message.account_sid);
    let url = message.status_callback.clone().or_else(|| {
        sender
            .as_ref()
            .and_then(|s| s.webhook.status_callback_url.clone())
    });
    let method = message
        .status_callback_method
        .clone()
        .unwrap_or_else(|| "POST".to_owned());
    Ok(url
        .map(|url| {
            steps
                .iter()
                .map(|(status, error)| NewOutboxItem {
                    call_sid: message.sid,
                    url: url.clone(),
                    method: method.clone(),
                    params: status_params(
                        message,
                        sender.as_ref().map(|s| s.sid),
                        status,
                        error.as_ref(),
                    ),
                    idempotency_token: ctx.shared.ids.token(),
                })
                .collect()
        })
        .unwrap_or_default())
}

/// Fails `message` with Twilio's `code` and `text`, with its callback.
async fn fail(ctx: &Ctx, message: &Message, code: u32, text: &str) -> Result<Message, StoreError> {
    let status = if code == 63_024 {
        "undelivered"
    } else {
        "failed"
    };
    let steps = [(status, Some((code, text.to_owned())))];
    let callbacks = callbacks(ctx, message, &steps).await?;
    let update = MessageUpdate {
        status: Some(status.to_owned()),
        error: Some((code, text.to_owned())),
        ..MessageUpdate::default()
    };
    let (stored, _) = ctx
        .shared
        .store
        .update_message_and_enqueue(
            message.account_sid,
            message.sid,
            &update,
            &callbacks,
            clock::now(),
        )
        .await?;
    if !callbacks.is_empty() {
        ctx.shared.outbox_wake.notify_one();
    }
    Ok(stored)
}

/// The permission a reply gives, as stored.
fn permission_of(
    now: UnixMillis,
    sender: &Sender,
    reply: &PermissionReply,
    request: Option<Sid>,
) -> CallPermission {
    let (status, expires_at) = if !reply.accepted {
        ("rejected", None)
    } else if reply.is_permanent {
        ("permanent", None)
    } else {
        let until = reply.expiration_timestamp.map_or_else(
            || {
                reply
                    .timestamp
                    .map_or(now, |t| UnixMillis(t.saturating_mul(1000)))
                    .plus_millis(TEMPORARY_PERMISSION_MS)
            },
            |t| UnixMillis(t.saturating_mul(1000)),
        );
        ("temporary", Some(until))
    };
    CallPermission {
        phone_number_id: sender.phone_number_id.clone(),
        user_wa_id: reply.from.clone(),
        account_sid: sender.account_sid,
        status: status.to_owned(),
        expires_at,
        response_source: reply.response_source.clone(),
        request_message_sid: request,
        date_created: now,
        date_updated: now,
    }
}

/// The incoming-message webhook parameters of a reply (reference §2.6).
pub(crate) fn reply_params(
    sid: Sid,
    sender: &Sender,
    user: &E164,
    contact: Option<&Contact>,
    reply: &PermissionReply,
    original: Option<Sid>,
) -> Vec<(String, String)> {
    let sid = sid.to_string();
    let payload = if reply.accepted {
        "ACCEPTED"
    } else {
        "REJECTED"
    };
    let mut params: Vec<(&str, String)> =
        vec![("SmsMessageSid", sid.clone()), ("NumMedia", "0".to_owned())];
    if let Some(name) = contact.and_then(|c| c.name.clone()) {
        params.push(("ProfileName", name));
    }
    params.extend([
        ("MessageType", "interactive".to_owned()),
        ("SmsSid", sid.clone()),
        ("WaId", reply.from.clone()),
        ("SmsStatus", "received".to_owned()),
        ("Body", VOICE_CALL_REQUEST.to_owned()),
        ("ButtonText", VOICE_CALL_REQUEST.to_owned()),
        ("To", sender.sender_id.clone()),
        ("ButtonPayload", payload.to_owned()),
        ("ReferralNumMedia", "0".to_owned()),
        ("MessageSid", sid),
        ("AccountSid", sender.account_sid.to_string()),
        ("From", format!("whatsapp:{}", user.as_str())),
        ("ApiVersion", API_VERSION.to_owned()),
    ]);
    if let Some(original) = original {
        params.push(("OriginalRepliedMessageSid", original.to_string()));
    }
    params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

async fn on_reply(
    ctx: &Ctx,
    phone_number_id: &str,
    contact: Option<&Contact>,
    reply: &PermissionReply,
) -> Result<(), StoreError> {
    let store = &ctx.shared.store;
    let Some(sender) = store.sender_by_phone_number_id(phone_number_id).await? else {
        tracing::warn!("WhatsApp permission reply for a business number without a sender ignored");
        return Ok(());
    };
    let Ok(user) = E164::parse(&format!("+{}", reply.from)) else {
        tracing::warn!("WhatsApp permission reply from an invalid number ignored");
        return Ok(());
    };
    if let Some(wamid) = &reply.message_id
        && store.message_by_wamid(wamid).await?.is_some()
    {
        tracing::info!("repeated WhatsApp permission reply ignored");
        return Ok(());
    }
    let now = clock::now();
    let original = match &reply.context_id {
        Some(id) => store
            .message_by_wamid(id)
            .await?
            .filter(|m| m.account_sid == sender.account_sid),
        None => None,
    };
    let request = original.as_ref().map(|m| m.sid);
    store
        .put_call_permission(&permission_of(now, &sender, reply, request), now)
        .await?;
    let sid = ctx.shared.ids.sid(SidKind::Message);
    let new = NewMessage {
        direction: "inbound".to_owned(),
        from: format!("whatsapp:{}", user.as_str()),
        to: sender.sender_id.clone(),
        body: VOICE_CALL_REQUEST.to_owned(),
        content_sid: None,
        status: "received".to_owned(),
        wamid: reply.message_id.clone(),
        phone_number_id: phone_number_id.to_owned(),
        status_callback: None,
        status_callback_method: None,
        replied_to_sid: request,
    };
    match store
        .create_message(sender.account_sid, sid, &new, now)
        .await
    {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            tracing::info!("repeated WhatsApp permission reply ignored");
            return Ok(());
        }
        Err(e) => return Err(e),
    }
    let Some(url) = sender.webhook.callback_url.clone() else {
        tracing::info!(sender = %sender.sid, "WhatsApp permission reply stored; the sender has no webhook.callback_url");
        return Ok(());
    };
    let item = NewOutboxItem {
        call_sid: sid,
        url,
        method: sender
            .webhook
            .callback_method
            .clone()
            .unwrap_or_else(|| "POST".to_owned()),
        params: reply_params(sid, &sender, &user, contact, reply, request),
        idempotency_token: ctx.shared.ids.token(),
    };
    store
        .update_message_and_enqueue(
            sender.account_sid,
            sid,
            &MessageUpdate::default(),
            &[item],
            now,
        )
        .await?;
    ctx.shared.outbox_wake.notify_one();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_move_forward_only() {
        let steps = |current, meta| -> Vec<&'static str> {
            status_steps(current, &meta, &[])
                .into_iter()
                .map(|(s, _)| s)
                .collect()
        };
        assert_eq!(steps("queued", MessageStatusKind::Sent), ["sent"]);
        assert_eq!(
            steps("sent", MessageStatusKind::Read),
            ["delivered", "read"]
        );
        assert_eq!(
            steps("queued", MessageStatusKind::Read),
            ["sent", "delivered", "read"]
        );
        assert!(steps("read", MessageStatusKind::Delivered).is_empty());
        assert!(steps("sent", MessageStatusKind::Sent).is_empty());
        assert!(steps("failed", MessageStatusKind::Read).is_empty());
        assert!(steps("sent", MessageStatusKind::Other("played".into())).is_empty());
        let failed = status_steps(
            "sent",
            &MessageStatusKind::Failed,
            &[GraphError::new(
                131_047,
                "Re-engagement message",
                Some("24 hours"),
            )],
        );
        assert_eq!(
            failed,
            vec![("failed", Some((63_016, "24 hours".to_owned())))]
        );
        let undelivered = status_steps(
            "queued",
            &MessageStatusKind::Failed,
            &[GraphError::new(131_026, "Message undeliverable", None)],
        );
        assert_eq!(
            undelivered,
            vec![(
                "undelivered",
                Some((63_024, "Message undeliverable".to_owned()))
            )]
        );
    }

    #[test]
    fn channel_address_is_masked() {
        assert_eq!(masked("whatsapp:+555551234567"), "+55555123XXXX");
        assert_eq!(masked("+12"), "XXXX");
    }
}
