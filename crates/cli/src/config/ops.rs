//! What an operator tunes for load and observation: `[limits]` (per-account calls per
//! second, Twilio's CPS) and `[metrics]` (where `/metrics` is served).
//!
//! Without `[limits] calls_per_second` REST creates are not paced (the server's global
//! admission bound, `max_call_requests`, still applies): pacing at Twilio's default of 1 CPS
//! would surprise a self-hosted deployment and every benchmark.

use std::net::SocketAddr;
use std::num::NonZeroU32;

use serde::Deserialize;

use super::ConfigError;

/// Calls that may wait for their CPS turn per account when `queue` is not set.
pub const DEFAULT_CPS_QUEUE: usize = 1000;
/// Highest `calls_per_second` accepted.
const MAX_CPS: u32 = 100_000;
/// Largest per-account queue accepted.
const MAX_QUEUE: usize = 1_000_000;

/// The `[limits]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    /// REST-created calls started per second per account (default: not paced).
    pub calls_per_second: Option<u32>,
    /// Calls that may wait for their turn per account (default 1000); one more is 429.
    pub queue: Option<usize>,
}

/// The `[metrics]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsFile {
    /// Serve `/metrics` at all (default true).
    pub enabled: Option<bool>,
    /// Serve it on this address instead of the API's port (e.g. `127.0.0.1:9090`).
    pub listen: Option<String>,
}

/// Where `/metrics` is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsSettings {
    /// Not at all (404).
    Disabled,
    /// On the API's port (the default).
    MainPort,
    /// On a listener of its own (and 404 on the API's port).
    Listen(SocketAddr),
}

/// The CPS limit of `[limits]`, if any.
pub(super) fn cps(
    file: Option<LimitsFile>,
) -> Result<Option<dialtone_runtime::CpsLimit>, ConfigError> {
    let file = file.unwrap_or_default();
    let queue = match file.queue {
        None => DEFAULT_CPS_QUEUE,
        Some(n) if (1..=MAX_QUEUE).contains(&n) => n,
        Some(n) => {
            return Err(ConfigError::Invalid {
                setting: "limits.queue",
                value: n.to_string(),
                why: "expected a whole number from 1 to 1000000",
            });
        }
    };
    match file.calls_per_second {
        None => Ok(None),
        Some(n) if (1..=MAX_CPS).contains(&n) => Ok(Some(dialtone_runtime::CpsLimit {
            calls_per_second: NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN),
            queue,
        })),
        Some(n) => Err(ConfigError::Invalid {
            setting: "limits.calls_per_second",
            value: n.to_string(),
            why: "expected a whole number from 1 to 100000",
        }),
    }
}

/// Where `[metrics]` says `/metrics` is served.
pub(super) fn metrics(file: Option<MetricsFile>) -> Result<MetricsSettings, ConfigError> {
    let file = file.unwrap_or_default();
    if file.enabled == Some(false) {
        return Ok(MetricsSettings::Disabled);
    }
    match file.listen {
        None => Ok(MetricsSettings::MainPort),
        Some(text) => text
            .parse()
            .map(MetricsSettings::Listen)
            .map_err(|_| ConfigError::Invalid {
                setting: "metrics.listen",
                value: text,
                why: "expected IP:PORT, e.g. 127.0.0.1:9090",
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cps_is_off_unless_configured_and_bounded() {
        assert_eq!(cps(None).unwrap(), None);
        let limit = cps(Some(LimitsFile {
            calls_per_second: Some(2),
            queue: None,
        }))
        .unwrap()
        .unwrap();
        assert_eq!((limit.calls_per_second.get(), limit.queue), (2, 1000));
        for (calls_per_second, queue) in
            [(Some(0), None), (Some(100_001), None), (Some(1), Some(0))]
        {
            let e = cps(Some(LimitsFile {
                calls_per_second,
                queue,
            }))
            .unwrap_err();
            assert!(e.to_string().starts_with("invalid limits."), "{e}");
        }
    }

    #[test]
    fn metrics_default_to_the_main_port() {
        assert_eq!(metrics(None).unwrap(), MetricsSettings::MainPort);
        let off = MetricsFile {
            enabled: Some(false),
            listen: Some("127.0.0.1:9090".into()),
        };
        assert_eq!(metrics(Some(off)).unwrap(), MetricsSettings::Disabled);
        let own = MetricsFile {
            enabled: None,
            listen: Some("127.0.0.1:9090".into()),
        };
        assert_eq!(
            metrics(Some(own)).unwrap(),
            MetricsSettings::Listen("127.0.0.1:9090".parse().unwrap())
        );
        let bad = MetricsFile {
            enabled: None,
            listen: Some("nine".into()),
        };
        assert!(metrics(Some(bad)).is_err());
    }
}
