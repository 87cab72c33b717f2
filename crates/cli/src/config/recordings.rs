//! Where recording media is kept: `[recordings]` in the config file, `--recordings-*` /
//! `DIALTONE_RECORDINGS_*`.
//!
//! `store = "fs"` (the default) keeps the WAVs under the data directory's `recordings/`.
//! `store = "s3"` keeps them in an S3 bucket or on an S3-compatible server (`endpoint`), under
//! `{prefix}{AccountSid}/{RecordingSid}.wav`, with a local spool under the data directory
//! (`recordings-spool/`) for recordings in progress and uploads not done yet. Credentials come
//! from the standard `AWS_*` variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_REGION`...) or the table's keys, never from flags. Every value is
//! checked here; whether the bucket answers is checked when the server starts.

use dialtone_store::S3Settings;
use serde::Deserialize;
use url::Url;

use super::ConfigError;

/// The `[recordings]` table of the config file.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingsFile {
    /// `fs` (default) or `s3`.
    pub store: Option<String>,
    /// The bucket (s3).
    pub bucket: Option<String>,
    /// Key prefix (s3), e.g. `recordings/`.
    pub prefix: Option<String>,
    /// An S3-compatible server's URL (s3).
    pub endpoint: Option<String>,
    /// The region (s3).
    pub region: Option<String>,
    /// Allows an `http://` endpoint (s3; loopback test servers).
    pub allow_http: Option<bool>,
    /// Overrides `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// Overrides `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<String>,
    /// Overrides `AWS_SESSION_TOKEN`.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for RecordingsFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("RecordingsFile")
            .field("store", &self.store)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("allow_http", &self.allow_http)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &redacted(&self.secret_access_key))
            .field("session_token", &redacted(&self.session_token))
            .finish()
    }
}

/// The `--recordings-*` flags (or their variables).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordingsFlags<'a> {
    /// `--recordings-store`.
    pub store: Option<&'a str>,
    /// `--recordings-bucket`.
    pub bucket: Option<&'a str>,
    /// `--recordings-prefix`.
    pub prefix: Option<&'a str>,
    /// `--recordings-endpoint`.
    pub endpoint: Option<&'a str>,
    /// `--recordings-region`.
    pub region: Option<&'a str>,
    /// `--recordings-allow-http`.
    pub allow_http: bool,
}

/// Where recording media is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RecordingsSettings {
    /// Files under the data directory's `recordings/`.
    #[default]
    Fs,
    /// A bucket.
    S3(S3Settings),
}

fn invalid(setting: &'static str, value: &str, why: &'static str) -> ConfigError {
    ConfigError::Invalid {
        setting,
        value: value.to_owned(),
        why,
    }
}

/// Merges the flags over the file's `[recordings]` table.
pub(super) fn resolve(
    flags: &RecordingsFlags<'_>,
    file: RecordingsFile,
) -> Result<RecordingsSettings, ConfigError> {
    let pick = |flag: Option<&str>, file: Option<String>| flag.map(str::to_owned).or(file);
    let store = pick(flags.store, file.store).unwrap_or_else(|| "fs".to_owned());
    let bucket = pick(flags.bucket, file.bucket);
    let prefix = pick(flags.prefix, file.prefix);
    let endpoint = pick(flags.endpoint, file.endpoint);
    let region = pick(flags.region, file.region);
    let allow_http = flags.allow_http || file.allow_http.unwrap_or(false);
    match store.as_str() {
        "fs" => {
            let s3_only = [
                ("bucket", bucket.is_some()),
                ("prefix", prefix.is_some()),
                ("endpoint", endpoint.is_some()),
                ("region", region.is_some()),
                ("allow_http", allow_http),
                ("access_key_id", file.access_key_id.is_some()),
                ("secret_access_key", file.secret_access_key.is_some()),
                ("session_token", file.session_token.is_some()),
            ];
            if let Some((key, _)) = s3_only.iter().find(|(_, set)| *set) {
                return Err(ConfigError::RecordingsS3Only(key));
            }
            Ok(RecordingsSettings::Fs)
        }
        "s3" => {
            let bucket = bucket.ok_or(ConfigError::RecordingsBucket)?;
            let bucket_ok = !bucket.is_empty()
                && bucket.len() <= 255
                && bucket
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            if !bucket_ok {
                return Err(invalid(
                    "--recordings-bucket / DIALTONE_RECORDINGS_BUCKET / recordings.bucket",
                    &bucket,
                    "expected a bucket name (letters, digits, `.`, `-`, `_`)",
                ));
            }
            let prefix = prefix.map_or(Ok(String::new()), |p| normal_prefix(&p))?;
            if let Some(e) = &endpoint {
                let url = Url::parse(e)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
                let Some(url) = url else {
                    return Err(invalid(
                        "--recordings-endpoint / DIALTONE_RECORDINGS_ENDPOINT / recordings.endpoint",
                        e,
                        "expected an absolute http:// or https:// URL",
                    ));
                };
                if url.scheme() == "http" && !allow_http {
                    return Err(invalid(
                        "--recordings-endpoint / DIALTONE_RECORDINGS_ENDPOINT / recordings.endpoint",
                        e,
                        "an http:// endpoint needs allow_http = true \
                         (--recordings-allow-http; for loopback test servers)",
                    ));
                }
            }
            if region.as_deref().is_some_and(str::is_empty) {
                return Err(invalid(
                    "--recordings-region / DIALTONE_RECORDINGS_REGION / recordings.region",
                    "",
                    "expected a region such as us-east-1",
                ));
            }
            if file.access_key_id.is_some() != file.secret_access_key.is_some() {
                return Err(ConfigError::RecordingsHalfKey);
            }
            Ok(RecordingsSettings::S3(S3Settings {
                bucket,
                prefix,
                endpoint,
                region,
                allow_http,
                access_key_id: file.access_key_id,
                secret_access_key: file.secret_access_key,
                session_token: file.session_token,
            }))
        }
        _ => Err(invalid(
            "--recordings-store / DIALTONE_RECORDINGS_STORE / recordings.store",
            &store,
            "expected fs or s3",
        )),
    }
}

