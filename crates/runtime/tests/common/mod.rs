//! Test support: a loopback application server that serves TwiML and records every request,
//! a store with one account, and a runtime configured with short times.
#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use dialtone_runtime::{Handle, MediaTiming, OutboxConfig, RuntimeConfig, SoftphoneTiming};
use dialtone_store::{Call, Store};
use dialtone_types::{Sid, SidKind, UnixMillis};
use dialtone_webhook::{RequestValidator, SignatureAlgorithm};

pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";

pub fn account() -> Sid {
    Sid::new(SidKind::Account, 0xacc0_u128)
}

/// A call from `+15550001111` to `to` running the document at `voice`, with Twilio's defaults
/// and no status callback; tests change what they need with struct update syntax.
pub fn call_request(to: &str, voice: dialtone_types::WebUrl) -> dialtone_runtime::CreateCall {
    dialtone_runtime::CreateCall {
        account: account(),
        to: to.parse().unwrap(),
        from: "+15550001111".to_owned(),
        source: dialtone_runtime::CallSource::Url(voice),
        method: dialtone_runtime::Method::Post,
        fallback_url: None,
        fallback_method: dialtone_runtime::Method::Post,
        status_callback: None,
        status_callback_method: dialtone_runtime::Method::Post,
        status_callback_events: Vec::new(),
        timeout: 60,
        time_limit: None,
        application_sid: None,
        record: None,
    }
}

/// The four status-callback events, as a REST create lists them.
pub fn all_events() -> Vec<String> {
    ["initiated", "ringing", "answered", "completed"]
        .map(str::to_owned)
        .to_vec()
}

/// How the app answers a path.
#[derive(Debug, Clone)]
pub enum Reply {
    /// `200 text/xml` with this body.
    Twiml(String),
    /// This status, `text/plain`, short body.
    Status(u16),
    /// `200` with this content type and body.
    Body(&'static str, Vec<u8>),
    /// Waits this long, then `200 text/xml` `<Response/>`.
    Slow(Duration),
}

/// One request the app received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The URL as the application rebuilds it (for signature checks).
    pub url: String,
    pub params: Vec<(String, String)>,
    pub signature: Option<String>,
    pub idempotency: Option<String>,
    pub user_agent: Option<String>,
}

impl Seen {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn names(&self) -> Vec<&str> {
        self.params.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Checks `X-Twilio-Signature` as an application would.
    pub fn signature_ok(&self) -> bool {
        let Some(sig) = &self.signature else {
            return false;
        };
        let validator = RequestValidator::new(TOKEN);
        let params: Vec<(&str, &str)> = if self.method == "POST" {
            self.params
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect()
        } else {
            Vec::new()
        };
        validator
            .validate(SignatureAlgorithm::HmacSha1, &self.url, params, sig)
            .is_ok()
    }
}

#[derive(Debug, Default)]
pub struct AppState {
    pub base: String,
    pub routes: Mutex<HashMap<String, Reply>>,
    pub seen: Mutex<Vec<Seen>>,
    /// When set, `/status*` requests are recorded and then never answered.
    pub hang_callbacks: AtomicBool,
    /// `/status*` requests received.
    pub callback_count: AtomicUsize,
}

/// A running loopback application.
#[derive(Debug, Clone)]
pub struct App {
    pub state: Arc<AppState>,
}

impl App {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(AppState {
            base,
            ..AppState::default()
        });
        let router = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&state));
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self { state }
    }

    pub fn url(&self, path: &str) -> dialtone_types::WebUrl {
        dialtone_types::WebUrl::parse(&format!("{}{path}", self.state.base)).unwrap()
    }

    pub fn route(&self, path: &str, reply: Reply) {
        self.state
            .routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), reply);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Requests to `path`, in arrival order.
    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }

    /// Status callbacks about `call`, in arrival order.
    pub fn callbacks_of(&self, path: &str, call: Sid) -> Vec<Seen> {
        let sid = call.to_string();
        self.seen_at(path)
            .into_iter()
            .filter(|s| s.param("CallSid") == Some(sid.as_str()))
            .collect()
    }
}

