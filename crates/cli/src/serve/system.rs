//! The machine's clock and random numbers, for the API (which takes them as inputs).

use std::time::{SystemTime, UNIX_EPOCH};

use dialtone_api::{Clock, Entropy};
use dialtone_types::UnixMillis;

/// Wall-clock time.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixMillis {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        UnixMillis(u64::try_from(ms).unwrap_or(u64::MAX))
    }
}

/// The operating system's CSPRNG. Only [`OsEntropy::check`] makes one.
#[derive(Debug, Clone, Copy)]
pub struct OsEntropy(());

impl OsEntropy {
    /// Checks once, at start-up, that the OS generator works, so later draws cannot fail.
    pub fn check() -> Result<Self, getrandom::Error> {
        let mut probe = [0u8; 16];
        getrandom::fill(&mut probe)?;
        Ok(Self(()))
    }

    /// 128 random bits.
    #[allow(clippy::unused_self)] // the receiver is the proof that `check` succeeded
    pub fn u128(self) -> u128 {
        let mut bytes = [0u8; 16];
        // `check` proved the generator available; getrandom does not fail after that on any
        // supported OS, and a SID or secret must never be made from anything but it.
        getrandom::fill(&mut bytes).expect("the OS random number generator failed");
        u128::from_le_bytes(bytes)
    }
}

impl Entropy for OsEntropy {
    fn next_u128(&self) -> u128 {
        self.u128()
    }
}
