//! Where recording audio lives: a [`RecordingStore`] keeps each recording's WAV under a name
//! (stored in [`Recording::media`](crate::Recording::media)); [`FsRecordingStore`] keeps
//! them as files under a directory (the data directory's `recordings/`), one directory per
//! account: `{root}/{AC}/{RE}.wav`.
//!
//! Names are checked: only `AC.../RE....wav`-shaped relative names are accepted, so a name
//! read back from the database can never reach outside the root.

use std::fmt;
use std::fs;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use dialtone_types::{Sid, SidKind};

/// Storage of recording media. Reads are by byte range so large files need not be loaded.
pub trait RecordingStore: Send + Sync + fmt::Debug + 'static {
    /// The name the WAV of `recording` of `account` is kept under.
    fn name_for(&self, account: Sid, recording: Sid) -> String {
        format!("{account}/{recording}.wav")
    }
    /// Where a writer (the runtime's recorder) puts the file named `name`; `None` when the
    /// store is not a filesystem.
    fn local_path(&self, name: &str) -> Option<PathBuf>;
    /// The size of `name` in bytes.
    fn len(&self, name: &str) -> io::Result<u64>;
    /// `len` bytes of `name` from `start` (fewer at the end of the file).
    fn read_range(&self, name: &str, start: u64, len: u64) -> io::Result<Vec<u8>>;
    /// Removes `name`; a missing file is not an error.
    fn delete(&self, name: &str) -> io::Result<()>;
}

/// Recording media as files under a root directory.
#[derive(Debug, Clone)]
pub struct FsRecordingStore {
    root: PathBuf,
}

fn valid_name(name: &str) -> bool {
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
        if valid_name(name) {
            Ok(self.root.join(name))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("not a recording media name: {name:?}"),
            ))
        }
    }
}

impl RecordingStore for FsRecordingStore {
    fn local_path(&self, name: &str) -> Option<PathBuf> {
        self.path(name).ok()
    }

    fn len(&self, name: &str) -> io::Result<u64> {
        Ok(fs::metadata(self.path(name)?)?.len())
    }

    fn read_range(&self, name: &str, start: u64, len: u64) -> io::Result<Vec<u8>> {
        let mut file = fs::File::open(self.path(name)?)?;
        file.seek(SeekFrom::Start(start))?;
        let mut out = Vec::with_capacity(usize::try_from(len.min(1 << 24)).unwrap_or(0));
        file.take(len).read_to_end(&mut out)?;
        Ok(out)
    }

    fn delete(&self, name: &str) -> io::Result<()> {
        match fs::remove_file(self.path(name)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_under_the_root() {
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
        assert_eq!(store.len(&name).unwrap(), 10);
        assert_eq!(store.read_range(&name, 2, 3).unwrap(), b"234");
        assert_eq!(store.read_range(&name, 8, 10).unwrap(), b"89");
        store.delete(&name).unwrap();
        store.delete(&name).unwrap();
        assert!(store.len(&name).is_err());
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
