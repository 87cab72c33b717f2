//! Connection overrides: the `#ct=..&rt=..&tt=..&rc=..&rp=..&sni=..&e=..` fragment.
//!
//! Twilio lets an application tune timeouts and retries of one webhook URL by appending a
//! fragment to it. The fragment is never sent to the server and never signed, so a configured
//! URL is split into the URL to request (and sign) and typed [`ConnectionOverrides`].
//!
//! Twilio documents the ranges but not what happens outside them; Dialtone **clamps** a number
//! outside its range to the nearest bound and ignores a value that is not a number, an unknown
//! key, an unknown edge or a bad `sni` (each kept as an [`OverrideNote`] the engine can log as a
//! warning), so that a typo never breaks a call. The one documented failure, an invalid retry
//! policy `rp`, is an error carrying Twilio code 11243. Whatever the overrides, no call-processing
//! request may take longer than [`HARD_CAP`] (15 s).

use std::fmt;
use std::time::Duration;

use dialtone_types::TwilioCode;

use crate::url_text;

/// No call-processing HTTP request may take longer than this, whatever the overrides say.
pub const HARD_CAP: Duration = Duration::from_secs(15);

/// Edges Twilio names; Dialtone has none of its own, so they are kept only for reporting.
const EDGES: [&str; 8] = [
    "ashburn",
    "dublin",
    "frankfurt",
    "sao-paulo",
    "singapore",
    "sydney",
    "tokyo",
    "umatilla",
];

/// Which failures are retried (`rp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RetryPolicy {
    /// `ct`: TCP connect or TLS handshake failures.
    pub connect: bool,
    /// `rt`: read timeouts.
    pub read: bool,
    /// `4xx`: client-error responses.
    pub status_4xx: bool,
    /// `5xx`: server-error responses.
    pub status_5xx: bool,
}

impl Default for RetryPolicy {
    /// Twilio's default: retry connection failures only.
    fn default() -> Self {
        Self {
            connect: true,
            read: false,
            status_4xx: false,
            status_5xx: false,
        }
    }
}

impl RetryPolicy {
    /// Parses a comma list of `4xx`, `5xx`, `ct`, `rt`, `all` (any ASCII case).
    pub fn parse(list: &str) -> Result<Self, OverrideError> {
        let invalid = || OverrideError::InvalidRetryPolicy {
            value: list.to_owned(),
        };
        let mut policy = Self {
            connect: false,
            read: false,
            status_4xx: false,
            status_5xx: false,
        };
        for item in list.split(',').map(str::trim) {
            match item.to_ascii_lowercase().as_str() {
                "ct" => policy.connect = true,
                "rt" => policy.read = true,
                "4xx" => policy.status_4xx = true,
                "5xx" => policy.status_5xx = true,
                "all" => {
                    policy = Self {
                        connect: true,
                        read: true,
                        status_4xx: true,
                        status_5xx: true,
                    };
                }
                _ => return Err(invalid()),
            }
        }
        Ok(policy)
    }

    /// Whether this policy retries after `trigger`.
    pub const fn covers(self, trigger: RetryTrigger) -> bool {
        match trigger {
            RetryTrigger::Connect => self.connect,
            RetryTrigger::ReadTimeout => self.read,
            RetryTrigger::Status4xx => self.status_4xx,
            RetryTrigger::Status5xx => self.status_5xx,
        }
    }
}

/// What made an attempt fail, in retry-policy terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryTrigger {
    /// The TCP connection or TLS handshake failed or timed out (`ct`).
    Connect,
    /// The server accepted the connection but did not answer in time (`rt`).
    ReadTimeout,
    /// A 4xx response (`4xx`).
    Status4xx,
    /// A 5xx response (`5xx`).
    Status5xx,
}

/// Something in the fragment that was adjusted or ignored rather than refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideNote {
    /// A number outside its range, replaced by the nearest bound.
    Clamped {
        /// The key (`ct`, `rt`, `tt`, `rc`).
        key: &'static str,
        /// The value given (saturated at `u64::MAX`).
        given: u64,
        /// The value used.
        used: u64,
    },
    /// A value that is not a decimal number; the default is used.
    NotANumber {
        /// The key.
        key: &'static str,
        /// The value given.
        value: String,
    },
    /// `sni` other than `y`/`n`; the default `y` is used.
    InvalidSni {
        /// The value given.
        value: String,
    },
    /// An edge Twilio does not name; ignored.
    UnknownEdge {
        /// The edge given.
        value: String,
    },
    /// A key that is not an override; ignored.
    UnknownKey {
        /// The key given.
        key: String,
    },
}

