//! Secrets sealed at rest: AES-256-GCM with a key from the server's configuration.
//!
//! Access tokens (the Voice SDK's JWTs) are signed with an API key's secret, so the server must
//! be able to read the secret back to verify them; a digest is not enough. The secret is kept
//! sealed: `v1:` + base64(nonce ‖ ciphertext ‖ tag), with the row's SID as associated data so a
//! sealed value copied onto another row does not open. Whoever reads the database without the
//! key learns nothing; the key is never stored next to the data.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Prefix of every sealed value (the format's version).
const PREFIX: &str = "v1:";
/// AES-GCM nonce length.
const NONCE_LEN: usize = 12;

/// Why a sealed value did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not `v1:` + base64 of at least a nonce and a tag.
    #[error("the sealed value is malformed")]
    Malformed,
    /// Authentication failed: another key sealed it, or it was altered or moved to another row.
    #[error(
        "the sealed value does not open with this key (another key sealed it, or it was altered)"
    )]
    WrongKey,
    /// The operating system's random number generator failed.
    #[error("no randomness for a nonce: {0}")]
    Entropy(String),
}

/// The 256-bit key that seals secrets. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(REDACTED)")
    }
}

impl SecretKey {
    /// A key from its 32 bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A key from 64 hex digits (how configuration writes it).
    pub fn from_hex(hex: &str) -> Option<Self> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(bytes))
    }

    /// A fresh random key.
    pub fn generate() -> Result<Self, SealError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| SealError::Entropy(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// The key as 64 lowercase hex digits (to persist a generated key).
    pub fn to_hex(&self) -> String {
        use std::fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    fn cipher(&self) -> Aes256Gcm {
        // A 32-byte array is always a valid AES-256 key.
        Aes256Gcm::new(&self.0.into())
    }

    /// Seals `plain`, bound to `row` (associated data).
    pub fn seal(&self, plain: &str, row: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| SealError::Entropy(e.to_string()))?;
        let sealed = self
            .cipher()
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: row.as_bytes(),
                },
            )
            .map_err(|_| SealError::Malformed)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// Opens a value [`seal`](Self::seal) made for `row`.
    pub fn open(&self, sealed: &str, row: &str) -> Result<String, SealError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|raw| raw.len() >= NONCE_LEN + 16)
            .ok_or(SealError::Malformed)?;
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        let plain = self
            .cipher()
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: row.as_bytes(),
                },
            )
            .map_err(|_| SealError::WrongKey)?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_bound_to_the_row() {
        let key = SecretKey::new([7; 32]);
        let sealed = key.seal("s3cret", "SK1").unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("s3cret"));
        assert_eq!(key.open(&sealed, "SK1").unwrap(), "s3cret");
        // Two seals of one secret differ (fresh nonce).
        assert_ne!(key.seal("s3cret", "SK1").unwrap(), sealed);
        assert_eq!(key.open(&sealed, "SK2"), Err(SealError::WrongKey));
        assert_eq!(
            SecretKey::new([8; 32]).open(&sealed, "SK1"),
            Err(SealError::WrongKey)
        );
        assert_eq!(key.open("v1:AAAA", "SK1"), Err(SealError::Malformed));
        assert_eq!(key.open("plain", "SK1"), Err(SealError::Malformed));
    }

    #[test]
    fn hex_round_trip_and_redacted_debug() {
        let key = SecretKey::generate().unwrap();
        let hex = key.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(SecretKey::from_hex(&hex).unwrap().0, key.0);
        assert!(SecretKey::from_hex("abc").is_none());
        assert!(SecretKey::from_hex(&"g".repeat(64)).is_none());
        assert_eq!(format!("{key:?}"), "SecretKey(REDACTED)");
    }
}
