//! Meta's message templates for Twilio's Content resources: `POST /{waba-id}/message_templates`
//! to submit one for review, `GET /{template-id}` to read Meta's verdict.
//!
//! The mapping (pure, unit-tested) turns a content type into Meta's components: the body,
//! with Meta's `example` built from the content's `variables` (positional `{{1}}` as
//! `body_text`, named `{{name}}` as `body_text_named_params` with `parameter_format: NAMED`);
//! a `VOICE_CALL_REQUEST` call-to-action becomes the `call_permission_request` component
//! Meta's call permission templates carry; other actions become `BUTTONS`. Meta's template
//! statuses are reported in Twilio's lowercase approval statuses.

use std::time::Duration;

use dialtone_whatsapp::error::{GraphError, GraphFailure};
use dialtone_whatsapp::graph::{GraphConfig, HttpMethod};
use serde_json::{Map, Value, json};

use super::graph_client::GraphClient;

/// A content's template, as submitted for review.
#[derive(Debug, Clone, Copy)]
pub struct TemplateContent<'a> {
    /// Template name.
    pub name: &'a str,
    /// Language code, e.g. `en`.
    pub language: &'a str,
    /// `UTILITY` or `MARKETING`.
    pub category: &'a str,
    /// Twilio's content type, e.g. `twilio/call-to-action`.
    pub content_type: &'a str,
    /// That type's object.
    pub content: &'a Value,
    /// The content's `variables` (sample values).
    pub variables: &'a Value,
}

/// Meta's answer about a template, in Twilio's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateAnswer {
    /// Meta's template id.
    pub id: String,
    /// Twilio's status: `pending`, `approved`, `rejected`, `paused`, `disabled`.
    pub status: String,
    /// Meta's rejection reason (empty unless rejected).
    pub rejection_reason: String,
}

/// Why Meta gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateFailure {
    /// Meta refused the request (a 4xx with its message), or the content cannot be a template.
    #[error("{0}")]
    Refused(String),
    /// Meta could not be asked (timeout, connection, 5xx, unexpected answer).
    #[error("{0}")]
    Unavailable(String),
}

/// Twilio's approval status for Meta's template status.
pub fn twilio_status(meta: &str) -> &'static str {
    match meta.to_ascii_uppercase().as_str() {
        "APPROVED" => "approved",
        "REJECTED" | "LIMIT_EXCEEDED" => "rejected",
        "PAUSED" => "paused",
        "DISABLED" | "ARCHIVED" | "DELETED" | "PENDING_DELETION" => "disabled",
        _ => "pending",
    }
}