impl fmt::Display for OverrideNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Clamped { key, given, used } => {
                write!(
                    f,
                    "connection override {key}={given} is out of range; using {used}"
                )
            }
            Self::NotANumber { key, value } => {
                write!(
                    f,
                    "connection override {key}={value:?} is not a number; using the default"
                )
            }
            Self::InvalidSni { value } => {
                write!(
                    f,
                    "connection override sni={value:?} is not y or n; using y"
                )
            }
            Self::UnknownEdge { value } => write!(f, "unknown edge {value:?} ignored"),
            Self::UnknownKey { key } => write!(f, "unknown connection override {key:?} ignored"),
        }
    }
}

/// A fragment Twilio would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// `rp` names something other than `4xx`, `5xx`, `ct`, `rt`, `all`.
    #[error(
        "invalid connection-override retry policy rp={value:?} (allowed: 4xx, 5xx, ct, rt, all)"
    )]
    InvalidRetryPolicy {
        /// The `rp` value given.
        value: String,
    },
}

impl OverrideError {
    /// The Twilio code for the notification.
    pub const fn code(&self) -> TwilioCode {
        match self {
            Self::InvalidRetryPolicy { .. } => TwilioCode::INVALID_RETRY_POLICY,
        }
    }
}

/// The timeouts and retries for one webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionOverrides {
    /// TCP connect timeout per attempt (`ct`, 100–10000 ms, default 5000).
    pub connect_timeout: Duration,
    /// Time to wait for the response once connected (`rt`, 100–15000 ms, default 15000).
    pub read_timeout: Duration,
    /// Time for the whole webhook, retries included (`tt`, 100–15000 ms, default 15000).
    pub total_timeout: Duration,
    /// Retries after the first attempt (`rc`, 0–5, default 1).
    pub retry_count: u8,
    /// Which failures are retried (`rp`, default `ct`).
    pub retry_policy: RetryPolicy,
    /// Send TLS SNI (`sni`, default `y`).
    pub sni: bool,
    /// Edges named by `e` (default `ashburn`); recorded only, Dialtone has no edges.
    pub edges: Vec<String>,
    /// What was clamped or ignored while parsing.
    pub notes: Vec<OverrideNote>,
}

impl Default for ConnectionOverrides {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(15),
            total_timeout: Duration::from_secs(15),
            retry_count: 1,
            retry_policy: RetryPolicy::default(),
            sni: true,
            edges: vec!["ashburn".to_owned()],
            notes: Vec::new(),
        }
    }
}

impl ConnectionOverrides {
    /// Parses a fragment (without the `#`); later repetitions of a key win.
    pub fn parse(fragment: &str) -> Result<Self, OverrideError> {
        let mut overrides = Self::default();
        for (key, value) in form_urlencoded::parse(fragment.as_bytes()) {
            let value = value.trim();
            match key.as_ref() {
                "ct" => {
                    overrides.connect_timeout = overrides.millis("ct", value, 100, 10_000, 5000);
                }
                "rt" => overrides.read_timeout = overrides.millis("rt", value, 100, 15_000, 15_000),
                "tt" => {
                    overrides.total_timeout = overrides.millis("tt", value, 100, 15_000, 15_000);
                }
                "rc" => {
                    // The range 0–5 always fits in a u8.
                    overrides.retry_count =
                        u8::try_from(overrides.number("rc", value, 0, 5, 1)).unwrap_or(5);
                }
                "rp" => overrides.retry_policy = RetryPolicy::parse(value)?,
                "sni" => match value {
                    "y" | "Y" => overrides.sni = true,
                    "n" | "N" => overrides.sni = false,
                    _ => overrides.notes.push(OverrideNote::InvalidSni {
                        value: value.to_owned(),
                    }),
                },
                "e" => overrides.edges = overrides.parse_edges(value),
                "" if value.is_empty() => {}
                other => overrides.notes.push(OverrideNote::UnknownKey {
                    key: other.to_owned(),
                }),
            }
        }
        Ok(overrides)
    }

