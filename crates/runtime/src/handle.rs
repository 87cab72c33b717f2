//! The runtime's public face: what the REST API (and tests, and `dialtone bench`) call.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dialtone_core::{
    AppConfig, CallSettings, CallSetup, Method, RestCommand, StatusCallbackConfig,
    StatusCallbackEvents, TwimlSource,
};
use dialtone_store::{Application, Call, CallUpdate, NewCall};
use dialtone_types::{Address, Direction, Sid, WebUrl};
use tokio::sync::{Mutex, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::driver::{Caller, Command};
use crate::error::{INVALID_APPLICATION, INVALID_CALLBACK_EVENT, INVALID_FROM, RuntimeError};
use crate::shared::Shared;
use crate::softphone::Softphones;

/// Where a call's TwiML comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallSource {
    /// Fetch it from this URL (`Url`).
    Url(WebUrl),
    /// Run this document (`Twiml`, at most 4000 characters: the API checks).
    Twiml(String),
}

/// A REST `Calls` create, validated by the API (an `ApplicationSid` already resolved to its
/// URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateCall {
    /// The account.
    pub account: Sid,
    /// `To`.
    pub to: Address,
    /// `From` (an address form: `client:x`, `whatsapp:+E164`, `+E164`).
    pub from: String,
    /// `Url` or `Twiml`.
    pub source: CallSource,
    /// `Method` for `Url`.
    pub method: Method,
    /// `FallbackUrl`.
    pub fallback_url: Option<WebUrl>,
    /// `FallbackMethod`.
    pub fallback_method: Method,
    /// `StatusCallback`.
    pub status_callback: Option<WebUrl>,
    /// `StatusCallbackMethod`.
    pub status_callback_method: Method,
    /// `StatusCallbackEvent` values: `initiated`, `ringing`, `answered`, `completed`
    /// (empty: `completed` only). Anything else is 21626.
    pub status_callback_events: Vec<String>,
    /// `Timeout`, seconds of ringing.
    pub timeout: u32,
    /// `TimeLimit`, seconds once answered (default 4 h).
    pub time_limit: Option<u32>,
    /// The application the URLs came from.
    pub application_sid: Option<Sid>,
    /// `Record=true`: recorded from the answer (`OutboundAPI`) with these options.
    pub record: Option<dialtone_core::RecordingOptions>,
}

/// The `Status` a REST update may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetStatus {
    /// Hang up (or cancel, if not answered yet).
    Completed,
    /// Cancel a call not answered yet (21220 otherwise).
    Canceled,
}

/// A REST `Calls/{Sid}` update.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpdateCall {
    /// `Url` or `Twiml`: continue with this document.
    pub redirect: Option<CallSource>,
    /// `Method` for a `Url` redirect.
    pub method: Method,
    /// `Status`.
    pub status: Option<TargetStatus>,
    /// `FallbackUrl`: used if the voice URL is fetched from now on and fails.
    pub fallback_url: Option<WebUrl>,
    /// `FallbackMethod`.
    pub fallback_method: Option<Method>,
    /// `StatusCallback`: receives the call's later status callbacks (same events;
    /// `completed` only if it had none).
    pub status_callback: Option<WebUrl>,
    /// `StatusCallbackMethod`.
    pub status_callback_method: Option<Method>,
    /// `TimeLimit`: counted again from the call's arrival (inbound) or answer.
    pub time_limit: Option<u32>,
}

/// A call create or update the engine has taken: it happens from here on, whatever becomes
/// of this value (dropping it withdraws nothing). [`Accepted::outcome`] waits for the result.
///
/// The `submit_*` methods return one as soon as the request is handed to the engine, so a
/// caller with a deadline (the REST API's request timeout) knows the point after which the
/// request can no longer be cut: before it nothing was stored, after it the call exists.
#[derive(Debug)]
#[must_use = "the request happens anyway; `outcome` says what became of it"]
pub struct Accepted(oneshot::Receiver<Result<Call, RuntimeError>>);

