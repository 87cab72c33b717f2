//! Shared test rig: an in-memory SQLite store, a fake engine that records what the API asked
//! of it, a fixed clock and counting "entropy", and request helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine as _;
use dialtone_api::{
    Accepted, ApiState, BoxFuture, CallControl, CallUpdateRequest, Clock, ControlError, Entropy,
    NewCallRequest, RecordingRef, RecordingStartRequest, RecordingUpdate, Softphone,
    SoftphoneCallRequest, TargetStatus,
};
use dialtone_store::{Call, CallUpdate, NewCall, NewRecording, Recording, RecordingStatus, Store};
use dialtone_types::{CallStatus, Direction, E164, Sid, SidKind, TwilioCode, UnixMillis};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// 2010-08-31 20:36:28 UTC, Twilio's documentation example date.
pub const NOW: UnixMillis = UnixMillis(1_283_286_988_000);
pub const NOW_TEXT: &str = "Tue, 31 Aug 2010 20:36:28 +0000";
pub const TOKEN: &str = "0123456789abcdef0123456789abcdef";
pub const OTHER_TOKEN: &str = "fedcba9876543210fedcba9876543210";

pub fn account() -> Sid {
    Sid::new(SidKind::Account, 0xa1)
}

pub fn other_account() -> Sid {
    Sid::new(SidKind::Account, 0xb2)
}

pub struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> UnixMillis {
        NOW
    }
}

/// 1, 2, 3...: SIDs end in ...01, ...02 in creation order.
#[derive(Default)]
pub struct Counter(AtomicU64);

impl Entropy for Counter {
    fn next_u128(&self) -> u128 {
        u128::from(self.0.fetch_add(1, Ordering::SeqCst) + 1)
    }
}

/// What the fake engine was asked.
#[derive(Default)]
pub struct Recorded {
    pub created: Vec<NewCallRequest>,
    pub updated: Vec<(Sid, CallUpdateRequest)>,
    pub softphone_calls: Vec<SoftphoneCallRequest>,
    /// Every `set_whatsapp_senders`: the account and its voice-enabled numbers.
    pub senders: Vec<(Sid, Vec<String>)>,
    /// Every `start_recording`: the call and the request.
    pub recording_starts: Vec<(Sid, RecordingStartRequest)>,
    /// Every `update_recording`: the call, the recording named and the update.
    pub recording_updates: Vec<(Sid, RecordingRef, RecordingUpdate)>,
}

/// A stand-in for the runtime: stores calls as `queued`, ends them on `Status=`, and can be
/// told to refuse the next update.
pub struct FakeControl {
    pub store: Store,
    pub recorded: Mutex<Recorded>,
    pub refuse_next: Mutex<Option<ControlError>>,
    pub phones: Mutex<BTreeMap<(Sid, String), Softphone>>,
    /// How long `create_call` takes before the engine has taken the call (to exercise the
    /// request timeout).
    pub create_delay: Mutex<Option<std::time::Duration>>,
    /// How long a create takes once taken, before the call is stored (the timeout must not
    /// cut it).
    pub stored_delay: Mutex<Option<std::time::Duration>>,
    /// When set, a taken create waits for one of its permits before the call is stored.
    pub gate: Mutex<Option<Arc<tokio::sync::Semaphore>>>,
    /// Creates that have waited at the gate.
    pub gated: AtomicU64,
    next_call: AtomicU64,
    next_recording: AtomicU64,
}

impl FakeControl {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            recorded: Mutex::default(),
            refuse_next: Mutex::default(),
            phones: Mutex::default(),
            create_delay: Mutex::default(),
            stored_delay: Mutex::default(),
            gate: Mutex::default(),
            gated: AtomicU64::new(0),
            next_call: AtomicU64::new(0x100),
            next_recording: AtomicU64::new(0x200),
        }
    }

    fn call_sid(&self) -> Sid {
        Sid::new(
            SidKind::Call,
            u128::from(self.next_call.fetch_add(1, Ordering::SeqCst)),
        )
    }
}

