//! The HTTP plumbing around the resources: fallbacks, health, and the layers every request
//! passes (body limit, timeout, tracing without secrets or phone numbers, panic catching).
//!
//! The body limit and the timeout are enforced here rather than with tower-http's
//! `RequestBodyLimitLayer`/`TimeoutLayer` because those answer with their own bodies (plain
//! text, or none); a client must always get Twilio's error body, so the limit is axum's
//! `DefaultBodyLimit` (its rejection becomes [`ApiError::BodyTooLarge`] in the form
//! extractor) and the timeout a middleware that answers [`ApiError::Timeout`].
//!
//! The timeout never cuts a request after its point of no return: a handler that hands a call
//! create or update to the engine marks the moment with [`NoReturn::pass`], and from then on
//! the middleware waits for its answer however long it takes. Answering 503 for a call that
//! exists would make the client place it again; admission (429) is what bounds how many such
//! requests are waited on.

use std::any::Any;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Response, header};
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

/// What `/readyz` and `/metrics` ask of the server around the API (the binary implements it
/// with the runtime and the Prometheus recorder).
pub trait Operations: Send + Sync + 'static {
    /// Why the server cannot take calls now (shutting down, the database does not answer),
    /// or `None` when it can.
    fn not_ready(&self) -> crate::BoxFuture<'_, Option<String>>;

    /// The metrics in Prometheus' text format, freshly sampled; `None` when `/metrics` is not
    /// served on this port (disabled, or on a listener of its own).
    fn metrics(&self) -> Option<crate::BoxFuture<'_, String>>;
}

/// `GET /readyz`: 200 when the server takes calls; 503 with the reason otherwise, so a load
/// balancer sends nothing to a node that is stopping or has lost its database.
pub(crate) async fn readyz(State(state): State<ApiState>) -> Response<Body> {
    let reason = match &state.operations {
        Some(ops) => ops.not_ready().await,
        None => None,
    };
    match reason {
        None => axum::Json(serde_json::json!({ "status": "ready" })).into_response(),
        Some(reason) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "status": "unavailable", "reason": reason })),
        )
            .into_response(),
    }
}

/// `GET /metrics`: Prometheus' text format, unauthenticated (as `/healthz`; see the README's
/// "Metrics" for why and how to keep it off the public port); 404 when not served here.
pub(crate) async fn metrics(State(state): State<ApiState>, req: Request) -> Response<Body> {
    let Some(render) = state.operations.as_ref().and_then(|ops| ops.metrics()) else {
        return ApiError::NotFound(req.uri().path().to_owned()).into_response();
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render.await,
    )
        .into_response()
}

/// Any path that is not a resource: 20404 naming the path.
pub(crate) async fn not_found(req: Request) -> ApiError {
    ApiError::NotFound(req.uri().path().to_owned())
}

/// A resource asked with a method it does not support: 20004, 405.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// A request's point of no return: passed once the engine has taken what the request asked
/// (a call exists or changed), after which the request must be answered with its outcome,
/// never cut by the timeout. Handlers extract it; outside the timeout layer it marks nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct NoReturn(Arc<AtomicBool>);

impl NoReturn {
    /// Marks the point as passed. Must be called in the same poll in which the request was
    /// handed over (no `.await` in between), so the timeout sees either nothing done or the
    /// mark.
    pub(crate) fn pass(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn passed(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for NoReturn {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Self>().cloned().unwrap_or_default())
    }
}

/// Answers 503 (20503) when the request takes longer than the limit before its point of no
/// return; after it, waits for the handler's answer.
async fn timeout(State(state): State<ApiState>, mut req: Request, next: Next) -> Response<Body> {
    let limit = state.limits.request_timeout;
    let no_return = NoReturn::default();
    req.extensions_mut().insert(no_return.clone());
    let mut response = std::pin::pin!(next.run(req));
    match tokio::time::timeout(limit, response.as_mut()).await {
        Ok(response) => response,
        // The handler runs only when this task polls it, so it is not between handing the
        // request over and marking it: either it did neither or both.
        Err(_) if no_return.passed() => {
            tracing::debug!("request past its point of no return outlived the timeout");
            response.await
        }
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

/// `http(s)://host` the client used, for the absolute URLs v2 resources carry.
pub(crate) fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}
