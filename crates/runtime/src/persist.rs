//! The store writer: every write the runtime makes, in order per call, off the engine's task.
//!
//! Writes are sharded by call SID over a few worker tasks. One call's writes always go to the
//! same worker, so they land in the order the engine produced them (the row is inserted
//! before it is updated, a status before the next), while different calls' writes overlap.
//! Channels are bounded: when the database falls behind, the engine's task waits, which is
//! the backpressure we want rather than unbounded memory.
//!
//! A status change and the status callbacks it owes are written in one transaction
//! (`update_call_and_enqueue`), so after a crash the store never holds one without the other.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

use dialtone_store::{
    Call, CallUpdate, NewCall, NewCallEvent, NewNotification, NewOutboxItem, Store, StoreError,
};
use dialtone_types::{Sid, UnixMillis};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;

/// Worker tasks.
const SHARDS: usize = 4;
/// Writes queued per worker before senders wait.
const QUEUE: usize = 1024;

/// One write.
#[derive(Debug)]
pub(crate) enum Write {
    /// A call the store does not know yet, then an update for what its first snapshot says
    /// beyond the insert (times), and the callbacks owed.
    Insert {
        account: Sid,
        call: Box<NewCall>,
        update: Option<CallUpdate>,
        callbacks: Vec<NewOutboxItem>,
        now: UnixMillis,
    },
    /// A status change and the callbacks it owes.
    Update {
        account: Sid,
        call: Sid,
        update: CallUpdate,
        callbacks: Vec<NewOutboxItem>,
        now: UnixMillis,
    },
    /// Callbacks owed without a status change.
    Enqueue {
        account: Sid,
        callbacks: Vec<NewOutboxItem>,
        now: UnixMillis,
    },
    /// An error or warning about a call.
    Notify {
        account: Sid,
        call: Sid,
        notification: Box<NewNotification>,
        now: UnixMillis,
    },
    /// A webhook request made for a call.
    Event {
        account: Sid,
        call: Sid,
        event: Box<NewCallEvent>,
    },
    /// Reads the call once every earlier write for it has landed.
    Fetch {
        account: Sid,
        call: Sid,
        reply: oneshot::Sender<Result<Call, StoreError>>,
    },
    /// Answers once every earlier write for `call` landed (a webhook about the call waits for
    /// it, so the application can read the call back while handling the webhook).
    Landed { call: Sid, ack: oneshot::Sender<()> },
    /// Answers once every earlier write of its worker landed.
    Barrier(oneshot::Sender<()>),
    /// Stops the worker after every earlier write.
    Stop,
}

impl Write {
    /// The call whose order this write must keep.
    fn key(&self) -> Option<Sid> {
        match self {
            Self::Insert { call, .. } => Some(call.sid),
            Self::Update { call, .. }
            | Self::Notify { call, .. }
            | Self::Event { call, .. }
            | Self::Fetch { call, .. }
            | Self::Landed { call, .. } => Some(*call),
            Self::Enqueue { callbacks, .. } => callbacks.first().map(|c| c.call_sid),
            Self::Barrier(_) | Self::Stop => None,
        }
    }
}

/// Sends writes to the workers; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Persister {
    shards: Arc<[mpsc::Sender<Write>]>,
    hasher: RandomState,
}

impl Persister {
    /// Starts the workers. `outbox` is woken whenever callbacks were enqueued.
    pub(crate) fn start(store: &Store, outbox: &Arc<Notify>) -> (Self, Vec<JoinHandle<()>>) {
        let mut senders = Vec::with_capacity(SHARDS);
        let mut workers = Vec::with_capacity(SHARDS);
        for _ in 0..SHARDS {
            let (tx, rx) = mpsc::channel(QUEUE);
            senders.push(tx);
            workers.push(tokio::spawn(run(store.clone(), rx, Arc::clone(outbox))));
        }
        (
            Self {
                shards: senders.into(),
                hasher: RandomState::new(),
            },
            workers,
        )
    }

