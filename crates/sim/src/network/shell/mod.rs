//! The IO shell around [`Network`]: a [`Simulator`] that serves Meta's Graph calling, messaging
//! and template endpoints ([`Simulator::graph_router`]), posts signed webhooks to Dialtone,
//! runs the timers on tokio and gives every call an ICE-lite media side.
//!
//! The rules stay in the sans-IO [`Network`] behind one mutex; the shell only turns its
//! [`Output`]s into IO: webhooks go to a per-call (or per-message) delivery queue, `Answer` makes the user's
//! media answer (then feeds it back), `ApplyAnswer` starts the user's offered leg,
//! `PressDigits` reaches the leg's task, `Ended` drops the leg. Each leg plays its user's
//! `Audio` (`dialtone_prompt::device`) and keeps what the user heard in the heard log
//! ([`SimulatorConfig::heard`]).

mod config;
mod http;
mod media;
mod webhooks;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dialtone_media::heard::{HeardCall, HeardLeg, HeardLog};
use dialtone_media::{MediaEngine, MediaOffer};
use dialtone_types::{Address, E164, Redacted, Sid, UnixMillis};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

pub use config::{Delivery, SimulatorConfig};

use super::{
    ConsentReply, Network, NetworkConfig, NewUser, Output, PairPermission, SimError, SimSender,
    TemplateReview, User, UserCall, UserMessage, Webhook,
};
use media::LegPlan;
use webhooks::Poster;

/// A boxed future, so [`SenderDirectory`] can be used as `Arc<dyn SenderDirectory>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Meta knows its business numbers: the binary answers from the store's WhatsApp senders.
pub trait SenderDirectory: Send + Sync + std::fmt::Debug {
    /// The sender with this Meta phone number id.
    fn by_phone_number_id(&self, id: &str) -> BoxFuture<'_, Option<SimSender>>;
    /// The sender `whatsapp:{number}` of `account`.
    fn by_number(&self, account: Sid, number: &E164) -> BoxFuture<'_, Option<SimSender>>;
}

/// The simulated WhatsApp network, running. Cheap to clone; [`Simulator::shutdown`] stops it.
#[derive(Clone, Debug)]
pub struct Simulator {
    inner: Arc<Inner>,
}

/// What the clones share.
#[derive(Debug)]
pub(crate) struct Inner {
    state: Mutex<State>,
    wake: Arc<Notify>,
    closed: AtomicBool,
    senders: Arc<dyn SenderDirectory>,
    poster: Arc<Poster>,
    engine: MediaEngine,
    timer_task: Mutex<Option<JoinHandle<()>>>,
    /// What each user heard, per leg.
    heard: HeardLog,
    /// Fetches the users' `Audio` WAV files.
    fetcher: reqwest::Client,
}

/// The rules and the IO attached to each live call.
#[derive(Debug)]
pub(crate) struct State {
    network: Network,
    /// Webhook queue per call (dropped when the call ends; the queue still drains).
    webhooks: HashMap<String, mpsc::UnboundedSender<Webhook>>,
    /// Digit channel to each call's media task (dropping it ends the leg).
    legs: HashMap<String, mpsc::UnboundedSender<String>>,
    /// User-initiated calls: the user's offer, waiting for the business's answer.
    offers: HashMap<String, MediaOffer>,
}

fn now() -> UnixMillis {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    UnixMillis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
}

fn random_seed() -> u64 {
    let mut bytes = [0_u8; 8];
    // Without OS randomness, fall back on the clock: ids only need to be unique.
    if getrandom::fill(&mut bytes).is_err() {
        return now().0;
    }
    u64::from_le_bytes(bytes)
}

