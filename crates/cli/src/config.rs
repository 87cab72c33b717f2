//! `dialtone serve` configuration: flags, `DIALTONE_*` environment variables, an optional
//! TOML file, and defaults that need nothing at all.
//!
//! Precedence is the usual one: a flag beats its environment variable (clap reads both),
//! which beats the config file, which beats the default. Everything is validated here, before
//! the server opens its database or binds a socket, so a typo ends the process at once with
//! a message naming the setting (exit code 2). Resolution is a pure function of its inputs,
//! so it is unit-tested without touching the process environment.

mod ops;
mod recordings;
mod simulator;
mod tts;
mod voice_sdk;
mod whatsapp;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;
use dialtone_types::{Sid, SidKind};
use serde::Deserialize;
use url::Url;

pub use ops::{LimitsFile, MetricsFile, MetricsSettings};
pub use recordings::{RecordingsFile, RecordingsSettings};
pub use simulator::{SimulatorFile, SimulatorSettings};
pub use tts::TtsFile;
pub use whatsapp::{EnvWhatsApp, WhatsAppFile, WhatsAppMode, WhatsAppSettings};

/// Default listening address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default data directory.
pub const DEFAULT_DATA_DIR: &str = "./dialtone-data";
/// The SQLite file inside the data directory.
pub const SQLITE_FILE: &str = "dialtone.db";
/// Default log filter.
pub const DEFAULT_LOG: &str = "info";
/// Largest `--max-call-requests` accepted.
pub const MAX_CALL_REQUESTS_LIMIT: usize = 100_000;

/// `dialtone serve` flags; each also reads its `DIALTONE_*` variable.
#[derive(Debug, Clone, Default, Args)]
#[command(
    after_help = "The bootstrap account comes from DIALTONE_ACCOUNT_SID and \
DIALTONE_AUTH_TOKEN (AC + 32 hex digits, 32 hex digits) or the config file; otherwise one is \
generated on first start, stored in the database and printed. Precedence: flag > environment \
> config file > default. Invalid configuration exits with code 2 before anything is opened."
)]
pub struct ServeArgs {
    /// Address to listen on (`IP:PORT`; port 0 picks a free one) [default: 127.0.0.1:8080]
    #[arg(long, env = "DIALTONE_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// Directory for the embedded SQLite database [default: ./dialtone-data]
    #[arg(long, env = "DIALTONE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database: sqlite://PATH or postgres://USER:PASSWORD@HOST/DB [default: SQLite in the data dir]
    #[arg(
        long,
        env = "DIALTONE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Base URL clients and webhooks reach this server at [default: http://{listen}]
    #[arg(long, env = "DIALTONE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// TOML configuration file (keys: listen, data_dir, database_url, public_url, log,
    /// max_call_requests, account_sid, auth_token, [whatsapp], [tts], [recordings] and [simulator] tables)
    #[arg(long, env = "DIALTONE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log filter, e.g. `info` or `info,dialtone_runtime=debug` [default: info]
    #[arg(long, env = "DIALTONE_LOG", value_name = "FILTER")]
    pub log: Option<String>,
    /// Call creates and updates (REST Calls, simulated softphone calls) worked on at once;
    /// one more is answered 429 (Twilio's 20429, Retry-After: 1) before anything is stored
    /// [default: 1024]
    #[arg(long, env = "DIALTONE_MAX_CALL_REQUESTS", value_name = "N")]
    pub max_call_requests: Option<String>,
    /// WhatsApp network: `simulator` (embedded, default) or `meta` (Meta's Cloud API; needs
    /// DIALTONE_WHATSAPP_ACCESS_TOKEN, _APP_SECRET, _VERIFY_TOKEN or the [whatsapp] table)
    #[arg(long, env = "DIALTONE_WHATSAPP_MODE", value_name = "MODE")]
    pub whatsapp_mode: Option<String>,
    /// The <Say> engine: `espeak-ng` (default) or `http` (needs --tts-url)
    #[arg(long, env = "DIALTONE_TTS_ENGINE", value_name = "ENGINE")]
    pub tts_engine: Option<String>,
    /// The HTTP TTS endpoint (POST text, voice, language; answers audio/wav); implies `http`
    #[arg(long, env = "DIALTONE_TTS_URL", value_name = "URL")]
    pub tts_url: Option<String>,
    /// Where recordings are kept: `fs` (the data directory, default) or `s3` (needs a bucket;
    /// credentials from AWS_* variables or the [recordings] table)
    #[arg(long, env = "DIALTONE_RECORDINGS_STORE", value_name = "STORE")]
    pub recordings_store: Option<String>,
    /// The recordings bucket (s3)
    #[arg(long, env = "DIALTONE_RECORDINGS_BUCKET", value_name = "BUCKET")]
    pub recordings_bucket: Option<String>,
    /// Key prefix of the recordings, e.g. `recordings/` (s3) [default: none]
    #[arg(long, env = "DIALTONE_RECORDINGS_PREFIX", value_name = "PREFIX")]
    pub recordings_prefix: Option<String>,
    /// An S3-compatible server's URL (s3) [default: AWS]
    #[arg(long, env = "DIALTONE_RECORDINGS_ENDPOINT", value_name = "URL")]
    pub recordings_endpoint: Option<String>,
    /// The bucket's region (s3) [default: AWS_REGION, else us-east-1]
    #[arg(long, env = "DIALTONE_RECORDINGS_REGION", value_name = "REGION")]
    pub recordings_region: Option<String>,
    /// Allows an http:// recordings endpoint (s3; loopback test servers)
    #[arg(long, env = "DIALTONE_RECORDINGS_ALLOW_HTTP")]
    pub recordings_allow_http: bool,
    /// Bridges decode and re-encode audio (through a jitter buffer) instead of forwarding
    /// Opus untouched: costs CPU; for measuring it (`dialtone bench --whatsapp --audio`)
    #[arg(long)]
    pub transcode_bridges: bool,
    /// Also serve the API, and the Voice SDK's `wss://…/signal`, over TLS on this address
    /// (the SDK's `chunderw` is this host:port); self-signed unless [voice_sdk] names a
    /// certificate [default: off]
    #[arg(long, env = "DIALTONE_SDK_LISTEN", value_name = "ADDR")]
    pub sdk_listen: Option<String>,
}

