//! The `[whatsapp]` settings: which WhatsApp network the connector talks to.
//!
//! `mode = "simulator"` (the default) embeds Dialtone's simulated Meta: the Graph API is this
//! server's own `/sim/graph` and the webhooks come back to its own `/webhooks/whatsapp`, both
//! on 127.0.0.1 and the bound port; the access token, app secret and verify token are
//! generated at start-up unless given, and handed to both sides. `mode = "meta"` talks to
//! Meta's Cloud API: `graph_url` (default `https://graph.facebook.com`), `graph_version`, and
//! the three secrets from the Meta app, all required (exit 2 otherwise). Secrets come from the
//! config file or `DIALTONE_WHATSAPP_*` environment variables, never from flags (command lines
//! are visible to every user), and never appear in `Debug` output or messages.
//!
//! `media_ip` is the address the WebRTC media legs bind and offer as their ICE candidate
//! (default 127.0.0.1, enough for the simulator); with Meta it must be an address Meta's media
//! servers can reach (the host's public IP: Dialtone has no STUN/TURN yet).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use serde::Deserialize;
use url::Url;

use super::ConfigError;

/// Meta's Graph API host.
pub const META_GRAPH_URL: &str = "https://graph.facebook.com";
/// The Graph version used unless configured (calling needs v17.0 or later).
pub const DEFAULT_GRAPH_VERSION: &str = "v24.0";

/// Which WhatsApp network the connector talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WhatsAppMode {
    /// The embedded simulated Meta.
    #[default]
    Simulator,
    /// Meta's Cloud API.
    Meta,
}

impl WhatsAppMode {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "simulator" => Some(Self::Simulator),
            "meta" => Some(Self::Meta),
            _ => None,
        }
    }
}

/// The `[whatsapp]` table of the config file.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppFile {
    /// `simulator` or `meta`.
    pub mode: Option<WhatsAppMode>,
    /// Graph API base URL (meta mode).
    pub graph_url: Option<String>,
    /// Graph version, e.g. `v24.0`.
    pub graph_version: Option<String>,
    /// The system-user access token.
    pub access_token: Option<String>,
    /// The Meta app secret (webhook signatures).
    pub app_secret: Option<String>,
    /// The webhook verify token.
    pub verify_token: Option<String>,
    /// The IP media legs bind and advertise.
    pub media_ip: Option<String>,
}

impl fmt::Debug for WhatsAppFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WhatsAppFile")
            .field("mode", &self.mode)
            .field("graph_url", &self.graph_url)
            .field("graph_version", &self.graph_version)
            .field("media_ip", &self.media_ip)
            .finish_non_exhaustive()
    }
}

/// `DIALTONE_WHATSAPP_*` environment variables (they beat the file).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvWhatsApp {
    /// `DIALTONE_WHATSAPP_MODE`.
    pub mode: Option<String>,
    /// `DIALTONE_WHATSAPP_GRAPH_URL`.
    pub graph_url: Option<String>,
    /// `DIALTONE_WHATSAPP_GRAPH_VERSION`.
    pub graph_version: Option<String>,
    /// `DIALTONE_WHATSAPP_ACCESS_TOKEN`.
    pub access_token: Option<String>,
    /// `DIALTONE_WHATSAPP_APP_SECRET`.
    pub app_secret: Option<String>,
    /// `DIALTONE_WHATSAPP_VERIFY_TOKEN`.
    pub verify_token: Option<String>,
    /// `DIALTONE_WHATSAPP_MEDIA_IP`.
    pub media_ip: Option<String>,
    /// `DIALTONE_SIMULATOR_CONTENT_APPROVAL` (the simulated network's template review).
    pub content_approval: Option<String>,
    /// `DIALTONE_SIMULATOR_CONTENT_APPROVAL_DELAY_SECONDS`.
    pub content_approval_delay_seconds: Option<String>,
}

impl fmt::Debug for EnvWhatsApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvWhatsApp")
            .field("mode", &self.mode)
            .field("graph_url", &self.graph_url)
            .field("graph_version", &self.graph_version)
            .field("media_ip", &self.media_ip)
            .finish_non_exhaustive()
    }
}

