//! Access tokens: the JWTs Twilio's helper libraries mint for the Voice SDK.
//!
//! `AccessToken(account_sid, api_key_sid, api_key_secret, identity=…)` + `VoiceGrant(…)` in
//! twilio-python (or twilio-node) give `header.payload.signature`, HMAC-SHA256 (node may use
//! HS384/HS512) keyed with the API key's secret; header `cty` is `twilio-fpa;v=1`, `iss` the
//! key SID, `sub` the account SID, `exp`/`nbf` in Unix seconds, and `grants` carry the identity
//! and the voice grant. This module is pure: [`Unverified::parse`] reads a token without
//! trusting it (to learn which key and account to look up), [`Unverified::verify`] checks the
//! signature with that key's secret and the times against `now`. Every failure maps to the
//! PStream error code the SDK expects ([`TokenError::code`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use dialtone_types::{Sid, SidKind};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::{Sha256, Sha384, Sha512};

/// Longest token lifetime accepted (Twilio: "configurable for up to 24 hours").
pub const MAX_LIFETIME_SECS: u64 = 24 * 3600;
/// Clock skew tolerated on `nbf` and `exp` (a token minted on a host whose clock is a little
/// ahead is still valid); Twilio's own value is not documented.
pub const CLOCK_SKEW_SECS: u64 = 30;

/// Why a token was refused; [`code`](Self::code) is what the SDK receives.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT, not JSON, a claim missing or of the wrong type, or `alg` not HS256/384/512.
    #[error("Invalid JWT token: {0}")]
    Malformed(String),
    /// `iss` names no API key of `sub` (or a key whose secret is not kept).
    #[error("Invalid JWT token: {0}")]
    UnknownKey(String),
    /// `sub` is not an account this server knows (or not the key's account).
    #[error("No valid account: {0}")]
    WrongAccount(String),
    /// The signature does not match the key's secret.
    #[error("Access token signature validation failed")]
    BadSignature,
    /// `exp` has passed.
    #[error("JWT token expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("Invalid JWT token: not valid before {0} (Unix seconds)")]
    NotYetValid(u64),
    /// `exp` is more than 24 h after `nbf` (or after now).
    #[error("JWT token expiration interval is too long (at most 24 hours)")]
    TooLong,
}

impl TokenError {
    /// The PStream `error.code` for this failure (the reference's §B1.2/§B5 choices).
    pub fn code(&self) -> u32 {
        match self {
            Self::Malformed(_) | Self::UnknownKey(_) | Self::NotYetValid(_) => 31204,
            Self::WrongAccount(_) => 31203,
            Self::BadSignature => 31202,
            Self::Expired => 31205,
            Self::TooLong => 31207,
        }
    }
}

/// The voice grant of a token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VoiceGrant {
    /// `incoming.allow`: the Device may register and receive calls.
    pub incoming_allow: bool,
    /// `outgoing.application_sid`: the TwiML App that handles `device.connect()`.
    pub outgoing_application: Option<Sid>,
    /// `outgoing.params`, stringified, in the token's order.
    pub outgoing_params: Vec<(String, String)>,
}

/// What a verified token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    /// `sub`.
    pub account: Sid,
    /// `iss`: the API key that signed it.
    pub key: Sid,
    /// `grants.identity` (`None` for an identity-less token).
    pub identity: Option<String>,
    /// `grants.voice`, if present.
    pub voice: Option<VoiceGrant>,
    /// `exp`, Unix seconds.
    pub expires_at: u64,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    cty: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    exp: u64,
    #[serde(default)]
    nbf: Option<u64>,
    #[serde(default)]
    iat: Option<u64>,
    #[serde(default)]
    grants: Grants,
}

#[derive(Deserialize, Default)]
struct Grants {
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    voice: Option<VoiceClaims>,
}

#[derive(Deserialize, Default)]
struct VoiceClaims {
    #[serde(default)]
    incoming: Option<Incoming>,
    #[serde(default)]
    outgoing: Option<Outgoing>,
}

#[derive(Deserialize, Default)]
struct Incoming {
    #[serde(default)]
    allow: bool,
}

#[derive(Deserialize, Default)]
struct Outgoing {
    #[serde(default)]
    application_sid: Option<String>,
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Copy)]
enum Alg {
    Hs256,
    Hs384,
    Hs512,
}

/// A token read but not yet trusted.
pub struct Unverified {
    alg: Alg,
    signing_input: String,
    signature: Vec<u8>,
    claims: Claims,
    /// `iss`, parsed.
    pub key: Sid,
    /// `sub`, parsed.
    pub account: Sid,
}

