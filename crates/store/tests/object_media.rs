//! `ObjectRecordingStore` against object_store's in-memory store: the spool, the upload, ranged
//! reads, delete, retries after a failing store and the resumption of a previous run's uploads.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use dialtone_store::object_store::memory::InMemory;
use dialtone_store::object_store::path::Path as Key;
use dialtone_store::object_store::{
    self, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    ObjectStoreExt as _, PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use dialtone_store::{ObjectRecordingStore, RecordingStore, UploadRetry};
use dialtone_types::{Sid, SidKind};
use futures_util::stream::BoxStream;

/// Quick retries so the tests take milliseconds.
const RETRY: UploadRetry = UploadRetry {
    first: Duration::from_millis(20),
    max: Duration::from_millis(80),
    attempt_timeout: Duration::from_secs(5),
};

/// An in-memory store whose uploads fail while `failing` is above zero (each failure counts
/// it down), like a bucket that is unreachable for a while.
#[derive(Debug, Default)]
struct Flaky {
    inner: InMemory,
    failing: AtomicUsize,
    puts: AtomicUsize,
}

impl Flaky {
    fn failing(n: usize) -> Self {
        Self {
            failing: AtomicUsize::new(n),
            ..Self::default()
        }
    }

    fn fail(&self) -> object_store::Result<()> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        let left = self.failing.load(Ordering::SeqCst);
        if left > 0 {
            self.failing.store(left - 1, Ordering::SeqCst);
            return Err(object_store::Error::Generic {
                store: "Flaky",
                source: "bucket unreachable".into(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for Flaky {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Flaky")
    }
}

#[async_trait]
impl ObjectStore for Flaky {
    async fn put_opts(
        &self,
        location: &Key,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.fail()?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Key,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.fail()?;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Key,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Key,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<bytes::Bytes>> {
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Key>>,
    ) -> BoxStream<'static, object_store::Result<Key>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Key>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.inner.list(prefix)
    }

    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> object_store::Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Key,
        to: &Key,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

fn names() -> (Sid, Sid) {
    (
        Sid::new(SidKind::Account, 7),
        Sid::new(SidKind::Recording, 9),
    )
}

/// A WAV-sized body with a recognisable pattern.
fn body() -> Vec<u8> {
    (0..20_000u32).map(|i| (i % 251) as u8).collect()
}

/// Writes `bytes` where the recorder would, as the recorder does.
fn record(store: &ObjectRecordingStore, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = store.local_path(name).expect("a media name");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

async fn object(store: &dyn ObjectStore, key: &str) -> Option<Vec<u8>> {
    match store.get(&Key::from(key)).await {
        Ok(r) => Some(r.bytes().await.unwrap().to_vec()),
        Err(object_store::Error::NotFound { .. }) => None,
        Err(e) => panic!("get {key}: {e}"),
    }
}

/// Waits (up to 10 s) for `done`.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        out.push(entry.strip_prefix(dir).unwrap().display().to_string());
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test]
async fn finished_recordings_are_uploaded_read_by_range_and_deleted() {
    let spool = tempfile::tempdir().unwrap();
    let bucket = Arc::new(InMemory::new());
    let store =
        ObjectRecordingStore::new(bucket.clone(), "calls/rec/", spool.path(), RETRY).unwrap();
    let (ac, re) = names();
    let name = store.name_for(ac, re);
    let key = format!("calls/rec/{ac}/{re}.wav");
    assert_eq!(store.key(&name).unwrap(), key);

    // While recording: a local spool file, nothing in the bucket.
    let live = record(&store, &name, &body());
    assert_eq!(live, spool.path().join("live").join(&name));
    assert_eq!(object(bucket.as_ref(), &key).await, None);

    store.finished(&name).await.unwrap();
    assert_eq!(object(bucket.as_ref(), &key).await, Some(body()));
    assert_eq!(
        files_under(spool.path()),
        Vec::<String>::new(),
        "spool emptied"
    );
    let meta = bucket.head(&Key::from(key.as_str())).await.unwrap();
    assert_eq!(meta.size, 20_000);

    // Reads come from the bucket, by range.
    assert_eq!(store.len(&name).await.unwrap(), 20_000);
    assert_eq!(
        store.read_range(&name, 1000, 16).await.unwrap(),
        body()[1000..1016]
    );
    assert_eq!(
        store.read_range(&name, 19_990, 100).await.unwrap(),
        body()[19_990..]
    );
    assert_eq!(store.read_range(&name, 0, 20_000).await.unwrap(), body());
    assert!(store.read_range(&name, 5, 0).await.unwrap().is_empty());

    store.delete(&name).await.unwrap();
    assert_eq!(object(bucket.as_ref(), &key).await, None);
    assert_eq!(
        store.len(&name).await.unwrap_err().kind(),
        std::io::ErrorKind::NotFound
    );
    // Deleting again is not an error.
    store.delete(&name).await.unwrap();
    assert_eq!(store.pending_uploads(), 0);
}

#[tokio::test]
async fn bad_names_and_prefixes_are_refused() {
    let spool = tempfile::tempdir().unwrap();
    let bucket: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
    let store = ObjectRecordingStore::new(bucket.clone(), "", spool.path(), RETRY).unwrap();
    for bad in ["../x.wav", "AC1/RE2.wav", "x"] {
        assert!(store.local_path(bad).is_none(), "{bad}");
        assert!(store.len(bad).await.is_err(), "{bad}");
        assert!(store.read_range(bad, 0, 1).await.is_err(), "{bad}");
        assert!(store.delete(bad).await.is_err(), "{bad}");
        assert!(store.finished(bad).await.is_err(), "{bad}");
    }
    for bad in ["no-slash", "/abs/", "a//", "a/../", "./"] {
        let err = ObjectRecordingStore::new(bucket.clone(), bad, spool.path(), RETRY)
            .expect_err(bad)
            .to_string();
        assert!(err.contains("invalid prefix"), "{bad}: {err}");
    }
    assert!(ObjectRecordingStore::new(bucket, "a/b-c_1/", spool.path(), RETRY).is_ok());
}

#[tokio::test]
async fn a_failed_upload_is_served_from_the_spool_and_retried_until_it_succeeds() {
    let spool = tempfile::tempdir().unwrap();
    let bucket = Arc::new(Flaky::failing(3));
    let store = ObjectRecordingStore::new(bucket.clone(), "", spool.path(), RETRY).unwrap();
    let (ac, re) = names();
    let name = store.name_for(ac, re);
    let key = format!("{ac}/{re}.wav");
    record(&store, &name, &body());

    // The first upload fails: the recording still finishes, waiting in the spool.
    store.finished(&name).await.unwrap();
    assert_eq!(object(&bucket.inner, &key).await, None);
    let waiting = spool.path().join("upload").join(&name);
    assert!(waiting.exists());
    assert_eq!(store.local_path(&name).unwrap(), waiting);
    // ...and is served from there meanwhile.
    assert_eq!(store.len(&name).await.unwrap(), 20_000);
    assert_eq!(store.read_range(&name, 3, 4).await.unwrap(), body()[3..7]);

    // Retries with backoff: two more failures, then the upload.
    eventually("the retried upload", async || {
        object(&bucket.inner, &key).await.is_some()
    })
    .await;
    eventually("the retry loop to end", async || {
        store.pending_uploads() == 0
    })
    .await;
    assert_eq!(object(&bucket.inner, &key).await, Some(body()));
    assert_eq!(bucket.puts.load(Ordering::SeqCst), 4);
    assert!(!waiting.exists(), "the spool file goes once uploaded");
    assert_eq!(store.read_range(&name, 3, 4).await.unwrap(), body()[3..7]);
}

#[tokio::test]
async fn a_restart_uploads_what_the_last_run_left() {
    let spool = tempfile::tempdir().unwrap();
    let (ac, re) = names();
    let other = Sid::new(SidKind::Recording, 10);
    // The first run's bucket is down: both recordings finish into the spool.
    {
        let down = Arc::new(Flaky::failing(usize::MAX));
        let store = ObjectRecordingStore::new(down.clone(), "p/", spool.path(), RETRY).unwrap();
        for r in [re, other] {
            let name = store.name_for(ac, r);
            record(&store, &name, &body());
            store.finished(&name).await.unwrap();
        }
        assert!(
            down.inner
                .list_with_delimiter(None)
                .await
                .unwrap()
                .objects
                .is_empty()
        );
        // An unfinished one (a crash mid-recording) stays for restart repair.
        record(
            &store,
            &store.name_for(ac, Sid::new(SidKind::Recording, 11)),
            b"RIFF",
        );
    }
    assert_eq!(
        files_under(&spool.path().join("upload")),
        [format!("{ac}/{re}.wav"), format!("{ac}/{other}.wav")]
    );

    // The next run, bucket up: both are uploaded without being asked.
    let bucket = Arc::new(InMemory::new());
    let store = ObjectRecordingStore::new(bucket.clone(), "p/", spool.path(), RETRY).unwrap();
    eventually("the resumed uploads", async || store.pending_uploads() == 0).await;
    for r in [re, other] {
        assert_eq!(
            object(bucket.as_ref(), &format!("p/{ac}/{r}.wav")).await,
            Some(body()),
            "{r}"
        );
    }
    assert_eq!(
        files_under(spool.path()),
        [format!(
            "live/{ac}/{}.wav",
            Sid::new(SidKind::Recording, 11)
        )],
        "only the unfinished recording is left"
    );
}

#[tokio::test]
async fn a_recording_deleted_while_waiting_is_never_uploaded() {
    let spool = tempfile::tempdir().unwrap();
    let bucket = Arc::new(Flaky::failing(2));
    let store = ObjectRecordingStore::new(bucket.clone(), "", spool.path(), RETRY).unwrap();
    let (ac, re) = names();
    let name = store.name_for(ac, re);
    record(&store, &name, &body());
    store.finished(&name).await.unwrap();
    store.delete(&name).await.unwrap();
    eventually("the retry loop to end", async || {
        store.pending_uploads() == 0
    })
    .await;
    assert_eq!(object(&bucket.inner, &format!("{ac}/{re}.wav")).await, None);
    assert!(files_under(spool.path()).is_empty());
}
