//! The tokio IO shell around `dialtone-core`.
//!
//! The engine decides everything a call does but performs no IO. This crate performs it:
//!
//! - **driver** — one task owns the [`Engine`](dialtone_core::Engine): it feeds it inputs
//!   with the wall-clock time, drains its outputs and sleeps until its next timer (quinn's
//!   `ConnectionDriver` shape);
//! - **fetch** / **sender** — TwiML requests signed with the account's Auth Token
//!   (`X-Twilio-Signature`), with Twilio's connection overrides, redirects and 64 kB cap
//!   (`dialtone-webhook` decides the wire format and the error codes); every request is
//!   recorded as a call event;
//! - **persist** — every store write, in order per call, off the engine's task;
//! - **outbox** — status callbacks, stored with the status change that caused them and
//!   delivered from the durable outbox, in order per call, with a stable idempotency token;
//! - **recovery** — at start-up, calls a dead process left live are ended and their
//!   `completed` callbacks enqueued; undelivered callbacks go out;
//! - **legs** / **softphone** / **whatsapp** — the transports under calls: simulated
//!   `client:` softphones, and the WhatsApp connector (Meta's Graph calling API, signed
//!   webhooks, WebRTC media) when configured (otherwise `whatsapp:` legs fail with 13224);
//! - **playback** — `<Say>`/`<Play>` prompts (made by the configured [`PromptSource`]), digits
//!   and `<Dial>` ringback played on calls' media legs;
//! - **media** — the simulated media clock for calls without a media leg
//!   (`docs/call-states.md`, "Media (simulated)").
//!
//! [`PromptSource`]: dialtone_prompt::PromptSource
//!
//! Start it with [`start`], use the returned [`Handle`], stop it with [`Handle::shutdown`].
#![warn(missing_docs)]

mod audio;
mod clock;
mod config;
mod devices;
mod driver;
mod error;
mod fetch;
mod handle;
mod ids;
mod legs;
mod media;
mod outbox;
mod persist;
mod playback;
mod prompts;
mod recording;
mod recovery;
mod rest_recording;
mod sender;
mod shared;
mod softphone;
mod stream;
mod telemetry;
mod whatsapp;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use dialtone_core::{Engine, SeededSids};
use dialtone_store::Store;
use tokio::sync::{Mutex, Notify, mpsc, watch};

pub use config::{BridgeMode, MediaTiming, OutboxConfig, RuntimeConfig, SoftphoneTiming};
pub use devices::{DeviceSender, Devices};
pub use dialtone_core::{
    CpsLimit, Method, PauseBehavior, RecordingChange, RecordingCommand, RecordingEvents,
    RecordingOptions, RecordingTarget, RecordingTrack, Trim,
};
pub use dialtone_prompt::PromptSource;
pub use dialtone_types::UnknownBehavior;
pub use dialtone_whatsapp::graph::{GraphConfig, OutgoingMessage};
pub use dialtone_whatsapp::webhook::SignatureError;
pub use error::RuntimeError;
pub use handle::{Accepted, CallSource, CreateCall, Handle, TargetStatus, UpdateCall};
pub use legs::{
    LegConnector, LegEnd, LegEvents, LegStart, WHATSAPP_NOT_SUPPORTED, WhatsAppUnsupported,
};
pub use prompts::{NO_PLAY_ENGINE, NO_TTS_ENGINE, UnavailablePrompts};
pub use rest_recording::RecordingAccepted;
pub use softphone::{Behavior, MAX_SOFTPHONES_PER_ACCOUNT, Softphone, SoftphoneConfig, Softphones};
pub use whatsapp::{
    MessageTemplates, TemplateAnswer, TemplateContent, TemplateFailure, WebhookRefusal, WhatsApp,
    WhatsAppConfig,
};

use crate::driver::Driver;
use crate::handle::{Inner, Tasks};
use crate::persist::Persister;
use crate::shared::Shared;

/// Commands queued for the engine's task before senders wait.
const COMMAND_QUEUE: usize = 4096;

/// Starts the runtime on the current tokio runtime: finishes what a previous process left
/// (live calls, undelivered callbacks), then spawns the engine driver, the store writers and
/// the status-callback deliverer.
pub async fn start(store: Store, config: RuntimeConfig) -> Result<Handle, RuntimeError> {
    let outbox_wake = Arc::new(Notify::new());
    let (persister, writers) = Persister::start(&store, &outbox_wake);
    let (reports, played) = mpsc::unbounded_channel();
    let playback = Arc::new(playback::Playback::new(
        Arc::clone(&config.prompts),
        config.media,
        reports,
    ));
    let shared = Arc::new(Shared::new(
        store,
        persister,
        Arc::clone(&outbox_wake),
        playback,
        config.bridge,
    ));
    let ended = recovery::recover(&shared.store, &shared.ids, clock::now()).await?;
    if ended > 0 {
        tracing::info!(calls = ended, "calls of the previous process ended");
    }
    recording::recover(
        &shared.store,
        &shared.ids,
        config.recordings.as_deref(),
        &config.engine.api_base_url,
    )
    .await;
    let (stop_deliverer, stop) = watch::channel(None);
    let deliverer = tokio::spawn(outbox::run(Arc::clone(&shared), config.outbox, stop));

    let softphone_media = config
        .whatsapp
        .as_ref()
        .map_or_else(dialtone_media::MediaConfig::full, |w| w.media.clone());
    let devices = devices::Devices::new(
        dialtone_media::MediaConfig {
            ip: softphone_media.ip,
            ..dialtone_media::MediaConfig::browser()
        },
        Arc::clone(&shared),
    );
    let softphones = Softphones::with_devices(
        config.softphone,
        Some(softphone::SoftphoneMedia::new(
            softphone_media,
            Arc::clone(&shared),
        )),
        Some(devices.clone()),
    );
    let (tx, rx) = mpsc::channel(COMMAND_QUEUE);
    let engine = Engine::new(config.engine.clone(), SeededSids::new(ids::random_seed()));
    let whatsapp = config.whatsapp.map(|settings| {
        let media = whatsapp::WebRtcMedia(dialtone_media::MediaEngine::new(settings.media.clone()));
        WhatsApp::new(settings, Arc::clone(&shared), tx.clone(), Arc::new(media))
    });
    if let Some(whatsapp) = &whatsapp {
        // Users' call permissions as their answers gave them, before any call is placed.
        match whatsapp.load_permissions().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(permissions = n, "WhatsApp call permissions loaded"),
            Err(e) => tracing::warn!(error = %e, "WhatsApp call permissions not loaded"),
        }
    }
    let connector: Arc<dyn LegConnector> = match &whatsapp {
        Some(connector) => Arc::new(connector.clone()),
        None => Arc::new(WhatsAppUnsupported),
    };
    let driver = Driver::new(
        engine,
        rx,
        played,
        tx.clone(),
        Arc::clone(&shared),
        config.media,
        softphones.clone(),
        connector,
        recording::Recordings::new(Arc::clone(&shared), config.recordings.clone(), tx.clone()),
    );
    let driver = tokio::spawn(driver.run());
    Ok(Handle {
        inner: Arc::new(Inner {
            commands: tx,
            shared,
            softphones,
            devices,
            whatsapp,
            accepting: AtomicBool::new(true),
            grace: config.shutdown_grace,
            tasks: Mutex::new(Some(Tasks {
                driver,
                writers,
                deliverer,
                stop_deliverer,
            })),
        }),
    })
}
