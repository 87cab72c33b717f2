//! The resource a request names: its path and the SIDs in it.
//!
//! Twilio's paths end in `.json` (`/Calls/CA....json`), which the router cannot split off a
//! parameter, so segments are captured whole and taken apart here. A segment that is not a
//! SID of the expected kind, or lacks the `.json` suffix, names no resource: 20404 with the
//! request path in the message, exactly like a SID that does not exist, so a malformed SID
//! and another account's SID look the same to the caller.

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use dialtone_store::StoreError;
use dialtone_types::{Sid, SidKind};

use crate::error::ApiError;

/// The request path and its captured segments.
#[derive(Debug, Clone)]
pub struct Target {
    path: String,
    params: Vec<(String, String)>,
}

impl Target {
    /// A target for `path` with `params` as its captured segments: how the console hands a
    /// REST handler the resource a form names.
    pub(crate) fn new(path: String, params: &[(&str, &str)]) -> Self {
        let params = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Self { path, params }
    }

    /// The request path, e.g. `/2010-04-01/Accounts/AC.../Calls/CA....json`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// 20404 for this path.
    pub fn not_found(&self) -> ApiError {
        ApiError::NotFound(self.path.clone())
    }

    /// Maps a store error: a missing record is 20404 for this path, text the database cannot
    /// hold (a NUL character) is 400/20001, anything else is 500.
    pub fn store_error(&self, e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound(_) => self.not_found(),
            other => ApiError::store(other),
        }
    }

    /// The captured segment `name`, as sent (percent-decoded).
    pub fn segment(&self, name: &str) -> Result<&str, ApiError> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| self.not_found())
    }

    /// The segment `name` as a SID of `kind`.
    pub fn sid(&self, name: &str, kind: SidKind) -> Result<Sid, ApiError> {
        Sid::parse_kind(self.segment(name)?, kind).map_err(|_| self.not_found())
    }

    /// The segment `name` as `{SID}.json` with a SID of `kind`.
    pub fn json_sid(&self, name: &str, kind: SidKind) -> Result<Sid, ApiError> {
        let segment = self.segment(name)?;
        let sid = segment
            .strip_suffix(".json")
            .ok_or_else(|| self.not_found())?;
        Sid::parse_kind(sid, kind).map_err(|_| self.not_found())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Target {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let path = parts.uri.path().to_owned();
        // Fails only for segments that are not valid UTF-8 once percent-decoded: no such
        // resource can exist.
        let raw = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound(path.clone()))?;
        let params = raw
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Ok(Self { path, params })
    }
}