/// Meta's create body for `template`.
pub fn template_body(template: &TemplateContent<'_>) -> Result<Value, TemplateFailure> {
    let text = template
        .content
        .get("body")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let names = placeholders(text);
    let sample = |name: &str| {
        template
            .variables
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let named = names.iter().any(|n| !n.bytes().all(|b| b.is_ascii_digit()));
    let mut body = json!({"type": "BODY", "text": text});
    if !names.is_empty() {
        body["example"] = if named {
            let params: Vec<Value> = names
                .iter()
                .map(|n| json!({"param_name": n, "example": sample(n)}))
                .collect();
            json!({"body_text_named_params": params})
        } else {
            let mut numbers: Vec<u32> = names.iter().filter_map(|n| n.parse().ok()).collect();
            numbers.sort_unstable();
            let values: Vec<String> = numbers.iter().map(|n| sample(&n.to_string())).collect();
            json!({"body_text": [values]})
        };
    }
    let mut components = vec![body];
    let actions = template
        .content
        .get("actions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let kind = |a: &Value| {
        a.get("type")
            .and_then(Value::as_str)
            .unwrap_or("QUICK_REPLY")
            .to_owned()
    };
    let field = |a: &Value, f: &str| {
        a.get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    if actions.iter().any(|a| kind(a) == "VOICE_CALL_REQUEST") {
        components.push(json!({"type": "call_permission_request"}));
    } else if !actions.is_empty() {
        let mut buttons = Vec::new();
        for a in &actions {
            let title = field(a, "title");
            buttons.push(match kind(a).as_str() {
                "QUICK_REPLY" => json!({"type": "QUICK_REPLY", "text": title}),
                "URL" => json!({"type": "URL", "text": title, "url": field(a, "url")}),
                "PHONE_NUMBER" => {
                    json!({"type": "PHONE_NUMBER", "text": title, "phone_number": field(a, "phone")})
                }
                "COPY_CODE" => json!({"type": "COPY_CODE", "example": field(a, "code")}),
                "VOICE_CALL" => json!({"type": "VOICE_CALL", "text": title}),
                other => {
                    return Err(TemplateFailure::Refused(format!(
                        "{other} actions cannot be submitted as a WhatsApp template by Dialtone"
                    )));
                }
            });
        }
        components.push(json!({"type": "BUTTONS", "buttons": buttons}));
    }
    let mut out = Map::new();
    out.insert("name".into(), template.name.into());
    out.insert("language".into(), template.language.into());
    out.insert("category".into(), template.category.into());
    if named {
        out.insert("parameter_format".into(), "NAMED".into());
    }
    out.insert("components".into(), Value::Array(components));
    Ok(Value::Object(out))
}

fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_owned();
        if !name.is_empty() && !found.contains(&name) {
            found.push(name);
        }
        rest = &after[end + 2..];
    }
    found
}

/// Meta's answer to a create (`{id, status, category}`) or a read (`{id, status,
/// rejected_reason, ...}`).
pub fn decode_answer(status: u16, body: &[u8]) -> Result<TemplateAnswer, TemplateFailure> {
    if !(200..300).contains(&status) {
        return Err(match GraphError::parse(body) {
            Some(error) if (400..500).contains(&status) => TemplateFailure::Refused(error.message),
            Some(error) => {
                TemplateFailure::Unavailable(GraphFailure::Graph { status, error }.to_string())
            }
            None => TemplateFailure::Unavailable(GraphFailure::Http { status }.to_string()),
        });
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| TemplateFailure::Unavailable("template answer is not JSON".into()))?;
    let id = match value.get("id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(TemplateFailure::Unavailable(
                "template answer has no id".into(),
            ));
        }
    };
    let meta_status = value
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("PENDING");
    let status = twilio_status(meta_status);
    let reason = value
        .get("rejected_reason")
        .and_then(Value::as_str)
        .filter(|r| status == "rejected" && !r.eq_ignore_ascii_case("NONE"))
        .unwrap_or_default()
        .to_owned();
    Ok(TemplateAnswer {
        id,
        status: status.to_owned(),
        rejection_reason: reason,
    })
}

/// Meta's decimal ids (WABA, template).
fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_digit())
}

/// Submits and reads message templates at Meta; cheap to clone.
#[derive(Debug, Clone)]
pub struct MessageTemplates {
    client: GraphClient,
    graph: GraphConfig,
}

impl MessageTemplates {
    /// Templates at `graph`, each request with `timeout`.
    pub fn new(graph: GraphConfig, timeout: Duration) -> Self {
        Self {
            client: GraphClient::new(timeout),
            graph,
        }
    }

    /// `POST /{waba-id}/message_templates`.
    pub async fn submit(
        &self,
        waba_id: &str,
        template: &TemplateContent<'_>,
    ) -> Result<TemplateAnswer, TemplateFailure> {
        if !is_id(waba_id) {
            return Err(TemplateFailure::Refused(format!(
                "Invalid WhatsApp Business Account id {waba_id:?}: expected Meta's decimal id"
            )));
        }
        let body = template_body(template)?;
        let path = format!("/{}/{waba_id}/message_templates", self.graph.version());
        let request =
            self.graph
                .request(HttpMethod::Post, path, Some(body.to_string().into_bytes()));
        let (status, answer) = self
            .client
            .send(&request)
            .await
            .map_err(|e| TemplateFailure::Unavailable(e.to_string()))?;
        decode_answer(status, &answer)
    }

