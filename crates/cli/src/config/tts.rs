//! The `<Say>` engine setting: `[tts]` in the config file, `--tts-engine` / `--tts-url`.
//!
//! espeak-ng (a Debian package, run out of process) is the default so that a fresh install
//! speaks; an HTTP endpoint replaces it without code changes (dialtone-prompt documents the
//! request it receives).

use std::path::PathBuf;
use std::time::Duration;

use dialtone_prompt::{PromptConfig, SpeechEngine};
use serde::Deserialize;

use super::ConfigError;

/// Longest synthesis timeout accepted, seconds.
const MAX_TIMEOUT_SECONDS: u64 = 300;
/// Most syntheses at once accepted.
const MAX_CONCURRENCY: usize = 256;

/// The `[tts]` table of the config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TtsFile {
    /// `espeak-ng` (default) or `http`.
    pub engine: Option<String>,
    /// The endpoint of the `http` engine.
    pub url: Option<String>,
    /// The espeak-ng program (default `espeak-ng` on `PATH`).
    pub program: Option<PathBuf>,
    /// Seconds one synthesis may take (default 10).
    pub timeout_seconds: Option<u64>,
    /// Syntheses at once (default 2).
    pub concurrency: Option<usize>,
}

/// Merges the flags (`engine`, `url`: flag or environment) over the file's `[tts]` table.
pub(super) fn resolve(
    engine: Option<&str>,
    url: Option<&str>,
    file: TtsFile,
) -> Result<PromptConfig, ConfigError> {
    let mut config = PromptConfig::default();
    let url = url.map(str::to_owned).or(file.url);
    let engine_name = engine
        .map(str::to_owned)
        .or(file.engine)
        .unwrap_or_else(|| if url.is_some() { "http" } else { "espeak-ng" }.to_owned());
    config.engine = match engine_name.as_str() {
        "espeak-ng" | "espeak" => SpeechEngine::Espeak {
            program: file.program.unwrap_or_else(|| PathBuf::from("espeak-ng")),
        },
        "http" => {
            let url = url.ok_or(ConfigError::Invalid {
                setting: "--tts-url / DIALTONE_TTS_URL / tts.url",
                value: String::new(),
                why: "the http engine needs the endpoint's URL",
            })?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ConfigError::Invalid {
                    setting: "--tts-url / DIALTONE_TTS_URL / tts.url",
                    value: url,
                    why: "expected an absolute http:// or https:// URL",
                });
            }
            SpeechEngine::Http { url }
        }
        _ => {
            return Err(ConfigError::Invalid {
                setting: "--tts-engine / DIALTONE_TTS_ENGINE / tts.engine",
                value: engine_name,
                why: "expected espeak-ng or http",
            });
        }
    };
    if let Some(seconds) = file.timeout_seconds {
        if seconds == 0 || seconds > MAX_TIMEOUT_SECONDS {
            return Err(ConfigError::Invalid {
                setting: "tts.timeout_seconds",
                value: seconds.to_string(),
                why: "expected 1 to 300 seconds",
            });
        }
        config.synth_timeout = Duration::from_secs(seconds);
    }
    if let Some(n) = file.concurrency {
        if n == 0 || n > MAX_CONCURRENCY {
            return Err(ConfigError::Invalid {
                setting: "tts.concurrency",
                value: n.to_string(),
                why: "expected 1 to 256",
            });
        }
        config.synth_concurrency = n;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn espeak_by_default_http_when_a_url_is_given() {
        let config = resolve(None, None, TtsFile::default()).unwrap();
        assert_eq!(
            config.engine,
            SpeechEngine::Espeak {
                program: PathBuf::from("espeak-ng")
            }
        );
        let config = resolve(None, Some("http://tts.test/say"), TtsFile::default()).unwrap();
        assert_eq!(
            config.engine,
            SpeechEngine::Http {
                url: "http://tts.test/say".to_owned()
            }
        );
    }

    #[test]
    fn bad_values_name_their_setting() {
        let err = resolve(Some("polly"), None, TtsFile::default()).unwrap_err();
        assert!(err.to_string().contains("tts.engine"), "{err}");
        let err = resolve(Some("http"), None, TtsFile::default()).unwrap_err();
        assert!(err.to_string().contains("tts.url"), "{err}");
        let err = resolve(None, Some("ftp://x"), TtsFile::default()).unwrap_err();
        assert!(err.to_string().contains("http://"), "{err}");
        let file = TtsFile {
            timeout_seconds: Some(0),
            ..TtsFile::default()
        };
        assert!(resolve(None, None, file).is_err());
        let file = TtsFile {
            concurrency: Some(0),
            ..TtsFile::default()
        };
        assert!(resolve(None, None, file).is_err());
    }
}
