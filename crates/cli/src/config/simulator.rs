//! The `[simulator]` settings: how the simulated WhatsApp reviews Content templates.
//!
//! `content_approval` is the verdict on every WhatsApp approval request (`approved`, the
//! default, or `rejected`), shown `content_approval_delay_seconds` after the request (default
//! 2; the request reads `pending` until then). Environment variables
//! `DIALTONE_SIMULATOR_CONTENT_APPROVAL` and `DIALTONE_SIMULATOR_CONTENT_APPROVAL_DELAY_SECONDS`
//! beat the file. In meta mode Meta decides and these settings do not apply.

use std::time::Duration;

use dialtone_api::SimulatedVerdict;
use serde::Deserialize;

use super::{ConfigError, EnvWhatsApp};

/// Default delay before the simulator's verdict shows.
pub const DEFAULT_APPROVAL_DELAY_SECONDS: u64 = 2;
/// Longest delay accepted (Meta's review takes up to 48 hours).
const MAX_APPROVAL_DELAY_SECONDS: u64 = 172_800;

/// The `[simulator]` table of the config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorFile {
    /// `approved` or `rejected`.
    pub content_approval: Option<String>,
    /// Seconds until the verdict shows.
    pub content_approval_delay_seconds: Option<u64>,
}

/// The delay setting, for messages.
const DELAY: &str = "DIALTONE_SIMULATOR_CONTENT_APPROVAL_DELAY_SECONDS / \
                     simulator.content_approval_delay_seconds";

/// Validated simulator settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatorSettings {
    /// The verdict on approval requests.
    pub content_approval: SimulatedVerdict,
    /// When it shows.
    pub content_approval_delay: Duration,
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        Self {
            content_approval: SimulatedVerdict::Approved,
            content_approval_delay: Duration::from_secs(DEFAULT_APPROVAL_DELAY_SECONDS),
        }
    }
}

/// Merges the environment (read with the `[whatsapp]` variables) and the file, and validates.
pub fn resolve(env: &EnvWhatsApp, file: SimulatorFile) -> Result<SimulatorSettings, ConfigError> {
    let verdict = match env.content_approval.clone().or(file.content_approval) {
        None => SimulatedVerdict::Approved,
        Some(text) => match text.as_str() {
            "approved" => SimulatedVerdict::Approved,
            "rejected" => SimulatedVerdict::Rejected,
            _ => {
                return Err(ConfigError::Invalid {
                    setting: "DIALTONE_SIMULATOR_CONTENT_APPROVAL / simulator.content_approval",
                    value: text,
                    why: "expected approved or rejected",
                });
            }
        },
    };
    let seconds = match env.content_approval_delay_seconds.clone() {
        Some(text) => text.parse::<u64>().map_err(|_| ConfigError::Invalid {
            setting: DELAY,
            value: text.clone(),
            why: "expected whole seconds from 0 to 172800",
        })?,
        None => file
            .content_approval_delay_seconds
            .unwrap_or(DEFAULT_APPROVAL_DELAY_SECONDS),
    };
    if seconds > MAX_APPROVAL_DELAY_SECONDS {
        return Err(ConfigError::Invalid {
            setting: DELAY,
            value: seconds.to_string(),
            why: "expected whole seconds from 0 to 172800",
        });
    }
    Ok(SimulatorSettings {
        content_approval: verdict,
        content_approval_delay: Duration::from_secs(seconds),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> EnvWhatsApp {
        EnvWhatsApp::default()
    }

    #[test]
    fn defaults_env_and_file() {
        assert_eq!(
            resolve(&none(), SimulatorFile::default()).unwrap(),
            SimulatorSettings::default()
        );
        let file = SimulatorFile {
            content_approval: Some("rejected".into()),
            content_approval_delay_seconds: Some(0),
        };
        let s = resolve(&none(), file.clone()).unwrap();
        assert_eq!(s.content_approval, SimulatedVerdict::Rejected);
        assert_eq!(s.content_approval_delay, Duration::ZERO);
        let env = EnvWhatsApp {
            content_approval: Some("approved".to_owned()),
            content_approval_delay_seconds: Some("7".to_owned()),
            ..EnvWhatsApp::default()
        };
        let s = resolve(&env, file).unwrap();
        assert_eq!(s.content_approval, SimulatedVerdict::Approved);
        assert_eq!(s.content_approval_delay, Duration::from_secs(7));
    }

    #[test]
    fn the_table_parses() {
        let file: crate::config::FileConfig = toml::from_str(
            "[simulator]\ncontent_approval = \"rejected\"\ncontent_approval_delay_seconds = 5\n",
        )
        .unwrap();
        assert_eq!(
            file.simulator,
            Some(SimulatorFile {
                content_approval: Some("rejected".into()),
                content_approval_delay_seconds: Some(5),
            })
        );
        assert!(toml::from_str::<crate::config::FileConfig>("[simulator]\ndelay = 1\n").is_err());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let file = SimulatorFile {
            content_approval: Some("maybe".into()),
            content_approval_delay_seconds: None,
        };
        assert_eq!(
            resolve(&none(), file).unwrap_err().to_string(),
            "invalid DIALTONE_SIMULATOR_CONTENT_APPROVAL / simulator.content_approval \
             \"maybe\": expected approved or rejected"
        );
        let file = SimulatorFile {
            content_approval: None,
            content_approval_delay_seconds: Some(172_801),
        };
        assert!(
            resolve(&none(), file)
                .unwrap_err()
                .to_string()
                .contains("expected whole seconds from 0 to 172800")
        );
        let env = EnvWhatsApp {
            content_approval_delay_seconds: Some("-1".to_owned()),
            ..EnvWhatsApp::default()
        };
        assert!(resolve(&env, SimulatorFile::default()).is_err());
    }
}
