//! Shards: a few tasks that each serve many connected legs on one shared audio tick.
//!
//! A task per leg costs a tokio wake per audio tick plus one per received datagram (about
//! 100 wakes a second per leg, each with its timer and reactor bookkeeping). A shard instead
//! wakes once per ptime for up to [`LEGS_PER_SHARD`] legs: per leg it reads the commands, drains
//! the socket with non-blocking reads, sends the due audio and lets str0m run its timers. The
//! sockets leave tokio's reactor at the handoff, so received datagrams cost no wake at all, and
//! a datagram waits at most one ptime in the socket buffer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use crate::driver::{BUF_SIZE, Driver, State};

/// Legs per shard: enough shards for both worker threads and to spread a late tick's work.
const LEGS_PER_SHARD: usize = 64;

/// A connected leg on its way to a shard.
type Adopted = (Driver, State);

/// The shards of one engine (all its legs share its ptime).
#[derive(Debug)]
pub(crate) struct Pool {
    ptime: Duration,
    shards: Mutex<Vec<Shard>>,
}

#[derive(Debug)]
struct Shard {
    legs: mpsc::UnboundedSender<Adopted>,
    /// Legs the shard serves now (adopted, not yet stopped).
    load: Arc<AtomicUsize>,
}

impl Pool {
    pub(crate) fn new(ptime: Duration) -> Self {
        Self {
            ptime,
            shards: Mutex::new(Vec::new()),
        }
    }

    /// Hands a connected leg to a shard with room, starting one on the current runtime if
    /// needed (a shard whose runtime ended is forgotten).
    pub(crate) fn adopt(&self, driver: Driver, state: State) {
        let mut shards = self.shards.lock().unwrap_or_else(PoisonError::into_inner);
        shards.retain(|s| !s.legs.is_closed());
        let free = shards
            .iter()
            .position(|s| s.load.load(Ordering::Relaxed) < LEGS_PER_SHARD);
        let index = free.unwrap_or_else(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            let load = Arc::new(AtomicUsize::new(0));
            tokio::spawn(run(rx, self.ptime, Arc::clone(&load)));
            shards.push(Shard { legs: tx, load });
            shards.len() - 1
        });
        let shard = &shards[index];
        shard.load.fetch_add(1, Ordering::Relaxed);
        if let Err(refused) = shard.legs.send((driver, state)) {
            shard.load.fetch_sub(1, Ordering::Relaxed);
            let (driver, _) = refused.0;
            driver.fail("the media shard stopped".into());
        }
    }
}

/// One shard: adopts legs and serves them all on every tick until no engine can send it more
/// legs and its last leg stopped.
async fn run(
    mut adopted: mpsc::UnboundedReceiver<Adopted>,
    ptime: Duration,
    load: Arc<AtomicUsize>,
) {
    let mut legs: Vec<Adopted> = Vec::with_capacity(LEGS_PER_SHARD);
    let mut buf = vec![0u8; BUF_SIZE];
    let mut ticks = tokio::time::interval(ptime);
    // A late shard does not burst: each leg sends its overdue packets (bounded) on the next tick.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut open = true;
    loop {
        tokio::select! {
            biased;
            leg = adopted.recv(), if open => match leg {
                Some(leg) => legs.push(leg),
                None => open = false,
            },
            at = ticks.tick(), if !legs.is_empty() => {
                let due_by = at.into_std();
                legs.retain_mut(|(driver, state)| {
                    let keep = match driver.service(state, due_by, &mut buf) {
                        Ok(keep) => keep,
                        Err(reason) => {
                            driver.fail(reason);
                            false
                        }
                    };
                    if !keep {
                        load.fetch_sub(1, Ordering::Relaxed);
                    }
                    keep
                });
            }
        }
        if !open && legs.is_empty() {
            return;
        }
    }
}
