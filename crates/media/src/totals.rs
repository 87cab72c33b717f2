//! Process-wide media counters for metrics: legs running now and RTP packets over every leg,
//! ended ones included. Each leg's counters stay its own (no shared atomics on the packet
//! path); a leg is registered when it starts, and its counts move to the retired totals when
//! its last handle goes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use crate::leg::SharedStats;

static LIVE: Mutex<Vec<Weak<SharedStats>>> = Mutex::new(Vec::new());
static RETIRED_SENT: AtomicU64 = AtomicU64::new(0);
static RETIRED_RECEIVED: AtomicU64 = AtomicU64::new(0);
static RETIRED_LOST: AtomicU64 = AtomicU64::new(0);

/// Media legs and their RTP packets, over the process's life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MediaTotals {
    /// Legs running now.
    pub legs_live: u64,
    /// RTP packets sent.
    pub rtp_sent: u64,
    /// RTP packets received.
    pub rtp_received: u64,
    /// RTP packets the remotes' sequence numbers say were lost.
    pub rtp_lost: u64,
}

pub(crate) fn register(stats: &Arc<SharedStats>) {
    let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
    live.retain(|w| w.strong_count() > 0);
    live.push(Arc::downgrade(stats));
}

/// A leg's counters as it goes.
pub(crate) fn retire(stats: &SharedStats) {
    RETIRED_SENT.fetch_add(stats.rtp_sent.load(Ordering::Relaxed), Ordering::Relaxed);
    RETIRED_RECEIVED.fetch_add(
        stats.rtp_received.load(Ordering::Relaxed),
        Ordering::Relaxed,
    );
    RETIRED_LOST.fetch_add(stats.rtp_lost.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// The totals now.
pub fn totals() -> MediaTotals {
    let live: Vec<Arc<SharedStats>> = {
        let mut live = LIVE.lock().unwrap_or_else(PoisonError::into_inner);
        live.retain(|w| w.strong_count() > 0);
        live.iter().filter_map(Weak::upgrade).collect()
    };
    let mut t = MediaTotals {
        legs_live: live.len() as u64,
        rtp_sent: RETIRED_SENT.load(Ordering::Relaxed),
        rtp_received: RETIRED_RECEIVED.load(Ordering::Relaxed),
        rtp_lost: RETIRED_LOST.load(Ordering::Relaxed),
    };
    for s in &live {
        t.rtp_sent += s.rtp_sent.load(Ordering::Relaxed);
        t.rtp_received += s.rtp_received.load(Ordering::Relaxed);
        t.rtp_lost += s.rtp_lost.load(Ordering::Relaxed);
    }
    t
}
