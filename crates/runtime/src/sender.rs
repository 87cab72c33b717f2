//! Sending one webhook over HTTP: the attempts, the timeouts, the redirects, the body cap.
//!
//! `dialtone-webhook` decides what goes on the wire (URL, signature, headers, body) and what a
//! response or a failure means; this module only moves bytes, with hyper's client:
//! - the request line carries the URL exactly as the application configured it (only what HTTP
//!   cannot carry is escaped, by `dialtone-webhook`); a client that re-parses URLs (reqwest, via
//!   the `url` crate) would send `O'hara` as `O%27hara` and the application's validator,
//!   rebuilding the URL from the request, would compute another signature;
//! - user info in the URL (`https://user:pass@host/`) becomes HTTP Basic credentials;
//! - each attempt connects within `#ct` and must finish within `#rt`; the whole webhook,
//!   retries included, within `#tt`, never more than the 15 s hard cap;
//! - failed attempts are retried while `#rc`/`#rp` allow it (by default once, on connection
//!   failures only);
//! - redirects are followed up to 10 times (then 11215); 301/302/303 turn a POST into a GET;
//! - at most 64 kB + 1 byte of a body is read, so a 10 MB answer costs no more than that.
//!
//! Every attempt is returned with its timing, so the caller can record it as a call event.

use std::error::Error as _;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::http::{HeaderValue, Request, Uri, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

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

#[cfg(not(feature = "tls"))]
type Connector = HttpConnector;
#[cfg(feature = "tls")]
type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
type HttpClient = Client<Connector, Full<Bytes>>;

/// The HTTP side of webhooks; shared by every task.
#[derive(Debug, Default)]
pub(crate) struct HttpSender {
    clients: Mutex<Vec<(Duration, HttpClient)>>,
}

impl HttpSender {
    /// Sends `request` with its retries; never takes longer than its deadline (≤ 15 s).
    /// Every attempt's latency and a failed webhook's code go to the metrics.
    pub(crate) async fn send(&self, request: &WebhookRequest, kind: Kind) -> Outcome {
        let outcome = self.send_with_retries(request, kind).await;
        crate::telemetry::webhook_sent(kind, &outcome);
        outcome
    }

    async fn send_with_retries(&self, request: &WebhookRequest, kind: Kind) -> Outcome {
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
        let is_https = request
            .wire_url
            .get(..6)
            .is_some_and(|s| s.eq_ignore_ascii_case("https:"));
        if is_https && !cfg!(feature = "tls") {
            return Err(TransportFailure::Tls);
        }
        let client = self.client(request.overrides.connect_timeout.min(remaining));
        let read_timeout = request.overrides.effective_read_timeout().min(remaining);
        tokio::time::timeout(read_timeout, follow(&client, request))
            .await
            .unwrap_or(Err(TransportFailure::ReadTimeout))
    }

    /// A client whose connect timeout is `connect`.
    fn client(&self, connect: Duration) -> HttpClient {
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, client)) = clients.iter().find(|(ct, _)| *ct == connect) {
            return client.clone();
        }
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_timer(TokioTimer::new())
            .build(connector(connect));
        if clients.len() >= CLIENT_CACHE {
            clients.remove(0);
        }
        clients.push((connect, client.clone()));
        client
    }
}

fn connector(connect: Duration) -> Connector {
    let mut http = HttpConnector::new();
    http.set_connect_timeout(Some(connect));
    http.set_nodelay(true);
    #[cfg(feature = "tls")]
    {
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_platform_verifier()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        https
    }
    #[cfg(not(feature = "tls"))]
    http
}

/// Where one request goes: the URI without user info, and the Basic credentials it carried.
#[derive(Debug)]
struct Target {
    uri: Uri,
    authorization: Option<HeaderValue>,
}

impl Target {
    /// `wire` (already escaped by `dialtone-webhook`) split into URI and credentials.
    fn parse(wire: &str) -> Result<Self, TransportFailure> {
        let (scheme, rest) = wire.split_once("://").ok_or(TransportFailure::InvalidUrl)?;
        let authority_len = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(authority_len);
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((userinfo, host)) => (Some(userinfo), host),
            None => (None, authority),
        };
        let uri: Uri = format!("{scheme}://{host}{path}")
            .parse()
            .map_err(|_| TransportFailure::InvalidUrl)?;
        let authorization = userinfo.map(basic_credentials).transpose()?;
        Ok(Self { uri, authorization })
    }

    /// The target of a redirect to `location` (absolute or relative to this one).
    fn redirected(&self, location: &str) -> Result<Self, TransportFailure> {
        let base = url::Url::parse(&self.uri.to_string())
            .map_err(|_| TransportFailure::InvalidRedirect)?;
        let next = base
            .join(location)
            .map_err(|_| TransportFailure::InvalidRedirect)?;
        if !matches!(next.scheme(), "http" | "https") {
            return Err(TransportFailure::InvalidRedirect);
        }
        Self::parse(next.as_str()).map_err(|_| TransportFailure::InvalidRedirect)
    }
}

