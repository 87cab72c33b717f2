//! `/{waba_id}/message_templates` (create, list, delete) and `GET /{template_id}`, with Meta's
//! creation rules for call permission request templates (reference `whatsapp-consent.md`
//! §3.2): category `MARKETING` or `UTILITY`, a non-empty body (at most 1024 characters), and no
//! `BUTTONS` beside the `call_permission_request` component. Errors are Meta's code 100 (with
//! subcode 2388024 for a name and language that already exist).

use dialtone_types::UnixMillis;
use dialtone_whatsapp::error::GraphError;
use serde_json::{Value, json};

use super::{GraphReply, GraphResult, invalid, success, unknown_object};
use crate::network::config::TemplateStatus;
use crate::network::network::Network;
use crate::network::templates::{Template, placeholders};

/// Longest template name.
const MAX_NAME: usize = 512;
/// Longest template body.
const MAX_BODY: usize = 1024;

fn component_type(component: &Value) -> String {
    component
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase()
}

impl Network {
    /// `POST /{waba_id}/message_templates`.
    pub fn handle_create_template(
        &mut self,
        now: UnixMillis,
        authorization: Option<&str>,
        waba_id: &str,
        body: &[u8],
    ) -> GraphReply {
        let result = self.authorize_token(authorization).and_then(|()| {
            let template = parse_template(waba_id, body)?;
            if self
                .template(waba_id, &template.name, &template.language)
                .is_some()
            {
                let mut error = GraphError::new(
                    100,
                    "Invalid parameter",
                    Some(&format!(
                        "Content in this language already exists: {} ({})",
                        template.name, template.language
                    )),
                );
                error.subcode = Some(2_388_024);
                return Err(error);
            }
            let stored = self.add_template(now, template);
            Ok(GraphReply::ok(&json!({
                "id": stored.id,
                "status": stored.status.as_str(),
                "category": stored.category,
            })))
        });
        self.reply(result)
    }

    /// `GET /{waba_id}/message_templates[?name=…&status=…]`.
    pub fn handle_list_templates(
        &mut self,
        authorization: Option<&str>,
        waba_id: &str,
        name: Option<&str>,
        status: Option<&str>,
    ) -> GraphReply {
        let result = self.authorize_token(authorization).and_then(|()| {
            let status = match status {
                Some(s) => Some(
                    TemplateStatus::parse(s)
                        .ok_or_else(|| invalid(&format!("Invalid status: {s}")))?,
                ),
                None => None,
            };
            let data: Vec<Value> = self
                .templates(waba_id)
                .iter()
                .filter(|t| name.is_none_or(|n| t.name == n))
                .filter(|t| status.is_none_or(|s| t.status == s))
                .map(Template::to_json)
                .collect();
            Ok(GraphReply::ok(&json!({
                "data": data,
                "paging": {"cursors": {"before": "MAZDZD", "after": "MAZDZD"}},
            })))
        });
        self.reply(result)
    }

    /// `DELETE /{waba_id}/message_templates?name=…[&hsm_id=…]`.
    pub fn handle_delete_template(
        &mut self,
        authorization: Option<&str>,
        waba_id: &str,
        name: Option<&str>,
        hsm_id: Option<&str>,
    ) -> GraphReply {
        let result = self.authorize_token(authorization).and_then(|()| {
            let name = name
                .filter(|n| !n.is_empty())
                .ok_or_else(|| invalid("name is required"))?;
            if self.delete_templates(waba_id, name, hsm_id) == 0 {
                return Err(invalid(&format!("Message template {name} not found")));
            }
            Ok(success())
        });
        self.reply(result)
    }

    /// `GET /{template_id}`.
    pub fn handle_fetch_template(
        &mut self,
        authorization: Option<&str>,
        template_id: &str,
    ) -> GraphReply {
        let result = self.authorize_token(authorization).and_then(|()| {
            self.templates
                .get(template_id)
                .map(|t| GraphReply::ok(&t.to_json()))
                .ok_or_else(|| unknown_object("get", template_id))
        });
        self.reply(result)
    }
}

fn parse_template(waba_id: &str, body: &[u8]) -> GraphResult<Template> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| invalid("The request body is not valid JSON"))?;
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let name = text("name").ok_or_else(|| invalid("name is required"))?;
    if name.is_empty()
        || name.len() > MAX_NAME
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(invalid(
            "name must be 1 to 512 lowercase letters, digits and underscores",
        ));
    }
    let language = text("language")
        .filter(|l| !l.is_empty())
        .ok_or_else(|| invalid("language is required"))?;
    let category = text("category")
        .map(|c| c.to_ascii_uppercase())
        .filter(|c| matches!(c.as_str(), "MARKETING" | "UTILITY" | "AUTHENTICATION"))
        .ok_or_else(|| invalid("category must be MARKETING, UTILITY or AUTHENTICATION"))?;
    let components = value
        .get("components")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| invalid("components is required and must be an array"))?;
    let kinds: Vec<String> = components.iter().map(component_type).collect();
    let body = components
        .iter()
        .find(|c| component_type(c) == "body")
        .and_then(|c| c.get("text"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if body.as_ref().is_some_and(|b| b.chars().count() > MAX_BODY) {
        return Err(invalid(&format!(
            "the body must be at most {MAX_BODY} characters"
        )));
    }
    let permission_request = kinds.iter().any(|k| k == "call_permission_request");
    if permission_request {
        if category == "AUTHENTICATION" {
            return Err(invalid(
                "a call permission request template must be of category MARKETING or UTILITY",
            ));
        }
        if body.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(
                "a call permission request template needs a non-empty body",
            ));
        }
        if kinds.iter().any(|k| k == "buttons") {
            return Err(invalid(
                "the call_permission_request component cannot be combined with buttons",
            ));
        }
    } else if body.is_none() {
        return Err(invalid("a template needs a body component with a text"));
    }
    let params = body.as_deref().map(placeholders).unwrap_or_default();
    Ok(Template {
        id: String::new(),
        waba_id: waba_id.to_owned(),
        name,
        language,
        category,
        status: TemplateStatus::Pending,
        components,
        body,
        params,
        permission_request,
    })
}
