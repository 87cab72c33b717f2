//! The WhatsApp connector: `<Dial><WhatsApp>` legs and user-initiated WhatsApp calls over
//! Meta's Cloud API calling protocol (Graph requests, signed `calls` webhooks, WebRTC media).
//!
//! `dialtone-whatsapp` holds the protocol as pure data and state machines; this module does
//! the IO around them, as that crate's README plans it:
//!
//! - **graph_client** sends Graph requests with a deadline each;
//! - **outbound** runs one task per business-initiated call: permission fast-fail, media
//!   offer, `connect`, its [`CallTracker`](dialtone_whatsapp::tracker::CallTracker), Meta's
//!   answer applied to the media leg, and `Answered` reported only once media connected;
//! - **inbound** runs one task per user-initiated call: the sender's voice application, a
//!   new inbound call, `pre_accept`/`accept`/`reject`/`terminate` through an
//!   [`InboundTracker`](dialtone_whatsapp::tracker::InboundTracker);
//! - **webhooks** checks `X-Hub-Signature-256`, parses the notification and routes each event
//!   to its call's task by Meta's call id, or by `biz_opaque_callback_data` (the child's
//!   CallSid) while the id is not known yet;
//! - **templates** submits Content resources as Meta message templates and reads Meta's
//!   verdict (`POST /{waba-id}/message_templates`, `GET /{template-id}`);
//! - **messaging** sends messages (`POST /{phone-number-id}/messages`) and turns Meta's
//!   message statuses and call permission replies into Twilio's callbacks and webhooks;
//! - **connector** is the [`LegConnector`](crate::LegConnector) the driver uses for
//!   `whatsapp:` legs.
//!
//! Each call's task owns its tracker and media leg and takes its inputs (webhook events,
//! engine commands, Graph answers, media events, timers) one at a time, so a call needs no
//! locks; the shared maps (routes, permission cache, sender ids) are held for single
//! operations only.

mod config;
mod connector;
mod context;
mod graph_client;
mod inbound;
mod media;
mod media_webrtc;
mod messaging;

pub(crate) use media_webrtc::WebRtcMedia;
mod outbound;
mod templates;
mod webhooks;

pub use config::WhatsAppConfig;
pub use connector::WhatsApp;
pub use templates::{MessageTemplates, TemplateAnswer, TemplateContent, TemplateFailure};
pub use webhooks::WebhookRefusal;
