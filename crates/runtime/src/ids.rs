//! Fresh identifiers: SIDs the runtime mints itself (notifications) and idempotency tokens.
//!
//! Both must be unique across restarts and across nodes sharing a database, so the generator
//! is seeded from the operating system's randomness once, then mixed deterministically (the
//! core's `SeededSids`), which costs nothing per identifier.

use std::sync::Mutex;

use dialtone_core::{SeededSids, SidSource};
use dialtone_types::{Sid, SidKind};

/// A seed from the operating system; falls back to the clock and process id when the system
/// source is unavailable (never expected on the platforms Dialtone runs on).
pub(crate) fn random_seed() -> u64 {
    let mut bytes = [0_u8; 8];
    if getrandom::fill(&mut bytes).is_ok() {
        return u64::from_le_bytes(bytes);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // Truncation intended: only the low bits vary.
    #[allow(clippy::cast_possible_truncation)]
    let low = nanos as u64;
    low ^ (u64::from(std::process::id()) << 32)
}

/// Mints SIDs and tokens; shared by the runtime's tasks.
#[derive(Debug)]
pub(crate) struct Ids {
    generator: Mutex<SeededSids>,
}

impl Ids {
    pub(crate) fn new() -> Self {
        Self {
            generator: Mutex::new(SeededSids::new(random_seed())),
        }
    }

    /// A fresh SID of `kind`.
    pub(crate) fn sid(&self, kind: SidKind) -> Sid {
        // A poisoned lock only means another thread panicked mid-draw; the state is still a
        // valid counter.
        let mut generator = self
            .generator
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        generator.next_sid(kind)
    }

    /// A fresh `I-Twilio-Idempotency-Token`: 32 lowercase hex digits.
    pub(crate) fn token(&self) -> String {
        format!("{:032x}", self.sid(SidKind::Event).value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_hex_and_distinct() {
        let ids = Ids::new();
        let a = ids.token();
        let b = ids.token();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert_eq!(ids.sid(SidKind::Notification).kind(), SidKind::Notification);
    }
}
