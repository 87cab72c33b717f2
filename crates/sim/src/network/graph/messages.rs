//! `POST /{phone_number_id}/messages` (reference `whatsapp-consent.md` §3.1, §3.2): `text`,
//! `interactive` of type `call_permission_request`, and `template` (an approved template of
//! the business number's WABA; with a `call_permission_request` component it is a request).
//!
//! Synchronous refusals: the token (190), the phone number id (100/33), the body (100; other
//! message types and interactive types are not simulated and say so), an unknown or
//! unapproved template (132001), a parameter count that does not match (132000), a request
//! while a permanent permission exists (138017) or over the pair's limits (138009). What Meta
//! accepts and then fails comes back as a `failed` status webhook: outside the service window
//! (131047), a number that is not a WhatsApp user (131026).

use dialtone_types::{E164, UnixMillis};
use dialtone_whatsapp::error::GraphError;
use dialtone_whatsapp::graph::MESSAGING_PRODUCT;
use serde_json::{Map, Value, json};

use super::{GraphReply, GraphRequest, GraphResult, invalid, user_number, whatsapp_object};
use crate::network::call::SimSender;
use crate::network::config::TemplateStatus;
use crate::network::messages::MessageContent;
use crate::network::network::Network;

/// Longest `text.body` Meta accepts.
const MAX_TEXT: usize = 4096;
/// Longest `interactive.body.text` of a call permission request.
const MAX_REQUEST_BODY: usize = 1024;

/// What the body asks to send.
enum Outgoing {
    Text(String),
    Request(Option<String>),
    Template {
        name: String,
        language: String,
        params: Vec<(Option<String>, String)>,
    },
}

fn undeliverable() -> GraphError {
    GraphError::new(
        131_026,
        "Message undeliverable",
        Some(
            "Unable to deliver message. Reasons can include: the recipient phone number is not a \
             WhatsApp phone number.",
        ),
    )
}

fn outside_window() -> GraphError {
    GraphError::new(
        131_047,
        "Re-engagement message",
        Some(
            "Message failed to send because more than 24 hours have passed since the customer \
             last replied to this number.",
        ),
    )
}

fn no_template(name: &str, language: &str) -> GraphError {
    GraphError::new(
        132_001,
        "(#132001) Template name does not exist in the translation",
        Some(&format!(
            "template name ({name}) does not exist in {language}"
        )),
    )
}

fn str_field<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

fn object_field<'a>(
    object: &'a Map<String, Value>,
    key: &str,
) -> GraphResult<&'a Map<String, Value>> {
    object
        .get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| invalid(&format!("{key} is required and must be an object")))
}

impl Network {
    /// `POST /{phone_number_id}/messages` with `body`.
    pub fn handle_messages(
        &mut self,
        now: UnixMillis,
        request: &GraphRequest<'_>,
        body: &[u8],
    ) -> GraphReply {
        let result = self.authorize(request, "post").and_then(|sender| {
            let sender = sender.clone();
            let object = whatsapp_object(body)?;
            let to = str_field(&object, "to")
                .filter(|t| !t.is_empty())
                .ok_or_else(|| invalid("to is required"))?
                .to_owned();
            if let Some(kind) = object.get("recipient_type")
                && kind.as_str() != Some("individual")
            {
                return Err(invalid("recipient_type must be individual"));
            }
            let user = user_number(&to)
                .ok_or_else(|| invalid(&format!("to is not a phone number: {to}")))?;
            let outgoing = parse_outgoing(&object)?;
            let (id, template) = self.send(now, &sender, &user, outgoing)?;
            let mut message = json!({"id": id});
            if template {
                message["message_status"] = json!("accepted");
            }
            Ok(GraphReply::ok(&json!({
                "messaging_product": MESSAGING_PRODUCT,
                "contacts": [{"input": to, "wa_id": crate::network::network::wa_id(&user)}],
                "messages": [message],
            })))
        });
        self.reply(result)
    }

    /// Applies Meta's rules; the new message's id, and whether it is a template.
    fn send(
        &mut self,
        now: UnixMillis,
        sender: &SimSender,
        user: &E164,
        outgoing: Outgoing,
    ) -> GraphResult<(String, bool)> {
        let known = self.user_ref(sender.account, user).is_some();
        let window = self.window_open(now, sender, user);
        let free_form_failure = if !known {
            Some(undeliverable())
        } else if !window {
            Some(outside_window())
        } else {
            None
        };
        let (content, failure, template) = match outgoing {
            Outgoing::Text(body) => (MessageContent::Text { body }, free_form_failure, false),
            Outgoing::Request(body) => {
                self.check_request(now, sender, user)?;
                let content = MessageContent::PermissionRequest {
                    body,
                    template: None,
                };
                (content, free_form_failure, false)
            }
            Outgoing::Template {
                name,
                language,
                params,
            } => {
                let waba = sender
                    .waba_id
                    .clone()
                    .unwrap_or_else(|| sender.phone_number_id.clone());
                let template = self
                    .template(&waba, &name, &language)
                    .filter(|t| t.status == TemplateStatus::Approved)
                    .cloned()
                    .ok_or_else(|| no_template(&name, &language))?;
                let values = ordered_params(&template.params, params)?;
                let body = template.filled_body(&values);
                let content = if template.permission_request {
                    self.check_request(now, sender, user)?;
                    MessageContent::PermissionRequest {
                        body,
                        template: Some(name),
                    }
                } else {
                    MessageContent::Template { name, body }
                };
                (content, (!known).then(undeliverable), true)
            }
        };
        let id = self.accept_message(now, sender, user, content, failure);
        Ok((id, template))
    }
}

