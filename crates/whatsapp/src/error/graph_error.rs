//! Meta's error body, parsed by hand from a JSON value so that a field of an unexpected type
//! loses only that field, never the whole error.

use serde_json::Value;

/// `error` of a Graph error body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphError {
    /// `message`.
    pub message: String,
    /// `type`, e.g. `OAuthException`.
    pub kind: String,
    /// `code`, e.g. `138006` (a numeric string is accepted too).
    pub code: Option<u32>,
    /// `error_subcode`, when present.
    pub subcode: Option<u32>,
    /// `error_data`, kept as sent (SDP validation details live here).
    pub data: Option<Value>,
    /// `fbtrace_id`, for Meta support.
    pub fbtrace_id: Option<String>,
}

impl GraphError {
    /// Parses a Graph error body; `None` when `body` is not JSON with an `error` object.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let root: Value = serde_json::from_slice(body).ok()?;
        Self::from_value(root.get("error")?)
    }

    /// Reads an `error` object (also used for the `errors[]` entries of webhooks).
    pub fn from_value(error: &Value) -> Option<Self> {
        let object = error.as_object()?;
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            message: text("message")
                .or_else(|| text("title"))
                .unwrap_or_default(),
            kind: text("type").unwrap_or_default(),
            code: object.get("code").and_then(as_u32),
            subcode: object.get("error_subcode").and_then(as_u32),
            data: object.get("error_data").cloned(),
            fbtrace_id: text("fbtrace_id"),
        })
    }

    /// `error_data.details`, Meta's explanation (e.g. what is wrong with an SDP).
    pub fn details(&self) -> Option<&str> {
        self.data.as_ref()?.get("details")?.as_str()
    }

    /// An error as Meta writes it for the calling API (`type` `OAuthException`,
    /// `error_data.details` when given); for the simulator.
    pub fn new(code: u32, message: &str, details: Option<&str>) -> Self {
        Self {
            message: message.to_owned(),
            kind: "OAuthException".to_owned(),
            code: Some(code),
            subcode: None,
            data: details.map(
                |details| serde_json::json!({"messaging_product": "whatsapp", "details": details}),
            ),
            fbtrace_id: None,
        }
    }

    /// This error as a JSON object (the value of `error`, or an `errors[]` entry).
    pub fn to_json(&self) -> Value {
        let mut object = serde_json::Map::new();
        object.insert("message".into(), self.message.clone().into());
        if !self.kind.is_empty() {
            object.insert("type".into(), self.kind.clone().into());
        }
        if let Some(code) = self.code {
            object.insert("code".into(), code.into());
        }
        if let Some(subcode) = self.subcode {
            object.insert("error_subcode".into(), subcode.into());
        }
        if let Some(data) = &self.data {
            object.insert("error_data".into(), data.clone());
        }
        if let Some(trace) = &self.fbtrace_id {
            object.insert("fbtrace_id".into(), trace.clone().into());
        }
        Value::Object(object)
    }

    /// The whole error body, `{"error":{…}}`.
    pub fn to_body(&self) -> Vec<u8> {
        let body = serde_json::json!({ "error": self.to_json() });
        // A JSON value built here always serializes.
        serde_json::to_vec(&body).unwrap_or_default()
    }
}

/// A JSON number or numeric string as `u32`.
pub(crate) fn as_u32(value: &Value) -> Option<u32> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_error_body() {
        let body = br#"{"error":{"message":"(#138006) No approved call permission","type":"OAuthException",
            "code":138006,"error_data":{"messaging_product":"whatsapp","details":"No approved call permission from the recipient"},
            "fbtrace_id":"AbCdEf"}}"#;
        let error = GraphError::parse(body).expect("error body");
        assert_eq!(error.message, "(#138006) No approved call permission");
        assert_eq!(error.kind, "OAuthException");
        assert_eq!(error.code, Some(138_006));
        assert_eq!(error.subcode, None);
        assert_eq!(
            error.details(),
            Some("No approved call permission from the recipient")
        );
        assert_eq!(error.fbtrace_id.as_deref(), Some("AbCdEf"));
    }

    #[test]
    fn tolerates_odd_types_and_missing_fields() {
        let error =
            GraphError::parse(br#"{"error":{"code":"100","message":7,"error_subcode":2494010}}"#)
                .expect("error object");
        assert_eq!(error.code, Some(100));
        assert_eq!(error.message, "");
        assert_eq!(error.subcode, Some(2_494_010));
        assert_eq!(error.details(), None);
        assert_eq!(GraphError::parse(br#"{"error":"text"}"#), None);
        assert_eq!(GraphError::parse(b"<html>502</html>"), None);
        assert_eq!(GraphError::parse(br#"{"success":true}"#), None);
        let negative = GraphError::parse(br#"{"error":{"code":-1}}"#).expect("object");
        assert_eq!(negative.code, None);
    }

    #[test]
    fn simulator_bodies_round_trip() {
        let error = GraphError::new(100, "Invalid parameter", Some("SDP has no fingerprint"));
        assert_eq!(
            serde_json::from_slice::<Value>(&error.to_body()).expect("json"),
            serde_json::json!({"error": {"message": "Invalid parameter", "type": "OAuthException",
                "code": 100, "error_data": {"messaging_product": "whatsapp",
                "details": "SDP has no fingerprint"}}})
        );
        assert_eq!(GraphError::parse(&error.to_body()), Some(error));
        let plain = GraphError::new(138_006, "No approved call permission", None);
        assert_eq!(GraphError::parse(&plain.to_body()), Some(plain));
    }
}
