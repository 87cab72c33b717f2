//! The HTTP plumbing around the resources: fallbacks, health, and the layers every request
//! passes (body limit, timeout, tracing without secrets or phone numbers, panic catching).
//!
//! The body limit and the timeout are enforced here rather than with tower-http's
//! `RequestBodyLimitLayer`/`TimeoutLayer` because those answer with their own bodies (plain
//! text, or none); a client must always get Twilio's error body, so the limit is axum's
//! `DefaultBodyLimit` (its rejection becomes [`ApiError::BodyTooLarge`] in the form
//! extractor) and the timeout a middleware that answers [`ApiError::Timeout`].

use std::any::Any;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{Response, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::IntoResponse;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::ApiError;
use crate::state::ApiState;

/// `GET /healthz`: 200 with a small JSON body while the server accepts requests.
pub(crate) async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok" }))
}

/// Any path that is not a resource: 20404 naming the path.
pub(crate) async fn not_found(req: Request) -> ApiError {
    ApiError::NotFound(req.uri().path().to_owned())
}

/// A resource asked with a method it does not support: 20004, 405.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Answers 503 (20503) when the request takes longer than the limit.
async fn timeout(State(state): State<ApiState>, req: Request, next: Next) -> Response<Body> {
    let limit = state.limits.request_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// A panic is a bug, never the client's fault: log it and answer Twilio's 500 body.
#[allow(clippy::needless_pass_by_value)] // the signature CatchPanicLayer calls
fn panic_response(err: Box<dyn Any + Send + 'static>) -> Response<Body> {
    let what = err
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    ApiError::Internal(format!("handler panicked: {what}").into()).into_response()
}

/// The request's span: method and route template only. The raw URI is not logged because
/// list filters carry phone numbers (`?To=+1555...`); headers are not logged at all, and
/// `Authorization` is marked sensitive for any layer that would.
fn span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str);
    tracing::info_span!("http", method = %req.method(), route)
}

pub(crate) fn layers(router: Router<ApiState>, state: &ApiState) -> Router<ApiState> {
    router
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .layer(from_fn_with_state(state.clone(), timeout))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(span)
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
        ]))
}
