//! Sign-in and logout.
//!
//! The form takes what HTTP Basic takes: an account SID with its auth token, or an API key
//! SID with its secret (and optionally the account SID, as twilio-python's `account_sid`);
//! [`auth::verify`](crate::auth) checks them, so the console and the REST API accept exactly
//! the same credentials. A wrong one is 401 with one message whatever was wrong; too many
//! wrong ones per account or per address are 429 (see [`session`](super::session)).
//!
//! The form itself carries a CSRF token too, double-submitted in a short-lived cookie, so
//! another site cannot sign a browser in to an account of its choosing.

use std::net::SocketAddr;

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use dialtone_types::{Sid, SidKind};
use maud::{Markup, html};
use subtle::ConstantTimeEq;

use crate::auth;
use crate::console::guard::{self, COOKIE, CSRF_FIELD, cookie, set_cookie};
use crate::console::layout;
use crate::console::session::{ABSOLUTE, Session};
use crate::error::ApiError;
use crate::params::{Form, Params, Query};
use crate::state::ApiState;

/// The pre-session CSRF cookie of the sign-in form.
const LOGIN_COOKIE: &str = "dialtone_console_login";
/// How long the sign-in form stays usable.
const LOGIN_FORM_SECONDS: u64 = 60 * 60;

fn form(token: &str, message: Option<&str>, username: &str) -> Markup {
    html! {
        h1 { "Sign in to Dialtone" }
        @if let Some(message) = message {
            p.error role="alert" { (message) }
        }
        form.login method="post" action="/console/login" {
            input type="hidden" name=(CSRF_FIELD) value=(token);
            label {
                "Account SID or API key SID"
                input name="Username" autocomplete="username" required value=(username)
                    placeholder="AC… or SK…";
            }
            label {
                "Auth token or API key secret"
                input name="Password" type="password" autocomplete="current-password" required;
            }
            label {
                "Account SID (only with an API key, optional)"
                input name="AccountSid" autocomplete="off" placeholder="AC…";
            }
            button type="submit" { "Sign in" }
        }
    }
}

/// The form, with a fresh login CSRF token in `body` and its cookie.
fn login_page(state: &ApiState, status: StatusCode, message: Option<&str>, user: &str) -> Response {
    let token = format!("{:032x}", state.entropy.next_u128());
    let mut response = layout::bare(status, "Sign in", &form(&token, message, user));
    if let Ok(v) =
        HeaderValue::from_str(&set_cookie(state, LOGIN_COOKIE, &token, LOGIN_FORM_SECONDS))
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// `GET /console/login`.
pub(crate) async fn page(State(state): State<ApiState>, Query(q): Query) -> Response {
    let message = q
        .raw("expired")
        .is_some()
        .then_some("Your session expired. Sign in again.");
    login_page(&state, StatusCode::OK, message, "")
}

/// Who is trying: the account SID named (for API keys, the account given or the key itself)
/// and the client's address.
fn attempt_keys(params: &Params, peer: Option<SocketAddr>) -> Vec<String> {
    let user = params.get("Username").unwrap_or("").trim();
    let account = params
        .get("AccountSid")
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(user);
    // Canonical, so that writing the hex digits in another case is the same account.
    let account = account
        .parse::<Sid>()
        .map_or_else(|_| account.to_ascii_lowercase(), |sid| sid.to_string());
    let mut keys = vec![format!("account:{account}")];
    if let Some(peer) = peer {
        keys.push(format!("ip:{}", peer.ip()));
    }
    keys
}

/// `POST /console/login`.
pub(crate) async fn submit(
    State(state): State<ApiState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(params): Form,
) -> Response {
    let username = params.get("Username").unwrap_or("").trim().to_owned();
    let sent = params.raw(CSRF_FIELD).unwrap_or("");
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    let csrf_ok = !expected.is_empty() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()));
    if !csrf_ok {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired or did not come from this console. Try again."),
            &username,
        );
    }
    let keys = attempt_keys(&params, peer.map(|Extension(ConnectInfo(addr))| addr));
    let now = state.now();
    if let Some(wait) = state.console.attempts().blocked(&keys, now) {
        let secs = wait.as_secs().max(1);
        let mut response = login_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            Some(&format!(
                "Too many failed sign-ins. Try again in {} minute(s).",
                secs.div_ceil(60)
            )),
            &username,
        );
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return response;
    }
    let account = params
        .get("AccountSid")
        .map(|a| Sid::parse_kind(a.trim(), SidKind::Account));
    let verified = match account {
        Some(Err(_)) => Err(ApiError::Unauthenticated),
        Some(Ok(a)) => {
            auth::verify(
                &state,
                &username,
                params.raw("Password").unwrap_or(""),
                Some(a),
            )
            .await
        }
        None => {
            auth::verify(
                &state,
                &username,
                params.raw("Password").unwrap_or(""),
                None,
            )
            .await
        }
    };
    match verified {
        Ok(caller) => {
            state
                .console
                .attempts()
                .clear(&format!("account:{}", caller.account));
            let session = state.console.start(&state, caller);
            tracing::info!(account = %caller.account, "console: signed in");
            signed_in(&state, &session)
        }
        Err(ApiError::Unauthenticated) => {
            state.console.attempts().fail(&keys, now);
            login_page(
                &state,
                StatusCode::UNAUTHORIZED,
                Some("Those credentials are not valid."),
                &username,
            )
        }
        Err(other) => {
            let (status, _) = other.status_and_code();
            tracing::warn!(error = %other, "console: sign-in failed");
            login_page(
                &state,
                status,
                Some("Signing in failed on the server; try again."),
                &username,
            )
        }
    }
}

fn signed_in(state: &ApiState, session: &Session) -> Response {
    let mut response = Redirect::to("/console/calls").into_response();
    let h = response.headers_mut();
    for cookie in [
        set_cookie(state, COOKIE, &session.id, ABSOLUTE.as_secs()),
        set_cookie(state, LOGIN_COOKIE, "", 0),
    ] {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.append(header::SET_COOKIE, v);
        }
    }
    response
}

/// `POST /console/logout` (behind the guard, so CSRF-checked).
pub(crate) async fn logout(State(state): State<ApiState>, session: Session) -> Response {
    state.console.end(&session.id);
    let mut response = Redirect::to("/console/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(&state, guard::COOKIE, "", 0)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_count_against_the_account_tried_and_the_address() {
        let peer: SocketAddr = "192.0.2.7:5555".parse().unwrap();
        let sid = Sid::new(SidKind::Account, 0xab);
        let upper = format!("AC{}", &sid.to_string()[2..].to_ascii_uppercase());
        let p = Params::parse(format!("Username={upper}&Password=x").as_bytes());
        assert_eq!(
            attempt_keys(&p, Some(peer)),
            [format!("account:{sid}"), "ip:192.0.2.7".to_owned()]
        );
        // With an API key, the account named (else the key) is what is limited.
        let p = Params::parse(format!("Username=SK1&AccountSid={sid}").as_bytes());
        assert_eq!(attempt_keys(&p, None), [format!("account:{sid}")]);
        let p = Params::parse(b"Username=Not-A-Sid&AccountSid=");
        assert_eq!(attempt_keys(&p, None), ["account:not-a-sid"]);
    }
}
