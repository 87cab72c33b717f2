//! Webhook delivery: one queue and one task per call (or message), so its webhooks arrive in the order
//! Meta's side produced them, while calls do not wait for each other. Each POST is signed
//! with the app secret and retried like Meta retries.

use std::sync::Arc;

use dialtone_whatsapp::webhook::{SIGNATURE_HEADER, signature_header};
use tokio::sync::mpsc;
use url::Url;

use super::config::Delivery;
use crate::network::Webhook;

/// What every delivery task shares.
#[derive(Debug)]
pub(crate) struct Poster {
    client: reqwest::Client,
    url: Url,
    secret: Vec<u8>,
    delivery: Delivery,
}

impl Poster {
    pub(crate) fn new(url: Url, secret: &str, delivery: Delivery) -> Self {
        let client = reqwest::Client::builder()
            .timeout(delivery.timeout)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Self {
            client,
            url,
            secret: secret.as_bytes().to_vec(),
            delivery,
        }
    }

    /// A queue for one call; its task ends once the sender is dropped and the queue drained.
    pub(crate) fn queue(self: &Arc<Self>) -> mpsc::UnboundedSender<Webhook> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Webhook>();
        let poster = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(webhook) = rx.recv().await {
                poster.deliver(&webhook).await;
            }
        });
        tx
    }

    /// Posts one body on its own (no ordering with anything else).
    pub(crate) fn post_raw(self: &Arc<Self>, key: String, body: Vec<u8>) {
        let poster = Arc::clone(self);
        tokio::spawn(async move { poster.deliver_body(&key, body).await });
    }

    async fn deliver(&self, webhook: &Webhook) {
        self.deliver_body(&webhook.call_id, webhook.body()).await;
    }

    async fn deliver_body(&self, key: &str, body: Vec<u8>) {
        let signature = signature_header(&self.secret, &body);
        let mut delay = self.delivery.retry_delay;
        for attempt in 0..=self.delivery.retries {
            let sent = self
                .client
                .post(self.url.as_str())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(SIGNATURE_HEADER, &signature)
                .body(body.clone())
                .send()
                .await;
            let problem = match sent {
                Ok(response) if response.status().is_success() => return,
                Ok(response) => format!("HTTP {}", response.status().as_u16()),
                Err(error) => error.to_string(),
            };
            tracing::warn!(
                about = %key,
                attempt = attempt + 1,
                %problem,
                "WhatsApp simulator: webhook not accepted"
            );
            if attempt < self.delivery.retries {
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
        }
        tracing::error!(
            about = %key,
            "WhatsApp simulator: webhook dropped after {} attempts",
            self.delivery.retries + 1
        );
    }
}
