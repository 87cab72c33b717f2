//! Dialtone's REST API: Twilio's `2010-04-01` surface for programmable voice, served by axum.
//!
//! Applications written for Twilio, and Twilio's helper libraries, use it unchanged: same
//! paths (`/2010-04-01/Accounts/{AccountSid}/Calls.json`...), HTTP Basic auth with the
//! account's auth token or an API key, urlencoded requests, JSON representations with RFC 2822
//! dates, Twilio's page envelope and Twilio's error body. Besides Twilio's resources it serves
//! the Content API's `/v1/Content` (message templates and their WhatsApp approval), WhatsApp
//! messages (`/Messages.json`, call permission requests), a sender's known call permissions,
//! the softphone simulator (`/sim/v1/Clients`), the web console (`/console`),
//! `GET /healthz`, `GET /readyz` and
//! `GET /metrics`.
//!
//! The crate is the HTTP edge only. Records are read from [`dialtone_store`]; anything that
//! touches a live call goes through the [`CallControl`] port, which the binary implements
//! with the runtime and tests implement with a fake. Time and randomness come in through
//! [`Clock`] and [`Entropy`], so tests can assert exact SIDs and dates.
//!
//! Every failure leaves through [`ApiError`] and renders Twilio's error body; no input makes
//! a handler panic or answer 500 (a panic would still be caught and answered as Twilio's
//! 20500, never dropped).
#![warn(missing_docs)]

mod admission;
mod approvals;
mod auth;
mod console;
mod control;
mod error;
mod http;
mod media;
mod messaging;
mod paging;
mod params;
mod render;
mod resources;
mod simulator;
mod state;
mod target;
mod transcode;
mod validate;
pub mod voice_sdk;
mod whatsapp_webhook;

pub use approvals::{
    ContentApprovals, SIMULATED_REJECTION, SimulatedVerdict, TemplateError, TemplateSubmission,
    TemplateVerdict, WhatsAppTemplates,
};
pub use auth::Caller;
pub use control::{
    Accepted, Behavior, BoxFuture, CallControl, CallSource, CallUpdateRequest, ControlError,
    NewCallRequest, PauseBehavior, RecordingRef, RecordingStartRequest, RecordingUpdate, Softphone,
    SoftphoneCallRequest, TargetStatus,
};
pub use error::{ApiError, codes};
pub use http::Operations;
pub use messaging::{Outgoing, WhatsAppMessaging};
pub use params::Params;
pub use simulator::{
    DialtoneCall, HeardAudio, SimulatedParties, SimulatedWhatsApp, WhatsAppConsentReply,
    WhatsAppMedia, WhatsAppMessage, WhatsAppPermission, WhatsAppUser, WhatsAppUserCall,
    WhatsAppUserPermission,
};
pub use state::{ApiState, Clock, DEFAULT_MAX_CALL_REQUESTS, Entropy, Limits};
pub use whatsapp_webhook::{WHATSAPP_WEBHOOK_PATH, WebhookRejection, WhatsAppWebhooks};

use axum::Router;
use axum::routing::get;

/// The whole HTTP surface, ready to serve.
pub fn router(state: ApiState) -> Router {
    let api = Router::new()
        .route("/healthz", get(http::healthz))
        .route("/readyz", get(http::readyz))
        .route("/metrics", get(http::metrics))
        .route("/signal", get(voice_sdk::signal::upgrade))
        .merge(resources::accounts(&state))
        .merge(resources::simulator(&state))
        .merge(resources::whatsapp_users::routes(&state))
        .merge(resources::senders(&state))
        .merge(resources::content(&state))
        .merge(whatsapp_webhook::routes(&state))
        .merge(console::routes(&state))
        .fallback(http::not_found)
        .method_not_allowed_fallback(http::method_not_allowed);
    http::layers(api, &state).with_state(state)
}
