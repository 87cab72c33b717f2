//! Where new SIDs come from.
//!
//! The engine never draws randomness itself: the runtime injects a generator (random in
//! production), tests and simulations inject a deterministic one so every run replays exactly.

use dialtone_types::{Sid, SidKind};

/// A source of fresh SIDs. Must never return the same SID twice for the same kind.
pub trait SidSource {
    /// The next SID of `kind`.
    fn next_sid(&mut self, kind: SidKind) -> Sid;
}

/// Counts up from a start value: `CA00…01`, `CA00…02`, … Readable in tests.
#[derive(Debug, Clone, Default)]
pub struct SequentialSids {
    next: u128,
}

impl SequentialSids {
    /// Starts after `start` (the first SID has value `start + 1`).
    pub const fn starting_at(start: u128) -> Self {
        Self { next: start }
    }
}

impl SidSource for SequentialSids {
    fn next_sid(&mut self, kind: SidKind) -> Sid {
        self.next = self.next.wrapping_add(1);
        Sid::new(kind, self.next)
    }
}

/// A deterministic generator that spreads values over the whole 128 bits (SplitMix-style
/// mixing of a counter), so SIDs look like Twilio's while a seed replays them exactly.
#[derive(Debug, Clone)]
pub struct SeededSids {
    state: u64,
}

impl SeededSids {
    /// A generator for `seed`.
    pub const fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl SidSource for SeededSids {
    fn next_sid(&mut self, kind: SidKind) -> Sid {
        let high = u128::from(self.next_u64());
        let low = u128::from(self.next_u64());
        Sid::new(kind, (high << 64) | low)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_counts_from_one() {
        let mut s = SequentialSids::default();
        assert_eq!(
            s.next_sid(SidKind::Call).to_string(),
            "CA00000000000000000000000000000001"
        );
        assert_eq!(
            s.next_sid(SidKind::Call).to_string(),
            "CA00000000000000000000000000000002"
        );
    }

    #[test]
    fn seeded_replays() {
        let a: Vec<_> = {
            let mut s = SeededSids::new(7);
            (0..3).map(|_| s.next_sid(SidKind::Call)).collect()
        };
        let mut s = SeededSids::new(7);
        let b: Vec<_> = (0..3).map(|_| s.next_sid(SidKind::Call)).collect();
        assert_eq!(a, b);
        assert_ne!(a[0], a[1]);
    }
}
