//! Why a simulator operation driven by the test API (not by Graph requests) was refused.
//! Graph requests are answered with Meta's error bodies instead (see [`super::graph`]).

/// A refused user operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// A value the simulator cannot play.
    #[error("{0}")]
    Invalid(String),
    /// No such user in the account.
    #[error("no such WhatsApp user in this account")]
    UnknownUser,
    /// The business number is not one of the account's WhatsApp senders.
    #[error("{0} is not a WhatsApp sender of this account")]
    UnknownSender(String),
    /// The user already has an active call with this business number (Meta allows one).
    #[error("the user already has an active call with this business number")]
    DuplicateCall,
    /// The business number already carries the most concurrent calls Meta allows.
    #[error("the business number already has {0} concurrent calls")]
    Capacity(usize),
    /// No such message of this user.
    #[error("no such message of this WhatsApp user")]
    UnknownMessage,
    /// The call permission request can no longer be answered.
    #[error(
        "the call permission request has expired (7 days after delivery or the last answer, or a newer request was answered)"
    )]
    Expired,
    /// The request already has this answer.
    #[error("the call permission request was already answered {0}")]
    DuplicateReply(&'static str),
    /// The user's media side could not be created.
    #[error("media: {0}")]
    Media(String),
}
