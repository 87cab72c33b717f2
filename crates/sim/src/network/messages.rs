//! Messages between business numbers and users, and the user's side of them: each message a
//! business sends is reported `sent`, `delivered` and `read` (or `failed`), and a call
//! permission request is answered the way the user's `ConsentReply` says, `ReplyAfter` after
//! reading it, with a `call_permission_reply` webhook.
//!
//! Choices (reference `whatsapp-consent.md` §3, §4; Meta's behaviour where it publishes it):
//! - A free-form message (text, interactive call permission request) outside the 24 h
//!   customer service window is accepted, then reported `failed` with 131047, as Meta does;
//!   it is not counted against the request limits. A template is delivered outside it.
//! - A number the simulator does not know is accepted and then `failed` with 131026 (Meta does
//!   not reveal whether a number is on WhatsApp).
//! - `ignore`: the user reads the request and never answers.
//! - Statuses go in order `sent` → `delivered` → `read` (`Timing::message_*`); the reply
//!   comes after `read`.
//! - The user may change an answer (test API) while the request lives: 7 days after delivery
//!   or after the last answer, and until a newer request of the same business number is
//!   answered. The same answer twice is refused (no webhook).

use std::collections::VecDeque;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dialtone_types::{E164, Sid, UnixMillis};
use dialtone_whatsapp::error::GraphError;
use dialtone_whatsapp::webhook::{
    EventKind, MessageStatusEvent, MessageStatusKind, NotificationContext, PermissionReply,
    TextMessage,
};

use super::call::SimSender;
use super::error::SimError;
use super::network::{Due, Network, millis, secs, wa_id};
use super::output::{Output, Webhook};
use super::user::ConsentReply;

/// Messages kept per user (oldest dropped first).
pub const KEEP_MESSAGES: usize = 200;

/// What a message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageContent {
    /// Free text (`type: text`).
    Text {
        /// `text.body`.
        body: String,
    },
    /// A call permission request: free-form `interactive` (no template) or a template with a
    /// `call_permission_request` component.
    PermissionRequest {
        /// The body text shown to the user, if any.
        body: Option<String>,
        /// The template's name, for a template request.
        template: Option<String>,
    },
    /// A template without a call permission request component.
    Template {
        /// The template's name.
        name: String,
        /// Its body with the parameters filled in.
        body: Option<String>,
    },
}

impl MessageContent {
    /// `text`, `call_permission_request` or `template`.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::PermissionRequest { .. } => "call_permission_request",
            Self::Template { .. } => "template",
        }
    }

    fn is_request(&self) -> bool {
        matches!(self, Self::PermissionRequest { .. })
    }
}

/// A message as the test API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMessage {
    /// Meta's message id, `wamid.…`.
    pub id: String,
    /// True for a message the user sent to the business.
    pub inbound: bool,
    /// The business number.
    pub business: E164,
    /// What it is.
    pub content: MessageContent,
    /// `sent`, `delivered`, `read` or `failed` (outbound; `None` before `sent`); `received`
    /// for a message the user sent.
    pub status: Option<String>,
    /// Meta's code of a `failed` status.
    pub error_code: Option<u32>,
    /// When Meta accepted it.
    pub created_at: UnixMillis,
    /// A permission request's current answer: `accept`, `accept-permanent` or `reject`.
    pub reply: Option<ConsentReply>,
    /// When it was last answered.
    pub replied_at: Option<UnixMillis>,
}

/// A stored message.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    pub view: UserMessage,
    pub sender: SimSender,
    pub user: E164,
    /// The failure it is bound to (set when Meta accepted it).
    pub failure: Option<GraphError>,
    pub delivered_at: Option<UnixMillis>,
}

/// A message timer; it acts only if the message is in the state it was armed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageTimer {
    Sent,
    Delivered,
    Read,
    Reply,
}

/// The pricing category Meta reports for a status.
fn category(content: &MessageContent) -> &'static str {
    match content {
        MessageContent::Text { .. } | MessageContent::PermissionRequest { template: None, .. } => {
            "service"
        }
        MessageContent::PermissionRequest { .. } | MessageContent::Template { .. } => "utility",
    }
}

