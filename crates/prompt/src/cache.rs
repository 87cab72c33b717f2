//! A clip cache bounded by total frames (least recently used out first) with single flight:
//! callers asking for a key that is being made wait for that one attempt instead of starting
//! their own, so one file played to a thousand calls is fetched and decoded once.
//!
//! Failures are not cached (the next ask tries again); an entry carries what its maker needs
//! to decide freshness (`M`: nothing for speech, HTTP validators and expiry for `<Play>`).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError};

use dialtone_media::audio::Clip;
use tokio::sync::OnceCell;

use crate::error::PromptError;

type Flight<M> = Arc<OnceCell<Result<(Clip, M), PromptError>>>;

#[derive(Debug)]
struct Entry<M> {
    clip: Clip,
    meta: M,
    used: u64,
}

#[derive(Debug)]
struct Inner<K, M> {
    entries: HashMap<K, Entry<M>>,
    flights: HashMap<K, Flight<M>>,
    frames: usize,
    tick: u64,
}

/// The cache.
#[derive(Debug)]
pub(crate) struct ClipCache<K, M> {
    inner: Mutex<Inner<K, M>>,
    max_frames: usize,
}

impl<K: Hash + Eq + Clone, M: Clone> ClipCache<K, M> {
    pub fn new(max_frames: usize) -> Self {
        ClipCache {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                flights: HashMap::new(),
                frames: 0,
                tick: 0,
            }),
            max_frames,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, M>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached clip and its metadata, marked as just used.
    pub fn get(&self, key: &K) -> Option<(Clip, M)> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let entry = inner.entries.get_mut(key)?;
        entry.used = tick;
        Some((entry.clip.clone(), entry.meta.clone()))
    }

    /// Stores (or replaces) an entry, evicting the least recently used beyond the bound. A
    /// clip larger than the whole bound is not stored.
    pub fn put(&self, key: K, clip: Clip, meta: M) {
        if clip.len() > self.max_frames {
            self.remove(&key);
            return;
        }
        let mut inner = self.lock();
        inner.tick += 1;
        let used = inner.tick;
        inner.frames += clip.len();
        if let Some(old) = inner.entries.insert(key, Entry { clip, meta, used }) {
            inner.frames -= old.clip.len();
        }
        while inner.frames > self.max_frames {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.frames -= e.clip.len();
            }
        }
    }

    /// Forgets an entry.
    pub fn remove(&self, key: &K) {
        let mut inner = self.lock();
        if let Some(e) = inner.entries.remove(key) {
            inner.frames -= e.clip.len();
        }
    }

    /// Total frames held.
    #[cfg(test)]
    pub fn frames(&self) -> usize {
        self.lock().frames
    }

    /// The cached clip if `usable` accepts its metadata; otherwise runs `make` unless an
    /// attempt for `key` is already running, in which case its result is shared. `make`
    /// stores a successful result with [`put`](Self::put) before returning, and the lookup
    /// and joining happen under one lock, so a caller arriving just as an attempt finishes
    /// finds its entry instead of starting another. If the running attempt's caller is
    /// dropped, a waiter takes over.
    pub async fn get_or_make<U, F, Fut>(
        &self,
        key: &K,
        usable: U,
        make: F,
    ) -> Result<(Clip, M), PromptError>
    where
        U: FnOnce(&M) -> bool,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(Clip, M), PromptError>>,
    {
        let flight = {
            let mut inner = self.lock();
            inner.tick += 1;
            let tick = inner.tick;
            if let Some(entry) = inner.entries.get_mut(key)
                && usable(&entry.meta)
            {
                entry.used = tick;
                return Ok((entry.clip.clone(), entry.meta.clone()));
            }
            inner
                .flights
                .entry(key.clone())
                .or_insert_with(|| Arc::new(OnceCell::new()))
                .clone()
        };
        let result = flight.get_or_init(make).await.clone();
        let mut inner = self.lock();
        if inner
            .flights
            .get(key)
            .is_some_and(|f| Arc::ptr_eq(f, &flight))
        {
            inner.flights.remove(key);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_media::audio::Frame;

    fn clip(n: usize) -> Clip {
        Clip::from_frames(vec![Frame::SILENCE; n])
    }

    #[test]
    fn evicts_least_recently_used_by_frames() {
        let cache: ClipCache<&str, ()> = ClipCache::new(10);
        cache.put("a", clip(4), ());
        cache.put("b", clip(4), ());
        assert!(cache.get(&"a").is_some());
        cache.put("c", clip(4), ());
        assert!(cache.get(&"b").is_none());
        assert!(cache.get(&"a").is_some() && cache.get(&"c").is_some());
        assert_eq!(cache.frames(), 8);
        cache.put("huge", clip(11), ());
        assert!(cache.get(&"huge").is_none());
        cache.put("a", clip(1), ());
        assert_eq!(cache.frames(), 5);
    }
}