    /// Queues `write` behind the earlier writes of its call. Fails only once the workers
    /// stopped (shutdown); the write is then dropped with a log line.
    pub(crate) async fn send(&self, write: Write) {
        let shard = write.key().map_or(0, |sid| {
            // Truncation intended: only the low bits pick a shard.
            #[allow(clippy::cast_possible_truncation)]
            let h = self.hasher.hash_one(sid) as usize;
            h % self.shards.len()
        });
        if self.shards[shard].send(write).await.is_err() {
            tracing::debug!("store writer stopped; write dropped");
        }
    }
}

impl Persister {
    /// Waits until every write queued so far, on every worker, has landed.
    pub(crate) async fn flush(&self) {
        let mut acks = Vec::with_capacity(self.shards.len());
        for shard in self.shards.iter() {
            let (tx, rx) = oneshot::channel();
            if shard.send(Write::Barrier(tx)).await.is_ok() {
                acks.push(rx);
            }
        }
        for ack in acks {
            let _ = ack.await;
        }
    }

    /// Stops every worker once the writes queued so far have landed; later writes are
    /// dropped.
    pub(crate) async fn close(&self) {
        for shard in self.shards.iter() {
            let _ = shard.send(Write::Stop).await;
        }
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Write>, outbox: Arc<Notify>) {
    while let Some(write) = rx.recv().await {
        match write {
            Write::Stop => break,
            Write::Barrier(ack) | Write::Landed { ack, .. } => {
                let _ = ack.send(());
            }
            write => apply(&store, write, &outbox).await,
        }
    }
}

async fn apply(store: &Store, write: Write, outbox: &Notify) {
    match write {
        Write::Insert {
            account,
            call,
            update,
            callbacks,
            now,
        } => {
            if let Err(e) = store.insert_call(account, &call, now).await {
                tracing::warn!(call = %call.sid, error = %e, "cannot store a new call");
                return;
            }
            let update = update.unwrap_or_default();
            if update != CallUpdate::default() || !callbacks.is_empty() {
                write_update(store, account, call.sid, &update, &callbacks, now, outbox).await;
            }
        }
        Write::Update {
            account,
            call,
            update,
            callbacks,
            now,
        } => write_update(store, account, call, &update, &callbacks, now, outbox).await,
        Write::Enqueue {
            account,
            callbacks,
            now,
        } => {
            for item in &callbacks {
                if let Err(e) = store.outbox_enqueue(account, item, now).await {
                    tracing::warn!(call = %item.call_sid, error = %e, "cannot enqueue a status callback");
                }
            }
            outbox.notify_one();
        }
        Write::Notify {
            account,
            call,
            notification,
            now,
        } => {
            if let Err(e) = store
                .append_notification(account, call, &notification, now)
                .await
            {
                tracing::warn!(%call, error = %e, "cannot store a notification");
            }
        }
        Write::Event {
            account,
            call,
            event,
        } => {
            if let Err(e) = store.append_event(account, call, &event).await {
                tracing::debug!(%call, error = %e, "cannot store a call event");
            }
        }
        Write::Fetch {
            account,
            call,
            reply,
        } => {
            let _ = reply.send(store.fetch_call(account, call).await);
        }
        Write::Barrier(ack) | Write::Landed { ack, .. } => {
            let _ = ack.send(());
        }
        Write::Stop => {}
    }
}

async fn write_update(
    store: &Store,
    account: Sid,
    call: Sid,
    update: &CallUpdate,
    callbacks: &[NewOutboxItem],
    now: UnixMillis,
    outbox: &Notify,
) {
    let result = if callbacks.is_empty() {
        store
            .update_call(account, call, update, now)
            .await
            .map(|_| ())
    } else {
        store
            .update_call_and_enqueue(account, call, update, callbacks, now)
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) => {
            if !callbacks.is_empty() {
                outbox.notify_one();
            }
        }
        // The call already ended in the store (a restart ended it, or the API deleted it):
        // the callbacks it still owes are enqueued on their own.
        Err(StoreError::Conflict(_) | StoreError::NotFound(_)) if !callbacks.is_empty() => {
            tracing::debug!(%call, "call update refused; enqueueing its callbacks alone");
            for item in callbacks {
                if let Err(e) = store.outbox_enqueue(account, item, now).await {
                    tracing::warn!(%call, error = %e, "cannot enqueue a status callback");
                }
            }
            outbox.notify_one();
        }
        Err(e) => tracing::debug!(%call, error = %e, "call update refused"),
    }
}