impl Accepted {
    /// The call once the request's effects are stored. An error means the engine refused the
    /// request (21220, 13224, ...) and nothing of it was stored, or the runtime stopped before
    /// taking it (20503); once a call started this is the call, even if a store read failed
    /// (it is then the best representation known, and the failure is logged).
    pub async fn outcome(self) -> Result<Call, RuntimeError> {
        self.0.await.map_err(|_| RuntimeError::shutting_down())?
    }
}

/// Shutdown machinery, used once.
#[derive(Debug)]
pub(crate) struct Tasks {
    pub(crate) driver: JoinHandle<()>,
    pub(crate) writers: Vec<JoinHandle<()>>,
    pub(crate) deliverer: JoinHandle<()>,
    pub(crate) stop_deliverer: watch::Sender<Option<Instant>>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) softphones: Softphones,
    pub(crate) devices: crate::devices::Devices,
    pub(crate) whatsapp: Option<crate::WhatsApp>,
    pub(crate) accepting: AtomicBool,
    pub(crate) grace: std::time::Duration,
    pub(crate) tasks: Mutex<Option<Tasks>>,
}

/// A running runtime; cheap to clone, shared by the REST API's handlers.
#[derive(Debug, Clone)]
pub struct Handle {
    pub(crate) inner: Arc<Inner>,
}

impl Handle {
    /// Creates a call (REST `Calls` create) and returns it as stored: `queued`, dialing.
    pub async fn create_call(&self, req: CreateCall) -> Result<Call, RuntimeError> {
        self.submit_call(req).await?.outcome().await
    }

    /// [`create_call`](Self::create_call) in two steps: returns once the engine has taken the
    /// call (an error before that means nothing was stored).
    pub async fn submit_call(&self, req: CreateCall) -> Result<Accepted, RuntimeError> {
        self.check_accepting()?;
        let events = parse_events(&req.status_callback_events)?;
        let from: Address = req.from.parse().map_err(|e| {
            RuntimeError::invalid(INVALID_FROM, format!("Invalid From {:?}: {e}", req.from))
        })?;
        let (twiml, url, twiml_text) = match &req.source {
            CallSource::Url(url) => (
                TwimlSource::Url {
                    url: url.clone(),
                    method: req.method,
                },
                Some(url.as_str().to_owned()),
                None,
            ),
            CallSource::Twiml(text) => (
                TwimlSource::Inline(Arc::from(text.as_str())),
                None,
                Some(text.clone()),
            ),
        };
        let app = AppConfig {
            twiml,
            fallback: req.fallback_url.clone().map(|u| (u, req.fallback_method)),
            status_callback: req.status_callback.clone().map(|url| StatusCallbackConfig {
                url,
                method: req.status_callback_method,
                events,
            }),
        };
        let mut setup = CallSetup::new(
            req.account,
            Direction::OutboundApi,
            from,
            req.to.clone(),
            app,
        );
        setup.timeout_secs = req.timeout;
        if let Some(limit) = req.time_limit {
            setup.time_limit_secs = limit;
        }
        setup.application_sid = req.application_sid;
        setup.record = req.record.clone();
        let record = NewCall {
            // The engine mints the call's SID; the driver fills it in.
            sid: req.account,
            parent_call_sid: None,
            to: req.to.to_string(),
            from: req.from.clone(),
            status: dialtone_types::CallStatus::Queued,
            direction: Direction::OutboundApi,
            application_sid: req.application_sid,
            url,
            method: req.method.as_str().to_owned(),
            twiml: twiml_text,
            fallback_url: req.fallback_url.as_ref().map(|u| u.as_str().to_owned()),
            fallback_method: req.fallback_method.as_str().to_owned(),
            status_callback: req.status_callback.as_ref().map(|u| u.as_str().to_owned()),
            status_callback_method: req.status_callback_method.as_str().to_owned(),
            status_callback_events: req.status_callback_events.clone(),
            timeout: req.timeout,
            time_limit: req.time_limit,
            caller_name: None,
            forwarded_from: None,
        };
        self.start(setup, record, Vec::new(), None).await
    }