/// The config file's keys; unknown keys are an error (a typo must not be ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// See [`ServeArgs::listen`].
    pub listen: Option<String>,
    /// See [`ServeArgs::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`ServeArgs::database_url`].
    pub database_url: Option<String>,
    /// See [`ServeArgs::public_url`].
    pub public_url: Option<String>,
    /// See [`ServeArgs::log`].
    pub log: Option<String>,
    /// See [`ServeArgs::max_call_requests`].
    pub max_call_requests: Option<u64>,
    /// The bootstrap account's SID (`DIALTONE_ACCOUNT_SID` wins).
    pub account_sid: Option<String>,
    /// The bootstrap account's auth token (`DIALTONE_AUTH_TOKEN` wins).
    pub auth_token: Option<String>,
    /// The `[whatsapp]` table.
    pub whatsapp: Option<WhatsAppFile>,
    /// The `[tts]` table.
    pub tts: Option<TtsFile>,
    /// The `[recordings]` table.
    pub recordings: Option<RecordingsFile>,
    /// The `[simulator]` table.
    pub simulator: Option<SimulatorFile>,
    /// The `[limits]` table (per-account calls per second).
    pub limits: Option<LimitsFile>,
    /// The `[metrics]` table.
    pub metrics: Option<MetricsFile>,
    /// The `[voice_sdk]` table.
    pub voice_sdk: Option<voice_sdk::VoiceSdkFile>,
    /// The `[security]` table.
    pub security: Option<voice_sdk::SecurityFile>,
}

