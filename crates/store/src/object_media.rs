//! Recording media in an object store: S3 or an S3-compatible server (MinIO, Ceph, moto),
//! through the `object_store` crate. Selected by `[recordings] store = "s3"`.
//!
//! A recording is never only in memory and never lost to an unreachable bucket:
//! - The recorder writes a local spool file, `{spool}/live/{AC}/{RE}.wav`, exactly as on the
//!   filesystem store, so a crash leaves a file that restart repairs.
//! - When it is finished the file is renamed (atomic: same directory tree) to
//!   `{spool}/upload/{AC}/{RE}.wav`, "complete, not in the bucket yet", and uploaded to the key
//!   `{prefix}{AC}/{RE}.wav` (streamed; multipart above 10 MB). The local file is removed only
//!   after the upload succeeded.
//! - A failed upload is retried with exponential backoff, for as long as it takes; at start
//!   every file left in `upload/` is uploaded again, so a restart finishes what a stop left.
//! - Reads: a recording still in `upload/` is served from there, otherwise from the bucket by
//!   ranged GETs, so `Range` requests cost only the bytes asked for.
//! - Delete removes the local files and the object; an upload that was in flight removes the
//!   object it just wrote when it finds its file deleted.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path as Key;
use object_store::{
    Attribute, AttributeValue, Attributes, ObjectStore, ObjectStoreExt as _, RetryConfig,
};
use tokio::io::AsyncWriteExt as _;

use crate::media::{MediaFuture, RecordingStore, checked, read_file_range, remove_file};

/// How uploads are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadRetry {
    /// The wait before the first retry; doubled after each failure.
    pub first: Duration,
    /// The longest wait between two tries.
    pub max: Duration,
    /// How long the upload at [`RecordingStore::finished`] may take before it is left to the
    /// retries (the recording's completion waits for it).
    pub attempt_timeout: Duration,
}

impl Default for UploadRetry {
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max: Duration::from_mins(5),
            attempt_timeout: Duration::from_secs(30),
        }
    }
}

/// Where an S3 (or S3-compatible) bucket is and how to sign for it. Credentials left `None`
/// come from the standard `AWS_*` environment variables.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    /// The bucket.
    pub bucket: String,
    /// Prepended to `{AC}/{RE}.wav`: empty or ending in `/`.
    pub prefix: String,
    /// An S3-compatible server's URL (path-style requests); `None` for AWS.
    pub endpoint: Option<String>,
    /// The region (`AWS_REGION`, else `us-east-1`).
    pub region: Option<String>,
    /// Allows an `http://` endpoint (a loopback test server).
    pub allow_http: bool,
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<String>,
    /// `AWS_SESSION_TOKEN`.
    pub session_token: Option<String>,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("S3Settings")
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

/// Why an object recording store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ObjectMediaError {
    /// The S3 client could not be built from the settings.
    #[error("recordings: invalid S3 settings: {0}")]
    Settings(object_store::Error),
    /// The prefix is not a valid key prefix.
    #[error("recordings: invalid prefix {0:?}: expected empty or path segments ending in `/`")]
    Prefix(String),
    /// The bucket did not answer a listing (missing, wrong credentials, unreachable).
    #[error("recordings: bucket {bucket:?} cannot be listed: {source}")]
    Unreachable {
        /// The bucket.
        bucket: String,
        /// What the server (or the connection) said.
        source: object_store::Error,
    },
    /// The local spool directory could not be prepared.
    #[error("recordings: spool directory {path}: {source}")]
    Spool {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// Recording media in a bucket, with a local spool (see the module documentation).
#[derive(Debug, Clone)]
pub struct ObjectRecordingStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    spool: PathBuf,
    retry: UploadRetry,
    /// Names being uploaded now: one upload per name at a time.
    uploading: Mutex<HashSet<String>>,
    /// Names with a retry loop.
    retrying: Mutex<HashSet<String>>,
}

/// What one upload attempt found.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    /// In the bucket (or nothing left to upload).
    Done,
    /// Another upload of the same name is running.
    Busy,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn io_error(e: object_store::Error) -> io::Error {
    match e {
        object_store::Error::NotFound { .. } => io::Error::new(io::ErrorKind::NotFound, e),
        e => io::Error::other(e),
    }
}

/// The media names (`AC/RE.wav`) of the files under `dir/AC/`.
fn names_under(dir: &Path) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    let accounts = match std::fs::read_dir(dir) {
        Ok(a) => a,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(names),
        Err(e) => return Err(e),
    };
    for account in accounts {
        let account = account?;
        if !account.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(account.path())? {
            let name = format!(
                "{}/{}",
                account.file_name().to_string_lossy(),
                file?.file_name().to_string_lossy()
            );
            if checked(&name).is_ok() {
                names.push(name);
            }
        }
    }
    names.sort();
    Ok(names)
}

