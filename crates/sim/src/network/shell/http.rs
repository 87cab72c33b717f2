//! The Graph endpoints on axum. The handlers only read the request (token, phone number id,
//! body or query) and look the sender up; [`crate::network::Network`] decides the answer.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use dialtone_types::UnixMillis;
use dialtone_whatsapp::error::GraphError;

use super::{Simulator, now};
use crate::network::{GraphReply, GraphRequest, Network};

pub(super) fn router(simulator: Simulator) -> Router {
    Router::new()
        .route("/{version}/{phone_number_id}/calls", post(calls))
        .route(
            "/{version}/{phone_number_id}/call_permissions",
            get(call_permissions),
        )
        .route("/{version}/{phone_number_id}/messages", post(messages))
        .route(
            "/{version}/{waba_id}/message_templates",
            get(list_templates)
                .post(create_template)
                .delete(delete_template),
        )
        .route("/{version}/{template_id}", get(fetch_template))
        .fallback(unknown_path)
        .with_state(simulator)
}

fn json(reply: GraphReply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        reply.body,
    )
        .into_response()
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

/// Looks the sender of `phone_number_id` up, then lets `handle` answer the request on the
/// network (the shared part of every Graph endpoint).
async fn graph(
    sim: &Simulator,
    phone_number_id: &str,
    headers: &HeaderMap,
    handle: impl FnOnce(&mut Network, UnixMillis, &GraphRequest<'_>) -> GraphReply,
) -> Response {
    let sender = sim
        .inner()
        .senders
        .by_phone_number_id(phone_number_id)
        .await;
    let reply = sim.inner().with_state(|s| {
        let request = GraphRequest {
            authorization: authorization(headers),
            phone_number_id,
            sender: sender.as_ref(),
        };
        handle(&mut s.network, now(), &request)
    });
    json(reply)
}

async fn calls(
    State(sim): State<Simulator>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    graph(&sim, &phone_number_id, &headers, |network, now, request| {
        network.handle_calls(now, request, &body)
    })
    .await
}

async fn messages(
    State(sim): State<Simulator>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    graph(&sim, &phone_number_id, &headers, |network, now, request| {
        network.handle_messages(now, request, &body)
    })
    .await
}

/// The query parameter `key`, decoded.
fn query(uri: &Uri, key: &str) -> Option<String> {
    uri.query().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    })
}

async fn create_template(
    State(sim): State<Simulator>,
    Path((_version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    json(sim.inner().with_state(|s| {
        s.network
            .handle_create_template(now(), authorization(&headers), &waba_id, &body)
    }))
}

async fn list_templates(
    State(sim): State<Simulator>,
    Path((_version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (name, status) = (query(&uri, "name"), query(&uri, "status"));
    json(sim.inner().with_state(|s| {
        s.network.handle_list_templates(
            authorization(&headers),
            &waba_id,
            name.as_deref(),
            status.as_deref(),
        )
    }))
}

async fn delete_template(
    State(sim): State<Simulator>,
    Path((_version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let (name, hsm_id) = (query(&uri, "name"), query(&uri, "hsm_id"));
    json(sim.inner().with_state(|s| {
        s.network.handle_delete_template(
            authorization(&headers),
            &waba_id,
            name.as_deref(),
            hsm_id.as_deref(),
        )
    }))
}

async fn fetch_template(
    State(sim): State<Simulator>,
    Path((_version, template_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    json(sim.inner().with_state(|s| {
        s.network
            .handle_fetch_template(authorization(&headers), &template_id)
    }))
}

async fn call_permissions(
    State(sim): State<Simulator>,
    Path((_version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let user = query(&uri, "user_wa_id");
    graph(&sim, &phone_number_id, &headers, |network, now, request| {
        network.handle_call_permissions(now, request, user.as_deref())
    })
    .await
}

/// Meta's answer to a path it does not serve.
async fn unknown_path(uri: Uri) -> Response {
    let error = GraphError::new(
        2500,
        &format!("Unknown path components: {}", uri.path()),
        None,
    );
    json(GraphReply {
        status: 400,
        body: error.to_body(),
    })
}
