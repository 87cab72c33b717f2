//! The gate in front of every console page but sign-in: a live session, and on every request
//! that can change something a CSRF token that matches it.
//!
//! Without a session a page request is redirected to the sign-in form (which says when the
//! session expired); any other request is refused the same way, so a stale tab posts nothing.
//! The CSRF token travels in the form field `csrf` or the header `X-CSRF-Token` and is
//! compared in constant time; a forged or missing one is 403, checked before the handler
//! runs and before anything is read from the store. The session cookie is also
//! `SameSite=Strict`, so a cross-site form would not even carry it.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::console::layout;
use crate::console::session::{Lookup, Session};
use crate::error::ApiError;
use crate::params::Params;
use crate::state::ApiState;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "dialtone_console";
/// The form field that carries the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";
/// The header that may carry it instead (`fetch` from the console's script).
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for `name=value` on `/console`: `HttpOnly`, `SameSite=Strict`, and `Secure`
/// when the console is served over TLS. `max_age` 0 deletes it.
pub(crate) fn set_cookie(state: &ApiState, name: &str, value: &str, max_age: u64) -> String {
    let secure = if state.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// Route layer: resolves the session (into the request's extensions, with its [`Caller`] so
/// the REST handlers the console calls see the same identity), checks CSRF on unsafe methods.
///
/// [`Caller`]: crate::Caller
pub(crate) async fn require(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let looked_up = cookie(req.headers(), COOKIE)
        .ok_or(Lookup::Unknown)
        .and_then(|id| state.console.touch(id, state.now()));
    let session = match looked_up {
        Ok(s) => s,
        Err(why) => {
            let to = if why == Lookup::Expired {
                "/console/login?expired=1"
            } else {
                "/console/login"
            };
            return Redirect::to(to).into_response();
        }
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD);
    let req = if safe {
        req
    } else {
        match checked(&state, &session, req).await {
            Ok(req) => req,
            Err(refusal) => return refusal,
        }
    };
    let mut req = req;
    req.extensions_mut().insert(session.caller);
    req.extensions_mut().insert(session);
    next.run(req).await
}

/// `req` again if its CSRF token is the session's, with its body read once and put back.
async fn checked(state: &ApiState, session: &Session, req: Request) -> Result<Request, Response> {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, state.limits.max_body_bytes).await else {
        return Err(ApiError::BodyTooLarge(state.limits.max_body_bytes).into_response());
    };
    let from_header = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let sent = from_header.or_else(|| Params::parse(&bytes).raw(CSRF_FIELD).map(str::to_owned));
    if sent.is_some_and(|t| session.csrf_ok(&t)) {
        Ok(Request::from_parts(parts, Body::from(bytes)))
    } else {
        tracing::warn!("console: request with a missing or forged CSRF token refused");
        Err(layout::error_page(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "This request did not carry this session's CSRF token, so it was refused. \
             Reload the page and try again.",
        ))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        // Present on every route behind `require`; a route wired without it fails closed.
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or_else(|| Redirect::to("/console/login").into_response())
    }
}
