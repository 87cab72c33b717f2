//! Resolving URLs once.
//!
//! Relative URLs in TwiML (`action`, whisper `url`, `statusCallback`, `<Redirect>`) resolve
//! against the document URL, on the text, so that what the application wrote is what is
//! requested and signed ([`WebUrl::join`]). Documents and their URLs repeat from call to call,
//! so resolved URLs are kept, by base and raw text, and shared with every output that names
//! them: parsing and copying URLs was a tenth of a flow's cost. The cache is bounded and simply
//! cleared when full.

use dialtone_types::{UrlError, WebUrl};

use crate::hash::FastMap;

/// Resolved URLs by base URL (empty for none), then by raw text.
#[derive(Debug)]
pub(crate) struct UrlCache {
    capacity: usize,
    len: usize,
    map: FastMap<Box<str>, FastMap<Box<str>, WebUrl>>,
}

impl UrlCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            len: 0,
            map: FastMap::default(),
        }
    }

    /// `raw` resolved against `base` (absolute URLs stand alone).
    pub(crate) fn resolve(&mut self, base: Option<&WebUrl>, raw: &str) -> Result<WebUrl, UrlError> {
        let base_key = base.map_or("", WebUrl::as_str);
        if let Some(hit) = self.map.get(base_key).and_then(|m| m.get(raw)) {
            return Ok(hit.clone());
        }
        let url = resolve_against(base, raw)?;
        if self.len >= self.capacity {
            self.map.clear();
            self.len = 0;
        }
        self.map
            .entry(base_key.into())
            .or_default()
            .insert(raw.into(), url.clone());
        self.len += 1;
        Ok(url)
    }
}

/// Resolves `raw` against the document URL `base` (absolute URLs stand alone).
pub(crate) fn resolve_against(base: Option<&WebUrl>, raw: &str) -> Result<WebUrl, UrlError> {
    match base {
        Some(base) => base.join(raw),
        None => WebUrl::parse(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_and_absolute_and_shares() {
        let mut cache = UrlCache::new(2);
        let base = WebUrl::parse("https://app.test/ivr/voice?x=1").unwrap();
        let a = cache.resolve(Some(&base), "next").unwrap();
        assert_eq!(a.as_str(), "https://app.test/ivr/next");
        let b = cache.resolve(Some(&base), "next").unwrap();
        assert_eq!(a, b);
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
        assert!(cache.resolve(None, "relative").is_err());
        assert!(cache.resolve(None, "http://[::1").is_err());
        assert_eq!(
            cache.resolve(Some(&base), "https://my_app.test/cb"),
            Err(UrlError::Hostname)
        );
        assert_eq!(
            cache
                .resolve(Some(&base), "next?n=O'hara")
                .unwrap()
                .as_str(),
            "https://app.test/ivr/next?n=O'hara"
        );
    }
}