impl Simulator {
    /// Starts the simulator (its timer task runs on the current tokio runtime).
    pub fn new(config: SimulatorConfig, senders: Arc<dyn SenderDirectory>) -> Self {
        let inner = Arc::new(Inner {
            state: Mutex::new(State {
                network: Network::new(
                    NetworkConfig {
                        timing: config.timing,
                        template_review: config.template_review,
                        ..NetworkConfig::new(&config.access_token)
                    },
                    random_seed(),
                ),
                webhooks: HashMap::new(),
                legs: HashMap::new(),
                offers: HashMap::new(),
            }),
            wake: Arc::new(Notify::new()),
            closed: AtomicBool::new(false),
            senders,
            poster: Arc::new(Poster::new(
                config.webhook_url,
                &config.app_secret,
                config.delivery,
            )),
            engine: MediaEngine::new(config.media),
            timer_task: Mutex::new(None),
            heard: config.heard,
            fetcher: dialtone_prompt::device::client(),
        });
        let task = tokio::spawn(run_timers(Arc::downgrade(&inner)));
        *lock(&inner.timer_task) = Some(task);
        Self { inner }
    }

    /// The Graph endpoints: `POST /{version}/{phone_number_id}/calls`,
    /// `GET /{version}/{phone_number_id}/call_permissions`,
    /// `POST /{version}/{phone_number_id}/messages`, `/{version}/{waba_id}/message_templates`
    /// and `GET /{version}/{template_id}` (serve nests it at `/sim/graph`).
    pub fn graph_router(&self) -> axum::Router {
        http::router(self.clone())
    }

    /// Creates or replaces a user of `account`.
    pub fn put_user(&self, account: Sid, user: NewUser) -> Result<User, SimError> {
        self.inner.with_state(|s| s.network.put_user(account, user))
    }

    /// One user of `account`.
    pub fn user(&self, account: Sid, number: &E164) -> Option<User> {
        self.inner.with_state(|s| s.network.user(account, number))
    }

    /// The users of `account`, by number.
    pub fn users(&self, account: Sid) -> Vec<User> {
        self.inner.with_state(|s| s.network.users(account))
    }

    /// Removes a user (its calls in progress go on); false if there was none.
    pub fn delete_user(&self, account: Sid, number: &E164) -> bool {
        self.inner
            .with_state(|s| s.network.delete_user(account, number))
    }

    /// The user calls the business `to` (`whatsapp:+…`, a sender of `account`): the user's
    /// media side makes an offer and Dialtone receives the `connect` webhook.
    pub async fn call_business(
        &self,
        account: Sid,
        number: &E164,
        to: &str,
    ) -> Result<UserCall, SimError> {
        let sender = self.business(account, number, to).await?;
        let offer = self
            .inner
            .engine
            .offer()
            .await
            .map_err(|e| SimError::Media(e.to_string()))?;
        let sdp = offer.sdp().to_owned();
        let result = self.inner.with_state(|s| {
            let call = s
                .network
                .call_business(now(), account, number, sender, sdp)?;
            s.offers.insert(call.call_id.clone(), offer);
            Ok(call)
        });
        if let Ok(call) = &result {
            tracing::info!(
                call_id = %call.call_id,
                user = %Redacted(number.as_str()),
                "WhatsApp simulator: user calls the business"
            );
        }
        result
    }

    /// The user writes `body` to the business `to` (`whatsapp:+…`, a sender of `account`):
    /// Dialtone receives the `messages` webhook and the service window opens for 24 h.
    pub async fn send_message(
        &self,
        account: Sid,
        number: &E164,
        to: &str,
        body: &str,
    ) -> Result<UserMessage, SimError> {
        let sender = self.business(account, number, to).await?;
        self.inner.with_state(|s| {
            s.network
                .user_sends_text(now(), account, number, sender, body)
        })
    }

    /// The messages of a user of `account` (both directions), oldest first.
    pub fn messages(&self, account: Sid, number: &E164) -> Vec<UserMessage> {
        self.inner
            .with_state(|s| s.network.messages(account, number))
    }

