//! The simulated WhatsApp network: Meta's side of Cloud API calling, for tests and for
//! `dialtone serve` in simulator mode.
//!
//! Two layers, like the engine:
//! - a sans-IO core, [`Network`]: users per account, calls by Meta call id, Meta's rules
//!   (reference `whatsapp-calling.md` §1, §2, §5, §6) and each call's timeline, with time as an
//!   input. Tests drive it in virtual time.
//! - the IO shell, [`Simulator`]: the Graph endpoints on axum, signed webhooks over reqwest
//!   (in order per call, retried), timers on tokio and the users' ICE-lite media sides.
//!
//! Choices where Meta publishes nothing (documented here so tests and users can rely on them):
//! - A number the simulator does not know is a user without permission: `connect` answers
//!   138006 (Meta does not reveal whether a number is on WhatsApp), `call_permissions` says
//!   `no_permission`.
//! - Consent ([`consent`]): the user's `Permission` setting `granted` scripts a permanent
//!   permission towards every business number of the account; otherwise permission is per
//!   business number and user pair and comes only from the user's answer to a call
//!   permission request ([`messages`]): temporary (7 days) or permanent. Requests are limited
//!   to 1 per 24 h and 2 per 7 days per pair (138009), refused while a permanent permission
//!   exists (138017), and any connected call resets the counters.
//! - `busy`: no `RINGING`; after `ring_after` a `REJECTED` status then a terminate webhook
//!   (`COMPLETED`, no duration) — the same signal as a decline, which Twilio reports as busy.
//! - `reject`: `RINGING`, then after `AnswerAfter` `REJECTED` and the terminate webhook.
//! - `no-answer`: `RINGING`, then the terminate webhook (`COMPLETED`, no `start_time` or
//!   `duration`, as Meta reports unanswered calls) after the ring timeout (60 s by default;
//!   Meta's is unpublished).
//! - `unreachable`: the phone never rings; after `unreachable_after` (2 s) the terminate webhook
//!   says `FAILED` with error 138001 ("receiver is uncallable", which Dialtone maps to 13224
//!   like an unreachable softphone).
//! - `answer`: `RINGING`, then after `AnswerAfter` the `connect` webhook with the user's SDP
//!   answer (ICE-lite, `a=setup:active`) followed by `ACCEPTED`; digits are pressed
//!   `digits_delay` after the answer; after `HangupAfter` the terminate webhook (`COMPLETED`,
//!   `start_time`, `end_time`, `duration` in whole seconds).
//! - Every business-initiated call that ends unanswered (busy, declined, not answered,
//!   unreachable, ended by the business before the answer) extends the user's unanswered
//!   streak (kept per user); the fourth in a row revokes the scripted permission and the
//!   pair's (§2.4). An answer resets it.
//! - User-initiated calls: the `connect` webhook carries the user's offer; the business has
//!   `accept_window` (60 s) to `accept`, else the call ends unanswered. Meta sends no status
//!   webhooks for them.
//! - Audio: once a call's media connects the user sends its `Audio` (silence, a tone, or a WAV
//!   URL fetched once per call at that moment and looped; an unusable WAV is logged and the
//!   user stays silent, `dialtone_prompt::device`), and what the user hears is kept in the
//!   shared heard log ([`dialtone_media::heard`], [`SimulatorConfig::heard`]), encoded, decoded
//!   only when asked for.

mod call;
mod config;
mod consent;
mod error;
mod graph;
mod messages;
#[allow(clippy::module_inception)]
mod network;
mod output;
mod shell;
mod templates;
mod user;

pub use call::{CallStatus, Direction, SimSender, UserCall};
pub use config::{ConsentLimits, NetworkConfig, TemplateReview, TemplateStatus, Timing};
pub use consent::{PairPermission, PermissionState};
pub use error::SimError;
pub use graph::{GraphReply, GraphRequest};
pub use messages::{KEEP_MESSAGES, MessageContent, UserMessage};
pub use network::Network;
pub use output::{Output, Webhook};
pub use shell::{BoxFuture, Delivery, SenderDirectory, Simulator, SimulatorConfig};
pub use templates::Template;
pub use user::{
    Behavior, ConsentReply, MAX_DIGITS, MAX_SECONDS, NewUser, Permission, User, valid_digits,
};