/// `user:password` (percent-encoded, as in a URL) as an `Authorization: Basic` value.
fn basic_credentials(userinfo: &str) -> Result<HeaderValue, TransportFailure> {
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(userinfo).collect();
    let value = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(decoded)
    );
    let mut value = HeaderValue::from_str(&value).map_err(|_| TransportFailure::InvalidUrl)?;
    value.set_sensitive(true);
    Ok(value)
}

/// Sends `request`, following redirects, and reads the final response's body (capped).
async fn follow(
    client: &HttpClient,
    request: &WebhookRequest,
) -> Result<Received, TransportFailure> {
    let mut target = Target::parse(&request.wire_url)?;
    let mut method = request.method;
    let mut body = request.body.clone();
    let mut redirects = 0;
    loop {
        let response = client
            .request(http_request(request, &target, method, body.as_deref())?)
            .await
            .map_err(|e| transport_failure(&e))?;
        let status = response.status().as_u16();
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            if redirects >= MAX_REDIRECTS {
                return Err(TransportFailure::TooManyRedirects);
            }
            redirects += 1;
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or(TransportFailure::InvalidRedirect)?;
            target = target.redirected(location)?;
            if status != 307 && status != 308 {
                method = dialtone_webhook::Method::Get;
                body = None;
            }
            continue;
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let mut incoming = response.into_body();
        let mut bytes = Vec::new();
        while bytes.len() < BODY_READ_LIMIT {
            match incoming.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(chunk) = frame.into_data() {
                        let take = chunk.len().min(BODY_READ_LIMIT - bytes.len());
                        bytes.extend_from_slice(&chunk[..take]);
                    }
                }
                None => break,
                Some(Err(_)) => return Err(TransportFailure::ConnectionReset),
            }
        }
        return Ok(Received {
            status,
            content_type,
            body: bytes,
        });
    }
}

fn http_request(
    request: &WebhookRequest,
    target: &Target,
    method: dialtone_webhook::Method,
    body: Option<&str>,
) -> Result<Request<Full<Bytes>>, TransportFailure> {
    let mut builder = Request::builder()
        .method(method.as_str())
        .uri(target.uri.clone());
    for (name, value) in &request.headers {
        if body.is_none() && name.eq_ignore_ascii_case("content-type") {
            continue;
        }
        builder = builder.header(*name, value.as_str());
    }
    if let Some(authorization) = &target.authorization {
        builder = builder.header(header::AUTHORIZATION, authorization.clone());
    }
    let body = body.map_or_else(Bytes::new, |b| Bytes::copy_from_slice(b.as_bytes()));
    builder
        .body(Full::new(body))
        .map_err(|_| TransportFailure::InvalidUrl)
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

/// Maps a client failure to Twilio's transport failures, from its kind and its causes.
fn transport_failure(error: &hyper_util::client::legacy::Error) -> TransportFailure {
    let mut causes = Vec::new();
    let mut io_kind = None;
    let mut parse = false;
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            parse |= hyper.is_parse() || hyper.is_parse_status();
        }
        causes.push(cause.to_string().to_ascii_lowercase());
        source = cause.source();
    }
    let mentions = |word: &str| causes.iter().any(|c| c.contains(word));
    if mentions("dns") || mentions("lookup") || mentions("resolve") {
        return TransportFailure::BadHost;
    }
    if mentions("certificate") || mentions("tls") || mentions("handshake") {
        return TransportFailure::Tls;
    }
    if error.is_connect() {
        if io_kind == Some(std::io::ErrorKind::TimedOut) || mentions("timed out") {
            return TransportFailure::ConnectTimeout;
        }
        return TransportFailure::ConnectionRefused;
    }
    if parse {
        return TransportFailure::ProtocolViolation;
    }
    TransportFailure::ConnectionReset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_keep_the_url_as_escaped_and_lift_credentials() {
        let t = Target::parse("http://127.0.0.1:9/cb?name=William+O'hara&s=%20&t=~").unwrap();
        assert_eq!(
            t.uri.to_string(),
            "http://127.0.0.1:9/cb?name=William+O'hara&s=%20&t=~"
        );
        assert_eq!(
            t.uri.path_and_query().unwrap().as_str(),
            "/cb?name=William+O'hara&s=%20&t=~"
        );
        assert!(t.authorization.is_none());
        let t = Target::parse("https://us%40er:p%3Ass@h.test/x").unwrap();
        assert_eq!(t.uri.to_string(), "https://h.test/x");
        // base64("us@er:p:ss")
        assert_eq!(t.authorization.unwrap(), "Basic dXNAZXI6cDpzcw==");
        let t = Target::parse("http://h.test").unwrap();
        assert_eq!(t.uri.host(), Some("h.test"));
        let next = Target::parse("http://h.test/a/b?x=1")
            .unwrap()
            .redirected("../c?y=2")
            .unwrap();
        assert_eq!(next.uri.to_string(), "http://h.test/c?y=2");
        assert_eq!(
            Target::parse("http://h.test/a")
                .unwrap()
                .redirected("ftp://x/")
                .unwrap_err(),
            TransportFailure::InvalidRedirect
        );
    }
}
