//! Who decides Content approvals in `dialtone serve`: the `[simulator]` setting in simulator
//! mode, Meta (through the connector's message templates) in meta mode.

use std::sync::Arc;

use dialtone_api::{
    BoxFuture, ContentApprovals, TemplateError, TemplateSubmission, TemplateVerdict,
    WhatsAppTemplates,
};
use dialtone_runtime::{MessageTemplates, TemplateAnswer, TemplateContent, TemplateFailure};

use super::whatsapp::WhatsAppSetup;
use crate::config::{SimulatorSettings, WhatsAppMode};

/// The API's template port over the runtime's Graph client.
struct MetaTemplates(MessageTemplates);

fn verdict(answer: TemplateAnswer) -> TemplateVerdict {
    TemplateVerdict {
        template_id: answer.id,
        status: answer.status,
        rejection_reason: answer.rejection_reason,
    }
}

fn error(failure: TemplateFailure) -> TemplateError {
    match failure {
        TemplateFailure::Refused(m) => TemplateError::Refused(m),
        TemplateFailure::Unavailable(m) => TemplateError::Unavailable(m),
    }
}

impl WhatsAppTemplates for MetaTemplates {
    fn submit(
        &self,
        t: TemplateSubmission,
    ) -> BoxFuture<'_, Result<TemplateVerdict, TemplateError>> {
        Box::pin(async move {
            let content = TemplateContent {
                name: &t.name,
                language: &t.language,
                category: &t.category,
                content_type: &t.content_type,
                content: &t.content,
                variables: &t.variables,
            };
            self.0
                .submit(&t.waba_id, &content)
                .await
                .map(verdict)
                .map_err(error)
        })
    }

    fn status(&self, template_id: &str) -> BoxFuture<'_, Result<TemplateVerdict, TemplateError>> {
        let id = template_id.to_owned();
        Box::pin(async move { self.0.status(&id).await.map(verdict).map_err(error) })
    }
}

/// The approvals of this server's mode.
pub(super) fn approvals(setup: &WhatsAppSetup, simulator: &SimulatorSettings) -> ContentApprovals {
    match setup.mode {
        WhatsAppMode::Simulator => ContentApprovals::Simulated {
            verdict: simulator.content_approval,
            delay: simulator.content_approval_delay,
        },
        WhatsAppMode::Meta => {
            ContentApprovals::Meta(Arc::new(MetaTemplates(MessageTemplates::new(
                setup.connector.graph.clone(),
                setup.connector.request_timeout,
            ))))
        }
    }
}
