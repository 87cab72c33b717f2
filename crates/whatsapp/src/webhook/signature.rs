//! `X-Hub-Signature-256`: Meta signs every webhook POST with
//! `sha256=<lower-case hex HMAC-SHA256(app secret, raw body)>`. The receiver must check it on the
//! raw bytes, before parsing, and refuse anything else. The comparison is constant-time.

use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header Meta puts the signature in.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

const PREFIX: &str = "sha256=";

/// Why a webhook POST is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The receiver has no app secret configured: every POST is refused.
    #[error("no app secret configured")]
    NoSecret,
    /// No `X-Hub-Signature-256` header.
    #[error("missing X-Hub-Signature-256")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("malformed X-Hub-Signature-256")]
    Malformed,
    /// Well-formed, but not the body's signature.
    #[error("X-Hub-Signature-256 does not match the body")]
    Mismatch,
}

/// Checks `header` (the header's value, if present) against `body` signed with `app_secret`.
pub fn verify_signature(
    app_secret: &[u8],
    header: Option<&str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    if app_secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = header.ok_or(SignatureError::Missing)?.trim();
    let hex = header
        .get(..PREFIX.len())
        .filter(|prefix| prefix.eq_ignore_ascii_case(PREFIX))
        .and_then(|_| header.get(PREFIX.len()..))
        .ok_or(SignatureError::Malformed)?;
    let expected = decode_hex_32(hex).ok_or(SignatureError::Malformed)?;
    mac(app_secret, body)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The header value Meta would send for `body` (used by the simulator and tests).
pub fn signature_header(app_secret: &[u8], body: &[u8]) -> String {
    let tag = mac(app_secret, body).finalize().into_bytes();
    let mut out = String::with_capacity(PREFIX.len() + 64);
    out.push_str(PREFIX);
    for byte in tag {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn mac(app_secret: &[u8], body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(app_secret)
        .unwrap_or_else(|_| <Hmac<Sha256> as KeyInit>::new(&Key::<Hmac<Sha256>>::default()));
    mac.update(body);
    mac
}

fn decode_hex_32(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *slot = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}

fn nibble(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    const SECRET: &[u8] = b"6e2d0a8f1c9b4e7a";
    const BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[]}"#;

    /// The expected header, computed independently of `signature_header`.
    fn expected() -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET).expect("any key length");
        mac.update(BODY);
        let tag = mac.finalize().into_bytes();
        let hex = tag.iter().fold(String::new(), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        });
        format!("sha256={hex}")
    }

    #[test]
    fn a_correct_signature_is_accepted() {
        let header = expected();
        assert_eq!(signature_header(SECRET, BODY), header);
        assert_eq!(verify_signature(SECRET, Some(&header), BODY), Ok(()));
        let upper = format!("sha256={}", header["sha256=".len()..].to_ascii_uppercase());
        assert_eq!(verify_signature(SECRET, Some(&upper), BODY), Ok(()));
    }

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            signature_header(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn every_refusal_is_typed() {
        let header = expected();
        assert_eq!(
            verify_signature(b"", Some(&header), BODY),
            Err(SignatureError::NoSecret)
        );
        assert_eq!(
            verify_signature(SECRET, None, BODY),
            Err(SignatureError::Missing)
        );
        for malformed in [
            "",
            "sha256=",
            "sha1=abc",
            &header[..header.len() - 1],
            &format!("{header}0"),
            &header.replace("sha256=", "sha256:"),
            &format!("sha256={}", "zz".repeat(32)),
            "sha256=ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
        ] {
            assert_eq!(
                verify_signature(SECRET, Some(malformed), BODY),
                Err(SignatureError::Malformed),
                "{malformed:?}"
            );
        }
        assert_eq!(
            verify_signature(b"other secret", Some(&header), BODY),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(SECRET, Some(&header), b"{\"object\":\"x\"}"),
            Err(SignatureError::Mismatch)
        );
    }
}