    /// `GET /{template-id}?fields=id,name,status,category,rejected_reason`.
    pub async fn status(&self, template_id: &str) -> Result<TemplateAnswer, TemplateFailure> {
        if !is_id(template_id) {
            return Err(TemplateFailure::Refused(format!(
                "Invalid template id {template_id:?}"
            )));
        }
        let path = format!(
            "/{}/{template_id}?fields=id,name,status,category,rejected_reason",
            self.graph.version()
        );
        let request = self.graph.request(HttpMethod::Get, path, None);
        let (status, answer) = self
            .client
            .send(&request)
            .await
            .map_err(|e| TemplateFailure::Unavailable(e.to_string()))?;
        decode_answer(status, &answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpr() -> (Value, Value) {
        (
            json!({"body": "May we call you about order {{1}} today, {{2}}?",
                   "actions": [{"type": "VOICE_CALL_REQUEST", "title": "Call Request"}]}),
            json!({"1": "ON-12853", "2": "Pablo"}),
        )
    }

    fn template<'a>(
        content: &'a Value,
        variables: &'a Value,
        kind: &'a str,
    ) -> TemplateContent<'a> {
        TemplateContent {
            name: "call_permission_req",
            language: "en",
            category: "UTILITY",
            content_type: kind,
            content,
            variables,
        }
    }

    #[test]
    fn a_voice_call_request_becomes_a_call_permission_request_template() {
        let (content, variables) = cpr();
        assert_eq!(
            template_body(&template(&content, &variables, "twilio/call-to-action")).unwrap(),
            json!({"name": "call_permission_req", "language": "en", "category": "UTILITY",
                   "components": [
                       {"type": "BODY", "text": "May we call you about order {{1}} today, {{2}}?",
                        "example": {"body_text": [["ON-12853", "Pablo"]]}},
                       {"type": "call_permission_request"}]})
        );
    }

    #[test]
    fn named_variables_and_buttons() {
        let content = json!({"body": "Hi {{first_name}}", "actions": [
            {"type": "URL", "title": "Site", "url": "https://x.test"},
            {"type": "PHONE_NUMBER", "title": "Call", "phone": "+15550001111"}]});
        let variables = json!({"first_name": "Ana"});
        assert_eq!(
            template_body(&template(&content, &variables, "twilio/call-to-action")).unwrap(),
            json!({"name": "call_permission_req", "language": "en", "category": "UTILITY",
                   "parameter_format": "NAMED",
                   "components": [
                       {"type": "BODY", "text": "Hi {{first_name}}",
                        "example": {"body_text_named_params": [
                            {"param_name": "first_name", "example": "Ana"}]}},
                       {"type": "BUTTONS", "buttons": [
                           {"type": "URL", "text": "Site", "url": "https://x.test"},
                           {"type": "PHONE_NUMBER", "text": "Call", "phone_number": "+15550001111"}]}]})
        );
        let quick = json!({"body": "Call?", "actions": [{"title": "Yes", "id": "y"}]});
        let body = template_body(&template(&quick, &json!({}), "twilio/quick-reply")).unwrap();
        assert_eq!(
            body["components"][1],
            json!({"type": "BUTTONS", "buttons": [
            {"type": "QUICK_REPLY", "text": "Yes"}]})
        );
        let text = json!({"body": "Plain"});
        let body = template_body(&template(&text, &json!({}), "twilio/text")).unwrap();
        assert_eq!(
            body["components"],
            json!([{"type": "BODY", "text": "Plain"}])
        );
        let contact =
            json!({"body": "x", "actions": [{"type": "REQUEST_CONTACT_INFO", "title": "t"}]});
        assert!(matches!(
            template_body(&template(&contact, &json!({}), "twilio/call-to-action")),
            Err(TemplateFailure::Refused(_))
        ));
    }

