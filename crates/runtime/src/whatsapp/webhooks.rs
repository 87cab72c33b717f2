//! Meta's webhooks into the connector: the signature on the raw body first (anything unsigned
//! or badly signed is refused and logged), then the notification parsed, then each event
//! handed to its call's task.
//!
//! Routing: by Meta's call id when a task owns it; otherwise by `biz_opaque_callback_data`,
//! which carries the child's CallSid on business-initiated calls (webhooks may beat the
//! `connect` answer); a user-initiated `connect` nobody owns starts an inbound call; a
//! business-initiated `connect` nobody owns is terminated (no one would ever end it); other
//! events about unknown calls are logged and dropped. Duplicates and reordering are the
//! trackers' job. Routing only queues work, so the receiver can answer 200 at once.

use dialtone_types::Sid;
use dialtone_whatsapp::webhook::{
    self, CallDirection, EventKind, SignatureError, SubscriptionError, WebhookEvent,
    WebhookParseError,
};

use super::connector::WhatsApp;
use super::context::CallMsg;
use super::inbound;
use super::messaging::MessagingEvent;
use crate::clock;

/// Why a webhook request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRefusal {
    /// The POST is unsigned or badly signed (answer 401 when unsigned, 403 otherwise).
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// Correctly signed, but not a WhatsApp notification (answer 400).
    #[error(transparent)]
    Malformed(#[from] WebhookParseError),
    /// The GET subscription check failed (answer 403).
    #[error(transparent)]
    Subscription(#[from] SubscriptionError),
}

impl WhatsApp {
    /// A webhook POST: `body` as received and its `X-Hub-Signature-256` header. The events
    /// are queued to their calls before this returns; nothing here waits on the network.
    pub fn webhook(&self, body: &[u8], signature: Option<&str>) -> Result<(), WebhookRefusal> {
        let secret = self.ctx.config.app_secret.as_bytes();
        if let Err(e) = webhook::verify_signature(secret, signature, body) {
            tracing::warn!(error = %e, bytes = body.len(), "WhatsApp webhook refused: signature");
            return Err(e.into());
        }
        let notification = webhook::parse_notification(body).map_err(|e| {
            tracing::warn!(error = %e, "WhatsApp webhook refused: not a notification");
            WebhookRefusal::from(e)
        })?;
        for skipped in &notification.skipped {
            tracing::debug!(field = %skipped.field, reason = skipped.reason, "WhatsApp webhook part skipped");
        }
        for event in notification.events {
            self.route(event);
        }
        Ok(())
    }

    /// Meta's GET subscription check: the challenge to echo, or the refusal.
    pub fn verify_subscription(
        &self,
        mode: Option<&str>,
        verify_token: Option<&str>,
        challenge: Option<&str>,
    ) -> Result<String, WebhookRefusal> {
        let query = [
            ("hub.mode", mode),
            ("hub.verify_token", verify_token),
            ("hub.challenge", challenge),
        ];
        let present = query
            .iter()
            .filter_map(|(key, value)| value.map(|v| (*key, v)));
        webhook::verify_subscription(present, &self.ctx.config.verify_token).map_err(|e| {
            tracing::warn!(error = %e, "WhatsApp webhook subscription check refused");
            e.into()
        })
    }

    fn route(&self, event: WebhookEvent) {
        let ctx = &self.ctx;
        let (call_id, opaque) = match &event.kind {
            EventKind::PermissionReply(reply) => {
                // At once, so that the next `<Dial><WhatsApp>` sees it; stored and posted to
                // the sender's messaging webhook by the messaging worker.
                ctx.permissions()
                    .record_reply(clock::now(), &event.phone_number_id, reply);
                tracing::debug!(accepted = reply.accepted, "WhatsApp call permission reply");
                ctx.messaging(MessagingEvent::Reply {
                    phone_number_id: event.phone_number_id.clone(),
                    contact: event.contact.clone(),
                    reply: reply.clone(),
                });
                return;
            }
            EventKind::MessageStatus(status) => {
                ctx.messaging(MessagingEvent::Status {
                    phone_number_id: event.phone_number_id.clone(),
                    event: status.clone(),
                });
                return;
            }
            EventKind::Text(_) => {
                // Incoming user texts are not turned into Twilio messages (yet).
                tracing::debug!("WhatsApp user text ignored: incoming texts are not supported");
                return;
            }
            EventKind::Errors(errors) => {
                for error in errors {
                    tracing::warn!(code = ?error.code, message = %error.message, "WhatsApp webhook error");
                }
                return;
            }
            EventKind::Connect(c) => (c.call_id.clone(), c.biz_opaque_callback_data.clone()),
            EventKind::Terminate(t) => (t.call_id.clone(), t.biz_opaque_callback_data.clone()),
            EventKind::Status(s) => (s.call_id.clone(), s.biz_opaque_callback_data.clone()),
        };
        if let Some(tx) = ctx.by_wacid(&call_id) {
            let _ = tx.send(CallMsg::Event(event.kind));
            return;
        }
        let by_opaque = opaque
            .as_deref()
            .and_then(|o| o.parse::<Sid>().ok())
            .and_then(|sid| ctx.by_sid(sid));
        if let Some(tx) = by_opaque {
            let _ = tx.send(CallMsg::Event(event.kind));
            return;
        }
        if ctx.recently_ended(&call_id) {
            tracing::debug!("WhatsApp webhook for an ended call absorbed");
            return;
        }
        match event.kind {
            EventKind::Connect(connect)
                if connect.direction == CallDirection::UserInitiated
                    || (connect.direction == CallDirection::Unknown
                        && connect.biz_opaque_callback_data.is_none()
                        && connect.session.as_ref().is_some_and(|s| {
                            s.sdp_type == dialtone_whatsapp::graph::SdpType::Offer
                        })) =>
            {
                inbound::start(ctx, event.phone_number_id, event.contact, connect);
            }
            EventKind::Connect(connect) => {
                tracing::warn!("WhatsApp connect webhook for a call nobody tracks: terminating it");
                match ctx.requests(&event.phone_number_id) {
                    Ok(requests) => match requests.terminate(&connect.call_id) {
                        Ok(request) => ctx.spawn_action(request, |result| {
                            if let Err(e) = result {
                                tracing::debug!(error = %e, "terminate of an untracked call failed");
                            }
                        }),
                        Err(e) => tracing::warn!(error = %e, "untracked call not terminated"),
                    },
                    Err(e) => tracing::warn!(error = %e, "untracked call not terminated"),
                }
            }
            _ => tracing::info!("WhatsApp webhook for an unknown call ignored"),
        }
    }
}