    /// A call from the simulated softphone `identity` into `application`, as the Voice SDK
    /// places one: `From=client:{identity}`, direction `inbound`, `params` sent with the
    /// voice URL request. `to` is the SDK's `To` parameter, which Twilio does not validate:
    /// any text is the call's `To` exactly as sent (`support`, `queue-7`, a number), and a
    /// missing one is empty. It is never dialed; only a NUL character, which the store
    /// cannot keep, is refused (20001).
    pub async fn start_softphone_call(
        &self,
        account: Sid,
        identity: &str,
        application: Application,
        to: Option<String>,
        params: Vec<(String, String)>,
    ) -> Result<Call, RuntimeError> {
        self.submit_softphone_call(account, identity, application, to, params)
            .await?
            .outcome()
            .await
    }

    /// [`start_softphone_call`](Self::start_softphone_call) in two steps, as
    /// [`submit_call`](Self::submit_call).
    pub async fn submit_softphone_call(
        &self,
        account: Sid,
        identity: &str,
        application: Application,
        to: Option<String>,
        params: Vec<(String, String)>,
    ) -> Result<Accepted, RuntimeError> {
        self.check_accepting()?;
        let from: Address = format!("client:{identity}").parse().map_err(|e| {
            RuntimeError::invalid(INVALID_FROM, format!("Invalid softphone identity: {e}"))
        })?;
        let to_text = to.unwrap_or_default();
        if to_text.contains('\0') {
            return Err(dialtone_store::StoreError::InvalidText("To").into());
        }
        let to_addr = Address::as_sent(&to_text);
        let (setup, record) = application_call(account, &from, &to_addr, &application)?;
        self.start(
            setup,
            record,
            params,
            Some(Caller::Softphone(identity.to_owned())),
        )
        .await
    }

