//! Who decides whether a Content resource is approved for WhatsApp, and the status it shows.
//!
//! In simulator mode the decision is a setting (approved by default) shown after a delay: the
//! verdict and the time it shows are stored with the request, so a restart or a change of the
//! setting does not change a decision already made, and the API's [`Clock`](crate::Clock)
//! alone decides when it shows (tests fix it). Until then the request reads `pending`.
//!
//! In Meta mode the request becomes a message template created through the Graph API
//! ([`WhatsAppTemplates`], implemented by the runtime's connector); while Meta reviews it,
//! each read asks Meta for the template's status and stores the answer.

use std::sync::Arc;
use std::time::Duration;

use dialtone_store::{ApprovalUpdate, Content};
use dialtone_types::Sid;
use serde_json::Value;

use crate::control::BoxFuture;
use crate::error::ApiError;
use crate::state::ApiState;

/// Approval statuses after which nothing changes by itself.
const FINAL: [&str; 4] = ["approved", "rejected", "paused", "disabled"];

/// A message template to create at Meta for a content.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateSubmission {
    /// The WhatsApp Business Account (`configuration.waba_id` of the account's sender).
    pub waba_id: String,
    /// The template name (`name` of the approval request).
    pub name: String,
    /// The content's language.
    pub language: String,
    /// `UTILITY` or `MARKETING`.
    pub category: String,
    /// The content type submitted, e.g. `twilio/call-to-action`.
    pub content_type: String,
    /// That type's object (`{"body": ..., "actions": [...]}`).
    pub content: Value,
    /// The content's `variables` (the template's sample values).
    pub variables: Value,
}

/// Meta's view of a template, in Twilio's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateVerdict {
    /// Meta's id of the template.
    pub template_id: String,
    /// Twilio's approval status: `pending`, `approved`, `rejected`, `paused`, `disabled`.
    pub status: String,
    /// Meta's rejection reason (empty unless rejected).
    pub rejection_reason: String,
}

/// Why Meta gave no verdict.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Meta refused the template (its error message); the request is recorded as rejected.
    #[error("{0}")]
    Refused(String),
    /// Meta could not be asked (timeout, connection, unexpected answer); nothing is recorded.
    #[error("{0}")]
    Unavailable(String),
}

/// Meta's message templates, as the WhatsApp connector reaches them.
pub trait WhatsAppTemplates: Send + Sync + 'static {
    /// `POST /{waba-id}/message_templates`.
    fn submit(
        &self,
        template: TemplateSubmission,
    ) -> BoxFuture<'_, Result<TemplateVerdict, TemplateError>>;
    /// `GET /{template-id}`: the template's current status.
    fn status(&self, template_id: &str) -> BoxFuture<'_, Result<TemplateVerdict, TemplateError>>;
}

/// The simulator's verdict on every approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimulatedVerdict {
    /// `approved` (the default).
    #[default]
    Approved,
    /// `rejected`.
    Rejected,
}

impl SimulatedVerdict {
    /// Twilio's status for it.
    pub const fn status(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }
}

/// The rejection reason the simulator gives.
pub const SIMULATED_REJECTION: &str =
    "Rejected by the simulated WhatsApp review (simulator content_approval = \"rejected\")";

/// Who decides approval requests.
#[derive(Clone)]
pub enum ContentApprovals {
    /// The simulator: `verdict`, shown `delay` after the request.
    Simulated {
        /// The verdict.
        verdict: SimulatedVerdict,
        /// How long the request stays `pending`.
        delay: Duration,
    },
    /// Meta, through the connector.
    Meta(Arc<dyn WhatsAppTemplates>),
}

impl Default for ContentApprovals {
    fn default() -> Self {
        Self::Simulated {
            verdict: SimulatedVerdict::Approved,
            delay: Duration::ZERO,
        }
    }
}

impl std::fmt::Debug for ContentApprovals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Simulated { verdict, delay } => f
                .debug_struct("Simulated")
                .field("verdict", verdict)
                .field("delay", delay)
                .finish(),
            Self::Meta(_) => f.write_str("Meta"),
        }
    }
}

/// `content` with its approval status brought up to date (and stored when it changed).
pub(crate) async fn current(state: &ApiState, content: Content) -> Result<Content, ApiError> {
    let Some(approval) = &content.approval else {
        return Ok(content);
    };
    if FINAL.contains(&approval.status.as_str()) {
        return Ok(content);
    }
    let account = content.account_sid;
    let sid = content.sid;
    if let (Some(verdict), Some(decide_at)) = (&approval.verdict, approval.decide_at) {
        if state.now() < decide_at {
            let mut shown = content;
            if let Some(a) = shown.approval.as_mut() {
                "pending".clone_into(&mut a.status);
            }
            return Ok(shown);
        }
        let reason = if verdict == "rejected" {
            SIMULATED_REJECTION.to_owned()
        } else {
            String::new()
        };
        return store_status(state, account, sid, verdict.clone(), reason).await;
    }
    let (Some(template_id), ContentApprovals::Meta(templates)) =
        (&approval.template_id, &state.content_approvals)
    else {
        return Ok(content);
    };
    match templates.status(template_id).await {
        Ok(v) if v.status != approval.status || v.rejection_reason != approval.rejection_reason => {
            store_status(state, account, sid, v.status, v.rejection_reason).await
        }
        Ok(_) => Ok(content),
        Err(e) => {
            tracing::warn!(content = %sid, error = %e, "could not read the template's status at Meta");
            Ok(content)
        }
    }
}

async fn store_status(
    state: &ApiState,
    account: Sid,
    content: Sid,
    status: String,
    rejection_reason: String,
) -> Result<Content, ApiError> {
    let update = ApprovalUpdate {
        status,
        rejection_reason,
    };
    state
        .store
        .update_approval(account, content, &update, state.now())
        .await
        .map_err(ApiError::store)
}
