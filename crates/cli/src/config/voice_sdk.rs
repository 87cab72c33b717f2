//! `[voice_sdk]` and `[security]`: the Voice SDK's TLS listener and the key that seals API key
//! secrets.
//!
//! The SDK always connects to `wss://{chunderw}/signal`, so the signalling needs TLS:
//! `--sdk-listen` serves the whole API on a second, TLS, address, with the configured
//! certificate or, without one, a self-signed one for `localhost` and `127.0.0.1` made at start
//! (browsers must be told to trust it; fine for development and tests).
//!
//! API key secrets are sealed with `[security] secret_key` (64 hex digits) or
//! `DIALTONE_SECRET_KEY`; without either, a key is generated once and kept in
//! `{data_dir}/secret.key` (mode 0600), which suits the simulator default. Losing the key only
//! loses the ability to verify tokens signed by existing keys (create new keys); Basic auth
//! keeps working.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use super::ConfigError;

/// The `[voice_sdk]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceSdkFile {
    /// See [`super::ServeArgs::sdk_listen`].
    pub listen: Option<String>,
    /// PEM certificate chain for the TLS listener.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for the TLS listener.
    pub tls_key: Option<PathBuf>,
}

/// The `[security]` table.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityFile {
    /// 64 hex digits (`DIALTONE_SECRET_KEY` wins).
    pub secret_key: Option<String>,
}

impl std::fmt::Debug for SecurityFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityFile").finish_non_exhaustive()
    }
}

/// The resolved settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoiceSdkSettings {
    /// The TLS listener, if any.
    pub listen: Option<SocketAddr>,
    /// Certificate and key files; `None`: self-signed.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The configured secret key; `None`: `{data_dir}/secret.key`.
    pub secret_key: Option<dialtone_store::SecretKey>,
}

pub(super) fn resolve(
    listen_flag: Option<&str>,
    file: Option<VoiceSdkFile>,
    security: Option<SecurityFile>,
    env_secret: Option<String>,
) -> Result<VoiceSdkSettings, ConfigError> {
    let file = file.unwrap_or_default();
    let listen = listen_flag
        .map(str::to_owned)
        .or(file.listen)
        .map(|text| {
            text.parse::<SocketAddr>()
                .map_err(|_| ConfigError::Invalid {
                    setting: "--sdk-listen / DIALTONE_SDK_LISTEN / [voice_sdk] listen",
                    value: text,
                    why: "expected IP:PORT, e.g. 127.0.0.1:8443",
                })
        })
        .transpose()?;
    let tls = match (file.tls_cert, file.tls_key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => {
            return Err(ConfigError::Invalid {
                setting: "[voice_sdk] tls_cert / tls_key",
                value: String::new(),
                why: "give both the certificate and the key, or neither (self-signed)",
            });
        }
    };
    let secret_key = env_secret
        .or(security.unwrap_or_default().secret_key)
        .map(|hex| {
            dialtone_store::SecretKey::from_hex(&hex).ok_or(ConfigError::Invalid {
                setting: "DIALTONE_SECRET_KEY / [security] secret_key",
                value: "(hidden)".to_owned(),
                why: "expected 64 hex digits (32 random bytes), e.g. from `openssl rand -hex 32`",
            })
        })
        .transpose()?;
    Ok(VoiceSdkSettings {
        listen,
        tls,
        secret_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_and_refuses_bad_values() {
        let s = resolve(Some("127.0.0.1:0"), None, None, Some("ab".repeat(32))).unwrap();
        assert_eq!(s.listen, Some("127.0.0.1:0".parse().unwrap()));
        assert!(s.secret_key.is_some() && s.tls.is_none());
        assert!(resolve(Some("nope"), None, None, None).is_err());
        assert!(resolve(None, None, None, Some("12".into())).is_err());
        let half = VoiceSdkFile {
            tls_cert: Some("c.pem".into()),
            ..VoiceSdkFile::default()
        };
        assert!(resolve(None, Some(half), None, None).is_err());
    }
}
