//! Meta's Graph endpoints as the simulator answers them, with Meta's error bodies and HTTP
//! statuses, one file per resource: [`calls`] (`POST /{phone_number_id}/calls`),
//! [`permissions`] (`GET /{phone_number_id}/call_permissions`), [`messages`]
//! (`POST /{phone_number_id}/messages`) and [`templates`] (`/{waba_id}/message_templates`).
//!
//! Every request is checked for the token first (190), then the object id (100, subcode 33),
//! then its body (100), then Meta's rules.

mod calls;
mod messages;
mod permissions;
mod templates;

use dialtone_types::E164;
use dialtone_whatsapp::error::{GraphError, http_status};
use dialtone_whatsapp::graph::MESSAGING_PRODUCT;
use serde::Serialize;
use serde_json::{Map, Value};

use super::call::SimSender;
use super::network::Network;

/// An HTTP answer of the Graph endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphReply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
}

impl GraphReply {
    pub(crate) fn ok<T: Serialize>(body: &T) -> Self {
        Self {
            status: 200,
            // The response types always serialize.
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }
}

/// A Graph request as the shell received it, with the phone number id resolved to a sender
/// (`None`: Meta knows no such number).
#[derive(Debug, Clone, Copy)]
pub struct GraphRequest<'a> {
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The `{phone_number_id}` of the path.
    pub phone_number_id: &'a str,
    /// The business number it names.
    pub sender: Option<&'a SimSender>,
}

pub(crate) type GraphResult<T> = Result<T, GraphError>;

pub(crate) fn invalid(details: &str) -> GraphError {
    GraphError::new(100, "(#100) Invalid parameter", Some(details))
}

pub(crate) fn unknown_object(method: &str, id: &str) -> GraphError {
    let mut error = GraphError::new(
        100,
        &format!(
            "Unsupported {method} request. Object with ID '{id}' does not exist, cannot be loaded \
             due to missing permissions, or does not support this operation. Please read the Graph \
             API documentation at https://developers.facebook.com/docs/graph-api"
        ),
        None,
    );
    "GraphMethodException".clone_into(&mut error.kind);
    error.subcode = Some(33);
    error
}

impl Network {
    pub(crate) fn reply(&mut self, result: GraphResult<GraphReply>) -> GraphReply {
        result.unwrap_or_else(|mut error| {
            error.fbtrace_id = Some(self.new_trace_id());
            GraphReply {
                status: error.code.map_or(400, http_status),
                body: error.to_body(),
            }
        })
    }

    /// Checks the token only (endpoints on a WABA or a template id).
    pub(crate) fn authorize_token(&self, authorization: Option<&str>) -> GraphResult<()> {
        let token = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim);
        if token != Some(self.config.access_token.as_str()) || token.is_some_and(str::is_empty) {
            return Err(GraphError::new(
                190,
                "Invalid OAuth access token - Cannot parse access token",
                None,
            ));
        }
        Ok(())
    }

    pub(crate) fn authorize<'a>(
        &self,
        request: &GraphRequest<'a>,
        method: &str,
    ) -> GraphResult<&'a SimSender> {
        self.authorize_token(request.authorization)?;
        request
            .sender
            .ok_or_else(|| unknown_object(method, request.phone_number_id))
    }
}

/// A WhatsApp id (digits, `+` tolerated) as an E.164 number.
pub(crate) fn user_number(wa_id: &str) -> Option<E164> {
    let digits = wa_id.trim().trim_start_matches('+');
    E164::parse(&format!("+{digits}")).ok()
}

/// The body as a JSON object with `messaging_product: whatsapp` (Meta's code 100 otherwise).
pub(crate) fn whatsapp_object(body: &[u8]) -> GraphResult<Map<String, Value>> {
    let value: Value =
        serde_json::from_slice(body).map_err(|_| invalid("The request body is not valid JSON"))?;
    let Value::Object(object) = value else {
        return Err(invalid("The request body must be a JSON object"));
    };
    match object.get("messaging_product").and_then(Value::as_str) {
        Some(MESSAGING_PRODUCT) => Ok(object),
        Some(other) => Err(invalid(&format!(
            "Invalid value for messaging_product: {other}"
        ))),
        None => Err(invalid("messaging_product is required")),
    }
}

/// `{"success":true}`.
pub(crate) fn success() -> GraphReply {
    GraphReply::ok(&dialtone_whatsapp::graph::SuccessResponse {
        messaging_product: Some(MESSAGING_PRODUCT.to_owned()),
        success: true,
    })
}
