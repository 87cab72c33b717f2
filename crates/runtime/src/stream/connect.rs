//! Opening a stream's WebSocket: TCP, TLS for `wss` (rustls with the platform's roots, in
//! builds with the `tls` feature), then the RFC 6455 upgrade carrying `X-Twilio-Signature`
//! (`base64(HMAC-SHA1(AuthToken, url))`, the URL exactly as requested, no parameters).
//!
//! Each failure maps to Twilio's code (twilio-streams-sdk.md §A3.2): no answer within
//! [`CONNECT_TIMEOUT`] 31901, refused 31902, name or route failure 31904, TLS 31910, an
//! answer other than `101 Switching Protocols` 31920.

use std::time::Duration;

use dialtone_types::TwilioCode;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// TCP, TLS and the upgrade together (Twilio's is undocumented; the reference suggests 10 s).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest message (and frame) accepted from the application: 1 MiB, over 2 minutes of
/// μ-law in base64. Larger closes the stream with 31924.
pub(crate) const MAX_MESSAGE: usize = 1 << 20;

/// The byte stream under the WebSocket: plain TCP or TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An open stream socket.
pub(crate) type Socket = WebSocketStream<Box<dyn Io>>;

/// Why the socket could not be opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConnectError {
    pub(crate) code: TwilioCode,
    pub(crate) message: String,
}

fn fail(code: TwilioCode, message: impl Into<String>) -> ConnectError {
    ConnectError {
        code,
        message: message.into(),
    }
}

/// Connects to `url` (`ws://` or `wss://`), signing the upgrade with `signature`.
pub(crate) async fn connect(url: &str, signature: &str) -> Result<Socket, ConnectError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, open(url, signature)).await {
        Ok(result) => result,
        Err(_) => Err(fail(
            TwilioCode::STREAM_CONNECT_TIMEOUT,
            format!(
                "no WebSocket connection to {url} within {} s",
                CONNECT_TIMEOUT.as_secs()
            ),
        )),
    }
}

async fn open(url: &str, signature: &str) -> Result<Socket, ConnectError> {
    let parsed = url::Url::parse(url)
        .map_err(|e| fail(TwilioCode::STREAM_MALFORMED_URL, format!("{url}: {e}")))?;
    let secure = match parsed.scheme() {
        "wss" => true,
        "ws" => false,
        other => {
            return Err(fail(
                TwilioCode::STREAM_URL_SCHEME,
                format!("scheme {other:?} is not supported"),
            ));
        }
    };
    let host = parsed
        .host_str()
        .ok_or_else(|| fail(TwilioCode::STREAM_MALFORMED_URL, format!("{url}: no host")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = parsed
        .port_or_known_default()
        .unwrap_or(if secure { 443 } else { 80 });
    let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|e| fail(TwilioCode::STREAM_HOST_UNREACHABLE, format!("{host}: {e}")))?
        .collect();
    let mut last = None;
    let mut tcp = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = tcp.ok_or_else(|| match last {
        Some(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => fail(
            TwilioCode::STREAM_CONNECTION_REFUSED,
            format!("{host}:{port} refused the connection"),
        ),
        Some(e) => fail(
            TwilioCode::STREAM_HOST_UNREACHABLE,
            format!("{host}:{port}: {e}"),
        ),
        None => fail(
            TwilioCode::STREAM_HOST_UNREACHABLE,
            format!("{host}: no address"),
        ),
    })?;
    let _ = tcp.set_nodelay(true);
    let io: Box<dyn Io> = if secure {
        tls(tcp, &host).await?
    } else {
        Box::new(tcp)
    };
    let mut request = url
        .into_client_request()
        .map_err(|e| fail(TwilioCode::STREAM_MALFORMED_URL, format!("{url}: {e}")))?;
    let value = HeaderValue::from_str(signature)
        .map_err(|e| fail(TwilioCode::STREAM_HANDSHAKE_ERROR, e.to_string()))?;
    request.headers_mut().insert("X-Twilio-Signature", value);
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    match tokio_tungstenite::client_async_with_config(request, io, Some(config)).await {
        Ok((socket, _)) => Ok(socket),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(fail(
            TwilioCode::STREAM_HANDSHAKE_ERROR,
            format!("{url} answered the upgrade with HTTP {}", response.status()),
        )),
        Err(e) => Err(fail(
            TwilioCode::STREAM_HANDSHAKE_ERROR,
            format!("WebSocket handshake with {url} failed: {e}"),
        )),
    }
}

#[cfg(feature = "tls")]
async fn tls(tcp: TcpStream, host: &str) -> Result<Box<dyn Io>, ConnectError> {
    use std::sync::{Arc, OnceLock};

    use rustls_platform_verifier::ConfigVerifierExt;
    use tokio_rustls::rustls::ClientConfig;
    use tokio_rustls::rustls::pki_types::ServerName;

    static CONFIG: OnceLock<Result<Arc<ClientConfig>, String>> = OnceLock::new();
    let config = CONFIG
        .get_or_init(|| {
            ClientConfig::with_platform_verifier()
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|e| fail(TwilioCode::STREAM_TLS_ERROR, e))?;
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| fail(TwilioCode::STREAM_TLS_ERROR, format!("{host}: {e}")))?;
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| {
            fail(
                TwilioCode::STREAM_TLS_ERROR,
                format!("TLS with {host}: {e}"),
            )
        })?;
    Ok(Box::new(stream))
}

#[cfg(not(feature = "tls"))]
#[allow(clippy::unused_async)] // the signature of the TLS build's
async fn tls(_tcp: TcpStream, host: &str) -> Result<Box<dyn Io>, ConnectError> {
    Err(fail(
        TwilioCode::STREAM_TLS_ERROR,
        format!("wss://{host}: this Dialtone was built without TLS (the `tls` feature)"),
    ))
}
