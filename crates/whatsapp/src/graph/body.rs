//! The JSON bodies of `POST /{version}/{phone-number-id}/calls`, field for field as Meta defines
//! them. They serialize to what Meta expects and deserialize what a Graph client sends, so the
//! simulator can parse exactly what the connector writes.

use serde::{Deserialize, Serialize};

/// The only `messaging_product` Meta accepts on calling requests.
pub const MESSAGING_PRODUCT: &str = "whatsapp";

/// Longest `biz_opaque_callback_data` Meta accepts, in characters.
pub const MAX_OPAQUE_DATA_CHARS: usize = 512;

/// `session.sdp_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpType {
    /// An SDP offer (business-initiated `connect`; Meta's offer in a user-initiated `connect`).
    Offer,
    /// An SDP answer (`pre_accept`/`accept`; Meta's answer in a business-initiated `connect`).
    Answer,
}

/// `session`: an SDP string put directly in the JSON (not JSON-in-a-string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Offer or answer.
    pub sdp_type: SdpType,
    /// RFC 8866 text with CRLF line ends.
    pub sdp: String,
}

/// One action of the calls endpoint; the JSON `action` field is the tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CallAction {
    /// Start a business-initiated call with an SDP offer.
    Connect {
        /// The user's number: country code and digits, no `+`.
        to: String,
        /// `sdp_type` `offer`.
        session: Session,
        /// Echoed back in status and terminate webhooks (at most 512 characters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        biz_opaque_callback_data: Option<String>,
    },
    /// Send the SDP answer to a user-initiated call before accepting it (ICE/DTLS start early).
    PreAccept {
        /// Meta's call id (`wacid.…`).
        call_id: String,
        /// `sdp_type` `answer`.
        session: Session,
    },
    /// Accept a user-initiated call; the SDP must equal the one sent with `pre_accept`.
    Accept {
        /// Meta's call id.
        call_id: String,
        /// `sdp_type` `answer`.
        session: Session,
        /// Echoed back in the terminate webhook (at most 512 characters).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        biz_opaque_callback_data: Option<String>,
    },
    /// Decline a user-initiated call.
    Reject {
        /// Meta's call id.
        call_id: String,
    },
    /// End a call, whichever side started it (also required after an RTCP BYE, for billing).
    Terminate {
        /// Meta's call id.
        call_id: String,
    },
}

impl CallAction {
    /// The `action` value: `connect`, `pre_accept`, `accept`, `reject` or `terminate`.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Connect { .. } => "connect",
            Self::PreAccept { .. } => "pre_accept",
            Self::Accept { .. } => "accept",
            Self::Reject { .. } => "reject",
            Self::Terminate { .. } => "terminate",
        }
    }

    /// Meta's call id the action is about (`None` for `connect`, which creates one).
    pub fn call_id(&self) -> Option<&str> {
        match self {
            Self::Connect { .. } => None,
            Self::PreAccept { call_id, .. }
            | Self::Accept { call_id, .. }
            | Self::Reject { call_id }
            | Self::Terminate { call_id } => Some(call_id),
        }
    }
}

/// A whole calls-endpoint body: `messaging_product` plus the action's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRequest {
    /// Always `whatsapp`.
    pub messaging_product: String,
    /// The action and its fields.
    #[serde(flatten)]
    pub action: CallAction,
}

impl CallRequest {
    /// A body for `action` with `messaging_product` `whatsapp`.
    pub fn new(action: CallAction) -> Self {
        Self {
            messaging_product: MESSAGING_PRODUCT.to_owned(),
            action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn to_value(action: CallAction) -> Value {
        serde_json::to_value(CallRequest::new(action)).expect("serializable")
    }

    #[test]
    fn connect_serializes_as_meta_documents_it() {
        let value = to_value(CallAction::Connect {
            to: "14085551234".to_owned(),
            session: Session {
                sdp_type: SdpType::Offer,
                sdp: "v=0\r\n".to_owned(),
            },
            biz_opaque_callback_data: Some("CA42".to_owned()),
        });
        assert_eq!(
            value,
            json!({
                "messaging_product": "whatsapp",
                "action": "connect",
                "to": "14085551234",
                "session": {"sdp_type": "offer", "sdp": "v=0\r\n"},
                "biz_opaque_callback_data": "CA42"
            })
        );
    }

    #[test]
    fn optional_opaque_data_is_left_out() {
        let value = to_value(CallAction::Connect {
            to: "1".to_owned(),
            session: Session {
                sdp_type: SdpType::Offer,
                sdp: String::new(),
            },
            biz_opaque_callback_data: None,
        });
        assert_eq!(value.get("biz_opaque_callback_data"), None);
    }

    #[test]
    fn call_id_actions_serialize_exactly() {
        let answer = Session {
            sdp_type: SdpType::Answer,
            sdp: "v=0\r\n".to_owned(),
        };
        assert_eq!(
            to_value(CallAction::PreAccept {
                call_id: "wacid.A".to_owned(),
                session: answer.clone(),
            }),
            json!({"messaging_product": "whatsapp", "action": "pre_accept", "call_id": "wacid.A",
                   "session": {"sdp_type": "answer", "sdp": "v=0\r\n"}})
        );
        assert_eq!(
            to_value(CallAction::Accept {
                call_id: "wacid.A".to_owned(),
                session: answer,
                biz_opaque_callback_data: None,
            }),
            json!({"messaging_product": "whatsapp", "action": "accept", "call_id": "wacid.A",
                   "session": {"sdp_type": "answer", "sdp": "v=0\r\n"}})
        );
        assert_eq!(
            to_value(CallAction::Reject {
                call_id: "wacid.B".to_owned()
            }),
            json!({"messaging_product": "whatsapp", "action": "reject", "call_id": "wacid.B"})
        );
        assert_eq!(
            to_value(CallAction::Terminate {
                call_id: "wacid.C".to_owned()
            }),
            json!({"messaging_product": "whatsapp", "action": "terminate", "call_id": "wacid.C"})
        );
    }

    #[test]
    fn bodies_parse_back_for_the_simulator() {
        let body = br#"{"messaging_product":"whatsapp","call_id":"wacid.X","action":"terminate","extra":1}"#;
        let request: CallRequest = serde_json::from_slice(body).expect("valid");
        assert_eq!(request.messaging_product, "whatsapp");
        assert_eq!(
            request.action,
            CallAction::Terminate {
                call_id: "wacid.X".to_owned()
            }
        );
        assert_eq!(request.action.name(), "terminate");
        assert_eq!(request.action.call_id(), Some("wacid.X"));
        let unknown = br#"{"messaging_product":"whatsapp","action":"transfer","call_id":"x"}"#;
        assert!(serde_json::from_slice::<CallRequest>(unknown).is_err());
    }
}
