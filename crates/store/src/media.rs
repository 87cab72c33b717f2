//! Where recording audio lives: a [`RecordingStore`] keeps each recording's WAV under a name
//! (stored in [`Recording::media`](crate::Recording::media)). [`FsRecordingStore`] keeps
//! them as files under a directory (the data directory's `recordings/`), one directory per
//! account: `{root}/{AC}/{RE}.wav`; [`ObjectRecordingStore`](crate::ObjectRecordingStore)
//! keeps them in a bucket.
//!
//! Every store is written the same way: the runtime's recorder writes a local file
//! ([`RecordingStore::local_path`], so a crash leaves a file that restart repairs), then says
//! it is [`finished`](RecordingStore::finished). Reads and deletes are async because an
//! object store answers over the network.
//!
//! Names are checked: only `AC.../RE....wav`-shaped relative names are accepted, so a name
//! read back from the database can never reach outside the root.

use std::fmt;
use std::future::Future;
use std::io::{self, SeekFrom};
use std::path::{Path, PathBuf};
use std::pin::Pin;

use dialtone_types::{Sid, SidKind};
use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};

/// What a [`RecordingStore`] operation returns.
pub type MediaFuture<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

/// Storage of recording media. Reads are by byte range so large files need not be loaded.
pub trait RecordingStore: Send + Sync + fmt::Debug + 'static {
    /// The name the WAV of `recording` of `account` is kept under.
    fn name_for(&self, account: Sid, recording: Sid) -> String {
        format!("{account}/{recording}.wav")
    }
    /// Where a writer (the runtime's recorder) puts the file named `name`, and where restart
    /// repair finds what a crash left; `None` when `name` is not a media name.
    fn local_path(&self, name: &str) -> Option<PathBuf>;
    /// The file at [`local_path`](Self::local_path) is complete: make it durable in the
    /// store (an object store uploads it, and retries until it is). Nothing to do on a
    /// filesystem.
    fn finished<'a>(&'a self, name: &'a str) -> MediaFuture<'a, ()> {
        let _ = name;
        Box::pin(std::future::ready(Ok(())))
    }
    /// The size of `name` in bytes.
    fn len<'a>(&'a self, name: &'a str) -> MediaFuture<'a, u64>;
    /// `len` bytes of `name` from `start` (fewer at the end of the file).
    fn read_range<'a>(&'a self, name: &'a str, start: u64, len: u64) -> MediaFuture<'a, Vec<u8>>;
    /// Removes `name`; a missing file is not an error.
    fn delete<'a>(&'a self, name: &'a str) -> MediaFuture<'a, ()>;
}

/// Recording media as files under a root directory.
#[derive(Debug, Clone)]
pub struct FsRecordingStore {
    root: PathBuf,
}

/// Whether `name` is `AC.../RE....wav`.
pub(crate) fn valid_name(name: &str) -> bool {
    let Some((account, file)) = name.split_once('/') else {
        return false;
    };
    let Some(recording) = file.strip_suffix(".wav") else {
        return false;
    };
    Sid::parse_kind(account, SidKind::Account).is_ok()
        && Sid::parse_kind(recording, SidKind::Recording).is_ok()
}

impl FsRecordingStore {
    /// Files under `root` (created on first write by the recorder).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, name: &str) -> io::Result<PathBuf> {
        checked(name).map(|name| self.root.join(name))
    }
}

/// `name` if it is a media name, else `InvalidInput`.
pub(crate) fn checked(name: &str) -> io::Result<&str> {
    if valid_name(name) {
        Ok(name)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a recording media name: {name:?}"),
        ))
    }
}

/// `len` bytes of the file at `path` from `start`.
pub(crate) async fn read_file_range(path: &Path, start: u64, len: u64) -> io::Result<Vec<u8>> {
    let mut file = tokio::fs::File::open(path).await?;
    file.seek(SeekFrom::Start(start)).await?;
    let mut out = Vec::with_capacity(usize::try_from(len.min(1 << 24)).unwrap_or(0));
    file.take(len).read_to_end(&mut out).await?;
    Ok(out)
}

/// Removes the file at `path`; a missing one is not an error.
pub(crate) async fn remove_file(path: &Path) -> io::Result<()> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

impl RecordingStore for FsRecordingStore {
    fn local_path(&self, name: &str) -> Option<PathBuf> {
        self.path(name).ok()
    }

    fn len<'a>(&'a self, name: &'a str) -> MediaFuture<'a, u64> {
        Box::pin(async move { Ok(tokio::fs::metadata(self.path(name)?).await?.len()) })
    }

    fn read_range<'a>(&'a self, name: &'a str, start: u64, len: u64) -> MediaFuture<'a, Vec<u8>> {
        Box::pin(async move { read_file_range(&self.path(name)?, start, len).await })
    }

    fn delete<'a>(&'a self, name: &'a str) -> MediaFuture<'a, ()> {
        Box::pin(async move { remove_file(&self.path(name)?).await })
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[tokio::test]
    async fn names_stay_under_the_root() {
        let dir = std::env::temp_dir().join(format!("dialtone-recstore-{}", std::process::id()));
        let store = FsRecordingStore::new(&dir);
        let (ac, re) = (
            Sid::new(SidKind::Account, 1),
            Sid::new(SidKind::Recording, 2),
        );
        let name = store.name_for(ac, re);
        assert_eq!(name, format!("{ac}/{re}.wav"));
        let path = store.local_path(&name).unwrap();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, b"0123456789").unwrap();
        assert_eq!(store.len(&name).await.unwrap(), 10);
        assert_eq!(store.read_range(&name, 2, 3).await.unwrap(), b"234");
        assert_eq!(store.read_range(&name, 8, 10).await.unwrap(), b"89");
        store.delete(&name).await.unwrap();
        store.delete(&name).await.unwrap();
        assert!(store.len(&name).await.is_err());
        for bad in [
            "../x.wav",
            "AC1/RE2.wav",
            &format!("{ac}/../{re}.wav"),
            &format!("/{ac}/{re}.wav"),
        ] {
            assert!(store.local_path(bad).is_none(), "{bad}");
        }
        let _ = fs::remove_dir_all(dir);
    }
}
