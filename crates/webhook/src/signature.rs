//! Computing `X-Twilio-Signature`.
//!
//! Twilio signs every webhook so the application can check it came from Twilio: HMAC over the
//! URL followed by the POST parameters sorted by name, each written as `name` + `value` with no
//! delimiter, Base64 encoded. Applications check it with Twilio's own helper libraries, so the
//! rules here follow twilio-python's `RequestValidator` exactly: names sorted in byte order, a
//! repeated name contributes each distinct value once in sorted order, GET requests sign the URL
//! only, JSON bodies are signed through a `bodySHA256` query parameter. The key is the account's
//! Auth Token (HMAC-SHA1), or a SharedKey secret (HMAC-SHA256) announced in the
//! `X-Twilio-Webhooks-Signature-Settings` header.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::digest::{Digest, Key};
use hmac::{EagerHash, Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::Sha256;

use crate::url_text;

/// Header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";
/// Header naming the SharedKey and algorithm when a webhook is not signed with the Auth Token.
pub const SIGNATURE_SETTINGS_HEADER: &str = "X-Twilio-Webhooks-Signature-Settings";
/// Query parameter that carries the SHA-256 of a JSON body.
pub const BODY_SHA256_PARAM: &str = "bodySHA256";

/// The HMAC used for a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SignatureAlgorithm {
    /// HMAC-SHA1 keyed with the Auth Token: every webhook unless configured otherwise.
    #[default]
    HmacSha1,
    /// HMAC-SHA256 keyed with a SharedKey secret (Twilio's Webhook Rules).
    HmacSha256,
}

/// An algorithm name Dialtone does not know; validation with it always fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported webhook signature algorithm {0:?} (supported: HMAC_SHA1, HMAC_SHA256)")]
pub struct UnsupportedAlgorithm(pub String);

impl SignatureAlgorithm {
    /// Twilio's name for the algorithm, as written in the settings header.
    pub const fn name(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC_SHA1",
            Self::HmacSha256 => "HMAC_SHA256",
        }
    }

    /// The algorithm announced by an `X-Twilio-Webhooks-Signature-Settings` header value
    /// (`key=<id>,algorithm=HMAC_SHA256`). A missing or empty header, or one without
    /// `algorithm=`, means HMAC-SHA1, as in twilio-python.
    pub fn from_settings_header(header: Option<&str>) -> Result<Self, UnsupportedAlgorithm> {
        let named = header.unwrap_or("").split(',').find_map(|part| {
            let (name, value) = part.split_once('=')?;
            (name.trim() == "algorithm" && !value.trim().is_empty()).then(|| value.trim())
        });
        named.map_or(Ok(Self::HmacSha1), str::parse)
    }
}

impl FromStr for SignatureAlgorithm {
    type Err = UnsupportedAlgorithm;

    /// Parses `HMAC_SHA1` or `HMAC_SHA256`, ignoring ASCII case like twilio-python.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        if name.eq_ignore_ascii_case("HMAC_SHA1") {
            Ok(Self::HmacSha1)
        } else if name.eq_ignore_ascii_case("HMAC_SHA256") {
            Ok(Self::HmacSha256)
        } else {
            Err(UnsupportedAlgorithm(name.to_owned()))
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A signing secret; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps the secret bytes (an Auth Token is used as its UTF-8 bytes).
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        Self(secret.into())
    }

    /// The secret bytes, for the HMAC key.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(•••)")
    }
}

/// What an outgoing webhook is signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// The account's Auth Token, HMAC-SHA1, no settings header: Twilio's default.
    AuthToken(Secret),
    /// A SharedKey: HMAC-SHA256, announced by `X-Twilio-Webhooks-Signature-Settings`.
    SharedKey {
        /// The SharedKey's id, sent in the settings header.
        key_id: String,
        /// The SharedKey's secret.
        secret: Secret,
    },
}

impl SigningKey {
    /// The account Auth Token as signing key.
    pub fn auth_token(token: &str) -> Self {
        Self::AuthToken(Secret::new(token))
    }

    /// The algorithm this key signs with.
    pub const fn algorithm(&self) -> SignatureAlgorithm {
        match self {
            Self::AuthToken(_) => SignatureAlgorithm::HmacSha1,
            Self::SharedKey { .. } => SignatureAlgorithm::HmacSha256,
        }
    }