    #[test]
    fn answers_and_statuses() {
        assert_eq!(
            decode_answer(
                200,
                br#"{"id":"1689556908129832","status":"PENDING","category":"UTILITY"}"#
            ),
            Ok(TemplateAnswer {
                id: "1689556908129832".into(),
                status: "pending".into(),
                rejection_reason: String::new()
            })
        );
        assert_eq!(
            decode_answer(
                200,
                br#"{"id":"7","status":"REJECTED","rejected_reason":"INVALID_FORMAT"}"#
            )
            .unwrap()
            .rejection_reason,
            "INVALID_FORMAT"
        );
        assert_eq!(
            decode_answer(
                200,
                br#"{"id":"7","status":"APPROVED","rejected_reason":"NONE"}"#
            )
            .unwrap()
            .status,
            "approved"
        );
        for (meta, twilio) in [
            ("PAUSED", "paused"),
            ("DISABLED", "disabled"),
            ("IN_APPEAL", "pending"),
            ("LIMIT_EXCEEDED", "rejected"),
            ("DELETED", "disabled"),
        ] {
            assert_eq!(twilio_status(meta), twilio);
        }
        let refused = br#"{"error":{"message":"Invalid parameter","type":"OAuthException","code":100,"fbtrace_id":"x"}}"#;
        assert_eq!(
            decode_answer(400, refused),
            Err(TemplateFailure::Refused("Invalid parameter".into()))
        );
        assert!(matches!(
            decode_answer(500, b"oops"),
            Err(TemplateFailure::Unavailable(_))
        ));
        assert!(matches!(
            decode_answer(200, b"{}"),
            Err(TemplateFailure::Unavailable(_))
        ));
    }

    /// The HTTP half against a fake Graph server on loopback: the exact requests, Meta's answers.
    #[tokio::test]
    async fn submits_and_reads_through_a_fake_graph_server() {
        use std::sync::{Arc, Mutex};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let log = Arc::clone(&seen);
        tokio::spawn(async move {
            let answers = [
                r#"{"id":"1689556908129832","status":"PENDING","category":"UTILITY"}"#,
                r#"{"id":"1689556908129832","name":"call_permission_req","status":"APPROVED","category":"UTILITY","rejected_reason":"NONE"}"#,
            ];
            for answer in answers {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                loop {
                    let n = socket.read(&mut buf).await.unwrap();
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(head_end) = text.find("\r\n\r\n") {
                        let length = text[..head_end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length: ")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if request.len() >= head_end + 4 + length {
                            break;
                        }
                    }
                }
                log.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&request).to_string());
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                socket.write_all(response.as_bytes()).await.unwrap();
            }
        });
        let graph = GraphConfig::new(&format!("http://{addr}"), "v24.0", "EAAtoken").unwrap();
        let templates = MessageTemplates::new(graph, Duration::from_secs(5));
        let (content, variables) = cpr();
        let answer = templates
            .submit(
                "102290129340398",
                &template(&content, &variables, "twilio/call-to-action"),
            )
            .await
            .unwrap();
        assert_eq!(answer.status, "pending");
        assert_eq!(
            templates.status(&answer.id).await.unwrap().status,
            "approved"
        );
        let seen = seen.lock().unwrap().clone();
        assert!(
            seen[0].starts_with("POST /v24.0/102290129340398/message_templates HTTP/1.1\r\n"),
            "{}",
            seen[0]
        );
        assert!(
            seen[0]
                .to_ascii_lowercase()
                .contains("authorization: bearer eaatoken")
        );
        let body: Value = serde_json::from_str(seen[0].split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(
            body,
            template_body(&template(&content, &variables, "twilio/call-to-action")).unwrap()
        );
        assert!(seen[1].starts_with(
            "GET /v24.0/1689556908129832?fields=id,name,status,category,rejected_reason HTTP/1.1\r\n"
        ), "{}", seen[1]);
        assert!(matches!(
            templates
                .submit("../1", &template(&content, &variables, "x"))
                .await,
            Err(TemplateFailure::Refused(_))
        ));
    }
}
