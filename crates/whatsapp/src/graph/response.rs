//! Success bodies of the Graph calling endpoints. Unknown fields are ignored: Meta adds fields
//! over time and an older connector must keep working.

use serde::{Deserialize, Serialize};

/// `{"messaging_product":"whatsapp","calls":[{"id":"wacid.…"}]}`, the answer to `connect`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectResponse {
    /// `whatsapp` (absent in some samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
    /// The call created; Meta sends exactly one.
    pub calls: Vec<CallRef>,
}

impl ConnectResponse {
    /// The id of the created call, if Meta sent one.
    pub fn call_id(&self) -> Option<&str> {
        self.calls
            .first()
            .map(|call| call.id.as_str())
            .filter(|id| !id.is_empty())
    }
}

/// One entry of `calls`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRef {
    /// Meta's call id, `wacid.…`.
    pub id: String,
}

/// `{"messaging_product":"whatsapp","success":true}`, the answer to the other actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccessResponse {
    /// `whatsapp` (absent from the `accept`/`reject`/`terminate` samples).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
    /// Whether Meta applied the action.
    pub success: bool,
}

/// The answer to `GET /{phone-number-id}/call_permissions?user_wa_id=…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPermissionsResponse {
    /// `whatsapp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messaging_product: Option<String>,
    /// The user's permission towards this business number.
    pub permission: Permission,
    /// What the business may do next, with the limits that apply.
    #[serde(default)]
    pub actions: Vec<PermissionAction>,
}

impl CallPermissionsResponse {
    /// The `action_name` entry, if Meta listed it.
    pub fn action(&self, name: &str) -> Option<&PermissionAction> {
        self.actions
            .iter()
            .find(|action| action.action_name == name)
    }
}

/// `permission`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// `no_permission`, `temporary` or `permanent`.
    pub status: PermissionStatus,
    /// Unix seconds when a temporary permission ends (the name in Meta's sample).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<u64>,
    /// The same, under the name Meta's field table uses; accepted too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<u64>,
}

impl Permission {
    /// When a temporary permission ends, in Unix seconds, whichever field carried it.
    pub fn expires_at_secs(&self) -> Option<u64> {
        self.expiration_time.or(self.expiration)
    }
}

/// `permission.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionStatus {
    /// No permission, or a number that cannot be called (Meta does not tell them apart).
    NoPermission,
    /// Granted until `expiration_time` (7 days from approval).
    Temporary,
    /// Granted without expiry.
    Permanent,
    /// A value this version does not know; treated as "ask Meta again".
    #[serde(other)]
    Unknown,
}

/// One entry of `actions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionAction {
    /// `send_call_permission_request` or `start_call`.
    pub action_name: String,
    /// Whether the limits currently allow it.
    pub can_perform_action: bool,
    /// The limits counted for it.
    #[serde(default)]
    pub limits: Vec<ActionLimit>,
}

/// One limit of an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionLimit {
    /// ISO 8601 duration, e.g. `PT24H` or `P7D`.
    pub time_period: String,
    /// How many are allowed in the period.
    pub max_allowed: u64,
    /// How many were used.
    pub current_usage: u64,
    /// Unix seconds when an exhausted limit frees up (only present when exhausted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_expiration_time: Option<u64>,
}

/// `action_name` of the call-placing action.
pub const ACTION_START_CALL: &str = "start_call";
/// `action_name` of the permission-request action.
pub const ACTION_SEND_PERMISSION_REQUEST: &str = "send_call_permission_request";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_response_yields_the_call_id() {
        let body =
            br#"{"messaging_product":"whatsapp","calls":[{"id":"wacid.HBgLMTIzNDU2Nzg5MA"}]}"#;
        let response: ConnectResponse = serde_json::from_slice(body).expect("valid");
        assert_eq!(response.call_id(), Some("wacid.HBgLMTIzNDU2Nzg5MA"));
        let empty: ConnectResponse = serde_json::from_slice(br#"{"calls":[]}"#).expect("valid");
        assert_eq!(empty.call_id(), None);
    }

    #[test]
    fn success_response_with_and_without_product() {
        let with: SuccessResponse =
            serde_json::from_slice(br#"{"messaging_product":"whatsapp","success":true}"#)
                .expect("valid");
        assert_eq!(with.messaging_product.as_deref(), Some("whatsapp"));
        assert!(with.success);
        let without: SuccessResponse =
            serde_json::from_slice(br#"{"success":false,"new":1}"#).expect("valid");
        assert!(!without.success);
    }

    #[test]
    fn permissions_sample_parses_with_limits() {
        let body = br#"{"messaging_product":"whatsapp",
            "permission":{"status":"temporary","expiration_time":1745343479},
            "actions":[{"action_name":"send_call_permission_request","can_perform_action":true,
                        "limits":[{"time_period":"PT24H","max_allowed":1,"current_usage":0},
                                  {"time_period":"P7D","max_allowed":2,"current_usage":1}]},
                       {"action_name":"start_call","can_perform_action":false,
                        "limits":[{"time_period":"PT24H","max_allowed":5,"current_usage":5,
                                   "limit_expiration_time":1745622600}]}]}"#;
        let response: CallPermissionsResponse = serde_json::from_slice(body).expect("valid");
        assert_eq!(response.permission.status, PermissionStatus::Temporary);
        assert_eq!(response.permission.expires_at_secs(), Some(1_745_343_479));
        let start = response.action(ACTION_START_CALL).expect("listed");
        assert!(!start.can_perform_action);
        assert_eq!(
            start.limits,
            vec![ActionLimit {
                time_period: "PT24H".to_owned(),
                max_allowed: 5,
                current_usage: 5,
                limit_expiration_time: Some(1_745_622_600),
            }]
        );
        let request = response
            .action(ACTION_SEND_PERMISSION_REQUEST)
            .expect("listed");
        assert_eq!(request.limits.len(), 2);
        assert_eq!(request.limits[1].time_period, "P7D");
    }

    #[test]
    fn permission_expiry_accepts_both_names_and_unknown_status() {
        let table_name: Permission =
            serde_json::from_slice(br#"{"status":"temporary","expiration":17}"#).expect("valid");
        assert_eq!(table_name.expires_at_secs(), Some(17));
        let unknown: Permission =
            serde_json::from_slice(br#"{"status":"pending_review"}"#).expect("valid");
        assert_eq!(unknown.status, PermissionStatus::Unknown);
        let none: CallPermissionsResponse =
            serde_json::from_slice(br#"{"permission":{"status":"no_permission"}}"#).expect("valid");
        assert_eq!(none.permission.status, PermissionStatus::NoPermission);
        assert!(none.actions.is_empty());
    }
}
