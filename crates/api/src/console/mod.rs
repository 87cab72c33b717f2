//! The web console at `/console`: what Twilio users know from the Console's call logs,
//! Debugger and request inspector, served by `dialtone serve` on the API's port.
//!
//! Why it looks like this: pages are rendered on the server with maud (which escapes every
//! value by default) from the same store and the same REST handlers the API uses, so the
//! console can never disagree with the API, and there is no front-end build: the stylesheet
//! and the one small script are compiled into the binary and nothing loads from the
//! internet. The only live part, the call list, is Server-Sent Events of server-rendered rows.
//!
//! Security: a server-side session behind an `HttpOnly`, `SameSite=Strict` cookie (`Secure`
//! when the public URL is https), a CSRF token on every change ([`guard`]), a limit on failed
//! sign-ins ([`session`]), and the account from the session on every query, so another
//! account's SID is a 404 like a missing one.

mod applications;
mod assets;
mod call;
mod calls;
mod forms;
mod guard;
mod keys;
mod layout;
mod live;
mod login;
mod media;
mod session;
mod twiml;
mod whatsapp;

pub(crate) use session::Sessions;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::state::ApiState;

/// The console's routes: sign-in and assets open, everything else behind the session guard.
pub(crate) fn routes(state: &ApiState) -> Router<ApiState> {
    let private = Router::new()
        .route("/console", get(calls::home))
        .route("/console/calls", get(calls::page))
        .route("/console/calls/live", get(live::stream))
        .route("/console/calls/{call}", get(call::page))
        .route("/console/calls/{call}/heard.wav", get(media::heard))
        .route("/console/recordings/{recording}", get(media::recording))
        .route(
            "/console/applications",
            get(applications::list).post(applications::create),
        )
        .route(
            "/console/applications/{application}",
            get(applications::edit).post(applications::update),
        )
        .route(
            "/console/applications/{application}/delete",
            post(applications::delete),
        )
        .route("/console/keys", get(keys::list).post(keys::create))
        .route("/console/keys/{key}", post(keys::update))
        .route("/console/keys/{key}/delete", post(keys::delete))
        .route("/console/twiml", get(twiml::checker).post(twiml::check))
        .route("/console/whatsapp", get(whatsapp::page))
        .route("/console/whatsapp/users", post(whatsapp::put_user))
        .route(
            "/console/whatsapp/users/delete",
            post(whatsapp::delete_user),
        )
        .route("/console/whatsapp/users/call", post(whatsapp::user_call))
        .route("/console/softphones", post(whatsapp::put_softphone))
        .route(
            "/console/softphones/delete",
            post(whatsapp::delete_softphone),
        )
        .route("/console/softphones/call", post(whatsapp::softphone_call))
        .route("/console/logout", post(login::logout))
        .route_layer(from_fn_with_state(state.clone(), guard::require));
    Router::new()
        .route("/console/login", get(login::page).post(login::submit))
        .route("/console/assets/{file}", get(assets::serve))
        .merge(private)
}
