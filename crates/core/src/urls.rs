//! Resolving URLs once.
//!
//! Relative URLs in TwiML (`action`, whisper `url`, `statusCallback`, `<Redirect>`) resolve
//! against the document URL. Documents and their URLs repeat from call to call, so resolved
//! URLs are kept, by base and raw text, and shared (`Arc<Url>`) with every output that names
//! them: parsing and copying URLs was a tenth of a flow's cost. The cache is bounded and simply
//! cleared when full.

use std::sync::Arc;

use url::Url;

use crate::hash::FastMap;

/// Resolved URLs by base URL (empty for none), then by raw text.
#[derive(Debug)]
pub(crate) struct UrlCache {
    capacity: usize,
    len: usize,
    map: FastMap<Box<str>, FastMap<Box<str>, Arc<Url>>>,
}

impl UrlCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            len: 0,
            map: FastMap::default(),
        }
    }

    /// `raw` resolved against `base` (absolute URLs stand alone); `None` when invalid.
    pub(crate) fn resolve(&mut self, base: Option<&Url>, raw: &str) -> Option<Arc<Url>> {
        let base_key = base.map_or("", Url::as_str);
        if let Some(hit) = self.map.get(base_key).and_then(|m| m.get(raw)) {
            return Some(Arc::clone(hit));
        }
        let url = Arc::new(resolve_against(base, raw)?);
        if self.len >= self.capacity {
            self.map.clear();
            self.len = 0;
        }
        self.map
            .entry(base_key.into())
            .or_default()
            .insert(raw.into(), Arc::clone(&url));
        self.len += 1;
        Some(url)
    }
}

/// Resolves `raw` against the document URL `base` (absolute URLs stand alone).
pub(crate) fn resolve_against(base: Option<&Url>, raw: &str) -> Option<Url> {
    match base {
        Some(base) => base.join(raw).ok(),
        None => Url::parse(raw).ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_and_absolute_and_shares() {
        let mut cache = UrlCache::new(2);
        let base = Url::parse("https://app.test/ivr/voice?x=1").unwrap();
        let a = cache.resolve(Some(&base), "next").unwrap();
        assert_eq!(a.as_str(), "https://app.test/ivr/next");
        let b = cache.resolve(Some(&base), "next").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(
            cache.resolve(Some(&base), "/root?q=2").unwrap().as_str(),
            "https://app.test/root?q=2"
        );
        assert_eq!(
            cache
                .resolve(Some(&base), "https://other.test/x")
                .unwrap()
                .as_str(),
            "https://other.test/x"
        );
        assert_eq!(cache.resolve(None, "relative"), None);
        assert_eq!(cache.resolve(None, "http://[::1"), None);
    }
}
