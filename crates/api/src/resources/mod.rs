//! One module per REST resource, and the table of routes.

pub(crate) mod accounts;
pub(crate) mod applications;
pub(crate) mod call_permissions;
pub(crate) mod call_recordings;
pub(crate) mod calls;
pub(crate) mod content_approvals;
mod content_types;
pub(crate) mod contents;
pub(crate) mod heard;
pub(crate) mod keys;
pub(crate) mod messages;
pub(crate) mod recordings;
pub(crate) mod senders;
pub(crate) mod sim;
mod sim_params;
pub(crate) mod whatsapp_users;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::auth::{account_auth, any_account_auth};
use crate::state::ApiState;

/// `/2010-04-01/Accounts/{account}...`, behind authentication for the account in the path.
///
/// Segments that end in `.json` are captured whole (`{call}` is `CA....json`) because a
/// route parameter cannot be followed by text in its segment.
pub(crate) fn accounts(state: &ApiState) -> Router<ApiState> {
    const BASE: &str = "/2010-04-01/Accounts/{account}";
    Router::new()
        .route(BASE, get(accounts::fetch))
        .route(
            &format!("{BASE}/Keys.json"),
            post(keys::create).get(keys::list),
        )
        .route(
            &format!("{BASE}/Keys/{{key}}"),
            get(keys::fetch).post(keys::update).delete(keys::delete),
        )
        .route(
            &format!("{BASE}/Applications.json"),
            post(applications::create).get(applications::list),
        )
        .route(
            &format!("{BASE}/Applications/{{application}}"),
            get(applications::fetch)
                .post(applications::update)
                .delete(applications::delete),
        )
        .route(
            &format!("{BASE}/Calls.json"),
            post(calls::create).get(calls::list),
        )
        .route(
            &format!("{BASE}/Calls/{{call}}"),
            get(calls::fetch).post(calls::update).delete(calls::delete),
        )
        .route(
            &format!("{BASE}/Calls/{{call}}/Events.json"),
            get(calls::events::list),
        )
        .route(
            &format!("{BASE}/Calls/{{call}}/Notifications.json"),
            get(calls::notifications::list),
        )
        .route(
            &format!("{BASE}/Calls/{{call}}/Notifications/{{notification}}"),
            get(calls::notifications::fetch),
        )
        .route(
            &format!("{BASE}/Messages.json"),
            post(messages::create).get(messages::list),
        )
        .route(
            &format!("{BASE}/Messages/{{message}}"),
            get(messages::fetch),
        )
        .route(&format!("{BASE}/Recordings.json"), get(recordings::list))
        .route(
            &format!("{BASE}/Recordings/{{recording}}"),
            get(recordings::fetch).delete(recordings::delete),
        )
        .route(
            &format!("{BASE}/Calls/{{call}}/Recordings.json"),
            get(recordings::list_for_call).post(call_recordings::create),
        )
        .route(
            &format!("{BASE}/Calls/{{call}}/Recordings/{{recording}}"),
            get(recordings::fetch_for_call)
                .post(call_recordings::update)
                .delete(recordings::delete_for_call),
        )
        .route_layer(from_fn_with_state(state.clone(), account_auth))
}

/// `/v2/Channels/Senders...` (twilio-python's `messaging.v2`), behind authentication for
/// whichever account the credentials name.
pub(crate) fn senders(state: &ApiState) -> Router<ApiState> {
    Router::new()
        .route(
            "/v2/Channels/Senders",
            post(senders::create).get(senders::list),
        )
        .route(
            "/v2/Channels/Senders/{sender}",
            get(senders::fetch)
                .post(senders::update)
                .delete(senders::delete),
        )
        .route(
            "/v2/Channels/Senders/{sender}/CallPermissions",
            get(call_permissions::list),
        )
        .route_layer(from_fn_with_state(state.clone(), any_account_auth))
}

/// `/v1/Content...` and `/v1/ContentAndApprovals` (twilio-python's `content.v1`), behind
/// authentication for whichever account the credentials name.
pub(crate) fn content(state: &ApiState) -> Router<ApiState> {
    Router::new()
        .route(contents::PATH, post(contents::create).get(contents::list))
        .route(
            "/v1/Content/{content}",
            get(contents::fetch)
                .put(contents::update)
                .delete(contents::delete),
        )
        .route(
            "/v1/Content/{content}/ApprovalRequests",
            get(content_approvals::fetch),
        )
        .route(
            "/v1/Content/{content}/ApprovalRequests/whatsapp",
            post(content_approvals::create),
        )
        .route("/v1/ContentAndApprovals", get(content_approvals::list))
        .route_layer(from_fn_with_state(state.clone(), any_account_auth))
}

/// `/sim/v1/...`, behind authentication for whichever account the credentials name.
pub(crate) fn simulator(state: &ApiState) -> Router<ApiState> {
    Router::new()
        .route("/sim/v1/Clients", post(sim::register).get(sim::list))
        .route(
            "/sim/v1/Clients/{identity}",
            axum::routing::delete(sim::remove),
        )
        .route("/sim/v1/Clients/{identity}/Calls", post(sim::call))
        .route(heard::PATH, get(heard::heard))
        .route_layer(from_fn_with_state(state.clone(), any_account_auth))
}
