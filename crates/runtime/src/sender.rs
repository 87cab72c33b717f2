//! Sending one webhook over HTTP: the attempts, the timeouts, the redirects, the body cap.
//!
//! `dialtone-webhook` decides what goes on the wire (URL, signature, headers, body) and what a
//! response or a failure means; this module only moves bytes, with reqwest:
//! - each attempt connects within `#ct` and must finish within `#rt`; the whole webhook,
//!   retries included, within `#tt`, never more than the 15 s hard cap;
//! - failed attempts are retried while `#rc`/`#rp` allow it (by default once, on connection
//!   failures only);
//! - redirects are followed up to 10 times (then 11215);
//! - at most 64 kB + 1 byte of a body is read, so a 10 MB answer costs no more than that.
//!
//! Every attempt is returned with its timing, so the caller can record it as a call event.

use std::error::Error as _;
use std::sync::Mutex;
use std::time::Duration;

use dialtone_types::UnixMillis;
use dialtone_webhook::response::BODY_READ_LIMIT;
use dialtone_webhook::transport::MAX_REDIRECTS;
use dialtone_webhook::{
    FetchFailure, ReceivedResponse, TransportFailure, WebhookRequest, classify_callback_response,
    classify_response,
};
use tokio::time::Instant;

use crate::clock;

/// Clients kept, one per distinct connect timeout (`#ct`).
const CLIENT_CACHE: usize = 8;

/// What the webhook is, which decides how its response is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A TwiML document: status, content type and size matter.
    Twiml,
    /// A status callback: only the status matters.
    Callback,
}

/// A response as received (body cut at 64 kB + 1 byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Received {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// One attempt, for the call's events.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    pub(crate) requested_at: UnixMillis,
    pub(crate) duration: Duration,
    pub(crate) response: Option<Received>,
}

/// Every attempt and the final verdict.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) attempts: Vec<Attempt>,
    pub(crate) result: Result<Received, FetchFailure>,
}

/// The HTTP side of webhooks; shared by every task.
#[derive(Debug, Default)]
pub(crate) struct HttpSender {
    clients: Mutex<Vec<(Duration, reqwest::Client)>>,
}

impl HttpSender {
    /// Sends `request` with its retries; never takes longer than its deadline (≤ 15 s).
    pub(crate) async fn send(&self, request: &WebhookRequest, kind: Kind) -> Outcome {
        let overrides = &request.overrides;
        let deadline = Instant::now() + overrides.deadline();
        let mut attempts = Vec::new();
        let mut failed = 0_u32;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let requested_at = clock::now();
            let started = Instant::now();
            let result = if remaining.is_zero() {
                Err(TransportFailure::TotalTimeout)
            } else {
                tokio::time::timeout(remaining, self.attempt(request, remaining))
                    .await
                    .unwrap_or(Err(TransportFailure::TotalTimeout))
            };
            attempts.push(Attempt {
                requested_at,
                duration: started.elapsed(),
                response: result.as_ref().ok().cloned(),
            });
            let failure = match result {
                Ok(received) => match judge(&received, kind) {
                    Ok(()) => {
                        return Outcome {
                            attempts,
                            result: Ok(received),
                        };
                    }
                    Err(failure) => failure,
                },
                Err(transport) => FetchFailure::Transport(transport),
            };
            failed += 1;
            let retry = failure
                .retry_trigger()
                .is_some_and(|t| overrides.should_retry(t, failed));
            if !retry || Instant::now() >= deadline {
                return Outcome {
                    attempts,
                    result: Err(failure),
                };
            }
            tracing::debug!(attempt = failed, %failure, "webhook attempt failed; retrying");
        }
    }

    async fn attempt(
        &self,
        request: &WebhookRequest,
        remaining: Duration,
    ) -> Result<Received, TransportFailure> {
        if request.url.starts_with("https:") && !cfg!(feature = "tls") {
            return Err(TransportFailure::Tls);
        }
        let client = self.client(request.overrides.connect_timeout.min(remaining))?;
        let method = match request.method {
            dialtone_webhook::Method::Get => reqwest::Method::GET,
            dialtone_webhook::Method::Post => reqwest::Method::POST,
        };
        let mut builder = client
            .request(method, request.url.as_str())
            .timeout(request.overrides.effective_read_timeout().min(remaining));
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut response = builder.send().await.map_err(|e| transport_failure(&e))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut body = Vec::new();
        while body.len() < BODY_READ_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let take = chunk.len().min(BODY_READ_LIMIT - body.len());
                    body.extend_from_slice(&chunk[..take]);
                }
                Ok(None) => break,
                Err(e) => return Err(transport_failure(&e)),
            }
        }
        Ok(Received {
            status,
            content_type,
            body,
        })
    }

    /// A client whose connect timeout is `connect`.
    fn client(&self, connect: Duration) -> Result<reqwest::Client, TransportFailure> {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, client)) = clients.iter().find(|(ct, _)| *ct == connect) {
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            .connect_timeout(connect)
            .redirect(reqwest::redirect::Policy::limited(usize::from(
                MAX_REDIRECTS,
            )))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| {
                tracing::error!(error = %e, "cannot build the HTTP client");
                TransportFailure::Tls
            })?;
        if clients.len() >= CLIENT_CACHE {
            clients.remove(0);
        }
        clients.push((connect, client.clone()));
        Ok(client)
    }
}

/// Judges a response by what kind of webhook it answers.
fn judge(received: &Received, kind: Kind) -> Result<(), FetchFailure> {
    match kind {
        Kind::Callback => classify_callback_response(received.status),
        Kind::Twiml => classify_response(&ReceivedResponse {
            status: received.status,
            content_type: received.content_type.as_deref(),
            body: &received.body,
        })
        .map(|_| ()),
    }
}

/// Maps a reqwest failure to Twilio's transport failures, from its kind and its causes.
fn transport_failure(error: &reqwest::Error) -> TransportFailure {
    let mut causes = Vec::new();
    let mut io_kind = None;
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        causes.push(cause.to_string().to_ascii_lowercase());
        source = cause.source();
    }
    let mentions = |word: &str| causes.iter().any(|c| c.contains(word));
    if error.is_redirect() {
        if mentions("too many") {
            return TransportFailure::TooManyRedirects;
        }
        return TransportFailure::InvalidRedirect;
    }
    if error.is_builder() {
        return TransportFailure::InvalidUrl;
    }
    if mentions("dns") || mentions("lookup") || mentions("resolve") {
        return TransportFailure::BadHost;
    }
    if mentions("certificate") || mentions("tls") || mentions("handshake") {
        return TransportFailure::Tls;
    }
    if error.is_connect() {
        if error.is_timeout() || io_kind == Some(std::io::ErrorKind::TimedOut) {
            return TransportFailure::ConnectTimeout;
        }
        return TransportFailure::ConnectionRefused;
    }
    if error.is_timeout() {
        return TransportFailure::ReadTimeout;
    }
    if mentions("parse") || mentions("invalid") {
        return TransportFailure::ProtocolViolation;
    }
    TransportFailure::ConnectionReset
}