    /// The secret bytes.
    pub fn secret(&self) -> &Secret {
        match self {
            Self::AuthToken(secret) | Self::SharedKey { secret, .. } => secret,
        }
    }

    /// Value of `X-Twilio-Webhooks-Signature-Settings`, sent only for SharedKey signatures.
    pub fn settings_header(&self) -> Option<String> {
        match self {
            Self::AuthToken(_) => None,
            Self::SharedKey { key_id, .. } => Some(format!(
                "key={key_id},algorithm={}",
                self.algorithm().name()
            )),
        }
    }

    /// Signs `url` + sorted `params` (see [`compute_signature`]).
    pub fn sign<I, K, V>(&self, url: &str, params: I) -> String
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        compute_signature(self.algorithm(), self.secret().expose(), url, params)
    }
}

/// The parameter part of the signed string: names in byte order, each distinct value of a name
/// in byte order, every pair written as `name` + `value`.
pub fn params_payload<I, K, V>(params: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let pairs: Vec<(K, V)> = params.into_iter().collect();
    let mut sorted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (name, value) in &pairs {
        sorted
            .entry(name.as_ref())
            .or_default()
            .insert(value.as_ref());
    }
    let mut payload = String::new();
    for (name, values) in sorted {
        for value in values {
            payload.push_str(name);
            payload.push_str(value);
        }
    }
    payload
}

/// The `X-Twilio-Signature` of a request to `url` carrying `params`.
///
/// `url` is signed exactly as given up to any `#` fragment (connection overrides are never part
/// of the signature). For a GET request pass the final URL with its query and no params; for a
/// POST pass the form parameters.
pub fn compute_signature<I, K, V>(
    algorithm: SignatureAlgorithm,
    secret: &[u8],
    url: &str,
    params: I,
) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let (url, _) = url_text::split_fragment(url);
    sign_payload(algorithm, secret, url, &params_payload(params))
}

/// HMAC of `url` + `params_payload`, Base64 with padding.
pub(crate) fn sign_payload(
    algorithm: SignatureAlgorithm,
    secret: &[u8],
    url: &str,
    params_payload: &str,
) -> String {
    let parts = [url.as_bytes(), params_payload.as_bytes()];
    let tag = match algorithm {
        SignatureAlgorithm::HmacSha1 => hmac_tag::<Sha1>(secret, &parts),
        SignatureAlgorithm::HmacSha256 => hmac_tag::<Sha256>(secret, &parts),
    };
    BASE64.encode(tag)
}

