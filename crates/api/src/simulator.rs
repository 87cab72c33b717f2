//! The port through which `/sim/v1/WhatsAppUsers` drives the simulated WhatsApp network.
//!
//! The simulator (`dialtone_sim::network::Simulator`) plays Meta's side; the API only
//! validates forms and renders JSON, in its own terms, so it compiles and is tested without
//! the simulator (tests plug in a fake; the binary plugs in the simulator through a small
//! adapter). When Dialtone talks to Meta (`whatsapp.mode = "meta"`) there is no simulator and
//! the routes answer 404.

use std::time::Duration;

use dialtone_types::{Direction, E164, Sid, SimulatedAudio, UnixMillis};

use crate::control::{Behavior, BoxFuture, ControlError};

/// A user's call permission towards the account's business numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhatsAppPermission {
    /// Granted (does not expire in the simulator).
    Granted,
    /// Never granted (the default).
    #[default]
    None,
    /// Revoked (by the user, or after four unanswered business calls in a row).
    Revoked,
}

impl WhatsAppPermission {
    /// The form value: `granted`, `none` or `revoked`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Granted => "granted",
            Self::None => "none",
            Self::Revoked => "revoked",
        }
    }

    /// Parses a form value.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "granted" => Self::Granted,
            "none" => Self::None,
            "revoked" => Self::Revoked,
            _ => return None,
        })
    }
}

/// How a simulated user answers call permission requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WhatsAppConsentReply {
    /// A temporary (7-day) permission (the default).
    #[default]
    Accept,
    /// A permanent permission.
    AcceptPermanent,
    /// Declines.
    Reject,
    /// Reads the request and never answers.
    Ignore,
}

impl WhatsAppConsentReply {
    /// The form value: `accept`, `accept-permanent`, `reject` or `ignore`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::AcceptPermanent => "accept-permanent",
            Self::Reject => "reject",
            Self::Ignore => "ignore",
        }
    }

    /// Parses a form value.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "accept" => Self::Accept,
            "accept-permanent" => Self::AcceptPermanent,
            "reject" => Self::Reject,
            "ignore" => Self::Ignore,
            _ => return None,
        })
    }
}

/// A user's consent towards one business number, as Meta keeps it (read only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppUserPermission {
    /// The business number.
    pub business: E164,
    /// `no_permission`, `temporary` or `permanent`.
    pub status: String,
    /// When a temporary permission ends.
    pub expires_at: Option<UnixMillis>,
    /// Call permission requests counted in the last 24 h.
    pub requests_last_day: usize,
    /// Call permission requests counted in the last 7 days.
    pub requests_last_week: usize,
    /// Revoked by the unanswered-calls rule (until granted again).
    pub revoked: bool,
}

/// A message between a simulated user and a business number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppMessage {
    /// Meta's id, `wamid.…`.
    pub id: String,
    /// `inbound` (the user wrote) or `outbound` (the business sent it).
    pub direction: &'static str,
    /// The business number.
    pub business: E164,
    /// `text`, `call_permission_request` or `template`.
    pub kind: &'static str,
    /// The text the user sees, if any.
    pub body: Option<String>,
    /// The template's name, for a template.
    pub template: Option<String>,
    /// `sent`, `delivered`, `read`, `failed` (outbound), `received` (inbound); `None` before
    /// `sent`.
    pub status: Option<String>,
    /// Meta's code of a `failed` message.
    pub error_code: Option<u32>,
    /// When Meta accepted it.
    pub created_at: UnixMillis,
    /// A permission request's current answer.
    pub reply: Option<WhatsAppConsentReply>,
    /// When it was last answered.
    pub replied_at: Option<UnixMillis>,
}

/// A simulated WhatsApp user of an account.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatsAppUser {
    /// The user's number.
    pub number: E164,
    /// Consent towards the account's business numbers.
    pub permission: WhatsAppPermission,
    /// How the phone reacts to business calls.
    pub behavior: Behavior,
    /// Ringing time before answering (or declining).
    pub answer_after: Duration,
    /// Talk time before the user hangs up; `None` waits for the business.
    pub hangup_after: Option<Duration>,
    /// DTMF pressed (RFC 4733) after the answer.
    pub digits: Option<String>,
    /// What the user sends once a call's media is connected.
    pub audio: SimulatedAudio,
    /// How the user answers call permission requests.
    pub consent_reply: WhatsAppConsentReply,
    /// From reading a call permission request to answering it.
    pub reply_after: Duration,
    /// Business calls left unanswered in a row (read only; 0 for a new user).
    pub unanswered_in_a_row: u32,
    /// Consent per business number (read only; empty for a new user).
    pub permissions: Vec<WhatsAppUserPermission>,
}

