//! The WhatsApp side of `dialtone serve`: the connector's settings from `[whatsapp]` once the
//! server's address is known, and the runtime behind the API's `/webhooks/whatsapp` port.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use dialtone_api::{WebhookRejection, WhatsAppWebhooks};
use dialtone_runtime::{GraphConfig, WebhookRefusal, WhatsAppConfig};

use super::system::OsEntropy;
use crate::config::{WhatsAppMode, WhatsAppSettings};

/// The connector's settings and, in simulator mode, what the embedded simulator must share
/// with it.
#[derive(Clone)]
pub(super) struct WhatsAppSetup {
    pub(super) mode: WhatsAppMode,
    pub(super) connector: WhatsAppConfig,
    /// Where the simulator posts its webhooks (simulator mode).
    pub(super) webhook_url: String,
    /// The access token the simulator expects (the connector sends it).
    pub(super) access_token: String,
}

impl std::fmt::Debug for WhatsAppSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppSetup")
            .field("mode", &self.mode)
            .field("connector", &self.connector)
            .field("webhook_url", &self.webhook_url)
            .finish_non_exhaustive()
    }
}

/// How Dialtone's own address is written for the simulator: loopback, on the bound port.
fn loopback(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        IpAddr::V6(ip) if !ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        _ => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    SocketAddr::new(ip, bound.port())
}

/// A fresh 128-bit secret in hex.
fn secret(entropy: OsEntropy) -> String {
    format!("{:032x}", entropy.u128())
}

impl WhatsAppSetup {
    /// Settings for a server bound at `bound`; missing simulator secrets are generated.
    pub(super) fn new(
        settings: &WhatsAppSettings,
        bound: SocketAddr,
        entropy: OsEntropy,
    ) -> Result<Self, String> {
        let own = loopback(bound);
        let graph_url = match &settings.graph_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{own}/sim/graph"),
        };
        let access_token = settings
            .access_token
            .clone()
            .unwrap_or_else(|| secret(entropy));
        let app_secret = settings
            .app_secret
            .clone()
            .unwrap_or_else(|| secret(entropy));
        let verify_token = settings
            .verify_token
            .clone()
            .unwrap_or_else(|| secret(entropy));
        let graph = GraphConfig::new(&graph_url, &settings.graph_version, &access_token)
            .map_err(|e| format!("invalid WhatsApp Graph settings: {e}"))?;
        let mut connector = WhatsAppConfig::new(graph, app_secret, verify_token);
        connector.request_timeout = Duration::from_secs(10);
        connector.media.ip = settings.media_ip;
        Ok(Self {
            mode: settings.mode,
            connector,
            webhook_url: format!("http://{own}{}", dialtone_api::WHATSAPP_WEBHOOK_PATH),
            access_token,
        })
    }
}

/// The runtime as the receiver's port.
#[derive(Debug, Clone)]
pub(super) struct WebhookReceiver(pub(super) dialtone_runtime::Handle);

impl WhatsAppWebhooks for WebhookReceiver {
    fn verify_subscription(
        &self,
        mode: Option<&str>,
        verify_token: Option<&str>,
        challenge: Option<&str>,
    ) -> Option<String> {
        self.0
            .whatsapp_subscription(mode, verify_token, challenge)
            .ok()
    }

    fn notify(&self, body: &[u8], signature: Option<&str>) -> Result<(), WebhookRejection> {
        self.0
            .whatsapp_webhook(body, signature)
            .map_err(|refusal| match refusal {
                WebhookRefusal::Signature(dialtone_runtime::SignatureError::Missing) => {
                    WebhookRejection::Unsigned
                }
                WebhookRefusal::Signature(_) | WebhookRefusal::Subscription(_) => {
                    WebhookRejection::BadSignature
                }
                WebhookRefusal::Malformed(_) => WebhookRejection::Malformed,
            })
    }
}
