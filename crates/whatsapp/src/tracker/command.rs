//! Requests a tracker asks the connector to send to Meta.

use crate::graph::{GraphRequests, HttpRequest, RequestError};

/// A calls-endpoint request for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `action: pre_accept` with our SDP answer (user-initiated calls).
    PreAccept {
        /// Meta's call id.
        call_id: String,
        /// Our SDP answer.
        sdp_answer: String,
    },
    /// `action: accept` with the same SDP answer (user-initiated calls).
    Accept {
        /// Meta's call id.
        call_id: String,
        /// Our SDP answer, identical to the `pre_accept` one.
        sdp_answer: String,
    },
    /// `action: reject` (user-initiated calls not accepted yet).
    Reject {
        /// Meta's call id.
        call_id: String,
    },
    /// `action: terminate`.
    Terminate {
        /// Meta's call id.
        call_id: String,
    },
}

impl Command {
    /// The HTTP request for this command.
    pub fn to_request(&self, requests: &GraphRequests) -> Result<HttpRequest, RequestError> {
        match self {
            Self::PreAccept {
                call_id,
                sdp_answer,
            } => requests.pre_accept(call_id, sdp_answer),
            Self::Accept {
                call_id,
                sdp_answer,
            } => requests.accept(call_id, sdp_answer, None),
            Self::Reject { call_id } => requests.reject(call_id),
            Self::Terminate { call_id } => requests.terminate(call_id),
        }
    }

    /// Meta's call id.
    pub fn call_id(&self) -> &str {
        match self {
            Self::PreAccept { call_id, .. }
            | Self::Accept { call_id, .. }
            | Self::Reject { call_id }
            | Self::Terminate { call_id } => call_id,
        }
    }
}
