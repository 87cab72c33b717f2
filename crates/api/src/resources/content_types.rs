//! What a Content resource may hold: its `language`, `variables` and the three content types
//! Dialtone supports (`twilio/text`, `twilio/quick-reply`, `twilio/call-to-action`), checked
//! with the limits Twilio documents, and normalized for storage.
//!
//! twilio-python sends every field of its models, `null` where not given (all fourteen type
//! keys, every action field), so `null` means absent and is dropped before storing: what is
//! fetched back is what the caller set. Every refusal is 400 with Twilio's 20001.

use serde_json::{Map, Value};

use crate::error::{ApiError, codes};

/// The content types Dialtone stores, richest first (the one submitted for approval).
pub(crate) const SUPPORTED: [&str; 3] =
    ["twilio/call-to-action", "twilio/quick-reply", "twilio/text"];

/// Content types Twilio has that Dialtone refuses as not supported.
const UNSUPPORTED: [&str; 11] = [
    "twilio/media",
    "twilio/location",
    "twilio/list-picker",
    "twilio/card",
    "twilio/catalog",
    "twilio/carousel",
    "twilio/flows",
    "twilio/schedule",
    "whatsapp/card",
    "whatsapp/authentication",
    "whatsapp/flows",
];

/// `VOICE_CALL_REQUEST`: the WhatsApp call permission request action.
pub(crate) const VOICE_CALL_REQUEST: &str = "VOICE_CALL_REQUEST";
const CTA_ACTIONS: [&str; 6] = [
    "URL",
    "PHONE_NUMBER",
    "COPY_CODE",
    "VOICE_CALL",
    VOICE_CALL_REQUEST,
    "REQUEST_CONTACT_INFO",
];
/// Longest friendly name kept.
const MAX_NAME: usize = 256;

pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::invalid(codes::INVALID_PARAMETER, message)
}

/// `value` without `null` members, recursively.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// A string member of `object`, if present and not `null`.
fn text<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    what: &str,
) -> Result<Option<&'a str>, ApiError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(format!("{what}.{name} must be a string"))),
    }
}

/// A required, non-empty string of at most `max` characters.
fn required(
    object: &Map<String, Value>,
    name: &str,
    what: &str,
    max: usize,
) -> Result<(), ApiError> {
    match text(object, name, what)? {
        None | Some("") => Err(invalid(format!("Missing required parameter {what}.{name}"))),
        Some(s) if s.chars().count() > max => Err(invalid(format!(
            "{what}.{name} is longer than {max} characters"
        ))),
        Some(_) => Ok(()),
    }
}

/// `friendly_name`: optional, at most 256 characters.
pub(crate) fn friendly_name(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match text(body, "friendly_name", "content")? {
        Some(s) if s.chars().count() > MAX_NAME => Err(invalid(format!(
            "friendly_name is longer than {MAX_NAME} characters"
        ))),
        other => Ok(other.map(str::to_owned)),
    }
}

/// `language`: required, an ISO 639-1 code optionally with a region (`en`, `pt_BR`, `en-US`).
pub(crate) fn language(body: &Map<String, Value>) -> Result<String, ApiError> {
    let Some(lang) = text(body, "language", "content")? else {
        return Err(invalid("Missing required parameter language"));
    };
    let (code, region) = match lang.split_once(['_', '-']) {
        Some((c, r)) => (c, Some(r)),
        None => (lang, None),
    };
    let code_ok = (2..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = region
        .is_none_or(|r| (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()));
    if code_ok && region_ok {
        Ok(lang.to_owned())
    } else {
        Err(invalid(format!(
            "Invalid language {lang:?}: expected an ISO 639-1 code such as en or pt_BR"
        )))
    }
}

/// `variables`: optional object of strings (default and sample values).
pub(crate) fn variables(body: &Map<String, Value>) -> Result<Value, ApiError> {
    let map = match body.get("variables") {
        None | Some(Value::Null) => return Ok(Value::Object(Map::new())),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(invalid("variables must be an object of strings")),
    };
    for (key, value) in map {
        if key.is_empty() || key.chars().count() > MAX_NAME {
            return Err(invalid(format!("Invalid variable name {key:?}")));
        }
        if !value.is_string() {
            return Err(invalid(format!("variables.{key} must be a string")));
        }
    }
    Ok(Value::Object(map.clone()))
}

/// `types`: required object with at least one supported type; returned without `null`s.
pub(crate) fn types(body: &Map<String, Value>) -> Result<Value, ApiError> {
    let map = match body.get("types") {
        None | Some(Value::Null) => return Err(invalid("Missing required parameter types")),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(invalid("types must be an object")),
    };
    let mut kept = Map::new();
    for (name, value) in map.iter().filter(|(_, v)| !v.is_null()) {
        let Value::Object(object) = value else {
            return Err(invalid(format!("types.{name} must be an object")));
        };
        match name.as_str() {
            "twilio/text" => check_text(object)?,
            "twilio/quick-reply" => check_quick_reply(object)?,
            "twilio/call-to-action" => check_call_to_action(object)?,
            n if UNSUPPORTED.contains(&n) => {
                return Err(invalid(format!(
                    "Content type {n} is not supported by Dialtone; supported: {}",
                    SUPPORTED.join(", ")
                )));
            }
            n => return Err(invalid(format!("Unknown content type {n:?}"))),
        }
        kept.insert(name.clone(), without_nulls(value));
    }
    if kept.is_empty() {
        return Err(invalid("types must hold at least one content type"));
    }
    Ok(Value::Object(kept))
}

fn check_text(object: &Map<String, Value>) -> Result<(), ApiError> {
    required(object, "body", "twilio/text", 1600)
}

/// The `actions` array of a type: objects, between 1 and `max`.
fn actions<'a>(
    object: &'a Map<String, Value>,
    what: &str,
    max: usize,
) -> Result<Vec<&'a Map<String, Value>>, ApiError> {
    let items = match object.get("actions") {
        None | Some(Value::Null) => {
            return Err(invalid(format!(
                "Missing required parameter {what}.actions"
            )));
        }
        Some(Value::Array(items)) => items,
        Some(_) => return Err(invalid(format!("{what}.actions must be an array"))),
    };
    if items.is_empty() || items.len() > max {
        return Err(invalid(format!(
            "{what}.actions must hold 1 to {max} actions"
        )));
    }
    items
        .iter()
        .map(|a| {
            a.as_object()
                .ok_or_else(|| invalid(format!("{what}.actions must hold objects")))
        })
        .collect()
}