impl std::fmt::Debug for Unverified {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unverified")
            .field("key", &self.key)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

fn part<T: serde::de::DeserializeOwned>(b64: &str, what: &str) -> Result<T, TokenError> {
    let raw = URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .map_err(|_| TokenError::Malformed(format!("the {what} is not base64url")))?;
    serde_json::from_slice(&raw)
        .map_err(|e| TokenError::Malformed(format!("the {what} is not the expected JSON: {e}")))
}

impl Unverified {
    /// Reads `token` (`header.payload.signature`) without checking it.
    pub fn parse(token: &str) -> Result<Self, TokenError> {
        let token = token.trim();
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed(
                "a JWT has three dot-separated parts".into(),
            ));
        };
        let header: Header = part(h, "header")?;
        let alg = match header.alg.as_str() {
            "HS256" => Alg::Hs256,
            "HS384" => Alg::Hs384,
            "HS512" => Alg::Hs512,
            other => {
                return Err(TokenError::Malformed(format!(
                    "alg {other:?} is not HS256, HS384 or HS512"
                )));
            }
        };
        if header.cty.as_deref() != Some("twilio-fpa;v=1") {
            tracing::debug!(cty = ?header.cty, "access token without cty twilio-fpa;v=1 (accepted)");
        }
        let claims: Claims = part(p, "payload")?;
        let signature = URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .map_err(|_| TokenError::Malformed("the signature is not base64url".into()))?;
        let key = claims
            .iss
            .parse::<Sid>()
            .ok()
            .filter(|sid| sid.kind() == SidKind::ApiKey)
            .ok_or_else(|| {
                TokenError::UnknownKey(format!("iss {:?} is not an API key SID (SK…)", claims.iss))
            })?;
        let account = claims
            .sub
            .parse::<Sid>()
            .ok()
            .filter(|sid| sid.kind() == SidKind::Account)
            .ok_or_else(|| {
                TokenError::WrongAccount(format!(
                    "sub {:?} is not an account SID (AC…)",
                    claims.sub
                ))
            })?;
        Ok(Self {
            alg,
            signing_input: format!("{h}.{p}"),
            signature,
            claims,
            key,
            account,
        })
    }

    /// Checks the signature with `secret` (the key's secret) and the times against `now`
    /// (Unix seconds).
    pub fn verify(self, secret: &str, now: u64) -> Result<AccessGrant, TokenError> {
        let input = self.signing_input.as_bytes();
        let ok = match self.alg {
            Alg::Hs256 => check::<Hmac<Sha256>>(secret, input, &self.signature),
            Alg::Hs384 => check::<Hmac<Sha384>>(secret, input, &self.signature),
            Alg::Hs512 => check::<Hmac<Sha512>>(secret, input, &self.signature),
        };
        if !ok {
            return Err(TokenError::BadSignature);
        }
        let c = self.claims;
        if c.exp + CLOCK_SKEW_SECS <= now {
            return Err(TokenError::Expired);
        }
        if let Some(nbf) = c.nbf
            && nbf > now + CLOCK_SKEW_SECS
        {
            return Err(TokenError::NotYetValid(nbf));
        }
        let start = c.nbf.or(c.iat).unwrap_or(now);
        if c.exp.saturating_sub(start) > MAX_LIFETIME_SECS {
            return Err(TokenError::TooLong);
        }
        let voice = c.grants.voice.map(|v| {
            let outgoing = v.outgoing.unwrap_or_default();
            VoiceGrant {
                incoming_allow: v.incoming.is_some_and(|i| i.allow),
                outgoing_application: outgoing
                    .application_sid
                    .and_then(|s| s.parse::<Sid>().ok())
                    .filter(|s| s.kind() == SidKind::Application),
                outgoing_params: outgoing
                    .params
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        (k, v)
                    })
                    .collect(),
            }
        });
        Ok(AccessGrant {
            account: self.account,
            key: self.key,
            identity: c.grants.identity.filter(|i| !i.is_empty()),
            voice,
            expires_at: c.exp,
        })
    }
}