/// `prefix` ending in `/` (added when missing), or an error when it is not a key prefix.
fn normal_prefix(prefix: &str) -> Result<String, ConfigError> {
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    if trimmed.is_empty() && prefix.is_empty() {
        return Ok(String::new());
    }
    let ok = !trimmed.is_empty()
        && trimmed
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(char::is_control));
    if !ok {
        return Err(invalid(
            "--recordings-prefix / DIALTONE_RECORDINGS_PREFIX / recordings.prefix",
            prefix,
            "expected path segments such as `recordings/` (no leading `/`, no empty, `.` or `..` segment)",
        ));
    }
    Ok(format!("{trimmed}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3_file() -> RecordingsFile {
        RecordingsFile {
            store: Some("s3".into()),
            bucket: Some("calls".into()),
            ..RecordingsFile::default()
        }
    }

    #[test]
    fn fs_by_default() {
        let got = resolve(&RecordingsFlags::default(), RecordingsFile::default()).unwrap();
        assert_eq!(got, RecordingsSettings::Fs);
    }

    #[test]
    fn s3_from_the_file_with_flags_winning() {
        let file = RecordingsFile {
            prefix: Some("rec".into()),
            endpoint: Some("http://127.0.0.1:9000".into()),
            region: Some("eu-west-1".into()),
            allow_http: Some(true),
            access_key_id: Some("AKID".into()),
            secret_access_key: Some("secret".into()),
            ..s3_file()
        };
        let flags = RecordingsFlags {
            bucket: Some("other"),
            ..RecordingsFlags::default()
        };
        let RecordingsSettings::S3(s3) = resolve(&flags, file).unwrap() else {
            panic!("s3 expected");
        };
        assert_eq!(
            s3,
            S3Settings {
                bucket: "other".into(),
                prefix: "rec/".into(),
                endpoint: Some("http://127.0.0.1:9000".into()),
                region: Some("eu-west-1".into()),
                allow_http: true,
                access_key_id: Some("AKID".into()),
                secret_access_key: Some("secret".into()),
                session_token: None,
            }
        );
        assert!(!format!("{s3:?}").contains("secret\""), "{s3:?}");
        let flags = RecordingsFlags {
            store: Some("s3"),
            bucket: Some("b"),
            ..RecordingsFlags::default()
        };
        let RecordingsSettings::S3(s3) = resolve(&flags, RecordingsFile::default()).unwrap() else {
            panic!("s3 expected");
        };
        assert_eq!((s3.prefix.as_str(), s3.endpoint), ("", None));
    }

    #[test]
    fn bad_values_name_their_setting() {
        let err = |flags: RecordingsFlags<'_>, file: RecordingsFile| {
            resolve(&flags, file).unwrap_err().to_string()
        };
        let e = err(
            RecordingsFlags {
                store: Some("gcs"),
                ..RecordingsFlags::default()
            },
            RecordingsFile::default(),
        );
        assert!(
            e.contains("recordings.store") && e.contains("fs or s3"),
            "{e}"
        );
        let e = err(
            RecordingsFlags::default(),
            RecordingsFile {
                bucket: None,
                ..s3_file()
            },
        );
        assert!(e.contains("needs a bucket"), "{e}");
        let e = err(
            RecordingsFlags::default(),
            RecordingsFile {
                bucket: Some("s3://calls".into()),
                ..s3_file()
            },
        );
        assert!(e.contains("recordings.bucket"), "{e}");
        for prefix in ["/abs", "a//b", "../x", "."] {
            let e = err(
                RecordingsFlags::default(),
                RecordingsFile {
                    prefix: Some(prefix.into()),
                    ..s3_file()
                },
            );
            assert!(e.contains("recordings.prefix"), "{prefix}: {e}");
        }
        let e = err(
            RecordingsFlags::default(),
            RecordingsFile {
                endpoint: Some("http://127.0.0.1:9000".into()),
                ..s3_file()
            },
        );
        assert!(e.contains("allow_http"), "{e}");
        let e = err(
            RecordingsFlags::default(),
            RecordingsFile {
                endpoint: Some("localhost:9000".into()),
                ..s3_file()
            },
        );
        assert!(e.contains("recordings.endpoint"), "{e}");
        let e = err(
            RecordingsFlags::default(),
            RecordingsFile {
                access_key_id: Some("AKID".into()),
                ..s3_file()
            },
        );
        assert!(e.contains("secret_access_key"), "{e}");
        let e = err(
            RecordingsFlags {
                bucket: Some("calls"),
                ..RecordingsFlags::default()
            },
            RecordingsFile::default(),
        );
        assert!(
            e.contains("recordings.bucket") && e.contains("\"s3\""),
            "{e}"
        );
    }
}