    /// The user answers (or changes the answer to) the call permission request `id`.
    pub fn answer_request(
        &self,
        account: Sid,
        number: &E164,
        id: &str,
        reply: ConsentReply,
    ) -> Result<UserMessage, SimError> {
        self.inner
            .with_state(|s| s.network.answer_request(now(), account, number, id, reply))
    }

    /// The user's consent towards each business number it has dealt with.
    pub fn permissions(&self, account: Sid, number: &E164) -> Vec<PairPermission> {
        self.inner
            .with_state(|s| s.network.pair_permissions(now(), account, number))
    }

    /// How new message templates are reviewed from now on.
    pub fn set_template_review(&self, review: TemplateReview) {
        self.inner
            .with_state(|s| s.network.set_template_review(review));
    }

    /// The sender `to` (`whatsapp:+…`) of `account`, for a known user.
    async fn business(&self, account: Sid, number: &E164, to: &str) -> Result<SimSender, SimError> {
        let Ok(Address::WhatsApp(business)) = to.parse::<Address>() else {
            return Err(SimError::Invalid(format!(
                "To must be a WhatsApp address (whatsapp:+E164): {to:?}"
            )));
        };
        if self.user(account, number).is_none() {
            return Err(SimError::UnknownUser);
        }
        self.inner
            .senders
            .by_number(account, &business)
            .await
            .ok_or_else(|| SimError::UnknownSender(to.to_owned()))
    }

    /// The calls of a user of `account` the simulator still remembers, oldest first.
    pub fn calls(&self, account: Sid, number: &E164) -> Vec<UserCall> {
        self.inner.with_state(|s| s.network.calls(account, number))
    }

    /// The log of what the users heard (Meta's call id names each leg).
    pub fn heard(&self) -> &HeardLog {
        &self.inner.heard
    }

    /// Stops the timers and every media leg; webhooks already queued are still delivered.
    pub async fn shutdown(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        self.inner.wake.notify_one();
        {
            let mut state = lock(&self.inner.state);
            state.legs.clear();
            state.offers.clear();
            state.webhooks.clear();
        }
        let task = lock(&self.inner.timer_task).take();
        if let Some(task) = task {
            // The task ends on its own once it sees `closed`; a panic in it has nothing to add.
            let _ = task.await;
        }
    }