/// Constant-time signature check.
fn check<M: Mac + KeyInit>(secret: &str, input: &[u8], signature: &[u8]) -> bool {
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(input);
    mac.verify_slice(signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "sdk-secret-0123456789abcdef";
    const NOW: u64 = 1_796_612_128;

    fn key() -> Sid {
        Sid::new(SidKind::ApiKey, 0x5c)
    }

    fn account() -> Sid {
        Sid::new(SidKind::Account, 0xac)
    }

    /// A token as twilio-python writes it (header order, compact JSON, HS256).
    fn mint(header: &serde_json::Value, payload: &serde_json::Value, secret: &str) -> String {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let p = URL_SAFE_NO_PAD.encode(payload.to_string());
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{h}.{p}").as_bytes());
        let s = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{h}.{p}.{s}")
    }

    fn header() -> serde_json::Value {
        json!({"alg": "HS256", "typ": "JWT", "cty": "twilio-fpa;v=1"})
    }

    fn payload(nbf: u64, exp: u64) -> serde_json::Value {
        json!({
            "jti": format!("{}-{nbf}", key()),
            "grants": {"identity": "alice", "voice": {
                "incoming": {"allow": true},
                "outgoing": {"application_sid": Sid::new(SidKind::Application, 1).to_string(),
                             "params": {"foo": "bar", "n": 7}}}},
            "iss": key().to_string(), "sub": account().to_string(),
            "nbf": nbf, "exp": exp,
        })
    }

    fn verify(token: &str, secret: &str, now: u64) -> Result<AccessGrant, TokenError> {
        Unverified::parse(token)?.verify(secret, now)
    }

    #[test]
    fn a_helper_library_token_grants_its_voice_grant() {
        let token = mint(&header(), &payload(NOW, NOW + 3600), SECRET);
        let parsed = Unverified::parse(&token).unwrap();
        assert_eq!((parsed.key, parsed.account), (key(), account()));
        let grant = parsed.verify(SECRET, NOW + 10).unwrap();
        assert_eq!(
            grant,
            AccessGrant {
                account: account(),
                key: key(),
                identity: Some("alice".into()),
                voice: Some(VoiceGrant {
                    incoming_allow: true,
                    outgoing_application: Some(Sid::new(SidKind::Application, 1)),
                    outgoing_params: vec![("foo".into(), "bar".into()), ("n".into(), "7".into())],
                }),
                expires_at: NOW + 3600,
            }
        );
    }

    #[test]
    fn each_bad_token_gets_its_code() {
        let good = payload(NOW, NOW + 3600);
        let cases: Vec<(String, u64, u32)> = vec![
            ("not-a-jwt".into(), NOW, 31204),
            ("a.b.c".into(), NOW, 31204),
            (mint(&json!({"alg": "none"}), &good, SECRET), NOW, 31204),
            (mint(&header(), &json!({"iss": 1}), SECRET), NOW, 31204),
            (mint(&header(), &good, "another-secret"), NOW, 31202),
            (
                mint(&header(), &good, SECRET),
                NOW + 3600 + CLOCK_SKEW_SECS,
                31205,
            ),
            (
                mint(&header(), &payload(NOW + 600, NOW + 3600), SECRET),
                NOW,
                31204,
            ),
            (
                mint(&header(), &payload(NOW, NOW + 25 * 3600), SECRET),
                NOW,
                31207,
            ),
            (
                mint(
                    &header(),
                    &json!({"iss": "SKnope", "sub": account().to_string(), "exp": NOW + 60}),
                    SECRET,
                ),
                NOW,
                31204,
            ),
            (
                mint(
                    &header(),
                    &json!({"iss": key().to_string(), "sub": "ACnope", "exp": NOW + 60}),
                    SECRET,
                ),
                NOW,
                31203,
            ),
        ];
        for (token, now, code) in cases {
            let err = verify(&token, SECRET, now).unwrap_err();
            assert_eq!(err.code(), code, "{token}: {err}");
        }
        // A tampered payload fails the signature.
        let token = mint(&header(), &good, SECRET);
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(payload(NOW, NOW + 7200).to_string());
        parts[1] = &forged;
        assert_eq!(
            verify(&parts.join("."), SECRET, NOW),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn skew_and_optional_claims() {
        // nbf slightly ahead of our clock is accepted; no nbf, no grants is fine.
        let token = mint(&header(), &payload(NOW + 10, NOW + 3600), SECRET);
        assert!(verify(&token, SECRET, NOW).is_ok());
        let bare = json!({"iss": key().to_string(), "sub": account().to_string(), "exp": NOW + 60});
        let grant = verify(&mint(&header(), &bare, SECRET), SECRET, NOW).unwrap();
        assert_eq!((grant.identity, grant.voice), (None, None));
    }
}
