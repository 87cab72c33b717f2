//! Twilio's list paging: `PageSize`, `Page`, `PageToken` in, the page envelope out.
//!
//! twilio-python finds the records of a page as the one key of the envelope that is not a
//! paging key, and fetches the next page by requesting `next_page_uri` verbatim, so the
//! envelope has exactly one records key and every URI is relative and carries the list's
//! filters. The store pages with an opaque keyset token (stable while calls are added);
//! `previous_page_uri` falls back to `Page=N-1` without a token, which the store serves by
//! offset.

use dialtone_store::{PageRequest, PageSize, PageStart, PageToken};
use serde_json::{Map, Value};

use crate::error::{ApiError, codes};
use crate::params::Params;

/// The page a list request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paging {
    /// What the store is asked for.
    pub request: PageRequest,
    /// The `Page` index the client holds (0 for the first page).
    pub page: u64,
    token: Option<PageToken>,
}

impl Paging {
    /// Reads `PageSize` (1–1000, default 50), `Page` and `PageToken`; 20007 if invalid.
    pub fn from_params(params: &Params) -> Result<Self, ApiError> {
        let size = match params.get("PageSize") {
            None => PageSize::default(),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .and_then(PageSize::new)
                .ok_or_else(|| {
                    ApiError::invalid(
                        codes::INVALID_PAGING,
                        format!("Invalid PageSize {v:?}: it must be between 1 and 1000"),
                    )
                })?,
        };
        let page = match params.get("Page") {
            None => 0,
            Some(v) => v.parse::<u64>().map_err(|_| {
                ApiError::invalid(
                    codes::INVALID_PAGING,
                    format!("Invalid Page {v:?}: it must be a non-negative integer"),
                )
            })?,
        };
        let token = params
            .get("PageToken")
            .map(|v| {
                v.parse::<PageToken>().map_err(|_| {
                    ApiError::invalid(codes::INVALID_PAGING, format!("Invalid PageToken {v:?}"))
                })
            })
            .transpose()?;
        let start = match token {
            Some(t) => PageStart::After(t),
            None if page > 0 => PageStart::Offset(page.saturating_mul(u64::from(size.get()))),
            None => PageStart::First,
        };
        Ok(Self {
            request: PageRequest { size, start },
            page,
            token,
        })
    }

    fn size(&self) -> u64 {
        u64::from(self.request.size.get())
    }
}

/// Builds a page envelope: `key` holds `records`; `path` is the list's path and `filters`
/// the filter parameters to carry into every URI.
pub fn envelope(
    key: &str,
    records: Vec<Value>,
    paging: &Paging,
    next: Option<PageToken>,
    path: &str,
    filters: &[(&str, &str)],
) -> Value {
    let uri = |page: u64, token: Option<PageToken>| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in filters {
            query.append_pair(k, v);
        }
        query.append_pair("PageSize", &paging.size().to_string());
        query.append_pair("Page", &page.to_string());
        if let Some(t) = token {
            query.append_pair("PageToken", &t.to_string());
        }
        format!("{path}?{}", query.finish())
    };
    let start = paging.page.saturating_mul(paging.size());
    let count = records.len() as u64;
    let mut map = Map::new();
    map.insert(key.to_owned(), Value::Array(records));
    map.insert("end".into(), (start + count.saturating_sub(1)).into());
    map.insert("first_page_uri".into(), uri(0, None).into());
    map.insert(
        "next_page_uri".into(),
        next.map_or(Value::Null, |t| uri(paging.page + 1, Some(t)).into()),
    );
    map.insert("page".into(), paging.page.into());
    map.insert("page_size".into(), paging.size().into());
    map.insert(
        "previous_page_uri".into(),
        if paging.page == 0 {
            Value::Null
        } else {
            uri(paging.page - 1, None).into()
        },
    );
    map.insert("start".into(), start.into());
    map.insert("uri".into(), uri(paging.page, paging.token).into());
    Value::Object(map)
}

/// The page envelope of Twilio's newer JSON APIs (`/v1/Content`, `/v2/Channels/Senders`):
/// the records under `key`, and a `meta` object with absolute page URLs and the `key`.
pub fn meta_envelope(
    key: &str,
    records: Vec<Value>,
    paging: &Paging,
    next: Option<PageToken>,
    url: &str,
    filters: &[(&str, &str)],
) -> Value {
    let v1 = envelope(key, records, paging, next, url, filters);
    serde_json::json!({
        key: v1[key],
        "meta": {
            "page": v1["page"],
            "page_size": v1["page_size"],
            "first_page_url": v1["first_page_uri"],
            "previous_page_url": v1["previous_page_uri"],
            "url": v1["uri"],
            "next_page_url": v1["next_page_uri"],
            "key": key,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dialtone_types::TwilioCode;

    fn code(e: &ApiError) -> TwilioCode {
        e.status_and_code().1.unwrap()
    }

    #[test]
    fn reads_paging_parameters() {
        let p = Paging::from_params(&Params::parse(b"")).unwrap();
        assert_eq!(p.request, PageRequest::first(PageSize::default()));
        let p = Paging::from_params(&Params::parse(b"PageSize=10&Page=3")).unwrap();
        assert_eq!(p.request.start, PageStart::Offset(30));
        assert_eq!(p.page, 3);
        for bad in [
            "PageSize=0",
            "PageSize=1001",
            "PageSize=x",
            "Page=-1",
            "PageToken=zz",
        ] {
            let e = Paging::from_params(&Params::parse(bad.as_bytes())).unwrap_err();
            assert_eq!(code(&e), TwilioCode(20007), "{bad}");
        }
    }

    #[test]
    fn envelope_shape() {
        let p = Paging::from_params(&Params::parse(b"PageSize=2&Page=1")).unwrap();
        let v = envelope(
            "calls",
            vec![Value::from(1), Value::from(2)],
            &p,
            None,
            "/x/Calls.json",
            &[("To", "+1 555")],
        );
        assert_eq!(
            v,
            serde_json::json!({
                "calls": [1, 2],
                "end": 3,
                "first_page_uri": "/x/Calls.json?To=%2B1+555&PageSize=2&Page=0",
                "next_page_uri": null,
                "page": 1,
                "page_size": 2,
                "previous_page_uri": "/x/Calls.json?To=%2B1+555&PageSize=2&Page=0",
                "start": 2,
                "uri": "/x/Calls.json?To=%2B1+555&PageSize=2&Page=1",
            })
        );
    }
}