/// The bootstrap account's credentials from the environment (`DIALTONE_ACCOUNT_SID`,
/// `DIALTONE_AUTH_TOKEN`). Kept out of flags: command lines are visible to every user.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvAccount {
    /// `DIALTONE_ACCOUNT_SID`.
    pub sid: Option<String>,
    /// `DIALTONE_AUTH_TOKEN`.
    pub token: Option<String>,
}

impl fmt::Debug for EnvAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvAccount")
            .field("sid", &self.sid)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Where the bootstrap account comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum AccountSource {
    /// Given by configuration: created or updated at start-up.
    Configured {
        /// `AC...`
        sid: Sid,
        /// 32 hex digits.
        token: String,
        /// Which setting named it, for the start-up banner.
        origin: &'static str,
    },
    /// Not configured: the first stored account, or a new generated one.
    Generated,
}

impl fmt::Debug for AccountSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Configured { sid, origin, .. } => f
                .debug_struct("Configured")
                .field("sid", sid)
                .field("origin", origin)
                .finish_non_exhaustive(),
            Self::Generated => f.write_str("Generated"),
        }
    }
}

/// A validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The data directory (created if missing when the database is SQLite inside it).
    pub data_dir: PathBuf,
    /// What [`dialtone_store::Store::connect`] opens.
    pub database_url: String,
    /// Set explicitly; otherwise `http://{bound address}` once bound.
    pub public_url: Option<Url>,
    /// The tracing filter.
    pub log: String,
    /// Call creates and updates worked on at once (the API's admission limit).
    pub max_call_requests: usize,
    /// The bootstrap account.
    pub account: AccountSource,
    /// The WhatsApp network.
    pub whatsapp: WhatsAppSettings,
    /// The <Say> and <Play> engines.
    pub prompts: dialtone_prompt::PromptConfig,
    /// See [`ServeArgs::transcode_bridges`].
    pub transcode_bridges: bool,
    /// Where recording media is kept.
    pub recordings: RecordingsSettings,
    /// The simulated WhatsApp's template review.
    pub simulator: SimulatorSettings,
    /// Per-account pacing of REST creates (`[limits]`); `None`: not paced.
    pub cps: Option<dialtone_runtime::CpsLimit>,
    /// Where `/metrics` is served (`[metrics]`).
    pub metrics: MetricsSettings,
    /// The Voice SDK's TLS listener and the secret key (`[voice_sdk]`, `[security]`).
    pub voice_sdk: voice_sdk::VoiceSdkSettings,
}

/// A configuration problem, named precisely enough to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The config file is not valid TOML for these keys.
    #[error("invalid config file {path}: {message}")]
    ParseFile {
        /// The file.
        path: PathBuf,
        /// The parser's explanation (line, column, key).
        message: String,
    },
    /// A setting has an invalid value.
    #[error("invalid {setting} {value:?}: {why}")]
    Invalid {
        /// The setting, e.g. `--listen / DIALTONE_LISTEN`.
        setting: &'static str,
        /// The value (never a secret).
        value: String,
        /// What is expected.
        why: &'static str,
    },
    /// Meta mode without its secrets.
    #[error(
        "whatsapp.mode = \"meta\" needs {0} (DIALTONE_WHATSAPP_ACCESS_TOKEN, \
         DIALTONE_WHATSAPP_APP_SECRET, DIALTONE_WHATSAPP_VERIFY_TOKEN or the [whatsapp] table)"
    )]
    WhatsAppMetaSecrets(String),
    /// A Graph URL given in simulator mode.
    #[error(
        "whatsapp.graph_url applies to mode = \"meta\" only: the simulator is this server's \
         own /sim/graph"
    )]
    WhatsAppSimulatorUrl,
    /// Only one of the account SID and auth token was given.
    #[error(
        "DIALTONE_ACCOUNT_SID and DIALTONE_AUTH_TOKEN (or account_sid and auth_token in the \
         config file) must be set together"
    )]
    HalfAccount,
    /// An S3 setting given with the filesystem store.
    #[error(
        "recordings.{0} applies to store = \"s3\" only (--recordings-store / \
         DIALTONE_RECORDINGS_STORE / recordings.store)"
    )]
    RecordingsS3Only(&'static str),
    /// `store = "s3"` without a bucket.
    #[error(
        "recordings store = \"s3\" needs a bucket (--recordings-bucket / \
         DIALTONE_RECORDINGS_BUCKET / recordings.bucket)"
    )]
    RecordingsBucket,
    /// Only one of the access key id and secret.
    #[error(
        "recordings.access_key_id and recordings.secret_access_key must be set together \
         (or neither, for AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)"
    )]
    RecordingsHalfKey,
}

