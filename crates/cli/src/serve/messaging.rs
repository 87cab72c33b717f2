//! The API's [`WhatsAppMessaging`] port over the runtime's WhatsApp connector.
//!
//! In simulator mode a content's approval is decided by the `[simulator]` setting, without
//! the simulated Meta; so before an approved content is first sent as a template, its
//! template is created in the simulated WhatsApp Business Account (the sender's `waba_id`, or
//! its phone number id), where the simulator's review approves it. An existing one is kept.

use axum::http::StatusCode;
use dialtone_api::{BoxFuture, ControlError, Outgoing, WhatsAppMessaging};
use dialtone_runtime::{Handle, MessageTemplates, OutgoingMessage, TemplateContent};
use dialtone_store::Message;
use dialtone_types::TwilioCode;

/// The port; `templates` is set in simulator mode only.
pub(super) struct RuntimeMessaging {
    pub(super) runtime: Handle,
    pub(super) templates: Option<MessageTemplates>,
}

fn unavailable(message: String) -> ControlError {
    ControlError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: TwilioCode(20503),
        message,
        retry_after: None,
    }
}

impl RuntimeMessaging {
    async fn mirror(&self, outgoing: &Outgoing) {
        let (Some(templates), Outgoing::Template { submission: t, .. }) =
            (&self.templates, outgoing)
        else {
            return;
        };
        let content = TemplateContent {
            name: &t.name,
            language: &t.language,
            category: &t.category,
            content_type: &t.content_type,
            content: &t.content,
            variables: &t.variables,
        };
        // "Already exists" is the usual answer after the first send.
        if let Err(e) = templates.submit(&t.waba_id, &content).await {
            tracing::debug!(error = %e, "simulated template not created");
        }
    }
}

impl WhatsAppMessaging for RuntimeMessaging {
    fn send(
        &self,
        message: Message,
        outgoing: Outgoing,
    ) -> BoxFuture<'_, Result<Message, ControlError>> {
        Box::pin(async move {
            let whatsapp = self
                .runtime
                .whatsapp()
                .ok_or_else(|| unavailable("WhatsApp is not configured".to_owned()))?;
            self.mirror(&outgoing).await;
            let graph = match outgoing {
                Outgoing::Text(text) => OutgoingMessage::Text(text),
                Outgoing::PermissionRequest => OutgoingMessage::PermissionRequest,
                Outgoing::Template {
                    name,
                    language,
                    params,
                    ..
                } => OutgoingMessage::Template {
                    name,
                    language,
                    params,
                },
            };
            whatsapp
                .send_stored(&message, &graph)
                .await
                .map_err(|e| unavailable(format!("the message could not be stored: {e}")))
        })
    }

    fn fail(
        &self,
        message: Message,
        code: u32,
        text: String,
    ) -> BoxFuture<'_, Result<Message, ControlError>> {
        Box::pin(async move {
            let whatsapp = self
                .runtime
                .whatsapp()
                .ok_or_else(|| unavailable("WhatsApp is not configured".to_owned()))?;
            whatsapp
                .fail_stored(&message, code, &text)
                .await
                .map_err(|e| unavailable(format!("the message could not be stored: {e}")))
        })
    }
}
