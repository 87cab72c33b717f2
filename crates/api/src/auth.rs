//! HTTP Basic authentication, Twilio style.
//!
//! Two credentials are accepted: `AccountSid:AuthToken`, and `ApiKeySid:ApiKeySecret` (an
//! `SK...` key of the account named in the path, as twilio-python sends when built with
//! `Client("SK...", secret, account_sid="AC...")`). Every failure, including credentials
//! that are valid for another account than the one in the path, is the same 401 (20003) with
//! `WWW-Authenticate`, so a caller learns nothing about which accounts or keys exist.
//! Comparisons are constant-time. Authentication runs as a route layer, after routing, so it
//! can read the account from the path and unknown paths are 404 without it.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use dialtone_store::StoreError;
use dialtone_types::{Sid, SidKind};
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::ApiState;

/// Who made the request, once authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The account every resource of the request belongs to.
    pub account: Sid,
    /// The API key used, if the caller did not use the auth token.
    pub key: Option<Sid>,
}

impl Caller {
    /// Fails unless the caller used the account's own auth token: Twilio's standard API keys
    /// may not manage API keys or read the account (whose representation holds the token).
    pub fn require_auth_token(self) -> Result<(), ApiError> {
        match self.key {
            None => Ok(()),
            Some(_) => Err(ApiError::Forbidden(
                "API keys cannot manage API keys or read the account; use the auth token",
            )),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Present on every route behind `account_auth`/`any_account_auth`; a route wired
        // without it fails closed.
        parts
            .extensions
            .get::<Self>()
            .copied()
            .ok_or(ApiError::Unauthenticated)
    }
}

/// Route layer for `/2010-04-01/Accounts/{account}...`: the credentials must belong to the
/// account in the path.
pub(crate) async fn account_auth(
    State(state): State<ApiState>,
    mut req: Request,
    next: Next,
) -> Response {
    // `/2010-04-01/Accounts/{account}[.json][/...]`: read from the raw path so that a
    // malformed later segment does not hide which account the request is about.
    let path_account = req
        .uri()
        .path()
        .split('/')
        .nth(3)
        .map(|a| a.strip_suffix(".json").unwrap_or(a))
        .and_then(|a| Sid::parse_kind(a, SidKind::Account).ok());
    let Some(path_account) = path_account else {
        return ApiError::Unauthenticated.into_response();
    };
    match authenticate(&state, req.headers(), Some(path_account)).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// Route layer for paths without an account (`/sim/v1/...`): the credentials name it.
pub(crate) async fn any_account_auth(
    State(state): State<ApiState>,
    mut req: Request,
    next: Next,
) -> Response {
    match authenticate(&state, req.headers(), None).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// Checks the `Authorization` header; `account` is the account the request is about, when
/// the path names one.
async fn authenticate(
    state: &ApiState,
    headers: &HeaderMap,
    account: Option<Sid>,
) -> Result<Caller, ApiError> {
    let (user, password) = basic_credentials(headers).ok_or(ApiError::Unauthenticated)?;
    verify(state, &user, &password, account).await
}

/// Checks `user` (an account SID or an API key SID) and `password` (the auth token or the
/// key's secret); `account` is the account the request is about, when known. The one check
/// behind both HTTP Basic and the console's sign-in form.
pub(crate) async fn verify(
    state: &ApiState,
    user: &str,
    password: &str,
    account: Option<Sid>,
) -> Result<Caller, ApiError> {
    let user: Sid = user.trim().parse().map_err(|_| ApiError::Unauthenticated)?;
    match user.kind() {
        SidKind::Account => {
            if account.is_some_and(|a| a != user) {
                return Err(ApiError::Unauthenticated);
            }
            let stored = state
                .store
                .fetch_account(user)
                .await
                .map_err(unauthenticated_unless_broken)?;
            let token_ok: bool = stored
                .auth_token
                .as_bytes()
                .ct_eq(password.as_bytes())
                .into();
            if token_ok && stored.status == "active" {
                Ok(Caller {
                    account: user,
                    key: None,
                })
            } else {
                Err(ApiError::Unauthenticated)
            }
        }
        SidKind::ApiKey => {
            let candidates = match account {
                Some(a) => vec![a],
                None => state
                    .store
                    .list_accounts()
                    .await
                    .map_err(ApiError::store)?
                    .into_iter()
                    .map(|a| a.sid)
                    .collect(),
            };
            for candidate in candidates {
                match state.store.fetch_key(candidate, user).await {
                    Ok(key) if key.verify_secret(password) => {
                        return Ok(Caller {
                            account: candidate,
                            key: Some(user),
                        });
                    }
                    Ok(_) => return Err(ApiError::Unauthenticated),
                    Err(StoreError::NotFound(_)) => {}
                    Err(e) => return Err(ApiError::internal(e)),
                }
            }
            Err(ApiError::Unauthenticated)
        }
        _ => Err(ApiError::Unauthenticated),
    }
}

fn unauthenticated_unless_broken(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound(_) => ApiError::Unauthenticated,
        other => ApiError::internal(other),
    }
}

/// `user` and `password` of a `Basic` `Authorization` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn header(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn parses_basic() {
        // base64("AC1:tok:en")
        assert_eq!(
            basic_credentials(&header("Basic QUMxOnRvazplbg==")),
            Some(("AC1".to_owned(), "tok:en".to_owned()))
        );
        assert_eq!(
            basic_credentials(&header("basic QUMxOnRvazplbg==")),
            Some(("AC1".to_owned(), "tok:en".to_owned()))
        );
        assert_eq!(basic_credentials(&header("Bearer QUMxOnRvazplbg==")), None);
        assert_eq!(basic_credentials(&header("Basic !!!")), None);
        // base64("nocolon")
        assert_eq!(basic_credentials(&header("Basic bm9jb2xvbg==")), None);
        assert_eq!(basic_credentials(&HeaderMap::new()), None);
    }
}