impl ObjectRecordingStore {
    /// Media in `store` under `prefix` (empty or ending in `/`), spooled under `spool`. Starts
    /// the uploads of every recording a previous run left in the spool (so it needs a tokio
    /// runtime).
    pub fn new(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        spool: impl Into<PathBuf>,
        retry: UploadRetry,
    ) -> Result<Self, ObjectMediaError> {
        let bad_prefix = || ObjectMediaError::Prefix(prefix.to_owned());
        if !prefix.is_empty() {
            let trimmed = prefix.strip_suffix('/').ok_or_else(bad_prefix)?;
            Key::parse(trimmed).map_err(|_| bad_prefix())?;
            if Key::from(trimmed).as_ref() != trimmed {
                return Err(bad_prefix());
            }
        }
        let spool = spool.into();
        for dir in ["live", "upload"] {
            let path = spool.join(dir);
            std::fs::create_dir_all(&path)
                .map_err(|source| ObjectMediaError::Spool { path, source })?;
        }
        let this = Self {
            inner: Arc::new(Inner {
                store,
                prefix: prefix.to_owned(),
                spool,
                retry,
                uploading: Mutex::new(HashSet::new()),
                retrying: Mutex::new(HashSet::new()),
            }),
        };
        let upload_dir = this.inner.spool.join("upload");
        let left = names_under(&upload_dir).map_err(|source| ObjectMediaError::Spool {
            path: upload_dir,
            source,
        })?;
        if !left.is_empty() {
            tracing::info!(
                count = left.len(),
                "recordings: resuming uploads left by the last run"
            );
        }
        for name in left {
            Inner::spawn_retry(&this.inner, name, Duration::ZERO);
        }
        Ok(this)
    }

    /// An S3 (or S3-compatible) bucket from `settings`, checked by listing `prefix` once so a
    /// wrong bucket, endpoint or credential fails at start.
    pub async fn s3(
        settings: &S3Settings,
        spool: impl Into<PathBuf>,
        retry: UploadRetry,
    ) -> Result<Self, ObjectMediaError> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&settings.bucket)
            .with_allow_http(settings.allow_http)
            // A few quick retries per request; longer outages are this store's own retries.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(15),
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &settings.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_virtual_hosted_style_request(false);
        }
        if let Some(region) = &settings.region {
            builder = builder.with_region(region);
        }
        if let Some(v) = &settings.access_key_id {
            builder = builder.with_access_key_id(v);
        }
        if let Some(v) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(v);
        }
        if let Some(v) = &settings.session_token {
            builder = builder.with_token(v);
        }
        let store: Arc<dyn ObjectStore> =
            Arc::new(builder.build().map_err(ObjectMediaError::Settings)?);
        let this = Self::new(store, &settings.prefix, spool, retry)?;
        let prefix = settings.prefix.trim_end_matches('/');
        let prefix = (!prefix.is_empty()).then(|| Key::from(prefix));
        this.inner
            .store
            .list_with_delimiter(prefix.as_ref())
            .await
            .map_err(|source| ObjectMediaError::Unreachable {
                bucket: settings.bucket.clone(),
                source,
            })?;
        Ok(this)
    }

    /// The object key of media `name`.
    pub fn key(&self, name: &str) -> io::Result<String> {
        Ok(format!("{}{}", self.inner.prefix, checked(name)?))
    }

    /// Uploads not done yet (waiting for a retry or running one).
    pub fn pending_uploads(&self) -> usize {
        lock(&self.inner.retrying).len()
    }
}

impl Inner {
    fn live(&self, name: &str) -> PathBuf {
        self.spool.join("live").join(name)
    }

    fn upload_path(&self, name: &str) -> PathBuf {
        self.spool.join("upload").join(name)
    }

    fn key(&self, name: &str) -> io::Result<Key> {
        Key::parse(format!("{}{}", self.prefix, checked(name)?))
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
    }

    /// One upload of `name` from the spool.
    async fn upload(&self, name: &str) -> io::Result<Attempt> {
        if !lock(&self.uploading).insert(name.to_owned()) {
            return Ok(Attempt::Busy);
        }
        let result = self.upload_unguarded(name).await;
        lock(&self.uploading).remove(name);
        result.map(|()| Attempt::Done)
    }