/// A `queued` call to store, with Twilio's defaults.
pub fn new_call(sid: Sid, to: String, from: String, direction: Direction) -> NewCall {
    NewCall {
        sid,
        parent_call_sid: None,
        to,
        from,
        status: CallStatus::Queued,
        direction,
        application_sid: None,
        url: None,
        method: "POST".into(),
        twiml: None,
        fallback_url: None,
        fallback_method: "POST".into(),
        status_callback: None,
        status_callback_method: "POST".into(),
        status_callback_events: vec![],
        timeout: 60,
        time_limit: None,
        caller_name: None,
        forwarded_from: None,
    }
}

fn internal(e: impl std::fmt::Display) -> ControlError {
    ControlError {
        retry_after: None,
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: TwilioCode(20500),
        message: e.to_string(),
    }
}

impl FakeControl {
    /// The second step of a create: the call stored as `queued`.
    async fn store_created(&self, request: NewCallRequest) -> Result<Call, ControlError> {
        let delay = *self.stored_delay.lock().unwrap();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        let gate = self.gate.lock().unwrap().clone();
        if let Some(gate) = gate {
            self.gated.fetch_add(1, Ordering::SeqCst);
            gate.acquire().await.unwrap().forget();
        }
        let sid = self.call_sid();
        let mut call = new_call(
            sid,
            request.to.to_string(),
            request.from.clone(),
            Direction::OutboundApi,
        );
        call.application_sid = request.application_sid;
        call.timeout = request.timeout;
        let stored = self
            .store
            .insert_call(request.account, &call, NOW)
            .await
            .map_err(internal)?;
        self.recorded.lock().unwrap().created.push(request);
        Ok(stored)
    }

    /// The second step of an update: refused if told so, else the status stored.
    async fn updated(
        &self,
        account: Sid,
        call: Sid,
        request: CallUpdateRequest,
    ) -> Result<Call, ControlError> {
        if let Some(e) = self.refuse_next.lock().unwrap().take() {
            return Err(e);
        }
        self.recorded
            .lock()
            .unwrap()
            .updated
            .push((call, request.clone()));
        let update = CallUpdate {
            status: request.status.map(|s| match s {
                TargetStatus::Completed => CallStatus::Completed,
                TargetStatus::Canceled => CallStatus::Canceled,
            }),
            end_time: request.status.map(|_| NOW),
            ..CallUpdate::default()
        };
        self.store
            .update_call(account, call, &update, NOW)
            .await
            .map_err(internal)
    }

    /// A recording of `call` stored `in-progress` (`StartCallRecordingAPI`), unless told to
    /// refuse.
    async fn recording_started(
        &self,
        account: Sid,
        call: Sid,
        request: RecordingStartRequest,
    ) -> Result<Recording, ControlError> {
        if let Some(e) = self.refuse_next.lock().unwrap().take() {
            return Err(e);
        }
        let sid = Sid::new(
            SidKind::Recording,
            u128::from(self.next_recording.fetch_add(1, Ordering::SeqCst)),
        );
        let new = NewRecording {
            sid,
            call_sid: call,
            source: "StartCallRecordingAPI".to_owned(),
            channels: request.channels,
            track: request.track.as_str().to_owned(),
            start_time: NOW,
            callback: None,
        };
        self.recorded
            .lock()
            .unwrap()
            .recording_starts
            .push((call, request));
        self.store
            .insert_recording(account, &new, NOW)
            .await
            .map_err(internal)
    }

