//! Paging for list operations: Twilio's `PageSize`, `Page` and `PageToken`.
//!
//! Offsets get slower and skip or repeat rows while records are being added, so the token is a
//! keyset cursor: the sort key of the last row of the previous page, and the next page starts
//! strictly after it. It is printed as `PA` followed by hex, opaque to clients as Twilio's is.
//! A bare `Page=N` without a token (old clients) falls back to an offset.

use std::fmt;
use std::str::FromStr;

use dialtone_types::Sid;

/// Rows per page: 1 to 1000, 50 when the client does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    /// Twilio's default.
    pub const DEFAULT: Self = Self(50);
    /// Twilio's maximum.
    pub const MAX: Self = Self(1000);

    /// `n` if it is within 1..=1000, otherwise `None` (the API answers 20007 or 400).
    pub fn new(n: u64) -> Option<Self> {
        u32::try_from(n)
            .ok()
            .filter(|n| (1..=Self::MAX.0).contains(n))
            .map(Self)
    }

    /// The number of rows.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PageStart {
    /// The first row.
    #[default]
    First,
    /// After skipping this many rows (`Page=N` without a token: `N * PageSize`).
    Offset(u64),
    /// Just after the row the token was made from.
    After(PageToken),
}

/// Which page of a list to read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PageRequest {
    /// Rows per page.
    pub size: PageSize,
    /// Where the page starts.
    pub start: PageStart,
}

impl PageRequest {
    /// The first page of `size` rows.
    pub fn first(size: PageSize) -> Self {
        Self {
            size,
            start: PageStart::First,
        }
    }

    /// The page of `size` rows after `token`.
    pub fn after(size: PageSize, token: PageToken) -> Self {
        Self {
            size,
            start: PageStart::After(token),
        }
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub(crate) fn limit(&self) -> i64 {
        i64::from(self.size.0) + 1
    }

    pub(crate) fn offset(&self) -> i64 {
        match self.start {
            PageStart::Offset(n) => i64::try_from(n).unwrap_or(i64::MAX),
            _ => 0,
        }
    }

    /// The cursor's primary key and SID, bound as NULLs when there is none.
    pub(crate) fn cursor(&self) -> (Option<i64>, Option<String>) {
        match &self.start {
            PageStart::After(t) => (Some(t.key), t.sid.map(|s| s.to_string())),
            _ => (None, None),
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows, in list order.
    pub items: Vec<T>,
    /// The token of the next page; `None` on the last page.
    pub next: Option<PageToken>,
}

impl<T> Page<T> {
    /// Builds a page from up to `size + 1` fetched rows; `key` gives a row's sort key.
    pub(crate) fn from_rows(
        mut items: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> PageToken,
    ) -> Self {
        let size = usize::try_from(request.size.0).unwrap_or(usize::MAX);
        let next = if items.len() > size {
            items.truncate(size);
            items.last().map(key)
        } else {
            None
        };
        Self { items, next }
    }
}

/// A keyset cursor: the sort key of the last row of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageToken {
    pub(crate) key: i64,
    pub(crate) sid: Option<Sid>,
}

impl PageToken {
    pub(crate) fn new(key: i64, sid: Option<Sid>) -> Self {
        Self { key, sid }
    }
}

/// A `PageToken` this store did not issue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid PageToken")]
pub struct PageTokenError;

impl fmt::Display for PageToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = match self.sid {
            Some(sid) => format!("{}:{sid}", self.key),
            None => self.key.to_string(),
        };
        f.write_str("PA")?;
        for b in plain.bytes() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl FromStr for PageToken {
    type Err = PageTokenError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s.strip_prefix("PA").ok_or(PageTokenError)?;
        // Longest plain form: 20-character key, a colon, a 34-character SID.
        if hex.is_empty() || hex.len() % 2 != 0 || hex.len() > 2 * 55 {
            return Err(PageTokenError);
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| {
                hex.get(i..i + 2)
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or(PageTokenError)?;
        let plain = String::from_utf8(bytes).map_err(|_| PageTokenError)?;
        let (key, sid) = match plain.split_once(':') {
            Some((key, sid)) => (key, Some(sid.parse::<Sid>().map_err(|_| PageTokenError)?)),
            None => (plain.as_str(), None),
        };
        let key = key.parse::<i64>().map_err(|_| PageTokenError)?;
        Ok(Self { key, sid })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::SidKind;

    #[test]
    fn page_size_bounds() {
        assert_eq!(PageSize::new(0), None);
        assert_eq!(PageSize::new(1).map(PageSize::get), Some(1));
        assert_eq!(PageSize::new(1000).map(PageSize::get), Some(1000));
        assert_eq!(PageSize::new(1001), None);
        assert_eq!(PageSize::new(u64::MAX), None);
        assert_eq!(PageSize::default().get(), 50);
    }

    #[test]
    fn token_round_trips() {
        let with_sid = PageToken::new(1_700_000_000_123, Some(Sid::new(SidKind::Call, 0xabc)));
        let text = with_sid.to_string();
        assert_eq!(
            text,
            "PA313730303030303030303132333a43413030303030303030303030303030303030303030303030303030303030616263"
        );
        assert_eq!(text.parse::<PageToken>(), Ok(with_sid));
        let bare = PageToken::new(-5, None);
        assert_eq!(bare.to_string(), "PA2d35");
        assert_eq!("PA2d35".parse::<PageToken>(), Ok(bare));
    }

    #[test]
    fn token_rejects_garbage() {
        for bad in [
            "",
            "PA",
            "PA3",
            "XX31",
            "PAzz",
            "PA3a",
            "PA31:",
            "PA\u{e9}\u{e9}",
            "PAffff",
            "PA313a5858",
        ] {
            assert_eq!(bad.parse::<PageToken>(), Err(PageTokenError), "{bad:?}");
        }
        assert_eq!(
            format!("PA{}", "31".repeat(56)).parse::<PageToken>(),
            Err(PageTokenError)
        );
    }
}
