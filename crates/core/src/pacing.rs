//! Per-account calls-per-second pacing: Twilio's CPS.
//!
//! Twilio starts an account's REST-created calls at no more than its CPS: a create over the
//! limit is answered at once (201, `queued`) and the call waits its turn; only when the wait
//! would be too long is the create refused (429, 20429). The engine does the same with a
//! token bucket per account and a bounded queue, in the engine's time (so the pacing runs in
//! virtual time in tests and `dialtone-sim`): a call takes a token to start; tokens come back
//! at `cps` per second, at most one held, so starts are spaced evenly at `1/cps` seconds.

use std::collections::VecDeque;
use std::num::NonZeroU32;

use dialtone_types::{Sid, UnixMillis};

use crate::hash::FastMap;

/// Milli-tokens in one token: the bucket counts in thousandths so that `cps` milli-tokens
/// come back every millisecond, exactly, for any whole `cps`.
const UNIT: u64 = 1000;

/// A token bucket in the caller's time: `rate` tokens per second, at most `capacity` held
/// (see [`TokenBucket::new`]), full when created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenBucket {
    rate: u64,
    capacity: u64,
    /// Milli-tokens held at `at`.
    level: u64,
    at: UnixMillis,
}

impl TokenBucket {
    /// A full bucket of `capacity` tokens (at least one) refilled at `rate` per second.
    ///
    /// It holds a little more than `capacity`: what less than a millisecond of refill
    /// brings, so that a bucket read only at whole milliseconds loses no fraction of a token
    /// and a rate that does not divide a second does not drift.
    pub fn new(rate: NonZeroU32, capacity: u32, now: UnixMillis) -> Self {
        let rate = u64::from(rate.get());
        let capacity = u64::from(capacity.max(1)) * UNIT + rate - 1;
        Self {
            rate,
            capacity,
            level: capacity,
            at: now,
        }
    }

    fn refill(&mut self, now: UnixMillis) {
        if now > self.at {
            let gained = (now.0 - self.at.0).saturating_mul(self.rate);
            self.level = self.level.saturating_add(gained).min(self.capacity);
            self.at = now;
        }
    }

    /// Takes a token if one is held at `now`. Time going backwards counts as no time.
    pub fn try_take(&mut self, now: UnixMillis) -> bool {
        self.refill(now);
        if self.level >= UNIT {
            self.level -= UNIT;
            true
        } else {
            false
        }
    }

    /// The first instant at or after `now` at which a token is held.
    pub fn next_token(&self, now: UnixMillis) -> UnixMillis {
        let mut probe = self.clone();
        probe.refill(now);
        let missing = UNIT.saturating_sub(probe.level);
        UnixMillis(probe.at.0 + missing.div_ceil(self.rate))
    }

    /// True when the bucket is full at `now` (it remembers nothing a new one would not).
    fn is_full(&self, now: UnixMillis) -> bool {
        let mut probe = self.clone();
        probe.refill(now);
        probe.level == probe.capacity
    }
}

/// The CPS limit: how fast an account's REST-created calls start and how many may wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpsLimit {
    /// Calls started per second per account.
    pub calls_per_second: NonZeroU32,
    /// Calls that may wait per account; one more is refused (20429).
    pub queue: usize,
}

/// What pacing says about a new call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pace {
    /// Start it now (a token was taken).
    Now,
    /// It waits its turn: [`Pacer::enqueue`] it.
    Wait,
    /// The account's queue is full: refuse it; a place frees up at `retry_at`.
    Full {
        /// When the queue's head starts.
        retry_at: UnixMillis,
    },
}

#[derive(Debug)]
struct Account {
    bucket: TokenBucket,
    waiting: VecDeque<Sid>,
}

/// Every account's bucket and waiting calls. Unlimited (everything starts now) without a
/// [`CpsLimit`].
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    limit: Option<CpsLimit>,
    accounts: FastMap<Sid, Account>,
    waiting: usize,
}

impl Pacer {
    pub(crate) fn new(limit: Option<CpsLimit>) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// Whether a new call of `account` starts at `now`, waits, or is refused.
    pub(crate) fn admit(&mut self, account: Sid, now: UnixMillis) -> Pace {
        let Some(limit) = self.limit else {
            return Pace::Now;
        };
        let entry = self.accounts.entry(account).or_insert_with(|| Account {
            bucket: TokenBucket::new(limit.calls_per_second, 1, now),
            waiting: VecDeque::new(),
        });
        // Calls already waiting go first.
        if entry.waiting.is_empty() && entry.bucket.try_take(now) {
            Pace::Now
        } else if entry.waiting.len() < limit.queue {
            Pace::Wait
        } else {
            Pace::Full {
                retry_at: entry.bucket.next_token(now),
            }
        }
    }

    /// Queues a call [`Pace::Wait`] was said of.
    pub(crate) fn enqueue(&mut self, account: Sid, call: Sid) {
        if let Some(entry) = self.accounts.get_mut(&account) {
            entry.waiting.push_back(call);
            self.waiting += 1;
        }
    }

    /// Takes a waiting call out of its queue (canceled before its turn); `false` if it was
    /// not waiting.
    pub(crate) fn remove(&mut self, account: Sid, call: Sid) -> bool {
        let Some(entry) = self.accounts.get_mut(&account) else {
            return false;
        };
        let Some(at) = entry.waiting.iter().position(|c| *c == call) else {
            return false;
        };
        entry.waiting.remove(at);
        self.waiting -= 1;
        true
    }