impl EnvWhatsApp {
    /// Reads the variables through `var` (non-empty values only).
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            mode: var("DIALTONE_WHATSAPP_MODE"),
            graph_url: var("DIALTONE_WHATSAPP_GRAPH_URL"),
            graph_version: var("DIALTONE_WHATSAPP_GRAPH_VERSION"),
            access_token: var("DIALTONE_WHATSAPP_ACCESS_TOKEN"),
            app_secret: var("DIALTONE_WHATSAPP_APP_SECRET"),
            verify_token: var("DIALTONE_WHATSAPP_VERIFY_TOKEN"),
            media_ip: var("DIALTONE_WHATSAPP_MEDIA_IP"),
            content_approval: var("DIALTONE_SIMULATOR_CONTENT_APPROVAL"),
            content_approval_delay_seconds: var(
                "DIALTONE_SIMULATOR_CONTENT_APPROVAL_DELAY_SECONDS",
            ),
        }
    }
}

/// Validated WhatsApp settings.
#[derive(Clone, PartialEq, Eq)]
pub struct WhatsAppSettings {
    /// Simulator or Meta.
    pub mode: WhatsAppMode,
    /// The Graph base URL; `None` in simulator mode (the server's own `/sim/graph`, known
    /// once bound).
    pub graph_url: Option<Url>,
    /// The Graph version.
    pub graph_version: String,
    /// Given secrets (meta mode: all three); simulator mode generates the missing ones.
    pub access_token: Option<String>,
    /// See [`WhatsAppFile::app_secret`].
    pub app_secret: Option<String>,
    /// See [`WhatsAppFile::verify_token`].
    pub verify_token: Option<String>,
    /// The IP media legs bind and offer as their ICE candidate.
    pub media_ip: IpAddr,
}

impl Default for WhatsAppSettings {
    fn default() -> Self {
        Self {
            mode: WhatsAppMode::Simulator,
            graph_url: None,
            graph_version: DEFAULT_GRAPH_VERSION.to_owned(),
            access_token: None,
            app_secret: None,
            verify_token: None,
            media_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }
}

impl fmt::Debug for WhatsAppSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("WhatsAppSettings")
            .field("mode", &self.mode)
            .field("graph_url", &self.graph_url.as_ref().map(Url::as_str))
            .field("graph_version", &self.graph_version)
            .field("access_token", &shown(&self.access_token))
            .field("app_secret", &shown(&self.app_secret))
            .field("verify_token", &shown(&self.verify_token))
            .field("media_ip", &self.media_ip)
            .finish()
    }
}