    async fn upload_unguarded(&self, name: &str) -> io::Result<()> {
        let key = self.key(name)?;
        let path = self.upload_path(name);
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            // Uploaded by an earlier attempt, or deleted.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        let attributes =
            Attributes::from_iter([(Attribute::ContentType, AttributeValue::from("audio/x-wav"))]);
        let mut writer =
            BufWriter::new(Arc::clone(&self.store), key.clone()).with_attributes(attributes);
        if let Err(e) = tokio::io::copy(&mut file, &mut writer).await {
            // Drops the parts of a multipart upload begun.
            let _ = writer.abort().await;
            return Err(e);
        }
        writer.shutdown().await?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {
                tracing::debug!(%key, "recording uploaded");
                Ok(())
            }
            // Deleted while it was uploading: the object must go too.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.store.delete(&key).await.or_else(|e| match e {
                    object_store::Error::NotFound { .. } => Ok(()),
                    e => Err(io_error(e)),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Retries `name` until it is uploaded, the first try after `delay`; one loop per name.
    fn spawn_retry(this: &Arc<Self>, name: String, delay: Duration) {
        if !lock(&this.retrying).insert(name.clone()) {
            return;
        }
        let inner = Arc::clone(this);
        tokio::spawn(async move {
            let mut wait = delay;
            let mut next = inner.retry.first;
            loop {
                tokio::time::sleep(wait).await;
                match inner.upload(&name).await {
                    Ok(Attempt::Done) => break,
                    Ok(Attempt::Busy) => {}
                    Err(e) => {
                        tracing::warn!(recording = %name, error = %e, retry_in = ?next, "recording upload failed");
                    }
                }
                wait = next;
                next = (next * 2).min(inner.retry.max);
            }
            lock(&inner.retrying).remove(&name);
        });
    }
}

impl RecordingStore for ObjectRecordingStore {
    /// The spool file: in `upload/` when a finished recording is waiting there (so restart
    /// repair finds it), else in `live/`.
    fn local_path(&self, name: &str) -> Option<PathBuf> {
        let name = checked(name).ok()?;
        let waiting = self.inner.upload_path(name);
        Some(if waiting.exists() {
            waiting
        } else {
            self.inner.live(name)
        })
    }

    fn finished<'a>(&'a self, name: &'a str) -> MediaFuture<'a, ()> {
        Box::pin(async move {
            let name = checked(name)?;
            let waiting = self.inner.upload_path(name);
            if let Some(dir) = waiting.parent() {
                tokio::fs::create_dir_all(dir).await?;
            }
            match tokio::fs::rename(self.inner.live(name), &waiting).await {
                Ok(()) => {}
                // Already moved (a restart repairing a recording that had finished).
                Err(e) if e.kind() == io::ErrorKind::NotFound && waiting.exists() => {}
                Err(e) => return Err(e),
            }
            let first = tokio::time::timeout(self.inner.retry.attempt_timeout, async {
                self.inner.upload(name).await
            })
            .await;
            match first {
                Ok(Ok(Attempt::Done)) => return Ok(()),
                Ok(Ok(Attempt::Busy)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(recording = %name, error = %e, "recording upload failed; retrying");
                }
                Err(_) => {
                    tracing::warn!(recording = %name, "recording upload timed out; retrying");
                }
            }
            Inner::spawn_retry(&self.inner, name.to_owned(), self.inner.retry.first);
            Ok(())
        })
    }

    fn len<'a>(&'a self, name: &'a str) -> MediaFuture<'a, u64> {
        Box::pin(async move {
            let key = self.inner.key(name)?;
            match tokio::fs::metadata(self.inner.upload_path(name)).await {
                Ok(m) => return Ok(m.len()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            Ok(self.inner.store.head(&key).await.map_err(io_error)?.size)
        })
    }

    fn read_range<'a>(&'a self, name: &'a str, start: u64, len: u64) -> MediaFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let key = self.inner.key(name)?;
            match read_file_range(&self.inner.upload_path(name), start, len).await {
                Ok(bytes) => return Ok(bytes),
                // Not waiting (or uploaded just now): the bucket has it.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            if len == 0 {
                return Ok(Vec::new());
            }
            let end = start.saturating_add(len);
            let bytes = self
                .inner
                .store
                .get_range(&key, start..end)
                .await
                .map_err(io_error)?;
            Ok(bytes.to_vec())
        })
    }

    fn delete<'a>(&'a self, name: &'a str) -> MediaFuture<'a, ()> {
        Box::pin(async move {
            let key = self.inner.key(name)?;
            remove_file(&self.inner.live(name)).await?;
            remove_file(&self.inner.upload_path(name)).await?;
            match self.inner.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(e) => Err(io_error(e)),
            }
        })
    }
}
