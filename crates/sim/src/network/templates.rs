//! Message templates of each WhatsApp Business Account, as Meta stores them: created through
//! the Graph API, reviewed with the network's [`TemplateReview`] verdict (approved by default),
//! the verdict announced with a `message_template_status_update` webhook when the review
//! takes time. A template with a `call_permission_request` component sends a call permission
//! request.

use std::collections::BTreeSet;

use dialtone_types::UnixMillis;
use serde_json::{Value, json};

use super::config::{TemplateReview, TemplateStatus};
use super::network::{Network, millis, secs};
use super::output::Output;

/// A stored template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Meta's numeric id (as a string).
    pub id: String,
    /// The WhatsApp Business Account it belongs to.
    pub waba_id: String,
    /// `name`.
    pub name: String,
    /// `language`, e.g. `en`.
    pub language: String,
    /// `MARKETING`, `UTILITY` or `AUTHENTICATION`.
    pub category: String,
    /// Review status.
    pub status: TemplateStatus,
    /// `components` as created.
    pub components: Vec<Value>,
    /// The body component's text.
    pub body: Option<String>,
    /// The body's distinct placeholders (`1`, `2`… or names), in order of appearance.
    pub params: Vec<String>,
    /// Whether it carries a `call_permission_request` component.
    pub permission_request: bool,
}

impl Template {
    /// The template as Graph lists it.
    pub fn to_json(&self) -> Value {
        let mut value = json!({
            "name": self.name,
            "components": self.components,
            "language": self.language,
            "status": self.status.as_str(),
            "category": self.category,
            "id": self.id,
        });
        if self.status == TemplateStatus::Rejected {
            value["rejected_reason"] = json!("INVALID_FORMAT");
        }
        value
    }

    /// The body with `values` put in for the placeholders, in order.
    pub fn filled_body(&self, values: &[String]) -> Option<String> {
        let mut body = self.body.clone()?;
        for (name, value) in self.params.iter().zip(values) {
            body = body.replace(&format!("{{{{{name}}}}}"), value);
        }
        Some(body)
    }
}

/// The distinct `{{…}}` placeholders of `text`, in order of appearance.
pub(crate) fn placeholders(text: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let name = after[..end].trim().to_owned();
        if !name.is_empty() && seen.insert(name.clone()) {
            out.push(name);
        }
        rest = &after[end + 2..];
    }
    out
}

impl Network {
    /// How templates are reviewed from now on.
    pub fn set_template_review(&mut self, review: TemplateReview) {
        self.config.template_review = review;
    }

    /// The templates of a WABA, by name then language.
    pub fn templates(&self, waba_id: &str) -> Vec<Template> {
        let mut list: Vec<Template> = self
            .templates
            .values()
            .filter(|t| t.waba_id == waba_id)
            .cloned()
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.language.cmp(&b.language)));
        list
    }

    /// The template `name` in `language` of a WABA.
    pub(crate) fn template(&self, waba_id: &str, name: &str, language: &str) -> Option<&Template> {
        self.templates
            .values()
            .find(|t| t.waba_id == waba_id && t.name == name && t.language == language)
    }

    /// Stores a new template under review: the verdict at once, or `PENDING` and a timer.
    pub(crate) fn add_template(&mut self, now: UnixMillis, mut template: Template) -> Template {
        let review = self.config.template_review;
        template.id = format!(
            "{}",
            1_000_000_000_000_000 + self.next_random() % 9_000_000_000_000_000
        );
        if review.after.is_zero() {
            template.status = review.verdict;
        } else {
            template.status = TemplateStatus::Pending;
            let at = now.plus_millis(millis(review.after));
            self.arm_template(at, &template.id);
        }
        self.templates.insert(template.id.clone(), template.clone());
        template
    }

    /// Removes the templates `name` of a WABA (one language, or all); how many.
    pub(crate) fn delete_templates(
        &mut self,
        waba_id: &str,
        name: &str,
        id: Option<&str>,
    ) -> usize {
        let before = self.templates.len();
        self.templates.retain(|_, t| {
            !(t.waba_id == waba_id && t.name == name && id.is_none_or(|id| t.id == id))
        });
        before - self.templates.len()
    }

    /// The review of template `id` ends.
    pub(crate) fn review_done(&mut self, now: UnixMillis, id: &str) {
        let verdict = self.config.template_review.verdict;
        let Some(template) = self.templates.get_mut(id) else {
            return;
        };
        if template.status != TemplateStatus::Pending || verdict == TemplateStatus::Pending {
            return;
        }
        template.status = verdict;
        let reason = if verdict == TemplateStatus::Rejected {
            "INVALID_FORMAT"
        } else {
            "NONE"
        };
        let id_number: u64 = template.id.parse().unwrap_or(0);
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": template.waba_id, "time": secs(now), "changes": [{
                "field": "message_template_status_update",
                "value": {
                    "event": verdict.as_str(),
                    "message_template_id": id_number,
                    "message_template_name": template.name,
                    "message_template_language": template.language,
                    "reason": reason,
                }
            }]}]
        });
        self.push_output(Output::RawWebhook {
            key: format!("template:{id}"),
            // A JSON value built here always serializes.
            body: serde_json::to_vec(&body).unwrap_or_default(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_are_distinct_and_ordered() {
        assert_eq!(placeholders("Hi {{1}}, order {{2}} for {{1}}"), ["1", "2"]);
        assert_eq!(placeholders("Hi {{first_name}}!"), ["first_name"]);
        assert!(placeholders("no {{ }} {{unclosed").is_empty());
    }
}