/// HMAC over the concatenated `parts`.
///
/// HMAC defines keys of any length: a key longer than the hash's block is first hashed, then
/// every key is zero-padded to the block size. Doing that here, into the fixed-size key type,
/// keeps the computation infallible (no `Result` from a variable-length constructor).
fn hmac_tag<D>(secret: &[u8], parts: &[&[u8]]) -> Vec<u8>
where
    D: EagerHash + Digest,
    Hmac<D>: KeyInit + Mac,
{
    let mut key = Key::<Hmac<D>>::default();
    let hashed;
    let source: &[u8] = if secret.len() > key.len() {
        hashed = D::digest(secret);
        &hashed
    } else {
        secret
    };
    for (slot, byte) in key.iter_mut().zip(source) {
        *slot = *byte;
    }
    let mut mac = <Hmac<D> as KeyInit>::new(&key);
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Lowercase hex SHA-256 of a raw body, the value of `bodySHA256`.
pub fn body_sha256_hex(body: &[u8]) -> String {
    use fmt::Write as _;
    Sha256::digest(body)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// The URL a JSON-body webhook is sent to and signed over: `url` (without fragment) with
/// `bodySHA256=<hex>` appended to its query.
pub fn url_with_body_sha256(url: &str, body: &[u8]) -> String {
    let (url, _) = url_text::split_fragment(url);
    url_text::append_query(
        url,
        &format!("{BODY_SHA256_PARAM}={}", body_sha256_hex(body)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn vector_params() -> Vec<(&'static str, &'static str)> {
        vec![
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
    }

    fn sha1(url: &str, params: &[(&str, &str)]) -> String {
        compute_signature(
            SignatureAlgorithm::HmacSha1,
            b"12345",
            url,
            params.iter().copied(),
        )
    }

    #[test]
    fn signed_string_matches_the_reference() {
        let mut reversed = vector_params();
        reversed.reverse();
        assert_eq!(
            format!("{VECTOR_URL}{}", params_payload(reversed)),
            "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212"
        );
    }

    #[test]
    fn reference_vectors() {
        let params = vector_params();
        assert_eq!(sha1(VECTOR_URL, &params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(
            sha1("https://mycompany.com:443/myapp.php?foo=1&bar=2", &params),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        assert_eq!(
            sha1("http://mycompany.com:80/myapp.php?foo=1&bar=2", &params),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        );
        assert_eq!(
            sha1("http://mycompany.com:1234/myapp.php?foo=1&bar=2", &params),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        );
    }

    #[test]
    fn old_docs_vector() {
        let params = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ];
        assert_eq!(sha1(VECTOR_URL, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }

    #[test]
    fn repeated_names_sign_each_distinct_value_sorted() {
        let params = [
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ];
        assert_eq!(
            params_payload(params),
            "Digits1234Digits5678SidCA123SidAccountAC123"
        );
        assert_eq!(sha1(VECTOR_URL, &params), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    }

    #[test]
    fn names_sort_in_byte_order() {
        assert_eq!(
            params_payload([("a", "1"), ("B", "2"), ("Ca", "3"), ("C", "4")]),
            "B2C4Ca3a1"
        );
    }

    #[test]
    fn fragment_is_not_signed() {
        let params = vector_params();
        assert_eq!(
            sha1(&format!("{VECTOR_URL}#ct=1000&rt=5000"), &params),
            "RSOYDt4T1cUTdK1PDd93/VVr8B8="
        );
    }

    #[test]
    fn json_body_vector() {
        let body = br#"{"property": "value", "boolean": true}"#;
        assert_eq!(
            body_sha256_hex(body),
            "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
        let url = url_with_body_sha256(VECTOR_URL, body);
        assert_eq!(
            url,
            "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
        );
        assert_eq!(sha1(&url, &[]), "a9nBmqA0ju/hNViExpshrM61xv4=");
    }

    #[test]
    fn sha256_and_long_keys_match_python_hmac() {
        // Values from Python's hmac module: hmac.new(key, msg, sha256/sha1), base64.
        let params = vector_params();
        assert_eq!(
            compute_signature(
                SignatureAlgorithm::HmacSha256,
                b"12345",
                VECTOR_URL,
                params.iter().copied()
            ),
            "033hgUJA9M/hXIZsYjwkerEP/DBm35nEri5FhCYjA5s="
        );
        let long_key = [b'k'; 100];
        assert_eq!(
            compute_signature(
                SignatureAlgorithm::HmacSha1,
                &long_key,
                VECTOR_URL,
                params.iter().copied()
            ),
            "cM8kXEjnCoOawPITZjVIc8AT2sI="
        );
    }

    #[test]
    fn settings_header_selects_the_algorithm() {
        assert_eq!(
            SignatureAlgorithm::from_settings_header(None),
            Ok(SignatureAlgorithm::HmacSha1)
        );
        assert_eq!(
            SignatureAlgorithm::from_settings_header(Some("")),
            Ok(SignatureAlgorithm::HmacSha1)
        );
        assert_eq!(
            SignatureAlgorithm::from_settings_header(Some("key=webhooks_sharedkey_1")),
            Ok(SignatureAlgorithm::HmacSha1)
        );
        assert_eq!(
            SignatureAlgorithm::from_settings_header(Some("key=k1, algorithm = hmac_sha256 ")),
            Ok(SignatureAlgorithm::HmacSha256)
        );
        assert_eq!(
            SignatureAlgorithm::from_settings_header(Some("key=k1,algorithm=HMAC_MD5")),
            Err(UnsupportedAlgorithm("HMAC_MD5".to_owned()))
        );
    }

    #[test]
    fn shared_key_announces_itself() {
        let key = SigningKey::SharedKey {
            key_id: "webhooks_sharedkey_1".to_owned(),
            secret: Secret::new("s3cret"),
        };
        assert_eq!(
            key.settings_header().as_deref(),
            Some("key=webhooks_sharedkey_1,algorithm=HMAC_SHA256")
        );
        assert_eq!(SigningKey::auth_token("12345").settings_header(), None);
        assert_eq!(
            format!("{key:?}"),
            "SharedKey { key_id: \"webhooks_sharedkey_1\", secret: Secret(•••) }"
        );
    }
}
