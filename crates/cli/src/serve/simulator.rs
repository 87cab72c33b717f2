//! The WhatsApp simulator in the binary: Meta's directory of business numbers over the store's
//! WhatsApp senders, and the API's [`SimulatedWhatsApp`] port over
//! [`dialtone_sim::network::Simulator`]. Thin translations only. What the users hear is in the
//! shared heard log (`super::heard`).

use axum::http::StatusCode;
use dialtone_api::{
    BoxFuture, ControlError, SimulatedWhatsApp, WhatsAppConsentReply, WhatsAppMedia,
    WhatsAppMessage, WhatsAppPermission, WhatsAppUser, WhatsAppUserCall, WhatsAppUserPermission,
};
use dialtone_sim::network::{
    self as sim, ConsentReply, MessageContent, NewUser, PairPermission, PermissionState,
    SenderDirectory, SimError, SimSender, Simulator, UserCall, UserMessage,
};
use dialtone_store::{Sender, Store, StoreError};
use dialtone_types::{E164, Sid, TwilioCode};

/// The store's WhatsApp senders as the business numbers Meta knows.
#[derive(Debug, Clone)]
pub struct StoreSenders(pub Store);

fn sim_sender(found: Result<Option<Sender>, StoreError>) -> Option<SimSender> {
    let sender = match found {
        Ok(sender) => sender?,
        Err(e) => {
            tracing::warn!(error = %e, "WhatsApp simulator: sender lookup failed");
            return None;
        }
    };
    let number = sender
        .sender_id
        .strip_prefix("whatsapp:")
        .and_then(|n| E164::parse(n).ok())?;
    Some(SimSender {
        account: sender.account_sid,
        number,
        phone_number_id: sender.phone_number_id,
        waba_id: sender.waba_id,
    })
}

impl SenderDirectory for StoreSenders {
    fn by_phone_number_id(&self, id: &str) -> BoxFuture<'_, Option<SimSender>> {
        let id = id.to_owned();
        Box::pin(async move { sim_sender(self.0.sender_by_phone_number_id(&id).await) })
    }

    fn by_number(&self, account: Sid, number: &E164) -> BoxFuture<'_, Option<SimSender>> {
        let sender_id = format!("whatsapp:{number}");
        Box::pin(async move { sim_sender(self.0.sender_by_id(account, &sender_id).await) })
    }
}

/// [`Simulator`] as the API's WhatsApp simulator.
#[derive(Debug, Clone)]
pub struct SimulatorPort(pub Simulator);

const fn to_sim_permission(p: WhatsAppPermission) -> sim::Permission {
    match p {
        WhatsAppPermission::Granted => sim::Permission::Granted,
        WhatsAppPermission::None => sim::Permission::None,
        WhatsAppPermission::Revoked => sim::Permission::Revoked,
    }
}

const fn from_sim_permission(p: sim::Permission) -> WhatsAppPermission {
    match p {
        sim::Permission::Granted => WhatsAppPermission::Granted,
        sim::Permission::None => WhatsAppPermission::None,
        sim::Permission::Revoked => WhatsAppPermission::Revoked,
    }
}

const fn to_sim_reply(r: WhatsAppConsentReply) -> ConsentReply {
    match r {
        WhatsAppConsentReply::Accept => ConsentReply::Accept,
        WhatsAppConsentReply::AcceptPermanent => ConsentReply::AcceptPermanent,
        WhatsAppConsentReply::Reject => ConsentReply::Reject,
        WhatsAppConsentReply::Ignore => ConsentReply::Ignore,
    }
}

const fn from_sim_reply(r: ConsentReply) -> WhatsAppConsentReply {
    match r {
        ConsentReply::Accept => WhatsAppConsentReply::Accept,
        ConsentReply::AcceptPermanent => WhatsAppConsentReply::AcceptPermanent,
        ConsentReply::Reject => WhatsAppConsentReply::Reject,
        ConsentReply::Ignore => WhatsAppConsentReply::Ignore,
    }
}

fn pair(p: PairPermission) -> WhatsAppUserPermission {
    WhatsAppUserPermission {
        business: p.business,
        status: p.state.as_str().to_owned(),
        expires_at: match p.state {
            PermissionState::Temporary { expires_at } => Some(expires_at),
            _ => None,
        },
        requests_last_day: p.requests_last_day,
        requests_last_week: p.requests_last_week,
        revoked: p.revoked,
    }
}

fn message(m: UserMessage) -> WhatsAppMessage {
    let (body, template) = match m.content.clone() {
        MessageContent::Text { body } => (Some(body), None),
        MessageContent::PermissionRequest { body, template } => (body, template),
        MessageContent::Template { name, body } => (body, Some(name)),
    };
    WhatsAppMessage {
        id: m.id,
        direction: if m.inbound { "inbound" } else { "outbound" },
        business: m.business,
        kind: m.content.kind(),
        body,
        template,
        status: m.status,
        error_code: m.error_code,
        created_at: m.created_at,
        reply: m.reply.map(from_sim_reply),
        replied_at: m.replied_at,
    }
}

impl SimulatorPort {
    /// A user with its consent per business number.
    fn with_permissions(&self, account: Sid, u: sim::User) -> WhatsAppUser {
        let permissions = self
            .0
            .permissions(account, &u.number)
            .into_iter()
            .map(pair)
            .collect();
        WhatsAppUser {
            permissions,
            ..user(u)
        }
    }
}

