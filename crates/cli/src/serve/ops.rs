//! `/readyz` and `/metrics` for the API: readiness from the runtime (accepting, the store
//! answering) and the Prometheus recorder, which lives only in this binary (the libraries
//! record through the `metrics` facade).

use std::sync::Arc;
use std::time::Duration;

use dialtone_api::{BoxFuture, Operations};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// How long `/readyz` waits for the database.
const STORE_PING: Duration = Duration::from_secs(2);

/// Buckets of the latency histograms, seconds: from a loopback webhook to a slow set-up.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Installs the process's Prometheus recorder; `None` if one is installed already.
pub fn install_recorder() -> Option<PrometheusHandle> {
    let recorder = PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .ok()?
        .build_recorder();
    let handle = recorder.handle();
    metrics::set_global_recorder(recorder).ok()?;
    // The upkeep drains histogram samples; rendering does it too, this bounds memory between
    // scrapes.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    Some(handle)
}

/// The runtime and the recorder as the API's [`Operations`].
#[derive(Debug, Clone)]
pub struct Ops {
    pub runtime: dialtone_runtime::Handle,
    /// `None`: `/metrics` is not served on the API's port.
    pub metrics: Option<PrometheusHandle>,
}

impl Ops {
    /// Samples the store-backed gauges, then renders every series.
    pub async fn render(runtime: &dialtone_runtime::Handle, handle: &PrometheusHandle) -> String {
        runtime.sample_metrics().await;
        handle.render()
    }
}

impl Operations for Ops {
    fn not_ready(&self) -> BoxFuture<'_, Option<String>> {
        Box::pin(self.runtime.not_ready(STORE_PING))
    }

    fn metrics(&self) -> Option<BoxFuture<'_, String>> {
        let handle = self.metrics.as_ref()?;
        Some(Box::pin(Self::render(&self.runtime, handle)))
    }
}

/// Serves `/metrics` alone on `listener` (the `[metrics] listen` address) until `stop`.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    runtime: dialtone_runtime::Handle,
    handle: PrometheusHandle,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = Arc::new((runtime, handle));
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let state = Arc::clone(&state);
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    Ops::render(&state.0, &state.1).await,
                )
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(stop)
        .await
}