/// The body parameters in the template's placeholder order (named parameters by name,
/// positional ones in order); 132000 when their number does not match.
fn ordered_params(
    expected: &[String],
    given: Vec<(Option<String>, String)>,
) -> GraphResult<Vec<String>> {
    let mismatch = || {
        GraphError::new(
            132_000,
            "(#132000) Number of parameters does not match the expected number of params",
            Some(&format!(
                "body: number of localizable_params ({}) does not match the expected number of \
                 params ({})",
                given.len(),
                expected.len()
            )),
        )
    };
    if given.len() != expected.len() {
        return Err(mismatch());
    }
    if given.iter().all(|(name, _)| name.is_some()) && !given.is_empty() {
        return expected
            .iter()
            .map(|want| {
                given
                    .iter()
                    .find(|(name, _)| name.as_deref() == Some(want.as_str()))
                    .map(|(_, value)| value.clone())
                    .ok_or_else(mismatch)
            })
            .collect();
    }
    Ok(given.into_iter().map(|(_, value)| value).collect())
}

fn parse_outgoing(object: &Map<String, Value>) -> GraphResult<Outgoing> {
    match str_field(object, "type").unwrap_or("text") {
        "text" => {
            let text = object_field(object, "text")?;
            let body = str_field(text, "body")
                .filter(|b| !b.is_empty())
                .ok_or_else(|| invalid("text.body is required"))?;
            if body.chars().count() > MAX_TEXT {
                return Err(invalid(&format!(
                    "text.body must be at most {MAX_TEXT} characters"
                )));
            }
            Ok(Outgoing::Text(body.to_owned()))
        }
        "interactive" => parse_request(object_field(object, "interactive")?),
        "template" => parse_template(object_field(object, "template")?),
        other => Err(invalid(&format!(
            "message type {other} is not supported by the simulator (text, interactive \
             call_permission_request and template are)"
        ))),
    }
}

fn parse_request(interactive: &Map<String, Value>) -> GraphResult<Outgoing> {
    match str_field(interactive, "type") {
        Some("call_permission_request") => {}
        Some(other) => {
            return Err(invalid(&format!(
                "interactive type {other} is not supported by the simulator \
                 (call_permission_request is)"
            )));
        }
        None => return Err(invalid("interactive.type is required")),
    }
    let action = object_field(interactive, "action")?;
    if str_field(action, "name") != Some("call_permission_request") {
        return Err(invalid(
            "interactive.action.name must be call_permission_request",
        ));
    }
    for part in ["header", "footer"] {
        if interactive.contains_key(part) {
            return Err(invalid(&format!(
                "a call permission request cannot have a {part}"
            )));
        }
    }
    let body = match interactive.get("body") {
        None => None,
        Some(body) => Some(
            body.get("text")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("interactive.body.text must be a string"))?
                .to_owned(),
        ),
    };
    if body
        .as_ref()
        .is_some_and(|b| b.chars().count() > MAX_REQUEST_BODY)
    {
        return Err(invalid(&format!(
            "interactive.body.text must be at most {MAX_REQUEST_BODY} characters"
        )));
    }
    Ok(Outgoing::Request(body))
}

fn parse_template(template: &Map<String, Value>) -> GraphResult<Outgoing> {
    let name = str_field(template, "name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid("template.name is required"))?;
    let language = template
        .get("language")
        .and_then(|l| l.get("code"))
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("template.language.code is required"))?;
    let mut params = Vec::new();
    for component in template
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let kind = component.get("type").and_then(Value::as_str).unwrap_or("");
        if !kind.eq_ignore_ascii_case("body") {
            continue;
        }
        for parameter in component
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = parameter
                .get("text")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid("body parameters must be of type text with a text"))?;
            let name = parameter
                .get("parameter_name")
                .and_then(Value::as_str)
                .map(str::to_owned);
            params.push((name, text.to_owned()));
        }
    }
    Ok(Outgoing::Template {
        name: name.to_owned(),
        language: language.to_owned(),
        params,
    })
}