fn check_quick_reply(object: &Map<String, Value>) -> Result<(), ApiError> {
    const WHAT: &str = "twilio/quick-reply";
    required(object, "body", WHAT, 1024)?;
    for action in actions(object, WHAT, 10)? {
        match text(action, "type", WHAT)? {
            None | Some("QUICK_REPLY") => {}
            Some(t) => {
                return Err(invalid(format!(
                    "Invalid {WHAT} action type {t:?}: expected QUICK_REPLY"
                )));
            }
        }
        required(action, "title", &format!("{WHAT}.actions"), 20)?;
        if let Some(id) = text(action, "id", WHAT)?
            && id.chars().count() > 200
        {
            return Err(invalid(format!(
                "{WHAT}.actions.id is longer than 200 characters"
            )));
        }
    }
    Ok(())
}

fn check_call_to_action(object: &Map<String, Value>) -> Result<(), ApiError> {
    const WHAT: &str = "twilio/call-to-action";
    const ACTION: &str = "twilio/call-to-action.actions";
    required(object, "body", WHAT, 640)?;
    let actions = actions(object, WHAT, 10)?;
    let mut kinds = Vec::new();
    for action in &actions {
        let kind = match text(action, "type", ACTION)? {
            None => return Err(invalid(format!("Missing required parameter {ACTION}.type"))),
            Some(t) if CTA_ACTIONS.contains(&t) => t,
            Some(t) => {
                return Err(invalid(format!(
                    "Invalid {WHAT} action type {t:?}: expected one of {}",
                    CTA_ACTIONS.join(", ")
                )));
            }
        };
        required(action, "title", ACTION, 25)?;
        match kind {
            "URL" => required(action, "url", ACTION, 2000)?,
            "PHONE_NUMBER" => {
                required(action, "phone", ACTION, 20)?;
                let phone = text(action, "phone", ACTION)?.unwrap_or_default();
                if dialtone_types::E164::parse(phone).is_err() {
                    return Err(invalid(format!(
                        "Invalid {ACTION}.phone {phone:?}: expected E.164"
                    )));
                }
            }
            "COPY_CODE" => required(action, "code", ACTION, 15)?,
            _ => {}
        }
        kinds.push(kind);
    }
    let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
    if count(VOICE_CALL_REQUEST) > 0 && kinds.len() > 1 {
        return Err(invalid(
            "A VOICE_CALL_REQUEST action must be the only action of its twilio/call-to-action",
        ));
    }
    if count("URL") > 2 {
        return Err(invalid(
            "twilio/call-to-action allows at most 2 URL actions",
        ));
    }
    if count("PHONE_NUMBER") + count("VOICE_CALL") > 1 {
        return Err(invalid(
            "twilio/call-to-action allows one PHONE_NUMBER or VOICE_CALL action, not both or two",
        ));
    }
    if count("COPY_CODE") > 1 {
        return Err(invalid(
            "twilio/call-to-action allows at most 1 COPY_CODE action",
        ));
    }
    Ok(())
}

/// The placeholders (`{{1}}`, `{{name}}`) of `text`, in order of first appearance.
pub(crate) fn placeholders(text: &str) -> Vec<String> {
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

/// The type a WhatsApp approval request submits: the richest supported one the content has.
pub(crate) fn approval_type(types: &Value) -> Option<&'static str> {
    SUPPORTED.into_iter().find(|t| types.get(*t).is_some())
}

/// Whether the content is a call permission request (a `VOICE_CALL_REQUEST` call-to-action).
pub(crate) fn is_call_permission_request(types: &Value) -> bool {
    types
        .pointer("/twilio~1call-to-action/actions/0/type")
        .and_then(Value::as_str)
        == Some(VOICE_CALL_REQUEST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        let Value::Object(map) = v else {
            panic!("not an object")
        };
        map
    }

    #[test]
    fn placeholders_in_order() {
        assert_eq!(
            placeholders("Hi {{1}}, order {{ 2 }} {{1}} {{x"),
            ["1", "2"]
        );
        assert!(placeholders("none").is_empty());
    }

    #[test]
    fn nulls_are_absent() {
        let t = types(&obj(
            json!({"types": {"twilio/media": null, "twilio/text": {"body": "hi"}}}),
        ))
        .unwrap();
        assert_eq!(t, json!({"twilio/text": {"body": "hi"}}));
        assert_eq!(approval_type(&t), Some("twilio/text"));
    }

    #[test]
    fn languages() {
        for ok in ["en", "pt_BR", "en-US", "fil"] {
            assert_eq!(language(&obj(json!({"language": ok}))).unwrap(), ok);
        }
        for bad in ["", "EN", "english", "en_", "e"] {
            assert!(language(&obj(json!({"language": bad}))).is_err(), "{bad}");
        }
    }
}