    /// The recording's new status stored; `Twilio.CURRENT` is the latest one started.
    async fn recording_updated(
        &self,
        account: Sid,
        call: Sid,
        target: RecordingRef,
        update: RecordingUpdate,
    ) -> Result<Recording, ControlError> {
        if let Some(e) = self.refuse_next.lock().unwrap().take() {
            return Err(e);
        }
        self.recorded
            .lock()
            .unwrap()
            .recording_updates
            .push((call, target, update));
        let sid = match target {
            RecordingRef::Sid(sid) => sid,
            RecordingRef::Current => Sid::new(
                SidKind::Recording,
                u128::from(self.next_recording.load(Ordering::SeqCst) - 1),
            ),
        };
        let status = match update {
            RecordingUpdate::Pause(_) => RecordingStatus::Paused,
            RecordingUpdate::Resume => RecordingStatus::InProgress,
            RecordingUpdate::Stop => RecordingStatus::Stopped,
        };
        self.store
            .set_recording_status(account, sid, status, NOW)
            .await
            .map_err(|_| ControlError {
                retry_after: None,
                status: StatusCode::NOT_FOUND,
                code: TwilioCode(20404),
                message: "no such recording".to_owned(),
            })
    }

    /// The second step of a softphone call: the call stored.
    async fn softphone_call(&self, request: SoftphoneCallRequest) -> Result<Call, ControlError> {
        let mut call = new_call(
            self.call_sid(),
            request.to.clone().unwrap_or_default(),
            format!("client:{}", request.identity),
            Direction::Inbound,
        );
        call.application_sid = Some(request.application.sid);
        let stored = self
            .store
            .insert_call(request.account, &call, NOW)
            .await
            .map_err(internal)?;
        self.recorded.lock().unwrap().softphone_calls.push(request);
        Ok(stored)
    }
}

impl CallControl for FakeControl {
    fn create_call(
        &self,
        request: NewCallRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Call>, ControlError>> {
        Box::pin(async move {
            let delay = *self.create_delay.lock().unwrap();
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            let taken: Accepted<'_, Call> = Box::pin(self.store_created(request));
            Ok(taken)
        })
    }

    fn update_call(
        &self,
        account: Sid,
        call: Sid,
        request: CallUpdateRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Call>, ControlError>> {
        Box::pin(async move {
            let taken: Accepted<'_, Call> = Box::pin(self.updated(account, call, request));
            Ok(taken)
        })
    }

    fn start_recording(
        &self,
        account: Sid,
        call: Sid,
        request: RecordingStartRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Recording>, ControlError>> {
        Box::pin(async move {
            let taken: Accepted<'_, Recording> =
                Box::pin(self.recording_started(account, call, request));
            Ok(taken)
        })
    }

    fn update_recording(
        &self,
        account: Sid,
        call: Sid,
        recording: RecordingRef,
        update: RecordingUpdate,
    ) -> BoxFuture<'_, Result<Accepted<'_, Recording>, ControlError>> {
        Box::pin(async move {
            let taken: Accepted<'_, Recording> =
                Box::pin(self.recording_updated(account, call, recording, update));
            Ok(taken)
        })
    }

    fn register_softphone(
        &self,
        account: Sid,
        softphone: Softphone,
    ) -> BoxFuture<'_, Result<Softphone, ControlError>> {
        Box::pin(async move {
            self.phones
                .lock()
                .unwrap()
                .insert((account, softphone.identity.clone()), softphone.clone());
            Ok(softphone)
        })
    }

    fn list_softphones(&self, account: Sid) -> BoxFuture<'_, Vec<Softphone>> {
        Box::pin(async move {
            self.phones
                .lock()
                .unwrap()
                .iter()
                .filter(|((a, _), _)| *a == account)
                .map(|(_, s)| s.clone())
                .collect()
        })
    }

    fn remove_softphone(&self, account: Sid, identity: String) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            self.phones
                .lock()
                .unwrap()
                .remove(&(account, identity))
                .is_some()
        })
    }

    fn start_softphone_call(
        &self,
        request: SoftphoneCallRequest,
    ) -> BoxFuture<'_, Result<Accepted<'_, Call>, ControlError>> {
        Box::pin(async move {
            let taken: Accepted<'_, Call> = Box::pin(self.softphone_call(request));
            Ok(taken)
        })
    }

    fn set_whatsapp_senders(
        &self,
        account: Sid,
        senders: Vec<E164>,
    ) -> BoxFuture<'_, Result<(), ControlError>> {
        Box::pin(async move {
            let numbers = senders.iter().map(|s| s.as_str().to_owned()).collect();
            self.recorded
                .lock()
                .unwrap()
                .senders
                .push((account, numbers));
            Ok(())
        })
    }
}

