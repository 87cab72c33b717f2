//! Named timers, quinn-style: a small fixed table per call and one queue for the engine.
//!
//! Each call owns a [`TimerTable`] with one slot per [`Timer`]. The engine keeps a min-heap of
//! `(deadline, call, timer)` entries; re-arming or stopping a timer only touches the table, and
//! heap entries that no longer match their table slot (or whose call is gone) are skipped when
//! they surface. So every armed timer belongs to a live call, and a stale wake-up is harmless.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use dialtone_types::{Sid, SidKind, UnixMillis};

/// Why the engine wants to wake up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// A REST-created call rings too long (`Timeout`, default 60 s): `no-answer`.
    Ring,
    /// `<Dial timeout>`: the dialed parties did not answer in time (on the parent).
    Dial,
    /// Maximum duration: the call's `TimeLimit`, or `<Dial timeLimit>` on a bridged child.
    TimeLimit,
    /// `<Pause length>`, also inside `<Gather>`.
    Pause,
    /// `<Gather timeout>`: no further digit in time.
    Gather,
    /// `<Record maxLength>`: the recording is stopped.
    Record,
}

impl Timer {
    const COUNT: usize = 6;

    /// Every timer, in table order.
    pub const ALL: [Self; Self::COUNT] = [
        Self::Ring,
        Self::Dial,
        Self::TimeLimit,
        Self::Pause,
        Self::Gather,
        Self::Record,
    ];

    pub(crate) const fn index(self) -> usize {
        match self {
            Self::Ring => 0,
            Self::Dial => 1,
            Self::TimeLimit => 2,
            Self::Pause => 3,
            Self::Gather => 4,
            Self::Record => 5,
        }
    }

    /// A short name for logs and docs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ring => "ring",
            Self::Dial => "dial",
            Self::TimeLimit => "time-limit",
            Self::Pause => "pause",
            Self::Gather => "gather",
            Self::Record => "record",
        }
    }
}

/// One deadline slot per [`Timer`].
#[derive(Debug, Clone, Default)]
pub(crate) struct TimerTable([Option<UnixMillis>; Timer::COUNT]);

impl TimerTable {
    pub(crate) fn get(&self, timer: Timer) -> Option<UnixMillis> {
        self.0[timer.index()]
    }

    pub(crate) fn set(&mut self, timer: Timer, at: UnixMillis) {
        self.0[timer.index()] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.0[timer.index()] = None;
    }

    pub(crate) fn clear(&mut self) {
        self.0 = [None; Timer::COUNT];
    }

    /// The armed timers with their deadlines.
    pub(crate) fn armed(&self) -> impl Iterator<Item = (Timer, UnixMillis)> + '_ {
        Timer::ALL
            .into_iter()
            .filter_map(|t| self.get(t).map(|at| (t, at)))
    }
}

/// A heap entry: deadline, the call SID's value in two halves, the timer. Every timer belongs
/// to a call, so the SID kind is implied; 32 bytes with cheap integer comparisons (a `Sid`
/// alone is 32 bytes, aligned for its `u128`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    at: u64,
    high: u64,
    low: u64,
    timer: u8,
}

impl Entry {
    fn new(at: UnixMillis, sid: Sid, timer: Timer) -> Self {
        let value = sid.value();
        // Truncation intended: the two halves of the 128-bit value.
        #[allow(clippy::cast_possible_truncation)]
        let (high, low) = ((value >> 64) as u64, value as u64);
        #[allow(clippy::cast_possible_truncation)]
        let timer = timer.index() as u8;
        Self {
            at: at.0,
            high,
            low,
            timer,
        }
    }

    fn decode(self) -> (UnixMillis, Sid, Timer) {
        let value = (u128::from(self.high) << 64) | u128::from(self.low);
        let timer = Timer::ALL
            .get(usize::from(self.timer))
            .copied()
            .unwrap_or(Timer::Ring);
        (UnixMillis(self.at), Sid::new(SidKind::Call, value), timer)
    }
}

/// The engine-wide queue of deadlines (lazy deletion; see the module docs).
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    heap: BinaryHeap<Reverse<Entry>>,
}

impl TimerQueue {
    pub(crate) fn push(&mut self, at: UnixMillis, sid: Sid, timer: Timer) {
        self.heap.push(Reverse(Entry::new(at, sid, timer)));
    }

    pub(crate) fn peek(&self) -> Option<(UnixMillis, Sid, Timer)> {
        self.heap.peek().map(|Reverse(e)| e.decode())
    }

    pub(crate) fn pop(&mut self) -> Option<(UnixMillis, Sid, Timer)> {
        self.heap.pop().map(|Reverse(e)| e.decode())
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::SidKind;

    #[test]
    fn table_arms_and_stops() {
        let mut t = TimerTable::default();
        t.set(Timer::Dial, UnixMillis(30_000));
        t.set(Timer::Pause, UnixMillis(0));
        assert_eq!(
            t.armed().collect::<Vec<_>>(),
            vec![
                (Timer::Dial, UnixMillis(30_000)),
                (Timer::Pause, UnixMillis(0))
            ]
        );
        t.stop(Timer::Dial);
        assert_eq!(t.get(Timer::Dial), None);
        t.clear();
        assert_eq!(t.armed().count(), 0);
    }

    #[test]
    fn queue_pops_earliest_first() {
        let mut q = TimerQueue::default();
        let a = Sid::new(SidKind::Call, 1);
        q.push(UnixMillis(5), a, Timer::Gather);
        q.push(UnixMillis(2), a, Timer::Ring);
        assert_eq!(q.peek(), Some((UnixMillis(2), a, Timer::Ring)));
        assert_eq!(q.pop(), Some((UnixMillis(2), a, Timer::Ring)));
        assert_eq!(q.pop(), Some((UnixMillis(5), a, Timer::Gather)));
        assert_eq!(q.len(), 0);
    }
}