    /// The deadline for the whole webhook, retries included: `tt`, never above [`HARD_CAP`].
    pub fn deadline(&self) -> Duration {
        self.total_timeout.min(HARD_CAP)
    }

    /// How long to wait for a response on one connection: `rt`, never beyond the deadline.
    pub fn effective_read_timeout(&self) -> Duration {
        self.read_timeout.min(self.deadline())
    }

    /// Whether to try again after `failed_attempts` attempts (1 after the first failure) when
    /// the latest failed because of `trigger`. The caller also stops at [`Self::deadline`].
    pub fn should_retry(&self, trigger: RetryTrigger, failed_attempts: u32) -> bool {
        failed_attempts >= 1
            && failed_attempts <= u32::from(self.retry_count)
            && self.retry_policy.covers(trigger)
    }

    fn millis(
        &mut self,
        key: &'static str,
        value: &str,
        min: u64,
        max: u64,
        default: u64,
    ) -> Duration {
        Duration::from_millis(self.number(key, value, min, max, default))
    }

    fn number(&mut self, key: &'static str, value: &str, min: u64, max: u64, default: u64) -> u64 {
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
            self.notes.push(OverrideNote::NotANumber {
                key,
                value: value.to_owned(),
            });
            return default;
        }
        // All digits: parsing fails only on overflow, which is above any range.
        let given = value.parse::<u64>().unwrap_or(u64::MAX);
        let used = given.clamp(min, max);
        if used != given {
            self.notes.push(OverrideNote::Clamped { key, given, used });
        }
        used
    }

    fn parse_edges(&mut self, list: &str) -> Vec<String> {
        let mut edges = Vec::new();
        for edge in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let lower = edge.to_ascii_lowercase();
            let interconnect = lower.strip_suffix("-ix").is_some_and(|name| {
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            });
            if EDGES.contains(&lower.as_str()) || interconnect {
                edges.push(lower);
            } else {
                self.notes.push(OverrideNote::UnknownEdge {
                    value: edge.to_owned(),
                });
            }
        }
        if edges.is_empty() {
            Self::default().edges
        } else {
            edges
        }
    }
}

