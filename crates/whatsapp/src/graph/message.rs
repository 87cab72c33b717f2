//! `POST /{phone-number-id}/messages` as data (reference `whatsapp-consent.md` §3.1, §3.2):
//! a text, a free-form call permission request (`interactive` of type
//! `call_permission_request`, no body: Twilio discards a content's body and title for it), or
//! a template with body parameters; and Meta's answer, whose `messages[0].id` is the `wamid`
//! status webhooks and replies refer to.

use dialtone_types::E164;
use serde::Deserialize;
use serde_json::{Value, json};

use super::body::MESSAGING_PRODUCT;
use super::decode::decode;
use super::request::{GraphRequests, HttpMethod, HttpRequest, digits};
use crate::error::GraphFailure;

/// What a message carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutgoingMessage {
    /// `type: text`.
    Text(String),
    /// Free-form `interactive.call_permission_request` (inside the service window).
    PermissionRequest,
    /// `type: template`: an approved template, its body parameters in order (named ones with
    /// their `parameter_name`).
    Template {
        /// The template's name.
        name: String,
        /// Its language code.
        language: String,
        /// Body parameters: `(parameter_name, text)`.
        params: Vec<(Option<String>, String)>,
    },
}

impl OutgoingMessage {
    /// The JSON body for recipient `to`.
    pub fn body(&self, to: &E164) -> Value {
        let mut body = json!({
            "messaging_product": MESSAGING_PRODUCT,
            "recipient_type": "individual",
            "to": digits(to),
        });
        match self {
            Self::Text(text) => {
                body["type"] = json!("text");
                body["text"] = json!({"body": text});
            }
            Self::PermissionRequest => {
                body["type"] = json!("interactive");
                body["interactive"] = json!({
                    "type": "call_permission_request",
                    "action": {"name": "call_permission_request"},
                });
            }
            Self::Template {
                name,
                language,
                params,
            } => {
                let parameters: Vec<Value> = params
                    .iter()
                    .map(|(name, text)| match name {
                        Some(n) => json!({"type": "text", "parameter_name": n, "text": text}),
                        None => json!({"type": "text", "text": text}),
                    })
                    .collect();
                let mut template = json!({"name": name, "language": {"code": language}});
                if !parameters.is_empty() {
                    template["components"] = json!([{"type": "body", "parameters": parameters}]);
                }
                body["type"] = json!("template");
                body["template"] = template;
            }
        }
        body
    }
}

impl GraphRequests {
    /// `POST /{phone-number-id}/messages` sending `message` to `to`.
    pub fn message(&self, to: &E164, message: &OutgoingMessage) -> HttpRequest {
        let path = format!(
            "/{}/{}/messages",
            self.config().version(),
            self.phone_number_id()
        );
        let body = message.body(to).to_string().into_bytes();
        self.config().request(HttpMethod::Post, path, Some(body))
    }
}

#[derive(Debug, Deserialize)]
struct MessagesAnswer {
    #[serde(default)]
    messages: Vec<MessageRef>,
}

#[derive(Debug, Deserialize)]
struct MessageRef {
    id: String,
}

/// Meta's answer to a message send: the new message's `wamid`.
pub fn decode_message(status: u16, body: &[u8]) -> Result<String, GraphFailure> {
    let answer: MessagesAnswer = decode(status, body)?;
    answer
        .messages
        .into_iter()
        .next()
        .map(|m| m.id)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| GraphFailure::UnexpectedBody {
            status,
            reason: "no message id in messages[]".to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::GraphConfig;

    fn user() -> E164 {
        E164::parse("+14085551234").unwrap()
    }

    #[test]
    fn bodies() {
        assert_eq!(
            OutgoingMessage::PermissionRequest.body(&user()),
            json!({"messaging_product": "whatsapp", "recipient_type": "individual",
                   "to": "14085551234", "type": "interactive",
                   "interactive": {"type": "call_permission_request",
                                   "action": {"name": "call_permission_request"}}})
        );
        assert_eq!(
            OutgoingMessage::Text("hi".into()).body(&user())["text"],
            json!({"body": "hi"})
        );
        let template = OutgoingMessage::Template {
            name: "cpr".into(),
            language: "en".into(),
            params: vec![(None, "ON-1".into()), (Some("name".into()), "Ana".into())],
        };
        assert_eq!(
            template.body(&user())["template"],
            json!({"name": "cpr", "language": {"code": "en"}, "components": [
                {"type": "body", "parameters": [
                    {"type": "text", "text": "ON-1"},
                    {"type": "text", "parameter_name": "name", "text": "Ana"}]}]})
        );
        let bare = OutgoingMessage::Template {
            name: "cpr".into(),
            language: "en".into(),
            params: vec![],
        };
        assert!(bare.body(&user())["template"].get("components").is_none());
    }

    #[test]
    fn request_and_answers() {
        let config = GraphConfig::new("https://graph.test", "v24.0", "tok").unwrap();
        let requests = GraphRequests::new(config, "1065").unwrap();
        let request = requests.message(&user(), &OutgoingMessage::PermissionRequest);
        assert_eq!(request.url, "https://graph.test/v24.0/1065/messages");
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(
            decode_message(
                200,
                br#"{"messaging_product":"whatsapp","messages":[{"id":"wamid.X"}]}"#
            ),
            Ok("wamid.X".to_owned())
        );
        assert!(matches!(
            decode_message(200, br#"{"messages":[]}"#),
            Err(GraphFailure::UnexpectedBody { .. })
        ));
        let refused = br#"{"error":{"message":"limit","type":"OAuthException","code":138009,"fbtrace_id":"x"}}"#;
        match decode_message(400, refused) {
            Err(GraphFailure::Graph { status: 400, error }) => {
                assert_eq!(error.code, Some(138_009));
            }
            other => panic!("{other:?}"),
        }
    }
}