async fn handle(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let params: Vec<(String, String)> = if method == Method::POST {
        form_urlencoded::parse(&body).into_owned().collect()
    } else {
        form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect()
    };
    let path = uri.path().to_owned();
    state.seen.lock().unwrap().push(Seen {
        method: method.to_string(),
        path: path.clone(),
        url: format!("{}{}", state.base, uri),
        params,
        signature: header("x-twilio-signature"),
        idempotency: header("i-twilio-idempotency-token"),
        user_agent: header("user-agent"),
    });
    if path.starts_with("/status") {
        state.callback_count.fetch_add(1, Ordering::SeqCst);
    }
    if path.starts_with("/status") && state.hang_callbacks.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_mins(10)).await;
    }
    let reply = state.routes.lock().unwrap().get(&path).cloned();
    match reply {
        Some(Reply::Twiml(body)) => ([(header::CONTENT_TYPE, "text/xml")], body).into_response(),
        Some(Reply::Status(code)) => (
            StatusCode::from_u16(code).unwrap(),
            [(header::CONTENT_TYPE, "text/plain")],
            "nope",
        )
            .into_response(),
        Some(Reply::Body(ct, body)) => ([(header::CONTENT_TYPE, ct)], body).into_response(),
        Some(Reply::Slow(d)) => {
            tokio::time::sleep(d).await;
            ([(header::CONTENT_TYPE, "text/xml")], "<Response/>").into_response()
        }
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// A runtime config with times short enough for tests.
/// Prompts that are a few frames of silence: softphone calls carry real media, so `<Say>` and
/// `<Play>` are made by the prompt source; these make them quickly and never fail.
#[derive(Debug)]
pub struct SilentPrompts;

fn silence() -> dialtone_media::audio::Clip {
    dialtone_media::audio::Clip::from_frames(
        dialtone_media::audio::Tone::new(&[440.0], 0.0)
            .take(5)
            .collect(),
    )
}

impl dialtone_prompt::PromptSource for SilentPrompts {
    fn say<'a>(
        &'a self,
        _: &'a dialtone_prompt::SayRequest,
    ) -> dialtone_prompt::BoxFuture<
        'a,
        Result<dialtone_media::audio::Clip, dialtone_prompt::PromptError>,
    > {
        Box::pin(async move { Ok(silence()) })
    }

    fn play<'a>(
        &'a self,
        _: &'a dialtone_types::WebUrl,
    ) -> dialtone_prompt::BoxFuture<
        'a,
        Result<dialtone_media::audio::Clip, dialtone_prompt::PromptError>,
    > {
        Box::pin(async move { Ok(silence()) })
    }
}

pub fn config() -> RuntimeConfig {
    RuntimeConfig {
        prompts: Arc::new(SilentPrompts),
        media: MediaTiming {
            per_word: Duration::from_millis(10),
            per_play: Duration::from_millis(20),
            per_digit: Duration::from_millis(5),
            application_error: Duration::from_millis(20),
            endless_loops: 1000,
            attach_grace: Duration::from_millis(500),
        },
        softphone: SoftphoneTiming {
            digits_delay: Duration::from_millis(150),
            digit_interval: Duration::from_millis(20),
        },
        outbox: OutboxConfig {
            backoff: Duration::from_millis(50),
            ..OutboxConfig::default()
        },
        shutdown_grace: Duration::from_secs(3),
        ..RuntimeConfig::default()
    }
}

pub async fn store_with_account(store: Store) -> Store {
    store
        .ensure_account(account(), TOKEN, UnixMillis(1_700_000_000_000))
        .await
        .unwrap();
    store
}

pub async fn memory_store() -> Store {
    store_with_account(Store::open_sqlite_memory().await.unwrap()).await
}

pub async fn runtime() -> (Handle, Store) {
    let store = memory_store().await;
    let handle = dialtone_runtime::start(store.clone(), config())
        .await
        .unwrap();
    (handle, store)
}

/// Polls `check` until it returns `Some`, for at most 10 s.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `call` has a terminal status in the store and returns it.
pub async fn ended(store: &Store, call: Sid) -> Call {
    eventually("the call to end", || async {
        let c = store.fetch_call(account(), call).await.ok()?;
        c.status.is_terminal().then_some(c)
    })
    .await
}