/// Merges the mode flag, the environment and the file, and validates.
pub fn resolve(
    mode_flag: Option<&str>,
    env: EnvWhatsApp,
    file: WhatsAppFile,
) -> Result<WhatsAppSettings, ConfigError> {
    let mode = match mode_flag.map(str::to_owned).or(env.mode) {
        Some(text) => WhatsAppMode::parse(&text).ok_or(ConfigError::Invalid {
            setting: "--whatsapp-mode / DIALTONE_WHATSAPP_MODE / whatsapp.mode",
            value: text,
            why: "expected simulator or meta",
        })?,
        None => file.mode.unwrap_or_default(),
    };
    let graph_url = env.graph_url.or(file.graph_url);
    let graph_url = match (mode, graph_url) {
        (WhatsAppMode::Simulator, Some(_)) => {
            return Err(ConfigError::WhatsAppSimulatorUrl);
        }
        (WhatsAppMode::Simulator, None) => None,
        (WhatsAppMode::Meta, text) => {
            let text = text.unwrap_or_else(|| META_GRAPH_URL.to_owned());
            let parsed = Url::parse(&text)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            Some(parsed.ok_or(ConfigError::Invalid {
                setting: "DIALTONE_WHATSAPP_GRAPH_URL / whatsapp.graph_url",
                value: text,
                why: "expected an absolute http:// or https:// URL",
            })?)
        }
    };
    let graph_version = env
        .graph_version
        .or(file.graph_version)
        .unwrap_or_else(|| DEFAULT_GRAPH_VERSION.to_owned());
    if !is_version(&graph_version) {
        return Err(ConfigError::Invalid {
            setting: "DIALTONE_WHATSAPP_GRAPH_VERSION / whatsapp.graph_version",
            value: graph_version,
            why: "expected v<major>.<minor>, e.g. v24.0",
        });
    }
    let secret = |setting: &'static str, value: Option<String>| match value {
        Some(v) if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Err(ConfigError::Invalid {
                setting,
                value: format!("<{} characters>", v.chars().count()),
                why: "expected a non-empty value without spaces",
            })
        }
        other => Ok(other),
    };
    let access_token = secret(
        "DIALTONE_WHATSAPP_ACCESS_TOKEN / whatsapp.access_token",
        env.access_token.or(file.access_token),
    )?;
    let app_secret = secret(
        "DIALTONE_WHATSAPP_APP_SECRET / whatsapp.app_secret",
        env.app_secret.or(file.app_secret),
    )?;
    let verify_token = secret(
        "DIALTONE_WHATSAPP_VERIFY_TOKEN / whatsapp.verify_token",
        env.verify_token.or(file.verify_token),
    )?;
    if mode == WhatsAppMode::Meta {
        let missing: Vec<&'static str> = [
            ("access_token", access_token.is_none()),
            ("app_secret", app_secret.is_none()),
            ("verify_token", verify_token.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        if !missing.is_empty() {
            return Err(ConfigError::WhatsAppMetaSecrets(missing.join(", ")));
        }
    }
    let media_ip = match env.media_ip.or(file.media_ip) {
        None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(text) => text
            .parse::<IpAddr>()
            .ok()
            .filter(|ip| !ip.is_unspecified() && !ip.is_multicast())
            .ok_or(ConfigError::Invalid {
                setting: "DIALTONE_WHATSAPP_MEDIA_IP / whatsapp.media_ip",
                value: text,
                why: "expected one unicast IP address of this host (it is the ICE candidate; \
                      0.0.0.0 cannot be offered)",
            })?,
    };
    Ok(WhatsAppSettings {
        mode,
        graph_url,
        graph_version,
        access_token,
        app_secret,
        verify_token,
        media_ip,
    })
}