    pub(crate) fn inner(&self) -> &Arc<Inner> {
        &self.inner
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The state stays consistent between statements, so a panic elsewhere does not spoil it.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    /// Runs `f` on the state, then carries out the outputs and wakes the timer task.
    pub(crate) fn with_state<R>(self: &Arc<Self>, f: impl FnOnce(&mut State) -> R) -> R {
        let result = {
            let mut state = lock(&self.state);
            let result = f(&mut state);
            self.flush(&mut state);
            result
        };
        self.wake.notify_one();
        result
    }

    /// A leg connected: keep what its user hears (the sink to tap the leg with).
    fn heard_start(&self, leg: HeardLeg) -> dialtone_media::heard::HeardSink {
        self.heard.start(leg)
    }

    /// A leg ended.
    fn heard_end(&self, call_id: &str, at: UnixMillis) {
        self.heard.end(call_id, at);
    }

    fn media_failed(self: &Arc<Self>, call_id: &str, reason: &str) {
        self.with_state(|s| s.network.media_failed(now(), call_id, reason));
    }

    /// Carries out every pending output.
    fn flush(self: &Arc<Self>, state: &mut State) {
        if self.closed.load(Ordering::SeqCst) {
            while state.network.poll_output().is_some() {}
            return;
        }
        while let Some(output) = state.network.poll_output() {
            match output {
                Output::Webhook(webhook) => {
                    let queue = state
                        .webhooks
                        .entry(webhook.call_id.clone())
                        .or_insert_with(|| self.poster.queue());
                    // The delivery task only stops when its sender is dropped.
                    let _ = queue.send(webhook);
                }
                Output::Answer { call_id, offer } => self.answer(call_id, offer),
                Output::ApplyAnswer { call_id, answer } => {
                    let started = state
                        .offers
                        .remove(&call_id)
                        .ok_or_else(|| "the user's offer is gone".to_owned())
                        .and_then(|offer| offer.accept(&answer).map_err(|e| e.to_string()));
                    match started {
                        Ok(leg) => {
                            let plan = leg_plan(&state.network, &call_id);
                            if let Some(plan) = plan {
                                let digits =
                                    media::run(Arc::downgrade(self), call_id.clone(), leg, plan);
                                state.legs.insert(call_id, digits);
                            }
                        }
                        Err(reason) => state.network.media_failed(now(), &call_id, &reason),
                    }
                }
                Output::PressDigits { call_id, digits } => {
                    if let Some(leg) = state.legs.get(&call_id) {
                        // A leg that stopped has nobody to press digits to.
                        let _ = leg.send(digits);
                    }
                }
                Output::Ended { call_id } => {
                    state.legs.remove(&call_id);
                    state.offers.remove(&call_id);
                    state.webhooks.remove(&call_id);
                }
                Output::MessageDone { message_id } => {
                    state.webhooks.remove(&message_id);
                }
                Output::RawWebhook { key, body } => self.poster.post_raw(key, body),
            }
        }
    }

    /// The user picks up: answer the business's offer off the lock, then report the answer.
    fn answer(self: &Arc<Self>, call_id: String, offer: String) {
        let inner = Arc::clone(self);
        tokio::spawn(async move {
            let answered = inner.engine.answer(&offer).await;
            inner.with_state(|s| match answered {
                Ok((leg, sdp)) => {
                    s.network.answered(now(), &call_id, Ok(sdp));
                    let live = !inner.closed.load(Ordering::SeqCst)
                        && s.network
                            .call(&call_id)
                            .is_some_and(|c| !c.status.is_final());
                    let plan = leg_plan(&s.network, &call_id);
                    if let (true, Some(plan)) = (live, plan) {
                        let digits = media::run(Arc::downgrade(&inner), call_id.clone(), leg, plan);
                        s.legs.insert(call_id, digits);
                    }
                }
                Err(error) => s.network.answered(now(), &call_id, Err(error.to_string())),
            });
        });
    }
}

/// What the media task of `call_id` needs of its call (`None` for a call that is gone).
fn leg_plan(network: &Network, call_id: &str) -> Option<LegPlan> {
    let call = network.calls.get(call_id)?;
    Some(LegPlan {
        heard: heard_call(call).map(|found_by| HeardLeg {
            id: call_id.to_owned(),
            account: call.sender.account,
            call: found_by,
            placed_at: call.created_at,
        }),
        audio: call.script.audio.clone(),
    })
}

/// How Dialtone's side finds a call's user: a business-initiated call by its
/// `biz_opaque_callback_data` (Dialtone's CallSid), a user-initiated one by the user, the
/// business number and a moment it was live (Meta allows one call per pair at a time). A
/// business call without callback data cannot be found: its audio is not kept.
fn heard_call(call: &super::call::Call) -> Option<HeardCall> {
    match call.direction {
        super::Direction::BusinessInitiated => call.opaque.clone().map(HeardCall::Sid),
        super::Direction::UserInitiated => Some(HeardCall::Placed {
            from: call.user.as_str().to_owned(),
            to: call.sender.number.as_str().to_owned(),
        }),
    }
}

/// Fires the network's timers on time until the simulator shuts down.
async fn run_timers(inner: std::sync::Weak<Inner>) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        if strong.closed.load(Ordering::SeqCst) {
            return;
        }
        let next = {
            let mut state = lock(&strong.state);
            state.network.handle_timeout(now());
            strong.flush(&mut state);
            state.network.poll_timeout()
        };
        let sleep = next.map_or(Duration::from_hours(1), |at| {
            Duration::from_millis(at.0.saturating_sub(now().0))
        });
        let wake = Arc::clone(&strong.wake);
        drop(strong);
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            () = wake.notified() => {}
        }
    }
}
