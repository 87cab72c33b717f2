//! The application server of `dialtone bench --whatsapp --audio`: TwiML by caller, and one WAV
//! prompt whose fetches are counted.
//!
//! Callers are told apart by number, so the handler keeps no state per call: user A number `i`
//! (`+15552…`) is bridged to user B number `i` (`+15553…`); a `<Play>` caller (`+15554…`) hears
//! the prompt.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use super::form;
use super::whatsapp_app::SENDER;

/// Prefix of the A users' numbers (they call the business and are bridged).
pub(super) const A_PREFIX: &str = "+15552";
/// Prefix of the B users' numbers (dialled by the bridge).
pub(super) const B_PREFIX: &str = "+15553";
/// Prefix of the `<Play>` phase's callers.
pub(super) const PLAY_PREFIX: &str = "+15554";
/// The prompt's tone, which the `<Play>` callers must hear.
pub(super) const PROMPT_HZ: f32 = 700.0;

/// The number of user `index` under `prefix`.
pub(super) fn number(prefix: &str, index: u32) -> String {
    format!("{prefix}{index:07}")
}

#[derive(Clone)]
struct App {
    base: Arc<OnceLock<String>>,
    wav: Arc<Vec<u8>>,
    fetches: Arc<AtomicU64>,
}

/// The router and the count of prompt fetches; `base` is set to the server's own URL once bound.
pub(super) fn router(
    base: Arc<OnceLock<String>>,
) -> Result<(axum::Router, Arc<AtomicU64>), String> {
    let fetches = Arc::new(AtomicU64::new(0));
    let wav = prompt_wav()?;
    let app = App {
        base,
        wav: Arc::new(wav),
        fetches: Arc::clone(&fetches),
    };
    let router = axum::Router::new()
        .route("/voice", post(voice))
        .route("/prompt.wav", get(prompt))
        .with_state(app);
    Ok((router, fetches))
}

/// Two seconds of the prompt tone, 16 kHz mono.
fn prompt_wav() -> Result<Vec<u8>, String> {
    let mut tone = dialtone_media::audio::Tone::new(&[PROMPT_HZ], 0.3);
    let samples: Vec<i16> = (0..100).flat_map(|_| tone.next_frame().0).collect();
    dialtone_media::audio::Wav::mono(dialtone_media::audio::PCM_RATE, samples)
        .write()
        .map_err(|e| format!("prompt WAV: {e}"))
}

async fn voice(State(app): State<App>, body: String) -> impl IntoResponse {
    let params = form(&body);
    let from = params
        .get("From")
        .map_or("", |f| f.trim_start_matches("whatsapp:"));
    let twiml = if let Some(index) = from.strip_prefix(A_PREFIX) {
        format!(
            "<Response><Dial callerId=\"whatsapp:{SENDER}\"><WhatsApp>{B_PREFIX}{index}</WhatsApp></Dial></Response>"
        )
    } else if from.starts_with(PLAY_PREFIX) {
        let base = app.base.get().map_or("", String::as_str);
        format!("<Response><Play>{base}/prompt.wav</Play><Pause length=\"60\"/></Response>")
    } else {
        "<Response><Reject/></Response>".to_owned()
    };
    ([(header::CONTENT_TYPE, "application/xml")], twiml)
}

async fn prompt(State(app): State<App>) -> impl IntoResponse {
    app.fetches.fetch_add(1, Ordering::Relaxed);
    (
        [
            (header::CONTENT_TYPE, "audio/wav"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        app.wav.as_ref().clone(),
    )
}