impl Network {
    /// A fresh `wamid.…`.
    pub(crate) fn new_message_id(&mut self) -> String {
        let mut bytes = [0_u8; 24];
        for chunk in bytes.chunks_mut(6) {
            let word = self.next_random().to_le_bytes();
            chunk.copy_from_slice(&word[..6]);
        }
        format!("wamid.{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Whether `user` wrote to `sender` within the service window before `now`.
    pub fn window_open(&self, now: UnixMillis, sender: &SimSender, user: &E164) -> bool {
        let window = millis(self.config.consent.service_window);
        self.windows
            .get(&(sender.phone_number_id.clone(), user.clone()))
            .is_some_and(|at| at.plus_millis(window) > now)
    }

    /// The messages of a user of `account` (both directions), oldest first.
    pub fn messages(&self, account: Sid, user: &E164) -> Vec<UserMessage> {
        self.messages
            .get(&(account, user.clone()))
            .map(|list| {
                list.iter()
                    .filter_map(|id| self.message_store.get(id))
                    .map(|m| m.view.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// One message by id.
    pub fn message(&self, id: &str) -> Option<UserMessage> {
        self.message_store.get(id).map(|m| m.view.clone())
    }

    fn store_message(&mut self, message: Message) {
        let list = self
            .messages
            .entry((message.sender.account, message.user.clone()))
            .or_default();
        list.push_back(message.view.id.clone());
        while list.len() > KEEP_MESSAGES {
            if let Some(old) = list.pop_front() {
                self.message_store.remove(&old);
            }
        }
        self.message_store.insert(message.view.id.clone(), message);
    }

    /// The user writes `body` to the business number `sender`: the `messages` webhook, and
    /// the service window opens for 24 h.
    pub fn user_sends_text(
        &mut self,
        now: UnixMillis,
        account: Sid,
        user: &E164,
        sender: SimSender,
        body: &str,
    ) -> Result<UserMessage, SimError> {
        if self.user_ref(account, user).is_none() {
            return Err(SimError::UnknownUser);
        }
        if sender.account != account {
            return Err(SimError::UnknownSender(sender.number.to_string()));
        }
        if body.is_empty() || body.chars().count() > 4096 {
            return Err(SimError::Invalid(
                "Body must have 1 to 4096 characters".to_owned(),
            ));
        }
        let id = self.new_message_id();
        self.windows
            .insert((sender.phone_number_id.clone(), user.clone()), now);
        let view = UserMessage {
            id: id.clone(),
            inbound: true,
            business: sender.number.clone(),
            content: MessageContent::Text {
                body: body.to_owned(),
            },
            status: Some("received".to_owned()),
            error_code: None,
            created_at: now,
            reply: None,
            replied_at: None,
        };
        let event = EventKind::Text(TextMessage {
            from: wa_id(user),
            message_id: id.clone(),
            timestamp: Some(secs(now)),
            body: body.to_owned(),
        });
        self.store_message(Message {
            view: view.clone(),
            sender,
            user: user.clone(),
            failure: None,
            delivered_at: None,
        });
        self.message_webhook(&id, vec![event]);
        self.push_output(Output::MessageDone {
            message_id: id.clone(),
        });
        Ok(view)
    }

    /// Meta accepted a business message at `now` (Graph checks passed): store it, count a
    /// request, and schedule its statuses. `failure` makes it end `failed`.
    pub(crate) fn accept_message(
        &mut self,
        now: UnixMillis,
        sender: &SimSender,
        user: &E164,
        content: MessageContent,
        failure: Option<GraphError>,
    ) -> String {
        let id = self.new_message_id();
        if content.is_request() && failure.is_none() {
            self.count_request(now, sender, user);
        }
        let view = UserMessage {
            id: id.clone(),
            inbound: false,
            business: sender.number.clone(),
            content,
            status: None,
            error_code: failure.as_ref().and_then(|f| f.code),
            created_at: now,
            reply: None,
            replied_at: None,
        };
        self.store_message(Message {
            view,
            sender: sender.clone(),
            user: user.clone(),
            failure,
            delivered_at: None,
        });
        let at = now.plus_millis(millis(self.config.timing.message_sent_after));
        self.arm_message(at, &id, MessageTimer::Sent);
        id
    }

    pub(crate) fn arm_message(&mut self, at: UnixMillis, id: &str, timer: MessageTimer) {
        self.arm_due(at, id, Due::Message(timer));
    }

    pub(crate) fn fire_message(&mut self, now: UnixMillis, id: &str, timer: MessageTimer) {
        let Some(message) = self.message_store.get(id).cloned() else {
            return;
        };
        let timing = self.config.timing;
        let status = message.view.status.clone();
        match (timer, status.as_deref()) {
            (MessageTimer::Sent, None) => {
                if let Some(failure) = message.failure.clone() {
                    self.set_message_status(id, "failed");
                    self.status_webhook_for(now, id, MessageStatusKind::Failed, vec![failure]);
                    self.push_output(Output::MessageDone {
                        message_id: id.to_owned(),
                    });
                    return;
                }
                self.set_message_status(id, "sent");
                self.status_webhook_for(now, id, MessageStatusKind::Sent, Vec::new());
                let at = now.plus_millis(millis(timing.message_delivered_after));
                self.arm_message(at, id, MessageTimer::Delivered);
            }
            (MessageTimer::Delivered, Some("sent")) => {
                self.set_message_status(id, "delivered");
                if let Some(m) = self.message_store.get_mut(id) {
                    m.delivered_at = Some(now);
                }
                self.status_webhook_for(now, id, MessageStatusKind::Delivered, Vec::new());
                let at = now.plus_millis(millis(timing.message_read_after));
                self.arm_message(at, id, MessageTimer::Read);
            }
            (MessageTimer::Read, Some("delivered")) => {
                self.set_message_status(id, "read");
                self.status_webhook_for(now, id, MessageStatusKind::Read, Vec::new());
                let reply = self
                    .user_ref(message.sender.account, &message.user)
                    .map(|u| (u.consent_reply, u.reply_after));
                match reply {
                    Some((reply, after))
                        if message.view.content.is_request() && reply != ConsentReply::Ignore =>
                    {
                        self.arm_message(now.plus_millis(millis(after)), id, MessageTimer::Reply);
                    }
                    _ => self.push_output(Output::MessageDone {
                        message_id: id.to_owned(),
                    }),
                }
            }
            (MessageTimer::Reply, Some("read")) if message.view.reply.is_none() => {
                // The script is read when the user answers (a user deleted meanwhile stays quiet).
                let reply = self
                    .user_ref(message.sender.account, &message.user)
                    .map(|u| u.consent_reply);
                if let Some(reply) = reply.filter(|r| *r != ConsentReply::Ignore) {
                    self.apply_reply(now, id, reply);
                }
                self.push_output(Output::MessageDone {
                    message_id: id.to_owned(),
                });
            }
            _ => {}
        }
    }

    fn set_message_status(&mut self, id: &str, status: &str) {
        if let Some(m) = self.message_store.get_mut(id) {
            m.view.status = Some(status.to_owned());
        }
    }

    /// The user answers (or re-answers) the request `id` from the test API.
    pub fn answer_request(
        &mut self,
        now: UnixMillis,
        account: Sid,
        user: &E164,
        id: &str,
        reply: ConsentReply,
    ) -> Result<UserMessage, SimError> {
        if self.user_ref(account, user).is_none() {
            return Err(SimError::UnknownUser);
        }
        let message = self
            .message_store
            .get(id)
            .filter(|m| m.sender.account == account && m.user == *user)
            .ok_or(SimError::UnknownMessage)?;
        if !message.view.content.is_request() || message.view.inbound {
            return Err(SimError::Invalid(
                "only a call permission request can be answered".to_owned(),
            ));
        }
        if reply == ConsentReply::Ignore {
            return Err(SimError::Invalid(
                "Reply must be accept, accept-permanent or reject".to_owned(),
            ));
        }
        let Some(delivered_at) = message.delivered_at else {
            return Err(SimError::Invalid(
                "the request has not been delivered to the user".to_owned(),
            ));
        };
        let lifetime = millis(self.config.consent.request_lifetime);
        let since = message.view.replied_at.unwrap_or(delivered_at);
        if since.plus_millis(lifetime) <= now || self.superseded(message) {
            return Err(SimError::Expired);
        }
        if message.view.reply == Some(reply) {
            return Err(SimError::DuplicateReply(reply.as_str()));
        }
        self.apply_reply(now, id, reply);
        self.push_output(Output::MessageDone {
            message_id: id.to_owned(),
        });
        self.message(id).ok_or(SimError::UnknownMessage)
    }

    /// True when a newer request of the same business number to the same user was answered.
    fn superseded(&self, message: &Message) -> bool {
        self.messages
            .get(&(message.sender.account, message.user.clone()))
            .into_iter()
            .flatten()
            .filter_map(|id| self.message_store.get(id))
            .any(|m| {
                m.sender.phone_number_id == message.sender.phone_number_id
                    && m.view.content.is_request()
                    && m.view.created_at > message.view.created_at
                    && m.view.reply.is_some()
            })
    }

    /// The answer takes effect at once and Meta posts the `call_permission_reply` webhook.
    fn apply_reply(&mut self, now: UnixMillis, id: &str, reply: ConsentReply) {
        let Some(message) = self.message_store.get(id).cloned() else {
            return;
        };
        let accepted = matches!(reply, ConsentReply::Accept | ConsentReply::AcceptPermanent);
        let permanent = reply == ConsentReply::AcceptPermanent;
        let expires_at =
            self.grant_or_deny(now, &message.sender, &message.user, accepted, permanent);
        if let Some(m) = self.message_store.get_mut(id) {
            m.view.reply = Some(reply);
            m.view.replied_at = Some(now);
        }
        let reply_id = self.new_message_id();
        let event = EventKind::PermissionReply(PermissionReply {
            from: wa_id(&message.user),
            message_id: Some(reply_id),
            timestamp: Some(secs(now)),
            context_id: Some(id.to_owned()),
            accepted,
            is_permanent: permanent,
            expiration_timestamp: expires_at.map(secs),
            response_source: Some("user_action".to_owned()),
        });
        self.message_webhook(id, vec![event]);
    }

    fn status_webhook_for(
        &mut self,
        now: UnixMillis,
        id: &str,
        status: MessageStatusKind,
        errors: Vec<GraphError>,
    ) {
        let Some(message) = self.message_store.get(id) else {
            return;
        };
        let failed = status == MessageStatusKind::Failed;
        let event = EventKind::MessageStatus(MessageStatusEvent {
            message_id: id.to_owned(),
            status,
            timestamp: Some(secs(now)),
            recipient_id: Some(wa_id(&message.user)),
            pricing_category: (!failed).then(|| category(&message.view.content).to_owned()),
            errors,
        });
        self.message_webhook(id, vec![event]);
    }

    /// A `messages` webhook about message `id` (delivered in order with its others).
    fn message_webhook(&mut self, id: &str, events: Vec<EventKind>) {
        let Some(message) = self.message_store.get(id) else {
            return;
        };
        let sender = &message.sender;
        // Meta sends `contacts` with inbound messages, not with statuses.
        let inbound = events
            .iter()
            .any(|e| matches!(e, EventKind::Text(_) | EventKind::PermissionReply(_)));
        let context = NotificationContext {
            waba_id: sender
                .waba_id
                .clone()
                .unwrap_or_else(|| sender.phone_number_id.clone()),
            phone_number_id: sender.phone_number_id.clone(),
            display_phone_number: wa_id(&sender.number),
            contact: inbound.then(|| (wa_id(&message.user), None)),
        };
        self.push_output(Output::Webhook(Webhook {
            call_id: id.to_owned(),
            context,
            events,
        }));
    }
}

/// The message ids of one user of an account, oldest first.
pub(crate) type MessageList = VecDeque<String>;