fn user(u: sim::User) -> WhatsAppUser {
    WhatsAppUser {
        number: u.number,
        permission: from_sim_permission(u.permission),
        behavior: u.behavior,
        answer_after: u.answer_after,
        hangup_after: u.hangup_after,
        digits: u.digits,
        audio: u.audio,
        consent_reply: from_sim_reply(u.consent_reply),
        reply_after: u.reply_after,
        unanswered_in_a_row: u.unanswered_in_a_row,
        permissions: Vec::new(),
    }
}

fn call(c: UserCall) -> WhatsAppUserCall {
    WhatsAppUserCall {
        call_id: c.call_id,
        direction: c.direction.as_str().to_owned(),
        status: c.status.as_str().to_owned(),
        from: c.from,
        to: c.to,
        created_at: c.created_at,
        answered_at: c.answered_at,
        ended_at: c.ended_at,
        duration_secs: c.duration_secs,
        media: c.media.map(|m| WhatsAppMedia {
            rtp_sent: m.rtp_sent,
            rtp_received: m.rtp_received,
            rtp_lost: m.rtp_lost,
            rtcp_sent: m.rtcp_sent,
            rtcp_received: m.rtcp_received,
            audio_gaps: m.audio_gaps,
            rtp_skipped: m.rtp_skipped,
            remote_expected: m.remote_expected,
            remote_lost: m.remote_lost,
        }),
    }
}

fn error(e: &SimError) -> ControlError {
    let (status, code) = match e {
        SimError::Invalid(_) | SimError::Expired => (StatusCode::BAD_REQUEST, TwilioCode(20001)),
        SimError::UnknownUser | SimError::UnknownMessage => {
            (StatusCode::NOT_FOUND, TwilioCode::NOT_FOUND)
        }
        SimError::UnknownSender(_) => (StatusCode::BAD_REQUEST, TwilioCode(21211)),
        // Twilio's code for Meta's 138003 (one active call per business/user pair).
        SimError::DuplicateCall => (StatusCode::CONFLICT, TwilioCode(37003)),
        SimError::Capacity(_) => (StatusCode::TOO_MANY_REQUESTS, TwilioCode(20429)),
        SimError::Media(_) => (StatusCode::SERVICE_UNAVAILABLE, TwilioCode(20503)),
        SimError::DuplicateReply(_) => (StatusCode::CONFLICT, TwilioCode(20001)),
    };
    ControlError {
        retry_after: None,
        status,
        code,
        message: e.to_string(),
    }
}

impl SimulatedWhatsApp for SimulatorPort {
    fn put_user(&self, account: Sid, u: WhatsAppUser) -> Result<WhatsAppUser, ControlError> {
        let new = NewUser {
            number: u.number,
            permission: to_sim_permission(u.permission),
            behavior: u.behavior,
            answer_after: u.answer_after,
            hangup_after: u.hangup_after,
            digits: u.digits,
            audio: u.audio,
            consent_reply: to_sim_reply(u.consent_reply),
            reply_after: u.reply_after,
        };
        self.0
            .put_user(account, new)
            .map(|u| self.with_permissions(account, u))
            .map_err(|e| error(&e))
    }

    fn user(&self, account: Sid, number: &E164) -> Option<WhatsAppUser> {
        self.0
            .user(account, number)
            .map(|u| self.with_permissions(account, u))
    }

    fn users(&self, account: Sid) -> Vec<WhatsAppUser> {
        self.0
            .users(account)
            .into_iter()
            .map(|u| self.with_permissions(account, u))
            .collect()
    }

    fn send_message(
        &self,
        account: Sid,
        number: E164,
        to: String,
        body: String,
    ) -> BoxFuture<'_, Result<WhatsAppMessage, ControlError>> {
        Box::pin(async move {
            self.0
                .send_message(account, &number, &to, &body)
                .await
                .map(message)
                .map_err(|e| error(&e))
        })
    }

    fn messages(&self, account: Sid, number: &E164) -> Vec<WhatsAppMessage> {
        self.0
            .messages(account, number)
            .into_iter()
            .map(message)
            .collect()
    }

    fn answer_request(
        &self,
        account: Sid,
        number: &E164,
        id: &str,
        reply: WhatsAppConsentReply,
    ) -> Result<WhatsAppMessage, ControlError> {
        self.0
            .answer_request(account, number, id, to_sim_reply(reply))
            .map(message)
            .map_err(|e| error(&e))
    }

    fn delete_user(&self, account: Sid, number: &E164) -> bool {
        self.0.delete_user(account, number)
    }

    fn call_business(
        &self,
        account: Sid,
        number: E164,
        to: String,
    ) -> BoxFuture<'_, Result<WhatsAppUserCall, ControlError>> {
        Box::pin(async move {
            self.0
                .call_business(account, &number, &to)
                .await
                .map(call)
                .map_err(|e| error(&e))
        })
    }

    fn calls(&self, account: Sid, number: &E164) -> Vec<WhatsAppUserCall> {
        self.0
            .calls(account, number)
            .into_iter()
            .map(call)
            .collect()
    }
}
