//! What every WhatsApp call task shares: settings, the Graph client, the media backend, the
//! routes from Meta's call ids and CallSids to call tasks, the permission cache and the
//! sender ids read from the store.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use dialtone_store::StoreError;
use dialtone_types::Sid;
use dialtone_whatsapp::error::GraphFailure;
use dialtone_whatsapp::graph::{GraphRequests, HttpRequest, RequestError};
use dialtone_whatsapp::tracker::PermissionCache;
use dialtone_whatsapp::webhook::EventKind;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::config::WhatsAppConfig;
use super::graph_client::GraphClient;
use super::media::MediaBackend;
use super::messaging::{MessagingEvent, MessagingTx};
use crate::driver::Command;
use crate::legs::{LegEnd, LegEvents};
use crate::shared::Shared;

/// How long a sender's phone-number id is trusted before the store is read again (a sender
/// updated through `/v2/Channels/Senders` is picked up after this).
const SENDER_CACHE_TTL: Duration = Duration::from_secs(30);
/// Sender ids cached at most; beyond that the cache starts over.
const SENDER_CACHE_MAX: usize = 10_000;
/// Permission pairs remembered at most.
const PERMISSION_CACHE_MAX: usize = 100_000;

/// An input for one call's task.
#[derive(Debug)]
pub(crate) enum CallMsg {
    /// A webhook event about the call.
    Event(EventKind),
    /// The engine answers the (inbound) call.
    Answer,
    /// The engine ends the leg.
    End(LegEnd),
    /// The engine forgot the call (it ended).
    Release,
    /// The engine created the inbound call: report its leg events here.
    Attached(LegEvents),
}

/// Where a call task listens.
pub(crate) type CallTx = mpsc::UnboundedSender<CallMsg>;

#[derive(Debug, Default)]
struct Routes {
    by_wacid: HashMap<String, CallTx>,
    by_sid: HashMap<Sid, CallTx>,
    /// Meta call ids of calls that ended recently, oldest first: their late or duplicated
    /// webhooks are absorbed instead of being taken for unknown calls.
    ended: HashSet<String>,
    ended_order: VecDeque<String>,
}

/// Ended call ids remembered.
const ENDED_MAX: usize = 4096;

/// See the module docs.
pub(crate) struct Ctx {
    pub(crate) config: WhatsAppConfig,
    pub(crate) graph: GraphClient,
    pub(crate) shared: Arc<Shared>,
    /// The driver's queue (inbound calls are created through it).
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) media: Arc<dyn MediaBackend>,
    permissions: Mutex<PermissionCache>,
    senders: Mutex<HashMap<(Sid, String), (String, Instant)>>,
    routes: Mutex<Routes>,
    /// The messaging worker (statuses, replies), set once the context is shared.
    pub(crate) messaging: OnceLock<MessagingTx>,
}

impl std::fmt::Debug for Ctx {
    /// Settings only: the caches hold users' numbers.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("config", &self.config)
            .field("live_calls", &self.live_calls())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Ctx {
    pub(crate) fn new(
        config: WhatsAppConfig,
        shared: Arc<Shared>,
        commands: mpsc::Sender<Command>,
        media: Arc<dyn MediaBackend>,
    ) -> Self {
        let ttl = crate::clock::millis(config.denied_ttl);
        Self {
            graph: GraphClient::new(config.request_timeout),
            permissions: Mutex::new(PermissionCache::new(ttl, PERMISSION_CACHE_MAX)),
            config,
            shared,
            commands,
            media,
            senders: Mutex::new(HashMap::new()),
            routes: Mutex::new(Routes::default()),
            messaging: OnceLock::new(),
        }
    }

    /// Graph requests for the business number `phone_number_id`.
    pub(crate) fn requests(&self, phone_number_id: &str) -> Result<GraphRequests, RequestError> {
        GraphRequests::new(self.config.graph.clone(), phone_number_id)
    }

    /// Hands a messaging event to the worker.
    pub(crate) fn messaging(&self, event: MessagingEvent) {
        if let Some(tx) = self.messaging.get() {
            let _ = tx.send(event);
        } else {
            tracing::warn!("WhatsApp messaging webhook dropped: no worker");
        }
    }

    /// The permission cache, locked for one operation.
    pub(crate) fn permissions(&self) -> MutexGuard<'_, PermissionCache> {
        lock(&self.permissions)
    }

    /// Meta's id of `account`'s sender `sender_id` (`whatsapp:+E164`), `None` if the account
    /// has no such sender.
    pub(crate) async fn phone_number_id(
        &self,
        account: Sid,
        sender_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let key = (account, sender_id.to_owned());
        if let Some((id, at)) = lock(&self.senders).get(&key)
            && at.elapsed() < SENDER_CACHE_TTL
        {
            return Ok(Some(id.clone()));
        }
        let found = self.shared.store.sender_by_id(account, sender_id).await?;
        let Some(sender) = found.filter(|s| !s.phone_number_id.is_empty()) else {
            return Ok(None);
        };
        let mut senders = lock(&self.senders);
        if senders.len() >= SENDER_CACHE_MAX {
            senders.clear();
        }
        senders.insert(key, (sender.phone_number_id.clone(), Instant::now()));
        Ok(Some(sender.phone_number_id))
    }

    /// Routes the engine's commands for `call` to `tx`.
    pub(crate) fn route_sid(&self, call: Sid, tx: &CallTx) {
        lock(&self.routes).by_sid.insert(call, tx.clone());
    }

    /// Routes webhooks about Meta's call `wacid` to `tx`.
    pub(crate) fn route_wacid(&self, wacid: &str, tx: &CallTx) {
        lock(&self.routes)
            .by_wacid
            .insert(wacid.to_owned(), tx.clone());
    }

    /// Drops a finished call's routes.
    pub(crate) fn forget(&self, call: Option<Sid>, wacid: Option<&str>) {
        let mut routes = lock(&self.routes);
        if let Some(call) = call {
            routes.by_sid.remove(&call);
        }
        if let Some(wacid) = wacid {
            routes.by_wacid.remove(wacid);
            if routes.ended.insert(wacid.to_owned()) {
                routes.ended_order.push_back(wacid.to_owned());
                if routes.ended_order.len() > ENDED_MAX
                    && let Some(oldest) = routes.ended_order.pop_front()
                {
                    routes.ended.remove(&oldest);
                }
            }
        }
    }

    /// The task of `call`, if live.
    pub(crate) fn by_sid(&self, call: Sid) -> Option<CallTx> {
        lock(&self.routes).by_sid.get(&call).cloned()
    }

    /// The task of Meta's call `wacid`, if live.
    pub(crate) fn by_wacid(&self, wacid: &str) -> Option<CallTx> {
        lock(&self.routes).by_wacid.get(wacid).cloned()
    }

    /// Whether Meta's call `wacid` ended recently.
    pub(crate) fn recently_ended(&self, wacid: &str) -> bool {
        lock(&self.routes).ended.contains(wacid)
    }

    /// Calls with a live task (for tests and metrics).
    pub(crate) fn live_calls(&self) -> usize {
        let routes = lock(&self.routes);
        routes.by_sid.len().max(routes.by_wacid.len())
    }

    /// Sends a `pre_accept`/`accept`/`reject`/`terminate` in its own task; `done` gets the
    /// result.
    pub(crate) fn spawn_action<F>(self: &Arc<Self>, request: HttpRequest, done: F)
    where
        F: FnOnce(Result<(), GraphFailure>) + Send + 'static,
    {
        let ctx = Arc::clone(self);
        tokio::spawn(async move {
            done(ctx.graph.action(&request).await);
        });
    }
}