    /// A call Device `device` placed into `application` (the SDK's `invite`): answers the
    /// browser's SDP `offer` on the media plane, then starts the call as
    /// [`submit_softphone_call`](Self::submit_softphone_call) does (`From=client:{identity}`,
    /// `To` as sent, `params` with the voice URL request). The Device hears `ringing` with
    /// the CallSid at once (and is matched by `temp`, its `TJS…` id, until then), and `answer`
    /// with our SDP when the application answers. An offer the media plane refuses is 31100.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_device_call(
        &self,
        device: dialtone_types::DeviceId,
        temp: &str,
        account: Sid,
        identity: &str,
        application: Application,
        to: Option<String>,
        params: Vec<(String, String)>,
        offer: &str,
    ) -> Result<Accepted, RuntimeError> {
        self.check_accepting()?;
        let from: Address = format!("client:{identity}").parse().map_err(|e| {
            RuntimeError::invalid(INVALID_FROM, format!("Invalid client identity: {e}"))
        })?;
        let to_text = to.unwrap_or_default();
        if to_text.contains('\0') {
            return Err(dialtone_store::StoreError::InvalidText("To").into());
        }
        let to_addr = Address::as_sent(&to_text);
        let (setup, record) = application_call(account, &from, &to_addr, &application)?;
        let devices = self.inner.devices.clone();
        let (leg, answer) = devices.inner.media.answer(offer).await.map_err(|e| {
            RuntimeError::invalid(
                dialtone_types::TwilioCode(31100),
                format!("the SDP offer was refused: {e}"),
            )
        })?;
        let temp = temp.to_owned();
        let attach_devices = devices.clone();
        let caller = Caller::Connector {
            connector: Arc::new(devices),
            attach: Box::new(move |events| {
                attach_devices.placed(device, &temp, events, leg, answer);
            }),
        };
        self.start(setup, record, params, Some(caller)).await
    }

    /// The Voice SDK Devices connected over signalling.
    pub fn devices(&self) -> &crate::devices::Devices {
        &self.inner.devices
    }

    async fn start(
        &self,
        setup: CallSetup,
        record: NewCall,
        extra: Vec<(String, String)>,
        caller: Option<Caller>,
    ) -> Result<Accepted, RuntimeError> {
        start_call(&self.inner.commands, setup, record, extra, caller).await
    }

    /// Updates a call (REST `Calls/{Sid}` update): redirect, complete, cancel, and the
    /// fallback / status callback / time limit the call uses from now on (and stores). 20404
    /// if the account has no such call; 21220 if the call's state does not allow the update.
    pub async fn update_call(
        &self,
        account: Sid,
        call: Sid,
        update: UpdateCall,
    ) -> Result<Call, RuntimeError> {
        self.submit_update(account, call, update)
            .await?
            .outcome()
            .await
    }

    /// [`update_call`](Self::update_call) in two steps: the checks (20404, 21220 for a call
    /// that has ended) happen before this returns; once it returned, the update is applied to
    /// the end in a task of its own, even if the caller stops waiting, so it is never left
    /// half done (new settings without the redirect sent with them).
    pub async fn submit_update(
        &self,
        account: Sid,
        call: Sid,
        update: UpdateCall,
    ) -> Result<Accepted, RuntimeError> {
        self.check_accepting()?;
        let stored = match self.inner.shared.store.fetch_call(account, call).await {
            Ok(stored) => stored,
            Err(dialtone_store::StoreError::NotFound(_)) => {
                return Err(RuntimeError::call_not_found(account, call));
            }
            Err(e) => return Err(e.into()),
        };
        if stored.status.is_terminal() {
            return Err(RuntimeError::invalid_state(format!(
                "Call {call} is {}: it cannot be modified",
                stored.status
            )));
        }
        let (tx, rx) = oneshot::channel();
        let handle = self.clone();
        tokio::spawn(async move {
            let _ = tx.send(handle.apply_update(stored, update).await);
        });
        Ok(Accepted(rx))
    }

    /// The engine's and the store's half of an update of `stored`, a live call. Once the
    /// engine took a command, a failing store read or write no longer fails the update (it is
    /// logged): the answer is then the call as last read.
    async fn apply_update(&self, stored: Call, update: UpdateCall) -> Result<Call, RuntimeError> {
        let (account, call) = (stored.account_sid, stored.sid);
        let mut latest = stored;
        let command = match (&update.status, &update.redirect) {
            (Some(TargetStatus::Canceled), _) => Some(RestCommand::Cancel),
            (Some(TargetStatus::Completed), _) => Some(RestCommand::Complete),
            (None, Some(CallSource::Url(url))) => Some(RestCommand::RedirectUrl {
                url: url.clone(),
                method: update.method,
            }),
            (None, Some(CallSource::Twiml(text))) => Some(RestCommand::RedirectTwiml(text.clone())),
            (None, None) => None,
        };
        let fields = CallUpdate {
            url: match &update.redirect {
                Some(CallSource::Url(url)) if update.status.is_none() => {
                    Some(url.as_str().to_owned())
                }
                _ => None,
            },
            method: (update.status.is_none()
                && matches!(update.redirect, Some(CallSource::Url(_))))
            .then(|| update.method.as_str().to_owned()),
            twiml: match &update.redirect {
                Some(CallSource::Twiml(text)) if update.status.is_none() => Some(text.clone()),
                _ => None,
            },
            fallback_url: update.fallback_url.as_ref().map(|u| u.as_str().to_owned()),
            fallback_method: update.fallback_method.map(|m| m.as_str().to_owned()),
            status_callback: update
                .status_callback
                .as_ref()
                .map(|u| u.as_str().to_owned()),
            status_callback_method: update.status_callback_method.map(|m| m.as_str().to_owned()),
            time_limit: update.time_limit,
            ..CallUpdate::default()
        };
        let settings = CallSettings {
            fallback_url: update.fallback_url.clone(),
            fallback_method: update.fallback_method,
            status_callback: update.status_callback.clone(),
            status_callback_method: update.status_callback_method,
            time_limit_secs: update.time_limit,
        };
        // The settings first, so that a `StatusCallback` sent with `Status=completed` gets
        // the `completed` event.
        if !settings.is_empty()
            && let Some(read) = self
                .rest(account, call, RestCommand::Settings(Box::new(settings)))
                .await?
        {
            latest = read;
        }
        let outcome = match command {
            Some(command) => self.rest(account, call, command).await,
            None => Ok(None),
        };
        if let Ok(Some(read)) = &outcome {
            latest = read.clone();
        }
        // Stored even when the command was refused: the engine already uses them.
        if fields != CallUpdate::default() {
            let now = crate::clock::now();
            match self
                .inner
                .shared
                .store
                .update_call(account, call, &fields, now)
                .await
            {
                Ok(updated) => latest = updated,
                Err(e) => {
                    tracing::error!(%call, error = %e, "an update the engine took cannot be stored");
                }
            }
        }
        outcome?;
        Ok(latest)
    }

    /// Gives `command` to the engine; answers once its effects are stored, with the call as
    /// it then is (`None` if it could not be read back).
    async fn rest(
        &self,
        account: Sid,
        call: Sid,
        command: RestCommand,
    ) -> Result<Option<Call>, RuntimeError> {
        let (reply, rx) = oneshot::channel();
        self.command(Command::Rest {
            account,
            call,
            command,
            reply,
        })
        .await?;
        rx.await.map_err(|_| RuntimeError::shutting_down())?
    }

    /// Sets the voice-enabled WhatsApp senders of `account` (replacing the previous set): a
    /// `whatsapp:` call or `<Dial><WhatsApp>` must come from one of them (else 37008).
    pub async fn set_whatsapp_senders(
        &self,
        account: Sid,
        senders: Vec<dialtone_types::E164>,
    ) -> Result<(), RuntimeError> {
        self.check_accepting()?;
        self.command(Command::Input(dialtone_core::Input::SetSenders {
            account,
            senders,
        }))
        .await
    }

    /// The simulated softphones.
    pub fn softphones(&self) -> &Softphones {
        &self.inner.softphones
    }

    /// The WhatsApp connector, when configured.
    pub fn whatsapp(&self) -> Option<&crate::WhatsApp> {
        self.inner.whatsapp.as_ref()
    }

    /// A WhatsApp webhook POST (raw body and `X-Hub-Signature-256`): checked, parsed and
    /// routed to its calls before this returns (nothing here waits on the network). Without a
    /// WhatsApp connector every POST is refused as unsigned-for-us (`NoSecret`).
    pub fn whatsapp_webhook(
        &self,
        body: &[u8],
        signature: Option<&str>,
    ) -> Result<(), crate::WebhookRefusal> {
        match &self.inner.whatsapp {
            Some(whatsapp) => whatsapp.webhook(body, signature),
            None => Err(dialtone_whatsapp::webhook::SignatureError::NoSecret.into()),
        }
    }

    /// Meta's GET subscription check (`hub.mode`, `hub.verify_token`, `hub.challenge`): the
    /// challenge to answer with, or the refusal (always refused without a connector).
    pub fn whatsapp_subscription(
        &self,
        mode: Option<&str>,
        verify_token: Option<&str>,
        challenge: Option<&str>,
    ) -> Result<String, crate::WebhookRefusal> {
        match &self.inner.whatsapp {
            Some(whatsapp) => whatsapp.verify_subscription(mode, verify_token, challenge),
            None => Err(dialtone_whatsapp::webhook::SubscriptionError::Token.into()),
        }
    }

    /// Drains gracefully: refuses new work, ends the live calls (`completed`, or `canceled`
    /// if not answered) with their callbacks, stores everything, and delivers status
    /// callbacks until none is due or the grace period ends (the rest go out after the next
    /// start). Later calls return at once.
    pub async fn shutdown(&self) {
        self.inner.accepting.store(false, Ordering::SeqCst);
        let Some(tasks) = self.inner.tasks.lock().await.take() else {
            return;
        };
        let deadline = Instant::now() + self.inner.grace;
        let (done, ended) = oneshot::channel();
        if self
            .inner
            .commands
            .send(Command::Shutdown { done })
            .await
            .is_ok()
        {
            let _ = ended.await;
        }
        let _ = tasks.driver.await;
        // Everything the ended calls owe is stored before the deliverer looks for the last
        // callbacks; their events and notifications still go through the writers.
        self.inner.shared.persister.flush().await;
        self.inner.shared.outbox_wake.notify_one();
        let _ = tasks.stop_deliverer.send(Some(deadline));
        let _ = tasks.deliverer.await;
        self.inner.shared.persister.close().await;
        for writer in tasks.writers {
            let _ = writer.await;
        }
        tracing::info!("runtime stopped");
    }

    /// Why the runtime cannot take calls now, if it cannot: it is shutting down, or the
    /// store does not answer within `timeout`. For readiness checks.
    pub async fn not_ready(&self, timeout: std::time::Duration) -> Option<String> {
        if !self.inner.accepting.load(Ordering::SeqCst) {
            return Some("shutting down".to_owned());
        }
        match tokio::time::timeout(timeout, self.inner.shared.store.ping()).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!("the database does not answer: {e}")),
            Err(_) => Some(format!(
                "the database did not answer within {} ms",
                timeout.as_millis()
            )),
        }
    }

    /// Samples what is read rather than recorded into the metrics: the outbox's depth and
    /// oldest age (from the store), the media legs' packets and the prompt caches; called when
    /// the metrics are scraped. A store failure leaves the outbox gauges as they were.
    pub async fn sample_metrics(&self) {
        crate::telemetry::media_and_prompts(self.inner.shared.playback.prompt_stats());
        match self.inner.shared.store.outbox_backlog().await {
            Ok((depth, oldest)) => {
                let age = oldest.map_or(std::time::Duration::ZERO, |at| {
                    crate::clock::until(at, crate::clock::now())
                });
                crate::telemetry::outbox(depth, age);
            }
            Err(e) => tracing::debug!(error = %e, "cannot sample the outbox"),
        }
    }

    pub(crate) fn check_accepting(&self) -> Result<(), RuntimeError> {
        if self.inner.accepting.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(RuntimeError::shutting_down())
        }
    }

    pub(crate) async fn command(&self, command: Command) -> Result<(), RuntimeError> {
        self.inner
            .commands
            .send(command)
            .await
            .map_err(|_| RuntimeError::shutting_down())
    }
}

