//! The HTTP half of the Graph calling API: sends the plain requests `dialtone-whatsapp` builds
//! and turns what comes back into its typed answers or a [`GraphFailure`].
//!
//! Every request has its own deadline (10 s unless configured): a Graph request that hangs must
//! not hold a call. A deadline is [`GraphFailure::Timeout`], a connection that cannot be made is
//! [`GraphFailure::Unreachable`], and any other answer is decoded by the protocol crate, so the
//! mapping to Twilio codes lives in one place (`GraphFailure::classify`).
//!
//! Nothing is retried here: a `connect` that timed out may have created a call at Meta, so the
//! caller (the call's tracker) decides what may be sent again.

use std::time::Duration;

use dialtone_whatsapp::error::GraphFailure;
use dialtone_whatsapp::graph::{self, ConnectResponse, HttpMethod, HttpRequest};

/// Answers larger than this are cut (Graph answers are a few hundred bytes).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Sends Graph requests; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct GraphClient {
    http: reqwest::Client,
    timeout: Duration,
}

impl GraphClient {
    /// A client whose requests each get `timeout`.
    pub(crate) fn new(timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .build()
            .unwrap_or_default();
        Self { http, timeout }
    }

    /// Sends `request`; the HTTP status and body, or a transport failure.
    pub(crate) async fn send(&self, request: &HttpRequest) -> Result<(u16, Vec<u8>), GraphFailure> {
        let method = match request.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
        };
        let mut builder = self
            .http
            .request(method, &request.url)
            .timeout(self.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let exchange = async {
            let mut response = builder.send().await?;
            let status = response.status().as_u16();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                let room = MAX_ANSWER_BYTES.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if room <= chunk.len() {
                    break;
                }
            }
            Ok::<_, reqwest::Error>((status, body))
        };
        // The client's timeout covers the request; this one also bounds reading the body.
        match tokio::time::timeout(self.timeout, exchange).await {
            Err(_) => Err(GraphFailure::Timeout),
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) if e.is_timeout() => Err(GraphFailure::Timeout),
            Ok(Err(e)) => Err(GraphFailure::Unreachable {
                reason: transport_reason(&e),
            }),
        }
    }

    /// Sends a `connect` and decodes Meta's call id.
    pub(crate) async fn connect(
        &self,
        request: &HttpRequest,
    ) -> Result<ConnectResponse, GraphFailure> {
        let (status, body) = self.send(request).await?;
        graph::decode_connect(status, &body)
    }

    /// Sends `pre_accept`/`accept`/`reject`/`terminate` and checks `success: true`.
    pub(crate) async fn action(&self, request: &HttpRequest) -> Result<(), GraphFailure> {
        let (status, body) = self.send(request).await?;
        graph::decode_success(status, &body).map(|_| ())
    }
}

/// A short reason without the URL (which names the phone-number id, not a secret, but long).
fn transport_reason(error: &reqwest::Error) -> String {
    if error.is_connect() {
        "connection failed".to_owned()
    } else if error.is_body() || error.is_decode() {
        "answer could not be read".to_owned()
    } else {
        "request failed".to_owned()
    }
}