    /// How many calls wait, over every account.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting
    }

    /// When the next waiting call may start.
    pub(crate) fn next_due(&self, now: UnixMillis) -> Option<UnixMillis> {
        if self.waiting == 0 {
            return None;
        }
        self.accounts
            .values()
            .filter(|a| !a.waiting.is_empty())
            .map(|a| a.bucket.next_token(now))
            .min()
    }

    /// The waiting calls whose turn has come by `now`, in their accounts' order; forgets
    /// accounts that hold nothing a fresh bucket would not.
    pub(crate) fn release(&mut self, now: UnixMillis) -> Vec<Sid> {
        let mut due = Vec::new();
        for entry in self.accounts.values_mut() {
            while !entry.waiting.is_empty() && entry.bucket.try_take(now) {
                due.extend(entry.waiting.pop_front());
            }
        }
        self.waiting -= due.len();
        self.accounts
            .retain(|_, a| !a.waiting.is_empty() || !a.bucket.is_full(now));
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::SidKind;

    fn cps(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn a_bucket_refills_at_its_rate_and_holds_at_most_its_capacity() {
        let mut b = TokenBucket::new(cps(2), 1, UnixMillis(1_000));
        assert!(b.try_take(UnixMillis(1_000)));
        assert!(!b.try_take(UnixMillis(1_000)));
        assert_eq!(b.next_token(UnixMillis(1_000)), UnixMillis(1_500));
        assert!(!b.try_take(UnixMillis(1_499)));
        assert!(b.try_take(UnixMillis(1_500)));
        // Ten idle seconds still hold one token only.
        assert!(b.try_take(UnixMillis(11_500)));
        assert!(!b.try_take(UnixMillis(11_500)));
        // Time going backwards gains nothing.
        assert!(!b.try_take(UnixMillis(5_000)));
        assert_eq!(b.next_token(UnixMillis(5_000)), UnixMillis(12_000));
    }

    #[test]
    fn a_rate_that_does_not_divide_a_second_is_exact() {
        let mut b = TokenBucket::new(cps(3), 1, UnixMillis(0));
        let mut starts = Vec::new();
        let mut now = UnixMillis(0);
        while starts.len() < 7 {
            if b.try_take(now) {
                starts.push(now.0);
            }
            now = UnixMillis(now.0 + 1);
        }
        // A third of a second apart at millisecond resolution, without drift: 7 in 2 s.
        assert_eq!(starts, [0, 333, 666, 1000, 1333, 1666, 2000]);
    }

    #[test]
    fn a_bigger_bucket_allows_a_burst() {
        let mut b = TokenBucket::new(cps(1), 3, UnixMillis(0));
        assert!((0..3).all(|_| b.try_take(UnixMillis(0))));
        assert!(!b.try_take(UnixMillis(999)));
        assert!(b.try_take(UnixMillis(1_000)));
    }

    #[test]
    fn ten_calls_at_two_per_second_start_half_a_second_apart_and_the_queue_is_bounded() {
        let account = Sid::new(SidKind::Account, 1);
        let mut p = Pacer::new(Some(CpsLimit {
            calls_per_second: cps(2),
            queue: 9,
        }));
        let t0 = UnixMillis(10_000);
        let mut started = Vec::new();
        for n in 0..10 {
            let call = Sid::new(SidKind::Call, n);
            match p.admit(account, t0) {
                Pace::Now => started.push((call, t0.0)),
                Pace::Wait => p.enqueue(account, call),
                Pace::Full { .. } => panic!("call {n} refused"),
            }
        }
        assert_eq!(p.waiting(), 9);
        // The eleventh is refused; a place frees when the head starts.
        assert_eq!(
            p.admit(account, t0),
            Pace::Full {
                retry_at: UnixMillis(10_500)
            }
        );
        while let Some(due) = p.next_due(t0) {
            let now = due.max(t0);
            for call in p.release(now) {
                started.push((call, now.0));
            }
            if started.len() == 10 {
                break;
            }
        }
        let times: Vec<u64> = started.iter().map(|(_, t)| t - t0.0).collect();
        assert_eq!(
            times,
            [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500]
        );
        let order: Vec<u128> = (0..10).collect();
        let sids: Vec<Sid> = order.iter().map(|n| Sid::new(SidKind::Call, *n)).collect();
        assert_eq!(started.iter().map(|(c, _)| *c).collect::<Vec<_>>(), sids);
        assert_eq!((p.waiting(), p.next_due(t0)), (0, None));
        // Idle accounts are forgotten once their bucket is full again.
        p.release(UnixMillis(20_000));
        assert!(p.accounts.is_empty());
    }

    #[test]
    fn accounts_are_paced_apart_and_a_canceled_call_leaves_the_queue() {
        let (a, b) = (Sid::new(SidKind::Account, 1), Sid::new(SidKind::Account, 2));
        let mut p = Pacer::new(Some(CpsLimit {
            calls_per_second: cps(1),
            queue: 1,
        }));
        let now = UnixMillis(0);
        assert_eq!(p.admit(a, now), Pace::Now);
        assert_eq!(p.admit(b, now), Pace::Now);
        assert_eq!(p.admit(a, now), Pace::Wait);
        let call = Sid::new(SidKind::Call, 7);
        p.enqueue(a, call);
        assert!(matches!(p.admit(a, now), Pace::Full { .. }));
        assert!(p.remove(a, call));
        assert!(!p.remove(a, call));
        assert_eq!((p.waiting(), p.next_due(now)), (0, None));
        // With the queue empty again the next call waits (the token is still spent).
        assert_eq!(p.admit(a, UnixMillis(999)), Pace::Wait);
        assert_eq!(p.admit(a, UnixMillis(999)), Pace::Wait);
    }

    #[test]
    fn without_a_limit_everything_starts_now() {
        let mut p = Pacer::new(None);
        let a = Sid::new(SidKind::Account, 1);
        assert!((0..10_000).all(|_| p.admit(a, UnixMillis(0)) == Pace::Now));
        assert!(p.accounts.is_empty());
    }
}