pub struct Rig {
    pub app: Router,
    pub store: Store,
    pub control: Arc<FakeControl>,
}

impl Rig {
    pub async fn new() -> Self {
        let store = Store::open_sqlite_memory().await.unwrap();
        store.ensure_account(account(), TOKEN, NOW).await.unwrap();
        store
            .ensure_account(other_account(), OTHER_TOKEN, NOW)
            .await
            .unwrap();
        let control = Arc::new(FakeControl::new(store.clone()));
        let state = ApiState::new(
            store.clone(),
            control.clone(),
            Arc::new(FixedClock),
            Arc::new(Counter::default()),
        );
        Self {
            app: dialtone_api::router(state),
            store,
            control,
        }
    }

    pub fn with_limits(self, limits: dialtone_api::Limits) -> Self {
        self.with_state(|state| state.with_limits(limits))
    }

    /// The same store and engine behind a router whose state `f` completed (limits, a
    /// WhatsApp simulator).
    pub fn with_state(mut self, f: impl FnOnce(ApiState) -> ApiState) -> Self {
        let state = ApiState::new(
            self.store.clone(),
            self.control.clone(),
            Arc::new(FixedClock),
            Arc::new(Counter::default()),
        );
        self.app = dialtone_api::router(f(state));
        self
    }

    /// Sends a request with `account()`'s credentials.
    pub async fn send(&self, method: Method, path: &str, form: &str) -> (StatusCode, Value) {
        self.send_as(method, path, form, Some((&account().to_string(), TOKEN)))
            .await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, "").await
    }

    pub async fn post(&self, path: &str, form: &str) -> (StatusCode, Value) {
        self.send(Method::POST, path, form).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, "").await
    }

    /// Sends a request with `other_account()`'s credentials and no form.
    pub async fn send_as_other(&self, method: Method, path: &str) -> (StatusCode, Value) {
        let other = other_account().to_string();
        self.send_as(method, path, "", Some((&other, OTHER_TOKEN)))
            .await
    }

    pub async fn send_as(
        &self,
        method: Method,
        path: &str,
        form: &str,
        credentials: Option<(&str, &str)>,
    ) -> (StatusCode, Value) {
        let response = self.raw(method, path, form, credentials).await;
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&body)
                .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&body)))
        };
        (status, json)
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        form: &str,
        credentials: Option<(&str, &str)>,
    ) -> axum::response::Response {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some((user, password)) = credentials {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            request = request.header(header::AUTHORIZATION, format!("Basic {encoded}"));
        }
        let request = request.body(Body::from(form.to_owned())).unwrap();
        self.app.clone().oneshot(request).await.unwrap()
    }
}

/// `/2010-04-01/Accounts/{account()}` + `rest`.
pub fn path(rest: &str) -> String {
    format!("/2010-04-01/Accounts/{}{rest}", account())
}

/// Twilio's 404 for `path`, a resource that does not exist (or belongs to another account).
pub fn not_found(path: &str) -> (StatusCode, Value) {
    let message = format!("The requested resource {path} was not found");
    (StatusCode::NOT_FOUND, error(20404, 404, &message))
}

/// Twilio's 400 with `code` and `message`.
pub fn bad_request(code: u32, message: &str) -> (StatusCode, Value) {
    (StatusCode::BAD_REQUEST, error(code, 400, message))
}

/// Twilio's error body.
pub fn error(code: u32, status: u16, message: &str) -> Value {
    serde_json::json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    })
}