/// Hands a call to the driver's queue; the answer comes through the [`Accepted`].
pub(crate) async fn start_call(
    commands: &mpsc::Sender<Command>,
    setup: CallSetup,
    record: NewCall,
    extra: Vec<(String, String)>,
    caller: Option<Caller>,
) -> Result<Accepted, RuntimeError> {
    let (reply, rx) = oneshot::channel();
    commands
        .send(Command::Create {
            setup: Box::new(setup),
            record: Box::new(record),
            extra,
            caller,
            reply,
        })
        .await
        .map_err(|_| RuntimeError::shutting_down())?;
    // Sent: the driver takes it even if nobody waits for the answer.
    Ok(Accepted(rx))
}

/// The setup and stored record of an inbound call from `from` to `to` into `application`
/// (its voice URL, fallback and status callback), as Twilio starts a call to a number.
pub(crate) fn application_call(
    account: Sid,
    from: &Address,
    to_addr: &Address,
    application: &Application,
) -> Result<(CallSetup, NewCall), RuntimeError> {
    let voice_url = application
        .voice_url
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            RuntimeError::invalid(
                INVALID_APPLICATION,
                format!("Application {} has no VoiceUrl", application.sid),
            )
        })?;
    let parse_url = |u: &str| {
        WebUrl::parse(u).map_err(|e| {
            RuntimeError::invalid(
                dialtone_types::TwilioCode::INVALID_URL_PARAMETER,
                format!("Invalid URL {u:?} in application {}: {e}", application.sid),
            )
        })
    };
    let method = |m: &str| Method::parse(m).unwrap_or_default();
    let url = parse_url(voice_url)?;
    let fallback = match application
        .voice_fallback_url
        .as_deref()
        .filter(|u| !u.is_empty())
    {
        Some(u) => Some((parse_url(u)?, method(&application.voice_fallback_method))),
        None => None,
    };
    let callback = match application
        .status_callback
        .as_deref()
        .filter(|u| !u.is_empty())
    {
        Some(u) => Some(StatusCallbackConfig {
            url: parse_url(u)?,
            method: method(&application.status_callback_method),
            events: StatusCallbackEvents::NONE,
        }),
        None => None,
    };
    let app = AppConfig {
        twiml: TwimlSource::Url {
            url: url.clone(),
            method: method(&application.voice_method),
        },
        fallback,
        status_callback: callback,
    };
    let mut setup = CallSetup::new(
        account,
        Direction::Inbound,
        from.clone(),
        to_addr.clone(),
        app,
    );
    setup.application_sid = Some(application.sid);
    let record = NewCall {
        // The engine mints the call's SID; the driver fills it in.
        sid: account,
        parent_call_sid: None,
        to: to_addr.to_string(),
        from: from.to_string(),
        status: dialtone_types::CallStatus::Ringing,
        direction: Direction::Inbound,
        application_sid: Some(application.sid),
        url: Some(url.as_str().to_owned()),
        method: method(&application.voice_method).as_str().to_owned(),
        twiml: None,
        fallback_url: application
            .voice_fallback_url
            .clone()
            .filter(|u| !u.is_empty()),
        fallback_method: method(&application.voice_fallback_method)
            .as_str()
            .to_owned(),
        status_callback: application
            .status_callback
            .clone()
            .filter(|u| !u.is_empty()),
        status_callback_method: method(&application.status_callback_method)
            .as_str()
            .to_owned(),
        status_callback_events: Vec::new(),
        timeout: 60,
        time_limit: None,
        caller_name: None,
        forwarded_from: None,
    };
    Ok((setup, record))
}

/// Parses `StatusCallbackEvent` values (21626 for anything else).
fn parse_events(events: &[String]) -> Result<StatusCallbackEvents, RuntimeError> {
    let mut set = StatusCallbackEvents::NONE;
    for event in events {
        match event.as_str() {
            "initiated" => set.initiated = true,
            "ringing" => set.ringing = true,
            "answered" => set.answered = true,
            "completed" => set.completed = true,
            other => {
                return Err(RuntimeError::invalid(
                    INVALID_CALLBACK_EVENT,
                    format!(
                        "Invalid StatusCallbackEvent {other:?}: expected initiated, ringing, answered or completed"
                    ),
                ));
            }
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_validated() {
        let set = parse_events(&["ringing".to_owned(), "completed".to_owned()]).unwrap();
        assert_eq!(
            set,
            StatusCallbackEvents {
                ringing: true,
                completed: true,
                ..StatusCallbackEvents::NONE
            }
        );
        let err = parse_events(&["answer".to_owned()]).unwrap_err();
        assert_eq!((err.code.0, err.http_status), (21626, 400));
    }
}