/// A call of a simulated user, as the simulator reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppUserCall {
    /// Meta's call id, `wacid.…`.
    pub call_id: String,
    /// `BUSINESS_INITIATED` or `USER_INITIATED`.
    pub direction: String,
    /// `calling`, `ringing`, `pre-accepted`, `in-progress`, `completed`, `canceled`, `busy`,
    /// `rejected`, `no-answer` or `failed`.
    pub status: String,
    /// The caller, `whatsapp:+…`.
    pub from: String,
    /// The callee, `whatsapp:+…`.
    pub to: String,
    /// When it was placed.
    pub created_at: UnixMillis,
    /// When it was answered.
    pub answered_at: Option<UnixMillis>,
    /// When it ended.
    pub ended_at: Option<UnixMillis>,
    /// Whole seconds from answer to end.
    pub duration_secs: Option<u64>,
    /// The user's media counters once the call's media leg stopped.
    pub media: Option<WhatsAppMedia>,
}

/// Packet counters of a simulated user's media leg (RTP and RTCP, as the user saw them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WhatsAppMedia {
    /// RTP packets the user sent.
    pub rtp_sent: u64,
    /// RTP packets the user received.
    pub rtp_received: u64,
    /// RTP packets missing from what the user received, by sequence number.
    pub rtp_lost: u64,
    /// RTCP packets the user sent.
    pub rtcp_sent: u64,
    /// RTCP packets the user received.
    pub rtcp_received: u64,
    /// Audio frames missing between Dialtone's Opus packets by RTP timestamp (lost, or never
    /// sent because Dialtone's side fell behind).
    pub audio_gaps: u64,
    /// Audio frames the user's side skipped because it fell behind.
    pub rtp_skipped: u64,
    /// The user's RTP packets Dialtone should have received by its latest RTCP receiver report
    /// (from the user's first packet to the highest sequence number Dialtone reported).
    pub remote_expected: u64,
    /// Of those, lost by that report (Dialtone's cumulative count).
    pub remote_lost: u64,
}

/// A Dialtone call of the account, as the simulator needs it to find the simulated party at
/// its far end (from the store's record).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialtoneCall {
    /// The CallSid.
    pub sid: Sid,
    /// `From` (`whatsapp:+…` for a call a WhatsApp user placed).
    pub from: String,
    /// `To`.
    pub to: String,
    /// `inbound`, `outbound-api` or `outbound-dial`.
    pub direction: Direction,
    /// When Dialtone created the call.
    pub created: UnixMillis,
}

/// What a simulated party heard: mono 16-bit PCM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeardAudio {
    /// Samples per second.
    pub rate: u32,
    /// The samples.
    pub samples: Vec<i16>,
}

/// What the API needs from the WhatsApp simulator. Errors carry the HTTP status, Twilio code
/// and message to answer with.
pub trait SimulatedWhatsApp: Send + Sync + 'static {
    /// Creates or replaces a user of `account`.
    fn put_user(&self, account: Sid, user: WhatsAppUser) -> Result<WhatsAppUser, ControlError>;

    /// One user of `account`.
    fn user(&self, account: Sid, number: &E164) -> Option<WhatsAppUser>;

    /// The users of `account`, by number.
    fn users(&self, account: Sid) -> Vec<WhatsAppUser>;

    /// Removes a user; `false` if there was none.
    fn delete_user(&self, account: Sid, number: &E164) -> bool;

    /// The user calls the business `to` (`whatsapp:+…`).
    fn call_business(
        &self,
        account: Sid,
        number: E164,
        to: String,
    ) -> BoxFuture<'_, Result<WhatsAppUserCall, ControlError>>;

    /// The user's calls the simulator remembers, oldest first.
    fn calls(&self, account: Sid, number: &E164) -> Vec<WhatsAppUserCall>;

    /// The user writes `body` to the business `to` (`whatsapp:+…`); opens the 24 h window.
    fn send_message(
        &self,
        account: Sid,
        number: E164,
        to: String,
        body: String,
    ) -> BoxFuture<'_, Result<WhatsAppMessage, ControlError>>;

    /// The user's messages (both directions), oldest first.
    fn messages(&self, account: Sid, number: &E164) -> Vec<WhatsAppMessage>;

    /// The user answers (or changes the answer to) the call permission request `id`.
    fn answer_request(
        &self,
        account: Sid,
        number: &E164,
        id: &str,
        reply: WhatsAppConsentReply,
    ) -> Result<WhatsAppMessage, ControlError>;
}

/// What `GET /sim/v1/Calls/{CallSid}/Heard.wav` needs: the audio each simulated party (a
/// WhatsApp user, a softphone) heard. Independent of the WhatsApp simulator: softphones run in
/// either WhatsApp mode.
pub trait SimulatedParties: Send + Sync + 'static {
    /// What the simulated party at the far end of `call` heard, from its media's connection to
    /// now (or to its end); `Ok(None)` when no simulated party is on that call (or its audio is
    /// no longer kept). It may decode minutes of audio: the API calls it off the async workers.
    fn heard(&self, account: Sid, call: &DialtoneCall) -> Result<Option<HeardAudio>, ControlError>;
}