/// Reads the config file, if one is named.
pub fn read_file(path: Option<&Path>) -> Result<FileConfig, ConfigError> {
    let Some(path) = path else {
        return Ok(FileConfig::default());
    };
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::ParseFile {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })
}

/// Merges flags/environment, the config file and the defaults, and validates the result.
pub fn resolve(
    args: &ServeArgs,
    file: FileConfig,
    env: EnvAccount,
    env_whatsapp: EnvWhatsApp,
) -> Result<ServeConfig, ConfigError> {
    let simulator = simulator::resolve(&env_whatsapp, file.simulator.clone().unwrap_or_default())?;
    let whatsapp = whatsapp::resolve(
        args.whatsapp_mode.as_deref(),
        env_whatsapp,
        file.whatsapp.clone().unwrap_or_default(),
    )?;
    let prompts = tts::resolve(
        args.tts_engine.as_deref(),
        args.tts_url.as_deref(),
        file.tts.clone().unwrap_or_default(),
    )?;
    let recordings = recordings::resolve(
        &recordings::RecordingsFlags {
            store: args.recordings_store.as_deref(),
            bucket: args.recordings_bucket.as_deref(),
            prefix: args.recordings_prefix.as_deref(),
            endpoint: args.recordings_endpoint.as_deref(),
            region: args.recordings_region.as_deref(),
            allow_http: args.recordings_allow_http,
        },
        file.recordings.clone().unwrap_or_default(),
    )?;
    let listen_text = args
        .listen
        .clone()
        .or(file.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let listen: SocketAddr = listen_text.parse().map_err(|_| ConfigError::Invalid {
        setting: "--listen / DIALTONE_LISTEN / listen",
        value: listen_text.clone(),
        why: "expected IP:PORT, e.g. 127.0.0.1:8080 or 0.0.0.0:8080",
    })?;

    let data_dir = args
        .data_dir
        .clone()
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    if data_dir.as_os_str().is_empty() {
        return Err(ConfigError::Invalid {
            setting: "--data-dir / DIALTONE_DATA_DIR / data_dir",
            value: String::new(),
            why: "expected a directory path",
        });
    }

    let database_url = match args.database_url.clone().or(file.database_url) {
        Some(url) => {
            let known = ["sqlite:", "postgres://", "postgresql://"]
                .iter()
                .any(|p| url.starts_with(p));
            if !known {
                return Err(ConfigError::Invalid {
                    setting: "--database-url / DIALTONE_DATABASE_URL / database_url",
                    value: redact_password(&url),
                    why: "expected sqlite://PATH, sqlite::memory: or postgres://USER:PASSWORD@HOST/DB",
                });
            }
            url
        }
        None => format!("sqlite://{}", data_dir.join(SQLITE_FILE).display()),
    };

    let public_url = args
        .public_url
        .clone()
        .or(file.public_url)
        .map(|text| {
            Url::parse(&text)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .ok_or(ConfigError::Invalid {
                    setting: "--public-url / DIALTONE_PUBLIC_URL / public_url",
                    value: text,
                    why: "expected an absolute http:// or https:// URL",
                })
        })
        .transpose()?;

    let log = args
        .log
        .clone()
        .or(file.log)
        .unwrap_or_else(|| DEFAULT_LOG.to_owned());
    if !valid_log_filter(&log) {
        return Err(ConfigError::Invalid {
            setting: "--log / DIALTONE_LOG / log",
            value: log,
            why: "expected a level (error, warn, info, debug, trace) or target=level list",
        });
    }

    let max_call_requests =
        max_call_requests(args.max_call_requests.as_deref(), file.max_call_requests)?;
    let cps = ops::cps(file.limits)?;
    let metrics = ops::metrics(file.metrics)?;
    let voice_sdk = voice_sdk::resolve(
        args.sdk_listen.as_deref(),
        file.voice_sdk,
        file.security,
        std::env::var("DIALTONE_SECRET_KEY")
            .ok()
            .filter(|v| !v.is_empty()),
    )?;

    let (sid, token, origin) = match (env.sid, env.token) {
        (Some(sid), Some(token)) => (Some(sid), Some(token), "DIALTONE_ACCOUNT_SID"),
        (None, None) => (file.account_sid, file.auth_token, "the config file"),
        _ => return Err(ConfigError::HalfAccount),
    };
    let account = match (sid, token) {
        (None, None) => AccountSource::Generated,
        (Some(sid), Some(token)) => AccountSource::Configured {
            sid: account_sid(&sid)?,
            token: auth_token(token)?,
            origin,
        },
        _ => return Err(ConfigError::HalfAccount),
    };

    Ok(ServeConfig {
        listen,
        data_dir,
        database_url,
        public_url,
        log,
        max_call_requests,
        account,
        whatsapp,
        prompts,
        transcode_bridges: args.transcode_bridges,
        recordings,
        simulator,
        cps,
        metrics,
        voice_sdk,
    })
}

/// `--max-call-requests`: the flag (or its variable), else the file's, else the default.
fn max_call_requests(flag: Option<&str>, file: Option<u64>) -> Result<usize, ConfigError> {
    let invalid = |value: String| ConfigError::Invalid {
        setting: "--max-call-requests / DIALTONE_MAX_CALL_REQUESTS / max_call_requests",
        value,
        why: "expected a whole number from 1 to 100000",
    };
    let value = match (flag, file) {
        (Some(text), _) => text
            .trim()
            .parse::<usize>()
            .map_err(|_| invalid(text.to_owned()))?,
        (None, Some(n)) => usize::try_from(n).map_err(|_| invalid(n.to_string()))?,
        (None, None) => dialtone_api::DEFAULT_MAX_CALL_REQUESTS,
    };
    if (1..=MAX_CALL_REQUESTS_LIMIT).contains(&value) {
        Ok(value)
    } else {
        Err(invalid(value.to_string()))
    }
}

/// A level, or a comma-separated list of levels and `target=level` pairs. (`Targets` alone
/// would accept any word as a target name, so a misspelt level would silently log everything.)
fn valid_log_filter(filter: &str) -> bool {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let level = |s: &str| LEVELS.iter().any(|l| l.eq_ignore_ascii_case(s.trim()));
    !filter.trim().is_empty()
        && filter
            .split(',')
            .all(|directive| match directive.split_once('=') {
                Some((target, lvl)) => !target.trim().is_empty() && level(lvl),
                None => level(directive),
            })
        && filter
            .parse::<tracing_subscriber::filter::Targets>()
            .is_ok()
}

fn account_sid(value: &str) -> Result<Sid, ConfigError> {
    Sid::parse_kind(value, SidKind::Account).map_err(|_| ConfigError::Invalid {
        setting: "DIALTONE_ACCOUNT_SID / account_sid",
        value: value.to_owned(),
        why: "expected AC followed by 32 hex digits",
    })
}

fn auth_token(value: String) -> Result<String, ConfigError> {
    if value.len() == 32 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(value)
    } else {
        Err(ConfigError::Invalid {
            setting: "DIALTONE_AUTH_TOKEN / auth_token",
            // Never echo a secret, even a wrong one.
            value: format!("<{} characters>", value.chars().count()),
            why: "expected 32 hex digits",
        })
    }
}

