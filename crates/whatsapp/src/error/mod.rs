//! Graph API errors: Meta's error body, the ways a Graph request can fail, and what each failure
//! means for a Twilio user (a code on the child call and whether retrying makes sense).
//!
//! Every Graph endpoint answers errors as `{"error":{"message","type","code","error_data"?,
//! "fbtrace_id"}}`. Parsing is tolerant (numeric strings accepted, unknown fields ignored),
//! because a failure must still be reported when Meta's body is slightly off.

mod graph_error;
mod mapping;
mod messaging;

pub use graph_error::GraphError;
pub use mapping::{Failure, FailureReason, GRAPH_CODES, http_status, map_graph_code};
pub use messaging::{MessageFailure, UNKNOWN_MESSAGE_ERROR, message_failure};

/// Why a Graph request did not produce the documented success body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphFailure {
    /// Meta answered with its error body.
    #[error("Graph error {} (HTTP {status}): {}", error.code.map_or_else(String::new, |c| c.to_string()), error.message)]
    Graph {
        /// The HTTP status.
        status: u16,
        /// The parsed error.
        error: GraphError,
    },
    /// A non-2xx answer without a usable error body.
    #[error("Graph answered HTTP {status} without an error body")]
    Http {
        /// The HTTP status.
        status: u16,
    },
    /// A 2xx answer that is not the documented success body.
    #[error("unexpected Graph success body (HTTP {status}): {reason}")]
    UnexpectedBody {
        /// The HTTP status.
        status: u16,
        /// What was wrong with it.
        reason: String,
    },
    /// No answer in time (reported by the IO layer).
    #[error("Graph request timed out")]
    Timeout,
    /// No connection (DNS, refused, TLS), reported by the IO layer.
    #[error("Graph unreachable: {reason}")]
    Unreachable {
        /// What the IO layer saw.
        reason: String,
    },
}

impl GraphFailure {
    /// Classifies the failure: reason, Twilio code, whether a retry may help.
    pub fn classify(&self) -> Failure {
        match self {
            Self::Graph { status, error } => Failure::from_graph(*status, error),
            Self::Http { status } => Failure::from_status(*status),
            Self::UnexpectedBody { reason, .. } => Failure::new(
                FailureReason::Unknown,
                format!("unexpected Graph response: {reason}"),
                None,
            ),
            Self::Timeout => Failure::new(
                FailureReason::Transient,
                "WhatsApp Graph API did not answer in time".to_owned(),
                None,
            ),
            Self::Unreachable { reason } => Failure::new(
                FailureReason::Transient,
                format!("WhatsApp Graph API unreachable: {reason}"),
                None,
            ),
        }
    }
}