fn is_version(version: &str) -> bool {
    let Some((major, minor)) = version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
    else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvWhatsApp {
        EnvWhatsApp::read(|name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn simulator_is_the_default_and_needs_nothing() {
        let s = resolve(None, EnvWhatsApp::default(), WhatsAppFile::default()).unwrap();
        assert_eq!(s, WhatsAppSettings::default());
        assert_eq!(s.graph_version, "v24.0");
    }

    #[test]
    fn meta_mode_takes_everything_and_env_beats_file() {
        let file = WhatsAppFile {
            mode: Some(WhatsAppMode::Meta),
            graph_version: Some("v23.0".into()),
            access_token: Some("file-token".into()),
            app_secret: Some("file-secret".into()),
            verify_token: Some("file-verify".into()),
            ..WhatsAppFile::default()
        };
        let s = resolve(
            None,
            env(&[("DIALTONE_WHATSAPP_ACCESS_TOKEN", "env-token")]),
            file,
        )
        .unwrap();
        assert_eq!(s.mode, WhatsAppMode::Meta);
        assert_eq!(
            s.graph_url.as_ref().map(Url::as_str),
            Some("https://graph.facebook.com/")
        );
        assert_eq!(s.graph_version, "v23.0");
        assert_eq!(s.access_token.as_deref(), Some("env-token"));
        assert_eq!(s.app_secret.as_deref(), Some("file-secret"));
        assert_eq!(s.verify_token.as_deref(), Some("file-verify"));
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("env-token") && !shown.contains("file-secret"),
            "{shown}"
        );
    }

    #[test]
    fn meta_mode_without_secrets_is_refused() {
        let e = resolve(
            Some("meta"),
            EnvWhatsApp::default(),
            WhatsAppFile::default(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "whatsapp.mode = \"meta\" needs access_token, app_secret, verify_token \
             (DIALTONE_WHATSAPP_ACCESS_TOKEN, DIALTONE_WHATSAPP_APP_SECRET, \
             DIALTONE_WHATSAPP_VERIFY_TOKEN or the [whatsapp] table)"
        );
        let e = resolve(
            None,
            env(&[
                ("DIALTONE_WHATSAPP_MODE", "meta"),
                ("DIALTONE_WHATSAPP_APP_SECRET", "s"),
            ]),
            WhatsAppFile::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("needs access_token, verify_token "), "{e}");
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |flag: Option<&str>, pairs: &[(&str, &str)]| {
            resolve(flag, env(pairs), WhatsAppFile::default())
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            bad(Some("facebook"), &[]),
            "invalid --whatsapp-mode / DIALTONE_WHATSAPP_MODE / whatsapp.mode \"facebook\": \
             expected simulator or meta"
        );
        assert!(
            bad(None, &[("DIALTONE_WHATSAPP_GRAPH_VERSION", "24")])
                .starts_with("invalid DIALTONE_WHATSAPP_GRAPH_VERSION")
        );
        assert_eq!(
            bad(
                None,
                &[("DIALTONE_WHATSAPP_GRAPH_URL", "https://graph.example")]
            ),
            "whatsapp.graph_url applies to mode = \"meta\" only: the simulator is this server's \
             own /sim/graph"
        );
        let e = bad(
            Some("meta"),
            &[
                ("DIALTONE_WHATSAPP_GRAPH_URL", "graph.facebook.com"),
                ("DIALTONE_WHATSAPP_ACCESS_TOKEN", "t"),
                ("DIALTONE_WHATSAPP_APP_SECRET", "s"),
                ("DIALTONE_WHATSAPP_VERIFY_TOKEN", "v"),
            ],
        );
        assert!(e.starts_with("invalid DIALTONE_WHATSAPP_GRAPH_URL"), "{e}");
        let e = bad(None, &[("DIALTONE_WHATSAPP_APP_SECRET", "has space")]);
        assert_eq!(
            e,
            "invalid DIALTONE_WHATSAPP_APP_SECRET / whatsapp.app_secret \"<9 characters>\": \
             expected a non-empty value without spaces"
        );
    }

    #[test]
    fn media_ip_is_loopback_unless_given_and_must_be_offerable() {
        let s = resolve(None, EnvWhatsApp::default(), WhatsAppFile::default()).unwrap();
        assert_eq!(s.media_ip, IpAddr::V4(Ipv4Addr::LOCALHOST));
        let file = WhatsAppFile {
            media_ip: Some("203.0.113.7".into()),
            ..WhatsAppFile::default()
        };
        let s = resolve(None, EnvWhatsApp::default(), file.clone()).unwrap();
        assert_eq!(s.media_ip, "203.0.113.7".parse::<IpAddr>().unwrap());
        let s = resolve(
            None,
            env(&[("DIALTONE_WHATSAPP_MEDIA_IP", "2001:db8::5")]),
            file,
        )
        .unwrap();
        assert_eq!(s.media_ip, "2001:db8::5".parse::<IpAddr>().unwrap());
        for bad in ["0.0.0.0", "::", "224.0.0.1", "example.com"] {
            let e = resolve(
                None,
                env(&[("DIALTONE_WHATSAPP_MEDIA_IP", bad)]),
                WhatsAppFile::default(),
            )
            .unwrap_err()
            .to_string();
            assert_eq!(
                e,
                format!(
                    "invalid DIALTONE_WHATSAPP_MEDIA_IP / whatsapp.media_ip {bad:?}: expected one \
                     unicast IP address of this host (it is the ICE candidate; 0.0.0.0 cannot be \
                     offered)"
                )
            );
        }
    }

    #[test]
    fn the_table_rejects_unknown_keys() {
        let e = toml::from_str::<WhatsAppFile>("mode = \"meta\"\ngraph_uri = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `graph_uri`"), "{e}");
        assert!(toml::from_str::<WhatsAppFile>("mode = \"metta\"\n").is_err());
    }
}