/// The URL with any password replaced, safe to print.
fn redact_password(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SID: &str = "AC0123456789abcdef0123456789abcdef";
    const TOKEN: &str = "0123456789abcdef0123456789ABCDEF";

    fn resolve_default(args: &ServeArgs) -> Result<ServeConfig, ConfigError> {
        resolve(
            args,
            FileConfig::default(),
            EnvAccount::default(),
            EnvWhatsApp::default(),
        )
    }

    #[test]
    fn defaults_need_nothing() {
        let c = resolve_default(&ServeArgs::default()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.data_dir, PathBuf::from("./dialtone-data"));
        assert_eq!(c.database_url, "sqlite://./dialtone-data/dialtone.db");
        assert_eq!(c.public_url, None);
        assert_eq!(c.log, "info");
        assert_eq!(c.max_call_requests, dialtone_api::DEFAULT_MAX_CALL_REQUESTS);
        assert_eq!(c.account, AccountSource::Generated);
    }

    #[test]
    fn max_call_requests_from_flag_or_file() {
        let args = |n: &str| ServeArgs {
            max_call_requests: Some(n.into()),
            ..ServeArgs::default()
        };
        let file = FileConfig {
            max_call_requests: Some(32),
            ..FileConfig::default()
        };
        let run = |args: &ServeArgs, file: FileConfig| {
            resolve(args, file, EnvAccount::default(), EnvWhatsApp::default())
        };
        assert_eq!(
            run(&ServeArgs::default(), file.clone())
                .unwrap()
                .max_call_requests,
            32
        );
        assert_eq!(run(&args("8"), file).unwrap().max_call_requests, 8);
        for bad in ["0", "-1", "many", "100001"] {
            let e = run(&args(bad), FileConfig::default())
                .unwrap_err()
                .to_string();
            assert_eq!(
                e,
                format!(
                    "invalid --max-call-requests / DIALTONE_MAX_CALL_REQUESTS / \
                     max_call_requests {bad:?}: expected a whole number from 1 to 100000"
                )
            );
        }
    }

    #[test]
    fn flags_beat_file_beats_defaults() {
        let file = FileConfig {
            listen: Some("0.0.0.0:9000".into()),
            data_dir: Some("/var/lib/dialtone".into()),
            public_url: Some("https://voice.example.com".into()),
            account_sid: Some(SID.into()),
            auth_token: Some(TOKEN.into()),
            ..FileConfig::default()
        };
        let args = ServeArgs {
            listen: Some("127.0.0.1:0".into()),
            ..ServeArgs::default()
        };
        let c = resolve(
            &args,
            file.clone(),
            EnvAccount::default(),
            EnvWhatsApp::default(),
        )
        .unwrap();
        assert_eq!(c.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(c.database_url, "sqlite:///var/lib/dialtone/dialtone.db");
        assert_eq!(
            c.public_url.as_ref().map(Url::as_str),
            Some("https://voice.example.com/")
        );
        assert_eq!(
            c.account,
            AccountSource::Configured {
                sid: SID.parse().unwrap(),
                token: TOKEN.into(),
                origin: "the config file",
            }
        );
        // The environment's account beats the file's.
        let other = "ACffffffffffffffffffffffffffffffff";
        let env = EnvAccount {
            sid: Some(other.into()),
            token: Some(TOKEN.into()),
        };
        let c = resolve(&args, file, env, EnvWhatsApp::default()).unwrap();
        assert!(matches!(
            c.account,
            AccountSource::Configured { sid, origin: "DIALTONE_ACCOUNT_SID", .. }
                if sid.to_string() == other
        ));
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |args: ServeArgs| resolve_default(&args).unwrap_err().to_string();
        assert_eq!(
            bad(ServeArgs {
                listen: Some("localhost".into()),
                ..ServeArgs::default()
            }),
            "invalid --listen / DIALTONE_LISTEN / listen \"localhost\": expected IP:PORT, \
             e.g. 127.0.0.1:8080 or 0.0.0.0:8080"
        );
        assert!(
            bad(ServeArgs {
                database_url: Some("mysql://u:hunter2@h/db".into()),
                ..ServeArgs::default()
            })
            .contains("mysql://u:***@h/db")
        );
        assert!(
            bad(ServeArgs {
                public_url: Some("ftp://x".into()),
                ..ServeArgs::default()
            })
            .starts_with("invalid --public-url")
        );
        assert!(
            bad(ServeArgs {
                log: Some("loud".into()),
                ..ServeArgs::default()
            })
            .starts_with("invalid --log")
        );
    }

    #[test]
    fn log_filters() {
        for ok in ["info", "WARN", "info,dialtone_runtime=debug", "off"] {
            assert!(valid_log_filter(ok), "{ok}");
        }
        for bad in ["", "loud", "info,", "=debug", "dialtone=loud", "shouty"] {
            assert!(!valid_log_filter(bad), "{bad}");
        }
    }

    #[test]
    fn account_credentials_are_validated() {
        let env = |sid: Option<&str>, token: Option<&str>| EnvAccount {
            sid: sid.map(Into::into),
            token: token.map(Into::into),
        };
        let run = |e| {
            resolve(
                &ServeArgs::default(),
                FileConfig::default(),
                e,
                EnvWhatsApp::default(),
            )
        };
        assert!(matches!(
            run(env(Some(SID), None)),
            Err(ConfigError::HalfAccount)
        ));
        let e = run(env(Some("AC123"), Some(TOKEN)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid DIALTONE_ACCOUNT_SID / account_sid \"AC123\": expected AC followed by 32 \
             hex digits"
        );
        let e = run(env(Some(SID), Some("secret-token")))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "invalid DIALTONE_AUTH_TOKEN / auth_token \"<12 characters>\": expected 32 hex digits"
        );
        assert!(run(env(Some(SID), Some(TOKEN))).is_ok());
    }

    #[test]
    fn config_file_whatsapp_table() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dialtone.toml");
        std::fs::write(
            &path,
            "[whatsapp]\nmode = \"meta\"\ngraph_version = \"v23.0\"\naccess_token = \"EAAx\"\n\
             app_secret = \"s\"\nverify_token = \"v\"\n",
        )
        .unwrap();
        let file = read_file(Some(&path)).unwrap();
        let c = resolve(
            &ServeArgs::default(),
            file.clone(),
            EnvAccount::default(),
            EnvWhatsApp::default(),
        )
        .unwrap();
        assert_eq!(c.whatsapp.mode, WhatsAppMode::Meta);
        assert_eq!(c.whatsapp.graph_version, "v23.0");
        assert_eq!(c.whatsapp.app_secret.as_deref(), Some("s"));
        // The flag beats the file.
        let args = ServeArgs {
            whatsapp_mode: Some("simulator".into()),
            ..ServeArgs::default()
        };
        let c = resolve(&args, file, EnvAccount::default(), EnvWhatsApp::default()).unwrap();
        assert_eq!(c.whatsapp.mode, WhatsAppMode::Simulator);
        std::fs::write(&path, "[whatsapp]\nmode = \"meta\"\n").unwrap();
        let e = resolve(
            &ServeArgs::default(),
            read_file(Some(&path)).unwrap(),
            EnvAccount::default(),
            EnvWhatsApp::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("needs access_token, app_secret, verify_token"),
            "{e}"
        );
    }

    #[test]
    fn config_file_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dialtone.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\nlisten_port = 3\n").unwrap();
        let e = read_file(Some(&path)).unwrap_err().to_string();
        assert!(e.contains("unknown field `listen_port`"), "{e}");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\n").unwrap();
        assert_eq!(
            read_file(Some(&path)).unwrap().listen.as_deref(),
            Some("127.0.0.1:1")
        );
        assert!(matches!(
            read_file(Some(&dir.path().join("missing.toml"))),
            Err(ConfigError::ReadFile { .. })
        ));
    }
}