/// Splits a configured webhook URL into the URL to request and sign (everything before the
/// first `#`) and its connection overrides (defaults when there is no fragment).
pub fn split_configured_url(
    configured: &str,
) -> Result<(&str, ConnectionOverrides), OverrideError> {
    let (url, fragment) = url_text::split_fragment(configured);
    let overrides = match fragment {
        Some(fragment) => ConnectionOverrides::parse(fragment)?,
        None => ConnectionOverrides::default(),
    };
    Ok((url, overrides))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: u64) -> Duration {
        Duration::from_millis(value)
    }

    #[test]
    fn no_fragment_means_twilio_defaults() {
        let (url, o) = split_configured_url("https://app.test/voice?x=1").unwrap();
        assert_eq!(url, "https://app.test/voice?x=1");
        assert_eq!(o.connect_timeout, ms(5000));
        assert_eq!(o.read_timeout, ms(15000));
        assert_eq!(o.total_timeout, ms(15000));
        assert_eq!(o.retry_count, 1);
        assert_eq!(
            o.retry_policy,
            RetryPolicy {
                connect: true,
                read: false,
                status_4xx: false,
                status_5xx: false
            }
        );
        assert!(o.sni);
        assert_eq!(o.edges, ["ashburn"]);
        assert_eq!(o.notes, []);
        assert_eq!(o.deadline(), HARD_CAP);
    }

    #[test]
    fn every_key_is_parsed() {
        let (url, o) =
            split_configured_url("https://app.test/voice#ct=1000&rt=5000&tt=8000&rc=3&rp=ct,rt&sni=n&e=dublin,ashburn-ix")
                .unwrap();
        assert_eq!(url, "https://app.test/voice");
        assert_eq!(o.connect_timeout, ms(1000));
        assert_eq!(o.read_timeout, ms(5000));
        assert_eq!(o.total_timeout, ms(8000));
        assert_eq!(o.deadline(), ms(8000));
        assert_eq!(o.retry_count, 3);
        assert_eq!(
            o.retry_policy,
            RetryPolicy {
                connect: true,
                read: true,
                status_4xx: false,
                status_5xx: false
            }
        );
        assert!(!o.sni);
        assert_eq!(o.edges, ["dublin", "ashburn-ix"]);
        assert_eq!(o.notes, []);
    }

    #[test]
    fn encoded_fragment_values_are_decoded() {
        let (_, o) = split_configured_url("https://app.test/#rp=4xx%2C5xx").unwrap();
        assert_eq!(
            o.retry_policy,
            RetryPolicy {
                connect: false,
                read: false,
                status_4xx: true,
                status_5xx: true
            }
        );
        let (_, o) = split_configured_url("https://app.test/#rp=all").unwrap();
        assert_eq!(
            o.retry_policy,
            RetryPolicy {
                connect: true,
                read: true,
                status_4xx: true,
                status_5xx: true
            }
        );
    }

    #[test]
    fn out_of_range_numbers_are_clamped() {
        let (_, o) = split_configured_url(
            "https://app.test/#ct=50&rt=20000&tt=99999999999999999999999&rc=9",
        )
        .unwrap();
        assert_eq!(o.connect_timeout, ms(100));
        assert_eq!(o.read_timeout, ms(15000));
        assert_eq!(o.total_timeout, ms(15000));
        assert_eq!(o.retry_count, 5);
        assert_eq!(
            o.notes,
            [
                OverrideNote::Clamped {
                    key: "ct",
                    given: 50,
                    used: 100
                },
                OverrideNote::Clamped {
                    key: "rt",
                    given: 20000,
                    used: 15000
                },
                OverrideNote::Clamped {
                    key: "tt",
                    given: u64::MAX,
                    used: 15000
                },
                OverrideNote::Clamped {
                    key: "rc",
                    given: 9,
                    used: 5
                },
            ]
        );
        assert_eq!(
            o.notes[0].to_string(),
            "connection override ct=50 is out of range; using 100"
        );
    }

    #[test]
    fn bad_values_and_unknown_keys_are_ignored_with_a_note() {
        let (_, o) =
            split_configured_url("https://app.test/#ct=fast&rc=-1&sni=maybe&e=mars&section")
                .unwrap();
        assert_eq!(o.connect_timeout, ms(5000));
        assert_eq!(o.retry_count, 1);
        assert!(o.sni);
        assert_eq!(o.edges, ["ashburn"]);
        assert_eq!(
            o.notes,
            [
                OverrideNote::NotANumber {
                    key: "ct",
                    value: "fast".to_owned()
                },
                OverrideNote::NotANumber {
                    key: "rc",
                    value: "-1".to_owned()
                },
                OverrideNote::InvalidSni {
                    value: "maybe".to_owned()
                },
                OverrideNote::UnknownEdge {
                    value: "mars".to_owned()
                },
                OverrideNote::UnknownKey {
                    key: "section".to_owned()
                },
            ]
        );
    }

    #[test]
    fn invalid_retry_policy_is_11243() {
        for fragment in ["rp=ct,sometimes", "rp=", "rp=3xx", "rp=ct,,rt"] {
            let err = split_configured_url(&format!("https://app.test/x#{fragment}")).unwrap_err();
            assert_eq!(err.code(), TwilioCode(11243), "{fragment}");
        }
        let err = split_configured_url("https://app.test/x#rp=3xx").unwrap_err();
        assert_eq!(
            err,
            OverrideError::InvalidRetryPolicy {
                value: "3xx".to_owned()
            }
        );
    }

    #[test]
    fn retries_follow_count_and_policy() {
        let (_, o) = split_configured_url("https://app.test/#rc=2&rp=ct,5xx").unwrap();
        assert!(o.should_retry(RetryTrigger::Connect, 1));
        assert!(o.should_retry(RetryTrigger::Status5xx, 2));
        assert!(!o.should_retry(RetryTrigger::Status5xx, 3));
        assert!(!o.should_retry(RetryTrigger::Status4xx, 1));
        assert!(!o.should_retry(RetryTrigger::ReadTimeout, 1));
        assert!(!o.should_retry(RetryTrigger::Connect, 0));
        let (_, none) = split_configured_url("https://app.test/#rc=0").unwrap();
        assert!(!none.should_retry(RetryTrigger::Connect, 1));
    }

    #[test]
    fn read_timeout_never_exceeds_the_total() {
        let (_, o) = split_configured_url("https://app.test/#rt=12000&tt=3000").unwrap();
        assert_eq!(o.effective_read_timeout(), ms(3000));
        assert_eq!(o.deadline(), ms(3000));
    }
}
